//! Where the L2's binaries take the L1's forks from: `--l1-genesis` gives the schedule the devnet
//! runs from the same file, whole, where `eth_config` reaches back only to the current fork.

use alloy_primitives::Address;
use alloy_provider::ProviderBuilder;
use sequencer::genesis::{GenesisArgs, L1ForksError};
use serde_json::json;

const GENESIS_TIME: u64 = 1_800_000_000;

fn args(l1_genesis: Option<std::path::PathBuf>) -> GenesisArgs {
    GenesisArgs {
        chain_id: 901,
        senders: 4,
        funded: Vec::new(),
        fee_recipient: Address::repeat_byte(0xfe),
        l1_genesis,
    }
}

#[tokio::test]
async fn the_l1_genesis_file_gives_the_devnets_whole_schedule() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("genesis.json");
    let genesis = json!({
        "config": {
            "chainId": 31337,
            "cancunTime": 0,
            "pragueTime": GENESIS_TIME + 1_000,
            "osakaTime": GENESIS_TIME + 2_000,
            "bpo1Time": GENESIS_TIME + 3_000,
            "blobSchedule": {
                "bpo1": { "target": 10, "max": 15, "baseFeeUpdateFraction": 8346193 }
            }
        },
        "timestamp": format!("{GENESIS_TIME:#x}"),
        "gasLimit": "0x1c9c380",
        "difficulty": "0x0",
        "alloc": {}
    });
    std::fs::write(&path, genesis.to_string()).unwrap();
    // Nothing listens here: the file is the only source asked.
    let provider = ProviderBuilder::new().connect_http("http://127.0.0.1:9".parse().unwrap());
    let schedule = args(Some(path.clone()))
        .l1_schedule(&provider)
        .await
        .unwrap();
    let devnet = devnet::genesis::from_file(&path).unwrap();
    assert_eq!(schedule, devnet.schedule, "the schedule the devnet runs");
    assert_eq!(
        schedule.activations().len(),
        4,
        "Osaka between Prague and BPO1 included"
    );

    std::fs::write(&path, "{ not json").unwrap();
    assert!(matches!(
        args(Some(path)).l1_schedule(&provider).await,
        Err(L1ForksError::Parse { .. })
    ));
    // Without the file, the node is asked, and a dead one is an error, not a guess.
    assert!(matches!(
        args(None).l1_schedule(&provider).await,
        Err(L1ForksError::Node(_))
    ));
}
