//! Typed calls to the rollup's L1 contracts over JSON-RPC: reads by `eth_call`, writes as
//! transactions whose receipt is awaited and whose revert is an error. Shared by the deployer,
//! the proposer and the watchtower.

use std::time::Duration;

use alloy_network::{Ethereum, ReceiptResponse, TransactionBuilder};
use alloy_primitives::{Address, B256, U256};
use alloy_provider::{
    transport::TransportError, PendingTransactionBuilder, PendingTransactionError, Provider,
};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_sol_types::SolCall;

/// How long a sent transaction may take to be mined before the sender gives up on waiting (the
/// transaction may still land; the chain, read again, says what happened).
pub const RECEIPT_TIMEOUT: Duration = Duration::from_secs(180);

/// Why a call or a transaction failed.
#[derive(Debug, thiserror::Error)]
pub enum ContractError {
    /// The L1 endpoint failed a call (after its retries).
    #[error("L1: calling {function}: {source}")]
    Call {
        /// The function called.
        function: &'static str,
        /// The transport's error.
        #[source]
        source: TransportError,
    },
    /// The L1 endpoint did not take a transaction (after its retries).
    #[error("L1: sending {what}: {source}")]
    Send {
        /// What was sent.
        what: &'static str,
        /// The transport's error.
        #[source]
        source: TransportError,
    },
    /// The transaction's receipt did not come.
    #[error("L1: waiting for {what}: {source}")]
    Receipt {
        /// What was sent.
        what: &'static str,
        /// Why the wait failed.
        #[source]
        source: PendingTransactionError,
    },
    /// The answer is not the function's ABI output.
    #[error("decoding {function}'s output: {reason}")]
    Decode {
        /// The function called.
        function: &'static str,
        /// The decoder's complaint.
        reason: String,
    },
    /// The transaction was mined and reverted.
    #[error("{function} reverted in {tx}")]
    Reverted {
        /// What was sent (a function signature, or a contract's name for a deployment).
        function: &'static str,
        /// The transaction.
        tx: B256,
    },
}

/// Calls `call` on `to` at the latest block.
pub async fn read<C: SolCall>(
    provider: &impl Provider,
    to: Address,
    call: C,
) -> Result<C::Return, ContractError> {
    let request = TransactionRequest::default()
        .with_to(to)
        .with_input(call.abi_encode());
    let out = provider
        .call(request)
        .await
        .map_err(|source| ContractError::Call {
            function: C::SIGNATURE,
            source,
        })?;
    C::abi_decode_returns(&out).map_err(|e| ContractError::Decode {
        function: C::SIGNATURE,
        reason: e.to_string(),
    })
}

/// Sends `call` to `to` from `from` (the provider signs for it) with `value` wei, and waits for
/// its receipt.
pub async fn write<C: SolCall>(
    provider: &impl Provider,
    from: Address,
    to: Address,
    call: C,
    value: U256,
) -> Result<TransactionReceipt, ContractError> {
    submit(provider, from, to, call, value)
        .await?
        .confirmed()
        .await
}

/// Sends `call` as [`write`] does, without waiting: several transactions can then be mined in
/// one block (the nonce of each is taken after the previous one is in the node's pool).
pub async fn submit<C: SolCall>(
    provider: &impl Provider,
    from: Address,
    to: Address,
    call: C,
    value: U256,
) -> Result<Sent, ContractError> {
    let request = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_input(call.abi_encode())
        .with_value(value);
    submit_request(provider, request, C::SIGNATURE).await
}

/// Sends `request`, named `what` in errors, and waits for its successful receipt.
pub async fn send(
    provider: &impl Provider,
    request: TransactionRequest,
    what: &'static str,
) -> Result<TransactionReceipt, ContractError> {
    submit_request(provider, request, what)
        .await?
        .confirmed()
        .await
}

async fn submit_request(
    provider: &impl Provider,
    request: TransactionRequest,
    what: &'static str,
) -> Result<Sent, ContractError> {
    let pending = provider
        .send_transaction(request)
        .await
        .map_err(|source| ContractError::Send { what, source })?
        .with_timeout(Some(RECEIPT_TIMEOUT));
    Ok(Sent { pending, what })
}

/// A transaction in the node's pool, not yet known to be mined.
#[derive(Debug)]
pub struct Sent {
    pending: PendingTransactionBuilder<Ethereum>,
    what: &'static str,
}

impl Sent {
    /// The transaction's hash.
    pub fn hash(&self) -> B256 {
        *self.pending.tx_hash()
    }

    /// Waits for the receipt; a revert is an error.
    pub async fn confirmed(self) -> Result<TransactionReceipt, ContractError> {
        let what = self.what;
        let receipt = self
            .pending
            .get_receipt()
            .await
            .map_err(|source| ContractError::Receipt { what, source })?;
        if !receipt.status() {
            return Err(ContractError::Reverted {
                function: what,
                tx: receipt.transaction_hash(),
            });
        }
        Ok(receipt)
    }
}
