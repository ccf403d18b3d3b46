//! The development genesis: the load generator's senders (with its storage contract and token)
//! and any accounts to fund, so that every party can build the same chain from flags alone.

use alloy_primitives::{Address, U256};
use execute::{
    witness::{system_contracts, AccountState},
    workload::Workload,
    ExecuteError, Fork, ForkSchedule,
};
use l2_node::node::Genesis;
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
    let latest = *Fork::ALL.last().expect("EXECUTE supports a fork");
    let system: Vec<Address> = system_contracts(latest)
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
}

impl GenesisArgs {
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
