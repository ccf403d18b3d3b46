//! The development genesis: the load generator's senders (with its storage contract and token)
//! and any accounts to fund, so that every party can build the same chain from flags alone.

use alloy_primitives::{Address, U256};
use execute::{
    witness::{system_contracts, AccountState},
    workload::Workload,
    Fork,
};
use rollup::{node::Genesis, rules::L2Config};

/// Balance of each funded account: 1,000 ether.
pub const FUNDED_BALANCE: u128 = 1_000 * 10u128.pow(18);

/// The L2 with `chain_id`: the load generator's `senders` and `funded` accounts, fees to
/// `fee_recipient`, timestamp zero.
pub fn dev_genesis(
    chain_id: u64,
    fork: Fork,
    senders: usize,
    funded: &[Address],
    fee_recipient: Address,
) -> Genesis {
    let config = L2Config::new(chain_id, fork, fee_recipient);
    let system: Vec<Address> = system_contracts(fork).into_iter().map(|(a, _)| a).collect();
    // The rollup adds its own system contracts (with `STOP` at the request contracts).
    let mut accounts: Vec<_> = load_generator(&config, senders)
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
    Genesis {
        config,
        accounts,
        timestamp: 0,
    }
}

/// The load generator of the chain: `senders` keys signing transfers, token transfers,
/// deploys and storage-heavy calls for `config`'s chain.
pub fn load_generator(config: &L2Config, senders: usize) -> Workload {
    Workload::new(config.chain, senders, config.chain.chain_id)
}
