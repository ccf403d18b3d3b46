//! The L1 provider the sequencer and proposer send through.

use alloy_network::EthereumWallet;
use alloy_provider::{Provider, ProviderBuilder};
use alloy_signer_local::PrivateKeySigner;

/// A provider at `url` that signs with `signer` and fills gas, blob gas, chain id and nonce.
/// The nonce is asked of the node for every transaction: after an L1 reorg a cached one would
/// be ahead of the chain.
pub fn l1_provider(url: reqwest::Url, signer: PrivateKeySigner) -> impl Provider + Clone {
    ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_blob_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(signer))
        .connect_http(url)
}

/// Why a key could not be loaded (the key itself never appears in it).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("reading key file {0}: {1}")]
    File(std::path::PathBuf, std::io::Error),
    /// Neither a file nor the variable was given.
    #[error("no key file and no {0} in the environment")]
    Missing(&'static str),
    /// The text is not a secp256k1 private key.
    #[error("the key from {0} is not a private key")]
    Invalid(String),
}

/// A private key (hex) from `file`, or else from the environment variable `var`.
pub fn load_key(
    file: Option<&std::path::Path>,
    var: &'static str,
) -> Result<PrivateKeySigner, KeyError> {
    let (text, source) = match file {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|e| KeyError::File(path.to_path_buf(), e))?,
            path.display().to_string(),
        ),
        None => (
            std::env::var(var).map_err(|_| KeyError::Missing(var))?,
            var.to_string(),
        ),
    };
    text.trim().parse().map_err(|_| KeyError::Invalid(source))
}
