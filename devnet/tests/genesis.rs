//! A devnet from a genesis file: accounts and chain id taken, forks activated by timestamp, and
//! EXECUTE following the fork of the block it runs in.

use alloy_primitives::{address, Address, U256};
use devnet::{
    genesis::{from_genesis, GenesisError},
    CallRequest, Node,
};
use execute::{
    chain::ScheduleError, forks::ForksError, precompile::abi_bool, reference::sample_step_at,
    ChainConfig, Fork, ForkSchedule, EXECUTE_ADDRESS,
};
use serde_json::{json, Value};

const RICH: Address = address!("0x00000000000000000000000000000000000e1c11");
const GENESIS_TIME: u64 = 1_800_000_000;

fn genesis(config: Value) -> Value {
    json!({
        "config": config,
        "timestamp": format!("{GENESIS_TIME:#x}"),
        "gasLimit": "0x1c9c380",
        "difficulty": "0x0",
        "alloc": { RICH.to_string(): { "balance": "0xde0b6b3a7640000", "nonce": "0x2" } },
    })
}

fn schedule() -> Value {
    json!({
        "chainId": 4242,
        "cancunTime": 0,
        "pragueTime": GENESIS_TIME + 1_000,
        "osakaTime": GENESIS_TIME + 2_000,
        "bpo1Time": GENESIS_TIME + 3_000,
        "blobSchedule": {
            "cancun": { "target": 3, "max": 6, "baseFeeUpdateFraction": 3338477 },
            "prague": { "target": 6, "max": 9, "baseFeeUpdateFraction": 5007716 },
            "osaka": { "target": 6, "max": 9, "baseFeeUpdateFraction": 5007716 },
            "bpo1": { "target": 10, "max": 15, "baseFeeUpdateFraction": 8346193 }
        }
    })
}

fn node(config: Value) -> Result<Node, GenesisError> {
    let genesis = serde_json::from_value(genesis(config)).unwrap();
    from_genesis(&genesis).map(Node::new)
}

/// Whether EXECUTE, called in the next block, accepts a block built by `fork`'s rules at
/// `block_time`.
fn execute_accepts(node: &Node, fork: Fork, block_time: u64) -> bool {
    let chain = ChainConfig {
        chain_id: 7,
        ..ChainConfig::mainnet(fork)
    };
    let step = sample_step_at(chain, 1, 300_000, block_time - 12);
    let request = CallRequest {
        to: Some(EXECUTE_ADDRESS),
        data: step.abi_encode().into(),
        ..Default::default()
    };
    node.call(&request).unwrap().0 == abi_bool(true)
}

#[test]
fn forks_activate_on_schedule_and_execute_follows_them() {
    let mut node = node(schedule()).unwrap();
    assert_eq!(node.chain().chain_id, 4242);
    assert_eq!(node.balance(RICH), U256::from(10u128.pow(18)));
    assert_eq!(node.nonce(RICH), 2);
    assert_eq!(node.latest().header.timestamp, GENESIS_TIME);
    let (before, prague, osaka) = (
        GENESIS_TIME + 10,
        GENESIS_TIME + 1_000,
        GENESIS_TIME + 2_500,
    );

    node.set_next_timestamp(before);
    assert_eq!(node.chain().fork, Fork::Cancun);
    assert!(execute_accepts(&node, Fork::Cancun, before));
    assert!(!execute_accepts(&node, Fork::Prague, before));
    assert!(
        !execute_accepts(&node, Fork::Prague, prague),
        "a fork the host has not reached"
    );
    assert!(node
        .mine(Vec::new())
        .unwrap()
        .header
        .requests_hash
        .is_none());

    node.set_next_timestamp(prague);
    assert_eq!(node.chain().fork, Fork::Prague);
    assert!(execute_accepts(&node, Fork::Prague, prague));
    assert!(!execute_accepts(&node, Fork::Cancun, prague));
    assert!(
        execute_accepts(&node, Fork::Cancun, before),
        "a block from before the fork is still proven by its own rules"
    );
    let mined = node.mine(Vec::new()).unwrap();
    assert!(mined.header.requests_hash.is_some(), "Prague headers");

    node.set_next_timestamp(osaka);
    assert_eq!(node.chain().fork, Fork::Osaka);
    assert!(execute_accepts(&node, Fork::Osaka, osaka));
    assert!(execute_accepts(&node, Fork::Prague, prague));
    assert!(execute_accepts(&node, Fork::Cancun, before));
    assert_eq!(node.chain().blobs.max, 9);
    node.mine(Vec::new()).unwrap();

    node.set_next_timestamp(GENESIS_TIME + 3_000);
    assert_eq!(node.chain().fork, Fork::Osaka, "BPO forks keep Osaka's EVM");
    assert_eq!(node.chain().blobs.max, 15);
    node.mine(Vec::new()).unwrap();
}

#[test]
fn eth_config_reports_current_next_and_last_fork() {
    let mut node = node(schedule()).unwrap();
    let config = |node: &Node| {
        let genesis = &node.block(0).unwrap().header;
        devnet::fork_config::eth_config(
            node.chain().params(),
            node.schedule(),
            (genesis.hash_slow(), genesis.timestamp),
            node.latest().header.timestamp,
        )
    };
    let at_genesis = config(&node);
    assert_eq!(at_genesis.current.activation_time, 0);
    assert_eq!(at_genesis.current.chain_id, 4242);
    assert_eq!(at_genesis.current.blob_schedule.max_blob_count, 6);
    assert_eq!(
        at_genesis.current.precompiles.get("EXECUTE"),
        Some(&EXECUTE_ADDRESS)
    );
    assert!(!at_genesis.current.precompiles.contains_key("BLS12_G1ADD"));
    let next = at_genesis.next.as_ref().expect("Prague is scheduled");
    assert_eq!(next.activation_time, GENESIS_TIME + 1_000);
    assert!(next.precompiles.contains_key("BLS12_G1ADD"));
    assert_ne!(next.fork_id, at_genesis.current.fork_id);
    let last = at_genesis.last.expect("BPO1 is the last fork");
    assert_eq!(last.activation_time, GENESIS_TIME + 3_000);
    assert_eq!(last.blob_schedule.max_blob_count, 15);

    node.set_next_timestamp(GENESIS_TIME + 3_000);
    node.mine(Vec::new()).unwrap();
    let at_end = config(&node);
    assert_eq!(at_end.current.activation_time, GENESIS_TIME + 3_000);
    assert_eq!(at_end.current.fork_id, last.fork_id);
    assert!(at_end.next.is_none() && at_end.last.is_none());
}

/// What the L2's nodes take from `eth_config`: the forks from the current one on, exactly as the
/// devnet applies them, unless a fork hides between `next` and `last` (its fork hashes tell).
#[test]
fn eth_config_gives_the_schedule_from_the_current_fork_on() {
    let mut node = node(schedule()).unwrap();
    let served = |node: &Node| {
        let genesis = &node.block(0).unwrap().header;
        let config = devnet::fork_config::eth_config(
            node.chain().params(),
            node.schedule(),
            (genesis.hash_slow(), genesis.timestamp),
            node.latest().header.timestamp,
        );
        ForkSchedule::from_eth_config(&config)
    };
    // Cancun now, Prague next, BPO1 last: Osaka between them is not served.
    assert_eq!(
        served(&node),
        Err(ForksError::HiddenForks {
            after: GENESIS_TIME + 1_000,
            before: GENESIS_TIME + 3_000
        })
    );
    node.set_next_timestamp(GENESIS_TIME + 1_000);
    node.mine(Vec::new()).unwrap();
    let from_prague = served(&node).unwrap();
    assert_eq!(
        from_prague.activations(),
        &node.schedule().activations()[1..],
        "Prague, Osaka and BPO1 as the devnet runs them"
    );
    node.set_next_timestamp(GENESIS_TIME + 3_000);
    node.mine(Vec::new()).unwrap();
    assert_eq!(
        served(&node).unwrap().activations(),
        &node.schedule().activations()[3..]
    );
}

#[test]
fn a_genesis_past_some_forks_starts_at_the_latest_active_one() {
    let mut config = schedule();
    config["pragueTime"] = json!(GENESIS_TIME);
    let node = node(config).unwrap();
    assert!(node.latest().header.requests_hash.is_some());
    assert_eq!(node.chain_at(GENESIS_TIME).fork, Fork::Prague);
    assert_eq!(node.chain_at(GENESIS_TIME + 2_000).fork, Fork::Osaka);
}

#[test]
fn unsupported_genesis_files_are_refused_with_the_reason() {
    let reason = |config: Value| match node(config) {
        Err(GenesisError::Forks(reason)) => reason,
        other => panic!("expected refusal, got {other:?}"),
    };
    let mut late = schedule();
    late["amsterdamTime"] = json!(GENESIS_TIME + 9_000);
    assert_eq!(reason(late), ForksError::AfterOsaka);
    let mut no_cancun = schedule();
    for fork in ["cancunTime", "pragueTime", "osakaTime", "bpo1Time"] {
        no_cancun.as_object_mut().unwrap().remove(fork);
    }
    assert_eq!(reason(no_cancun), ForksError::NoCancunAtGenesis);
    let mut cancun_later = schedule();
    cancun_later["cancunTime"] = json!(GENESIS_TIME + 1);
    cancun_later["pragueTime"] = json!(GENESIS_TIME + 2);
    assert_eq!(reason(cancun_later), ForksError::NoCancunAtGenesis);
    let mut bpo_without_params = schedule();
    bpo_without_params["blobSchedule"]
        .as_object_mut()
        .unwrap()
        .remove("bpo1");
    assert_eq!(reason(bpo_without_params), ForksError::MissingBlobs("bpo1"));
    let mut backwards = schedule();
    backwards["osakaTime"] = json!(GENESIS_TIME + 500);
    assert!(matches!(
        reason(backwards),
        ForksError::OutOfOrder { fork: "osaka", .. }
    ));
    let mut bad_blobs = schedule();
    bad_blobs["blobSchedule"]["prague"]["target"] = json!(20);
    assert!(matches!(
        reason(bad_blobs),
        ForksError::Schedule(ScheduleError::Blobs { timestamp, .. })
            if timestamp == GENESIS_TIME + 1_000
    ));

    assert!(matches!(
        devnet::genesis::from_file(std::path::Path::new("/nonexistent/genesis.json")),
        Err(GenesisError::Io { .. })
    ));
}
