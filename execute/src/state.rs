//! State backed only by a witness: a revm [`Database`] over sparse account and storage tries.

use std::cell::RefCell;

use alloy_primitives::{
    keccak256,
    map::{AddressMap, B256Map, HashMap},
    Address, Bytes, B256, U256,
};
use alloy_rlp::Decodable;
use alloy_trie::TrieAccount;
use revm::{
    bytecode::Bytecode,
    database::states::{PlainStorageChangeset, StateChangeset},
    primitives::{StorageKey, StorageValue, KECCAK_EMPTY},
    state::AccountInfo,
    Database,
};

use crate::{
    mpt::{NodeSource, SparseTrie, TrieError},
    store::NodeStore,
    trace::Witness,
};

/// Why the witness-backed state could not answer.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StateError {
    /// A trie operation failed (missing or malformed node).
    #[error(transparent)]
    Trie(#[from] TrieError),
    /// An account leaf does not decode.
    #[error("account {0} has a malformed trie leaf")]
    BadAccount(Address),
    /// A storage leaf does not decode.
    #[error("storage slot of {0} has a malformed trie leaf")]
    BadSlot(Address),
    /// Bytecode needed by the run is not in the witness.
    #[error("bytecode {0} is missing from the witness")]
    MissingCode(B256),
    /// BLOCKHASH asked for a block the trace's ancestors do not cover.
    #[error("block hash of block {0} is not provided by the trace's ancestors")]
    MissingBlockHash(u64),
}

impl revm::database::DBErrorMarker for StateError {}

/// Preimages of trie nodes and code: the witness, or a complete state while recording one.
pub trait Preimages: NodeSource + std::fmt::Debug {
    /// The bytecode with this hash, if known.
    fn code(&self, hash: &B256) -> Option<Bytecode>;
}

/// A witness indexed by hash.
#[derive(Debug, Default)]
pub struct WitnessPreimages {
    nodes: B256Map<Bytes>,
    codes: B256Map<Bytecode>,
}

impl WitnessPreimages {
    /// Indexes a witness: every node and bytecode is hashed once.
    pub fn new(witness: &Witness) -> Self {
        let nodes = witness
            .state
            .iter()
            .map(|n| (keccak256(n), n.clone()))
            .collect();
        let codes = witness
            .codes
            .iter()
            .map(|c| (keccak256(c), Bytecode::new_raw(c.clone())))
            .collect();
        Self { nodes, codes }
    }
}

impl NodeSource for WitnessPreimages {
    fn node(&self, hash: &B256) -> Option<Bytes> {
        self.nodes.get(hash).cloned()
    }
}

impl Preimages for WitnessPreimages {
    fn code(&self, hash: &B256) -> Option<Bytecode> {
        self.codes.get(hash).cloned()
    }
}

/// Complete preimages that record which ones a run uses: the witness of that run.
#[derive(Debug)]
pub struct RecordingPreimages<'a, S: ?Sized> {
    store: &'a S,
    used_nodes: RefCell<B256Map<Bytes>>,
    used_codes: RefCell<B256Map<Bytes>>,
}

impl<'a, S: NodeStore + ?Sized> RecordingPreimages<'a, S> {
    /// Records over a complete node store.
    pub fn new(store: &'a S) -> Self {
        Self {
            store,
            used_nodes: Default::default(),
            used_codes: Default::default(),
        }
    }

    /// The witness of everything used so far, sorted by hash for a canonical encoding.
    pub fn witness(&self) -> Witness {
        let sorted = |used: &RefCell<B256Map<Bytes>>| {
            let mut entries: Vec<_> = used.borrow().iter().map(|(h, b)| (*h, b.clone())).collect();
            entries.sort_unstable_by_key(|(h, _)| *h);
            entries.into_iter().map(|(_, b)| b).collect()
        };
        Witness {
            state: sorted(&self.used_nodes),
            codes: sorted(&self.used_codes),
        }
    }
}

impl<S: NodeStore + ?Sized> NodeSource for RecordingPreimages<'_, S> {
    fn node(&self, hash: &B256) -> Option<Bytes> {
        if let Some(node) = self.used_nodes.borrow().get(hash) {
            return Some(node.clone());
        }
        let node = self.store.node(hash)?;
        self.used_nodes.borrow_mut().insert(*hash, node.clone());
        Some(node)
    }
}

impl<S: NodeStore + ?Sized> Preimages for RecordingPreimages<'_, S> {
    fn code(&self, hash: &B256) -> Option<Bytecode> {
        if let Some(code) = self.used_codes.borrow().get(hash) {
            return Some(Bytecode::new_raw(code.clone()));
        }
        let code = self.store.code(hash)?;
        self.used_codes.borrow_mut().insert(*hash, code.clone());
        Some(Bytecode::new_raw(code))
    }
}

/// An account's storage trie and the account fields it was loaded with.
#[derive(Debug)]
struct AccountEntry {
    account: Option<TrieAccount>,
    storage: SparseTrie,
}

/// revm database over a witness: the pre-state, revealed lazily, then updated to the post-state.
#[derive(Debug)]
pub struct WitnessDb<'a, P> {
    preimages: &'a P,
    accounts: SparseTrie,
    entries: AddressMap<AccountEntry>,
    block_hashes: &'a HashMap<u64, B256>,
    oldest_hash_used: Option<u64>,
}

impl<'a, P: Preimages> WitnessDb<'a, P> {
    /// State with root `state_root`; BLOCKHASH answers from `block_hashes`.
    pub fn new(state_root: B256, preimages: &'a P, block_hashes: &'a HashMap<u64, B256>) -> Self {
        Self {
            preimages,
            accounts: SparseTrie::from_root(state_root),
            entries: AddressMap::default(),
            block_hashes,
            oldest_hash_used: None,
        }
    }

    /// The oldest block whose hash the run asked for.
    pub const fn oldest_hash_used(&self) -> Option<u64> {
        self.oldest_hash_used
    }

    fn entry(&mut self, address: Address) -> Result<&mut AccountEntry, StateError> {
        if !self.entries.contains_key(&address) {
            let account = match self.accounts.get(&keccak256(address), self.preimages)? {
                None => None,
                Some(rlp) => Some(
                    TrieAccount::decode(&mut rlp.as_slice())
                        .map_err(|_| StateError::BadAccount(address))?,
                ),
            };
            let storage = SparseTrie::from_root(
                account.map_or(alloy_trie::EMPTY_ROOT_HASH, |a| a.storage_root),
            );
            self.entries
                .insert(address, AccountEntry { account, storage });
        }
        Ok(self.entries.get_mut(&address).expect("inserted above"))
    }

    /// Storage root of `address` in the state this database started from.
    pub fn storage_root(&mut self, address: Address) -> Result<B256, StateError> {
        Ok(self
            .entry(address)?
            .account
            .map_or(alloy_trie::EMPTY_ROOT_HASH, |a| a.storage_root))
    }

    /// Applies a block's changes and returns the new state root.
    ///
    /// Within each trie, writes go before deletions and both in key order. The order decides
    /// which nodes are revealed (a deletion that collapses a branch needs its sibling, unless a
    /// write landed there first), so a fixed order makes the witness recorded by one run exactly
    /// what every later run of the same trace needs.
    pub fn apply(&mut self, changes: &StateChangeset) -> Result<B256, StateError> {
        let preimages = self.preimages;
        let infos: AddressMap<Option<&AccountInfo>> = changes
            .accounts
            .iter()
            .map(|(a, info)| (*a, info.as_ref()))
            .collect();

        let mut storage_changes: Vec<&PlainStorageChangeset> = changes.storage.iter().collect();
        storage_changes.sort_unstable_by_key(|c| c.address);
        for PlainStorageChangeset {
            address,
            wipe_storage,
            storage,
        } in storage_changes
        {
            if infos.get(address).is_some_and(|info| info.is_none()) {
                continue; // deleted account: its storage goes with it
            }
            let entry = self.entry(*address)?;
            if *wipe_storage {
                entry.storage = SparseTrie::empty();
            }
            let mut slots: Vec<(B256, U256)> = storage
                .iter()
                .map(|(slot, value)| (keccak256(B256::from(*slot)), *value))
                .collect();
            slots.sort_unstable_by_key(|(key, value)| (value.is_zero(), *key));
            for (key, value) in slots {
                if value.is_zero() {
                    entry.storage.remove(&key, preimages)?;
                } else {
                    entry
                        .storage
                        .insert(&key, alloy_rlp::encode(value), preimages)?;
                }
            }
        }

        let mut touched: Vec<Address> = infos.keys().copied().collect();
        touched.extend(
            changes
                .storage
                .iter()
                .map(|s| s.address)
                .filter(|a| !infos.contains_key(a)),
        );
        let mut leaves: Vec<(B256, Option<Vec<u8>>)> = Vec::with_capacity(touched.len());
        for address in touched {
            let key = keccak256(address);
            let info = match infos.get(&address) {
                Some(None) => {
                    self.entries.remove(&address);
                    leaves.push((key, None));
                    continue;
                }
                Some(Some(info)) => Some((info.nonce, info.balance, info.code_hash)),
                None => None,
            };
            let entry = self.entry(address)?;
            let storage_root = entry.storage.root();
            let (nonce, balance, code_hash) = match (info, entry.account) {
                (Some(fields), _) => fields,
                (None, Some(a)) => (a.nonce, a.balance, a.code_hash),
                (None, None) => (0, U256::ZERO, KECCAK_EMPTY),
            };
            let account = TrieAccount {
                nonce,
                balance,
                storage_root,
                code_hash,
            };
            entry.account = Some(account);
            leaves.push((key, Some(alloy_rlp::encode(account))));
        }
        leaves.sort_unstable_by_key(|(key, leaf)| (leaf.is_none(), *key));
        for (key, leaf) in leaves {
            match leaf {
                Some(rlp) => self.accounts.insert(&key, rlp, preimages)?,
                None => {
                    self.accounts.remove(&key, preimages)?;
                }
            }
        }
        Ok(self.accounts.root())
    }

    /// Adds every revealed node of the account and storage tries to `out`.
    pub fn collect_nodes(&mut self, out: &mut B256Map<Bytes>) {
        self.accounts.collect_nodes(out);
        for entry in self.entries.values_mut() {
            entry.storage.collect_nodes(out);
        }
    }
}

impl<P: Preimages> Database for WitnessDb<'_, P> {
    type Error = StateError;

    fn basic(&mut self, address: Address) -> Result<Option<AccountInfo>, Self::Error> {
        Ok(self.entry(address)?.account.map(|a| {
            // Code is loaded lazily through `code_by_hash`, so only code that runs is witnessed.
            let code = (a.code_hash == KECCAK_EMPTY).then(Bytecode::default);
            AccountInfo {
                code,
                ..AccountInfo::new(a.balance, a.nonce, a.code_hash, Bytecode::default())
            }
        }))
    }

    fn code_by_hash(&mut self, code_hash: B256) -> Result<Bytecode, Self::Error> {
        if code_hash == KECCAK_EMPTY {
            return Ok(Bytecode::default());
        }
        self.preimages
            .code(&code_hash)
            .ok_or(StateError::MissingCode(code_hash))
    }

    fn storage(
        &mut self,
        address: Address,
        index: StorageKey,
    ) -> Result<StorageValue, Self::Error> {
        let preimages = self.preimages;
        let entry = self.entry(address)?;
        match entry
            .storage
            .get(&keccak256(B256::from(index)), preimages)?
        {
            None => Ok(U256::ZERO),
            Some(rlp) => {
                U256::decode(&mut rlp.as_slice()).map_err(|_| StateError::BadSlot(address))
            }
        }
    }

    fn block_hash(&mut self, number: u64) -> Result<B256, Self::Error> {
        let hash = *self
            .block_hashes
            .get(&number)
            .ok_or(StateError::MissingBlockHash(number))?;
        self.oldest_hash_used = Some(self.oldest_hash_used.map_or(number, |o| o.min(number)));
        Ok(hash)
    }
}
