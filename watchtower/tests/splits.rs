//! The split log reads a chain longer than an RPC provider serves in one `eth_getLogs`.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use alloy_primitives::Address;
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::Filter;
use devnet::{server::Server, Node, NodeConfig};
use execute::Fork;
use watchtower::splits::SplitLog;

/// The widest log query the devnet serves here, as a strict provider would.
const MAX_RANGE: u64 = 100;
/// Ten times as many blocks.
const BLOCKS: u64 = 10 * MAX_RANGE + 1;

#[tokio::test(flavor = "multi_thread")]
async fn splits_are_read_in_ranges_a_provider_serves() {
    let mut node = Node::new(NodeConfig {
        max_log_range: MAX_RANGE,
        ..NodeConfig::dev(31337, Fork::Osaka).unwrap()
    });
    for _ in 0..BLOCKS {
        node.mine_pending().unwrap();
    }
    let server = Server::start(
        Arc::new(Mutex::new(node)),
        SocketAddr::from(([127, 0, 0, 1], 0)),
    )
    .await
    .unwrap();
    let provider = ProviderBuilder::new().connect_http(server.url().parse().unwrap());
    let head = provider.get_block_number().await.unwrap();
    assert_eq!(head, BLOCKS);
    let rollup = Address::repeat_byte(0x42);

    // One query over the whole history is refused, as providers refuse it.
    let whole = Filter::new().address(rollup).from_block(0).to_block(head);
    assert!(provider.get_logs(&whole).await.is_err());

    let mut log = SplitLog::new(MAX_RANGE);
    log.follow(&provider, rollup, 0, head, &[0, 1])
        .await
        .unwrap();
    assert_eq!(log.values(0, 1, 0, 1), None);
    // The next tick reads only the blocks since, and a reorg's depth before them.
    log.follow(&provider, rollup, 0, head, &[0, 1])
        .await
        .unwrap();
    // A game whose values the log lost is read again from the start, in ranges too.
    log.reread(&provider, rollup, 0, head, 1).await.unwrap();
}
