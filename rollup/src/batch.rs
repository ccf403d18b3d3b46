//! Batches: the L2 blocks one blob carries (`docs/protocol.md`, section 2).
//!
//! Payload layout, all integers big-endian:
//!
//! ```text
//! version (1) | blockCount (u16) | blockCount × [timestamp (u64), txEnd (u16)]
//! | (totalTx + 1) × offset (u32) | transaction bytes
//! ```
//!
//! `txEnd` counts the candidates of the blocks up to and including this one, so that one block's
//! candidates follow from its entry and the one before it, whatever its index (the contract reads
//! two entries, not the whole table).
//!
//! Decoding is total: it mirrors what the dispute contract reads, so a malformed header gives
//! empty blocks stamped with the batch's L1 time, and a malformed transaction range gives an
//! empty candidate (which no step can prove, so it is skipped).

use crate::blob::PAYLOAD_BYTES;
use alloy_primitives::Bytes;

/// The batch format's version byte.
pub const VERSION: u8 = 1;
/// Bytes before the block table.
const HEADER: usize = 3;
/// Bytes per block table entry.
const ENTRY: usize = 10;
/// Most blocks a batch may declare (`Inbox.MAX_BATCH_BLOCKS`): their table entries and one
/// offset fill a blob's payload.
pub const MAX_BLOCKS: usize = (PAYLOAD_BYTES - HEADER - 4) / ENTRY;

/// One L2 block in a batch: its declared timestamp and candidate transactions.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchBlock {
    /// Declared timestamp (the L2 rules bound it by the parent's and the L1's).
    pub timestamp: u64,
    /// Candidate transactions (EIP-2718 bytes), in order.
    pub transactions: Vec<Bytes>,
}

/// Why blocks do not fit a batch.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum BatchError {
    /// More than a blob's payload.
    #[error("batch of {0} bytes exceeds a blob's {PAYLOAD_BYTES}")]
    TooLarge(usize),
    /// Counts must fit their fields.
    #[error("{0} blocks or transactions exceed the format's counters")]
    TooMany(usize),
    /// A batch carries at least one block.
    #[error("a batch needs at least one block")]
    Empty,
}

/// Payload bytes `blocks` need.
pub fn encoded_len(blocks: &[BatchBlock]) -> usize {
    let txs: usize = blocks.iter().map(|b| b.transactions.len()).sum();
    let data: usize = blocks
        .iter()
        .flat_map(|b| &b.transactions)
        .map(|t| t.len())
        .sum();
    HEADER + ENTRY * blocks.len() + 4 * (txs + 1) + data
}

/// The payload carrying `blocks`.
pub fn encode(blocks: &[BatchBlock]) -> Result<Vec<u8>, BatchError> {
    if blocks.is_empty() {
        return Err(BatchError::Empty);
    }
    let len = encoded_len(blocks);
    if len > PAYLOAD_BYTES {
        return Err(BatchError::TooLarge(len));
    }
    if blocks.len() > MAX_BLOCKS {
        return Err(BatchError::TooMany(blocks.len()));
    }
    let count = u16::try_from(blocks.len()).map_err(|_| BatchError::TooMany(blocks.len()))?;
    let mut out = Vec::with_capacity(len);
    out.push(VERSION);
    out.extend_from_slice(&count.to_be_bytes());
    let mut total = 0usize;
    for block in blocks {
        total += block.transactions.len();
        let end = u16::try_from(total).map_err(|_| BatchError::TooMany(total))?;
        out.extend_from_slice(&block.timestamp.to_be_bytes());
        out.extend_from_slice(&end.to_be_bytes());
    }
    let mut offset = HEADER + ENTRY * blocks.len() + 4 * (total + 1);
    for tx in blocks.iter().flat_map(|b| &b.transactions) {
        out.extend_from_slice(&(offset as u32).to_be_bytes());
        offset += tx.len();
    }
    out.extend_from_slice(&(offset as u32).to_be_bytes());
    for tx in blocks.iter().flat_map(|b| &b.transactions) {
        out.extend_from_slice(tx);
    }
    Ok(out)
}

fn be(payload: &[u8], at: usize, len: usize) -> u64 {
    payload[at..at + len]
        .iter()
        .fold(0, |acc, b| (acc << 8) | u64::from(*b))
}

/// Where a block's candidates are in the batch, as the contract reads them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BlockEntry {
    /// Declared timestamp (the batch's L1 time if the header is malformed).
    pub timestamp: u64,
    /// Number of candidates.
    pub candidates: u64,
    /// Index of the first candidate among the batch's.
    pub first: u64,
}

/// Block `index` of a batch declaring `declared` blocks (`Rollup._readTable`): from its entry
/// and the one before it; an entry below its predecessor gives no candidates.
pub fn entry(payload: &[u8], declared: u16, index: u16, l1_timestamp: u64) -> BlockEntry {
    let malformed = BlockEntry {
        timestamp: l1_timestamp,
        candidates: 0,
        first: 0,
    };
    let length = HEADER + ENTRY * (usize::from(index) + 1);
    if length + 4 > PAYLOAD_BYTES || payload.len() < PAYLOAD_BYTES {
        return malformed;
    }
    if payload[0] != VERSION || be(payload, 1, 2) != u64::from(declared) {
        return malformed;
    }
    let at = HEADER + ENTRY * usize::from(index);
    let first = match index {
        0 => 0,
        _ => be(payload, at - ENTRY + 8, 2),
    };
    BlockEntry {
        timestamp: be(payload, at, 8),
        candidates: be(payload, at + 8, 2).saturating_sub(first),
        first,
    }
}

/// Byte range of candidate `global` of a batch declaring `declared` blocks, `None` when it is
/// empty (`Rollup._candidate`): the offset entry and the range it names.
pub fn candidate_range(payload: &[u8], declared: u16, global: u64) -> Option<(usize, usize)> {
    let at = HEADER + ENTRY * usize::from(declared) + 4 * usize::try_from(global).ok()?;
    if at + 8 > PAYLOAD_BYTES || payload.len() < PAYLOAD_BYTES {
        return None;
    }
    let (start, end) = (be(payload, at, 4) as usize, be(payload, at + 4, 4) as usize);
    (start < end && end <= PAYLOAD_BYTES).then_some((start, end))
}

/// Offset of candidate `global`'s offset entry.
pub fn offset_entry(declared: u16, global: u64) -> usize {
    HEADER + ENTRY * usize::from(declared) + 4 * global as usize
}

/// The batch header's byte range (version and block count), as `Rollup.openBlock` reads it.
pub const fn header_range() -> (usize, usize) {
    (0, HEADER)
}

/// The byte range of block `index`'s table entry with the one before it (just its own for the
/// first block), as `Rollup.openBlock` reads it.
pub fn entries_range(index: u16) -> (usize, usize) {
    let end = HEADER + ENTRY * (usize::from(index) + 1);
    let start = if index == 0 {
        end - ENTRY
    } else {
        end - 2 * ENTRY
    };
    (start, end)
}

/// Every declared block of a batch with its candidates, as derivation sees them. `payload` is
/// the whole blob payload (zero-padded to `PAYLOAD_BYTES`).
pub fn decode(payload: &[u8], declared: u16, l1_timestamp: u64) -> Vec<BatchBlock> {
    let mut padded = payload.to_vec();
    padded.resize(PAYLOAD_BYTES.max(payload.len()), 0);
    (0..declared)
        .map(|index| {
            let e = entry(&padded, declared, index, l1_timestamp);
            let transactions = (0..e.candidates)
                .map(|j| {
                    candidate_range(&padded, declared, e.first + j)
                        .map(|(s, t)| Bytes::copy_from_slice(&padded[s..t]))
                        .unwrap_or_default()
                })
                .collect();
            BatchBlock {
                timestamp: e.timestamp,
                transactions,
            }
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn blocks() -> impl Strategy<Value = Vec<BatchBlock>> {
        proptest::collection::vec(
            (
                any::<u64>(),
                proptest::collection::vec(proptest::collection::vec(any::<u8>(), 1..200), 0..8),
            )
                .prop_map(|(timestamp, txs)| BatchBlock {
                    timestamp,
                    transactions: txs.into_iter().map(Bytes::from).collect(),
                }),
            1..10,
        )
    }

    proptest! {
        #[test]
        fn batches_round_trip(blocks in blocks()) {
            let payload = encode(&blocks).unwrap();
            prop_assert_eq!(payload.len(), encoded_len(&blocks));
            prop_assert_eq!(decode(&payload, blocks.len() as u16, 7), blocks);
        }

        #[test]
        fn any_bytes_decode_to_the_declared_blocks(
            payload in proptest::collection::vec(any::<u8>(), 0..3000),
            declared in 1u16..50,
        ) {
            let blocks = decode(&payload, declared, 99);
            prop_assert_eq!(blocks.len(), usize::from(declared));
        }
    }

    #[test]
    fn a_malformed_header_empties_every_block() {
        let good = vec![BatchBlock {
            timestamp: 5,
            transactions: vec![Bytes::from_static(b"tx")],
        }];
        let mut payload = encode(&good).unwrap();
        assert_eq!(
            decode(&payload, 2, 9),
            vec![
                BatchBlock {
                    timestamp: 9,
                    ..Default::default()
                };
                2
            ]
        );
        payload[0] = 2;
        assert_eq!(
            decode(&payload, 1, 9),
            vec![BatchBlock {
                timestamp: 9,
                ..Default::default()
            }]
        );
    }

    #[test]
    fn an_entry_below_its_predecessor_has_no_candidates() {
        let blocks = vec![
            BatchBlock {
                timestamp: 5,
                transactions: vec![Bytes::from_static(b"one"), Bytes::from_static(b"two")],
            },
            BatchBlock {
                timestamp: 6,
                transactions: vec![Bytes::from_static(b"three")],
            },
        ];
        let mut payload = encode(&blocks).unwrap();
        payload.resize(PAYLOAD_BYTES, 0);
        assert_eq!(entry(&payload, 2, 1, 0).first, 2);
        assert_eq!(entry(&payload, 2, 1, 0).candidates, 1);
        // Block 1's cumulative count (3) lowered to 1, below block 0's 2.
        payload[HEADER + 2 * ENTRY - 1] = 1;
        let decoded = decode(&payload, 2, 0);
        assert_eq!(decoded[0].transactions.len(), 2);
        assert!(decoded[1].transactions.is_empty());
    }

    #[test]
    fn a_bad_range_empties_only_its_candidate() {
        let blocks = vec![BatchBlock {
            timestamp: 5,
            transactions: vec![Bytes::from_static(b"one"), Bytes::from_static(b"two")],
        }];
        let mut payload = encode(&blocks).unwrap();
        // The last offset points past the payload.
        let at = offset_entry(1, 2);
        payload[at..at + 4].copy_from_slice(&(PAYLOAD_BYTES as u32 + 1).to_be_bytes());
        let decoded = decode(&payload, 1, 0);
        assert_eq!(decoded[0].transactions[0], Bytes::from_static(b"one"));
        assert_eq!(decoded[0].transactions[1], Bytes::new());
        assert!(matches!(encode(&[]), Err(BatchError::Empty)));
        let huge = vec![BatchBlock {
            timestamp: 0,
            transactions: vec![vec![1u8; PAYLOAD_BYTES].into()],
        }];
        assert!(matches!(encode(&huge), Err(BatchError::TooLarge(_))));
    }
}
