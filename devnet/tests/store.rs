//! The on-disk chain: a node reopened from its directory, or a devnet process killed with SIGKILL
//! and started again, comes back with every block, blob, pending transaction and clock offset.

use std::{
    io::{BufRead, BufReader},
    process::{Child, Command, Stdio},
};

use alloy_consensus::{
    SignableTransaction, TxEip1559, TxEip4844, TxEip4844WithSidecar, TxEnvelope,
};
use alloy_eips::{
    eip2718::Encodable2718,
    eip4844::builder::{SidecarBuilder, SidecarCoder, SimpleCoder},
    eip7594::BlobTransactionSidecarVariant,
};
use alloy_primitives::{Address, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    store::StoreError,
    Node, NodeConfig,
};
use execute::Fork;
use serde_json::{json, Value};

const CHAIN_ID: u64 = 31337;
const BOB: Address = Address::repeat_byte(0xb0);

fn transfer(signer: &PrivateKeySigner, nonce: u64) -> Vec<u8> {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(BOB),
        value: U256::from(1_000 + nonce),
        ..Default::default()
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
}

/// A one-blob transaction in network form.
fn blob_transaction(signer: &PrivateKeySigner, nonce: u64) -> Vec<u8> {
    let sidecar = SidecarBuilder::<SimpleCoder>::from_slice(b"kept across restarts")
        .build_4844()
        .unwrap();
    let tx = TxEip4844 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: BOB,
        blob_versioned_hashes: sidecar.versioned_hashes().collect(),
        max_fee_per_blob_gas: 1_000,
        ..Default::default()
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    let tx = TxEip4844WithSidecar::from_tx_and_sidecar(
        tx,
        BlobTransactionSidecarVariant::Eip4844(sidecar),
    );
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
}

fn pool_config() -> NodeConfig {
    let mut config = NodeConfig::dev(CHAIN_ID, Fork::Osaka).unwrap();
    config.block_time = Some(1);
    config
}

#[test]
fn a_reopened_node_has_its_blocks_pool_and_clock() {
    let dir = tempfile::tempdir().unwrap();
    let alice = &dev_accounts(DEV_MNEMONIC, 1).unwrap()[0];
    let (head, balance) = {
        let mut node = Node::open(pool_config(), dir.path()).unwrap();
        node.send_raw_transaction(&transfer(alice, 0)).unwrap();
        node.send_raw_transaction(&transfer(alice, 1)).unwrap();
        node.send_raw_transaction(&blob_transaction(alice, 2))
            .unwrap();
        node.mine_pending().unwrap();
        node.mine_pending().unwrap();
        node.increase_time(500).unwrap();
        node.send_raw_transaction(&transfer(alice, 3)).unwrap();
        (node.latest().clone(), node.balance(BOB))
    };

    // A fresh process would stamp a new genesis time; the store keeps the first one.
    let mut config = pool_config();
    config.genesis_timestamp += 1_000;
    let mut node = Node::open(config, dir.path()).unwrap();
    assert_eq!(node.latest().hash, head.hash);
    assert_eq!(node.balance(BOB), balance);
    let blobs = node.blob_sidecars(1).unwrap();
    assert_eq!(blobs.len(), 1, "the blob came back");
    let data = SimpleCoder::default()
        .decode_all(&[*blobs[0].blob])
        .unwrap();
    assert_eq!(data, vec![b"kept across restarts".to_vec()]);
    assert_eq!(node.pending_transactions().count(), 1, "the pool came back");
    assert_eq!(node.increase_time(0).unwrap(), 500, "the clock offset too");
    let block = node.mine_pending().unwrap();
    assert_eq!(block.transactions.len(), 1);
    assert_eq!(node.nonce(alice.address()), 4);

    // Reverting drops blocks on disk as well.
    let id = node.snapshot();
    node.mine_pending().unwrap();
    assert!(node.revert(id).unwrap());
    let number = node.latest().header.number;
    drop(node);
    let node = Node::open(pool_config(), dir.path()).unwrap();
    assert_eq!(node.latest().header.number, number);
}

#[test]
fn a_store_from_another_configuration_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(Node::open(pool_config(), dir.path()).unwrap());
    let other = NodeConfig::dev(CHAIN_ID + 1, Fork::Osaka).unwrap();
    let Err(err) = Node::open(other, dir.path()) else {
        panic!(
            "a store of chain {CHAIN_ID} opened as chain {}",
            CHAIN_ID + 1
        )
    };
    assert!(matches!(err, StoreError::Mismatch(_)), "{err}");
    assert!(err.to_string().contains("genesis"), "{err}");
}

struct Devnet {
    child: Child,
    url: String,
}

impl Devnet {
    fn start(dir: &std::path::Path) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_devnet"))
            .args(["--port", "0", "--state-dir"])
            .arg(dir)
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        let stdout = BufReader::new(child.stdout.take().unwrap());
        let url = stdout
            .lines()
            .map(Result::unwrap)
            .find_map(|line| line.strip_prefix("listening on ").map(str::to_string))
            .expect("the devnet prints its address");
        Self { child, url }
    }

    fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let runtime = tokio::runtime::Runtime::new().unwrap();
        let answer: Value = runtime.block_on(async {
            reqwest::Client::new()
                .post(&self.url)
                .json(&body)
                .send()
                .await
                .unwrap()
                .json()
                .await
                .unwrap()
        });
        answer["result"].clone()
    }
}

#[test]
fn a_killed_devnet_restarts_with_its_chain() {
    let dir = tempfile::tempdir().unwrap();
    let alice = &dev_accounts(DEV_MNEMONIC, 1).unwrap()[0];
    let mut devnet = Devnet::start(dir.path());
    for nonce in 0..3 {
        let raw = alloy_primitives::hex::encode_prefixed(transfer(alice, nonce));
        assert!(devnet
            .call("eth_sendRawTransaction", json!([raw]))
            .is_string());
    }
    let head = devnet.call("eth_getBlockByNumber", json!(["latest", false]));
    let balance = devnet.call("eth_getBalance", json!([BOB, "latest"]));
    // SIGKILL: no shutdown path runs.
    devnet.child.kill().unwrap();
    devnet.child.wait().unwrap();

    let mut devnet = Devnet::start(dir.path());
    let again = devnet.call("eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(again["hash"], head["hash"]);
    assert_eq!(again["number"], "0x3");
    assert_eq!(
        devnet.call("eth_getBalance", json!([BOB, "latest"])),
        balance
    );
    let raw = alloy_primitives::hex::encode_prefixed(transfer(alice, 3));
    assert!(devnet
        .call("eth_sendRawTransaction", json!([raw]))
        .is_string());
    devnet.child.kill().unwrap();
    devnet.child.wait().unwrap();
}
