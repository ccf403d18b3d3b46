//! The `sequencer` binary against a devnet: it posts batches and claims on a schedule, a SIGKILL
//! loses nothing (the restarted process resumes from its store at the same head and goes on, and
//! its proposer from its last claim on L1), and SIGTERM stops it cleanly.

use std::{
    io::{BufRead, BufReader},
    net::SocketAddr,
    process::{Child, Command, Stdio},
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy_primitives::{hex, Address, U256};
use alloy_provider::Provider;
use alloy_sol_types::SolCall;
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    server::Server,
    Node, NodeConfig,
};
use execute::{ChainConfig, Fork};
use l1_contracts::provider::l1_provider;
use l1_contracts::{
    deploy::{deploy_rollup, Sequencing},
    rollup::Rollup,
};
use rollup::derive::L2Chain;
use sequencer::genesis::dev_genesis;
use serde_json::{json, Value};

const CHAIN_ID: u64 = 903;

struct Sequencer {
    child: Child,
    url: String,
}

impl Sequencer {
    fn start(args: &[String], keys: (&str, &str)) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_sequencer"))
            .args(args)
            .env("SEQUENCER_KEY", keys.0)
            .env("PROPOSER_KEY", keys.1)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let mut stdout = BufReader::new(child.stdout.take().unwrap());
        let mut line = String::new();
        let url = loop {
            line.clear();
            assert!(
                stdout.read_line(&mut line).unwrap() > 0,
                "no address printed"
            );
            if let Some(url) = line.trim().strip_prefix("listening on ") {
                break url.to_string();
            }
        };
        // Keep draining, so a full pipe never blocks it.
        std::thread::spawn(move || for _ in stdout.lines() {});
        Self { child, url }
    }

    async fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let answer: Value = reqwest::Client::new()
            .post(&self.url)
            .json(&body)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        answer["result"].clone()
    }

    async fn head(&self) -> u64 {
        let status = self.call("rollup_status", json!([])).await;
        u64::from_str_radix(
            status["head"].as_str().unwrap().trim_start_matches("0x"),
            16,
        )
        .unwrap()
    }

    async fn wait_for_head(&self, at_least: u64) -> u64 {
        let started = Instant::now();
        loop {
            let head = self.head().await;
            if head >= at_least {
                return head;
            }
            assert!(
                started.elapsed() < Duration::from_secs(120),
                "stuck at {head}"
            );
            tokio::time::sleep(Duration::from_millis(200)).await;
        }
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_killed_sequencer_resumes_and_a_terminated_one_stops_cleanly() {
    let devnet = Arc::new(Mutex::new(Node::new(
        NodeConfig::dev(31337, Fork::Osaka).unwrap(),
    )));
    let server = Server::start(devnet, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let keys = dev_accounts(DEV_MNEMONIC, 2).unwrap();
    let l1 = l1_provider(server.url().parse().unwrap(), keys[0].clone());
    let genesis = dev_genesis(
        CHAIN_ID,
        ChainConfig::mainnet(Fork::Osaka).schedule(),
        8,
        &[],
        Address::repeat_byte(0xfe),
    )
    .unwrap();
    let genesis_hash = L2Chain::new(genesis.config.clone(), genesis.accounts, 0)
        .unwrap()
        .head()
        .hash_slow();
    let deployment = deploy_rollup(
        &l1,
        keys[0].address(),
        Sequencing::BASED,
        genesis.config.chain_rlp(),
        genesis_hash,
        genesis.config.rollup_config(Rollup::Config {
            challengeWindow: 3_600,
            clock: 600,
            proposalBond: U256::from(10u128.pow(18)),
            challengeBond: U256::from(10u128.pow(17)),
            degree: 4,
            gasLimit: 0,
            feeRecipient: Address::ZERO,
        }),
    )
    .await
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let args: Vec<String> = [
        "--l1-rpc",
        &server.url(),
        "--inbox",
        &deployment.inbox.to_string(),
        "--start-block",
        &deployment.inbox_block.to_string(),
        "--rollup",
        &deployment.rollup.to_string(),
        "--chain-id",
        &CHAIN_ID.to_string(),
        "--senders",
        "8",
        "--load-gas",
        "400000",
        "--interval-ms",
        "200",
        "--propose-every",
        "2",
        "--listen",
        "127.0.0.1:0",
        "--state-dir",
        dir.path().to_str().unwrap(),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let secret = |i: usize| hex::encode_prefixed(keys[i].to_bytes());
    let (sequencer_key, proposer_key) = (secret(0), secret(1));
    let keys_env = (sequencer_key.as_str(), proposer_key.as_str());

    let mut sequencer = Sequencer::start(&args, keys_env);
    let head = sequencer.wait_for_head(3).await;
    let block = sequencer
        .call("eth_getBlockByNumber", json!([format!("{head:#x}"), false]))
        .await;
    // SIGKILL: no shutdown path runs.
    sequencer.child.kill().unwrap();
    sequencer.child.wait().unwrap();

    let mut sequencer = Sequencer::start(&args, keys_env);
    assert!(
        sequencer.head().await >= head,
        "resumed at its head or later"
    );
    let again = sequencer
        .call("eth_getBlockByNumber", json!([format!("{head:#x}"), false]))
        .await;
    assert_eq!(again["hash"], block["hash"]);
    let later = sequencer.wait_for_head(head + 2).await;

    // The proposer went on from its claims on L1: every claim is for an even block, in order.
    let call = Rollup::claimCountCall {};
    let request = alloy_rpc_types_eth::TransactionRequest::default()
        .to(deployment.rollup)
        .input(call.abi_encode().into());
    let count: u64 = Rollup::claimCountCall::abi_decode_returns(&l1.call(request).await.unwrap())
        .unwrap()
        .to();
    assert!(count >= 2, "claims: {count}");
    let mut last = 0;
    for id in 1..count {
        let call = Rollup::claimCall { id: U256::from(id) };
        let request = alloy_rpc_types_eth::TransactionRequest::default()
            .to(deployment.rollup)
            .input(call.abi_encode().into());
        let claim =
            Rollup::claimCall::abi_decode_returns(&l1.call(request).await.unwrap()).unwrap();
        assert_eq!(claim.l2Block, last + 2, "claim {id}");
        assert!(claim.l2Block <= later);
        last = claim.l2Block;
    }

    // SIGTERM: a clean stop.
    let stopped = Command::new("kill")
        .args(["-TERM", &sequencer.child.id().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let status = sequencer.child.wait().unwrap();
    assert!(status.success(), "{status}");
    server.shutdown().await.unwrap();
}
