//! The dev chain as a wallet and a contract see it: transfers, admission errors, and EXECUTE
//! called from a contract in a mined block.

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{address, Address, Bytes, TxKind, U256};
use alloy_signer::SignerSync;
use alloy_signer_local::PrivateKeySigner;
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    Node, NodeConfig, TxError,
};
use execute::{
    precompile::ExecuteInput, reference::sample_step, witness::AccountState, ChainConfig, Fork,
};

const CHAIN_ID: u64 = 31337;
/// Calls EXECUTE with its calldata; stores the returned word in slot 0 and the call's success
/// flag in slot 1.
const EXECUTE_CALLER: [u8; 23] = [
    0x36, 0x5f, 0x5f, 0x37, // CALLDATACOPY(0, 0, CALLDATASIZE)
    0x60, 0x20, 0x5f, 0x36, 0x5f, 0x5f, 0x61, 0x01, 0x01, 0x5a,
    0xf1, // CALL(GAS, 0x101, 0, 0, size, 0, 32)
    0x60, 0x01, 0x55, // SSTORE(1, success)
    0x5f, 0x51, 0x5f, 0x55, // SSTORE(0, MLOAD(0))
    0x00,
];
const CALLER_ADDRESS: Address = address!("0x00000000000000000000000000000000000ca11e");

fn node() -> (Node, Vec<PrivateKeySigner>) {
    let mut config = NodeConfig::dev(CHAIN_ID, Fork::Osaka).unwrap();
    config.alloc.push((
        CALLER_ADDRESS,
        AccountState {
            nonce: 1,
            code: Bytes::from_static(&EXECUTE_CALLER),
            ..Default::default()
        },
    ));
    (Node::new(config), dev_accounts(DEV_MNEMONIC, 3).unwrap())
}

fn sign(signer: &PrivateKeySigner, tx: TxEip1559) -> Vec<u8> {
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    TxEnvelope::from(tx.into_signed(signature)).encoded_2718()
}

fn transfer(node: &Node, from: &PrivateKeySigner, to: Address, value: u64) -> TxEip1559 {
    TxEip1559 {
        chain_id: CHAIN_ID,
        nonce: node.nonce(from.address()),
        gas_limit: 21_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(to),
        value: U256::from(value),
        ..Default::default()
    }
}

#[test]
fn a_transfer_is_mined_with_a_receipt() {
    let (mut node, keys) = node();
    let (alice, bob) = (&keys[0], keys[1].address());
    let before = node.balance(bob);
    let hash = node
        .send_raw_transaction(&sign(alice, transfer(&node, alice, bob, 1234)))
        .unwrap();
    assert_eq!(node.latest().header.number, 1);
    assert_eq!(node.balance(bob), before + U256::from(1234));
    assert_eq!(node.nonce(alice.address()), 1);
    let (block, index) = node.transaction(hash).unwrap();
    assert!(block.receipts[index].status());
    assert_eq!(block.header.gas_used, 21_000);
    assert_eq!(block.senders[index], alice.address());
}

#[test]
fn bad_transactions_get_clear_errors_and_change_nothing() {
    let (mut node, keys) = node();
    let alice = &keys[0];
    let to = keys[1].address();
    let head = node.latest().hash;

    let mut tx = transfer(&node, alice, to, 1);
    tx.chain_id = 1;
    assert!(matches!(
        node.send_raw_transaction(&sign(alice, tx)),
        Err(TxError::ChainId {
            expected: CHAIN_ID,
            got: 1
        })
    ));

    let mut tx = transfer(&node, alice, to, 1);
    tx.nonce = 5;
    assert!(matches!(
        node.send_raw_transaction(&sign(alice, tx)),
        Err(TxError::NonceTooHigh {
            expected: 0,
            got: 5
        })
    ));

    let mut tx = transfer(&node, alice, to, 1);
    tx.max_fee_per_gas = 1;
    assert!(matches!(
        node.send_raw_transaction(&sign(alice, tx)),
        Err(TxError::Underpriced { .. })
    ));

    let broke = PrivateKeySigner::random();
    let tx = transfer(&node, &broke, to, 1);
    assert!(matches!(
        node.send_raw_transaction(&sign(&broke, tx)),
        Err(TxError::InsufficientFunds { .. })
    ));

    let mut raw = sign(alice, transfer(&node, alice, to, 1));
    let last = raw.len() - 1;
    raw[last] ^= 0xff;
    assert!(node.send_raw_transaction(&raw).is_err());
    assert!(matches!(
        node.send_raw_transaction(&[0x02, 0xc0]),
        Err(TxError::Decode(_))
    ));

    assert_eq!(node.latest().hash, head, "nothing was mined");
    let ok = sign(alice, transfer(&node, alice, to, 1));
    node.send_raw_transaction(&ok).unwrap();
    assert!(matches!(
        node.send_raw_transaction(&ok),
        Err(TxError::NonceTooLow {
            expected: 1,
            got: 0
        })
    ));
}

#[test]
fn a_contract_calls_execute_and_the_block_accounts_for_it() {
    let (mut node, keys) = node();
    let alice = &keys[0];
    let call = |node: &mut Node, input: &ExecuteInput| {
        let tx = TxEip1559 {
            chain_id: CHAIN_ID,
            nonce: node.nonce(alice.address()),
            gas_limit: 16_000_000,
            max_fee_per_gas: 10_000_000_000,
            max_priority_fee_per_gas: 1,
            to: TxKind::Call(CALLER_ADDRESS),
            input: input.abi_encode().into(),
            ..Default::default()
        };
        node.send_raw_transaction(&sign(alice, tx)).unwrap();
        let block = node.latest().clone();
        (
            node.storage(CALLER_ADDRESS, U256::ZERO),
            node.storage(CALLER_ADDRESS, U256::from(1)),
            block,
        )
    };

    let step = sample_step(
        ChainConfig {
            chain_id: 901,
            ..ChainConfig::mainnet(Fork::Osaka)
        },
        3,
        300_000,
    );
    let (answer, success, block) = call(&mut node, &step);
    assert_eq!(
        (answer, success),
        (U256::from(1), U256::from(1)),
        "EXECUTE returned true"
    );
    assert_eq!(block.execute_gas, step.gas_used);
    assert_eq!(block.execute_price, 1);
    let cost = node
        .execute_market()
        .call_cost(step.abi_encode().len(), step.gas_used)
        .unwrap();
    assert!(
        block.header.gas_used > cost,
        "the block paid EXECUTE's charge"
    );

    let mut wrong = step.clone();
    wrong.post_state_root = wrong.pre_state_root;
    let (answer, success, block) = call(&mut node, &wrong);
    assert_eq!(
        (answer, success),
        (U256::ZERO, U256::from(1)),
        "EXECUTE returned false"
    );
    assert_eq!(
        block.execute_gas, step.gas_used,
        "a false answer is charged in full"
    );
}

#[test]
fn calls_and_estimates_see_the_latest_state_and_change_nothing() {
    use devnet::{CallError, CallRequest};
    let (node, keys) = node();
    let alice = keys[0].address();
    let transfer = CallRequest {
        from: Some(alice),
        to: Some(keys[1].address()),
        value: U256::from(5),
        ..Default::default()
    };
    assert_eq!(node.estimate_gas(&transfer).unwrap(), 21_000);
    // Gas is free in a call, value is not.
    let too_much = CallRequest {
        value: node.balance(alice) + U256::from(1),
        ..transfer.clone()
    };
    for refused in [
        node.call(&too_much).map(|_| ()),
        node.estimate_gas(&too_much).map(|_| ()),
    ] {
        let Err(CallError::Invalid(why)) = refused else {
            panic!("{refused:?}");
        };
        assert!(
            why.starts_with("insufficient funds for gas * price + value"),
            "{why}"
        );
    }

    let step = sample_step(
        ChainConfig {
            chain_id: 901,
            ..ChainConfig::mainnet(Fork::Osaka)
        },
        3,
        300_000,
    );
    let execute = CallRequest {
        from: Some(alice),
        to: Some(execute::EXECUTE_ADDRESS),
        data: step.abi_encode().into(),
        ..Default::default()
    };
    let (output, _) = node.call(&execute).unwrap();
    assert_eq!(output, execute::precompile::abi_bool(true));
    let estimate = node.estimate_gas(&execute).unwrap();
    let cost = node
        .execute_market()
        .call_cost(step.abi_encode().len(), step.gas_used)
        .unwrap();
    assert!(
        estimate > cost,
        "estimate {estimate} covers EXECUTE's charge {cost}"
    );
    assert_eq!(
        node.execute_market().cumulative_gas,
        0,
        "calls charge no real block"
    );

    let starved = CallRequest {
        gas: Some(30_000),
        ..execute
    };
    assert!(matches!(
        node.call(&starved),
        Err(CallError::Halt(_) | CallError::Invalid(_))
    ));
    assert_eq!(node.latest().header.number, 0);
}
