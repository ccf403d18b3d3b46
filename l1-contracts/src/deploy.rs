//! Deploying the rollup's L1 contracts (`Inbox`, `BlobData`, `Rollup`, `Bridge`) from the
//! committed artifacts, as the demo, the tests and a new network need them.

use crate::{
    blob_data::BlobData,
    bridge::Bridge,
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
    /// The deployer's nonce could not be read.
    #[error("reading the deployer's nonce: {0}")]
    Nonce(#[source] alloy_transport::TransportError),
    /// A contract landed elsewhere than the inbox was told (another transaction of the
    /// deployer's went in between).
    #[error("the bridge landed at {got}, not at {expected} where the inbox expects it")]
    Misplaced {
        /// Where the inbox expects it.
        expected: Address,
        /// Where it is.
        got: Address,
    },
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
    /// The bridge (withdrawals from the L2).
    pub bridge: Address,
    /// The L1 block of the inbox's deployment: derivation starts after it.
    pub inbox_block: u64,
}

/// Who may post batches to the inbox (`Inbox`'s constructor).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Sequencing {
    /// The sequencer, or zero for a based inbox that takes batches from anyone.
    pub sequencer: Address,
    /// Seconds without a batch from the sequencer after which anyone may post
    /// (`Inbox.sequencerTimeout`).
    pub timeout: u64,
}

impl Sequencing {
    /// A based inbox: anyone posts, always.
    pub const BASED: Self = Self {
        sequencer: Address::ZERO,
        timeout: 0,
    };
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

/// Deploys, from `deployer` (the provider's signer), the inbox (accepting batches as
/// `sequencing` says), the blob reader, the rollup for the L2 whose chain
/// configuration is `chain_config` (RLP, as EXECUTE reads it) and genesis `genesis_hash`, under
/// `config` (the L2's rules give its gas limit and fee recipient), and the bridge. The inbox is
/// told the bridge's address before it exists: the fourth contract `deployer` creates from its
/// current nonce, which no other transaction of its may precede.
pub async fn deploy_rollup(
    provider: &impl Provider,
    deployer: Address,
    sequencing: Sequencing,
    chain_config: Bytes,
    genesis_hash: B256,
    config: Rollup::Config,
) -> Result<Deployment, DeployError> {
    let nonce = provider
        .get_transaction_count(deployer)
        .pending()
        .await
        .map_err(DeployError::Nonce)?;
    let expected = deployer.create(nonce + 3);
    let (inbox, inbox_block) = deploy_code(
        provider,
        [
            Inbox::BYTECODE.to_vec(),
            (sequencing.sequencer, sequencing.timeout, expected).abi_encode_params(),
        ]
        .concat(),
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
    let (bridge, _) = deploy_code(
        provider,
        [
            Bridge::BYTECODE.to_vec(),
            (inbox, rollup).abi_encode_params(),
        ]
        .concat(),
        "Bridge",
    )
    .await?;
    if bridge != expected {
        return Err(DeployError::Misplaced {
            expected,
            got: bridge,
        });
    }
    Ok(Deployment {
        inbox,
        blob_data,
        rollup,
        bridge,
        inbox_block,
    })
}
