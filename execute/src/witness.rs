//! Witness generation: from a complete state, the minimal trace EXECUTE accepts for a segment.
//!
//! The segment runs through the same stateless executor EXECUTE uses, over preimages that hold
//! the whole state and record what is read. What is recorded is exactly what the verifier will
//! ask for, including the siblings that deletions reveal, so the trace is minimal for it.

use alloy_consensus::{proofs, Header, ReceiptEnvelope, Transaction, TxEnvelope};
use alloy_eips::{
    eip2718::Decodable2718, eip2935, eip4788, eip4895::Withdrawal, eip7002, eip7251,
    eip7685::Requests,
};
use alloy_primitives::{keccak256, map::B256Map, Address, Bloom, Bytes, B256, U256};
use alloy_rlp::Decodable;
use alloy_trie::{TrieAccount, EMPTY_ROOT_HASH};
use revm::primitives::KECCAK_EMPTY;

use crate::{
    chain::{ChainConfig, Fork},
    executor::{ancestor_hashes, execute_segment, RunOptions},
    mpt::{self, SparseTrie},
    precompile::ExecuteHost,
    state::RecordingPreimages,
    store::{MemoryStore, NodeStore, Nodes},
    trace::{Segment, Trace, Witness},
    ExecuteError,
};

/// One account of a complete state.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct AccountState {
    /// Nonce.
    pub nonce: u64,
    /// Balance in wei.
    pub balance: U256,
    /// Runtime bytecode (empty for externally owned accounts).
    pub code: Bytes,
    /// Storage slots; zero values are ignored.
    pub storage: Vec<(U256, U256)>,
}

/// The system contracts `fork` calls at block boundaries (EIP-4788, EIP-2935, EIP-7002,
/// EIP-7251), with the code their EIPs deploy; a genesis for that fork needs them.
pub fn system_contracts(fork: Fork) -> Vec<(Address, AccountState)> {
    let contract = |code: &Bytes| AccountState {
        nonce: 1,
        code: code.clone(),
        ..Default::default()
    };
    let mut accounts = Vec::new();
    if fork >= Fork::Cancun {
        accounts.push((
            eip4788::BEACON_ROOTS_ADDRESS,
            contract(&eip4788::BEACON_ROOTS_CODE),
        ));
    }
    if fork >= Fork::Prague {
        accounts.push((
            eip2935::HISTORY_STORAGE_ADDRESS,
            contract(&eip2935::HISTORY_STORAGE_CODE),
        ));
        accounts.push((
            eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
            contract(&eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_CODE),
        ));
        accounts.push((
            eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
            contract(&eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_CODE),
        ));
    }
    accounts
}

/// What to trace: a segment of a block, with every ancestor header available.
#[derive(Debug, Clone)]
pub struct TraceRequest {
    /// Chain id, fork and blob parameters.
    pub chain: ChainConfig,
    /// Consecutive ancestors ending with the parent (only those BLOCKHASH uses are kept).
    pub ancestors: Vec<Header>,
    /// The block's header.
    pub header: Header,
    /// The part of the block to trace.
    pub segment: Segment,
    /// The segment's transactions (EIP-2718).
    pub transactions: Vec<Bytes>,
    /// The block's withdrawals.
    pub withdrawals: Vec<Withdrawal>,
}

impl TraceRequest {
    /// The trace of this request, with an empty witness.
    fn into_trace(self) -> Trace {
        let TraceRequest {
            chain,
            ancestors,
            header,
            segment,
            transactions,
            withdrawals,
        } = self;
        Trace {
            chain: chain.params(),
            ancestors,
            header,
            segment,
            transactions,
            withdrawals,
            witness: Witness::default(),
        }
    }
}

/// A traced segment.
#[derive(Debug, Clone)]
pub struct TracedSegment {
    /// The minimal trace.
    pub trace: Trace,
    /// State root before.
    pub pre_state_root: B256,
    /// State root after.
    pub post_state_root: B256,
    /// Gas the segment used.
    pub gas_used: u64,
    /// Receipts of the segment's transactions.
    pub receipts: Vec<ReceiptEnvelope>,
}

/// Receipts root, logs bloom and requests of a run, for sealing a header.
type BlockResults = (B256, Bloom, Option<Requests>);

/// An EIP-1186 proof of an account and some of its slots.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AccountProof {
    /// The account's fields (all zero, with the empty code hash, if it does not exist).
    pub account: TrieAccount,
    /// Its storage root (the empty root if it does not exist).
    pub storage_root: B256,
    /// Account-trie nodes from the state root to the account.
    pub account_proof: Vec<Bytes>,
    /// Per slot: the slot, its value, and the storage-trie nodes to it.
    pub storage: Vec<(B256, U256, Vec<Bytes>)>,
}

/// A segment run but not yet applied: its trace, and the nodes and code it wrote.
#[derive(Debug, Clone)]
pub struct Staged {
    /// The traced segment.
    pub segment: TracedSegment,
    nodes: B256Map<Bytes>,
    codes: B256Map<Bytes>,
}

/// A complete state: every trie node and bytecode, as a full node holds them, in a node store.
#[derive(Debug, Clone)]
pub struct CompleteState<S = MemoryStore> {
    root: B256,
    store: S,
    execute: Option<ExecuteHost>,
}

impl CompleteState {
    /// Builds the state of `accounts` in memory.
    pub fn new(accounts: impl IntoIterator<Item = (Address, AccountState)>) -> Self {
        Self::build(accounts, MemoryStore::default())
    }
    /// The state root of `accounts`, computed by alloy-trie's `HashBuilder`: an independent
    /// implementation to check [`CompleteState`] against.
    pub fn reference_root(accounts: &[(Address, AccountState)]) -> B256 {
        let leaves = accounts.iter().map(|(address, account)| {
            let storage_root = alloy_trie::root::storage_root_unhashed(
                account
                    .storage
                    .iter()
                    .filter(|(_, v)| !v.is_zero())
                    .map(|(k, v)| (B256::from(*k), *v)),
            );
            let code_hash = if account.code.is_empty() {
                KECCAK_EMPTY
            } else {
                keccak256(&account.code)
            };
            let storage_root = if account.storage.is_empty() {
                EMPTY_ROOT_HASH
            } else {
                storage_root
            };
            (
                *address,
                TrieAccount {
                    nonce: account.nonce,
                    balance: account.balance,
                    storage_root,
                    code_hash,
                },
            )
        });
        alloy_trie::root::state_root_unhashed(leaves)
    }
}

impl<S: NodeStore> CompleteState<S> {
    /// Builds the state of `accounts` into `store`.
    pub fn build(
        accounts: impl IntoIterator<Item = (Address, AccountState)>,
        mut store: S,
    ) -> Self {
        let none = B256Map::<Bytes>::default();
        let mut nodes = B256Map::default();
        let mut codes = B256Map::default();
        let mut accounts_trie = SparseTrie::empty();
        for (address, account) in accounts {
            let mut storage = SparseTrie::empty();
            for (slot, value) in account.storage.iter().filter(|(_, v)| !v.is_zero()) {
                storage
                    .insert(
                        &keccak256(B256::from(*slot)),
                        alloy_rlp::encode(value),
                        &none,
                    )
                    .expect("an in-memory trie has every node");
            }
            storage.collect_nodes(&mut nodes);
            let code_hash = if account.code.is_empty() {
                KECCAK_EMPTY
            } else {
                let hash = keccak256(&account.code);
                codes.insert(hash, account.code.clone());
                hash
            };
            let leaf = TrieAccount {
                nonce: account.nonce,
                balance: account.balance,
                storage_root: storage.root(),
                code_hash,
            };
            accounts_trie
                .insert(&keccak256(address), alloy_rlp::encode(leaf), &none)
                .expect("an in-memory trie has every node");
        }
        let root = accounts_trie.root();
        accounts_trie.collect_nodes(&mut nodes);
        store.insert(nodes, codes);
        Self::at(root, store)
    }

    /// The state at `root`, whose nodes `store` already holds.
    pub const fn at(root: B256, store: S) -> Self {
        Self {
            root,
            store,
            execute: None,
        }
    }

    /// The node store.
    pub const fn store(&self) -> &S {
        &self.store
    }

    /// The node store, to flush or inspect it.
    pub fn store_mut(&mut self) -> &mut S {
        &mut self.store
    }

    /// Runs blocks with the EXECUTE precompile of `host`: the state of an L1 that has it.
    pub fn with_execute(mut self, host: ExecuteHost) -> Self {
        self.execute = Some(host);
        self
    }

    fn options(&self, check_outputs: bool) -> RunOptions {
        let options = if check_outputs {
            RunOptions::verify(u64::MAX)
        } else {
            RunOptions::seal()
        };
        options.with_execute(self.execute.clone())
    }

    /// Preimages of the whole state, for reading it or running calls over it.
    pub fn preimages(&self) -> RecordingPreimages<'_, S> {
        RecordingPreimages::new(&self.store)
    }

    /// The state at `root`, an earlier state root whose nodes the store still holds (every
    /// root this state has been at, unless the store pruned them), to read.
    pub fn state_at(&self, root: B256) -> StateAt<'_, S> {
        StateAt {
            root,
            store: &self.store,
        }
    }

    /// The account at `address`, if it exists.
    pub fn account(&self, address: Address) -> Option<TrieAccount> {
        self.state_at(self.root).account(address)
    }

    /// The value of a storage slot (zero when unset or the account does not exist).
    pub fn storage(&self, address: Address, slot: U256) -> U256 {
        self.state_at(self.root).storage(address, slot)
    }

    /// EIP-1186 proofs of `address` and of its `slots`: the account-trie nodes to the account,
    /// and per slot the storage-trie nodes to it, root first.
    pub fn proof(&self, address: Address, slots: &[B256]) -> AccountProof {
        self.state_at(self.root).proof(address, slots)
    }

    /// The code of `address` (empty for accounts without code).
    pub fn code(&self, address: Address) -> Bytes {
        self.state_at(self.root).code(address)
    }

    /// The current state root.
    pub const fn root(&self) -> B256 {
        self.root
    }

    /// Runs a segment from the current state, returns its minimal trace and moves to the
    /// post-state. On error the state is unchanged.
    pub fn trace(&mut self, request: TraceRequest) -> Result<TracedSegment, ExecuteError> {
        let staged = self.stage(request)?;
        Ok(self.commit(staged))
    }

    /// Runs a segment from the current state without moving: [`CompleteState::commit`] applies
    /// it, dropping it leaves the state as it was.
    pub fn stage(&self, request: TraceRequest) -> Result<Staged, ExecuteError> {
        self.run(self.root, request, self.options(true))
            .map(|(staged, _)| staged)
    }

    /// Applies a staged segment: its writes go to the store and the state moves to its
    /// post-state root.
    pub fn commit(&mut self, staged: Staged) -> TracedSegment {
        self.store.insert(staged.nodes, staged.codes);
        self.root = staged.segment.post_state_root;
        staged.segment
    }

    /// For a segment the executor rejects: why, and the trace with everything the run read
    /// before it failed, as a verifier would be handed it. `None` if the segment is valid. The
    /// state does not change.
    pub fn rejected(&self, request: TraceRequest) -> Option<(ExecuteError, Trace)> {
        let chain = request.chain;
        let mut trace = request.into_trace();
        let recording = RecordingPreimages::new(&self.store);
        let error = match ancestor_hashes(&trace) {
            Err(invalid) => invalid.into(),
            Ok(hashes) => {
                match execute_segment(
                    self.root,
                    &trace,
                    &chain,
                    &recording,
                    &hashes,
                    &self.options(true),
                ) {
                    Ok(_) => return None,
                    Err(error) => error,
                }
            }
        };
        trace.witness = recording.witness();
        Some((error, trace))
    }

    /// Fills a whole block's result fields (roots, gas, bloom, requests) by running it, moves to
    /// the post-state, and returns the sealed block's trace.
    pub fn seal(&mut self, request: TraceRequest) -> Result<TracedSegment, ExecuteError> {
        let staged = self.stage_sealed(request)?;
        Ok(self.commit(staged))
    }

    /// [`CompleteState::seal`] without moving.
    pub fn stage_sealed(&self, mut request: TraceRequest) -> Result<Staged, ExecuteError> {
        request.segment = Segment::WHOLE_BLOCK;
        let header = &mut request.header;
        header.transactions_root =
            alloy_trie::root::ordered_trie_root_with_encoder(&request.transactions, |tx, buf| {
                buf.extend_from_slice(tx)
            });
        if request.chain.fork >= Fork::Shanghai {
            header.withdrawals_root =
                Some(proofs::calculate_withdrawals_root(&request.withdrawals));
        }
        if request.chain.fork >= Fork::Cancun {
            let blob_gas = request
                .transactions
                .iter()
                .filter_map(|raw| TxEnvelope::decode_2718_exact(raw.as_ref()).ok())
                .map(|tx| tx.blob_gas_used().unwrap_or(0))
                .sum();
            header.blob_gas_used = Some(blob_gas);
        }
        let fork = request.chain.fork;
        let (mut staged, (receipts_root, bloom, requests)) =
            self.run(self.root, request, self.options(false))?;
        let traced = &mut staged.segment;
        let header = &mut traced.trace.header;
        header.state_root = traced.post_state_root;
        header.gas_used = traced.gas_used;
        header.receipts_root = receipts_root;
        header.logs_bloom = bloom;
        if fork >= Fork::Prague {
            header.requests_hash = Some(requests.unwrap_or_default().requests_hash());
        }
        Ok(staged)
    }

    /// Re-runs a block or segment from `pre_state_root`, an earlier state whose nodes the store
    /// still holds, with its outputs checked as a verifier checks them, and returns its minimal
    /// trace: the witness of a past block. The state does not move. `execute` is the EXECUTE
    /// host as the block saw it (its market at the block's price), for a chain that has EXECUTE.
    pub fn retrace(
        &self,
        pre_state_root: B256,
        request: TraceRequest,
        execute: Option<ExecuteHost>,
    ) -> Result<TracedSegment, ExecuteError> {
        let options = RunOptions::verify(u64::MAX).with_execute(execute);
        self.run(pre_state_root, request, options)
            .map(|(staged, _)| staged.segment)
    }

    fn run(
        &self,
        pre_state_root: B256,
        request: TraceRequest,
        options: RunOptions,
    ) -> Result<(Staged, BlockResults), ExecuteError> {
        let chain = request.chain;
        let mut trace = request.into_trace();
        let hashes = ancestor_hashes(&trace)?;
        let recording = RecordingPreimages::new(&self.store);
        let outcome = execute_segment(
            pre_state_root,
            &trace,
            &chain,
            &recording,
            &hashes,
            &options,
        )?;
        let (receipts_root, bloom) = (outcome.receipts_root(), outcome.logs_bloom());
        let (post_state_root, gas_used, requests, receipts) = (
            outcome.post_state_root,
            outcome.gas_used,
            outcome.requests.clone(),
            outcome.receipts.clone(),
        );
        let oldest = outcome.state.oldest_hash_used();
        let mut nodes = B256Map::default();
        let mut state = outcome.state;
        state.collect_nodes(&mut nodes);
        let codes = outcome.contracts.into_iter().collect();
        drop(state);
        trace.witness = recording.witness();

        // Keep the ancestors from the oldest BLOCKHASH target to the parent.
        let parent_number = trace.header.number.saturating_sub(1);
        let keep_from = oldest.unwrap_or(parent_number).min(parent_number);
        trace.ancestors.retain(|h| h.number >= keep_from);

        let segment = TracedSegment {
            trace,
            pre_state_root,
            post_state_root,
            gas_used,
            receipts,
        };
        Ok((
            Staged {
                segment,
                nodes,
                codes,
            },
            (receipts_root, bloom, requests),
        ))
    }
}

/// A state root read over a node store: accounts, storage, code and proofs at that root. Reads
/// of nodes the store lacks (a pruned or unknown root) answer as if the entry were absent.
#[derive(Debug, Clone, Copy)]
pub struct StateAt<'a, S: ?Sized> {
    root: B256,
    store: &'a S,
}

impl<S: NodeStore + ?Sized> StateAt<'_, S> {
    /// Whether the store holds the root node: the state is kept, and reads of it are answers.
    pub fn is_kept(&self) -> bool {
        self.root == EMPTY_ROOT_HASH || self.store.node(&self.root).is_some()
    }

    /// The account at `address`, if it exists.
    pub fn account(&self, address: Address) -> Option<TrieAccount> {
        let rlp = SparseTrie::from_root(self.root)
            .get(&keccak256(address), &Nodes(self.store))
            .ok()??;
        TrieAccount::decode(&mut rlp.as_slice()).ok()
    }

    /// The value of a storage slot (zero when unset or the account does not exist).
    pub fn storage(&self, address: Address, slot: U256) -> U256 {
        let Some(account) = self.account(address) else {
            return U256::ZERO;
        };
        SparseTrie::from_root(account.storage_root)
            .get(&keccak256(B256::from(slot)), &Nodes(self.store))
            .ok()
            .flatten()
            .and_then(|rlp| U256::decode(&mut rlp.as_slice()).ok())
            .unwrap_or_default()
    }

    /// The state root this state would have with `writes` (slot, value; zero deletes) to the
    /// storage of `address` (created empty if absent) and nothing else changed. No node is
    /// kept: what executes on that root must come from elsewhere (a liar's claim in test mode).
    pub fn root_with_storage(
        &self,
        address: Address,
        writes: &[(U256, U256)],
    ) -> Result<B256, mpt::TrieError> {
        let mut account = self.account(address).unwrap_or(TrieAccount {
            nonce: 0,
            balance: U256::ZERO,
            storage_root: EMPTY_ROOT_HASH,
            code_hash: KECCAK_EMPTY,
        });
        let nodes = Nodes(self.store);
        let mut storage = SparseTrie::from_root(account.storage_root);
        for (slot, value) in writes {
            let rlp = if value.is_zero() {
                Vec::new()
            } else {
                alloy_rlp::encode(value)
            };
            storage.insert(&keccak256(B256::from(*slot)), rlp, &nodes)?;
        }
        account.storage_root = storage.root();
        let mut accounts = SparseTrie::from_root(self.root);
        accounts.insert(&keccak256(address), alloy_rlp::encode(account), &nodes)?;
        Ok(accounts.root())
    }

    /// EIP-1186 proofs of `address` and of its `slots`: the account-trie nodes to the account,
    /// and per slot the storage-trie nodes to it, root first.
    pub fn proof(&self, address: Address, slots: &[B256]) -> AccountProof {
        let account = self.account(address).unwrap_or_default();
        let storage_root = if self.account(address).is_some() {
            account.storage_root
        } else {
            EMPTY_ROOT_HASH
        };
        // A kept state has every node in the store, so no proof can miss one.
        let path =
            |root: B256, key: B256| mpt::proof(root, &key, &Nodes(self.store)).unwrap_or_default();
        AccountProof {
            account,
            storage_root,
            account_proof: path(self.root, keccak256(address)),
            storage: slots
                .iter()
                .map(|slot| {
                    let value = self.storage(address, U256::from_be_bytes(slot.0));
                    (*slot, value, path(storage_root, keccak256(slot)))
                })
                .collect(),
        }
    }

    /// The code of `address` (empty for accounts without code).
    pub fn code(&self, address: Address) -> Bytes {
        self.account(address)
            .and_then(|a| self.store.code(&a.code_hash))
            .unwrap_or_default()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_root_with_storage_writes_matches_the_state_built_with_them() {
        let contract = Address::repeat_byte(1);
        let slot = |n: u64, v: u64| (U256::from(n), U256::from(v));
        let mut accounts = vec![
            (
                contract,
                AccountState {
                    nonce: 1,
                    balance: U256::from(5),
                    code: Bytes::from_static(&[0x00]),
                    storage: vec![slot(1, 7), slot(2, 9)],
                },
            ),
            (
                Address::repeat_byte(2),
                AccountState {
                    balance: U256::from(9),
                    ..Default::default()
                },
            ),
        ];
        let state = CompleteState::new(accounts.clone());
        let at = state.state_at(state.root());
        // A change, a new slot and a deletion.
        let writes = [slot(1, 8), slot(42, 3), slot(2, 0)];
        let root = at.root_with_storage(contract, &writes);
        accounts[0].1.storage = vec![slot(1, 8), slot(42, 3)];
        assert_eq!(root.unwrap(), CompleteState::reference_root(&accounts));
        // The state itself is unchanged.
        assert_eq!(state.storage(contract, U256::from(1)), U256::from(7));
        // An absent account is created with the storage alone (on the state as it was).
        let fresh = Address::repeat_byte(3);
        let root = at.root_with_storage(fresh, &[slot(5, 6)]);
        accounts[0].1.storage = vec![slot(1, 7), slot(2, 9)];
        accounts.push((
            fresh,
            AccountState {
                storage: vec![slot(5, 6)],
                ..Default::default()
            },
        ));
        assert_eq!(root.unwrap(), CompleteState::reference_root(&accounts));
    }
}
