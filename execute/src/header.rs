//! Headers for new blocks: a genesis for a fork, and a parent's child with every context field
//! set as [`crate::validate::validate_header`] requires. Result fields are left for sealing.

use alloy_consensus::{Header, EMPTY_OMMER_ROOT_HASH};
use alloy_eips::{eip1559::BaseFeeParams, eip7685::EMPTY_REQUESTS_HASH};
use alloy_primitives::{keccak256, Address, B256};

use crate::chain::{ChainConfig, Fork};

/// Base fee of a genesis block (EIP-1559's initial base fee).
pub const GENESIS_BASE_FEE: u64 = 1_000_000_000;

/// A genesis header for `state_root` with the fields `chain`'s fork requires.
pub fn genesis_header(
    chain: &ChainConfig,
    state_root: B256,
    gas_limit: u64,
    timestamp: u64,
) -> Header {
    let fork = chain.fork;
    Header {
        state_root,
        gas_limit,
        timestamp,
        base_fee_per_gas: (fork >= Fork::London).then_some(GENESIS_BASE_FEE),
        ommers_hash: EMPTY_OMMER_ROOT_HASH,
        withdrawals_root: (fork >= Fork::Shanghai).then_some(alloy_trie::EMPTY_ROOT_HASH),
        blob_gas_used: (fork >= Fork::Cancun).then_some(0),
        excess_blob_gas: (fork >= Fork::Cancun).then_some(0),
        parent_beacon_block_root: (fork >= Fork::Cancun).then_some(B256::ZERO),
        requests_hash: (fork >= Fork::Prague).then_some(EMPTY_REQUESTS_HASH),
        ..Default::default()
    }
}

/// The template of `parent`'s child at `timestamp`: number, parent hash, gas limit, base fee and
/// excess blob gas follow from the parent; prevrandao and the beacon root are derived from it
/// (a dev chain has no beacon chain).
pub fn child_header(
    parent: &Header,
    chain: &ChainConfig,
    timestamp: u64,
    beneficiary: Address,
) -> Header {
    let params = chain.blob_params();
    Header {
        parent_hash: parent.hash_slow(),
        number: parent.number + 1,
        timestamp,
        beneficiary,
        mix_hash: keccak256(parent.number.to_be_bytes()),
        base_fee_per_gas: parent.base_fee_per_gas.map(|fee| {
            BaseFeeParams::ethereum().next_block_base_fee(parent.gas_used, parent.gas_limit, fee)
        }),
        excess_blob_gas: params.map(|p| {
            p.next_block_excess_blob_gas_osaka(
                parent.excess_blob_gas.unwrap_or(0),
                parent.blob_gas_used.unwrap_or(0),
                parent.base_fee_per_gas.unwrap_or(0),
            )
        }),
        parent_beacon_block_root: params.map(|_| keccak256(parent.number.to_le_bytes())),
        ..genesis_header(chain, B256::ZERO, parent.gas_limit, timestamp)
    }
}
