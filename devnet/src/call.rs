//! Calls against the latest state without mining: `eth_call` and `eth_estimateGas`.

use std::sync::{Arc, Mutex};

use alloy_evm::{Evm, EvmEnv};
use alloy_primitives::{map::HashMap, Address, Bytes, TxKind, B256, U256};
use execute::{precompile::ExecuteHost, state::WitnessDb};
use revm::{
    context::TxEnv,
    context_interface::result::{ExecutionResult, HaltReason},
    database::State,
};

use crate::Node;

/// A message call, as `eth_call` takes it.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CallRequest {
    /// Caller (zero address when absent).
    pub from: Option<Address>,
    /// Callee; `None` runs `data` as init code.
    pub to: Option<Address>,
    /// Calldata or init code.
    pub data: Bytes,
    /// Value sent.
    pub value: U256,
    /// Gas limit; the block's (capped per transaction by the fork) when absent.
    pub gas: Option<u64>,
    /// Versioned hashes of blobs the call carries (a blob transaction's `BLOBHASH` values).
    pub blob_hashes: Vec<B256>,
}

/// Why a call did not succeed.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CallError {
    /// The call reverted with this data.
    #[error("execution reverted")]
    Revert(Bytes),
    /// The call halted (out of gas, invalid opcode...).
    #[error("execution halted: {0:?}")]
    Halt(HaltReason),
    /// The call could not run (bad fields, missing state).
    #[error("{0}")]
    Invalid(String),
}

impl Node {
    /// Runs `request` on top of the latest block, as the next block would, and discards the
    /// changes. EXECUTE runs at the next block's price and charges nothing for real.
    pub fn call(&self, request: &CallRequest) -> Result<(Bytes, u64), CallError> {
        // One clock reading: the EVM's rules and EXECUTE's host time come from the same header.
        let header = self.pending_header();
        let chain = self.chain_at(header.timestamp);
        let hashes: HashMap<u64, _> = self.recent_hashes().collect();
        let preimages = self.state().preimages();
        let mut state = State::builder()
            .with_database(WitnessDb::new(self.state().root(), &preimages, &hashes))
            .build();
        let mut env = EvmEnv::for_eth_block(
            &header,
            chain.hardforks(),
            chain.chain_id,
            chain.blob_params(),
        );
        env.cfg_env.disable_nonce_check = true;
        env.cfg_env.disable_base_fee = true;
        env.cfg_env.disable_balance_check = true;
        let cap = env
            .cfg_env
            .tx_gas_limit_cap
            .unwrap_or(u64::MAX)
            .min(header.gas_limit);
        let mut evm = execute::evm::l1_evm(
            &mut state,
            env,
            &chain,
            Some(ExecuteHost {
                market: Arc::new(Mutex::new(self.execute_market())),
                schedule: Arc::new(self.schedule().clone()),
            }),
        );
        let blob_tx = !request.blob_hashes.is_empty();
        let tx = TxEnv {
            tx_type: if blob_tx { 3 } else { 0 },
            blob_hashes: request.blob_hashes.clone(),
            max_fee_per_blob_gas: if blob_tx {
                self.blob_base_fee(&header)
            } else {
                0
            },
            caller: request.from.unwrap_or_default(),
            kind: request.to.map_or(TxKind::Create, TxKind::Call),
            data: request.data.clone(),
            value: request.value,
            gas_limit: request.gas.unwrap_or(cap).min(cap),
            gas_price: 0,
            gas_priority_fee: None,
            chain_id: Some(chain.chain_id),
            ..Default::default()
        };
        let result = evm
            .transact(tx)
            .map_err(|e| CallError::Invalid(e.to_string()))?
            .result;
        let gas = result.tx_gas_used();
        match result {
            ExecutionResult::Success { output, .. } => Ok((output.into_data(), gas)),
            ExecutionResult::Revert { output, .. } => Err(CallError::Revert(output)),
            ExecutionResult::Halt { reason, .. } => Err(CallError::Halt(reason)),
        }
    }

    /// The least gas limit with which `request` succeeds, by binary search over calls.
    pub fn estimate_gas(&self, request: &CallRequest) -> Result<u64, CallError> {
        // The call succeeds with the most gas it may have; less than it used cannot succeed.
        let (_, used) = self.call(request)?;
        let mut high = request
            .gas
            .unwrap_or(u64::MAX)
            .min(self.pending_header().gas_limit);
        let mut low = used.saturating_sub(1);
        while high - low > 1 {
            let mid = low + (high - low) / 2;
            match self.call(&CallRequest {
                gas: Some(mid),
                ..request.clone()
            }) {
                Ok(_) => high = mid,
                Err(CallError::Revert(_) | CallError::Halt(_)) => low = mid,
                Err(other) => return Err(other),
            }
        }
        Ok(high)
    }
}
