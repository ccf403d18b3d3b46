//! L2 accounts the toolkit drives (scenarios, tests, the demo): a key derived from a seed, and
//! signed EIP-1559 transactions for an L2.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{keccak256, Address, Bytes, Signature, TxKind, U256};
use k256::ecdsa::SigningKey;

/// Max fee per gas of the transactions [`L2Wallet::transfer`] signs (10 gwei).
pub const MAX_FEE_PER_GAS: u128 = 10_000_000_000;

/// A key on an L2.
#[derive(Debug, Clone)]
pub struct L2Wallet {
    key: SigningKey,
    chain_id: u64,
}

impl L2Wallet {
    /// The wallet whose key is `keccak256(seed)`, signing for `chain_id`.
    pub fn from_seed(seed: &[u8], chain_id: u64) -> Self {
        let key = SigningKey::from_slice(keccak256(seed).as_slice())
            .expect("a keccak output is a valid secp256k1 key but with negligible probability");
        Self { key, chain_id }
    }

    /// Its address.
    pub fn address(&self) -> Address {
        Address::from_public_key(self.key.verifying_key())
    }

    /// `tx`, for this wallet's chain, signed and EIP-2718 encoded.
    pub fn sign(&self, tx: TxEip1559) -> Bytes {
        let tx = TxEip1559 {
            chain_id: self.chain_id,
            ..tx
        };
        let (signature, recovery) = self
            .key
            .sign_prehash_recoverable(tx.signature_hash().as_slice())
            .expect("signing a 32-byte prehash");
        TxEnvelope::from(tx.into_signed(Signature::from((signature, recovery))))
            .encoded_2718()
            .into()
    }

    /// A plain transfer of `value` to `to` with `nonce` (21,000 gas, 10 gwei, 1 wei tip).
    pub fn transfer(&self, nonce: u64, to: Address, value: U256) -> Bytes {
        self.sign(TxEip1559 {
            nonce,
            gas_limit: 21_000,
            max_fee_per_gas: MAX_FEE_PER_GAS,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(to),
            value,
            ..Default::default()
        })
    }
}
