//! Deploying the rollup's L1 contracts (`Inbox`, `BlobData`, `Rollup`) from the committed
//! artifacts, as the demo, the tests and a new network need them.

use crate::{
    blob_data::BlobData,
    call::{send, ContractError},
    inbox::Inbox,
    rollup::Rollup,
};
use alloy_network::{ReceiptResponse, TransactionBuilder};
use alloy_primitives::{Address, Bytes, B256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::{SolConstructor, SolValue};

/// Why a deployment failed.
#[derive(Debug, thiserror::Error)]
pub enum DeployError {
    /// The transaction failed.
    #[error(transparent)]
    Send(#[from] ContractError),
    /// A deployment created nothing.
    #[error("deploying {0} created no contract")]
    Failed(&'static str),
}

/// Where the contracts are.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Deployment {
    /// The inbox.
    pub inbox: Address,
    /// The blob reader.
    pub blob_data: Address,
    /// The rollup (claims and games).
    pub rollup: Address,
    /// The L1 block of the inbox's deployment: derivation starts after it.
    pub inbox_block: u64,
}

/// Deploys `code` (init code with constructor arguments); returns the address and block.
pub async fn deploy_code(
    provider: &impl Provider,
    code: Vec<u8>,
    name: &'static str,
) -> Result<(Address, u64), DeployError> {
    let request = TransactionRequest::default().with_deploy_code(code);
    let receipt = send(provider, request, name).await?;
    let address = receipt
        .contract_address()
        .ok_or(DeployError::Failed(name))?;
    Ok((address, receipt.block_number().unwrap_or_default()))
}

/// Deploys the inbox (accepting batches from `sequencer`, or anyone if zero), the blob reader
/// and the rollup for the L2 whose chain configuration is `chain_config` (RLP, as EXECUTE reads
/// it) and genesis `genesis_hash`, under `config` (the L2's rules give its gas limit and fee
/// recipient).
pub async fn deploy_rollup(
    provider: &impl Provider,
    sequencer: Address,
    chain_config: Bytes,
    genesis_hash: B256,
    config: Rollup::Config,
) -> Result<Deployment, DeployError> {
    let (inbox, inbox_block) = deploy_code(
        provider,
        [Inbox::BYTECODE.to_vec(), sequencer.abi_encode()].concat(),
        "Inbox",
    )
    .await?;
    let (blob_data, _) = deploy_code(provider, BlobData::BYTECODE.to_vec(), "BlobData").await?;
    let constructor = Rollup::constructorCall {
        inbox_: inbox,
        blobData_: blob_data,
        config_: config,
        chainConfig_: chain_config,
        genesisHash: genesis_hash,
    };
    let (rollup, _) = deploy_code(
        provider,
        [Rollup::BYTECODE.to_vec(), constructor.abi_encode()].concat(),
        "Rollup",
    )
    .await?;
    Ok(Deployment {
        inbox,
        blob_data,
        rollup,
        inbox_block,
    })
}
