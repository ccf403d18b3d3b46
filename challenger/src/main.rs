//! `challenger`: the optimistic native rollup toolkit's command line.

mod bench;
mod blob;
mod config;
mod conformance;
mod demo;
mod deploy_cmd;
mod fixtures;
mod games;
mod network_cmd;
mod run;
mod run_bench;
mod sync_bench;

use std::{io::Read, path::PathBuf, process::ExitCode, time::Instant};

use anyhow::{bail, Context, Result};
use clap::{Parser, Subcommand};
use execute::{
    precompile::{abi_bool, ExecuteInput},
    Fork,
};

#[derive(Parser)]
#[command(
    name = "challenger",
    version,
    about = "Optimistic native rollup toolkit"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// The EXECUTE precompile.
    #[command(subcommand)]
    Execute(ExecuteCommand),
    /// Batch blobs as the dispute contracts read them.
    #[command(subcommand)]
    Blob(blob::BlobCommand),
    /// The L2 chain.
    #[command(subcommand)]
    L2(L2Command),
    /// The watchtower: follows L1, replays the L2 from its blobs, challenges wrong claims,
    /// defends its own, and plays every game to the EXECUTE step.
    Run(Box<run::RunArgs>),
    /// Measures `challenger run` on an embedded devnet under load: time from each wrong claim
    /// to its challenge, and the daemon's memory over the run.
    RunBench(run_bench::RunBench),
    /// A standalone network to point `challenger run` and `cast` at: the L1 devnet with
    /// EXECUTE, the rollup deployed, a sequencer (L2 JSON-RPC, load, blob batches) and a
    /// proposer, until Ctrl-C.
    Network(network_cmd::NetworkArgs),
    /// Deploys a rollup's contracts on an L1 with EXECUTE, for the L2 the genesis flags name.
    Deploy(Box<deploy_cmd::DeployArgs>),
    /// Lists the rollup's games and where each stands, read from L1.
    Games(games::GamesArgs),
    /// The whole loop on an embedded devnet: batches in blobs, a wrong claim, the bisection and
    /// the EXECUTE step that rejects it.
    Demo,
    /// Replays dispute fixtures end to end on an embedded devnet (real contracts, real EXECUTE)
    /// and checks each expected outcome; prints a line per fixture and `N passed, M failed`.
    Replay {
        /// Fixture files or directories (searched for .json files).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
        /// EXECUTE's lowest price on the devnet (L1 gas per declared EXECUTE gas): replays the
        /// steps at a price the rules must still fit one L1 transaction at.
        #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u64).range(1..))]
        execute_price: u64,
    },
    /// Dispute fixtures.
    #[command(subcommand)]
    Fixtures(FixturesCommand),
    /// Writes the standard dispute scenario (an L2 history with every step's inputs) as JSON,
    /// for the contracts' game tests.
    Scenario {
        /// Timestamp of the L1 block that carries the batch.
        #[arg(long)]
        l1_timestamp: u64,
        /// Output file.
        #[arg(long)]
        out: PathBuf,
    },
}

#[derive(Subcommand)]
enum FixturesCommand {
    /// Rebuilds the fixtures from their scenario descriptions.
    Generate {
        /// The scenario descriptions.
        #[arg(long, default_value = "fixtures/scenarios.toml")]
        scenarios: PathBuf,
        /// Where the fixtures go.
        #[arg(long, default_value = "fixtures")]
        out: PathBuf,
        /// Compare with the fixtures in --out instead of writing; fail on a difference.
        #[arg(long)]
        check: bool,
    },
}

#[derive(Subcommand)]
enum ExecuteCommand {
    /// Evaluates EXECUTE on ABI input given as hex (stdin or a file); prints the ABI output
    /// as hex, as Foundry's `vm.ffi` expects.
    Verify {
        /// File holding the hex input; stdin when absent.
        #[arg(long, short)]
        input: Option<PathBuf>,
        /// Host fork; a trace made for another fork is rejected. Default: the trace's own.
        #[arg(long, env = "EXECUTE_HOST_FORK")]
        fork: Option<String>,
        /// Print why the result is false on stderr.
        #[arg(long)]
        explain: bool,
    },
    /// Times stateful revm against stateless EXECUTE on the same mixed blocks (build with
    /// --release for meaningful figures).
    Bench {
        /// Number of blocks.
        #[arg(long, default_value_t = 5)]
        blocks: usize,
        /// Gas per block.
        #[arg(long, default_value_t = 30_000_000)]
        gas: u64,
        /// Funded accounts in the state.
        #[arg(long, default_value_t = 5_000)]
        accounts: usize,
    },
    /// Runs execution-spec-tests BlockchainTest fixtures statelessly through EXECUTE.
    Conformance {
        /// Fixture files or directories (searched recursively for .json files).
        #[arg(required = true)]
        paths: Vec<PathBuf>,
    },
}

#[derive(Subcommand)]
enum L2Command {
    /// Times L2 sync (derivation by the inclusion rule, state roots after every transaction,
    /// sled writes) against plain in-memory revm on the same blocks, and measures the store on
    /// disk (build with --release for meaningful figures).
    Bench {
        /// Accounts in the genesis state.
        #[arg(long, default_value_t = 1_000_000)]
        accounts: usize,
        /// Funded senders signing the blocks.
        #[arg(long, default_value_t = 2_000)]
        senders: usize,
        /// Blocks to sync.
        #[arg(long, default_value_t = 10)]
        blocks: usize,
        /// Gas budget per block.
        #[arg(long, default_value_t = 30_000_000)]
        gas: u64,
    },
}

fn main() -> ExitCode {
    let cli: Cli = match config::parse(std::env::args_os().collect()) {
        Ok(cli) => cli,
        Err(err) => {
            eprintln!("error: {err:#}");
            return ExitCode::from(2);
        }
    };
    let result = match cli.command {
        Command::Execute(ExecuteCommand::Verify {
            input,
            fork,
            explain,
        }) => verify(input, fork, explain),
        Command::Execute(ExecuteCommand::Conformance { paths }) => conformance(&paths),
        Command::Execute(ExecuteCommand::Bench {
            blocks,
            gas,
            accounts,
        }) => bench::run(blocks, gas, accounts).map(|()| ExitCode::SUCCESS),
        Command::Blob(command) => blob::run(command).map(|()| ExitCode::SUCCESS),
        Command::L2(L2Command::Bench {
            accounts,
            senders,
            blocks,
            gas,
        }) => sync_bench::run(sync_bench::SyncBench {
            accounts,
            senders,
            blocks,
            gas,
        })
        .map(|()| ExitCode::SUCCESS),
        Command::Scenario { l1_timestamp, out } => scenario(l1_timestamp, &out),
        Command::Run(args) => {
            init_logs();
            tokio::runtime::Runtime::new()
                .map_err(anyhow::Error::from)
                .and_then(|rt| rt.block_on(run::run(*args)))
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Network(args) => {
            init_logs();
            tokio::runtime::Runtime::new()
                .map_err(anyhow::Error::from)
                .and_then(|rt| rt.block_on(network_cmd::run(args)))
                .map(|()| ExitCode::SUCCESS)
        }
        Command::Deploy(args) => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(deploy_cmd::run(*args)))
            .map(|()| ExitCode::SUCCESS),
        Command::Games(args) => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(games::run(args)))
            .map(|()| ExitCode::SUCCESS),
        Command::RunBench(bench) => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(run_bench::run(bench)))
            .map(|()| ExitCode::SUCCESS),
        Command::Replay {
            paths,
            execute_price,
        } => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(fixtures::replay_all(&paths, execute_price))),
        Command::Fixtures(FixturesCommand::Generate {
            scenarios,
            out,
            check,
        }) => fixtures::generate_all(&scenarios, &out, check).map(|()| ExitCode::SUCCESS),
        Command::Demo => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(demo::run()))
            .map(|()| ExitCode::SUCCESS),
    };
    match result {
        Ok(code) => code,
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

fn verify(input: Option<PathBuf>, fork: Option<String>, explain: bool) -> Result<ExitCode> {
    let text = match &input {
        Some(path) => {
            std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?
        }
        None => {
            let mut text = String::new();
            std::io::stdin()
                .read_to_string(&mut text)
                .context("reading stdin")?;
            text
        }
    };
    let hex = text.trim();
    let bytes = alloy_primitives::hex::decode(hex).context("input is not hex")?;
    let host = match fork {
        Some(name) => match Fork::from_name(&capitalize(&name)) {
            Some(fork) => Some(fork),
            None => bail!("unknown fork {name}"),
        },
        None => None,
    };
    // Malformed ABI is `false`, as the precompile answers it.
    let result = match ExecuteInput::abi_decode(&bytes) {
        Some(input) => input.verify(host).map_err(|e| e.to_string()),
        None => Err("input is not abi.encode(bytes32, bytes32, bytes, uint64)".to_string()),
    };
    if let (Err(reason), true) = (&result, explain) {
        eprintln!("false: {reason}");
    }
    println!(
        "{}",
        alloy_primitives::hex::encode_prefixed(abi_bool(result.is_ok()))
    );
    Ok(ExitCode::SUCCESS)
}

fn scenario(l1_timestamp: u64, out: &std::path::Path) -> Result<ExitCode> {
    let json = bisect::scenario::standard(l1_timestamp)?;
    std::fs::write(out, serde_json::to_string_pretty(&json)?)
        .with_context(|| format!("writing {}", out.display()))?;
    println!("{}", out.display());
    Ok(ExitCode::SUCCESS)
}

fn capitalize(name: &str) -> String {
    let mut chars = name.chars();
    chars
        .next()
        .map(|c| c.to_uppercase().chain(chars).collect())
        .unwrap_or_default()
}

fn conformance(paths: &[PathBuf]) -> Result<ExitCode> {
    let files = conformance::fixture_files(paths)?;
    if files.is_empty() {
        bail!("no .json fixtures under the given paths");
    }
    let started = Instant::now();
    let summary = conformance::run(&files, |name, reason| println!("FAIL {name}: {reason}"));
    for (reason, count) in &summary.skipped {
        println!("skipped {count}: {reason}");
    }
    eprintln!(
        "{} files in {:.1}s",
        files.len(),
        started.elapsed().as_secs_f64()
    );
    let skipped: usize = summary.skipped.values().sum();
    println!(
        "{} passed, {} failed, {} skipped",
        summary.passed,
        summary.failed.len(),
        skipped
    );
    Ok(if summary.failed.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    })
}
