//! Message calls over a state, with nothing committed: what `eth_call` and `eth_estimateGas`
//! run on the devnet and on the L2 node.

use alloy_consensus::Header;
use alloy_eips::eip2930::AccessList;
use alloy_evm::{Evm, EvmEnv};
use alloy_primitives::{map::HashMap, Address, Bytes, TxKind, B256, U256};
use revm::{
    context::TxEnv,
    context_interface::result::{ExecutionResult, HaltReason},
    database::State,
    Database,
};

use crate::{
    chain::ChainConfig,
    evm::l1_evm,
    precompile::ExecuteHost,
    state::{Preimages, WitnessDb},
};

/// EIP-1559's transaction type, for calls with an access list.
const EIP1559_TX_TYPE: u8 = 2;
/// EIP-4844's transaction type, for calls that carry blob hashes.
const BLOB_TX_TYPE: u8 = 3;

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
    /// Addresses and slots the call declares warm (EIP-2930), charged as a transaction's are.
    pub access_list: AccessList,
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

/// The state and block a call runs in.
#[derive(Debug)]
pub struct CallEnv<'a, P> {
    /// Root of the state the call reads.
    pub state_root: B256,
    /// Preimages of that state.
    pub preimages: &'a P,
    /// Hashes BLOCKHASH answers.
    pub block_hashes: &'a HashMap<u64, B256>,
    /// The header of the block the call runs in (the next block's, for `latest`).
    pub header: &'a Header,
    /// The rules of that block.
    pub chain: &'a ChainConfig,
    /// The EXECUTE precompile, on a chain that has it.
    pub execute: Option<ExecuteHost>,
    /// The blob base fee of that block.
    pub blob_base_fee: u128,
}

impl<P: Preimages> CallEnv<'_, P> {
    /// The most gas a call may have: the block's limit, capped per transaction by the fork.
    fn gas_cap(&self, env: &EvmEnv) -> u64 {
        env.cfg_env
            .tx_gas_limit_cap
            .unwrap_or(u64::MAX)
            .min(self.header.gas_limit)
    }

    /// Runs `request` and discards its changes: its output and the gas it used. Nonce and base
    /// fee are not checked and gas costs nothing, as clients expect of `eth_call`; the value
    /// sent must be in the caller's balance.
    pub fn call(&self, request: &CallRequest) -> Result<(Bytes, u64), CallError> {
        let mut state = State::builder()
            .with_database(WitnessDb::new(
                self.state_root,
                self.preimages,
                self.block_hashes,
            ))
            .build();
        // Gas is free here (no price is charged), but value still moves: a caller cannot send
        // what it lacks, which geth refuses in the same words.
        let caller = request.from.unwrap_or_default();
        let balance = state
            .basic(caller)
            .map_err(|e| CallError::Invalid(e.to_string()))?
            .map_or(U256::ZERO, |account| account.balance);
        if request.value > balance {
            return Err(CallError::Invalid(format!(
                "insufficient funds for gas * price + value: address {caller} have {balance} \
                 want {}",
                request.value
            )));
        }
        let mut env = EvmEnv::for_eth_block(
            self.header,
            self.chain.hardforks(),
            self.chain.chain_id,
            self.chain.blob_params(),
        );
        env.cfg_env.disable_nonce_check = true;
        env.cfg_env.disable_base_fee = true;
        env.cfg_env.disable_balance_check = true;
        let cap = self.gas_cap(&env);
        let blob_tx = !request.blob_hashes.is_empty();
        let tx = TxEnv {
            tx_type: if blob_tx {
                BLOB_TX_TYPE
            } else if request.access_list.is_empty() {
                0
            } else {
                EIP1559_TX_TYPE
            },
            access_list: request.access_list.clone(),
            blob_hashes: request.blob_hashes.clone(),
            max_fee_per_blob_gas: if blob_tx { self.blob_base_fee } else { 0 },
            caller,
            kind: request.to.map_or(TxKind::Create, TxKind::Call),
            data: request.data.clone(),
            value: request.value,
            gas_limit: request.gas.unwrap_or(cap).min(cap),
            gas_price: 0,
            gas_priority_fee: None,
            chain_id: Some(self.chain.chain_id),
            ..Default::default()
        };
        let mut evm = l1_evm(&mut state, env, self.chain, self.execute.clone());
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
        let mut high = request.gas.unwrap_or(u64::MAX).min(self.header.gas_limit);
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
