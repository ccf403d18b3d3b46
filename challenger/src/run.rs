//! `challenger run`: the watchtower daemon's command line: configuration from flags and
//! environment, the key from a file or `CHALLENGER_KEY` (never printed), a tick loop with
//! retries, and a clean stop on SIGINT or SIGTERM.

use std::{path::PathBuf, time::Duration};

use alloy_primitives::Address;
use anyhow::{Context, Result};
use clap::Args;
use rollup::node::L2Node;
use sequencer::{
    genesis::GenesisArgs,
    l1::{l1_provider, load_key},
    proposer::BlockLie,
};

use challenger::watchtower::{WatchConfig, Watchtower};

/// `challenger run`'s settings.
#[derive(Debug, Args)]
pub struct RunArgs {
    /// L1 JSON-RPC URL.
    #[arg(long, env = "L1_RPC", default_value = "http://127.0.0.1:8545")]
    l1_rpc: String,
    /// L1 beacon API base URL (default: the RPC URL, as the devnet serves both).
    #[arg(long, env = "L1_BEACON")]
    beacon: Option<String>,
    /// The Rollup contract.
    #[arg(long, env = "ROLLUP")]
    rollup: Address,
    /// L1 block to start deriving after (the inbox's deployment or earlier).
    #[arg(long, default_value_t = 0)]
    start_block: u64,
    /// File holding the challenger's L1 key (hex); else CHALLENGER_KEY.
    #[arg(long, env = "CHALLENGER_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// The L2's genesis.
    #[command(flatten)]
    genesis: GenesisArgs,
    /// Directory of the watchtower's L2 store.
    #[arg(long, default_value = "challenger-data")]
    state_dir: PathBuf,
    /// Milliseconds between ticks.
    #[arg(long, default_value_t = 2_000)]
    interval_ms: u64,
    /// Highest gas price paid, in gwei.
    #[arg(long, default_value_t = 500)]
    max_gas_price_gwei: u64,
    /// Test mode: play as if the chain had this lie (drop:BLOCK:K, reorder:BLOCK:A:B,
    /// root:BLOCK:K, gas:BLOCK, timestamp:BLOCK), to stage a dishonest challenger.
    #[arg(long)]
    lie: Option<BlockLie>,
}

/// Runs the watchtower until SIGINT or SIGTERM.
pub async fn run(args: RunArgs) -> Result<()> {
    let url: reqwest::Url = args.l1_rpc.parse().context("--l1-rpc")?;
    let beacon = args.beacon.clone().unwrap_or_else(|| args.l1_rpc.clone());
    let signer = load_key(args.key_file.as_deref(), "CHALLENGER_KEY")?;
    let address = signer.address();
    let genesis = args.genesis.genesis().map_err(anyhow::Error::msg)?;
    let node = L2Node::open(&args.state_dir, genesis, args.start_block)
        .with_context(|| format!("opening the L2 store in {}", args.state_dir.display()))?;
    let provider = l1_provider(url, signer);
    let config = WatchConfig {
        rollup: args.rollup,
        address,
        max_gas_price: u128::from(args.max_gas_price_gwei) * 1_000_000_000,
        lie: args.lie,
    };
    let mut watchtower = Watchtower::new(node, provider, &beacon, config).await?;
    tracing::info!(%address, rollup = %args.rollup, head = watchtower.node().head().number, "watching");
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut ticks = tokio::time::interval(Duration::from_millis(args.interval_ms));
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            _ = term.recv() => break,
            _ = ticks.tick() => {}
        }
        match watchtower.tick().await {
            Ok(report) => tracing::info!(
                head = report.head,
                challenged = ?report.challenged,
                moves = ?report.moves,
                withdrawn = %report.withdrawn,
                "tick"
            ),
            Err(err) => tracing::warn!(err = format!("{err:#}"), "tick failed; retrying next tick"),
        }
    }
    tracing::info!("shutting down");
    watchtower.node().store().flush()?;
    Ok(())
}
