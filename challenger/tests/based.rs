//! Based mode on the devnet: the sequencer (dev key 0) stops posting, and once it has been
//! silent for the inbox's timeout another address (dev key 3) posts batches, so the L2 moves on.
//! Every node derives the same chain from L1, whoever posted; the proposer claims the new blocks
//! and the honest watchtower challenges nothing. When the sequencer returns, the other address
//! waits again.

use l1_contracts::{call::read, inbox::Inbox};
use testnet::{advance_time, Network, NetworkConfig};

/// Seconds of the sequencer's silence before anyone may post.
const TIMEOUT: u64 = 600;

#[tokio::test(flavor = "multi_thread")]
async fn another_address_keeps_the_chain_moving_while_the_sequencer_is_silent() {
    let network = Network::start(NetworkConfig {
        sequencer_timeout: TIMEOUT,
        ..NetworkConfig::dev(917)
    })
    .await
    .unwrap();
    let dir = tempfile::tempdir().unwrap();
    let mut sequencer = network
        .sequencer(&dir.path().join("sequencer"), 2, 300_000, Some((2, None)))
        .unwrap();
    let mut other = network
        .poster(3, &dir.path().join("other"), 2, 300_000, None)
        .unwrap();
    let proposer = network.proposer(2, None);
    let mut watchtower = network
        .watchtower(
            2,
            network.node(&dir.path().join("watchtower")).unwrap(),
            None,
        )
        .await
        .unwrap();
    let reader = network.provider(4);
    let inbox = network.deployment.inbox;

    for _ in 0..3 {
        assert!(sequencer.tick().await.unwrap().posted.is_some());
    }
    let by_sequencer = sequencer.shared().node.lock().await.head().number;

    // The sequencer stops. Before its timeout the other address posts nothing (its pool keeps
    // its transactions) and follows L1.
    let tick = other.tick().await.unwrap();
    assert!(tick.posted.is_none(), "posted while the sequencer is live");
    assert!(tick.generated > 0);
    assert_eq!(other.shared().node.lock().await.head().number, by_sequencer);

    advance_time(&reader, TIMEOUT).await.unwrap();
    for _ in 0..3 {
        let tick = other.tick().await.unwrap();
        let (blocks, _) = tick.posted.expect("posted once the sequencer is silent");
        assert!(blocks > 0);
    }
    let head = other.shared().node.lock().await.head().clone();
    assert!(head.number > by_sequencer, "the chain moved on");
    let batches: u64 = read(&reader, inbox, Inbox::batchCountCall {})
        .await
        .unwrap()
        .to();
    assert_eq!(batches, 6);

    // The proposer claims a block the other address posted; the watchtower, deriving from L1
    // alone, agrees with every claim.
    let claim = {
        let node = other.shared().node.lock().await;
        proposer.step(&node).await.unwrap()
    };
    let claim = claim.expect("a claim of the new blocks");
    assert!(claim.block > by_sequencer);
    let report = watchtower.tick().await.unwrap();
    assert_eq!(report.head, head.number);
    assert!(report.challenged.is_empty(), "{:?}", report.challenged);
    let mut fresh = network.node(&dir.path().join("fresh")).unwrap();
    let source = l2_node::l1::L1Source::new(reader.clone(), network.url(), inbox)
        .with_log_range(network.log_range);
    fresh.sync(&source).await.unwrap();
    assert_eq!(
        fresh.head().hash_slow(),
        head.hash_slow(),
        "every node derives the same chain"
    );

    // The sequencer returns and posts after the other's batches; the other waits again.
    assert!(sequencer.tick().await.unwrap().posted.is_some());
    assert!(
        sequencer.shared().node.lock().await.head().number > head.number,
        "the sequencer's batch follows the others"
    );
    assert!(other.tick().await.unwrap().posted.is_none());
    let report = watchtower.tick().await.unwrap();
    assert!(report.challenged.is_empty(), "{:?}", report.challenged);
}
