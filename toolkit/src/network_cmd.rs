//! `toolkit network`: a standalone rollup network in one command, to point `challenger run`,
//! `challenger games`, `cast` or a wallet at: the L1 devnet with EXECUTE (JSON-RPC and beacon
//! API), the rollup's contracts deployed, and the sequencer (L2 JSON-RPC, generated load, blob
//! batches) and proposer running until Ctrl-C (or SIGTERM). The free dev keys are funded on both
//! chains, so a user can act on the L2 at once.

use std::{net::SocketAddr, time::Duration};

use alloy_primitives::{hex, Address};
use anyhow::{Context, Result};
use devnet::accounts::{addresses, dev_accounts, DEV_MNEMONIC};
use rollup::{lie::BlockLie, rules::L2_BRIDGE};
use sequencer::genesis::dev_genesis;
use testnet::{prague_osaka_bpo1, unix_now, Network, NetworkConfig, KEYS, L1_CHAIN_ID, SENDERS};

/// What the printed message calls on the L2: an address without code, so the call moves its
/// value and nothing else.
const MESSAGE_TO: Address = Address::repeat_byte(0x77);

/// `toolkit network`'s settings.
#[derive(Debug, clap::Args)]
pub(crate) struct NetworkArgs {
    /// L1 JSON-RPC and beacon API port.
    #[arg(long, default_value_t = 8545)]
    port: u16,
    /// L2 JSON-RPC port (the sequencer).
    #[arg(long, default_value_t = 9545)]
    l2_port: u16,
    /// The L2 chain id.
    #[arg(long, default_value_t = 901)]
    chain_id: u64,
    /// The proposer claims every N L2 blocks.
    #[arg(long, default_value_t = 4)]
    every: u64,
    /// L2 blocks per batch at most.
    #[arg(long, default_value_t = 2)]
    blocks_per_batch: usize,
    /// Gas of generated L2 load per tick (0: none; send your own transactions to the L2 port).
    #[arg(long, default_value_t = 1_000_000)]
    load_gas: u64,
    /// Milliseconds between sequencer ticks (one batch each at most).
    #[arg(long, default_value_t = 2_000)]
    interval_ms: u64,
    /// Make the proposer lie about one block (drop:BLOCK:K, reorder:BLOCK:A:B, root:BLOCK:K,
    /// gas:BLOCK, timestamp:BLOCK, include:BLOCK:K), for a watchtower to catch.
    #[arg(long)]
    lie: Option<BlockLie>,
    /// Run across L1 forks: Prague from the start, Osaka this many seconds later, BPO1 twice as
    /// many (without it, Osaka throughout).
    #[arg(long, value_name = "SECONDS")]
    forks_after: Option<u64>,
}

/// Starts the network, prints how to reach it, and runs until Ctrl-C.
pub(crate) async fn run(args: NetworkArgs) -> Result<()> {
    let mut config = NetworkConfig {
        addr: SocketAddr::from(([127, 0, 0, 1], args.port)),
        ..NetworkConfig::dev(args.chain_id)
    };
    if let Some(after) = args.forks_after {
        let now = unix_now();
        config.l1_schedule = prague_osaka_bpo1(now + after, now + 2 * after)?;
    }
    // Keys 0 and 1 are the sequencer's and the proposer's; the others are the users'.
    let free: Vec<Address> = addresses(&dev_accounts(DEV_MNEMONIC, KEYS)?)[2..].to_vec();
    config.genesis = dev_genesis(
        args.chain_id,
        config.l1_schedule.clone(),
        SENDERS,
        &free,
        config.genesis.config.fee_recipient,
    )?;
    let fund = free
        .iter()
        .map(Address::to_string)
        .collect::<Vec<_>>()
        .join(",");
    let schedule = config.l1_schedule.clone();
    let network = Network::start(config).await?;
    // The devnet lives in memory, so the sequencer's store lives as long as it does.
    let dir = tempfile::tempdir()?;
    let sequencer = network.sequencer(
        &dir.path().join("sequencer"),
        args.blocks_per_batch,
        args.load_gas,
        Some((args.every, args.lie)),
    )?;
    let l2 = sequencer::rpc::serve(
        sequencer.shared().clone(),
        SocketAddr::from(([127, 0, 0, 1], args.l2_port)),
    )
    .await
    .with_context(|| format!("serving the L2 on port {}", args.l2_port))?;
    let d = &network.deployment;
    let url = network.url();
    let key = |i: usize| hex::encode_prefixed(network.keys[i].to_bytes());
    println!("L1 devnet with EXECUTE    {url}  (chain {L1_CHAIN_ID}; beacon API at the same URL)");
    println!(
        "L2 sequencer JSON-RPC     {}  (chain {})",
        l2.url(),
        args.chain_id
    );
    println!("rollup                    {}", d.rollup);
    println!(
        "inbox                     {}  (deployed in L1 block {})",
        d.inbox, d.inbox_block
    );
    println!("blob reader               {}", d.blob_data);
    println!(
        "bridge                    {}  (L2 predeploy {L2_BRIDGE})",
        d.bridge
    );
    let now = unix_now();
    for a in schedule.activations() {
        let when = match a.timestamp.checked_sub(now) {
            Some(wait) if wait > 0 => format!("in {wait} s (L1 time {})", a.timestamp),
            _ => "now".to_string(),
        };
        println!(
            "L1 fork                   {:?}, {} blobs per block at most: {when}",
            a.fork, a.blobs.max
        );
    }
    println!(
        "sequencer key 0 {}, proposer key 1 {} (claims every {} blocks{})",
        network.keys[0].address(),
        network.keys[1].address(),
        args.every,
        args.lie
            .map(|l| format!(", lying: {l}"))
            .unwrap_or_default()
    );
    println!("free dev keys (funded on L1, and with 1,000 ether each on the L2):");
    for i in 2..KEYS as usize {
        println!("  {i}  {}  {}", network.keys[i].address(), key(i));
    }
    println!();
    println!("from another terminal:");
    println!(
        "  CHALLENGER_KEY={} challenger run --l1-rpc {url} --rollup {} --start-block {} \
         --chain-id {} --senders {SENDERS} --fund {fund} --state-dir ./challenger-data",
        key(2),
        d.rollup,
        d.inbox_block,
        args.chain_id
    );
    println!("  challenger games --l1-rpc {url} --rollup {}", d.rollup);
    println!(
        "  cast call {} 'claimCount()(uint256)' --rpc-url {url}",
        d.rollup
    );
    println!("  cast block-number --rpc-url {}", l2.url());
    println!(
        "  cast send --rpc-url {} --private-key {} {} --value 1ether   # on the L2",
        l2.url(),
        key(3),
        network.keys[4].address()
    );
    println!(
        "  cast send --rpc-url {url} --private-key {} {} 'deposit(address)' {} --value 1ether   \
         # L1 -> L2: credited by the next batch's first block",
        key(5),
        d.inbox,
        network.keys[5].address()
    );
    println!(
        "  DEPOSIT_KEY={} toolkit bridge deposit --l1-rpc {url} --inbox {} --to {} \
         --value 0.25ether   # the same through the toolkit",
        key(4),
        d.inbox,
        network.keys[4].address()
    );
    println!(
        "  cast balance {} --rpc-url {}   # the deposit arrived",
        network.keys[5].address(),
        l2.url()
    );
    println!(
        "  cast send --rpc-url {} --private-key {} {L2_BRIDGE} 'withdraw(address)' {} \
         --value 0.5ether   # L2 -> L1: withdrawal 0 (its log gives the nonce)",
        l2.url(),
        key(5),
        network.keys[5].address()
    );
    println!(
        "  toolkit bridge withdrawals --l1-rpc {url} --l2-rpc {} --bridge {}   \
         # where each withdrawal stands",
        l2.url(),
        d.bridge
    );
    println!(
        "  WITHDRAW_KEY={} toolkit bridge withdraw --l1-rpc {url} --l2-rpc {} --bridge {} \
         --nonce 0   # once a claim covering it is past its window",
        key(5),
        l2.url(),
        d.bridge
    );
    println!(
        "  cast send --rpc-url {url} --private-key {} {} 'depositCall(address,bytes)' {MESSAGE_TO} \
         0xc0ffee --value 0.1ether   # L1 -> L2 call: message 0 (the L2 bridge makes the call)",
        key(5),
        d.inbox,
    );
    println!(
        "  toolkit bridge messages --l1-rpc {url} --l2-rpc {} --inbox {}   \
         # where each message stands",
        l2.url(),
        d.inbox
    );
    println!(
        "  RELAY_KEY={} toolkit bridge relay --l1-rpc {url} --l2-rpc {} --inbox {} --message 0   \
         # from the L2 block after the one crediting it",
        key(5),
        l2.url(),
        d.inbox
    );
    if args.forks_after.is_some() {
        println!("  cast rpc eth_config --rpc-url {url}   # the current, next and last fork");
        println!(
            "(start the watchtower before Osaka: eth_config then names every fork; the rollup \
             needs no upgrade as the L1 forks)"
        );
    }
    println!("Ctrl-C stops it.");
    use tokio::signal::unix::{signal, SignalKind};
    let mut term = signal(SignalKind::terminate())?;
    let mut int = signal(SignalKind::interrupt())?;
    sequencer
        .run(Duration::from_millis(args.interval_ms), async {
            tokio::select! {
                _ = term.recv() => {}
                _ = int.recv() => {}
            }
        })
        .await;
    l2.shutdown().await?;
    network.server.shutdown().await?;
    Ok(())
}
