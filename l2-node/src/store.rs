//! The L2 node's on-disk store (sled): trie nodes and bytecode by hash, a record per derived
//! block, each batch's blob as posted (disputes open it on L1 long after beacon nodes have pruned
//! it), the derivation's L1 cursor, and what wallets read: each block's included transactions
//! with their receipts and the reasons its other candidates were skipped, found by block hash
//! and transaction hash.
//!
//! Nodes are content-addressed and never overwritten, so the state at every position of every
//! block whose nodes are kept stays readable, rolling back is moving the head, and pruning is a
//! mark-and-sweep from the roots still needed. A batch of blocks is written in one atomic sled
//! batch together with the nodes it created, so a killed process reopens at a batch boundary.

use std::path::Path;

use alloy_consensus::{Header, ReceiptEnvelope};
use alloy_eips::eip4895::Withdrawal;
use alloy_primitives::{
    keccak256,
    map::{B256Map, B256Set},
    Address, Bytes, B256,
};
use alloy_rlp::{Decodable, RlpDecodable, RlpEncodable};
use alloy_trie::TrieAccount;
use execute::{
    mpt::{self, NodeSource},
    store::{NodeStore, Nodes},
};

use rollup::rules::Position;

const NODE: u8 = b'n';
const CODE: u8 = b'c';
const BLOCK: u8 = b'b';
const HEADER: u8 = b'h';
const BATCH: u8 = b'x';
const BODY: u8 = b'r';
const TX: u8 = b't';
const HASH: u8 = b'k';
const IDENTITY: &[u8] = b"m/identity";
const HEAD: &[u8] = b"m/head";
const CURSOR: &[u8] = b"m/cursor";
const PRUNED: &[u8] = b"m/pruned";

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (I/O, corruption it detected).
    #[error("store: {0}")]
    Sled(#[from] sled::Error),
    /// A value does not decode.
    #[error("store entry {key} is corrupt: {reason}")]
    Corrupt {
        /// The entry.
        key: String,
        /// What is wrong.
        reason: String,
    },
    /// The store holds another chain.
    #[error("the store holds chain {found}, not {expected} (another genesis or chain id)")]
    OtherChain {
        /// The identity asked for.
        expected: B256,
        /// The identity on disk.
        found: B256,
    },
    /// A block that is not (or no longer) in the store.
    #[error("block {0} is not in the store (not derived yet, or pruned)")]
    MissingBlock(u64),
    /// A batch whose blob is not (or no longer) in the store.
    #[error("batch {0} is not in the store (not derived yet, or pruned)")]
    MissingBatch(u64),
}

/// A batch as the inbox recorded it, with its blob exactly as posted (all 4096 elements).
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BatchRecord {
    /// The blob's versioned hash.
    pub blob_hash: B256,
    /// First L2 block it holds.
    pub first_block: u64,
    /// L2 blocks it declares.
    pub block_count: u64,
    /// The blob's bytes.
    pub blob: Bytes,
    /// The deposits its blocks credit, as the withdrawals that credit them: a dispute about
    /// any of its blocks reads them, after older blocks' records are pruned.
    pub deposits: Vec<Withdrawal>,
    /// The message roots its blocks commit to (`Inbox.messageRootsOf`).
    pub message_roots: Vec<B256>,
}

/// Where a batch came from on L1.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct L1Origin {
    /// The batch's index in the inbox.
    pub batch: u64,
    /// The L1 block that carried it.
    pub number: u64,
    /// That block's hash.
    pub hash: B256,
    /// That block's timestamp.
    pub timestamp: u64,
}

/// The last L1 block derivation has read, and the batch it expects next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct L1Cursor {
    /// Its number.
    pub number: u64,
    /// Its hash (zero before any block was read).
    pub hash: B256,
    /// The inbox index of the next batch.
    pub next_batch: u64,
}

/// What is kept of a derived block: enough to rebuild every step of a dispute about it.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BlockRecord {
    /// The sealed header.
    pub header: Header,
    /// The timestamp the batch declared.
    pub declared: u64,
    /// The batch that carried it (zero for genesis).
    pub origin: L1Origin,
    /// The candidates, in batch order.
    pub candidates: Vec<Bytes>,
    /// Positions `0..=m`.
    pub positions: Vec<Position>,
    /// The deposits it credits, as the withdrawals that credit them.
    pub deposits: Vec<Withdrawal>,
}

/// A candidate the inclusion rule skipped.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct SkippedCandidate {
    /// Its index among the block's candidates.
    pub candidate: u64,
    /// The hash of its bytes (the transaction hash, when they are one).
    pub hash: B256,
    /// Why it was skipped.
    pub reason: String,
}

/// What a block did for its senders: the transactions it included with their senders and
/// receipts (the three lists run in parallel), and the candidates it skipped. Kept when the
/// block's state is pruned, like its header.
#[derive(Debug, Clone, Default, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BlockBody {
    /// The included transactions, EIP-2718 encoded, in order.
    pub transactions: Vec<Bytes>,
    /// Their senders.
    pub senders: Vec<Address>,
    /// Their receipts (cumulative gas from the start of the block).
    pub receipts: Vec<ReceiptEnvelope>,
    /// The skipped candidates.
    pub skipped: Vec<SkippedCandidate>,
    /// The deposits it credited, as the withdrawals that credited them.
    pub withdrawals: Vec<Withdrawal>,
}

/// Where a transaction hash was last seen in the chain.
#[derive(Debug, Clone, Copy, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct TxLocation {
    /// The block.
    pub block: u64,
    /// Its index among the block's included transactions, or (`included` false) among its
    /// skipped candidates.
    pub index: u64,
    /// Whether the block included it.
    pub included: bool,
}

fn key(prefix: u8, id: &[u8]) -> Vec<u8> {
    let mut key = Vec::with_capacity(1 + id.len());
    key.push(prefix);
    key.extend_from_slice(id);
    key
}

fn decode<T: Decodable>(key: &[u8], bytes: &[u8]) -> Result<T, StoreError> {
    T::decode(&mut &bytes[..]).map_err(|e| StoreError::Corrupt {
        key: alloy_primitives::hex::encode(key),
        reason: e.to_string(),
    })
}

/// Trie nodes and bytecode read from sled, with the writes of blocks not yet committed held in
/// memory.
#[derive(Debug, Clone)]
pub struct SledNodes {
    tree: sled::Tree,
    nodes: B256Map<Bytes>,
    codes: B256Map<Bytes>,
}

impl SledNodes {
    fn get(&self, prefix: u8, hash: &B256) -> Option<Bytes> {
        // A read error is a missing node to the trie, which fails the run with its hash.
        self.tree
            .get(key(prefix, hash.as_slice()))
            .ok()
            .flatten()
            .map(|v| Bytes::copy_from_slice(&v))
    }

    /// Moves the pending writes the states at `roots` reach into `batch` and drops the rest:
    /// the intermediate states inside a block are rebuilt from its parent when needed, so
    /// only block-final states are kept.
    fn drain_into(&mut self, batch: &mut sled::Batch, roots: &[B256]) -> Result<(), StoreError> {
        let pending = std::mem::take(&mut self.nodes);
        let mut keep = B256Set::default();
        mark_state(
            roots,
            &pending,
            &mut |h| pending.contains_key(h) && keep.insert(*h),
            &mut |_| {},
        )?;
        for (hash, node) in pending {
            if keep.contains(&hash) {
                batch.insert(key(NODE, hash.as_slice()), node.as_ref());
            }
        }
        for (hash, code) in self.codes.drain() {
            batch.insert(key(CODE, hash.as_slice()), code.as_ref());
        }
        Ok(())
    }
}

impl NodeStore for SledNodes {
    fn node(&self, hash: &B256) -> Option<Bytes> {
        self.nodes
            .get(hash)
            .cloned()
            .or_else(|| self.get(NODE, hash))
    }

    fn code(&self, hash: &B256) -> Option<Bytes> {
        self.codes
            .get(hash)
            .cloned()
            .or_else(|| self.get(CODE, hash))
    }

    fn insert(&mut self, nodes: B256Map<Bytes>, codes: B256Map<Bytes>) {
        self.nodes.extend(nodes);
        self.codes.extend(codes);
    }
}

/// What a prune removed and kept.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct PruneStats {
    /// Trie nodes and bytecodes still reachable from a kept block.
    pub kept: u64,
    /// Trie nodes and bytecodes removed.
    pub removed: u64,
    /// Block records removed.
    pub blocks: u64,
    /// Batch records (blobs) removed.
    pub batches: u64,
}

/// Visits the states at `roots`: the account trie, every storage trie its accounts name, and
/// their code hashes. `enter` decides which trie nodes to descend into (and so deduplicates).
fn mark_state<S: NodeSource + ?Sized>(
    roots: &[B256],
    source: &S,
    enter: &mut impl FnMut(&B256) -> bool,
    code: &mut impl FnMut(B256),
) -> Result<(), StoreError> {
    let corrupt = |what: String, reason: String| StoreError::Corrupt { key: what, reason };
    let mut storage_roots = Vec::new();
    for root in roots {
        let mut broken = None;
        mpt::walk(
            *root,
            source,
            enter,
            &mut |leaf| match TrieAccount::decode(&mut &leaf[..]) {
                Ok(account) => {
                    storage_roots.push(account.storage_root);
                    code(account.code_hash);
                }
                Err(e) => broken = Some(e.to_string()),
            },
        )
        .map_err(|e| corrupt(format!("state {root}"), e.to_string()))?;
        if let Some(reason) = broken {
            return Err(corrupt(format!("an account under {root}"), reason));
        }
        for storage in storage_roots.drain(..) {
            mpt::walk(storage, source, enter, &mut |_| {})
                .map_err(|e| corrupt(format!("storage {storage}"), e.to_string()))?;
        }
    }
    Ok(())
}

/// The L2 node's sled database.
#[derive(Debug, Clone)]
pub struct L2Store {
    db: sled::Db,
    tree: sled::Tree,
}

impl L2Store {
    /// Opens (or creates) the store in directory `path`.
    pub fn open(path: impl AsRef<Path>) -> Result<Self, StoreError> {
        let config = sled::Config::new().path(path).cache_capacity(512 << 20);
        // sled's flusher thread holds the file lock a moment after the last handle is dropped,
        // so a store reopened by the same process may find it still locked.
        let mut attempts = 0;
        let db = loop {
            match config.open() {
                Err(sled::Error::Io(e)) if attempts < 100 && e.to_string().contains("lock") => {
                    attempts += 1;
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => break other?,
            }
        };
        let tree = db.open_tree("l2")?;
        Ok(Self { db, tree })
    }

    /// A view of the stored nodes with no pending writes.
    pub fn nodes(&self) -> SledNodes {
        SledNodes {
            tree: self.tree.clone(),
            nodes: B256Map::default(),
            codes: B256Map::default(),
        }
    }

    /// The chain this store holds (its genesis hash), if any.
    pub fn identity(&self) -> Result<Option<B256>, StoreError> {
        self.tree
            .get(IDENTITY)?
            .map(|v| decode(IDENTITY, &v))
            .transpose()
    }

    /// The head block's number, if any block is stored.
    pub fn head(&self) -> Result<Option<u64>, StoreError> {
        self.tree.get(HEAD)?.map(|v| decode(HEAD, &v)).transpose()
    }

    /// The last L1 block derivation read.
    pub fn cursor(&self) -> Result<Option<L1Cursor>, StoreError> {
        self.tree
            .get(CURSOR)?
            .map(|v| decode(CURSOR, &v))
            .transpose()
    }

    /// The oldest block whose state is kept.
    pub fn oldest(&self) -> Result<u64, StoreError> {
        Ok(self
            .tree
            .get(PRUNED)?
            .map(|v| decode(PRUNED, &v))
            .transpose()?
            .unwrap_or(0))
    }

    /// The record of block `number`.
    pub fn block(&self, number: u64) -> Result<BlockRecord, StoreError> {
        let k = key(BLOCK, &number.to_be_bytes());
        let value = self.tree.get(&k)?.ok_or(StoreError::MissingBlock(number))?;
        decode(&k, &value)
    }

    /// Batch `index`'s record, its blob as posted.
    pub fn batch(&self, index: u64) -> Result<BatchRecord, StoreError> {
        let k = key(BATCH, &index.to_be_bytes());
        let value = self.tree.get(&k)?.ok_or(StoreError::MissingBatch(index))?;
        decode(&k, &value)
    }

    /// Removes the records of batches `from` and later.
    fn remove_batches_from(&self, batch: &mut sled::Batch, from: u64) -> Result<(), StoreError> {
        for entry in self
            .tree
            .range(key(BATCH, &from.to_be_bytes())..key(BATCH + 1, &[]))
        {
            batch.remove(entry?.0);
        }
        Ok(())
    }

    /// The header of block `number` (headers outlive pruning, for BLOCKHASH).
    pub fn header(&self, number: u64) -> Result<Header, StoreError> {
        let k = key(HEADER, &number.to_be_bytes());
        let value = self.tree.get(&k)?.ok_or(StoreError::MissingBlock(number))?;
        decode(&k, &value)
    }

    /// What block `number` included and skipped.
    pub fn body(&self, number: u64) -> Result<BlockBody, StoreError> {
        let k = key(BODY, &number.to_be_bytes());
        let value = self.tree.get(&k)?.ok_or(StoreError::MissingBlock(number))?;
        decode(&k, &value)
    }

    /// The number of the block with `hash`, if the chain holds it.
    pub fn block_number(&self, hash: B256) -> Result<Option<u64>, StoreError> {
        let k = key(HASH, hash.as_slice());
        self.tree.get(&k)?.map(|v| decode(&k, &v)).transpose()
    }

    /// Where transaction `hash` was included, or else last skipped, if anywhere.
    pub fn transaction(&self, hash: B256) -> Result<Option<TxLocation>, StoreError> {
        let k = key(TX, hash.as_slice());
        self.tree.get(&k)?.map(|v| decode(&k, &v)).transpose()
    }

    /// Headers `from..=to`.
    pub fn headers(&self, from: u64, to: u64) -> Result<Vec<Header>, StoreError> {
        (from..=to).map(|n| self.header(n)).collect()
    }

    /// Writes the genesis block of chain `identity`.
    pub fn init(
        &self,
        identity: B256,
        genesis: BlockRecord,
        nodes: &mut SledNodes,
        cursor: L1Cursor,
    ) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        batch.insert(IDENTITY, alloy_rlp::encode(identity));
        self.write_blocks(
            &mut batch,
            &[(genesis, BlockBody::default())],
            nodes,
            Some(cursor),
        )?;
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// Checks that the store holds chain `identity`.
    pub fn check_identity(&self, identity: B256) -> Result<(), StoreError> {
        match self.identity()? {
            Some(found) if found != identity => Err(StoreError::OtherChain {
                expected: identity,
                found,
            }),
            _ => Ok(()),
        }
    }

    fn write_blocks(
        &self,
        batch: &mut sled::Batch,
        blocks: &[(BlockRecord, BlockBody)],
        nodes: &mut SledNodes,
        cursor: Option<L1Cursor>,
    ) -> Result<(), StoreError> {
        let roots: Vec<B256> = blocks.iter().map(|b| b.0.header.state_root).collect();
        nodes.drain_into(batch, &roots)?;
        // An inclusion outranks a skip of the same hash (a transaction skipped once, when its
        // sender could not pay, and included later); among equals the later block wins.
        let mut locations = B256Map::<TxLocation>::default();
        for (record, body) in blocks {
            let block = record.header.number;
            let number = block.to_be_bytes();
            batch.insert(key(BLOCK, &number), alloy_rlp::encode(record));
            batch.insert(key(HEADER, &number), alloy_rlp::encode(&record.header));
            batch.insert(key(BODY, &number), alloy_rlp::encode(body));
            batch.insert(
                key(HASH, record.header.hash_slow().as_slice()),
                alloy_rlp::encode(block),
            );
            for (index, raw) in body.transactions.iter().enumerate() {
                let location = TxLocation {
                    block,
                    index: index as u64,
                    included: true,
                };
                locations.insert(keccak256(raw), location);
            }
            for (index, skipped) in body.skipped.iter().enumerate() {
                let included = match locations.get(&skipped.hash) {
                    Some(seen) => seen.included,
                    None => self.transaction(skipped.hash)?.is_some_and(|l| l.included),
                };
                if !included {
                    let location = TxLocation {
                        block,
                        index: index as u64,
                        included: false,
                    };
                    locations.insert(skipped.hash, location);
                }
            }
        }
        for (hash, location) in locations {
            batch.insert(key(TX, hash.as_slice()), alloy_rlp::encode(location));
        }
        if let Some((last, _)) = blocks.last() {
            batch.insert(HEAD, alloy_rlp::encode(last.header.number));
        }
        if let Some(cursor) = cursor {
            batch.insert(CURSOR, alloy_rlp::encode(cursor));
        }
        Ok(())
    }

    /// Writes derived blocks with their bodies, the nodes their states created, the batch that
    /// carried them (its index and record) and the L1 cursor, atomically.
    pub fn commit(
        &self,
        blocks: &[(BlockRecord, BlockBody)],
        nodes: &mut SledNodes,
        carried_by: Option<(u64, &BatchRecord)>,
        cursor: L1Cursor,
    ) -> Result<(), StoreError> {
        let mut batch = sled::Batch::default();
        self.write_blocks(&mut batch, blocks, nodes, Some(cursor))?;
        if let Some((index, record)) = carried_by {
            batch.insert(key(BATCH, &index.to_be_bytes()), alloy_rlp::encode(record));
        }
        self.tree.apply_batch(batch)?;
        Ok(())
    }

    /// Records that derivation read L1 up to `cursor`.
    pub fn set_cursor(&self, cursor: L1Cursor) -> Result<(), StoreError> {
        self.tree.insert(CURSOR, alloy_rlp::encode(cursor))?;
        Ok(())
    }

    /// Moves the head back to block `number` and the cursor to `cursor`, forgetting later
    /// blocks (their nodes go at the next prune).
    pub fn rollback(&self, number: u64, cursor: L1Cursor) -> Result<(), StoreError> {
        let head = self.head()?.unwrap_or(0);
        let mut batch = sled::Batch::default();
        for n in number + 1..=head {
            self.forget_body(&mut batch, n, number)?;
            batch.remove(key(BLOCK, &n.to_be_bytes()));
            batch.remove(key(HEADER, &n.to_be_bytes()));
        }
        batch.insert(HEAD, alloy_rlp::encode(number));
        batch.insert(CURSOR, alloy_rlp::encode(cursor));
        self.remove_batches_from(&mut batch, cursor.next_batch)?;
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        Ok(())
    }

    /// Removes block `n`'s body and hash, and the transaction locations that point into blocks
    /// after `keep` (a hash seen again in a kept block keeps that location).
    fn forget_body(&self, batch: &mut sled::Batch, n: u64, keep: u64) -> Result<(), StoreError> {
        let number = n.to_be_bytes();
        if let Ok(header) = self.header(n) {
            batch.remove(key(HASH, header.hash_slow().as_slice()));
        }
        let body = match self.body(n) {
            Ok(body) => body,
            Err(StoreError::MissingBlock(_)) => return Ok(()),
            Err(e) => return Err(e),
        };
        let hashes = body
            .transactions
            .iter()
            .map(keccak256)
            .chain(body.skipped.iter().map(|s| s.hash));
        for hash in hashes {
            if self.transaction(hash)?.is_some_and(|l| l.block > keep) {
                batch.remove(key(TX, hash.as_slice()));
            }
        }
        batch.remove(key(BODY, &number));
        Ok(())
    }

    /// Keeps what replaying blocks `keep_from..=head` needs (the states after blocks
    /// `keep_from - 1..=head`) and removes every other node, bytecode and block record.
    pub fn prune(&self, keep_from: u64) -> Result<PruneStats, StoreError> {
        let head = self.head()?.unwrap_or(0);
        let oldest = self.oldest()?;
        let keep_from = keep_from.clamp(1, head.max(1));
        let roots = (keep_from - 1..=head)
            .map(|n| self.header(n).map(|h| h.state_root))
            .collect::<Result<Vec<_>, _>>()?;
        let nodes = self.nodes();
        let mut live = B256Set::default();
        let mut live_codes = B256Set::default();
        mark_state(
            &roots,
            &Nodes(&nodes),
            &mut |h| live.insert(*h),
            &mut |code| {
                live_codes.insert(code);
            },
        )?;
        let mut stats = PruneStats::default();
        let mut batch = sled::Batch::default();
        for (prefix, keep) in [(NODE, &live), (CODE, &live_codes)] {
            for entry in self.tree.scan_prefix([prefix]) {
                let (k, _) = entry?;
                if keep.contains(&B256::from_slice(&k[1..])) {
                    stats.kept += 1;
                } else {
                    batch.remove(k);
                    stats.removed += 1;
                }
            }
        }
        for n in oldest..keep_from {
            if self.tree.contains_key(key(BLOCK, &n.to_be_bytes()))? {
                batch.remove(key(BLOCK, &n.to_be_bytes()));
                stats.blocks += 1;
            }
        }
        // Blobs go with the last kept block of their batch: a dispute about a kept block can
        // still open its batch's blob.
        if keep_from.max(oldest) <= head {
            let first_kept = self.block(keep_from.max(oldest))?.origin.batch;
            for entry in self
                .tree
                .range(key(BATCH, &[])..key(BATCH, &first_kept.to_be_bytes()))
            {
                batch.remove(entry?.0);
                stats.batches += 1;
            }
        }
        batch.insert(PRUNED, alloy_rlp::encode(keep_from.max(oldest)));
        self.tree.apply_batch(batch)?;
        self.db.flush()?;
        Ok(stats)
    }

    /// Writes everything to disk.
    pub fn flush(&self) -> Result<(), StoreError> {
        self.db.flush()?;
        Ok(())
    }

    /// Bytes the store occupies on disk.
    pub fn size_on_disk(&self) -> Result<u64, StoreError> {
        Ok(self.db.size_on_disk()?)
    }
}
