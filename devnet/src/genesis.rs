//! Chain set-up from a geth-style `genesis.json`: chain id, accounts, gas limit, timestamp and the
//! fork schedule (`cancunTime`, `pragueTime`, `osakaTime`, `bpoNTime` with `blobSchedule`).
//!
//! The devnet starts at Cancun or later; forks are activated by timestamp, so EXECUTE follows the
//! fork of the block it runs in. Header fields of the file other than those (extra data, mix hash,
//! base fee) are not taken: the genesis header is built by the same rules as every other.

use std::path::Path;

use alloy_eips::eip6110::MAINNET_DEPOSIT_CONTRACT_ADDRESS;
use alloy_genesis::Genesis;
use alloy_primitives::U256;
use execute::{
    forks::ForksError,
    witness::{system_contracts, AccountState},
    ChainParams, Fork, ForkSchedule,
};

use crate::{blobs::MAINNET_RETENTION_BLOCKS, NodeConfig};

/// Why a genesis file cannot start a devnet.
#[derive(Debug, thiserror::Error)]
pub enum GenesisError {
    /// The file could not be read.
    #[error("reading {path}: {source}")]
    Io {
        /// The file.
        path: String,
        /// What failed.
        source: std::io::Error,
    },
    /// The file is not a genesis JSON.
    #[error("parsing genesis JSON: {0}")]
    Json(#[from] serde_json::Error),
    /// The devnet cannot run this configuration.
    #[error("unsupported genesis: {0}")]
    Unsupported(String),
    /// The fork schedule is not one EXECUTE can apply.
    #[error("unsupported genesis: {0}")]
    Forks(#[from] ForksError),
    /// The dev accounts could not be derived.
    #[error(transparent)]
    Accounts(#[from] crate::accounts::DeriveError),
}

/// Reads and converts a genesis file.
pub fn from_file(path: &Path) -> Result<NodeConfig, GenesisError> {
    let text = std::fs::read_to_string(path).map_err(|source| GenesisError::Io {
        path: path.display().to_string(),
        source,
    })?;
    from_genesis(&serde_json::from_str(&text)?)
}

/// Converts a parsed genesis into the devnet's configuration.
pub fn from_genesis(genesis: &Genesis) -> Result<NodeConfig, GenesisError> {
    let schedule = ForkSchedule::from_genesis(genesis)?;
    let mut alloc: Vec<(alloy_primitives::Address, AccountState)> = genesis
        .alloc
        .iter()
        .map(|(address, account)| {
            let state = AccountState {
                nonce: account.nonce.unwrap_or(0),
                balance: account.balance,
                code: account.code.clone().unwrap_or_default(),
                storage: account
                    .storage
                    .iter()
                    .flatten()
                    .map(|(k, v)| (U256::from_be_bytes(k.0), U256::from_be_bytes(v.0)))
                    .collect(),
            };
            (*address, state)
        })
        .collect();
    // The system contracts of the last fork scheduled, unless the file deploys its own.
    let last_fork = schedule
        .activations()
        .last()
        .map_or(Fork::Cancun, |a| a.fork);
    for (address, contract) in system_contracts(last_fork) {
        if !genesis.alloc.contains_key(&address) {
            alloc.push((address, contract));
        }
    }
    if genesis.gas_limit == 0 {
        return Err(GenesisError::Unsupported("gasLimit is zero".into()));
    }
    let config = &genesis.config;
    Ok(NodeConfig {
        params: ChainParams {
            chain_id: config.chain_id,
            deposit_contract: config
                .deposit_contract_address
                .unwrap_or(MAINNET_DEPOSIT_CONTRACT_ADDRESS),
        },
        schedule,
        pricing: Default::default(),
        gas_limit: genesis.gas_limit,
        genesis_timestamp: genesis.timestamp,
        coinbase: genesis.coinbase,
        alloc,
        blob_retention: MAINNET_RETENTION_BLOCKS,
        block_time: None,
        max_log_range: crate::node::MAX_LOG_RANGE,
        // The dev keys sign only if the genesis funds them; they are public anyway.
        unlocked: crate::accounts::dev_accounts(crate::accounts::DEV_MNEMONIC, 10)?,
    })
}
