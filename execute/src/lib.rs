//! EXECUTE: the native-rollup precompile and the stateless executor behind it.
//!
//! `EXECUTE(pre_state_root, post_state_root, trace, gas_used)` is true iff the [`Trace`] runs
//! statelessly from `pre_state_root` to `post_state_root` using exactly `gas_used` gas.
//!
//! - [`trace`]: the versioned trace format and `debug_executionWitness` import.
//! - [`mpt`]: the sparse Merkle-Patricia trie the witness reveals.
//! - [`state`]: a revm database over the witness.
//! - [`evm`]: the L1's EVM as EXECUTE runs it, with EIP-7610's storage collision rule.
//! - [`executor`]: runs a segment with alloy-evm's block executor and checks the block.
//! - [`store`]: where a complete state keeps its nodes (in memory, or a caller's database).
//! - [`witness`]: records the minimal trace of a segment from a complete state.
//! - [`call`]: message calls over a state with nothing committed (`eth_call`, `eth_estimateGas`).
//! - [`precompile`] and [`pricing`]: the revm precompile, its ABI and its gas market.
//! - [`workload`]: seeded blocks of mixed transactions, for load and benchmarks.
//! - `reference` (the `test-utils` feature): plain revm to check EXECUTE against, and a ready
//!   true EXECUTE input.

pub mod call;
pub mod chain;
pub mod evm;
pub mod executor;
pub mod forks;
pub mod header;
pub mod mpt;
pub mod precompile;
pub mod pricing;
#[cfg(any(test, feature = "test-utils"))]
pub mod reference;
pub mod state;
pub mod store;
pub mod trace;
pub mod validate;
pub mod witness;
pub mod workload;

pub use chain::{Activation, BlobSchedule, ChainConfig, ChainParams, Fork, ForkSchedule, Host};
pub use executor::{execute_segment, RunOptions, SegmentOutcome};
pub use precompile::{ExecuteInput, EXECUTE_ADDRESS};
pub use pricing::{ExecuteMarket, PricingConfig};
pub use trace::{Segment, Trace, Witness, TRACE_VERSION};

use alloy_primitives::B256;

/// Why a block or segment is invalid: the trace is well formed but the L1 rules reject it.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum InvalidBlock {
    /// Ancestors are missing, not consecutive, or do not end at the block's parent.
    #[error("ancestor headers do not form a chain ending at the parent")]
    Ancestors,
    /// The parent's state root is not the claimed pre-state root.
    #[error("parent state root differs from the pre-state root")]
    PreStateRoot,
    /// The segment's position fields are inconsistent.
    #[error("segment fields are inconsistent")]
    Segment,
    /// Block number is not the parent's plus one.
    #[error("block number is not parent + 1")]
    Number,
    /// Timestamp does not increase.
    #[error("timestamp does not increase")]
    Timestamp,
    /// Extra data over 32 bytes.
    #[error("extra data longer than 32 bytes")]
    ExtraData,
    /// Gas limit out of bounds or moved too far from the parent's.
    #[error("gas limit out of bounds")]
    GasLimit,
    /// Header's gas used exceeds its gas limit.
    #[error("gas used exceeds the gas limit")]
    GasUsedOverLimit,
    /// Base fee is not the EIP-1559 successor of the parent's.
    #[error("base fee does not follow from the parent")]
    BaseFee,
    /// Difficulty, nonce or ommers after the merge.
    #[error("pre-merge fields set after the merge")]
    PreMergeFields,
    /// A fork's header fields are missing, or present before the fork.
    #[error("header fields do not match the fork")]
    ForkFields,
    /// Blob gas used is wrong, unaligned or over the maximum.
    #[error("blob gas used is invalid")]
    BlobGasUsed,
    /// Excess blob gas does not follow from the parent.
    #[error("excess blob gas does not follow from the parent")]
    ExcessBlobGas,
    /// Transactions root mismatch.
    #[error("transactions root mismatch")]
    TransactionsRoot,
    /// Withdrawals root mismatch, or withdrawals before Shanghai.
    #[error("withdrawals root mismatch")]
    WithdrawalsRoot,
    /// The RLP block exceeds EIP-7934's cap.
    #[error("block exceeds the RLP size limit")]
    TooLarge,
    /// A transaction does not decode, has a bad signature or a type the fork lacks.
    #[error("transaction {index}: {reason}")]
    Transaction {
        /// Index of the transaction within the block.
        index: u64,
        /// What is wrong.
        reason: &'static str,
    },
    /// The block executor rejected the block (nonce, balance, gas, system call...).
    #[error("execution: {0}")]
    Execution(String),
    /// An EIP-7002/7251 request contract has no code at the end of the block.
    #[error("system contract {0} has no code")]
    SystemContractEmpty(alloy_primitives::Address),
    /// Header gas used differs from execution.
    #[error("gas used differs from the header")]
    GasUsed,
    /// Receipts root mismatch.
    #[error("receipts root mismatch")]
    ReceiptsRoot,
    /// Logs bloom mismatch.
    #[error("logs bloom mismatch")]
    LogsBloom,
    /// Requests hash mismatch.
    #[error("requests hash mismatch")]
    RequestsHash,
    /// Header state root differs from the computed one.
    #[error("state root mismatch")]
    StateRoot,
}

/// Why EXECUTE returned false. Every variant is a `false`, never a panic.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ExecuteError {
    /// Empty trace bytes.
    #[error("trace is empty")]
    EmptyTrace,
    /// Trace version byte is not supported.
    #[error("unsupported trace version {0}")]
    UnsupportedVersion(u8),
    /// Trace bytes do not decode.
    #[error("malformed trace: {0}")]
    MalformedTrace(alloy_rlp::Error),
    /// Chain configuration values are out of range.
    #[error("invalid chain config: {0}")]
    InvalidChainConfig(&'static str),
    /// The block's timestamp is before the host's first scheduled fork.
    #[error("no fork of the host's schedule covers timestamp {0}")]
    BeforeSchedule(u64),
    /// The block's timestamp falls in a fork the host has not reached.
    #[error(
        "the block is under {fork:?} (from {activation}), which the host at {host} has not reached"
    )]
    ForkNotReached {
        /// The fork the host's schedule gives the block.
        fork: Fork,
        /// When that fork activates.
        activation: u64,
        /// Timestamp of the host block.
        host: u64,
    },
    /// The witness lacks something the run needs, or holds malformed data.
    #[error("witness: {0}")]
    State(#[from] state::StateError),
    /// The block or segment breaks an L1 rule.
    #[error("invalid block: {0}")]
    Invalid(#[from] InvalidBlock),
    /// The segment used more gas than declared.
    #[error("segment used more gas than declared")]
    GasLimitExceeded,
    /// The run ended at another state root.
    #[error("post-state root is {actual}, claimed {claimed}")]
    PostStateMismatch {
        /// Root the run produced.
        actual: B256,
        /// Root the caller claimed.
        claimed: B256,
    },
    /// The run used another amount of gas.
    #[error("gas used is {actual}, claimed {claimed}")]
    GasUsedMismatch {
        /// Gas the run used.
        actual: u64,
        /// Gas the caller claimed.
        claimed: u64,
    },
    /// An internal panic was caught; the input is rejected.
    #[error("internal error: {0}")]
    Internal(String),
}

/// EXECUTE's semantics on decoded arguments: `Ok` iff the trace runs from `pre_state_root` to
/// `post_state_root` using exactly `gas_used`, under the rules `host`'s fork schedule gives the
/// block's timestamp (a fork the host has not reached itself is refused).
pub fn verify(
    pre_state_root: B256,
    post_state_root: B256,
    trace_bytes: &[u8],
    gas_used: u64,
    host: Host<'_>,
) -> Result<(), ExecuteError> {
    let trace = Trace::decode_bytes(trace_bytes)?;
    verify_trace(pre_state_root, post_state_root, &trace, gas_used, host)
}

/// [`verify`] on an already decoded trace.
pub fn verify_trace(
    pre_state_root: B256,
    post_state_root: B256,
    trace: &Trace,
    gas_used: u64,
    host: Host<'_>,
) -> Result<(), ExecuteError> {
    let chain = host.rules(trace.chain, trace.header.timestamp)?;
    if trace.segment.is_whole_block() && trace.header.gas_used != gas_used {
        return Err(ExecuteError::GasUsedMismatch {
            actual: trace.header.gas_used,
            claimed: gas_used,
        });
    }
    let preimages = state::WitnessPreimages::new(&trace.witness);
    let hashes = executor::ancestor_hashes(trace)?;
    let outcome = execute_segment(
        pre_state_root,
        trace,
        &chain,
        &preimages,
        &hashes,
        &RunOptions::verify(gas_used),
    )?;
    if outcome.gas_used != gas_used {
        return Err(ExecuteError::GasUsedMismatch {
            actual: outcome.gas_used,
            claimed: gas_used,
        });
    }
    if outcome.post_state_root != post_state_root {
        return Err(ExecuteError::PostStateMismatch {
            actual: outcome.post_state_root,
            claimed: post_state_root,
        });
    }
    Ok(())
}
