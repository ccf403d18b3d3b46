//! EIP-7910's `eth_config`: the devnet's fork schedule as the L2 side and operators read it
//! (current, next and last fork; blob parameters, precompiles and system contracts of each).

use std::collections::BTreeMap;

use alloy_eips::{
    eip7840::BlobParams,
    eip7910::{EthConfig, EthForkConfig, SystemContract},
};
use alloy_hardforks::ForkHash;
use alloy_primitives::{Bytes, B256};
use execute::{Activation, ChainConfig, ChainParams, Fork, ForkSchedule, EXECUTE_ADDRESS};
use revm::precompile::{PrecompileSpecId, Precompiles};

/// `eth_config` of a chain with `genesis` hash and timestamp, forking by `schedule`, whose latest
/// block has `head_timestamp`.
pub fn eth_config(
    params: ChainParams,
    schedule: &ForkSchedule,
    genesis: (B256, u64),
    head_timestamp: u64,
) -> EthConfig {
    let activations = schedule.activations();
    let current = schedule.at(head_timestamp).unwrap_or(&activations[0]);
    let next = schedule.next_after(head_timestamp);
    let last = activations
        .last()
        .filter(|a| a.timestamp > current.timestamp);
    let fork = |a: &Activation| fork_config(params, schedule, genesis, a);
    EthConfig {
        current: fork(current),
        next: next.map(fork),
        last: last.map(fork),
    }
}

fn fork_config(
    params: ChainParams,
    schedule: &ForkSchedule,
    (genesis_hash, genesis_timestamp): (B256, u64),
    activation: &Activation,
) -> EthForkConfig {
    let chain = ChainConfig::new(params, activation);
    // EIP-6122: the genesis hash, then every activation after genesis up to this one.
    let fork_hash = schedule
        .activations()
        .iter()
        .filter(|a| a.timestamp > genesis_timestamp && a.timestamp <= activation.timestamp)
        .fold(ForkHash::from(genesis_hash), |hash, a| hash + a.timestamp);
    let precompiles = Precompiles::new(PrecompileSpecId::from_spec_id(activation.fork.spec_id()));
    let mut named: BTreeMap<String, _> = precompiles
        .addresses()
        .filter_map(|address| {
            let precompile = precompiles.get(address)?;
            Some((precompile.id().name().to_string(), *address))
        })
        .collect();
    named.insert("EXECUTE".into(), EXECUTE_ADDRESS);
    let mut system_contracts: BTreeMap<_, _> = SystemContract::cancun().into_iter().collect();
    if activation.fork >= Fork::Prague {
        system_contracts.extend(SystemContract::prague(Some(params.deposit_contract)));
    }
    EthForkConfig {
        activation_time: activation.timestamp,
        // Before Cancun a block carries no blobs.
        blob_schedule: chain.blob_params().unwrap_or(BlobParams {
            target_blob_count: 0,
            max_blob_count: 0,
            ..BlobParams::cancun()
        }),
        chain_id: params.chain_id,
        fork_id: Bytes::copy_from_slice(&fork_hash.0),
        precompiles: named,
        system_contracts,
    }
}
