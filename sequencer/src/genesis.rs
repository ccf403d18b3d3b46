//! The development genesis: the load generator's senders (with its storage contract and token)
//! and any accounts to fund, so that every party can build the same chain from flags alone.

use std::path::PathBuf;

use alloy_primitives::{Address, U256};
use alloy_provider::Provider;
use execute::{
    forks::ForksError,
    witness::{system_contracts, AccountState},
    workload::Workload,
    ExecuteError, Fork, ForkSchedule,
};
use l2_node::{
    l1::{fork_schedule, L1Error},
    node::Genesis,
};
use rollup::rules::L2Config;

/// Balance of each funded account: 1,000 ether.
pub const FUNDED_BALANCE: u128 = 1_000 * 10u128.pow(18);

/// The L2 with `chain_id` on the L1 forks of `schedule`: the load generator's `senders` and
/// `funded` accounts, fees to `fee_recipient`, timestamp zero. An error if the schedule does not
/// cover time zero.
pub fn dev_genesis(
    chain_id: u64,
    schedule: ForkSchedule,
    senders: usize,
    funded: &[Address],
    fee_recipient: Address,
) -> Result<Genesis, ExecuteError> {
    let config = L2Config::new(chain_id, schedule, fee_recipient);
    let system: Vec<Address> = system_contracts(Fork::LATEST)
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    // The rollup adds its own system contracts (with `STOP` at the request contracts).
    let mut accounts: Vec<_> = load_generator(&config, senders)?
        .genesis()
        .into_iter()
        .filter(|(a, _)| !system.contains(a))
        .collect();
    accounts.extend(funded.iter().map(|a| {
        let account = AccountState {
            balance: U256::from(FUNDED_BALANCE),
            ..Default::default()
        };
        (*a, account)
    }));
    Ok(Genesis {
        config,
        accounts,
        timestamp: 0,
    })
}

/// The load generator of the chain: `senders` keys signing transfers, token transfers,
/// deploys and storage-heavy calls for `config`'s chain, with the transaction types of its
/// fork at genesis (valid in every later one).
pub fn load_generator(config: &L2Config, senders: usize) -> Result<Workload, ExecuteError> {
    let chain = config.chain_at(0)?;
    Ok(Workload::new(chain, senders, config.chain_id()))
}

/// The development genesis as command-line flags, shared by every binary that builds the chain
/// (the sequencer, the watchtower), so that all of them build the same one.
#[derive(Debug, Clone, clap::Args)]
pub struct GenesisArgs {
    /// The L2 chain id.
    #[arg(long, default_value_t = 901)]
    pub chain_id: u64,
    /// Load generator senders funded at genesis.
    #[arg(long, default_value_t = 64)]
    pub senders: usize,
    /// Accounts funded with 1,000 ether at genesis.
    #[arg(long = "fund", value_delimiter = ',')]
    pub funded: Vec<Address>,
    /// Fee recipient of every L2 block.
    #[arg(long, default_value_t = Address::repeat_byte(0xfe))]
    pub fee_recipient: Address,
    /// The L1's genesis file (the devnet's `--genesis`), to take its fork schedule from instead
    /// of the L1 node's `eth_config`, which reaches back only to the current fork.
    #[arg(long, env = "L1_GENESIS")]
    pub l1_genesis: Option<PathBuf>,
}

/// Why the L1's fork schedule could not be had.
#[derive(Debug, thiserror::Error)]
pub enum L1ForksError {
    /// The genesis file could not be read.
    #[error("reading the L1 genesis {path}: {source}")]
    Read {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// The genesis file is not genesis JSON.
    #[error("parsing the L1 genesis {path}: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// Why.
        source: serde_json::Error,
    },
    /// The genesis file's forks are not a schedule EXECUTE applies.
    #[error("the L1 genesis {path}: {source}")]
    Forks {
        /// The file.
        path: PathBuf,
        /// Why.
        source: ForksError,
    },
    /// The L1 node did not tell.
    #[error(transparent)]
    Node(#[from] L1Error),
    /// The L2 genesis cannot be built on these forks.
    #[error("the L2 genesis: {0}")]
    Genesis(#[from] ExecuteError),
}

impl GenesisArgs {
    /// The L1's forks: from `--l1-genesis` if given, else from the node behind `provider`.
    pub async fn l1_schedule<P: Provider>(
        &self,
        provider: &P,
    ) -> Result<ForkSchedule, L1ForksError> {
        let Some(path) = &self.l1_genesis else {
            return Ok(fork_schedule(provider).await?);
        };
        let text = std::fs::read_to_string(path).map_err(|source| L1ForksError::Read {
            path: path.clone(),
            source,
        })?;
        let genesis = serde_json::from_str(&text).map_err(|source| L1ForksError::Parse {
            path: path.clone(),
            source,
        })?;
        ForkSchedule::from_genesis(&genesis).map_err(|source| L1ForksError::Forks {
            path: path.clone(),
            source,
        })
    }

    /// The genesis these flags name, on the L1's forks (see [`Self::l1_schedule`]).
    pub async fn genesis_on_l1<P: Provider>(&self, provider: &P) -> Result<Genesis, L1ForksError> {
        let schedule = self.l1_schedule(provider).await?;
        Ok(self.genesis(schedule)?)
    }

    /// The genesis these flags name, on the L1 forks of `schedule`.
    pub fn genesis(&self, schedule: ForkSchedule) -> Result<Genesis, ExecuteError> {
        dev_genesis(
            self.chain_id,
            schedule,
            self.senders,
            &self.funded,
            self.fee_recipient,
        )
    }
}
