//! `challenger run` against a lying proposer on the devnet, over real JSON-RPC: the proposer
//! claims an L2 block with one transaction dropped and defends its lie move by move (a
//! watchtower in test mode); the daemon, deriving the chain from L1 alone, challenges, bisects,
//! wins with an EXECUTE step, collects the bonds, and stops cleanly on SIGTERM.

use std::{
    net::SocketAddr,
    process::{Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy_primitives::{hex, Address, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use bisect::{deploy::deploy_rollup, step::Rollup};
use challenger::watchtower::{WatchConfig, Watchtower};
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    server::Server,
    Node, NodeConfig,
};
use execute::Fork;
use rollup::{
    derive::{L2Chain, Lie},
    node::L2Node,
};
use sequencer::{
    genesis::{dev_genesis, load_generator},
    l1::l1_provider,
    pool::Pool,
    proposer::{BlockLie, Proposer},
    rpc::Shared,
    service::{Sequencer, SequencerConfig},
};

const CHAIN_ID: u64 = 904;
const SENDERS: usize = 8;
const ETHER: u128 = 10u128.pow(18);

async fn rollup_call<C: SolCall>(provider: &impl Provider, rollup: Address, c: C) -> C::Return {
    let request = TransactionRequest::default()
        .to(rollup)
        .input(c.abi_encode().into());
    C::abi_decode_returns(&provider.call(request).await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_defeats_a_lying_proposer_with_an_execute_step() {
    let devnet = Arc::new(Mutex::new(Node::new(
        NodeConfig::dev(31337, Fork::Osaka).unwrap(),
    )));
    let server = Server::start(devnet, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url: reqwest::Url = server.url().parse().unwrap();
    let keys = dev_accounts(DEV_MNEMONIC, 3).unwrap();
    let poster = l1_provider(url.clone(), keys[0].clone());
    let liar_l1 = l1_provider(url.clone(), keys[1].clone());
    let genesis = || {
        dev_genesis(
            CHAIN_ID,
            Fork::Osaka,
            SENDERS,
            &[],
            Address::repeat_byte(0xfe),
        )
    };
    let config = genesis().config;
    let genesis_hash = {
        let g = genesis();
        L2Chain::new(g.config, g.accounts, 0).head().hash_slow()
    };
    let deployment = deploy_rollup(
        &poster,
        Address::ZERO,
        &config,
        genesis_hash,
        Rollup::Config {
            challengeWindow: 3_600,
            clock: 600,
            proposalBond: U256::from(ETHER),
            challengeBond: U256::from(ETHER / 2),
            degree: 4,
            gasLimit: 0,
            feeRecipient: Address::ZERO,
        },
    )
    .await
    .unwrap();

    // The sequencer posts three blocks; the proposer claims block 2 without its first transaction.
    let dir = tempfile::tempdir().unwrap();
    let lie = BlockLie {
        block: 2,
        lie: Lie::Drop(0),
    };
    let node = L2Node::open(
        dir.path().join("sequencer"),
        genesis(),
        deployment.inbox_block,
    )
    .unwrap();
    let shared = Shared::new(node, Pool::new(CHAIN_ID, config.gas_limit));
    let proposer = Proposer::new(
        liar_l1.clone(),
        deployment.rollup,
        keys[1].address(),
        2,
        Some(lie),
    );
    let mut sequencer = Sequencer::new(
        shared,
        poster.clone(),
        &server.url(),
        SequencerConfig {
            inbox: deployment.inbox,
            blocks_per_batch: 1,
            load_gas: 600_000,
            window: 1_000,
        },
        Some(load_generator(&config, SENDERS)),
        Some(proposer),
    );
    for _ in 0..3 {
        sequencer.tick().await.unwrap();
    }
    let claim = rollup_call(
        &poster,
        deployment.rollup,
        Rollup::claimCall { id: U256::from(1) },
    )
    .await;
    assert_eq!(claim.l2Block, 2);

    // The liar defends its claim with the moves its lie implies.
    let liar_node =
        L2Node::open(dir.path().join("liar"), genesis(), deployment.inbox_block).unwrap();
    let mut liar = Watchtower::new(
        liar_node,
        liar_l1,
        &server.url(),
        WatchConfig {
            rollup: deployment.rollup,
            address: keys[1].address(),
            max_gas_price: u128::MAX,
            lie: Some(lie),
        },
    )
    .await
    .unwrap();

    // The daemon.
    let secret = hex::encode_prefixed(keys[2].to_bytes());
    let mut daemon = Command::new(env!("CARGO_BIN_EXE_challenger"))
        .args(["run", "--l1-rpc", &server.url(), "--rollup"])
        .arg(deployment.rollup.to_string())
        .args(["--start-block", &deployment.inbox_block.to_string()])
        .args(["--chain-id", &CHAIN_ID.to_string()])
        .args([
            "--senders",
            &SENDERS.to_string(),
            "--interval-ms",
            "250",
            "--state-dir",
        ])
        .arg(dir.path().join("daemon"))
        .env("CHALLENGER_KEY", &secret)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();

    let started = Instant::now();
    let status = loop {
        liar.tick().await.unwrap();
        let count: u64 = rollup_call(&poster, deployment.rollup, Rollup::gameCountCall {})
            .await
            .to();
        if count > 0 {
            let game = rollup_call(
                &poster,
                deployment.rollup,
                Rollup::gameCall { id: U256::ZERO },
            )
            .await;
            if game.status as u8 != 0 {
                break game.status as u8;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(120), "no result");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(status, 2, "the challenger won");
    let claim = rollup_call(
        &poster,
        deployment.rollup,
        Rollup::claimCall { id: U256::from(1) },
    )
    .await;
    assert_eq!(claim.status as u8, 2, "the claim is rejected");
    assert_eq!(
        rollup_call(
            &poster,
            deployment.rollup,
            Rollup::gameCall { id: U256::ZERO }
        )
        .await
        .challenger,
        keys[2].address()
    );

    // The daemon withdraws its winnings.
    let started = Instant::now();
    loop {
        let credit = rollup_call(
            &poster,
            deployment.rollup,
            Rollup::creditCall(keys[2].address()),
        )
        .await;
        if credit.is_zero() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(30),
            "credit {credit} not withdrawn"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }

    let stopped = Command::new("kill")
        .args(["-TERM", &daemon.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    assert!(daemon.wait().unwrap().success());
    server.shutdown().await.unwrap();
}
