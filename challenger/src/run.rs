//! `challenger run`: the watchtower daemon's command line: configuration from flags, the
//! environment and a file, the key from a file or `CHALLENGER_KEY` (never printed), Prometheus
//! metrics over HTTP, a tick loop that backs off while ticks fail, and a clean stop on SIGINT or
//! SIGTERM.

use std::{net::SocketAddr, path::PathBuf, sync::Arc, time::Duration};

use alloy_primitives::Address;
use anyhow::{Context, Result};
use axum::{http::header, routing::get, Router};
use clap::Args;
use l1_contracts::provider::{l1_provider, l1_witness, load_key};
use l2_node::node::L2Node;
use sequencer::genesis::GenesisArgs;

use watchtower::{metrics::Metrics, WatchConfig, Watchtower};

/// Longest pause between ticks while they keep failing.
const MAX_BACKOFF: Duration = Duration::from_secs(60);

/// `challenger run`'s settings.
#[derive(Debug, Args)]
pub(crate) struct RunArgs {
    /// TOML file of these settings, named as the flags are (flags and environment win).
    #[arg(long, env = "CHALLENGER_CONFIG")]
    config: Option<PathBuf>,
    /// L1 JSON-RPC URL.
    #[arg(long, env = "L1_RPC", default_value = "http://127.0.0.1:8545")]
    l1_rpc: String,
    /// L1 beacon API base URL (default: the RPC URL, as the devnet serves both).
    #[arg(long, env = "L1_BEACON")]
    beacon: Option<String>,
    /// A blob archive (a base URL serving the beacon blob API) asked for blobs the beacon node
    /// no longer has: a watchtower that starts after beacon nodes pruned a batch's blob needs it.
    #[arg(long, env = "L1_BLOB_ARCHIVE")]
    blob_archive: Option<String>,
    /// Other L1 nodes the L1 node is checked against before every tick (repeat, or separate
    /// with commas): a tick stops if one is ahead by more than --max-lag blocks or has another
    /// block at the same height.
    #[arg(long, env = "L1_WITNESSES", value_delimiter = ',')]
    witness: Vec<String>,
    /// Blocks a witness may be ahead of the L1 node.
    #[arg(long, default_value_t = 2)]
    max_lag: u64,
    /// Seconds the L1 head may be behind this machine's clock (unchecked if absent).
    #[arg(long)]
    max_l1_age: Option<u64>,
    /// The Rollup contract.
    #[arg(long, env = "ROLLUP")]
    rollup: Address,
    /// Most L1 blocks one eth_getLogs may span: the provider's limit, or below (public
    /// providers allow 1,000 to 10,000).
    #[arg(long, env = "L1_LOG_RANGE", default_value_t = l2_node::l1::DEFAULT_LOG_RANGE)]
    log_range: u64,
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
    /// Seconds of game clock below which a move is logged as late (default: a tenth of the
    /// rollup's clock).
    #[arg(long)]
    clock_margin: Option<u64>,
    /// Serve Prometheus metrics at http://ADDR/metrics.
    #[arg(long, env = "CHALLENGER_METRICS")]
    metrics_addr: Option<SocketAddr>,
    /// Test mode (built with the `lies` feature): play as if the chain had this lie
    /// (drop:BLOCK:K, reorder:BLOCK:A:B, root:BLOCK:K, gas:BLOCK, timestamp:BLOCK), to stage a
    /// dishonest challenger.
    #[cfg(feature = "lies")]
    #[arg(long)]
    lie: Option<rollup::lie::BlockLie>,
}

/// Runs the watchtower until SIGINT or SIGTERM.
pub(crate) async fn run(args: RunArgs) -> Result<()> {
    let url: reqwest::Url = args.l1_rpc.parse().context("--l1-rpc")?;
    let witnesses = args
        .witness
        .iter()
        .map(|w| {
            w.parse()
                .with_context(|| format!("--witness {w}"))
                .map(l1_witness)
        })
        .collect::<Result<Vec<_>>>()?;
    let beacon = args.beacon.clone().unwrap_or_else(|| args.l1_rpc.clone());
    let signer = load_key(args.key_file.as_deref(), "CHALLENGER_KEY")?;
    let address = signer.address();
    let provider = l1_provider(url, signer);
    let genesis = args
        .genesis
        .genesis_on_l1(&provider)
        .await
        .with_context(|| format!("the L2 genesis on the L1's forks (from {})", args.l1_rpc))?;
    let node = L2Node::open(&args.state_dir, genesis, args.start_block)
        .with_context(|| format!("opening the L2 store in {}", args.state_dir.display()))?;
    let config = WatchConfig {
        from_block: args.start_block,
        max_gas_price: u128::from(args.max_gas_price_gwei) * 1_000_000_000,
        clock_margin: args.clock_margin,
        max_lag: args.max_lag,
        max_age: args.max_l1_age,
        log_range: args.log_range,
        #[cfg(feature = "lies")]
        lie: args.lie,
        ..WatchConfig::new(args.rollup, address)
    };
    tokio::task::spawn_blocking(rollup::blob::load_kzg_settings).await?;
    let mut watchtower = Watchtower::new(node, provider, &beacon, config)
        .await
        .context("reading the rollup's configuration")?
        .with_witnesses(witnesses);
    if let Some(archive) = &args.blob_archive {
        watchtower = watchtower.with_blob_archive(archive);
    }
    if let Some(addr) = args.metrics_addr {
        let bound = serve_metrics(addr, watchtower.metrics()).await?;
        tracing::info!("metrics on http://{bound}/metrics");
    }
    tracing::info!(%address, rollup = %args.rollup, head = watchtower.node().head().number, "watching");

    // Made once, so that a signal arriving during a tick is delivered at the next wait.
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    let mut int = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt())?;
    let interval = Duration::from_millis(args.interval_ms);
    let mut pause = Duration::ZERO;
    loop {
        tokio::select! {
            _ = int.recv() => break,
            _ = term.recv() => break,
            _ = tokio::time::sleep(pause) => {}
        }
        pause = match watchtower.tick().await {
            Ok(report) => {
                tracing::info!(
                    head = report.head,
                    challenged = ?report.challenged,
                    moves = ?report.moves,
                    failed = report.failed.len(),
                    withdrawn = %report.withdrawn,
                    "tick"
                );
                interval
            }
            Err(err) => {
                let pause = (pause * 2).max(interval).min(MAX_BACKOFF.max(interval));
                tracing::warn!(
                    err = format!("{err:#}"),
                    retry_in_ms = pause.as_millis() as u64,
                    "tick failed"
                );
                pause
            }
        };
    }
    tracing::info!("shutting down");
    watchtower.node().store().flush()?;
    Ok(())
}

/// Serves `GET /metrics` on `addr` in the background; returns the address bound.
async fn serve_metrics(addr: SocketAddr, metrics: Arc<Metrics>) -> Result<SocketAddr> {
    let app = Router::new().route(
        "/metrics",
        get(move || {
            let metrics = metrics.clone();
            async move {
                (
                    [(
                        header::CONTENT_TYPE,
                        "application/openmetrics-text; version=1.0.0; charset=utf-8",
                    )],
                    metrics.encode(),
                )
            }
        }),
    );
    let listener = tokio::net::TcpListener::bind(addr)
        .await
        .with_context(|| format!("binding the metrics endpoint {addr}"))?;
    let bound = listener.local_addr()?;
    tokio::spawn(async move {
        if let Err(err) = axum::serve(listener, app).await {
            tracing::error!(%err, "metrics endpoint stopped");
        }
    });
    Ok(bound)
}
