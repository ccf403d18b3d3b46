//! `devnet`: an L1 dev node with EXECUTE, serving JSON-RPC on loopback.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
};

use anyhow::Context;
use clap::Parser;
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    server::Server,
    Node, NodeConfig,
};
use execute::Fork;

#[derive(Parser)]
#[command(
    name = "devnet",
    version,
    about = "L1 dev node with the EXECUTE precompile"
)]
struct Args {
    /// Port of the JSON-RPC endpoint.
    #[arg(long, env = "DEVNET_PORT", default_value_t = 8545)]
    port: u16,
    /// Address to listen on.
    #[arg(long, env = "DEVNET_HOST", default_value = "127.0.0.1")]
    host: IpAddr,
    /// Chain id.
    #[arg(long, env = "DEVNET_CHAIN_ID", default_value_t = 31337)]
    chain_id: u64,
    /// Fork (EXECUTE follows it): cancun, prague or osaka.
    #[arg(long, env = "DEVNET_FORK", default_value = "osaka")]
    fork: String,
    /// Genesis file (geth format): chain id, accounts, gas limit and fork schedule. Replaces
    /// --chain-id and --fork and the dev accounts' funding.
    #[arg(long, env = "DEVNET_GENESIS", conflicts_with_all = ["chain_id", "fork"])]
    genesis: Option<std::path::PathBuf>,
    /// Mine a block every this many seconds (transactions wait in a pool); without it, every
    /// transaction is mined as it arrives.
    #[arg(long, env = "DEVNET_BLOCK_TIME")]
    block_time: Option<u64>,
    /// Keep the chain in this directory (sled) so that a restart, or a kill, loses nothing;
    /// without it the chain lives in memory only.
    #[arg(long, env = "DEVNET_STATE_DIR")]
    state_dir: Option<std::path::PathBuf>,
    /// Blocks whose blob sidecars the beacon endpoint keeps.
    #[arg(long, env = "DEVNET_BLOB_RETENTION", default_value_t = devnet::blobs::MAINNET_RETENTION_BLOCKS)]
    blob_retention: u64,
    /// Most blocks one `eth_getLogs` may span (public providers allow 1,000 to 10,000).
    #[arg(long, env = "DEVNET_MAX_LOG_RANGE", default_value_t = devnet::node::MAX_LOG_RANGE)]
    max_log_range: u64,
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "info".into()),
        )
        .init();
    let args = Args::parse();
    let mut config = match &args.genesis {
        Some(path) => devnet::genesis::from_file(path)?,
        None => {
            let name = {
                let mut chars = args.fork.chars();
                chars
                    .next()
                    .map(|c| c.to_uppercase().chain(chars).collect::<String>())
                    .unwrap_or_default()
            };
            let fork = Fork::from_name(&name)
                .filter(|f| *f >= Fork::Cancun)
                .ok_or_else(|| {
                    anyhow::anyhow!(
                        "unsupported fork {}: use cancun, prague or osaka",
                        args.fork
                    )
                })?;
            NodeConfig::dev(args.chain_id, fork)?
        }
    };
    config.block_time = args.block_time;
    config.blob_retention = args.blob_retention;
    config.max_log_range = args.max_log_range.max(1);
    let params = config.params;
    let schedule = config.schedule.clone();
    let node = match &args.state_dir {
        Some(dir) => Node::open(config, dir)
            .with_context(|| format!("opening the chain in {}", dir.display()))?,
        None => Node::new(config),
    };
    let node = Arc::new(Mutex::new(node));
    let server = Server::start(node.clone(), SocketAddr::new(args.host, args.port)).await?;

    let (first, later) = schedule
        .activations()
        .split_first()
        .expect("a schedule has a fork");
    println!(
        "devnet: chain id {}, fork {:?}, EXECUTE at {}",
        params.chain_id,
        first.fork,
        execute::EXECUTE_ADDRESS
    );
    for activation in later {
        println!(
            "  then {:?} (blobs {}/{}) at timestamp {}",
            activation.fork, activation.blobs.target, activation.blobs.max, activation.timestamp
        );
    }
    println!("accounts ({DEV_MNEMONIC}):");
    for (i, signer) in dev_accounts(DEV_MNEMONIC, 10)?.iter().enumerate() {
        let balance = node
            .lock()
            .map(|n| n.balance(signer.address()))
            .unwrap_or_default();
        println!(
            "  ({i}) {} key 0x{} balance {balance} wei",
            signer.address(),
            alloy_primitives::hex::encode(signer.credential().to_bytes())
        );
    }
    if let Some(dir) = &args.state_dir {
        let head = node
            .lock()
            .map(|n| n.latest().header.number)
            .unwrap_or_default();
        println!("chain kept in {} (head block {head})", dir.display());
    }
    println!("listening on {}", server.url());

    shutdown_signal().await?;
    server.shutdown().await?;
    Ok(())
}

/// SIGINT or SIGTERM. Mined blocks are already on disk; this only lets open requests finish.
async fn shutdown_signal() -> std::io::Result<()> {
    let mut term = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate())?;
    tokio::select! {
        result = tokio::signal::ctrl_c() => result,
        _ = term.recv() => Ok(()),
    }
}
