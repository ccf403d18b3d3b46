//! `devnet`: an L1 dev node with EXECUTE, serving JSON-RPC on loopback.

use std::{
    net::{IpAddr, SocketAddr},
    sync::{Arc, Mutex},
};

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
}

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
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
    let config = NodeConfig::dev(args.chain_id, fork)?;
    let node = Arc::new(Mutex::new(Node::new(config)));
    let server = Server::start(node, SocketAddr::new(args.host, args.port)).await?;

    println!(
        "devnet: chain id {}, fork {fork:?}, EXECUTE at {}",
        args.chain_id,
        execute::EXECUTE_ADDRESS
    );
    println!("accounts ({DEV_MNEMONIC}), 10000 ETH each:");
    for (i, signer) in dev_accounts(DEV_MNEMONIC, 10)?.iter().enumerate() {
        println!(
            "  ({i}) {} key 0x{}",
            signer.address(),
            alloy_primitives::hex::encode(signer.credential().to_bytes())
        );
    }
    println!("listening on {}", server.url());

    tokio::signal::ctrl_c().await?;
    server.shutdown().await?;
    Ok(())
}
