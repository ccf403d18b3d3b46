//! An L2 node: derives the chain from L1 batches into the on-disk store, follows L1 reorgs, and
//! rebuilds every step of any block still in the window on demand.

use std::path::Path;

use alloy_consensus::{transaction::SignerRecoverable, Header, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{keccak256, Address, Bytes, B256};
use alloy_provider::Provider;
use execute::{
    witness::{AccountState, CompleteState},
    ExecuteError,
};

use rollup::{
    batch::{decode, BatchBlock, VERSION},
    blob::{payload, Blob},
    derive::{DerivedBlock, L1Batch, L2Chain, BLOCKHASH_WINDOW},
    lie::Lie,
    rules::{BlockInputs, L2Config, Position},
};

use crate::{
    l1::{L1Error, L1Source},
    store::{
        BatchRecord, BlockBody, BlockRecord, L1Cursor, L1Origin, L2Store, PruneStats,
        SkippedCandidate, SledNodes, StoreError,
    },
};

/// Runs `f`, which executes EVMs or reads the store at length, off the async runtime's workers.
/// revm's context is `!Send`, so the work cannot move to another thread; on a multi-thread runtime
/// `block_in_place` instead hands this worker's other tasks to the rest of the pool while `f`
/// runs. A current-thread runtime (some tests) has no pool to hand them to, and runs `f` in place.
pub fn off_runtime<R>(f: impl FnOnce() -> R) -> R {
    match tokio::runtime::Handle::try_current() {
        Ok(handle) if handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::MultiThread => {
            tokio::task::block_in_place(f)
        }
        _ => f(),
    }
}

/// Why the node could not go on.
#[derive(Debug, thiserror::Error)]
pub enum NodeError {
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// Reading L1 failed.
    #[error(transparent)]
    L1(#[from] L1Error),
    /// A block could not be built (an internal error: the inclusion rule never fails a block).
    #[error("deriving block {number}: {source}")]
    Execute {
        /// The block.
        number: u64,
        /// Why.
        source: ExecuteError,
    },
    /// A batch arrived out of order.
    #[error(
        "batch {index} (first block {first_block}) does not follow batch {expected} / block {head}"
    )]
    OutOfOrder {
        /// Its index.
        index: u64,
        /// Its first block.
        first_block: u64,
        /// The batch expected next.
        expected: u64,
        /// The head block.
        head: u64,
    },
    /// Re-deriving a stored block gave another block: the store is corrupt.
    #[error("block {number} re-derives to {derived}, the store has {stored}")]
    Mismatch {
        /// The block.
        number: u64,
        /// The stored hash.
        stored: B256,
        /// The re-derived hash.
        derived: B256,
    },
}

/// An L2's genesis: its constants, accounts and timestamp.
#[derive(Debug, Clone)]
pub struct Genesis {
    /// The chain's constants.
    pub config: L2Config,
    /// Funded accounts (the system contracts are added).
    pub accounts: Vec<(Address, AccountState)>,
    /// Genesis timestamp.
    pub timestamp: u64,
}

impl Genesis {
    /// A digest of everything that defines the chain, so a store is never opened for another.
    /// The L1's fork schedule is not in it: the L1 schedules forks ahead of time, so a schedule
    /// that grew since the store was made gives its blocks the same rules.
    pub fn identity(&self) -> B256 {
        let mut bytes = self.config.chain_rlp().to_vec();
        bytes.extend_from_slice(&self.config.gas_limit.to_be_bytes());
        bytes.extend_from_slice(self.config.fee_recipient.as_slice());
        bytes.extend_from_slice(&self.timestamp.to_be_bytes());
        for (address, account) in &self.accounts {
            bytes.extend_from_slice(address.as_slice());
            bytes.extend_from_slice(&account.nonce.to_be_bytes());
            bytes.extend_from_slice(&account.balance.to_be_bytes::<32>());
            bytes.extend_from_slice(keccak256(&account.code).as_slice());
            for (slot, value) in &account.storage {
                bytes.extend_from_slice(&slot.to_be_bytes::<32>());
                bytes.extend_from_slice(&value.to_be_bytes::<32>());
            }
        }
        keccak256(bytes)
    }
}

/// What a sync did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SyncReport {
    /// Blocks rolled back by an L1 reorg.
    pub rolled_back: u64,
    /// Batches applied.
    pub batches: u64,
    /// Blocks derived.
    pub blocks: u64,
    /// The L1 block read up to.
    pub l1_head: u64,
}

/// An L2 node over its sled store.
#[derive(Debug)]
pub struct L2Node {
    config: L2Config,
    store: L2Store,
    chain: L2Chain<SledNodes>,
    start: L1Cursor,
    any_version: bool,
}

impl L2Node {
    /// Opens the node's store in `path`, creating the chain from `genesis` if it is empty and
    /// resuming at its head otherwise. Derivation starts after L1 block `start_after` (the
    /// inbox's deployment, or any block before it).
    pub fn open(
        path: impl AsRef<Path>,
        genesis: Genesis,
        start_after: u64,
    ) -> Result<Self, NodeError> {
        let store = L2Store::open(path)?;
        let identity = genesis.identity();
        let start = L1Cursor {
            number: start_after,
            hash: B256::ZERO,
            next_batch: 0,
        };
        let config = genesis.config;
        if store.head()?.is_none() {
            let mut chain = L2Chain::genesis(
                config.clone(),
                genesis.accounts,
                genesis.timestamp,
                store.nodes(),
            )
            .map_err(|source| NodeError::Execute { number: 0, source })?;
            let header = chain.head().clone();
            let record = BlockRecord {
                declared: header.timestamp,
                origin: L1Origin::default(),
                candidates: Vec::new(),
                positions: vec![Position::start(header.state_root)],
                deposits: Vec::new(),
                header,
            };
            store.init(identity, record, chain.state_mut().store_mut(), start)?;
        }
        store.check_identity(identity)?;
        let chain = load(&store, config.clone())?;
        Ok(Self {
            config,
            store,
            chain,
            start,
            any_version: false,
        })
    }

    /// Test mode (the `lies` feature), to stage a dishonest proposer: batches of any version are
    /// decoded as version 1 instead of deriving empty blocks, as a node that skips the check
    /// would.
    #[cfg(feature = "lies")]
    pub fn accept_any_batch_version(&mut self) {
        self.any_version = true;
    }

    /// The store.
    pub const fn store(&self) -> &L2Store {
        &self.store
    }

    /// The chain's constants.
    pub const fn config(&self) -> &L2Config {
        &self.config
    }

    /// The head's header.
    pub fn head(&self) -> &Header {
        self.chain.head()
    }

    /// The state at the head.
    pub const fn state(&self) -> &CompleteState<SledNodes> {
        self.chain.state()
    }

    /// Where derivation stands on L1.
    pub fn cursor(&self) -> Result<L1Cursor, NodeError> {
        Ok(self.store.cursor()?.unwrap_or(self.start))
    }

    /// Derives a batch's blocks and stores them with their states, atomically. The batch must
    /// be the next one and start at the next block.
    pub fn apply(&mut self, batch: &L1Batch) -> Result<Vec<DerivedBlock>, NodeError> {
        let cursor = self.cursor()?;
        let head = self.head().number;
        if batch.index != cursor.next_batch || batch.first_block != head + 1 {
            return Err(NodeError::OutOfOrder {
                index: batch.index,
                first_block: batch.first_block,
                expected: cursor.next_batch,
                head,
            });
        }
        let origin = L1Origin {
            batch: batch.index,
            number: batch.l1_block,
            hash: batch.l1_hash,
            timestamp: batch.l1_timestamp,
        };
        let mut payload = batch.payload.clone();
        if self.any_version {
            if let Some(version) = payload.first_mut() {
                *version = VERSION;
            }
        }
        let blocks = decode(&payload, batch.block_count, batch.l1_timestamp);
        let inputs = (0..blocks.len()).map(|j| batch.inputs(j)).collect();
        let record = BatchRecord {
            blob_hash: batch.blob_hash,
            first_block: batch.first_block,
            block_count: u64::from(batch.block_count),
            blob: Bytes::copy_from_slice(batch.blob.as_slice()),
            deposits: batch.deposits.clone(),
            message_roots: batch.message_roots.clone(),
        };
        self.derive_and_commit(origin, blocks, inputs, Some(&record))
    }

    /// The batch that carried L2 block `number`, its blob as posted, from the store: what a
    /// dispute about the block opens on L1, long after beacon nodes have pruned the blob.
    pub fn batch_of(&self, number: u64) -> Result<L1Batch, NodeError> {
        let origin = self.store.block(number)?.origin;
        let record = self.store.batch(origin.batch)?;
        let blob = Blob::try_from(record.blob.as_ref()).map_err(|_| StoreError::Corrupt {
            key: format!("batch {}", origin.batch),
            reason: format!("a blob of {} bytes", record.blob.len()),
        })?;
        Ok(L1Batch {
            index: origin.batch,
            blob_hash: record.blob_hash,
            first_block: record.first_block,
            block_count: u16::try_from(record.block_count).map_err(|_| StoreError::Corrupt {
                key: format!("batch {}", origin.batch),
                reason: format!("{} blocks", record.block_count),
            })?,
            l1_block: origin.number,
            l1_hash: origin.hash,
            l1_timestamp: origin.timestamp,
            payload: payload(&blob),
            blob: Box::new(blob),
            deposits: record.deposits,
            message_roots: record.message_roots,
        })
    }

    /// Derives decoded blocks carried by the batch at `origin`, each with the L1 inputs beside
    /// it (none past the end of `inputs`), and stores them with their states, atomically; the
    /// cursor moves past that batch.
    pub fn apply_blocks(
        &mut self,
        origin: L1Origin,
        blocks: Vec<BatchBlock>,
        inputs: Vec<BlockInputs>,
    ) -> Result<Vec<DerivedBlock>, NodeError> {
        self.derive_and_commit(origin, blocks, inputs, None)
    }

    fn derive_and_commit(
        &mut self,
        origin: L1Origin,
        blocks: Vec<BatchBlock>,
        inputs: Vec<BlockInputs>,
        record: Option<&BatchRecord>,
    ) -> Result<Vec<DerivedBlock>, NodeError> {
        let mut derived = Vec::new();
        let mut records = Vec::new();
        let mut inputs = inputs.into_iter();
        for block in blocks {
            let number = self.head().number + 1;
            let block_inputs = inputs.next().unwrap_or_else(BlockInputs::none);
            let credited = block_inputs.deposits.clone();
            let result = self.chain.derive_block(
                block.timestamp,
                origin.timestamp,
                block.transactions,
                block_inputs,
            );
            let block_derived = match result {
                Ok(d) => d,
                Err(source) => {
                    // Forget the half-built batch: the store still has the head before it.
                    self.chain = load(&self.store, self.config.clone())?;
                    return Err(NodeError::Execute { number, source });
                }
            };
            let record = BlockRecord {
                header: block_derived.header.clone(),
                declared: block.timestamp,
                origin,
                candidates: block_derived.candidates.clone(),
                positions: block_derived.positions.clone(),
                deposits: credited,
            };
            records.push((record, body_of(&block_derived)));
            derived.push(block_derived);
        }
        let cursor = L1Cursor {
            number: origin.number,
            hash: origin.hash,
            next_batch: origin.batch + 1,
        };
        let committed = self.store.commit(
            &records,
            self.chain.state_mut().store_mut(),
            record.map(|r| (origin.batch, r)),
            cursor,
        );
        if let Err(e) = committed {
            self.chain = load(&self.store, self.config.clone())?;
            return Err(e.into());
        }
        Ok(derived)
    }

    /// Rolls the chain back to the last block whose batch is still on L1's canonical chain, as
    /// `canonical(number)` reports L1 block hashes. Returns the blocks removed.
    pub fn rewind(
        &mut self,
        mut canonical: impl FnMut(u64) -> Result<Option<B256>, NodeError>,
    ) -> Result<u64, NodeError> {
        let head = self.head().number;
        let mut number = head;
        while number > 0 {
            let origin = self.store.block(number)?.origin;
            if canonical(origin.number)? == Some(origin.hash) {
                break;
            }
            number -= 1;
        }
        let cursor = if number == 0 {
            self.start
        } else {
            let origin = self.store.block(number)?.origin;
            // Blocks after `number` in the same batch are kept too: a batch is all or nothing.
            while number < head && self.store.block(number + 1)?.origin == origin {
                number += 1;
            }
            L1Cursor {
                number: origin.number,
                hash: origin.hash,
                next_batch: origin.batch + 1,
            }
        };
        self.store.rollback(number, cursor)?;
        self.chain = load(&self.store, self.config.clone())?;
        Ok(head - number)
    }

    /// Follows L1 up to its head: rolls back what a reorg removed, then applies every new batch.
    pub async fn sync<P: Provider>(&mut self, l1: &L1Source<P>) -> Result<SyncReport, NodeError> {
        let mut report = SyncReport::default();
        let mut cursor = self.cursor()?;
        if cursor.hash != B256::ZERO && l1.block_hash(cursor.number).await? != Some(cursor.hash) {
            // Ask L1 about the origins from the head back to the first still canonical one
            // (`rewind` is synchronous); older blocks, pruned or not, are never read.
            let mut hashes: Vec<(u64, Option<B256>)> = Vec::new();
            for n in (1..=self.head().number).rev() {
                let origin = self.store.block(n)?.origin;
                if hashes.last().map(|(number, _)| *number) == Some(origin.number) {
                    continue;
                }
                let hash = l1.block_hash(origin.number).await?;
                hashes.push((origin.number, hash));
                if hash == Some(origin.hash) {
                    break;
                }
            }
            report.rolled_back = off_runtime(|| {
                self.rewind(|number| {
                    Ok(hashes
                        .iter()
                        .find(|(n, _)| *n == number)
                        .and_then(|(_, h)| *h))
                })
            })?;
            cursor = self.cursor()?;
        }
        let head = l1.head_number().await?;
        let mut from = cursor.number + 1;
        while from <= head {
            let to = from.saturating_add(l1.log_range() - 1).min(head);
            for batch in l1.batches(from, to).await? {
                if batch.index < self.cursor()?.next_batch {
                    continue;
                }
                report.blocks += off_runtime(|| self.apply(&batch))?.len() as u64;
                report.batches += 1;
            }
            if let Some(hash) = l1.block_hash(to).await? {
                let next_batch = self.cursor()?.next_batch;
                self.store.set_cursor(L1Cursor {
                    number: to,
                    hash,
                    next_batch,
                })?;
            }
            from = to + 1;
        }
        report.l1_head = head;
        Ok(report)
    }

    /// Re-derives stored block `number` from its parent's state, with the trace of every step:
    /// what a dispute about it needs. Fails if the parent's state was pruned.
    pub fn replay(&self, number: u64) -> Result<DerivedBlock, NodeError> {
        self.replay_as(number, None)
    }

    /// [`L2Node::replay`] as a dishonest proposer would claim the block (test mode, the `lies`
    /// feature): `lie` says how it breaks the rules. The hash check applies to honest replays
    /// only.
    #[cfg(feature = "lies")]
    pub fn replay_with(&self, number: u64, lie: Option<Lie>) -> Result<DerivedBlock, NodeError> {
        self.replay_as(number, lie)
    }

    fn replay_as(&self, number: u64, lie: Option<Lie>) -> Result<DerivedBlock, NodeError> {
        self.replayer().replay_as(number, lie)
    }

    /// What [`L2Node::replay`] needs, apart from the node: its store's handle and its rules. A
    /// replay through it runs without holding the node (the JSON-RPC server's witnesses), and
    /// fails, rather than answering wrong, if the node prunes the parent's state meanwhile.
    pub fn replayer(&self) -> Replayer {
        Replayer {
            config: self.config.clone(),
            store: self.store.clone(),
        }
    }

    /// The hash a dishonest proposer believes block `number` has after lying about block
    /// `lie_block` as `lie` says (test mode): the stored hash before the lie, the lying block's,
    /// and after it the stored blocks re-linked to the lie by their parent hashes, as a chain
    /// that went on from the lying block would be.
    #[cfg(feature = "lies")]
    pub fn lying_hash(&self, number: u64, lie_block: u64, lie: Lie) -> Result<B256, NodeError> {
        if number < lie_block {
            return Ok(self.store.header(number)?.hash_slow());
        }
        let lying = self.replay_with(lie_block, Some(lie))?.hash;
        self.hash_linked_to(lie_block, lying, number)
    }

    /// The hash of stored block `number` (at or after `block`) re-linked by parent hashes to
    /// block `block` having hash `hash` instead of its own (test mode, see
    /// [`L2Node::lying_hash`]).
    #[cfg(feature = "lies")]
    pub fn hash_linked_to(&self, block: u64, hash: B256, number: u64) -> Result<B256, NodeError> {
        let mut hash = hash;
        for n in block + 1..=number {
            let mut header = self.store.header(n)?;
            header.parent_hash = hash;
            hash = header.hash_slow();
        }
        Ok(hash)
    }

    /// Drops the state of blocks older than the last `window` (their nodes, bytecode and
    /// records; headers stay for BLOCKHASH).
    pub fn prune(&self, window: u64) -> Result<PruneStats, NodeError> {
        let keep_from = self.head().number.saturating_sub(window).max(1);
        Ok(self.store.prune(keep_from)?)
    }
}

/// Re-derives stored blocks from their parents' states: [`L2Node::replayer`].
#[derive(Debug, Clone)]
pub struct Replayer {
    config: L2Config,
    store: L2Store,
}

impl Replayer {
    /// [`L2Node::replay`].
    pub fn replay(&self, number: u64) -> Result<DerivedBlock, NodeError> {
        self.replay_as(number, None)
    }

    fn replay_as(&self, number: u64, lie: Option<Lie>) -> Result<DerivedBlock, NodeError> {
        let record = self.store.block(number)?;
        if number == 0 || number < self.store.oldest()? {
            return Err(StoreError::MissingBlock(number).into());
        }
        let first = number.saturating_sub(BLOCKHASH_WINDOW as u64);
        let ancestors = self.store.headers(first, number - 1)?;
        let parent_root = ancestors.last().expect("the parent").state_root;
        let mut chain = L2Chain::resume(
            self.config.clone(),
            CompleteState::at(parent_root, self.store.nodes()),
            ancestors,
        );
        let (declared, l1_timestamp) = (record.declared, record.origin.timestamp);
        // The header holds the message root the block committed to (before Cancun, none).
        let inputs = BlockInputs {
            deposits: record.deposits,
            message_root: record.header.parent_beacon_block_root.unwrap_or_default(),
        };
        #[cfg(feature = "lies")]
        let derived =
            chain.derive_block_lying(declared, l1_timestamp, record.candidates, inputs, lie);
        #[cfg(not(feature = "lies"))]
        let derived = chain.derive_block(declared, l1_timestamp, record.candidates, inputs);
        let derived = derived.map_err(|source| NodeError::Execute { number, source })?;
        let stored = record.header.hash_slow();
        if lie.is_none() && derived.hash != stored {
            return Err(NodeError::Mismatch {
                number,
                stored,
                derived: derived.hash,
            });
        }
        Ok(derived)
    }
}

/// What `block` did for its senders: the candidates it included with their senders and
/// receipts, and why it skipped the others.
fn body_of(block: &DerivedBlock) -> BlockBody {
    let mut body = BlockBody::default();
    for (k, (raw, step)) in block.candidates.iter().zip(&block.steps).enumerate() {
        match step {
            Ok(step) => {
                // EXECUTE ran it, so it decodes and its signature recovers.
                let sender = TxEnvelope::decode_2718_exact(raw.as_ref())
                    .ok()
                    .and_then(|tx| tx.recover_signer().ok())
                    .unwrap_or_default();
                body.transactions.push(raw.clone());
                body.senders.push(sender);
                body.receipts.extend(step.receipts.iter().cloned());
            }
            Err(skip) => body.skipped.push(SkippedCandidate {
                candidate: k as u64,
                hash: keccak256(raw),
                reason: skip.to_string(),
            }),
        }
    }
    body.withdrawals.clone_from(&block.end.trace.withdrawals);
    body
}

fn load(store: &L2Store, config: L2Config) -> Result<L2Chain<SledNodes>, NodeError> {
    let head = store.head()?.unwrap_or(0);
    let first = head.saturating_sub(BLOCKHASH_WINDOW as u64 - 1);
    let headers = store.headers(first, head)?;
    let root = headers.last().expect("the head").state_root;
    Ok(L2Chain::resume(
        config,
        CompleteState::at(root, store.nodes()),
        headers,
    ))
}
