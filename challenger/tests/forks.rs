//! The L1 forks under a running rollup: the devnet moves from Prague to Osaka and from Osaka to
//! BPO1 while the sequencer posts blocks under load and `challenger run` watches. A proposer lies
//! about a block from before the fork, or about the first block after it; each lie is claimed and
//! disputed once the L1 is at BPO1, and the daemon wins it with an EXECUTE step that applies the
//! block's own fork. Nothing on L1 is upgraded: the contracts and the daemon take the forks from
//! the devnet (its `eth_config`) and from each block's timestamp.

mod common;

use alloy_primitives::U256;
use common::{stop, Network};
use execute::{Activation, ChainConfig, Fork, ForkSchedule};
use l1_contracts::{
    rollup::Rollup,
    status::{ClaimStatus, GameStatus},
};
use rollup::lie::{BlockLie, Lie};
use testnet::{advance_time, prague_osaka_bpo1, unix_now, NetworkConfig};

/// Seconds after the devnet's start at which Osaka and then BPO1 activate: far enough that wall
/// time never reaches them during a test; the test moves L1 time past them itself.
const OSAKA_AFTER: u64 = 3_000;
const BPO1_AFTER: u64 = 6_000;

/// The devnet forking at [`OSAKA_AFTER`] and [`BPO1_AFTER`], the rollup deployed, and the daemon (dev key 2) watching from
/// the start, when the devnet's `eth_config` names all three forks.
async fn network(chain_id: u64) -> (Network, common::Daemon, ForkSchedule) {
    let start = unix_now();
    let schedule = prague_osaka_bpo1(start + OSAKA_AFTER, start + BPO1_AFTER).unwrap();
    let network = Network::start_with(NetworkConfig {
        l1_schedule: schedule.clone(),
        ..NetworkConfig::dev(chain_id)
    })
    .await;
    let daemon = network.daemon(2);
    (network, daemon, schedule)
}

/// Three blocks under load, with L1 time moved `warps[i]` seconds forward before block `i + 1`;
/// then L1 time moves past BPO1, the proposer (key 1) claims block 2 with `lie` and defends it;
/// the daemon must win at level 2. Returns the forks blocks 1 and 2 were under.
async fn lie_disputed_after_the_forks(chain_id: u64, warps: [u64; 3], lie: Lie) -> [Activation; 2] {
    let (network, daemon, schedule) = network(chain_id).await;
    let provider = network.provider(0);
    let dir = tempfile::tempdir().unwrap();
    let mut sequencer = network.sequencer(dir.path(), 1, 600_000, None).unwrap();
    for warp in warps {
        if warp > 0 {
            advance_time(&provider, warp).await.unwrap();
        }
        sequencer.tick().await.unwrap();
    }
    drop(sequencer);
    let bpo1 = schedule.activations()[2].timestamp;
    let head = l1_time(&network).await;
    advance_time(&provider, bpo1.saturating_sub(head) + 12)
        .await
        .unwrap();
    assert!(l1_time(&network).await >= bpo1, "the L1 is at BPO1");

    // The claim is made, and the game played, after the forks.
    let lie = BlockLie { block: 2, lie };
    let mut sequencer = network
        .sequencer(dir.path(), 1, 600_000, Some((2, Some(lie))))
        .unwrap();
    sequencer.tick().await.unwrap();
    let claim = network.call(Rollup::claimCall { id: U256::from(1) }).await;
    assert_eq!(claim.l2Block, 2);
    let mut liar = network.player(1, Some(lie)).await;
    assert_eq!(
        network.play_out(&mut liar).await,
        GameStatus::ChallengerWon,
        "the challenger won"
    );
    let claim = network.call(Rollup::claimCall { id: U256::from(1) }).await;
    assert_eq!(claim.claim_status(), ClaimStatus::Rejected);
    let game = network.call(Rollup::gameCall { id: U256::ZERO }).await;
    assert_eq!(game.challenger, network.keys[2].address());
    assert_eq!(game.level, 2, "decided by an EXECUTE step inside the block");
    let store = liar.node().store();
    let fork = |n: u64| {
        *schedule
            .at(store.block(n).unwrap().header.timestamp)
            .unwrap()
    };
    let forks = [fork(1), fork(2)];
    stop(daemon);
    forks
}

async fn l1_time(network: &Network) -> u64 {
    use alloy_provider::Provider;
    network
        .provider(0)
        .get_block_by_number(Default::default())
        .await
        .unwrap()
        .unwrap()
        .header
        .timestamp
}

/// A lie about a Prague block, disputed at BPO1: the step runs Prague's rules.
#[tokio::test(flavor = "multi_thread")]
async fn a_lie_from_before_the_forks_loses_after_them() {
    let [_, block] = lie_disputed_after_the_forks(931, [0, 0, 0], Lie::Drop(0)).await;
    assert_eq!(block.fork, Fork::Prague, "block 2 is a Prague block");
}

/// A lie about the first Osaka block, whose parent is a Prague block, disputed at BPO1: the step
/// runs Osaka's rules.
#[tokio::test(flavor = "multi_thread")]
async fn a_lie_in_the_first_block_after_a_fork_loses() {
    let [parent, block] =
        lie_disputed_after_the_forks(932, [0, OSAKA_AFTER + 12, 0], Lie::Gas).await;
    assert_eq!(parent.fork, Fork::Prague, "block 1 is a Prague block");
    assert_eq!(
        (block.fork, block.blobs),
        (Fork::Osaka, ChainConfig::mainnet(Fork::Osaka).blobs),
        "block 2 is an Osaka block before BPO1"
    );
}
