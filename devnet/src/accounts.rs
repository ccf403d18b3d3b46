//! Dev accounts: the keys anvil and Hardhat derive from their well-known mnemonic.

use alloy_primitives::Address;
use alloy_signer_local::{coins_bip39::English, MnemonicBuilder, PrivateKeySigner};

/// The mnemonic anvil and Hardhat fund by default.
pub const DEV_MNEMONIC: &str = "test test test test test test test test test test test junk";

/// Errors deriving dev accounts.
#[derive(Debug, thiserror::Error)]
#[error("deriving dev account {index}: {reason}")]
pub struct DeriveError {
    index: u32,
    reason: String,
}

/// The first `count` accounts of `mnemonic` on the path `m/44'/60'/0'/0/i`.
pub fn dev_accounts(mnemonic: &str, count: u32) -> Result<Vec<PrivateKeySigner>, DeriveError> {
    (0..count)
        .map(|index| {
            MnemonicBuilder::<English>::default()
                .phrase(mnemonic)
                .index(index)
                .and_then(|b| b.build())
                .map_err(|e| DeriveError {
                    index,
                    reason: e.to_string(),
                })
        })
        .collect()
}

/// Addresses of signers.
pub fn addresses(signers: &[PrivateKeySigner]) -> Vec<Address> {
    signers.iter().map(PrivateKeySigner::address).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use alloy_primitives::address;

    #[test]
    fn derives_the_accounts_anvil_funds() {
        let accounts = addresses(&dev_accounts(DEV_MNEMONIC, 2).unwrap());
        assert_eq!(
            accounts[0],
            address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266")
        );
        assert_eq!(
            accounts[1],
            address!("0x70997970C51812dc3A010C7d01b50e0d17dc79C8")
        );
    }
}
