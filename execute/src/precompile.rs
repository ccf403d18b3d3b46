//! The EXECUTE precompile for revm: ABI, gas charge, and registration into an EVM.

use std::{
    panic::{catch_unwind, AssertUnwindSafe},
    sync::{Arc, Mutex},
};

use alloy_evm::precompiles::{DynPrecompile, PrecompileInput, PrecompilesMap};
use alloy_primitives::{address, Address, Bytes, B256};
use alloy_sol_types::SolValue;
use revm::precompile::{PrecompileHalt, PrecompileId, PrecompileOutput, PrecompileResult};

use crate::{chain::ForkSchedule, pricing::ExecuteMarket, verify, ExecuteError, Host};

/// Address of the EXECUTE precompile.
pub const EXECUTE_ADDRESS: Address = address!("0x0000000000000000000000000000000000000101");

/// Decoded EXECUTE input: `abi.encode(bytes32 preStateRoot, bytes32 postStateRoot, bytes trace,
/// uint64 gasUsed)`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ExecuteInput {
    /// State root before the segment.
    pub pre_state_root: B256,
    /// State root claimed after the segment.
    pub post_state_root: B256,
    /// Encoded [`crate::Trace`].
    pub trace: Bytes,
    /// Gas the segment is claimed to use; also the bound on the verifier's work.
    pub gas_used: u64,
}

impl ExecuteInput {
    /// ABI-encodes the input as the precompile takes it.
    pub fn abi_encode(&self) -> Vec<u8> {
        (
            self.pre_state_root,
            self.post_state_root,
            self.trace.clone(),
            self.gas_used,
        )
            .abi_encode_params()
    }

    /// Decodes canonical ABI input; anything else (short, padded, dirty high bits) is `None`.
    pub fn abi_decode(data: &[u8]) -> Option<Self> {
        let (pre_state_root, post_state_root, trace, gas_used) =
            <(B256, B256, Bytes, u64)>::abi_decode_params(data).ok()?;
        let input = Self {
            pre_state_root,
            post_state_root,
            trace,
            gas_used,
        };
        (input.abi_encode() == data).then_some(input)
    }

    /// Runs EXECUTE's check for this input on `host`; never panics.
    pub fn verify(&self, host: Host<'_>) -> Result<(), ExecuteError> {
        catch_unwind(AssertUnwindSafe(|| {
            verify(
                self.pre_state_root,
                self.post_state_root,
                &self.trace,
                self.gas_used,
                host,
            )
        }))
        .unwrap_or_else(|panic| {
            let message = panic
                .downcast_ref::<&str>()
                .map(|s| s.to_string())
                .or_else(|| panic.downcast_ref::<String>().cloned())
                .unwrap_or_default();
            Err(ExecuteError::Internal(message))
        })
    }
}

/// ABI encoding of EXECUTE's boolean result.
pub fn abi_bool(value: bool) -> Bytes {
    value.abi_encode().into()
}

/// What one EXECUTE call did: its charge and its answer.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CallOutcome {
    /// Gas charged to the caller.
    pub gas_used: u64,
    /// The answer, with the reason when false.
    pub result: Result<(), ExecuteError>,
}

/// Why a call halted without an answer (all gas it was given is consumed).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallHalt {
    /// The call's gas does not cover the charge.
    #[error("out of gas")]
    OutOfGas,
    /// The block's cumulative EXECUTE gas would pass its limit.
    #[error(transparent)]
    CumulativeLimit(#[from] crate::pricing::CumulativeLimitReached),
}

/// One EXECUTE call on `host` against `market`: charges first, then verifies. A malformed input
/// is charged the input cost and answers false; the full charge is taken whatever the answer.
pub fn call(
    data: &[u8],
    gas_limit: u64,
    market: &mut ExecuteMarket,
    host: Host<'_>,
) -> Result<CallOutcome, CallHalt> {
    let input_cost = market.input_cost(data.len()).ok_or(CallHalt::OutOfGas)?;
    let Some(input) = ExecuteInput::abi_decode(data) else {
        if input_cost > gas_limit {
            return Err(CallHalt::OutOfGas);
        }
        return Ok(CallOutcome {
            gas_used: input_cost,
            result: Err(ExecuteError::MalformedTrace(alloy_rlp::Error::Custom(
                "bad ABI input",
            ))),
        });
    };
    let cost = market
        .call_cost(data.len(), input.gas_used)
        .ok_or(CallHalt::OutOfGas)?;
    if cost > gas_limit {
        return Err(CallHalt::OutOfGas);
    }
    market.admit(input.gas_used)?;
    Ok(CallOutcome {
        gas_used: cost,
        result: input.verify(host),
    })
}

/// What EXECUTE needs from the chain that has it: the gas market it charges (shared with the
/// node, which rolls it over between blocks with [`ExecuteMarket::next_block`]) and the chain's
/// fork schedule.
#[derive(Debug, Clone)]
pub struct ExecuteHost {
    /// The market every call in a block charges.
    pub market: Arc<Mutex<ExecuteMarket>>,
    /// The host's forks by timestamp.
    pub schedule: Arc<ForkSchedule>,
}

/// The EXECUTE precompile of `host`: it charges `host.market` and applies the rules
/// `host.schedule` gives the traced block, as of the timestamp of the block it runs in.
pub fn execute_precompile(host: ExecuteHost) -> DynPrecompile {
    DynPrecompile::new_stateful(
        PrecompileId::Custom("EXECUTE".into()),
        move |input: PrecompileInput<'_>| -> PrecompileResult {
            let now = input
                .internals
                .block_env()
                .timestamp()
                .saturating_to::<u64>();
            let mut market = host
                .market
                .lock()
                .unwrap_or_else(|poisoned| poisoned.into_inner());
            let on = Host::new(&host.schedule, now);
            Ok(match call(input.data, input.gas, &mut market, on) {
                Ok(outcome) => PrecompileOutput::new(
                    outcome.gas_used,
                    abi_bool(outcome.result.is_ok()),
                    input.reservoir,
                ),
                Err(CallHalt::OutOfGas) => {
                    PrecompileOutput::halt(PrecompileHalt::OutOfGas, input.reservoir)
                }
                Err(halt @ CallHalt::CumulativeLimit(_)) => {
                    PrecompileOutput::halt(PrecompileHalt::other(halt.to_string()), input.reservoir)
                }
            })
        },
    )
}

/// Adds EXECUTE to a precompile set.
pub fn install(precompiles: &mut PrecompilesMap, host: ExecuteHost) {
    precompiles.extend_precompiles([(EXECUTE_ADDRESS, execute_precompile(host))]);
}
