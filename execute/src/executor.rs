//! The stateless executor: runs a trace's segment over its witness and computes the post root.

use std::borrow::Cow;

use alloy_consensus::transaction::Recovered;
use alloy_consensus::ReceiptEnvelope;
use alloy_consensus::{
    proofs::{calculate_receipt_root, calculate_withdrawals_root},
    transaction::SignerRecoverable,
    Transaction, TxEnvelope, TxReceipt, TxType,
};
use alloy_eips::{eip2718::Decodable2718, eip7685::Requests};
use alloy_eips::{
    eip7002::WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS, eip7251::CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
};
use alloy_evm::Evm;
use alloy_evm::{
    block::{
        BlockExecutionError, BlockExecutor, BlockValidationError, InternalBlockExecutionError,
    },
    eth::{receipt_builder::AlloyReceiptBuilder, EthBlockExecutionCtx, EthBlockExecutor},
    EvmEnv,
};
use alloy_primitives::{map::HashMap, Bloom, B256};
use revm::{
    context_interface::result::EVMError,
    database::{states::bundle_state::BundleRetention, OriginalValuesKnown, State},
    database_interface::bal::EvmDatabaseError,
    primitives::KECCAK_EMPTY,
    Database,
};

use crate::{
    chain::{ChainConfig, Fork},
    evm::l1_evm,
    precompile::ExecuteHost,
    state::{Preimages, StateError, WitnessDb},
    trace::Trace,
    validate, ExecuteError, InvalidBlock,
};

/// What running a segment produced.
#[derive(Debug)]
pub struct SegmentOutcome<'a, P> {
    /// State root after the segment.
    pub post_state_root: B256,
    /// Gas used by the segment's transactions.
    pub gas_used: u64,
    /// Receipts of the segment's transactions (cumulative gas counts from the block start).
    pub receipts: Vec<ReceiptEnvelope>,
    /// EIP-7685 requests, when the segment ends the block.
    pub requests: Option<Requests>,
    /// Bytecode of contracts the segment deployed, by hash.
    pub contracts: Vec<(B256, alloy_primitives::Bytes)>,
    /// The post-state, for collecting its trie nodes.
    pub state: WitnessDb<'a, P>,
}

impl<P> SegmentOutcome<'_, P> {
    /// Root of the receipts trie of the segment's receipts.
    pub fn receipts_root(&self) -> B256 {
        calculate_receipt_root(&self.receipts)
    }

    /// Union of the receipts' blooms.
    pub fn logs_bloom(&self) -> Bloom {
        self.receipts.iter().fold(Bloom::ZERO, |mut acc, r| {
            acc.accrue_bloom(&r.bloom());
            acc
        })
    }
}

/// Transaction types each fork accepts.
fn tx_type_allowed(fork: Fork, ty: TxType) -> bool {
    match ty {
        TxType::Legacy => true,
        TxType::Eip2930 => fork >= Fork::Berlin,
        TxType::Eip1559 => fork >= Fork::London,
        TxType::Eip4844 => fork >= Fork::Cancun,
        TxType::Eip7702 => fork >= Fork::Prague,
    }
}

/// Hashes of the ancestors by number, after checking they form a chain ending at the parent.
pub fn ancestor_hashes(trace: &Trace) -> Result<HashMap<u64, B256>, InvalidBlock> {
    let mut hashes = HashMap::default();
    let mut previous: Option<(u64, B256)> = None;
    for header in &trace.ancestors {
        let hash = header.hash_slow();
        if let Some((number, parent_hash)) = previous {
            if Some(header.number) != number.checked_add(1) || header.parent_hash != parent_hash {
                return Err(InvalidBlock::Ancestors);
            }
        }
        hashes.insert(header.number, hash);
        previous = Some((header.number, hash));
    }
    match previous {
        Some((_, parent_hash)) if parent_hash == trace.header.parent_hash => Ok(hashes),
        _ => Err(InvalidBlock::Ancestors),
    }
}

/// How [`execute_segment`] runs, beyond what the trace says.
#[derive(Debug, Clone)]
pub struct RunOptions {
    /// The run stops with [`ExecuteError::GasLimitExceeded`] as soon as the segment's
    /// transactions have used more gas than this.
    pub gas_limit: u64,
    /// For a whole block, check the header's result fields (state root, gas, receipts, bloom,
    /// requests); for a segment that ends a block of a chain without a deposit contract, its
    /// requests hash. Off while sealing a new block, whose results come from the run.
    pub check_outputs: bool,
    /// Install EXECUTE in the EVM: for blocks of a chain that has it.
    pub execute: Option<ExecuteHost>,
}

impl RunOptions {
    /// Verifying a trace: outputs checked, work bounded by the declared gas.
    pub const fn verify(gas_limit: u64) -> Self {
        Self {
            gas_limit,
            check_outputs: true,
            execute: None,
        }
    }

    /// Running a block whose header results are to be filled in.
    pub const fn seal() -> Self {
        Self {
            gas_limit: u64::MAX,
            check_outputs: false,
            execute: None,
        }
    }

    /// The same options with EXECUTE installed.
    pub fn with_execute(self, execute: Option<ExecuteHost>) -> Self {
        Self { execute, ..self }
    }
}

/// Runs `trace`'s segment statelessly from `pre_state_root` by `chain`'s rules, with
/// `preimages` as the only state.
///
/// For a whole block with [`RunOptions::check_outputs`], the header is checked in full,
/// including that its state root is the computed one.
pub fn execute_segment<'a, P: Preimages>(
    pre_state_root: B256,
    trace: &Trace,
    chain: &ChainConfig,
    preimages: &'a P,
    block_hashes: &'a HashMap<u64, B256>,
    options: &RunOptions,
) -> Result<SegmentOutcome<'a, P>, ExecuteError> {
    let RunOptions {
        gas_limit,
        check_outputs,
        ..
    } = *options;
    if chain.params() != trace.chain {
        return Err(ExecuteError::InvalidChainConfig(
            "rules are for another chain than the trace's",
        ));
    }
    chain.validate()?;
    let segment = trace.segment;
    let header = &trace.header;
    let parent = trace.parent().ok_or(InvalidBlock::Ancestors)?;
    validate::validate_header(header, parent, chain)?;
    if segment.starts_block() && (segment.gas_before != 0 || segment.blob_gas_before != 0) {
        return Err(InvalidBlock::Segment.into());
    }
    if segment.gas_before > header.gas_limit {
        return Err(InvalidBlock::Segment.into());
    }
    if segment.is_whole_block() {
        if parent.state_root != pre_state_root {
            return Err(InvalidBlock::PreStateRoot.into());
        }
        validate::validate_body(header, &trace.transactions, &trace.withdrawals, chain)?;
    }
    if chain.fork < Fork::Shanghai && !trace.withdrawals.is_empty() {
        return Err(InvalidBlock::WithdrawalsRoot.into());
    }
    if !segment.ends_block && !trace.withdrawals.is_empty() {
        // Withdrawals are applied at the block's end: a segment that does not reach it cannot
        // carry them.
        return Err(InvalidBlock::WithdrawalsRoot.into());
    }
    if segment.ends_block
        && !segment.is_whole_block()
        && chain.fork >= Fork::Shanghai
        && Some(calculate_withdrawals_root(&trace.withdrawals)) != header.withdrawals_root
    {
        // The segment that ends a block applies its withdrawals, so it answers for their root.
        return Err(InvalidBlock::WithdrawalsRoot.into());
    }

    // Decode and recover every transaction before running any: a bad one invalidates the segment.
    let mut transactions = Vec::with_capacity(trace.transactions.len());
    let mut blob_gas = segment.blob_gas_before;
    for (i, raw) in trace.transactions.iter().enumerate() {
        let index = segment.first_tx.saturating_add(i as u64);
        let tx =
            TxEnvelope::decode_2718_exact(raw.as_ref()).map_err(|_| InvalidBlock::Transaction {
                index,
                reason: "malformed encoding",
            })?;
        if matches!(&tx, TxEnvelope::Eip4844(signed) if signed.tx().as_with_sidecar().is_some()) {
            // Blobs travel beside a block, never inside it.
            return Err(InvalidBlock::Transaction {
                index,
                reason: "blob sidecar inside a block",
            }
            .into());
        }
        if !tx_type_allowed(chain.fork, tx.tx_type()) {
            return Err(InvalidBlock::Transaction {
                index,
                reason: "type not active in fork",
            }
            .into());
        }
        if tx.chain_id().is_some_and(|id| id != chain.chain_id) {
            return Err(InvalidBlock::Transaction {
                index,
                reason: "wrong chain id",
            }
            .into());
        }
        blob_gas = blob_gas.saturating_add(tx.blob_gas_used().unwrap_or(0));
        let signer = tx.recover_signer().map_err(|_| InvalidBlock::Transaction {
            index,
            reason: "bad signature",
        })?;
        transactions.push(Recovered::new_unchecked(tx, signer));
    }
    if blob_gas > chain.max_blob_gas_per_block() {
        return Err(InvalidBlock::BlobGasUsed.into());
    }
    if segment.is_whole_block()
        && chain.fork >= Fork::Cancun
        && header.blob_gas_used != Some(blob_gas)
    {
        return Err(InvalidBlock::BlobGasUsed.into());
    }

    let mut state = State::builder()
        .with_database(WitnessDb::new(pre_state_root, preimages, block_hashes))
        .with_bundle_update()
        .build();
    let spec = chain.hardforks();
    let env = EvmEnv::for_eth_block(header, spec, chain.chain_id, chain.blob_params());
    let evm = l1_evm(&mut state, env, chain, options.execute.clone());
    let ctx = EthBlockExecutionCtx {
        parent_hash: header.parent_hash,
        parent_beacon_block_root: header.parent_beacon_block_root,
        ommers: &[],
        withdrawals: (chain.fork >= Fork::Shanghai)
            .then_some(Cow::Borrowed(trace.withdrawals.as_slice())),
        extra_data: header.extra_data.clone(),
        tx_count_hint: Some(transactions.len()),
        slot_number: None,
    };
    let mut executor = EthBlockExecutor::new(evm, ctx, spec, AlloyReceiptBuilder::default());
    executor.cumulative_tx_gas_used = segment.gas_before;
    executor.blob_gas_used = segment.blob_gas_before;

    if segment.starts_block() {
        executor
            .apply_pre_execution_changes()
            .map_err(block_error)?;
    }
    for tx in &transactions {
        executor
            .execute_transaction(tx.as_recovered_ref())
            .map_err(block_error)?;
        if executor.cumulative_tx_gas_used - segment.gas_before > gas_limit {
            return Err(ExecuteError::GasLimitExceeded);
        }
    }
    let gas_used = executor.cumulative_tx_gas_used - segment.gas_before;
    let (receipts, requests) = if segment.ends_block {
        if chain.fork >= Fork::Prague {
            // EIP-7002/7251: a block whose request contracts have no code is invalid.
            for address in [
                WITHDRAWAL_REQUEST_PREDEPLOY_ADDRESS,
                CONSOLIDATION_REQUEST_PREDEPLOY_ADDRESS,
            ] {
                let account = executor
                    .evm
                    .db_mut()
                    .basic(address)
                    .map_err(database_error)?;
                if account.is_none_or(|a| a.code_hash == KECCAK_EMPTY) {
                    return Err(InvalidBlock::SystemContractEmpty(address).into());
                }
            }
        }
        let (_, result) = executor.finish().map_err(block_error)?;
        (result.receipts, Some(result.requests))
    } else {
        (std::mem::take(&mut executor.receipts), None)
    };

    state.merge_transitions(BundleRetention::PlainState);
    let changes = state.take_bundle().to_plain_state(OriginalValuesKnown::Yes);
    let mut db = state.database;
    let post_state_root = db.apply(&changes)?;

    let contracts = changes
        .contracts
        .into_iter()
        .map(|(hash, code)| (hash, code.original_bytes()))
        .collect();
    let outcome = SegmentOutcome {
        post_state_root,
        gas_used,
        receipts,
        requests,
        contracts,
        state: db,
    };
    if segment.ends_block && check_outputs {
        let requests_hash = (chain.fork >= Fork::Prague)
            .then(|| outcome.requests.as_ref().map(Requests::requests_hash))
            .flatten();
        if segment.is_whole_block() {
            validate::validate_outputs(
                header,
                gas_used,
                outcome.receipts_root(),
                outcome.logs_bloom(),
                requests_hash,
            )?;
            if header.state_root != post_state_root {
                return Err(InvalidBlock::StateRoot.into());
            }
        } else if chain.deposit_contract.is_zero() && header.requests_hash != requests_hash {
            // Without a deposit contract, a block's requests come from its end-of-block system
            // calls, which this segment runs, so its header's requests hash is decided here as
            // for a whole block. (With one, earlier transactions' deposit logs count too; the
            // block executor also reads logs of mainnet's deposit address, which the rollup's
            // genesis leaves without code and no creation can reach.)
            return Err(InvalidBlock::RequestsHash.into());
        }
    }
    Ok(outcome)
}

/// Maps the block executor's error: a state error is a witness problem, anything else makes the
/// block invalid.
fn block_error(err: BlockExecutionError) -> ExecuteError {
    let evm_error = match &err {
        BlockExecutionError::Internal(InternalBlockExecutionError::EVM { error, .. })
        | BlockExecutionError::Validation(BlockValidationError::EVM { error, .. }) => {
            find_state_error(error.as_ref())
        }
        _ => None,
    };
    match evm_error.or_else(|| find_state_error(&err)) {
        Some(state) => ExecuteError::State(state),
        None => ExecuteError::Invalid(InvalidBlock::Execution(err.to_string())),
    }
}

fn find_state_error(err: &(dyn std::error::Error + 'static)) -> Option<StateError> {
    let mut current: Option<&(dyn std::error::Error + 'static)> = Some(err);
    while let Some(e) = current {
        if let Some(state) = e.downcast_ref::<StateError>() {
            return Some(state.clone());
        }
        if let Some(EvmDatabaseError::Database(state)) =
            e.downcast_ref::<EvmDatabaseError<StateError>>()
        {
            return Some(state.clone());
        }
        if let Some(EVMError::Database(EvmDatabaseError::Database(state))) =
            e.downcast_ref::<EVMError<EvmDatabaseError<StateError>>>()
        {
            return Some(state.clone());
        }
        current = e.source();
    }
    None
}

fn database_error(err: EvmDatabaseError<StateError>) -> ExecuteError {
    match err {
        EvmDatabaseError::Database(state) => ExecuteError::State(state),
        EvmDatabaseError::Bal(bal) => ExecuteError::Internal(bal.to_string()),
    }
}
