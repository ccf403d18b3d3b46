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
    messages::{empty_message_root, Message, MessageTree},
    rules::{
        batch_message_roots, block_inputs, block_timestamp, deposit_credit, withdrawal_slot,
        L2Config, L2_BRIDGE,
    },
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
/// embedded in their branch (shorter than a hash) and hashed; one goes to the user, one
/// ([`MESSAGE_DEPOSIT`]) is a message, the rest go to fresh accounts.
pub const DEPOSITS: u64 = 18;
/// The deposit that is a message (`Inbox.depositCall`): its value goes to the L2 bridge, and
/// block 2 relays its call against block 2's message root.
pub const MESSAGE_DEPOSIT: u64 = 3;
/// Who sends the message on L1.
pub const MESSAGE_FROM: Address = Address::repeat_byte(0x5e);
/// What the message calls on the L2 (an account without code: the call moves its value).
pub const MESSAGE_TO: Address = Address::repeat_byte(0x77);

/// The scenario's message: [`MESSAGE_DEPOSIT`]'s value to [`MESSAGE_TO`], with a little data.
fn message() -> Message {
    Message {
        index: 0,
        from: MESSAGE_FROM,
        to: MESSAGE_TO,
        value: U256::from(deposit(MESSAGE_DEPOSIT).1) * U256::from(10u64.pow(9)),
        data: Bytes::from_static(&[0x12, 0x34]),
    }
}

/// The user's call `L2Bridge.relayMessage` of the scenario's message against the root of the
/// block at `timestamp`.
fn relay(nonce: u64, tree: &MessageTree, timestamp: u64) -> Bytes {
    let proof = tree
        .proof(0, tree.len())
        .expect("the message is in the tree");
    user().sign(TxEip1559 {
        nonce,
        gas_limit: 200_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(L2_BRIDGE),
        input: message().relay_call(timestamp, proof).abi_encode().into(),
        ..Default::default()
    })
}

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

/// Where the scenario's withdrawal carrying a call goes on L1: `take(uint256)` of whatever the
/// test puts there.
pub const WITHDRAWAL_CALL_TO: Address = Address::repeat_byte(0xd1);
/// That withdrawal's value: half an ether.
pub const WITHDRAWAL_CALL_VALUE: u128 = 10u128.pow(18) / 2;

/// The data of the withdrawal's call: `take(7)`.
fn withdrawal_call_data() -> Bytes {
    let selector = &keccak256("take(uint256)")[..4];
    [selector, &U256::from(7).to_be_bytes::<32>()]
        .concat()
        .into()
}

/// The user's call `L2Bridge.withdrawCall(WITHDRAWAL_CALL_TO, take(7))` with
/// `WITHDRAWAL_CALL_VALUE`.
fn withdraw_call(nonce: u64) -> Bytes {
    user().sign(TxEip1559 {
        nonce,
        gas_limit: 150_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(L2_BRIDGE),
        value: U256::from(WITHDRAWAL_CALL_VALUE),
        input: L2Bridge::withdrawCallCall {
            to: WITHDRAWAL_CALL_TO,
            data: withdrawal_call_data(),
        }
        .abi_encode()
        .into(),
        ..Default::default()
    })
}

/// The standard scenario: [`DEPOSITS`] deposits queued, then one batch submitted at
/// `l1_timestamp` with two blocks. Block 1's candidates are a transfer, one with a nonce gap, a
/// blob-type candidate, a second transfer and undecodable bytes (three skipped); block 2's are a
/// transfer, a withdrawal of one ether through the L2 bridge, whose proofs in block 2's state
/// the scenario gives (`withdrawal`), the relay of the message block 1 credited, and a
/// withdrawal carrying a call (`withdrawalCall`).
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
    let queued: Vec<(Address, u64)> = (0..DEPOSITS).map(deposit).collect();
    let credits: Vec<_> = queued
        .iter()
        .zip(0..)
        .map(|(&(to, gwei), index)| {
            let to = if index == MESSAGE_DEPOSIT {
                L2_BRIDGE
            } else {
                to
            };
            deposit_credit(index, to, gwei)
        })
        .collect();
    let tree = MessageTree::new(vec![message().leaf()]);
    let roots = batch_message_roots(0, DEPOSITS, |i| {
        if i > MESSAGE_DEPOSIT {
            tree.root()
        } else {
            empty_message_root()
        }
    });
    let first_time = block_timestamp(GENESIS_TIME, GENESIS_TIME + 10, l1_timestamp);
    let second_time = block_timestamp(first_time, GENESIS_TIME + 20, l1_timestamp);
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
            transactions: vec![
                transfer(2, 4),
                withdraw(3),
                relay(4, &tree, second_time),
                withdraw_call(5),
            ],
        },
    ];
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
            block_inputs(&credits, &roots, index),
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
    // The withdrawals' storage slots: `withdrawals[nonce]`.
    let proof_of = |nonce: u64| {
        let slot = withdrawal_slot(U256::from(nonce));
        let proof = chain.state().proof(L2_BRIDGE, &[slot]);
        let (_, value, storage) = proof.storage.first().expect("the slot asked for").clone();
        (B256::from(value), proof.account_proof, storage)
    };
    let (value, account_proof, storage_proof) = proof_of(0);
    let (call_hash, call_account_proof, call_storage_proof) = proof_of(1);
    Ok(json!({
        "withdrawal": {
            "from": user_address,
            "to": WITHDRAWAL_TO,
            "value": U256::from(WITHDRAWAL_VALUE),
            "hash": value,
            "accountProof": account_proof,
            "storageProof": storage_proof,
        },
        "withdrawalCall": {
            "from": user_address,
            "to": WITHDRAWAL_CALL_TO,
            "value": U256::from(WITHDRAWAL_CALL_VALUE),
            "data": withdrawal_call_data(),
            "hash": call_hash,
            "accountProof": call_account_proof,
            "storageProof": call_storage_proof,
        },
        "chainConfig": config.chain_rlp(),
        "feeRecipient": FEE_RECIPIENT,
        "gasLimit": config.gas_limit,
        "genesisHash": genesis.hash_slow(),
        "l1Timestamp": l1_timestamp,
        "blockCount": declared,
        "depositTo": queued.iter().map(|d| d.0).collect::<Vec<_>>(),
        "depositGwei": queued.iter().map(|d| d.1).collect::<Vec<_>>(),
        "message": {
            "deposit": MESSAGE_DEPOSIT,
            "from": MESSAGE_FROM,
            "to": MESSAGE_TO,
            "data": message().data,
            "root": tree.root(),
            "relayedBalance": chain
                .state()
                .account(MESSAGE_TO)
                .map_or(U256::ZERO, |a| a.balance),
        },
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn block_two_relays_the_message_block_one_credited() {
        let json = standard(1_000_000).expect("the scenario builds");
        let relayed: U256 =
            serde_json::from_value(json["message"]["relayedBalance"].clone()).expect("a balance");
        assert_eq!(relayed, message().value);
        let root: B256 = serde_json::from_value(json["message"]["root"].clone()).expect("a root");
        assert_ne!(root, empty_message_root());
        let call: B256 = serde_json::from_value(json["withdrawalCall"]["hash"].clone()).unwrap();
        assert_ne!(call, B256::ZERO, "the withdrawal with a call is recorded");
    }
}
