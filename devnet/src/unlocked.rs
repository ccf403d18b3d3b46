//! The dev accounts the node signs for, as anvil does: `eth_accounts`, `eth_sendTransaction`
//! (the node fills nonce, gas and fees, signs and admits the transaction), `eth_sign` and
//! `personal_sign` (EIP-191), `eth_signTypedData_v4` (EIP-712). Their keys are the well-known
//! dev mnemonic's, so only a development chain has them.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope, TxLegacy};
use alloy_dyn_abi::TypedData;
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, Signature, TxKind};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use execute::call::CallRequest;

use crate::Node;

/// The priority fee filled in when a request names none (what the devnet suggests).
const DEFAULT_TIP: u128 = 1_000_000_000;

/// Why the node cannot sign for a request.
#[derive(Debug, thiserror::Error)]
pub enum UnlockedError {
    /// The request names no sender.
    #[error("the transaction names no `from`")]
    NoSender,
    /// The sender is not one of the node's dev accounts.
    #[error("{0} is not an unlocked account of this node (see eth_accounts)")]
    Locked(Address),
    /// Blob transactions need a sidecar the node cannot build for the sender.
    #[error("blob transactions must be signed by the sender and sent raw")]
    Blob,
    /// Gas estimation failed.
    #[error("gas estimation failed: {0}")]
    Estimate(#[source] execute::call::CallError),
    /// The signer failed, or the typed data does not hash.
    #[error("signing failed: {0}")]
    Sign(#[from] alloy_signer::Error),
}

impl Node {
    /// The accounts the node signs for.
    pub fn unlocked(&self) -> Vec<Address> {
        self.config()
            .unlocked
            .iter()
            .map(PrivateKeySigner::address)
            .collect()
    }

    fn signer(&self, address: Address) -> Result<&PrivateKeySigner, UnlockedError> {
        self.config()
            .unlocked
            .iter()
            .find(|s| s.address() == address)
            .ok_or(UnlockedError::Locked(address))
    }

    /// `request` completed (the sender's next nonce, the estimated gas, fees for the next
    /// block), signed by its sender and EIP-2718 encoded: a legacy transaction when it names a
    /// `gasPrice`, an EIP-1559 one otherwise.
    pub fn sign_request(&self, request: &TransactionRequest) -> Result<Bytes, UnlockedError> {
        let from = request.from.ok_or(UnlockedError::NoSender)?;
        let signer = self.signer(from)?;
        if request.blob_versioned_hashes.is_some() || request.sidecar.is_some() {
            return Err(UnlockedError::Blob);
        }
        let to = request.to.unwrap_or(TxKind::Create);
        let input = request.input.input().cloned().unwrap_or_default();
        let value = request.value.unwrap_or_default();
        let gas_limit = match request.gas {
            Some(gas) => gas,
            None => self
                .estimate_gas(&CallRequest {
                    from: Some(from),
                    to: to.to().copied(),
                    data: input.clone(),
                    value,
                    gas: None,
                    blob_hashes: Vec::new(),
                    access_list: request.access_list.clone().unwrap_or_default(),
                })
                .map_err(UnlockedError::Estimate)?,
        };
        let nonce = request.nonce.unwrap_or_else(|| self.pending_nonce(from));
        let chain_id = self.chain().chain_id;
        let envelope: TxEnvelope = if let Some(gas_price) = request.gas_price {
            let tx = TxLegacy {
                chain_id: Some(chain_id),
                nonce,
                gas_price,
                gas_limit,
                to,
                value,
                input,
            };
            let signature = signer.sign_hash_sync(&tx.signature_hash())?;
            tx.into_signed(signature).into()
        } else {
            let tip = request.max_priority_fee_per_gas.unwrap_or(DEFAULT_TIP);
            let base_fee = u128::from(self.next_base_fee());
            let tx = TxEip1559 {
                chain_id,
                nonce,
                gas_limit,
                max_fee_per_gas: request.max_fee_per_gas.unwrap_or(2 * base_fee + tip),
                max_priority_fee_per_gas: tip,
                to,
                value,
                access_list: request.access_list.clone().unwrap_or_default(),
                input,
            };
            let signature = signer.sign_hash_sync(&tx.signature_hash())?;
            tx.into_signed(signature).into()
        };
        Ok(envelope.encoded_2718().into())
    }

    /// `message` signed by `address` as EIP-191 personal messages are.
    pub fn sign_message(
        &self,
        address: Address,
        message: &[u8],
    ) -> Result<Signature, UnlockedError> {
        Ok(self.signer(address)?.sign_message_sync(message)?)
    }

    /// `data` signed by `address` as EIP-712 typed data.
    pub fn sign_typed_data(
        &self,
        address: Address,
        data: &TypedData,
    ) -> Result<Signature, UnlockedError> {
        Ok(self.signer(address)?.sign_dynamic_typed_data_sync(data)?)
    }
}
