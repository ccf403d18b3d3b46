//! What a fixture gives the rollup: its L2 genesis, its game rules, and its batches as the blobs
//! posted to L1. Loading here adds to the format's checks the one only the rollup can make: that
//! each batch's blocks fit the batch codec.

use std::path::Path;

use alloy_eips::{eip4895::Withdrawal, eip7840::BlobParams};
use alloy_primitives::{Address, B256, U256};
use execute::{witness::AccountState, Activation, BlobSchedule, ChainConfig, Fork, ForkSchedule};
use fixture_format::{BlockSpec, DepositSpec, Fixture, FixtureError};
use l1_contracts::rollup::Rollup;
use l2_node::node::Genesis;
use rollup::{
    batch::{encode, BatchBlock},
    blob::{blob_from_payload, Blob},
    messages::{Message, MessageTree},
    rules::{batch_message_roots, deposit_credit, L2Config, L2_BRIDGE, MAX_DEPOSITS_PER_BLOCK},
};

/// A batch ready to post: its blob and declared block count.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Batch {
    /// The blob as posted: the payload in bytes 1..31 of each element, byte 0 as the fixture
    /// sets it.
    pub blob: Box<Blob>,
    /// Blocks declared to the inbox.
    pub block_count: u16,
    /// The deposits queued just before it is posted.
    pub queued: Vec<DepositSpec>,
    /// The deposits its blocks credit, by the inbox's rule (`Inbox.submit`: the queue's next,
    /// at most 16 for each block it declares), as the withdrawals that credit them.
    pub deposits: Vec<Withdrawal>,
    /// The message roots its blocks commit to (`Inbox.messageRootsOf`).
    pub message_roots: Vec<B256>,
}

/// Reads and checks a fixture file (see [`Fixture::load`]), and that its batches can be posted.
pub fn load(path: &Path) -> Result<Fixture, FixtureError> {
    let fixture = Fixture::load(path)?;
    l1_schedule(&fixture)?;
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

/// The L1's forks, as the L2 follows them and the replay's devnet runs them.
pub fn l1_schedule(fixture: &Fixture) -> Result<ForkSchedule, FixtureError> {
    let bad = |message: String| FixtureError::field("genesis.l1Forks", message);
    let activations = fixture
        .genesis
        .l1_forks
        .iter()
        .map(|f| {
            let (fork, blobs) = match f.fork.as_str() {
                "cancun" => (Fork::Cancun, ChainConfig::mainnet(Fork::Cancun).blobs),
                "prague" => (Fork::Prague, ChainConfig::mainnet(Fork::Prague).blobs),
                "osaka" => (Fork::Osaka, ChainConfig::mainnet(Fork::Osaka).blobs),
                "bpo1" => (Fork::Osaka, mainnet_blobs(BlobParams::bpo1())),
                "bpo2" => (Fork::Osaka, mainnet_blobs(BlobParams::bpo2())),
                other => return Err(bad(format!("unknown fork {other}"))),
            };
            Ok(Activation {
                timestamp: f.from,
                fork,
                blobs,
            })
        })
        .collect::<Result<Vec<_>, _>>()?;
    ForkSchedule::new(activations).map_err(|e| bad(e.to_string()))
}

fn mainnet_blobs(params: BlobParams) -> BlobSchedule {
    BlobSchedule::try_from(&params).expect("mainnet's update fraction fits 64 bits")
}

/// The L2's genesis.
pub fn l2_genesis(fixture: &Fixture) -> Result<Genesis, FixtureError> {
    let g = &fixture.genesis;
    let mut config = L2Config::new(g.chain_id, l1_schedule(fixture)?, g.fee_recipient);
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
    Ok(Genesis {
        config,
        accounts,
        timestamp: g.timestamp,
    })
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
    let mut queue: Vec<Withdrawal> = Vec::new();
    // Messages queued through each deposit, and the tree of them.
    let mut messages_through: Vec<usize> = Vec::new();
    let mut tree = MessageTree::default();
    let mut credited = 0;
    fixture
        .batches
        .iter()
        .enumerate()
        .map(|(i, b)| {
            let queued = b.deposits.clone().unwrap_or_default();
            for d in &queued {
                let field = || format!("batches[{i}].deposits");
                let to = match (&d.data, d.from) {
                    (None, None) if d.gwei == 0 => {
                        return Err(FixtureError::field(field(), "a deposit of no gwei"));
                    }
                    (None, None) => d.to,
                    (Some(data), Some(from)) => {
                        tree.push(
                            Message {
                                index: tree.len() as u64,
                                from,
                                to: d.to,
                                value: U256::from(d.gwei) * U256::from(1_000_000_000u64),
                                data: data.clone(),
                            }
                            .leaf(),
                        );
                        L2_BRIDGE
                    }
                    _ => {
                        return Err(FixtureError::field(
                            field(),
                            "a message needs both its data and its sender",
                        ));
                    }
                };
                queue.push(deposit_credit(queue.len() as u64, to, d.gwei));
                messages_through.push(tree.len());
            }
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
            let end = queue
                .len()
                .min(credited + MAX_DEPOSITS_PER_BLOCK * usize::from(block_count));
            let deposits = queue[credited..end].to_vec();
            let message_roots = batch_message_roots(credited as u64, end as u64, |k| {
                let before = match k {
                    0 => 0,
                    k => messages_through[k as usize - 1],
                };
                tree.root_at(before)
            });
            credited = end;
            Ok(Batch {
                blob,
                block_count,
                queued,
                deposits,
                message_roots,
            })
        })
        .collect()
}
