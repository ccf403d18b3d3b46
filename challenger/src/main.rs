//! `challenger`: the operator's watchtower daemon (`run`), the games of a rollup as L1 has them
//! (`games`), and the deployment of a rollup's contracts (`deploy`). It links no devnet and no
//! test code; the toolkit's other commands are the `toolkit` binary's.

mod config;
mod deploy_cmd;
mod games;
mod run;

use std::process::ExitCode;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(
    name = "challenger",
    version,
    about = "Watchtower daemon of an optimistic native rollup"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The watchtower: follows L1, replays the L2 from its blobs, challenges wrong claims,
    /// defends its own, and plays every game to the EXECUTE step.
    Run(Box<run::RunArgs>),
    /// Deploys a rollup's contracts on an L1 with EXECUTE, for the L2 the genesis flags name.
    Deploy(Box<deploy_cmd::DeployArgs>),
    /// Lists the rollup's games and where each stands, read from L1.
    Games(games::GamesArgs),
}

fn main() -> ExitCode {
    let cli: Cli = match config::parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    if matches!(cli.command, Command::Run(_)) {
        init_logs();
    }
    let result = tokio::runtime::Runtime::new()
        .map_err(anyhow::Error::from)
        .and_then(|runtime| {
            runtime.block_on(async {
                match cli.command {
                    Command::Run(args) => run::run(*args).await,
                    Command::Deploy(args) => deploy_cmd::run(*args).await,
                    Command::Games(args) => games::run(args).await,
                }
            })
        });
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::FAILURE
        }
    }
}

/// Logs to stderr, at `RUST_LOG`'s levels (info by default).
fn init_logs() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .with_writer(std::io::stderr)
        .init();
}
