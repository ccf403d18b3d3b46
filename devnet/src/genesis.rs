//! Chain set-up from a geth-style `genesis.json`: chain id, accounts, gas limit, timestamp and the
//! fork schedule (`cancunTime`, `pragueTime`, `osakaTime`, `bpoNTime` with `blobSchedule`).
//!
//! The devnet starts at Cancun or later; forks are activated by timestamp, so EXECUTE follows the
//! fork of the block it runs in. Header fields of the file other than those (extra data, mix hash,
//! base fee) are not taken: the genesis header is built by the same rules as every other.

use std::path::Path;

use alloy_eips::eip6110::MAINNET_DEPOSIT_CONTRACT_ADDRESS;
use alloy_eips::eip7840::BlobParams;
use alloy_genesis::Genesis;
use alloy_primitives::U256;
use execute::{
    witness::{system_contracts, AccountState},
    Activation, BlobSchedule, ChainConfig, ChainParams, Fork, ForkSchedule,
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
    let schedule = fork_schedule(genesis)?;
    let first = schedule[0];
    if first.timestamp > genesis.timestamp {
        return Err(GenesisError::Unsupported(
            "Cancun must be active at genesis (cancunTime at or before the genesis timestamp)"
                .into(),
        ));
    }
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
    let last_fork = schedule.last().map_or(first.fork, |a| a.fork);
    for (address, contract) in system_contracts(last_fork) {
        if !genesis.alloc.contains_key(&address) {
            alloc.push((address, contract));
        }
    }
    if genesis.gas_limit == 0 {
        return Err(GenesisError::Unsupported("gasLimit is zero".into()));
    }
    // The devnet has no history before genesis: its first fork covers all earlier time.
    let mut activations = schedule;
    activations[0].timestamp = 0;
    let schedule = ForkSchedule::new(activations)
        .map_err(|e| GenesisError::Unsupported(format!("fork schedule: {e}")))?;
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
    })
}

/// The forks of the file in activation order, each with its blob parameters, starting with the
/// latest one active at genesis. Forks set to activate at the same time collapse to the last.
fn fork_schedule(genesis: &Genesis) -> Result<Vec<Activation>, GenesisError> {
    let config = &genesis.config;
    let named = [
        ("cancun", Fork::Cancun, config.cancun_time),
        ("prague", Fork::Prague, config.prague_time),
        ("osaka", Fork::Osaka, config.osaka_time),
        ("bpo1", Fork::Osaka, config.bpo1_time),
        ("bpo2", Fork::Osaka, config.bpo2_time),
        ("bpo3", Fork::Osaka, config.bpo3_time),
        ("bpo4", Fork::Osaka, config.bpo4_time),
        ("bpo5", Fork::Osaka, config.bpo5_time),
    ];
    if config.amsterdam_time.is_some() || config.bogota_time.is_some() {
        return Err(GenesisError::Unsupported(
            "forks after Osaka are not supported".into(),
        ));
    }
    let mut schedule: Vec<Activation> = Vec::new();
    for (name, fork, time) in named {
        let Some(time) = time else { continue };
        let blobs = match config.blob_schedule.get(name) {
            Some(params) => blob_schedule(name, params)?,
            None if name.starts_with("bpo") => {
                return Err(GenesisError::Unsupported(format!(
                    "{name}Time is set but blobSchedule has no \"{name}\" entry"
                )))
            }
            None => ChainConfig::mainnet(fork).blobs,
        };
        if let Some(last) = schedule.last() {
            if time < last.timestamp {
                return Err(GenesisError::Unsupported(format!(
                    "{name}Time {time} is before the previous fork's activation {}",
                    last.timestamp
                )));
            }
        }
        schedule.push(Activation {
            timestamp: time,
            fork,
            blobs,
        });
    }
    if schedule.is_empty() {
        return Err(GenesisError::Unsupported(
            "no cancunTime: the devnet starts at Cancun or later".into(),
        ));
    }
    // What is active at genesis is where the chain starts; later activations follow in order.
    let at_genesis = schedule
        .iter()
        .rposition(|u| u.timestamp <= genesis.timestamp)
        .unwrap_or(0);
    let mut out = schedule.split_off(at_genesis);
    out.dedup_by(|later, earlier| {
        let same_time = later.timestamp == earlier.timestamp;
        if same_time {
            *earlier = *later;
        }
        same_time
    });
    Ok(out)
}

fn blob_schedule(name: &str, params: &BlobParams) -> Result<BlobSchedule, GenesisError> {
    let schedule = BlobSchedule {
        target: params.target_blob_count,
        max: params.max_blob_count,
        update_fraction: u64::try_from(params.update_fraction).map_err(|_| {
            GenesisError::Unsupported(format!(
                "blobSchedule.{name}.baseFeeUpdateFraction too large"
            ))
        })?,
    };
    let probe = ChainConfig {
        blobs: schedule,
        ..ChainConfig::mainnet(Fork::Osaka)
    };
    probe
        .validate()
        .map_err(|e| GenesisError::Unsupported(format!("blobSchedule.{name}: {e}")))?;
    Ok(schedule)
}
