//! What EXECUTE is checked against (the `test-utils` feature): plain revm over an in-memory
//! database running the same blocks statefully, and a ready true EXECUTE input.

use alloy_consensus::transaction::{Recovered, SignerRecoverable};
use alloy_consensus::{Header, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_evm::{
    block::BlockExecutor,
    eth::{receipt_builder::AlloyReceiptBuilder, EthBlockExecutionCtx, EthBlockExecutor},
    EthEvmFactory, EvmEnv, EvmFactory,
};
use alloy_primitives::{Address, Bytes, B256, U256};
use revm::{
    bytecode::Bytecode,
    database::{CacheDB, EmptyDB},
    state::AccountInfo,
};
use std::borrow::Cow;

use crate::workload::Workload;
use crate::{
    chain::{ChainConfig, Fork},
    precompile::ExecuteInput,
    trace::Segment,
    witness::{AccountState, CompleteState, TraceRequest},
};

/// Plain revm over an in-memory database: the stateful baseline EXECUTE is compared with.
#[derive(Debug)]
pub struct ReferenceState {
    db: CacheDB<EmptyDB>,
}

impl ReferenceState {
    /// Loads `accounts`.
    pub fn new(accounts: &[(Address, AccountState)]) -> Self {
        let mut db = CacheDB::new(EmptyDB::default());
        for (address, account) in accounts {
            let code = Bytecode::new_raw(account.code.clone());
            let info = AccountInfo::new(account.balance, account.nonce, code.hash_slow(), code);
            db.insert_account_info(*address, info);
            for (slot, value) in &account.storage {
                db.insert_account_storage(*address, *slot, *value)
                    .expect("in-memory");
            }
        }
        Self { db }
    }

    /// Records a block hash for BLOCKHASH.
    pub fn insert_block_hash(&mut self, number: u64, hash: B256) {
        self.db.cache.block_hashes.insert(U256::from(number), hash);
    }

    /// Executes a whole block and commits it; returns the gas used.
    pub fn execute_block(
        &mut self,
        chain: &ChainConfig,
        header: &Header,
        transactions: &[Bytes],
    ) -> Result<u64, String> {
        let txs = transactions
            .iter()
            .map(|raw| {
                let tx = TxEnvelope::decode_2718_exact(raw.as_ref()).map_err(|e| e.to_string())?;
                let signer = tx.recover_signer().map_err(|e| e.to_string())?;
                Ok(Recovered::new_unchecked(tx, signer))
            })
            .collect::<Result<Vec<_>, String>>()?;
        let spec = chain.hardforks();
        let env = EvmEnv::for_eth_block(header, spec, chain.chain_id, chain.blob_params());
        let evm = EthEvmFactory::default().create_evm(&mut self.db, env);
        let ctx = EthBlockExecutionCtx {
            parent_hash: header.parent_hash,
            parent_beacon_block_root: header.parent_beacon_block_root,
            ommers: &[],
            withdrawals: (chain.fork >= Fork::Shanghai).then(|| Cow::Owned(Vec::new())),
            extra_data: header.extra_data.clone(),
            tx_count_hint: Some(txs.len()),
            slot_number: None,
        };
        let mut executor = EthBlockExecutor::new(evm, ctx, spec, AlloyReceiptBuilder::default());
        executor
            .apply_pre_execution_changes()
            .map_err(|e| e.to_string())?;
        for tx in &txs {
            executor
                .execute_transaction(tx.as_recovered_ref())
                .map_err(|e| e.to_string())?;
        }
        let (_, result) = executor.finish().map_err(|e| e.to_string())?;
        Ok(result.gas_used)
    }

    /// The state root, computed from the database's contents with alloy-trie's `HashBuilder`.
    pub fn state_root(&self) -> B256 {
        let accounts: Vec<(Address, AccountState)> = self
            .db
            .cache
            .accounts
            .iter()
            .filter(|(_, a)| !matches!(a.account_state, revm::database::AccountState::NotExisting))
            .map(|(address, a)| {
                let code = self
                    .db
                    .cache
                    .contracts
                    .get(&a.info.code_hash)
                    .map(|c| c.original_bytes())
                    .unwrap_or_default();
                let account = AccountState {
                    nonce: a.info.nonce,
                    balance: a.info.balance,
                    code,
                    storage: a.storage.iter().map(|(k, v)| (*k, *v)).collect(),
                };
                (*address, account)
            })
            .collect();
        CompleteState::reference_root(&accounts)
    }
}

/// The first block of a fresh workload chain (six senders), sealed and given as EXECUTE input:
/// a ready true case for tests of the precompile and of contracts that call it. The block's
/// timestamp is 12.
pub fn sample_step(chain: ChainConfig, seed: u64, gas_budget: u64) -> ExecuteInput {
    sample_step_at(chain, seed, gas_budget, 0)
}

/// [`sample_step`] with the genesis at `genesis_timestamp`: the block is 12 seconds later.
pub fn sample_step_at(
    chain: ChainConfig,
    seed: u64,
    gas_budget: u64,
    genesis_timestamp: u64,
) -> ExecuteInput {
    let mut workload = Workload::new(chain, 6, seed).starting_at(genesis_timestamp);
    let mut state = CompleteState::new(workload.genesis());
    let genesis = workload.genesis_header(state.root());
    let sealed = state
        .seal(TraceRequest {
            chain,
            ancestors: vec![genesis.clone()],
            header: workload.child_header(&genesis),
            segment: Segment::WHOLE_BLOCK,
            transactions: workload.block(gas_budget),
            withdrawals: Vec::new(),
        })
        .expect("workload blocks are valid");
    ExecuteInput {
        pre_state_root: sealed.pre_state_root,
        post_state_root: sealed.post_state_root,
        trace: sealed.trace.encode_to_vec().into(),
        gas_used: sealed.gas_used,
    }
}
