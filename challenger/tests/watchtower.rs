//! `challenger run` against a lying proposer on the devnet, over real JSON-RPC: the proposer
//! claims an L2 block with one transaction dropped and defends its lie move by move (a
//! watchtower in test mode); the daemon, deriving the chain from L1 alone, challenges, bisects,
//! wins with an EXECUTE step, collects the bonds, and stops cleanly on SIGTERM.

mod common;

use std::time::{Duration, Instant};

use alloy_primitives::U256;
use bisect::step::Rollup;
use common::{stop, Network};
use rollup::derive::Lie;
use sequencer::proposer::BlockLie;

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_defeats_a_lying_proposer_with_an_execute_step() {
    let network = Network::start(904).await;
    let lie = BlockLie {
        block: 2,
        lie: Lie::Drop(0),
    };
    network.three_blocks_and_a_claim(Some(lie)).await;
    let mut liar = network.player(1, Some(lie)).await;
    let daemon = network.daemon(2);

    assert_eq!(network.play_out(&mut liar).await, 2, "the challenger won");
    let claim = network.call(Rollup::claimCall { id: U256::from(1) }).await;
    assert_eq!(claim.status, 2, "the claim is rejected");
    let game = network.call(Rollup::gameCall { id: U256::ZERO }).await;
    assert_eq!(game.challenger, network.keys[2].address());

    // The daemon withdraws its winnings.
    let started = Instant::now();
    loop {
        let credit = network
            .call(Rollup::creditCall(network.keys[2].address()))
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
    stop(daemon);
}
