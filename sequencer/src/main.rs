//! `sequencer`: runs an L2's sequencer (and optionally its proposer) against an L1 with the
//! rollup's contracts: an L2 JSON-RPC endpoint, a transaction pool, an optional load generator,
//! blob batches posted to the inbox, the chain derived back from L1 into a sled store, and claims
//! with bonds on a schedule (truthful, or with a chosen lie for testing challengers).

use std::{net::SocketAddr, path::PathBuf, time::Duration};

use alloy_primitives::Address;
use anyhow::{Context, Result};
use clap::Parser;
use l1_contracts::provider::{l1_provider, load_key};
use l2_node::node::L2Node;
use sequencer::{
    genesis::{load_generator, GenesisArgs},
    pool::Pool,
    proposer::Proposer,
    rpc::{serve, Shared},
    service::{Sequencer, SequencerConfig},
};

#[derive(Parser)]
#[command(version, about)]
struct Args {
    /// L1 JSON-RPC URL.
    #[arg(long, env = "L1_RPC", default_value = "http://127.0.0.1:8545")]
    l1_rpc: String,
    /// L1 beacon API base URL (the devnet serves it on its RPC port).
    #[arg(long, env = "L1_BEACON")]
    beacon: Option<String>,
    /// The inbox contract.
    #[arg(long, env = "INBOX")]
    inbox: Address,
    /// L1 block to start deriving after (the inbox's deployment or earlier).
    #[arg(long, default_value_t = 0)]
    start_block: u64,
    /// File holding the sequencer's L1 key (hex), or use SEQUENCER_KEY.
    #[arg(long, env = "SEQUENCER_KEY_FILE")]
    key_file: Option<PathBuf>,
    /// The L2's genesis.
    #[command(flatten)]
    genesis: GenesisArgs,
    /// Directory of the L2 store.
    #[arg(long, default_value = "l2-data")]
    state_dir: PathBuf,
    /// L2 JSON-RPC listen address.
    #[arg(long, default_value = "127.0.0.1:9545")]
    listen: SocketAddr,
    /// Milliseconds between ticks (batch, sync, propose).
    #[arg(long, default_value_t = 2_000)]
    interval_ms: u64,
    /// Blocks per batch at most.
    #[arg(long, default_value_t = 4)]
    blocks_per_batch: usize,
    /// Gas of generated load per tick (0: off).
    #[arg(long, default_value_t = 0)]
    load_gas: u64,
    /// The Rollup contract; the proposer runs when given (with PROPOSER_KEY or --proposer-key-file).
    #[arg(long, env = "ROLLUP")]
    rollup: Option<Address>,
    /// File holding the proposer's L1 key (hex), or use PROPOSER_KEY.
    #[arg(long, env = "PROPOSER_KEY_FILE")]
    proposer_key_file: Option<PathBuf>,
    /// Claim every this many L2 blocks.
    #[arg(long, default_value_t = 4)]
    propose_every: u64,
    /// Test mode (built with the `lies` feature): lie about one block (drop:BLOCK:K,
    /// reorder:BLOCK:A:B, root:BLOCK:K, gas:BLOCK, timestamp:BLOCK).
    #[cfg(feature = "lies")]
    #[arg(long)]
    lie: Option<rollup::lie::BlockLie>,
    /// Blocks of state kept for disputes; older state is pruned.
    #[arg(long, default_value_t = 50_400)]
    window: u64,
    /// Most L1 blocks one eth_getLogs may span: the provider's limit, or below.
    #[arg(long, env = "L1_LOG_RANGE", default_value_t = l2_node::l1::DEFAULT_LOG_RANGE)]
    log_range: u64,
}

#[tokio::main]
async fn main() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let url: reqwest::Url = args.l1_rpc.parse().context("--l1-rpc")?;
    let beacon = args.beacon.clone().unwrap_or_else(|| args.l1_rpc.clone());

    let sequencer_key = load_key(args.key_file.as_deref(), "SEQUENCER_KEY")?;
    let submitter = sequencer_key.address();
    let poster = l1_provider(url.clone(), sequencer_key);
    let genesis = args
        .genesis
        .genesis_on_l1(&poster)
        .await
        .with_context(|| format!("the L2 genesis on the L1's forks (from {})", args.l1_rpc))?;
    let config = genesis.config.clone();
    let node = L2Node::open(&args.state_dir, genesis, args.start_block)
        .with_context(|| format!("opening the L2 store in {}", args.state_dir.display()))?;
    tracing::info!(head = node.head().number, dir = %args.state_dir.display(), "L2 store open");
    let shared = Shared::new(node, Pool::new(config.chain_id(), config.gas_limit));
    let server = serve(shared.clone(), args.listen)
        .await
        .with_context(|| format!("listening on {}", args.listen))?;
    // On stdout for scripts and tests: the endpoint, when --listen asked for any port.
    println!("listening on {}", server.url());

    let proposer = match args.rollup {
        Some(rollup) => {
            let signer = load_key(args.proposer_key_file.as_deref(), "PROPOSER_KEY")?;
            let address = signer.address();
            let provider = l1_provider(url.clone(), signer);
            let proposer = Proposer::new(provider, rollup, address, args.propose_every);
            #[cfg(feature = "lies")]
            let proposer = proposer.lying(args.lie);
            Some(proposer)
        }
        None => None,
    };
    let load = match args.load_gas {
        0 => None,
        _ => Some(load_generator(&config, args.genesis.senders).context("the load generator")?),
    };
    let sequencer = Sequencer::new(
        shared.clone(),
        poster,
        &beacon,
        SequencerConfig {
            inbox: args.inbox,
            submitter,
            blocks_per_batch: args.blocks_per_batch,
            load_gas: args.load_gas,
            window: args.window,
            log_range: args.log_range,
        },
        load,
        proposer,
    );
    let stop = async {
        let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())
            .expect("SIGTERM handler");
        tokio::select! {
            _ = tokio::signal::ctrl_c() => {}
            _ = term.recv() => {}
        }
        tracing::info!("shutting down");
    };
    sequencer
        .run(Duration::from_millis(args.interval_ms), stop)
        .await;
    server.shutdown().await?;
    shared.node.lock().await.store().flush()?;
    Ok(())
}
