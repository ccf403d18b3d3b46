//! Building L2 blocks from their candidates, one provable step at a time: a candidate is
//! included iff EXECUTE accepts it as a one-transaction segment from the current position, with
//! a trace of at most [`MAX_STEP_BYTES`] bytes and at most [`MAX_STEP_GAS`] gas, and it is not a
//! blob transaction (`docs/protocol.md`, section 2).

use alloy_consensus::Header;
use alloy_eips::eip4895::Withdrawal;
use alloy_primitives::{keccak256, Address, Bytes, B256, U256};
use execute::{
    store::{MemoryStore, NodeStore},
    trace::Segment,
    witness::{AccountState, CompleteState, TraceRequest, TracedSegment},
    ChainConfig, ExecuteError,
};

use crate::{
    batch::decode,
    blob::Blob,
    lie::Lie,
    rules::{
        block_inputs, block_timestamp, deposit_credit, withdrawal_hash, withdrawal_slot,
        BlockInputs, L2Config, Position, L2_BRIDGE, MAX_STEP_BYTES, MAX_STEP_GAS,
        WITHDRAWAL_COUNT_SLOT,
    },
};

/// Ancestor headers a block can reach with BLOCKHASH.
pub const BLOCKHASH_WINDOW: usize = 256;
/// EIP-4844's transaction type.
const BLOB_TX_TYPE: u8 = 3;

/// A batch as derivation needs it: where it sits and what its blob holds.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct L1Batch {
    /// Index in the inbox.
    pub index: u64,
    /// The blob's versioned hash.
    pub blob_hash: B256,
    /// First L2 block it holds.
    pub first_block: u64,
    /// L2 blocks it declares.
    pub block_count: u16,
    /// L1 block that carried it.
    pub l1_block: u64,
    /// That block's hash.
    pub l1_hash: B256,
    /// That block's timestamp.
    pub l1_timestamp: u64,
    /// The blob's payload.
    pub payload: Vec<u8>,
    /// The blob exactly as posted, all 4096 elements. Derivation ignores byte 0 of each element,
    /// so the payload does not determine the blob: opening it on L1 needs this copy.
    pub blob: Box<Blob>,
    /// The deposits its blocks credit, in queue order, as the withdrawals that credit them
    /// (`Inbox.BatchSubmitted`'s `depositsStart .. depositsEnd`).
    pub deposits: Vec<Withdrawal>,
    /// The message roots its blocks commit to (`Inbox.messageRootsOf`): block `j` commits to
    /// `message_roots[min(j, len - 1)]`.
    pub message_roots: Vec<B256>,
}

impl L1Batch {
    /// What its block `j` takes from L1.
    pub fn inputs(&self, j: usize) -> BlockInputs {
        block_inputs(&self.deposits, &self.message_roots, j)
    }
}

/// A derived L2 block, with what every step of a dispute about it needs.
#[derive(Debug, Clone)]
pub struct DerivedBlock {
    /// The sealed header.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
    /// The candidates, in batch order.
    pub candidates: Vec<Bytes>,
    /// Positions `0..=m`: before any candidate, then after each.
    pub positions: Vec<Position>,
    /// For each candidate, the step that includes it, or why the inclusion rule skipped it.
    pub steps: Vec<Result<TracedSegment, Skip>>,
    /// The end of the block: the end-of-block segment (or the whole block if none was included).
    pub end: TracedSegment,
}

/// Why the inclusion rule skipped a candidate (`docs/protocol.md`, section 2).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum Skip {
    /// The candidate is empty.
    #[error("an empty candidate")]
    Empty,
    /// Blob transactions are never included: their blobs are not part of the batch.
    #[error("a blob transaction")]
    BlobTransaction,
    /// EXECUTE refuses the one-transaction step (a bad signature, nonce, fee or balance...).
    #[error("EXECUTE refuses it: {0}")]
    Refused(ExecuteError),
    /// The step would use more gas than one step may.
    #[error("its step uses {0} gas, more than {MAX_STEP_GAS}")]
    StepGas(u64),
    /// The step's trace would be longer than one step's may be.
    #[error("its step's trace is {0} bytes, more than {MAX_STEP_BYTES}")]
    StepBytes(usize),
    /// Test mode: a lying proposer dropped it.
    #[error("dropped by a lying proposer")]
    Dropped,
}

/// An L2 chain's head: the state at the head, in a node store, and the headers BLOCKHASH can
/// reach from the next block.
#[derive(Debug, Clone)]
pub struct L2Chain<S = MemoryStore> {
    config: L2Config,
    state: CompleteState<S>,
    headers: Vec<Header>,
}

impl L2Chain {
    /// A chain at its genesis, held in memory; an error if the L1's schedule does not cover the
    /// genesis timestamp.
    pub fn new(
        config: L2Config,
        accounts: Vec<(Address, AccountState)>,
        timestamp: u64,
    ) -> Result<Self, ExecuteError> {
        Self::genesis(config, accounts, timestamp, MemoryStore::default())
    }
}

impl<S: NodeStore> L2Chain<S> {
    /// A chain at its genesis, its state built into `store`; an error if the L1's schedule does
    /// not cover the genesis timestamp.
    pub fn genesis(
        config: L2Config,
        accounts: Vec<(Address, AccountState)>,
        timestamp: u64,
        store: S,
    ) -> Result<Self, ExecuteError> {
        let state = CompleteState::build(config.genesis_alloc(accounts), store);
        let genesis = config.genesis_header(state.root(), timestamp)?;
        Ok(Self {
            config,
            state,
            headers: vec![genesis],
        })
    }

    /// A chain resumed at a head: `state` is the head's state and `headers` end with the head
    /// (only the last [`BLOCKHASH_WINDOW`] are kept).
    pub fn resume(config: L2Config, state: CompleteState<S>, mut headers: Vec<Header>) -> Self {
        headers.drain(..headers.len().saturating_sub(BLOCKHASH_WINDOW));
        Self {
            config,
            state,
            headers,
        }
    }

    /// The chain's constants.
    pub const fn config(&self) -> &L2Config {
        &self.config
    }

    /// The head's header.
    pub fn head(&self) -> &Header {
        self.headers.last().expect("a chain has its head")
    }

    /// The state at the head.
    pub const fn state(&self) -> &CompleteState<S> {
        &self.state
    }

    /// The state at the head, to flush its store.
    pub fn state_mut(&mut self) -> &mut CompleteState<S> {
        &mut self.state
    }

    fn ancestors(&self) -> Vec<Header> {
        self.headers.clone()
    }

    fn push_header(&mut self, header: Header) {
        if self.headers.len() == BLOCKHASH_WINDOW {
            self.headers.remove(0);
        }
        self.headers.push(header);
    }

    /// Builds the blocks of an L1 batch, which must start at the next block.
    pub fn derive_batch(&mut self, batch: &L1Batch) -> Result<Vec<DerivedBlock>, ExecuteError> {
        decode(&batch.payload, batch.block_count, batch.l1_timestamp)
            .into_iter()
            .enumerate()
            .map(|(j, block)| {
                self.derive_block(
                    block.timestamp,
                    batch.l1_timestamp,
                    block.transactions,
                    batch.inputs(j),
                )
            })
            .collect()
    }

    /// Builds the next block from a batch's `candidates`, declared at `declared` and carried by
    /// an L1 block at `l1_timestamp`, with what it takes from L1: the deposits it credits at its
    /// end and the message root it commits to.
    pub fn derive_block(
        &mut self,
        declared: u64,
        l1_timestamp: u64,
        candidates: Vec<Bytes>,
        inputs: BlockInputs,
    ) -> Result<DerivedBlock, ExecuteError> {
        self.derive_block_as(declared, l1_timestamp, candidates, inputs, None)
    }

    /// [`L2Chain::derive_block`] as a dishonest proposer would claim it (test mode, the `lies`
    /// feature): the block breaks the rules as `lie` says, and its positions and header follow
    /// from that.
    #[cfg(feature = "lies")]
    pub fn derive_block_lying(
        &mut self,
        declared: u64,
        l1_timestamp: u64,
        candidates: Vec<Bytes>,
        inputs: BlockInputs,
        lie: Option<Lie>,
    ) -> Result<DerivedBlock, ExecuteError> {
        self.derive_block_as(declared, l1_timestamp, candidates, inputs, lie)
    }

    /// The block by the rules, or (test mode) broken as `lie` says.
    fn derive_block_as(
        &mut self,
        declared: u64,
        l1_timestamp: u64,
        mut candidates: Vec<Bytes>,
        inputs: BlockInputs,
        lie: Option<Lie>,
    ) -> Result<DerivedBlock, ExecuteError> {
        let BlockInputs {
            mut deposits,
            mut message_root,
        } = inputs;
        let mut timestamp = block_timestamp(self.head().timestamp, declared, l1_timestamp);
        match lie {
            Some(Lie::Timestamp) => timestamp += 1,
            Some(Lie::Reorder(a, b)) if a.max(b) < candidates.len() => candidates.swap(a, b),
            Some(Lie::DropDeposit(k)) if k < deposits.len() => {
                deposits.remove(k);
            }
            Some(Lie::InventDeposit) => {
                let index = deposits.last().map_or(u64::MAX, |d| d.index + 1);
                deposits.push(deposit_credit(
                    index,
                    Address::from(crate::lie::INVENTED_DEPOSIT_TO),
                    1_000_000_000,
                ));
            }
            Some(Lie::ForgeMessages) => message_root = keccak256(message_root),
            _ => {}
        }
        let chain = self.config.chain_at(timestamp)?;
        let template = self
            .config
            .template(self.head(), &chain, timestamp, message_root);
        let mut position = Position::start(self.state.root());
        let mut positions = vec![position];
        let mut steps = Vec::with_capacity(candidates.len());
        for (k, tx) in candidates.iter().enumerate() {
            let step = if lie == Some(Lie::Drop(k)) {
                Err(Skip::Dropped)
            } else {
                self.try_include(&chain, &template, &position, tx)
            };
            if let Ok(step) = &step {
                position = position.include(tx, step.post_state_root, step.gas_used);
            } else if lie == Some(Lie::Include(k)) {
                position = position.include(tx, position.state_root, position.gas_used);
            }
            positions.push(position);
            steps.push(step);
        }
        let mut end = self.end_block(&chain, &template, &position, deposits)?;
        // No block can be executed on a wrong state root, so the chain goes on from the true
        // header after that lie; after the others it goes on from the claimed one.
        let next_parent = match lie {
            Some(Lie::StateRoot(_) | Lie::InventWithdrawal) => Some(end.trace.header.clone()),
            _ => None,
        };
        match lie {
            Some(Lie::StateRoot(k)) => {
                for p in positions.iter_mut().skip(k.saturating_add(1)) {
                    p.state_root = keccak256(p.state_root);
                }
                end.trace.header.state_root = keccak256(end.trace.header.state_root);
            }
            Some(Lie::Gas) => end.trace.header.gas_used += 1,
            Some(Lie::InventWithdrawal) => {
                end.trace.header.state_root = self.invented_withdrawal_root()?;
            }
            _ => {}
        }
        let header = end.trace.header.clone();
        self.push_header(next_parent.unwrap_or_else(|| header.clone()));
        Ok(DerivedBlock {
            hash: header.hash_slow(),
            header,
            candidates,
            positions,
            steps,
            end,
        })
    }

    /// The root of the current state with one more withdrawal recorded in the L2 bridge's
    /// storage than any transaction made ([`Lie::InventWithdrawal`]): a real state's root, whose
    /// proofs would pay the invented withdrawal on L1 against a final claim.
    fn invented_withdrawal_root(&self) -> Result<B256, ExecuteError> {
        let count_slot = U256::from(WITHDRAWAL_COUNT_SLOT);
        let nonce = self.state.storage(L2_BRIDGE, count_slot);
        let hash = withdrawal_hash(
            nonce,
            L2_BRIDGE,
            Address::from(crate::lie::INVENTED_WITHDRAWAL_TO),
            U256::from(crate::lie::INVENTED_WITHDRAWAL_WEI),
            &[],
        );
        let writes = [
            (
                U256::from_be_bytes(withdrawal_slot(nonce).0),
                U256::from_be_bytes(hash.0),
            ),
            (count_slot, nonce + U256::from(1)),
        ];
        self.state
            .state_at(self.state.root())
            .root_with_storage(L2_BRIDGE, &writes)
            .map_err(|e| ExecuteError::State(e.into()))
    }

    /// The step including `tx` at `position`, if the inclusion rule admits it (the state moves
    /// only then), or why it does not.
    fn try_include(
        &mut self,
        chain: &ChainConfig,
        template: &Header,
        position: &Position,
        tx: &Bytes,
    ) -> Result<TracedSegment, Skip> {
        match tx.first() {
            None => return Err(Skip::Empty),
            Some(&BLOB_TX_TYPE) => return Err(Skip::BlobTransaction),
            Some(_) => {}
        }
        let staged = self
            .state
            .stage(TraceRequest {
                chain: *chain,
                ancestors: self.ancestors(),
                header: template.clone(),
                segment: Segment {
                    first_tx: position.included,
                    gas_before: position.gas_used,
                    blob_gas_before: 0,
                    ends_block: false,
                },
                transactions: vec![tx.clone()],
                withdrawals: Vec::new(),
            })
            .map_err(Skip::Refused)?;
        let step = &staged.segment;
        if step.gas_used > MAX_STEP_GAS {
            return Err(Skip::StepGas(step.gas_used));
        }
        let bytes = step.trace.encode_to_vec().len();
        if bytes > MAX_STEP_BYTES {
            return Err(Skip::StepBytes(bytes));
        }
        Ok(self.state.commit(staged))
    }

    /// The end step: the end-of-block segment after the included transactions, or the whole
    /// (empty) block when none was, crediting `deposits`; its trace carries the sealed header.
    fn end_block(
        &mut self,
        chain: &ChainConfig,
        template: &Header,
        position: &Position,
        deposits: Vec<Withdrawal>,
    ) -> Result<TracedSegment, ExecuteError> {
        let segment = Segment {
            first_tx: position.included,
            gas_before: position.gas_used,
            blob_gas_before: 0,
            ends_block: true,
        };
        let unsealed = L2Config::end_template(template, &deposits);
        let seal = |state_root, gas_used| {
            self.config
                .seal(&unsealed, state_root, position.tx_acc, gas_used)
        };
        let request = |header: Header| TraceRequest {
            chain: *chain,
            ancestors: self.ancestors(),
            header,
            segment,
            transactions: Vec::new(),
            withdrawals: deposits.clone(),
        };
        if position.included == 0 {
            // The whole block: EXECUTE checks every result field, so find them first.
            let sealed = self.state.stage_sealed(request(unsealed.clone()))?.segment;
            let header = seal(sealed.post_state_root, 0);
            return self.state.trace(request(header));
        }
        let mut end = self.state.trace(request(unsealed.clone()))?;
        end.trace.header = seal(end.post_state_root, position.gas_used);
        Ok(end)
    }
}
