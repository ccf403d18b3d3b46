//! `challenger run` against a lying proposer on the devnet, over real JSON-RPC, for every fraud
//! the proposer can commit: it claims an L2 block with a lie and defends the lie move by move (a
//! watchtower in test mode); the daemon, deriving the chain from L1 alone, challenges, bisects,
//! wins with an EXECUTE step, withdraws the bonds, and stops cleanly on SIGTERM. One run kills the
//! daemon with SIGKILL in the middle of the game: restarted on its store, it finishes and wins.

mod common;

use std::time::{Duration, Instant};

use alloy_primitives::{Address, U256};
use common::{stop, Daemon, Network};
use l1_contracts::{
    call::write,
    inbox::Inbox,
    rollup::Rollup,
    status::{ClaimStatus, GameStatus},
};
use l2_node::l1::L1Source;
use rollup::lie::{BlockLie, Lie};
use testnet::NetworkConfig;

/// The daemon (dev key 2) against a proposer (dev key 1) lying about block 2 as `lie`; with
/// `kill`, the daemon is killed once the game reaches the block's candidates and restarted.
async fn defeat(chain_id: u64, lie: Lie, kill: bool) {
    let network = Network::start(chain_id).await;
    let daemon = network.daemon(2);
    defeat_on(&network, daemon, lie, kill).await;
}

/// [`defeat`] on `network`, by `daemon` (dev key 2).
async fn defeat_on(network: &Network, daemon: Daemon, lie: Lie, kill: bool) {
    let lie = BlockLie { block: 2, lie };
    network.three_blocks_and_a_claim(Some(lie)).await;
    let mut liar = network.player(1, Some(lie)).await;
    let mut daemon = daemon;

    if kill {
        daemon = kill_at_level_two(network, &mut liar, daemon).await;
    }
    assert_eq!(
        network.play_out(&mut liar).await,
        GameStatus::ChallengerWon,
        "the challenger won"
    );
    let claim = network.call(Rollup::claimCall { id: U256::from(1) }).await;
    assert_eq!(
        claim.claim_status(),
        ClaimStatus::Rejected,
        "the claim is rejected"
    );
    let game = network.call(Rollup::gameCall { id: U256::ZERO }).await;
    assert_eq!(game.challenger, network.keys[2].address());
    assert_eq!(game.level, 2, "decided by a step inside the block");
    let table = network.games_table();
    let row = table.lines().nth(1).unwrap();
    assert!(row.contains("challenger won"), "{table}");
    assert!(
        row.contains(&network.keys[2].address().to_string()),
        "{table}"
    );
    assert!(table.ends_with("1 games\n"), "{table}");

    // The daemon withdraws the bonds it won.
    let started = Instant::now();
    loop {
        let credit = network
            .call(Rollup::creditCall(network.keys[2].address()))
            .await;
        if credit.is_zero() {
            break;
        }
        assert!(
            started.elapsed() < Duration::from_secs(60),
            "credit {credit} not withdrawn"
        );
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    stop(daemon);
}

/// Plays the liar until the game is at the block's candidates, then kills the daemon with
/// SIGKILL and starts it again on the same store.
async fn kill_at_level_two(
    network: &Network,
    liar: &mut watchtower::Watchtower<impl alloy_provider::Provider + Clone>,
    daemon: Daemon,
) -> Daemon {
    let started = Instant::now();
    loop {
        let _ = liar.tick().await;
        let count: u64 = network.call(Rollup::gameCountCall {}).await.to();
        if count > 0 {
            let game = network.call(Rollup::gameCall { id: U256::ZERO }).await;
            assert_eq!(
                game.game_status(),
                GameStatus::Open,
                "the game ended before the kill"
            );
            if game.level == 2 {
                break;
            }
        }
        assert!(started.elapsed() < Duration::from_secs(120), "no game");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    daemon.kill();
    network.daemon(2)
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_transaction_is_caught() {
    defeat(904, Lie::Drop(0), false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn reordered_transactions_are_caught() {
    defeat(906, Lie::Reorder(0, 1), false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_state_root_is_caught() {
    defeat(907, Lie::StateRoot(1), false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_gas_figure_is_caught() {
    defeat(908, Lie::Gas, false).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_timestamp_is_caught() {
    defeat(909, Lie::Timestamp, false).await;
}

/// Twenty deposits queued on L1 by dev key 3 before any batch: the first batch's block credits
/// sixteen, block 2 the other four, which the liar then misreports.
async fn defeat_over_deposits(chain_id: u64, lie: Lie) {
    let network = Network::start(chain_id).await;
    for i in 0..20u8 {
        write(
            &network.provider(3),
            network.keys[3].address(),
            network.deployment.inbox,
            Inbox::depositCall {
                to: Address::repeat_byte(0x70 + i),
            },
            U256::from(10u64.pow(16)),
        )
        .await
        .unwrap();
    }
    let daemon = network.daemon(2);
    defeat_on(&network, daemon, lie, false).await;
    // The honest chain credited every deposit in full.
    let mut node = network.node(&network.path("check")).unwrap();
    let l1 = L1Source::new(
        network.provider(0),
        network.server.url(),
        network.deployment.inbox,
    );
    node.sync(&l1).await.unwrap();
    for i in 0..20u8 {
        let account = node
            .state()
            .account(Address::repeat_byte(0x70 + i))
            .unwrap();
        assert_eq!(account.balance, U256::from(10u64.pow(16)));
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_dropped_deposit_is_caught() {
    defeat_over_deposits(912, Lie::DropDeposit(1)).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn an_invented_deposit_is_caught() {
    defeat_over_deposits(913, Lie::InventDeposit).await;
}

#[tokio::test(flavor = "multi_thread")]
async fn a_daemon_killed_mid_game_resumes_and_wins() {
    defeat(910, Lie::Drop(0), true).await;
}

/// An L1 that answers `eth_getLogs` over at most 8 blocks, as a strict provider would: the
/// daemon, told so with `--log-range`, follows the inbox and the games in ranges and wins.
/// (Without the flag it never derives the chain, and no game starts.)
#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_wins_on_an_l1_that_serves_few_blocks_per_log_query() {
    let network = Network::start_with(NetworkConfig {
        max_log_range: Some(8),
        ..NetworkConfig::dev(911)
    })
    .await;
    let url = network.server.url();
    let daemon = network.daemon_with(
        2,
        &["--l1-rpc", &url, "--interval-ms", "250", "--log-range", "8"],
    );
    defeat_on(&network, daemon, Lie::Drop(0), false).await;
}

/// A liar builds a claim on its own wrong claim, its blocks re-linked to the lie. A game takes
/// the parent's hash as agreed, so nobody can win one against the child: the watchtower
/// challenges the wrong parent alone, and the child falls with it.
#[tokio::test(flavor = "multi_thread")]
async fn a_claim_on_a_wrong_parent_is_not_challenged_its_parent_is() {
    let network = Network::start(907).await;
    let lie = BlockLie {
        block: 2,
        lie: Lie::Drop(0),
    };
    network.three_blocks_and_a_claim(Some(lie)).await;
    let liar = network.player(1, Some(lie)).await;
    liar_syncs(&network, liar, lie).await;
    let mut honest = network.player(2, None).await;
    // Claims younger than the head a tick checked wait for a later tick: give it a few.
    let mut challenged = Vec::new();
    for _ in 0..3 {
        challenged.extend(honest.tick().await.unwrap().challenged);
        testnet::advance_time(&network.provider(0), 1)
            .await
            .unwrap();
    }
    assert_eq!(challenged, vec![1], "only the wrong parent");
    let games: u64 = network.call(Rollup::gameCountCall {}).await.to();
    assert_eq!(games, 1);
}

/// The liar (dev key 1) follows L1 and claims block 3 on its wrong claim 1, linked to its lie.
async fn liar_syncs(
    network: &Network,
    mut liar: watchtower::Watchtower<impl alloy_provider::Provider + Clone>,
    lie: BlockLie,
) {
    let _ = liar.tick().await;
    let child = liar.node().lying_hash(3, lie.block, lie.lie).unwrap();
    let bond = network.call(Rollup::configCall {}).await.proposalBond;
    write(
        &network.provider(1),
        network.keys[1].address(),
        network.deployment.rollup,
        Rollup::proposeCall {
            parent: 1,
            l2Block: 3,
            blockHash: child,
        },
        bond,
    )
    .await
    .unwrap();
}
