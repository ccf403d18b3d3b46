//! `toolkit`: the optimistic native rollup toolkit's command line: the demo, a standalone
//! network, dispute fixtures, benches, and EXECUTE's conformance run. The operator's daemon is
//! the separate `challenger` binary.

mod bench;
mod bridge;
mod demo;
mod fixtures;
mod network_cmd;
mod rpc_hostile;
mod run_bench;
mod sync_bench;
mod verify_block;

use std::{path::PathBuf, process::ExitCode, time::Instant};

use anyhow::{bail, Result};
use clap::{Parser, Subcommand};
use rollup_ffi::{blob, ScenarioArgs, VerifyArgs};

#[derive(Parser)]
#[command(name = "toolkit", version, about = "Optimistic native rollup toolkit")]
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
    /// Measures `challenger run` on an embedded devnet under load: time from each wrong claim
    /// to its challenge, and the daemon's memory over the run.
    RunBench(run_bench::RunBench),
    /// A standalone network to point `challenger run` and `cast` at: the L1 devnet with
    /// EXECUTE, the rollup deployed, a sequencer (L2 JSON-RPC, load, blob batches) and a
    /// proposer, until Ctrl-C.
    Network(network_cmd::NetworkArgs),
    /// Moving ETH and calls between L1 and the L2: deposits, withdrawals, messages.
    #[command(subcommand)]
    Bridge(bridge::BridgeCommand),
    /// The whole loop on an embedded devnet: batches in blobs, a wrong claim, the bisection and
    /// the EXECUTE step that rejects it.
    Demo(demo::DemoArgs),
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
    /// Hostile JSON-RPC against a node (the devnet's or the L2's): malformed, oversized and
    /// nested bodies, batches past the cap, wrong types, then thousands of concurrent
    /// connections; prints each answer and the node's memory, fails on a wrong answer.
    RpcHostile(rpc_hostile::RpcHostileArgs),
    /// Writes the standard dispute scenario (an L2 history with every step's inputs) as JSON,
    /// for the contracts' game tests.
    Scenario(ScenarioArgs),
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
    Verify(VerifyArgs),
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
    /// Checks a block of any chain statelessly through EXECUTE, from a node's
    /// `debug_executionWitness` (by --rpc) or a recorded block (--file); exits non-zero if
    /// EXECUTE refuses it.
    VerifyBlock(verify_block::VerifyBlockArgs),
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
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Execute(ExecuteCommand::Verify(args)) => rollup_ffi::verify(&args),
        Command::Execute(ExecuteCommand::Conformance { paths }) => conformance(&paths),
        Command::Execute(ExecuteCommand::VerifyBlock(args)) => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(verify_block::run(args))),
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
        Command::Scenario(args) => rollup_ffi::run(rollup_ffi::FfiCommand::Scenario(args)),
        Command::Network(args) => {
            init_logs();
            tokio::runtime::Runtime::new()
                .map_err(anyhow::Error::from)
                .and_then(|rt| rt.block_on(network_cmd::run(args)))
                .map(|()| ExitCode::SUCCESS)
        }
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
        Command::RpcHostile(args) => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(rpc_hostile::run(args)))
            .map(|()| ExitCode::SUCCESS),
        Command::Bridge(command) => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(bridge::run(command)))
            .map(|()| ExitCode::SUCCESS),
        Command::Demo(args) => tokio::runtime::Runtime::new()
            .map_err(anyhow::Error::from)
            .and_then(|runtime| runtime.block_on(demo::run(args)))
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

fn conformance(paths: &[PathBuf]) -> Result<ExitCode> {
    let files = eest::fixture_files(paths)?;
    if files.is_empty() {
        bail!("no .json fixtures under the given paths");
    }
    let started = Instant::now();
    let summary = eest::run(&files, |name, reason| println!("FAIL {name}: {reason}"));
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
