//! `challenger run` as the defender of an honest proposer's claims on the devnet: a dishonest
//! challenger (a watchtower in test mode, believing a chain with a dropped transaction) disputes
//! a right claim; the daemon, holding the proposer's key, defends it move by move and wins. A
//! second daemon with nothing at stake watches the same chain and sends nothing.

mod common;

use alloy_primitives::U256;
use alloy_provider::Provider;
use bisect::step::Rollup;
use common::{stop, Network};
use rollup::derive::Lie;
use sequencer::proposer::BlockLie;

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

    assert_eq!(network.play_out(&mut attacker).await, 1, "the defender won");
    let game = network.call(Rollup::gameCall { id: U256::ZERO }).await;
    assert_eq!(game.challenger, network.keys[2].address());
    let claim = network.call(Rollup::claimCall { id: U256::from(1) }).await;
    assert_eq!(
        claim.status, 0,
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
