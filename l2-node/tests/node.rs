//! The L2 node over its sled store, fed hand-built L1 histories: it derives what an in-memory
//! derivation derives, resumes after a restart, rebuilds verifiable steps for any kept block,
//! prunes old state, treats malformed batches by the protocol's rules, and rolls back a reorg;
//! it finds blocks and transactions by hash, with the reason for each skipped candidate.

use alloy_primitives::{keccak256, Address, B256, U256};
use execute::{witness::AccountState, Fork};
use l2_node::{
    node::{Genesis, L2Node, NodeError},
    store::StoreError,
};
use rollup::derive::L1Batch;
use rollup::{
    batch::{encode, BatchBlock},
    derive::{DerivedBlock, L2Chain},
    lie::Lie,
    rules::{deposit_credit, L2Config},
    wallet::L2Wallet,
};

const CHAIN_ID: u64 = 77;

fn wallet() -> L2Wallet {
    L2Wallet::from_seed(b"node test user", CHAIN_ID)
}

fn genesis() -> Genesis {
    let mut accounts = vec![(
        wallet().address(),
        AccountState {
            balance: U256::from(10u128.pow(21)),
            ..Default::default()
        },
    )];
    // Some bystanders, so the state is more than a handful of nodes.
    accounts.extend((1..200u64).map(|i| {
        (
            Address::from_word(B256::from(U256::from(i))),
            AccountState {
                balance: U256::from(i),
                ..Default::default()
            },
        )
    }));
    Genesis {
        config: L2Config::fixed(CHAIN_ID, Fork::Osaka, Address::repeat_byte(0xfe)),
        accounts,
        timestamp: 0,
    }
}

/// Batch `index` carried by L1 block `l1_block` (hash `fork` distinguishes competing blocks
/// at one height), holding `blocks` blocks of `per_block` transfers each from nonce `nonce`.
fn batch(index: u64, first_block: u64, l1_block: u64, fork: u8, nonce: &mut u64) -> L1Batch {
    let blocks: Vec<BatchBlock> = (0..2u64)
        .map(|b| BatchBlock {
            timestamp: 12 * l1_block - 6 + b,
            transactions: (0..3)
                .map(|_| {
                    *nonce += 1;
                    wallet().transfer(*nonce - 1, Address::repeat_byte(fork), U256::from(*nonce))
                })
                .collect(),
        })
        .collect();
    // Each batch credits three deposits, to accounts of its own, all in its first block.
    let deposits = (3 * index..3 * index + 3)
        .map(|i| deposit_credit(i, Address::repeat_byte(0x30 + i as u8), 1_000 + i))
        .collect();
    L1Batch {
        deposits,
        ..raw_batch(
            index,
            first_block,
            l1_block,
            fork,
            encode(&blocks).unwrap(),
            2,
        )
    }
}

fn raw_batch(
    index: u64,
    first_block: u64,
    l1_block: u64,
    fork: u8,
    payload: Vec<u8>,
    block_count: u16,
) -> L1Batch {
    L1Batch {
        index,
        blob_hash: B256::repeat_byte(index as u8),
        first_block,
        block_count,
        l1_block,
        l1_hash: l1_hash(l1_block, fork),
        l1_timestamp: 12 * l1_block,
        blob: rollup::blob::blob_from_payload(&payload).expect("a payload fits a blob"),
        payload,
        deposits: Vec::new(),
        message_roots: vec![rollup::messages::empty_message_root()],
    }
}

/// A batch read back from the store is the one applied: its place, its L1 origin and its blob
/// (the payload comes back padded to the whole blob's).
fn assert_same_batch(kept: &L1Batch, applied: &L1Batch) {
    let key = |b: &L1Batch| {
        (
            b.index,
            b.blob_hash,
            b.first_block,
            b.block_count,
            b.l1_block,
            b.l1_hash,
            b.l1_timestamp,
            b.deposits.clone(),
        )
    };
    assert_eq!(key(kept), key(applied));
    assert!(
        kept.blob == applied.blob,
        "batch {}: another blob",
        applied.index
    );
    assert!(kept.payload.starts_with(&applied.payload));
}

fn l1_hash(number: u64, fork: u8) -> B256 {
    let mut hash = B256::from(U256::from(number));
    hash.0[0] = fork;
    hash
}

fn in_memory(batches: &[&L1Batch]) -> Vec<DerivedBlock> {
    let g = genesis();
    let mut chain = L2Chain::new(g.config, g.accounts, g.timestamp).unwrap();
    batches
        .iter()
        .flat_map(|b| chain.derive_batch(b).unwrap())
        .collect()
}

fn assert_steps_verify(block: &DerivedBlock) {
    for (k, step) in block.steps.iter().enumerate() {
        let Ok(step) = step else { continue };
        execute::verify_trace(
            block.positions[k].state_root,
            step.post_state_root,
            &step.trace,
            step.gas_used,
            execute::Host::latest(&execute::ChainConfig::mainnet(Fork::Osaka).schedule()),
        )
        .unwrap();
    }
    let last = block.positions.last().unwrap();
    let end_gas = if last.included == 0 {
        block.header.gas_used
    } else {
        0
    };
    execute::verify_trace(
        last.state_root,
        block.header.state_root,
        &block.end.trace,
        end_gas,
        execute::Host::latest(&execute::ChainConfig::mainnet(Fork::Osaka).schedule()),
    )
    .unwrap();
}

#[test]
fn the_stored_chain_matches_memory_survives_restarts_and_replays_any_kept_block() {
    let dir = tempfile::tempdir().unwrap();
    let mut nonce = 0;
    let batches: Vec<L1Batch> = (0..4)
        .map(|i| batch(i, 2 * i + 1, 10 + i, 0xa0, &mut nonce))
        .collect();
    let expected = in_memory(&batches.iter().collect::<Vec<_>>());
    assert!(expected
        .iter()
        .all(|b| b.steps.iter().flatten().count() == 3));

    {
        let mut node = L2Node::open(dir.path(), genesis(), 9).unwrap();
        for b in &batches[..2] {
            node.apply(b).unwrap();
        }
        assert_eq!(node.head().number, 4);
    }
    // Reopened: resumes at block 4 and continues.
    let mut node = L2Node::open(dir.path(), genesis(), 9).unwrap();
    assert_eq!(node.head().number, 4);
    assert_eq!(node.cursor().unwrap().next_batch, 2);
    let err = node.apply(&batches[3]).unwrap_err();
    assert!(
        matches!(
            err,
            NodeError::OutOfOrder {
                index: 3,
                expected: 2,
                ..
            }
        ),
        "{err}"
    );
    for b in &batches[2..] {
        node.apply(b).unwrap();
    }
    assert_eq!(node.head().hash_slow(), expected[7].hash);
    // Every deposit is credited, in gwei, by its batch's first block, whose header commits to it.
    for i in 0..12u64 {
        let account = node
            .state()
            .account(Address::repeat_byte(0x30 + i as u8))
            .unwrap();
        assert_eq!(
            account.balance,
            U256::from(1_000 + i) * U256::from(1_000_000_000u64)
        );
    }
    assert_ne!(
        expected[0].header.withdrawals_root,
        expected[1].header.withdrawals_root
    );
    // Each batch's blob is kept as posted, for disputes after beacon nodes prune it.
    for n in 1..=8u64 {
        assert_same_batch(&node.batch_of(n).unwrap(), &batches[(n as usize - 1) / 2]);
    }
    for n in 1..=8u64 {
        let stored = node.store().block(n).unwrap();
        assert_eq!(stored.header, expected[n as usize - 1].header);
        assert_eq!(stored.positions, expected[n as usize - 1].positions);
        let replayed = node.replay(n).unwrap();
        assert_eq!(replayed.hash, expected[n as usize - 1].hash);
        assert_steps_verify(&replayed);
    }

    // Keep the last two blocks' state: older blocks can no longer be replayed, newer still can.
    let stats = node.prune(2).unwrap();
    assert!(stats.removed > 0 && stats.kept > 0, "{stats:?}");
    assert_eq!(stats.blocks, 6, "records of blocks 0..=5 dropped");
    assert_eq!(
        stats.batches, 2,
        "blobs of batches 0 and 1 dropped, batch 2 holds block 6"
    );
    assert!(matches!(
        node.store().batch(1),
        Err(StoreError::MissingBatch(1))
    ));
    assert_same_batch(&node.batch_of(6).unwrap(), &batches[2]);
    assert!(matches!(
        node.replay(5),
        Err(NodeError::Store(StoreError::MissingBlock(5)))
    ));
    for n in 6..=8 {
        assert_steps_verify(&node.replay(n).unwrap());
    }
    assert!(node.store().header(1).is_ok(), "headers outlive pruning");
    drop(node);

    // After pruning and a restart the chain goes on from its head.
    let mut node = L2Node::open(dir.path(), genesis(), 9).unwrap();
    let next = batch(4, 9, 14, 0xa0, &mut nonce);
    let more = node.apply(&next).unwrap();
    let all: Vec<&L1Batch> = batches.iter().chain([&next]).collect();
    assert_eq!(more.last().unwrap().hash, in_memory(&all)[9].hash);
}

#[test]
fn malformed_batches_derive_as_the_protocol_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = L2Node::open(dir.path(), genesis(), 0).unwrap();
    let mut nonce = 0;
    let good = batch(0, 1, 1, 0xa0, &mut nonce);
    let mut truncated = good.payload.clone();
    truncated.truncate(truncated.len() / 2);
    let histories = [
        raw_batch(1, 3, 2, 0xa0, b"not a batch at all".to_vec(), 2),
        raw_batch(2, 5, 3, 0xa0, Vec::new(), 3),
        raw_batch(3, 8, 4, 0xa0, truncated, 2),
        raw_batch(4, 10, 5, 0xa0, vec![0xff; 4096], 1),
    ];
    node.apply(&good).unwrap();
    let mut all = vec![&good];
    for b in &histories {
        let derived = node.apply(b).unwrap();
        assert_eq!(
            derived.len(),
            b.block_count as usize,
            "declared blocks always exist"
        );
        all.push(b);
    }
    let expected = in_memory(&all);
    assert_eq!(node.head().hash_slow(), expected.last().unwrap().hash);
    assert_eq!(node.head().number, 10);
    for n in 3..=10 {
        let replayed = node.replay(n).unwrap();
        assert_steps_verify(&replayed);
    }
}

#[test]
fn a_reorg_rolls_back_to_the_last_canonical_batch() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = L2Node::open(dir.path(), genesis(), 0).unwrap();
    let mut nonce = 0;
    let a0 = batch(0, 1, 1, 0xa0, &mut nonce);
    let a1 = batch(1, 3, 2, 0xa0, &mut nonce);
    let mut fork_nonce = nonce;
    let a2 = batch(2, 5, 3, 0xa0, &mut nonce);
    for b in [&a0, &a1, &a2] {
        node.apply(b).unwrap();
    }
    assert_eq!(node.head().number, 6);

    // L1 replaced block 3 (and with it batch 2) by another block carrying another batch 2.
    let canonical = |number: u64| Ok(Some(l1_hash(number, if number >= 3 { 0xb0 } else { 0xa0 })));
    assert_eq!(node.rewind(canonical).unwrap(), 2);
    assert_eq!(node.head().number, 4);
    let cursor = node.cursor().unwrap();
    assert_eq!((cursor.number, cursor.next_batch), (2, 2));
    assert!(
        matches!(node.store().batch(2), Err(StoreError::MissingBatch(2))),
        "the replaced batch's blob goes with it"
    );
    let b2 = batch(2, 5, 3, 0xb0, &mut fork_nonce);
    node.apply(&b2).unwrap();
    assert_same_batch(&node.batch_of(5).unwrap(), &b2);
    let expected = in_memory(&[&a0, &a1, &b2]);
    assert_eq!(node.head().hash_slow(), expected[5].hash);
    assert_ne!(expected[5].hash, in_memory(&[&a0, &a1, &a2])[5].hash);

    // A reorg deeper than every batch goes back to genesis and the start cursor.
    assert_eq!(node.rewind(|_| Ok(None)).unwrap(), 6);
    assert_eq!(node.head().number, 0);
    assert_eq!(node.cursor().unwrap().next_batch, 0);
    drop(node);
    let node = L2Node::open(dir.path(), genesis(), 0).unwrap();
    assert_eq!(node.head().number, 0, "the rollback is on disk");
}

#[test]
fn transactions_are_found_by_hash_and_a_skip_never_hides_an_inclusion() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = L2Node::open(dir.path(), genesis(), 0).unwrap();
    let mut nonce = 0;
    let a0 = batch(0, 1, 1, 0xa0, &mut nonce);
    node.apply(&a0).unwrap();
    let first = &a0.payload;
    let blocks = rollup::batch::decode(first, 2, a0.l1_timestamp);
    let sent = blocks[0].transactions[0].clone();
    let hash = keccak256(&sent);
    let store = node.store();
    let found = store.transaction(hash).unwrap().unwrap();
    assert_eq!((found.block, found.index, found.included), (1, 0, true));
    let body = store.body(1).unwrap();
    assert_eq!(body.transactions.len(), 3);
    assert_eq!(body.senders, vec![wallet().address(); 3]);
    assert_eq!(body.receipts.len(), 3);
    let block_hash = store.header(1).unwrap().hash_slow();
    assert_eq!(store.block_number(block_hash).unwrap(), Some(1));

    // The same transaction again, and one no one can pay for: both skipped, with their reasons;
    // the first stays found where it was included.
    let broke = L2Wallet::from_seed(b"no funds", CHAIN_ID).transfer(0, Address::ZERO, U256::ONE);
    let again = vec![BatchBlock {
        timestamp: 30,
        transactions: vec![sent, broke.clone()],
    }];
    node.apply(&raw_batch(1, 3, 3, 0xa0, encode(&again).unwrap(), 1))
        .unwrap();
    let store = node.store();
    assert_eq!(store.transaction(hash).unwrap(), Some(found));
    let body = store.body(3).unwrap();
    assert!(body.transactions.is_empty());
    let reasons: Vec<_> = body.skipped.iter().map(|s| s.reason.as_str()).collect();
    assert_eq!(reasons.len(), 2);
    assert!(
        reasons.iter().all(|r| r.starts_with("EXECUTE refuses it")),
        "{reasons:?}"
    );
    let skipped = store.transaction(keccak256(&broke)).unwrap().unwrap();
    assert_eq!(
        (skipped.block, skipped.index, skipped.included),
        (3, 1, false)
    );

    // A reorg forgets what the removed blocks held.
    assert_eq!(
        node.rewind(|n| Ok(Some(l1_hash(n, if n >= 3 { 0xb0 } else { 0xa0 }))))
            .unwrap(),
        1
    );
    let store = node.store();
    assert_eq!(store.transaction(keccak256(&broke)).unwrap(), None);
    assert_eq!(
        store.transaction(hash).unwrap(),
        Some(found),
        "kept block's entry stays"
    );
    assert!(matches!(store.body(3), Err(StoreError::MissingBlock(3))));
    assert_eq!(store.block_number(block_hash).unwrap(), Some(1));
}

#[test]
fn a_store_of_another_chain_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    drop(L2Node::open(dir.path(), genesis(), 0).unwrap());
    let mut other = genesis();
    other.timestamp = 1;
    let err = L2Node::open(dir.path(), other, 0).unwrap_err();
    assert!(
        matches!(err, NodeError::Store(StoreError::OtherChain { .. })),
        "{err}"
    );
}

/// Each lie a test proposer can tell changes the claimed block, and the positions (what the
/// bisection compares) start to differ exactly where the lie is.
#[test]
fn every_lie_changes_the_claimed_block_where_it_says() {
    let dir = tempfile::tempdir().unwrap();
    let mut node = L2Node::open(dir.path(), genesis(), 0).unwrap();
    let mut nonce = 0;
    node.apply(&batch(0, 1, 1, 0xa0, &mut nonce)).unwrap();
    let honest = node.replay(2).unwrap();
    assert_eq!(honest.positions.len(), 4);
    // (lie, first position that differs; None: only the header differs)
    let cases = [
        (Lie::Drop(1), Some(2)),
        (Lie::Reorder(0, 2), Some(1)),
        (Lie::StateRoot(1), Some(2)),
        (Lie::Gas, None),
        // The block's first step runs EIP-4788's system call, which stores the timestamp.
        (Lie::Timestamp, Some(1)),
    ];
    for (lie, first_wrong) in cases {
        let claimed = node.replay_with(2, Some(lie)).unwrap();
        assert_ne!(claimed.hash, honest.hash, "{lie:?}");
        let differs = honest
            .positions
            .iter()
            .zip(&claimed.positions)
            .position(|(a, b)| a != b);
        assert_eq!(differs, first_wrong, "{lie:?}");
    }
    assert_eq!(
        node.replay(2).unwrap().hash,
        honest.hash,
        "lies leave the store alone"
    );
}
