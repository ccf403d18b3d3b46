//! The dev chain: state, blocks, transaction admission and mining, with EXECUTE in every block.
//!
//! Blocks are built by the same executor EXECUTE verifies with (`execute::witness`), with the
//! EXECUTE precompile installed and charged against a per-block market that rolls over with
//! each mined block. State is complete and in memory; every block's header carries real roots.

use std::{
    collections::HashMap,
    sync::{Arc, Mutex, MutexGuard},
    time::{SystemTime, UNIX_EPOCH},
};

use alloy_consensus::{
    transaction::SignerRecoverable, Header, ReceiptEnvelope, Signed, Transaction, TxEnvelope,
};
use alloy_eips::eip2718::{Decodable2718, Encodable2718};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_signer_local::PrivateKeySigner;
use execute::{
    header::{child_header, genesis_header},
    precompile::ExecuteHost,
    store::MemoryStore,
    trace::Segment,
    witness::{
        system_contracts, AccountProof, AccountState, CompleteState, StateAt, TraceRequest,
        TracedSegment,
    },
    ChainConfig, ChainParams, ExecuteMarket, Fork, ForkSchedule, PricingConfig,
};

use crate::{
    accounts::{dev_accounts, DeriveError, DEV_MNEMONIC},
    blobs::{
        check_sidecar, BlobLookupError, BlobSidecar, BlobStore, SidecarError,
        MAINNET_RETENTION_BLOCKS,
    },
    store::{BlockRecord, ChainStore, PendingRecord, SidecarRecord, StoreError},
};

/// Headers BLOCKHASH can reach.
const BLOCKHASH_WINDOW: usize = 256;
/// Gas of the simplest transaction.
const TX_BASE_GAS: u64 = 21_000;

/// How the chain starts.
#[derive(Debug, Clone)]
pub struct NodeConfig {
    /// Chain id and deposit contract.
    pub params: ChainParams,
    /// Forks by timestamp; the first covers genesis and all time before it. Blocks and EXECUTE
    /// both follow it.
    pub schedule: ForkSchedule,
    /// EXECUTE's pricing constants.
    pub pricing: PricingConfig,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Genesis timestamp.
    pub genesis_timestamp: u64,
    /// Fee recipient of mined blocks.
    pub coinbase: Address,
    /// Genesis accounts.
    pub alloc: Vec<(Address, AccountState)>,
    /// Blocks whose blob sidecars are kept (the newest ones).
    pub blob_retention: u64,
    /// Seconds between blocks; `None` mines each transaction as it arrives.
    pub block_time: Option<u64>,
    /// Most blocks one `eth_getLogs` may span, as RPC providers limit it.
    pub max_log_range: u64,
    /// Accounts the node signs for (`eth_sendTransaction`, `eth_sign`...).
    pub unlocked: Vec<PrivateKeySigner>,
}

/// The widest `eth_getLogs` a devnet serves unless told otherwise (what Infura and others allow).
pub const MAX_LOG_RANGE: u64 = 10_000;

impl NodeConfig {
    /// The rules of a block with `timestamp`: the schedule's first fork covers all time before
    /// it.
    pub fn chain_at(&self, timestamp: u64) -> ChainConfig {
        let activation = self
            .schedule
            .at(timestamp)
            .unwrap_or(&self.schedule.activations()[0]);
        ChainConfig::new(self.params, activation)
    }

    /// A dev chain: ten accounts of the well-known dev mnemonic with 10,000 ether each.
    pub fn dev(chain_id: u64, fork: Fork) -> Result<Self, DeriveError> {
        let ether = U256::from(10u128.pow(18));
        let unlocked = dev_accounts(DEV_MNEMONIC, 10)?;
        let mut alloc: Vec<_> = unlocked
            .iter()
            .map(|s| {
                let account = AccountState {
                    balance: ether * U256::from(10_000),
                    ..Default::default()
                };
                (s.address(), account)
            })
            .collect();
        alloc.extend(system_contracts(fork));
        Ok(Self {
            params: ChainParams {
                chain_id,
                ..ChainConfig::mainnet(fork).params()
            },
            schedule: ChainConfig::mainnet(fork).schedule(),
            pricing: PricingConfig::default(),
            gas_limit: 60_000_000,
            genesis_timestamp: unix_now(),
            coinbase: Address::ZERO,
            alloc,
            blob_retention: MAINNET_RETENTION_BLOCKS,
            block_time: None,
            max_log_range: MAX_LOG_RANGE,
            unlocked,
        })
    }
}

/// Why a transaction was not accepted. The chain is unchanged.
#[derive(Debug, thiserror::Error)]
pub enum TxError {
    /// The bytes are not an EIP-2718 transaction.
    #[error("transaction could not be decoded: {0}")]
    Decode(#[source] alloy_eips::eip2718::Eip2718Error),
    /// The signature does not recover a sender.
    #[error("invalid transaction signature")]
    Signature,
    /// Signed for another chain.
    #[error("invalid chain id: expected {expected}, got {got}")]
    ChainId {
        /// This chain's id.
        expected: u64,
        /// The transaction's.
        got: u64,
    },
    /// Nonce already used.
    #[error("nonce too low: next nonce {expected}, tx nonce {got}")]
    NonceTooLow {
        /// The sender's next nonce.
        expected: u64,
        /// The transaction's.
        got: u64,
    },
    /// Nonce leaves a gap (the pool keeps no queue of future transactions).
    #[error("nonce too high: next nonce {expected}, tx nonce {got}")]
    NonceTooHigh {
        /// The sender's next nonce.
        expected: u64,
        /// The transaction's.
        got: u64,
    },
    /// Max fee below the next block's base fee.
    #[error(
        "max fee per gas less than block base fee: maxFeePerGas: {max_fee}, baseFee: {base_fee}"
    )]
    Underpriced {
        /// The transaction's max fee per gas.
        max_fee: u128,
        /// The next block's base fee.
        base_fee: u64,
    },
    /// Gas limit below the intrinsic minimum.
    #[error("intrinsic gas too low: gas limit {0}")]
    IntrinsicGas(u64),
    /// Gas limit above the block's.
    #[error("exceeds block gas limit: gas limit {gas}, block gas limit {block}")]
    GasLimit {
        /// The transaction's gas limit.
        gas: u64,
        /// The block's.
        block: u64,
    },
    /// Max fee per blob gas below the next block's blob base fee.
    #[error("max fee per blob gas less than block blob gas fee: maxFeePerBlobGas: {max_fee}, blobBaseFee: {blob_base_fee}")]
    BlobUnderpriced {
        /// The transaction's max fee per blob gas.
        max_fee: u128,
        /// The next block's blob base fee.
        blob_base_fee: u128,
    },
    /// The blob sidecar is missing or does not match.
    #[error(transparent)]
    Sidecar(#[from] SidecarError),
    /// Balance does not cover gas and value.
    #[error("insufficient funds for gas * price + value: have {have} want {want}")]
    InsufficientFunds {
        /// Sender's balance.
        have: U256,
        /// Upper bound of the cost.
        want: U256,
    },
    /// The block with this transaction failed to execute.
    #[error("transaction rejected by execution: {0}")]
    Execution(#[source] execute::ExecuteError),
    /// The on-disk store did not take the pool; the pool in memory went on.
    #[error("pool not stored: {0}")]
    PoolNotStored(#[source] StoreError),
    /// The on-disk store did not take a block; the chain in memory went on, the disk did not
    /// follow.
    #[error("block {number} mined but not stored: {source}")]
    BlockNotStored {
        /// The block.
        number: u64,
        /// Why.
        #[source]
        source: StoreError,
    },
}

/// A mined block and what it produced.
#[derive(Debug, Clone)]
pub struct MinedBlock {
    /// The sealed header.
    pub header: Header,
    /// Its hash.
    pub hash: B256,
    /// EIP-2718 encodings of its transactions.
    pub transactions: Vec<Bytes>,
    /// Hashes of its transactions.
    pub tx_hashes: Vec<B256>,
    /// Senders of its transactions.
    pub senders: Vec<Address>,
    /// Receipts of its transactions.
    pub receipts: Vec<ReceiptEnvelope>,
    /// EXECUTE's price in this block (L1 gas per declared EXECUTE gas).
    pub execute_price: u64,
    /// EXECUTE gas declared by this block's calls.
    pub execute_gas: u64,
    /// Price of a unit of blob gas in this block.
    pub blob_base_fee: u128,
}

/// The dev chain.
#[derive(Debug)]
pub struct Node {
    config: NodeConfig,
    state: CompleteState,
    market: Arc<Mutex<ExecuteMarket>>,
    blocks: Vec<MinedBlock>,
    tx_index: HashMap<B256, (u64, usize)>,
    next_timestamp: Option<u64>,
    /// Seconds added to the wall clock for new blocks (`evm_increaseTime`).
    time_offset: u64,
    snapshots: Vec<Snapshot>,
    blobs: BlobStore,
    /// Admitted transactions waiting for the next block (interval mining only).
    pending: Vec<PendingTx>,
    store: Option<ChainStore>,
    /// Log and block filters JSON-RPC clients installed.
    filters: Mutex<eth_rpc::Filters>,
}

/// A transaction admitted but not yet mined.
#[derive(Debug, Clone)]
struct PendingTx {
    /// Consensus encoding (blob transactions without their sidecar).
    raw: Bytes,
    hash: B256,
    sender: Address,
    gas_limit: u64,
    blob_gas: u64,
    sidecars: Vec<BlobSidecar>,
}

/// What `evm_revert` restores.
#[derive(Debug)]
struct Snapshot {
    state: CompleteState,
    market: ExecuteMarket,
    blocks: usize,
    time_offset: u64,
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

impl Node {
    /// Starts the chain at its genesis.
    pub fn new(config: NodeConfig) -> Self {
        let market = Arc::new(Mutex::new(ExecuteMarket::genesis(config.pricing)));
        let state = CompleteState::new(config.alloc.clone()).with_execute(ExecuteHost {
            market: market.clone(),
            schedule: Arc::new(config.schedule.clone()),
        });
        let chain = config.chain_at(config.genesis_timestamp);
        let header = genesis_header(
            &chain,
            state.root(),
            config.gas_limit,
            config.genesis_timestamp,
        );
        let genesis = MinedBlock {
            hash: header.hash_slow(),
            header,
            transactions: Vec::new(),
            tx_hashes: Vec::new(),
            senders: Vec::new(),
            receipts: Vec::new(),
            execute_price: config.pricing.min_price,
            execute_gas: 0,
            blob_base_fee: chain.blob_params().map_or(0, |p| p.calc_blob_fee(0)),
        };
        Self {
            blobs: BlobStore::new(config.blob_retention),
            config,
            state,
            market,
            blocks: vec![genesis],
            tx_index: HashMap::new(),
            next_timestamp: None,
            time_offset: 0,
            snapshots: Vec::new(),
            pending: Vec::new(),
            store: None,
            filters: Mutex::default(),
        }
    }

    /// Starts the chain from `dir`, creating the store on first use and replaying the blocks,
    /// pool and clock stored there otherwise.
    pub fn open(mut config: NodeConfig, dir: &std::path::Path) -> Result<Self, StoreError> {
        let store = ChainStore::open(dir)?;
        if let Some(timestamp) = store.genesis_timestamp()? {
            config.genesis_timestamp = timestamp;
        }
        let mut node = Self::new(config);
        store.check_genesis(node.identity(), node.latest().header.timestamp)?;
        for (number, record) in store.blocks()? {
            let expected = node.latest().header.number + 1;
            if number != expected {
                return Err(StoreError::Mismatch(format!(
                    "block {number} stored where {expected} was expected"
                )));
            }
            let sidecars = sidecars_from(&record.sidecars)?;
            node.next_timestamp = Some(record.timestamp);
            let mined = node
                .mine_with_blobs(record.transactions, sidecars)
                .map_err(|e| StoreError::Mismatch(format!("block {number} replays with: {e}")))?;
            if mined.hash != record.hash {
                return Err(StoreError::Mismatch(format!(
                    "block {number} replays to {}, {} was stored",
                    mined.hash, record.hash
                )));
            }
        }
        for record in store.pending()? {
            let sidecars = sidecars_from(&record.sidecars)?;
            let tx = PendingTx::new(record.raw, sidecars).ok_or_else(|| {
                StoreError::Mismatch("a pending transaction does not decode".into())
            })?;
            node.pending.push(tx);
        }
        node.time_offset = store.time_offset()?;
        node.store = Some(store);
        Ok(node)
    }

    /// What makes this chain this chain: the genesis block and the rules it runs by (the
    /// genesis header alone does not name the chain id, the fork schedule or EXECUTE's prices).
    fn identity(&self) -> B256 {
        let p = &self.config.pricing;
        let mut out = Vec::new();
        alloy_rlp::Encodable::encode(&self.blocks[0].hash, &mut out);
        alloy_rlp::Encodable::encode(&self.config.params, &mut out);
        for activation in self.config.schedule.activations() {
            alloy_rlp::Encodable::encode(activation, &mut out);
        }
        for value in [
            p.base_cost,
            p.word_cost,
            p.cumulative_gas_target,
            p.cumulative_gas_limit,
            p.min_price,
            p.price_change_denominator,
        ] {
            alloy_rlp::Encodable::encode(&value, &mut out);
        }
        alloy_primitives::keccak256(out)
    }

    /// Most blocks one `eth_getLogs` may span.
    pub const fn max_log_range(&self) -> u64 {
        self.config.max_log_range
    }

    /// The rules the next block follows: chain id, fork and blob parameters.
    pub fn chain(&self) -> ChainConfig {
        self.chain_at(self.next_header().timestamp)
    }

    /// The rules of a block with `timestamp`, by the fork schedule.
    pub fn chain_at(&self, timestamp: u64) -> ChainConfig {
        self.config.chain_at(timestamp)
    }

    /// The forks this chain and its EXECUTE follow.
    pub const fn schedule(&self) -> &ForkSchedule {
        &self.config.schedule
    }

    /// How the chain was started.
    pub(crate) const fn config(&self) -> &NodeConfig {
        &self.config
    }

    /// The log and block filters JSON-RPC clients installed on this node.
    pub const fn filters(&self) -> &Mutex<eth_rpc::Filters> {
        &self.filters
    }

    /// The newest block.
    pub fn latest(&self) -> &MinedBlock {
        self.blocks.last().expect("the chain has a genesis")
    }

    /// The block at `number`.
    pub fn block(&self, number: u64) -> Option<&MinedBlock> {
        self.blocks.get(usize::try_from(number).ok()?)
    }

    /// The block with `hash`.
    pub fn block_by_hash(&self, hash: B256) -> Option<&MinedBlock> {
        self.blocks.iter().rev().find(|b| b.hash == hash)
    }

    /// The block holding a transaction, and its index there.
    pub fn transaction(&self, hash: B256) -> Option<(&MinedBlock, usize)> {
        let (number, index) = *self.tx_index.get(&hash)?;
        Some((self.block(number)?, index))
    }

    /// The trace of mined block `number` re-run from its parent's state (its EXECUTE calls at
    /// the block's price): the witness `debug_executionWitness` serves. `None` for an unknown
    /// block or the genesis, which has no parent.
    pub fn retrace(&self, number: u64) -> Option<Result<TracedSegment, execute::ExecuteError>> {
        let block = self.block(number)?;
        let parent = self.block(number.checked_sub(1)?)?;
        let first = (number as usize).saturating_sub(BLOCKHASH_WINDOW);
        let market = ExecuteMarket {
            price: block.execute_price,
            ..ExecuteMarket::genesis(self.config.pricing)
        };
        let host = ExecuteHost {
            market: Arc::new(Mutex::new(market)),
            schedule: Arc::new(self.config.schedule.clone()),
        };
        let request = TraceRequest {
            chain: self.chain_at(block.header.timestamp),
            ancestors: self.blocks[first..number as usize]
                .iter()
                .map(|b| b.header.clone())
                .collect(),
            header: block.header.clone(),
            segment: Segment::WHOLE_BLOCK,
            transactions: block.transactions.clone(),
            withdrawals: Vec::new(),
        };
        Some(
            self.state
                .retrace(parent.header.state_root, request, Some(host)),
        )
    }

    /// Next nonce of `address` in the latest state.
    pub fn nonce(&self, address: Address) -> u64 {
        self.state.account(address).map_or(0, |a| a.nonce)
    }

    /// Next nonce of `address` counting its pending transactions.
    pub fn pending_nonce(&self, address: Address) -> u64 {
        let waiting = self.pending.iter().filter(|p| p.sender == address).count();
        self.nonce(address) + waiting as u64
    }

    /// Hashes of transactions waiting for the next block, in arrival order.
    pub fn pending_transactions(&self) -> impl Iterator<Item = B256> + '_ {
        self.pending.iter().map(|p| p.hash)
    }

    /// Seconds between blocks, when the node mines on an interval.
    pub const fn block_time(&self) -> Option<u64> {
        self.config.block_time
    }

    /// The state after block `number`, if mined: every mined block's state is kept.
    pub fn state_at(&self, number: u64) -> Option<StateAt<'_, MemoryStore>> {
        Some(self.state.state_at(self.block(number)?.header.state_root))
    }

    /// Balance of `address`.
    pub fn balance(&self, address: Address) -> U256 {
        self.state
            .account(address)
            .map_or(U256::ZERO, |a| a.balance)
    }

    /// Code of `address`.
    pub fn code(&self, address: Address) -> Bytes {
        self.state.code(address)
    }

    /// EIP-1186 proof of `address` and `slots` at the latest block.
    pub fn proof(&self, address: Address, slots: &[B256]) -> AccountProof {
        self.state.proof(address, slots)
    }

    /// A storage slot of `address`.
    pub fn storage(&self, address: Address, slot: U256) -> U256 {
        self.state.storage(address, slot)
    }

    /// The market EXECUTE charges in the block being built.
    pub fn execute_market(&self) -> ExecuteMarket {
        *lock(&self.market)
    }

    /// Base fee of the next block.
    pub fn next_base_fee(&self) -> u64 {
        self.next_header().base_fee_per_gas.unwrap_or(0)
    }

    /// Sets the next block's timestamp (it must still exceed the parent's).
    pub fn set_next_timestamp(&mut self, timestamp: u64) {
        self.next_timestamp = Some(timestamp);
    }

    /// Moves the clock of future blocks forward by `seconds`; returns the total offset.
    pub fn increase_time(&mut self, seconds: u64) -> Result<u64, StoreError> {
        self.time_offset = self.time_offset.saturating_add(seconds);
        if let Some(store) = &self.store {
            store.set_time_offset(self.time_offset)?;
        }
        Ok(self.time_offset)
    }

    /// Records the chain as it is; [`Node::revert`] returns to it. Returns the snapshot's id.
    pub fn snapshot(&mut self) -> u64 {
        self.snapshots.push(Snapshot {
            state: self.state.clone(),
            market: *lock(&self.market),
            blocks: self.blocks.len(),
            time_offset: self.time_offset,
        });
        self.snapshots.len() as u64 - 1
    }

    /// Returns to snapshot `id`, dropping it and every later one, and empties the pool; false
    /// if there is no such snapshot.
    pub fn revert(&mut self, id: u64) -> Result<bool, StoreError> {
        let Some(index) = usize::try_from(id)
            .ok()
            .filter(|i| *i < self.snapshots.len())
        else {
            return Ok(false);
        };
        let snapshot = self
            .snapshots
            .drain(index..)
            .next()
            .expect("index is in range");
        self.state = snapshot.state;
        *lock(&self.market) = snapshot.market;
        for block in self.blocks.drain(snapshot.blocks..) {
            for hash in block.tx_hashes {
                self.tx_index.remove(&hash);
            }
        }
        self.blobs.truncate(snapshot.blocks as u64);
        self.pending.clear();
        self.time_offset = snapshot.time_offset;
        self.next_timestamp = None;
        if let Some(store) = &self.store {
            store.truncate(snapshot.blocks as u64)?;
            store.set_pending(&[])?;
            store.set_time_offset(self.time_offset)?;
        }
        Ok(true)
    }

    /// Blob sidecars of block `number`, while it is inside the retention window.
    pub fn blob_sidecars(&self, number: u64) -> Result<&[BlobSidecar], BlobLookupError> {
        self.blobs.get(number)
    }

    /// Blob base fee a block with `header` charges (zero before Cancun).
    pub fn blob_base_fee(&self, header: &Header) -> u128 {
        match (
            self.chain_at(header.timestamp).blob_params(),
            header.excess_blob_gas,
        ) {
            (Some(params), Some(excess)) => params.calc_blob_fee(excess),
            _ => 0,
        }
    }

    /// The complete state at the latest block.
    pub(crate) const fn state(&self) -> &CompleteState {
        &self.state
    }

    /// Hashes BLOCKHASH can return in the next block, by number.
    pub(crate) fn recent_hashes(&self) -> impl Iterator<Item = (u64, B256)> + '_ {
        self.blocks[self.blocks.len().saturating_sub(BLOCKHASH_WINDOW)..]
            .iter()
            .map(|b| (b.header.number, b.hash))
    }

    /// The header the next block would get (result fields unset).
    pub fn pending_header(&self) -> Header {
        self.next_header()
    }

    fn next_header(&self) -> Header {
        let parent = &self.latest().header;
        let timestamp = self
            .next_timestamp
            .unwrap_or_else(|| unix_now().saturating_add(self.time_offset))
            .max(parent.timestamp + 1);
        child_header(
            parent,
            &self.chain_at(timestamp),
            timestamp,
            self.config.coinbase,
        )
    }

    /// Checks a transaction as a mempool would, then mines it in a block of its own.
    /// Blob transactions come in their network form; their sidecars are checked and kept, and
    /// the block gets the transaction without them.
    pub fn send_raw_transaction(&mut self, raw: &[u8]) -> Result<B256, TxError> {
        let tx = TxEnvelope::decode_2718_exact(raw).map_err(TxError::Decode)?;
        let (tx, sidecars) = self.take_sidecar(tx)?;
        let sender = tx.recover_signer().map_err(|_| TxError::Signature)?;
        let expected = self.config.params.chain_id;
        if let Some(got) = tx.chain_id().filter(|id| *id != expected) {
            return Err(TxError::ChainId { expected, got });
        }
        let next = self.pending_nonce(sender);
        match tx.nonce() {
            n if n < next => {
                return Err(TxError::NonceTooLow {
                    expected: next,
                    got: n,
                })
            }
            n if n > next => {
                return Err(TxError::NonceTooHigh {
                    expected: next,
                    got: n,
                })
            }
            _ => {}
        }
        let base_fee = self.next_base_fee();
        if tx.max_fee_per_gas() < base_fee as u128 {
            return Err(TxError::Underpriced {
                max_fee: tx.max_fee_per_gas(),
                base_fee,
            });
        }
        if tx.gas_limit() < TX_BASE_GAS {
            return Err(TxError::IntrinsicGas(tx.gas_limit()));
        }
        if tx.gas_limit() > self.config.gas_limit {
            return Err(TxError::GasLimit {
                gas: tx.gas_limit(),
                block: self.config.gas_limit,
            });
        }
        if let Some(max_fee) = tx.max_fee_per_blob_gas() {
            let blob_base_fee = self.blob_base_fee(&self.next_header());
            if max_fee < blob_base_fee {
                return Err(TxError::BlobUnderpriced {
                    max_fee,
                    blob_base_fee,
                });
            }
        }
        let blob_cost = U256::from(tx.blob_gas_used().unwrap_or(0))
            * U256::from(tx.max_fee_per_blob_gas().unwrap_or(0));
        let want =
            U256::from(tx.gas_limit()) * U256::from(tx.max_fee_per_gas()) + tx.value() + blob_cost;
        let have = self.balance(sender);
        if have < want {
            return Err(TxError::InsufficientFunds { have, want });
        }
        let pending = PendingTx {
            raw: tx.encoded_2718().into(),
            hash: *tx.tx_hash(),
            sender,
            gas_limit: tx.gas_limit(),
            blob_gas: tx.blob_gas_used().unwrap_or(0),
            sidecars,
        };
        let hash = pending.hash;
        if self.config.block_time.is_some() {
            self.pending.push(pending);
            self.store_pending()?;
        } else {
            self.mine_with_blobs(vec![pending.raw], pending.sidecars)?;
        }
        Ok(hash)
    }

    /// Mines the next block from the pending transactions, in arrival order, as many as the
    /// block's gas and blob gas limits take (by their gas limits); the rest wait. A transaction
    /// that can no longer run (its sender spent the funds meanwhile) is dropped.
    pub fn mine_pending(&mut self) -> Result<&MinedBlock, TxError> {
        let mut gas_left = self.config.gas_limit;
        let mut blob_gas_left = self.chain().max_blob_gas_per_block();
        let take = self
            .pending
            .iter()
            .take_while(|p| {
                let fits = p.gas_limit <= gas_left && p.blob_gas <= blob_gas_left;
                gas_left = gas_left.saturating_sub(p.gas_limit);
                blob_gas_left = blob_gas_left.saturating_sub(p.blob_gas);
                fits
            })
            .count();
        let chosen: Vec<PendingTx> = self.pending.drain(..take).collect();
        self.store_pending()?;
        let runnable = if self.runs(&chosen) {
            chosen
        } else {
            let mut kept: Vec<PendingTx> = Vec::with_capacity(chosen.len());
            for tx in chosen {
                kept.push(tx);
                if !self.runs(&kept) {
                    kept.pop();
                }
            }
            // A later transaction of a dropped one's sender fails on its nonce and goes too.
            kept
        };
        let (raws, sidecars): (Vec<Bytes>, Vec<Vec<BlobSidecar>>) =
            runnable.into_iter().map(|p| (p.raw, p.sidecars)).unzip();
        self.mine_with_blobs(raws, sidecars.into_iter().flatten().collect())
    }

    fn store_pending(&self) -> Result<(), TxError> {
        let Some(store) = &self.store else {
            return Ok(());
        };
        let records: Vec<PendingRecord> = self
            .pending
            .iter()
            .map(|p| PendingRecord {
                raw: p.raw.clone(),
                sidecars: p.sidecars.iter().map(SidecarRecord::from).collect(),
            })
            .collect();
        store.set_pending(&records).map_err(TxError::PoolNotStored)
    }

    /// Whether `txs` run as the start of the next block, without mining them.
    fn runs(&self, txs: &[PendingTx]) -> bool {
        let before = *lock(&self.market);
        let header = self.next_header();
        let request = TraceRequest {
            chain: self.chain_at(header.timestamp),
            ancestors: self.ancestors(),
            header,
            segment: Segment {
                first_tx: 0,
                gas_before: 0,
                blob_gas_before: 0,
                ends_block: false,
            },
            transactions: txs.iter().map(|p| p.raw.clone()).collect(),
            withdrawals: Vec::new(),
        };
        let ok = self.state.rejected(request).is_none();
        *lock(&self.market) = before;
        ok
    }

    fn ancestors(&self) -> Vec<Header> {
        self.blocks[self.blocks.len().saturating_sub(BLOCKHASH_WINDOW)..]
            .iter()
            .map(|b| b.header.clone())
            .collect()
    }

    /// Splits a blob transaction's sidecar off and checks it; other transactions pass as they are.
    fn take_sidecar(&self, tx: TxEnvelope) -> Result<(TxEnvelope, Vec<BlobSidecar>), TxError> {
        let TxEnvelope::Eip4844(signed) = tx else {
            return Ok((tx, Vec::new()));
        };
        let (variant, signature, hash) = signed.into_parts();
        let (variant, sidecar) = variant.strip_sidecar();
        let sidecar = sidecar.ok_or(SidecarError::Missing)?;
        let sidecars = check_sidecar(&self.chain(), variant.tx(), hash, &sidecar)?;
        let tx = TxEnvelope::Eip4844(Signed::new_unchecked(variant, signature, hash));
        Ok((tx, sidecars))
    }

    /// Mines a block of `transactions` (possibly none). On error the chain is unchanged.
    pub fn mine(&mut self, transactions: Vec<Bytes>) -> Result<&MinedBlock, TxError> {
        self.mine_with_blobs(transactions, Vec::new())
    }

    fn mine_with_blobs(
        &mut self,
        transactions: Vec<Bytes>,
        mut sidecars: Vec<BlobSidecar>,
    ) -> Result<&MinedBlock, TxError> {
        // Sidecars are numbered across the block, as the beacon API numbers them.
        for (index, sidecar) in sidecars.iter_mut().enumerate() {
            sidecar.index = index as u64;
        }
        let header = self.next_header();
        let ancestors = self.ancestors();
        let before = *lock(&self.market);
        let request = TraceRequest {
            chain: self.chain_at(header.timestamp),
            ancestors,
            header,
            segment: Segment::WHOLE_BLOCK,
            transactions: transactions.clone(),
            withdrawals: Vec::new(),
        };
        let sealed = match self.state.seal(request) {
            Ok(sealed) => sealed,
            Err(err) => {
                *lock(&self.market) = before;
                return Err(TxError::Execution(err));
            }
        };
        let (execute_price, execute_gas) = {
            let mut market = lock(&self.market);
            let used = (market.price, market.cumulative_gas);
            *market = market.next_block();
            used
        };
        let mut tx_hashes = Vec::with_capacity(transactions.len());
        let mut senders = Vec::with_capacity(transactions.len());
        for raw in &transactions {
            let tx = TxEnvelope::decode_2718_exact(raw.as_ref()).expect("sealed blocks decode");
            senders.push(
                tx.recover_signer()
                    .expect("sealed blocks have valid signatures"),
            );
            tx_hashes.push(*tx.tx_hash());
        }
        let header = sealed.trace.header;
        let number = header.number;
        let blob_base_fee = self.blob_base_fee(&header);
        for (index, hash) in tx_hashes.iter().enumerate() {
            self.tx_index.insert(*hash, (number, index));
        }
        self.next_timestamp = None;
        let stored = self.store.as_ref().map(|store| {
            let record = BlockRecord {
                hash: header.hash_slow(),
                timestamp: header.timestamp,
                transactions: transactions.clone(),
                sidecars: sidecars.iter().map(SidecarRecord::from).collect(),
            };
            let retention = self.config.blob_retention.max(1);
            store
                .put_block(number, &record)
                .and_then(|()| match number.checked_sub(retention) {
                    Some(old) if old > 0 => store.prune_sidecars(old),
                    _ => Ok(()),
                })
        });
        self.blobs.insert(number, sidecars);
        self.blocks.push(MinedBlock {
            hash: header.hash_slow(),
            header,
            transactions,
            tx_hashes,
            senders,
            receipts: sealed.receipts,
            execute_price,
            execute_gas,
            blob_base_fee,
        });
        if let Some(Err(err)) = stored {
            return Err(TxError::BlockNotStored {
                number,
                source: err,
            });
        }
        Ok(self.latest())
    }
}

impl PendingTx {
    /// A stored pool entry back in the pool; `None` if it does not decode or recover.
    fn new(raw: Bytes, sidecars: Vec<BlobSidecar>) -> Option<Self> {
        let tx = TxEnvelope::decode_2718_exact(raw.as_ref()).ok()?;
        Some(Self {
            hash: *tx.tx_hash(),
            sender: tx.recover_signer().ok()?,
            gas_limit: tx.gas_limit(),
            blob_gas: tx.blob_gas_used().unwrap_or(0),
            raw,
            sidecars,
        })
    }
}

fn sidecars_from(records: &[SidecarRecord]) -> Result<Vec<BlobSidecar>, StoreError> {
    records
        .iter()
        .map(|r| {
            r.to_sidecar()
                .ok_or_else(|| StoreError::Mismatch("a stored blob has the wrong size".into()))
        })
        .collect()
}

fn lock(market: &Mutex<ExecuteMarket>) -> MutexGuard<'_, ExecuteMarket> {
    market
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner())
}
