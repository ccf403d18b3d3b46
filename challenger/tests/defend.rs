//! `challenger run` as the defender of an honest proposer's claims on the devnet: a dishonest
//! challenger (a watchtower in test mode, believing a chain with a dropped transaction) disputes
//! a right claim; the daemon, holding the proposer's key, defends it move by move and wins. A
//! second daemon with nothing at stake watches the same chain and sends nothing.

mod common;

use alloy_primitives::U256;
use alloy_provider::Provider;
use common::{stop, Network};
use l1_contracts::{
    rollup::Rollup,
    status::{ClaimStatus, GameStatus},
};
use rollup::lie::BlockLie;
use rollup::lie::Lie;
use testnet::NetworkConfig;

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_defends_a_right_claim_and_a_bystander_sends_nothing() {
    let network = Network::start(905).await;
    network.three_blocks_and_a_claim(None).await;
    let defender = network.daemon(1);
    let bystander = network.daemon(3);
    let lie = BlockLie {
        block: 2,
        lie: Lie::Drop(0),
    };
    let mut attacker = network.player(2, Some(lie)).await;

    assert_eq!(
        network.play_out(&mut attacker).await,
        GameStatus::DefenderWon,
        "the defender won"
    );
    let game = network.call(Rollup::gameCall { id: U256::ZERO }).await;
    assert_eq!(game.challenger, network.keys[2].address());
    let claim = network.call(Rollup::claimCall { id: U256::from(1) }).await;
    assert_eq!(
        claim.claim_status(),
        ClaimStatus::Pending,
        "the claim is still pending, on its way to finality"
    );
    let table = network.games_table();
    assert!(table.contains("defender won"), "{table}");

    stop(defender);
    stop(bystander);
    let sent = network
        .provider(0)
        .get_transaction_count(network.keys[3].address())
        .await
        .unwrap();
    assert_eq!(sent, 0, "the bystander sent nothing");
}

/// Beacon nodes prune blobs after 4,096 epochs (~18 days), sooner than a claim's window and two
/// clocks can run out. Here the devnet keeps blobs for twelve L1 blocks: the claim is attacked after
/// its batch's blob is gone from the beacon API, and the honest defender opens the blob on L1
/// from its own store's copy and wins.
#[tokio::test(flavor = "multi_thread")]
async fn a_claim_attacked_after_its_blob_was_pruned_is_defended_and_won() {
    let network = Network::start_with(NetworkConfig {
        blob_retention: Some(12),
        ..NetworkConfig::dev(906)
    })
    .await;
    network.three_blocks_and_a_claim(None).await;
    let mut defender = network.player(1, None).await;
    defender.tick().await.unwrap();
    let lie = BlockLie {
        block: 2,
        lie: Lie::Drop(0),
    };
    let mut attacker = network.player(2, Some(lie)).await;
    let report = attacker.tick().await.unwrap();
    assert_eq!(
        report.challenged,
        vec![1],
        "the attacker disputes the right claim"
    );

    // The blobs of every batch leave the beacon API.
    let provider = network.provider(0);
    for _ in 0..14 {
        provider
            .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
            .await
            .unwrap();
    }
    let carried_by = defender.node().store().block(2).unwrap().origin.number;
    let url = format!(
        "{}/eth/v1/beacon/blobs/{carried_by}",
        network.server.url().trim_end_matches('/')
    );
    let status = reqwest::get(&url).await.unwrap().status();
    assert_eq!(status, reqwest::StatusCode::NOT_FOUND, "{url} is pruned");

    let started = std::time::Instant::now();
    let status = loop {
        defender.tick().await.unwrap();
        let _ = attacker.tick().await;
        let game = network.call(Rollup::gameCall { id: U256::ZERO }).await;
        if game.game_status() != GameStatus::Open {
            break game.game_status();
        }
        assert!(started.elapsed().as_secs() < 120, "no result");
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    };
    assert_eq!(status, GameStatus::DefenderWon, "the defender won");
}
