//! A small rollup history with everything a dispute about it needs, as JSON: the L2 genesis, one
//! batch (its payload and the blob's opening), and for each block its header, the values of every
//! position and the inputs of every step. The contracts' game tests play from it, so the Solidity
//! and the Rust sides are checked against each other.

use alloy_consensus::TxEip1559;
use alloy_primitives::{keccak256, Address, Bytes, TxKind, B256, U256};
use alloy_sol_types::{SolCall, SolValue};
use execute::{witness::AccountState, ExecuteError, Fork};
use l1_contracts::bridge::L2Bridge;
use rollup::{
    batch::{encode, entry, BatchBlock, BatchError},
    blob::{blob_from_payload, open_call_data, BlobError},
    derive::{DerivedBlock, L2Chain},
    rules::{block_deposits, deposit_credit, L2Config, L2_BRIDGE},
    wallet::L2Wallet,
};
use serde_json::{json, Value};

use crate::step::{candidate_proofs, candidate_step, end_step, table_proof};

/// The scenario's L2 chain id.
pub const CHAIN_ID: u64 = 424_242;
/// Its fee recipient.
pub const FEE_RECIPIENT: Address = Address::repeat_byte(0xfe);
/// Its genesis time.
pub const GENESIS_TIME: u64 = 1_000;

fn user() -> L2Wallet {
    L2Wallet::from_seed(b"l2 user", CHAIN_ID)
}

fn transfer(nonce: u64, value: u64) -> Bytes {
    user().transfer(nonce, Address::repeat_byte(0xb0), U256::from(value))
}

/// Why the scenario could not be built.
#[derive(Debug, thiserror::Error)]
pub enum ScenarioError {
    /// The batch did not encode.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// A blob proof failed.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// A block did not derive.
    #[error(transparent)]
    Execute(#[from] ExecuteError),
}

/// Deposits queued before the scenario's batch: 18, so block 1 credits a full run of sixteen and
/// block 2 the last two. Amounts from 1 gwei to 1 ether, so the withdrawals trie has leaves both
/// embedded in their branch (shorter than a hash) and hashed; one goes to the user, the rest to
/// fresh accounts.
pub const DEPOSITS: u64 = 18;

fn deposit(index: u64) -> (Address, u64) {
    let to = if index == 5 {
        user().address()
    } else {
        Address::with_last_byte(0x40 + index as u8)
    };
    (to, 10u64.pow((index % 10) as u32))
}

/// Where the scenario's withdrawal goes on L1, and how much (wei).
pub const WITHDRAWAL_TO: Address = Address::repeat_byte(0xd0);
/// The withdrawal's value: one ether.
pub const WITHDRAWAL_VALUE: u128 = 10u128.pow(18);

/// The user's call `L2Bridge.withdraw(WITHDRAWAL_TO)` with `WITHDRAWAL_VALUE`.
fn withdraw(nonce: u64) -> Bytes {
    user().sign(TxEip1559 {
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(L2_BRIDGE),
        value: U256::from(WITHDRAWAL_VALUE),
        input: L2Bridge::withdrawCall { to: WITHDRAWAL_TO }
            .abi_encode()
            .into(),
        ..Default::default()
    })
}

/// The standard scenario: [`DEPOSITS`] deposits queued, then one batch submitted at
/// `l1_timestamp` with two blocks. Block 1's candidates are a transfer, one with a nonce gap, a
/// blob-type candidate, a second transfer and undecodable bytes (three skipped); block 2's are a
/// transfer and a withdrawal of one ether through the L2 bridge, whose proofs in block 2's state
/// the scenario gives (`withdrawal`).
pub fn standard(l1_timestamp: u64) -> Result<Value, ScenarioError> {
    let config = L2Config::fixed(CHAIN_ID, Fork::Osaka, FEE_RECIPIENT);
    let user_address = user().address();
    let mut chain = L2Chain::new(
        config.clone(),
        vec![(
            user_address,
            AccountState {
                balance: U256::from(10u128.pow(20)),
                ..Default::default()
            },
        )],
        GENESIS_TIME,
    )?;
    let genesis = chain.head().clone();
    let batch = vec![
        BatchBlock {
            timestamp: GENESIS_TIME + 10,
            transactions: vec![
                transfer(0, 1),
                transfer(7, 2),
                Bytes::from_static(&[3, 0xc0]),
                transfer(1, 3),
                Bytes::from_static(b"junk"),
            ],
        },
        BatchBlock {
            timestamp: GENESIS_TIME + 20,
            transactions: vec![transfer(2, 4), withdraw(3)],
        },
    ];
    let queued: Vec<(Address, u64)> = (0..DEPOSITS).map(deposit).collect();
    let credits: Vec<_> = queued
        .iter()
        .zip(0..)
        .map(|(&(to, gwei), index)| deposit_credit(index, to, gwei))
        .collect();
    let payload = encode(&batch)?;
    let blob = blob_from_payload(&payload)?;
    let declared = batch.len() as u16;
    let mut blocks = Vec::new();
    let mut parent = genesis.clone();
    for (index, block) in batch.iter().enumerate() {
        let derived = chain.derive_block(
            block.timestamp,
            l1_timestamp,
            block.transactions.clone(),
            block_deposits(&credits, index),
        )?;
        blocks.push(block_json(
            &blob,
            declared,
            index as u16,
            &payload,
            l1_timestamp,
            &parent,
            &derived,
        )?);
        parent = derived.header.clone();
    }
    // The withdrawal's storage slot: `withdrawals[0]`, the mapping at slot 0.
    let slot = keccak256((U256::ZERO, U256::ZERO).abi_encode());
    let proof = chain.state().proof(L2_BRIDGE, &[slot]);
    let (_, value, storage_proof) = proof.storage.first().expect("the slot asked for").clone();
    Ok(json!({
        "withdrawal": {
            "from": user_address,
            "to": WITHDRAWAL_TO,
            "value": U256::from(WITHDRAWAL_VALUE),
            "hash": B256::from(value),
            "accountProof": proof.account_proof,
            "storageProof": storage_proof,
        },
        "chainConfig": config.chain_rlp(),
        "feeRecipient": FEE_RECIPIENT,
        "gasLimit": config.gas_limit,
        "genesisHash": genesis.hash_slow(),
        "l1Timestamp": l1_timestamp,
        "blockCount": declared,
        "depositTo": queued.iter().map(|d| d.0).collect::<Vec<_>>(),
        "depositGwei": queued.iter().map(|d| d.1).collect::<Vec<_>>(),
        "payload": Bytes::from(payload),
        "open": Bytes::from(open_call_data(&blob)?),
        "blocks": blocks,
    }))
}

fn block_json(
    blob: &rollup::blob::Blob,
    declared: u16,
    index: u16,
    payload: &[u8],
    l1_timestamp: u64,
    parent: &alloy_consensus::Header,
    block: &DerivedBlock,
) -> Result<Value, ScenarioError> {
    let mut padded = payload.to_vec();
    padded.resize(rollup::blob::PAYLOAD_BYTES, 0);
    let table = entry(&padded, declared, index, l1_timestamp);
    let mut steps = Vec::new();
    for k in 0..block.candidates.len() {
        let (offsets, transaction) = candidate_proofs(blob, declared, table.first + k as u64)?;
        let step = candidate_step(block, k);
        steps.push(json!({
            "included": step.is_some(),
            "pre": Bytes::from(block.positions[k].abi()),
            "post": step.as_ref().map_or(B256::ZERO, |s| s.postStateRoot),
            "gas": step.as_ref().map_or(0, |s| s.gasUsed),
            "input": step.map_or_else(Bytes::new, |s| s.abi_encode().into()),
            "offsets": Bytes::from(offsets.abi_encode()),
            "transaction": transaction.map_or_else(Bytes::new, |t| t.abi_encode().into()),
        }));
    }
    let end = end_step(block);
    Ok(json!({
        "number": block.header.number,
        "hash": block.hash,
        "header": Bytes::from(alloy_rlp::encode(&block.header)),
        "parentHeader": Bytes::from(alloy_rlp::encode(parent)),
        "timestamp": block.header.timestamp,
        "candidates": block.candidates.len(),
        "positions": block.positions.iter().map(|p| p.value()).collect::<Vec<_>>(),
        "table": Bytes::from(table_proof(blob, index)?.abi_encode()),
        "steps": steps,
        "end": Bytes::from(end.abi_encode()),
    }))
}
