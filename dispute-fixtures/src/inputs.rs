//! What a fixture gives the rollup: its L2 genesis, its game rules, and its batches as the blobs
//! posted to L1. Loading here adds to the format's checks the one only the rollup can make: that
//! each batch's blocks fit the batch codec.

use std::path::Path;

use alloy_primitives::Address;
use execute::{witness::AccountState, Fork};
use fixture_format::{BlockSpec, Fixture, FixtureError};
use l1_contracts::rollup::Rollup;
use l2_node::node::Genesis;
use rollup::{
    batch::{encode, BatchBlock},
    blob::{blob_from_payload, Blob},
    rules::L2Config,
};

/// A batch ready to post: its blob and declared block count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The blob as posted: the payload in bytes 1..31 of each element, byte 0 as the fixture
    /// sets it.
    pub blob: Box<Blob>,
    /// Blocks declared to the inbox.
    pub block_count: u16,
}

/// Reads and checks a fixture file (see [`Fixture::load`]), and that its batches can be posted.
pub fn load(path: &Path) -> Result<Fixture, FixtureError> {
    let fixture = Fixture::load(path)?;
    batches(&fixture)?;
    Ok(fixture)
}

/// The blocks of a batch as the codec takes them.
pub fn to_batch_blocks(blocks: &[BlockSpec]) -> Vec<BatchBlock> {
    blocks
        .iter()
        .map(|b| BatchBlock {
            timestamp: b.timestamp,
            transactions: b.transactions.clone(),
        })
        .collect()
}

/// The L2's genesis.
pub fn l2_genesis(fixture: &Fixture) -> Genesis {
    let g = &fixture.genesis;
    let mut config = L2Config::fixed(g.chain_id, Fork::Osaka, g.fee_recipient);
    config.gas_limit = g.gas_limit;
    let accounts = g
        .alloc
        .iter()
        .map(|(address, a)| {
            let account = AccountState {
                nonce: a.nonce,
                balance: a.balance,
                code: a.code.clone(),
                storage: a.storage.iter().map(|(k, v)| (*k, *v)).collect(),
            };
            (*address, account)
        })
        .collect();
    Genesis {
        config,
        accounts,
        timestamp: g.timestamp,
    }
}

/// The rollup's configuration (gas limit and fee recipient are filled in at deployment).
pub fn rollup_config(fixture: &Fixture) -> Rollup::Config {
    let rules = &fixture.rules;
    Rollup::Config {
        challengeWindow: rules.challenge_window,
        clock: rules.clock,
        proposalBond: rules.proposal_bond,
        challengeBond: rules.challenge_bond,
        degree: rules.degree,
        gasLimit: 0,
        feeRecipient: Address::ZERO,
    }
}

/// The batches as posted; an error names the batch whose blocks or payload do not fit.
pub fn batches(fixture: &Fixture) -> Result<Vec<Batch>, FixtureError> {
    fixture
        .batches
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let (payload, block_count) = match (&b.blocks, &b.payload) {
                (Some(blocks), _) => {
                    let blocks = to_batch_blocks(blocks);
                    let payload = encode(&blocks).map_err(|e| {
                        FixtureError::field(format!("batches[{i}].blocks"), e.to_string())
                    })?;
                    (payload, blocks.len() as u16)
                }
                (None, payload) => (
                    payload.clone().unwrap_or_default().to_vec(),
                    b.block_count.unwrap_or(0),
                ),
            };
            let mut blob = blob_from_payload(&payload)
                .map_err(|e| FixtureError::field(format!("batches[{i}].payload"), e.to_string()))?;
            if let Some(first) = &b.first_bytes {
                for (element, &byte) in blob.chunks_mut(32).zip(first.iter()) {
                    element[0] = byte;
                }
            }
            Ok(Batch { blob, block_count })
        })
        .collect()
}
