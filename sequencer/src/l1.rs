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
