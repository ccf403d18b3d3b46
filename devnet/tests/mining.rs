//! Interval mining: transactions wait in a pool, nonces count what is pending, blocks take what
//! fits and the rest waits, a transaction that can no longer run is dropped, and the server's
//! timer mines blocks on its own.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::Duration,
};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    server::Server,
    Node, NodeConfig,
};
use execute::{witness::AccountState, Fork};

const CHAIN_ID: u64 = 31337;
const GWEI: u128 = 1_000_000_000;

fn pool_node(gas_limit: u64) -> Node {
    let mut config = NodeConfig::dev(CHAIN_ID, Fork::Osaka).unwrap();
    config.block_time = Some(1);
    config.gas_limit = gas_limit;
    Node::new(config)
}

fn transfer(signer: &PrivateKeySigner, nonce: u64, value: U256, gas_limit: u64) -> Vec<u8> {
    let tx = TxEip1559 {
        chain_id: CHAIN_ID,
        nonce,
        gas_limit,
        max_fee_per_gas: 10 * GWEI,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::repeat_byte(0xb0)),
        value,
        ..Default::default()
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
}

#[test]
fn the_pool_counts_pending_nonces_and_a_block_takes_what_fits() {
    let mut node = pool_node(50_000);
    let keys = dev_accounts(DEV_MNEMONIC, 2).unwrap();
    let alice = &keys[0];
    for nonce in 0..3 {
        node.send_raw_transaction(&transfer(alice, nonce, U256::from(1), 21_000))
            .unwrap();
    }
    assert_eq!(node.latest().header.number, 0, "nothing mined yet");
    assert_eq!(node.nonce(alice.address()), 0);
    assert_eq!(node.pending_nonce(alice.address()), 3);
    assert_eq!(node.pending_transactions().count(), 3);

    // Two 21,000-gas transfers fit a 50,000-gas block; the third waits.
    assert_eq!(node.mine_pending().unwrap().transactions.len(), 2);
    assert_eq!(node.pending_transactions().count(), 1);
    assert_eq!(node.mine_pending().unwrap().transactions.len(), 1);
    assert_eq!(node.nonce(alice.address()), 3);
    assert_eq!(
        node.mine_pending().unwrap().transactions.len(),
        0,
        "empty blocks too"
    );
}

#[test]
fn a_transaction_that_can_no_longer_run_is_dropped_with_its_successors() {
    let mut config = NodeConfig::dev(CHAIN_ID, Fork::Osaka).unwrap();
    config.block_time = Some(1);
    let poor = PrivateKeySigner::random();
    // Enough for one transfer of 1 ether plus gas, not two.
    let ether = U256::from(10u128.pow(18));
    config.alloc.push((
        poor.address(),
        AccountState {
            balance: ether + U256::from(21_000 * 10 * GWEI * 2),
            ..Default::default()
        },
    ));
    let mut node = Node::new(config);
    let alice = &dev_accounts(DEV_MNEMONIC, 1).unwrap()[0];

    node.send_raw_transaction(&transfer(&poor, 0, ether, 21_000))
        .unwrap();
    // Admission checks each against the latest state, so the second also gets in.
    node.send_raw_transaction(&transfer(&poor, 1, ether / U256::from(2), 21_000))
        .unwrap();
    node.send_raw_transaction(&transfer(&poor, 2, U256::from(1), 21_000))
        .unwrap();
    let kept = node
        .send_raw_transaction(&transfer(alice, 0, U256::from(1), 21_000))
        .unwrap();
    let block = node.mine_pending().unwrap();
    assert_eq!(block.tx_hashes.len(), 2, "poor's first and alice's");
    assert_eq!(block.tx_hashes[1], kept);
    assert_eq!(node.pending_transactions().count(), 0);
    assert_eq!(node.pending_nonce(poor.address()), 1);
}

#[test]
fn the_server_mines_on_its_interval() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let node = Arc::new(Mutex::new(pool_node(30_000_000)));
    let server = runtime
        .block_on(Server::start(
            node.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .unwrap();
    let alice = &dev_accounts(DEV_MNEMONIC, 1).unwrap()[0];
    let hash = node
        .lock()
        .unwrap()
        .send_raw_transaction(&transfer(alice, 0, U256::from(1), 21_000))
        .unwrap();
    // Generous: a loaded machine may delay the timer, never skip it.
    let mined = (0..100).any(|_| {
        std::thread::sleep(Duration::from_millis(100));
        node.lock().unwrap().transaction(hash).is_some()
    });
    assert!(mined, "the interval miner mined the pending transaction");
    runtime.block_on(server.shutdown()).unwrap();
}
