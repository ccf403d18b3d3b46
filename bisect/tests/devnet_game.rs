//! The thin end-to-end path on the devnet, over real JSON-RPC and with the devnet's own EXECUTE
//! precompile: a batch posted as a blob transaction, its blob opened on L1, a wrong claim
//! challenged and bisected to the end of the block, where the challenger's step (one EXECUTE
//! call) wins; and an honest claim whose defender wins a candidate step.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use alloy_network::{ReceiptResponse, TransactionBuilder};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_sol_types::SolCall;
use bisect::{
    game::defender_to_move,
    step::{candidate_proofs, candidate_step, end_step, table_proof},
};
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    server::Server,
    Node, NodeConfig,
};
use execute::{witness::AccountState, Fork};
use l1_contracts::blob_data::BlobData;
use l1_contracts::{
    deploy::{deploy_rollup, Deployment, Sequencing},
    rollup::Rollup,
};
use l2_node::l1::batch_transaction;
use rollup::{
    batch::BatchBlock,
    blob::{blob_from_payload, elements, opening},
    derive::L2Chain,
    rules::L2Config,
    wallet::L2Wallet,
};

const L2_CHAIN_ID: u64 = 902;
const ETHER: u128 = 1_000_000_000_000_000_000;

fn user() -> L2Wallet {
    L2Wallet::from_seed(b"devnet game user", L2_CHAIN_ID)
}

fn transfer(nonce: u64) -> Bytes {
    user().transfer(nonce, Address::repeat_byte(0xb0), U256::from(7))
}

async fn send(provider: &impl Provider, to: Address, data: Vec<u8>, value: u128) -> u64 {
    let tx = TransactionRequest::default()
        .with_to(to)
        .with_input(data)
        .with_value(U256::from(value));
    let receipt = provider
        .send_transaction(tx)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status(), "transaction reverted: {receipt:?}");
    receipt.gas_used
}

async fn game_status(provider: &impl Provider, rollup: Address, id: u64) -> u8 {
    let call = Rollup::gameCall { id: U256::from(id) };
    let out = provider
        .call(
            TransactionRequest::default()
                .with_to(rollup)
                .with_input(call.abi_encode()),
        )
        .await
        .unwrap();
    Rollup::gameCall::abi_decode_returns(&out).unwrap().status as u8
}

/// The side to move by the contract is the one the off-chain rule says, from the game alone.
async fn turn_agrees(provider: &impl Provider, rollup: Address, id: u64) {
    let read = |input: Vec<u8>| {
        provider.call(
            TransactionRequest::default()
                .with_to(rollup)
                .with_input(input),
        )
    };
    let game = Rollup::gameCall { id: U256::from(id) };
    let game =
        Rollup::gameCall::abi_decode_returns(&read(game.abi_encode()).await.unwrap()).unwrap();
    let turn = Rollup::defenderToMoveCall { id: U256::from(id) };
    let turn =
        Rollup::defenderToMoveCall::abi_decode_returns(&read(turn.abi_encode()).await.unwrap())
            .unwrap();
    assert_eq!(defender_to_move(&game), turn, "game {id}: {game:?}");
}

#[tokio::test(flavor = "multi_thread")]
async fn a_wrong_claim_loses_and_a_right_one_wins_with_the_devnets_execute() {
    let node = Arc::new(Mutex::new(Node::new(
        NodeConfig::dev(31337, Fork::Osaka).unwrap(),
    )));
    let server = Server::start(node, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url: reqwest::Url = server.url().parse().unwrap();
    let keys = dev_accounts(DEV_MNEMONIC, 2).unwrap();
    let proposer = ProviderBuilder::new()
        .wallet(keys[0].clone())
        .connect_http(url.clone());
    let challenger = ProviderBuilder::new()
        .wallet(keys[1].clone())
        .connect_http(url);

    // L1 contracts.
    let config = L2Config::fixed(L2_CHAIN_ID, Fork::Osaka, Address::repeat_byte(0xfe));
    let user_address = user().address();
    let mut sequencer = L2Chain::new(
        config.clone(),
        vec![(
            user_address,
            AccountState {
                balance: U256::from(10u128.pow(20)),
                ..Default::default()
            },
        )],
        0,
    )
    .unwrap();
    let genesis = sequencer.head().clone();
    let Deployment {
        inbox,
        blob_data,
        rollup,
        ..
    } = deploy_rollup(
        &proposer,
        keys[0].address(),
        Sequencing::BASED,
        config.chain_rlp(),
        genesis.hash_slow(),
        config.rollup_config(Rollup::Config {
            challengeWindow: 3600,
            clock: 600,
            proposalBond: U256::from(ETHER),
            challengeBond: U256::from(ETHER / 2),
            degree: 2,
            gasLimit: 0,
            feeRecipient: Address::ZERO,
        }),
    )
    .await
    .unwrap();

    // The sequencer posts one block of two transfers, and anyone opens its blob.
    let batch = vec![BatchBlock {
        timestamp: 1,
        transactions: vec![transfer(0), transfer(1)],
    }];
    let receipt = proposer
        .send_transaction(batch_transaction(inbox, &batch, Fork::Osaka).unwrap())
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    let l1 = proposer
        .get_block_by_number(receipt.block_number().unwrap().into())
        .await
        .unwrap()
        .unwrap();
    let block = sequencer
        .derive_block(
            1,
            l1.header.timestamp,
            batch[0].transactions.clone(),
            rollup::rules::BlockInputs::none(),
        )
        .unwrap();
    let blob = blob_from_payload(&rollup::batch::encode(&batch).unwrap()).unwrap();
    let open = BlobData::openCall {
        elements: elements(&blob),
        opening: opening(&blob).unwrap(),
    };
    let open_gas = send(&challenger, blob_data, open.abi_encode(), 0).await;

    let parent_header: Bytes = alloy_rlp::encode(&genesis).into();
    let table = table_proof(&blob, 0).unwrap();
    let open_block = |id: u64| Rollup::openBlockCall {
        id: U256::from(id),
        parentHeader: parent_header.clone(),
        batchIndex: U256::ZERO,
        table: table.clone(),
    };
    let split = |id: u64, value: B256| Rollup::splitCall {
        id: U256::from(id),
        values: vec![value],
    };
    let pick = |id: u64, index: u64, value: B256| Rollup::pickCall {
        id: U256::from(id),
        index: U256::from(index),
        values: vec![value],
    };
    let positions = &block.positions;

    // A wrong claim: the defender bisects honestly inside the block but its hash is wrong; the
    // challenger narrows to the end of the block and proves it with one EXECUTE call.
    let propose = Rollup::proposeCall {
        parent: 0,
        l2Block: 1,
        blockHash: B256::repeat_byte(0x66),
    };
    send(&proposer, rollup, propose.abi_encode(), ETHER).await;
    let challenge = Rollup::challengeCall { id: U256::from(1) };
    send(&challenger, rollup, challenge.abi_encode(), ETHER / 2).await;
    turn_agrees(&proposer, rollup, 0).await;
    send(&proposer, rollup, open_block(0).abi_encode(), 0).await;
    turn_agrees(&proposer, rollup, 0).await;
    send(
        &proposer,
        rollup,
        split(0, positions[1].value()).abi_encode(),
        0,
    )
    .await;
    turn_agrees(&proposer, rollup, 0).await;
    send(
        &challenger,
        rollup,
        pick(0, 1, positions[1].value()).abi_encode(),
        0,
    )
    .await;
    turn_agrees(&proposer, rollup, 0).await;
    send(
        &proposer,
        rollup,
        split(0, positions[2].value()).abi_encode(),
        0,
    )
    .await;
    turn_agrees(&proposer, rollup, 0).await;
    send(
        &challenger,
        rollup,
        pick(0, 1, positions[2].value()).abi_encode(),
        0,
    )
    .await;
    turn_agrees(&proposer, rollup, 0).await;
    let prove_end = Rollup::proveEndCall {
        id: U256::from(0),
        step: end_step(&block),
    };
    let end_gas = send(&challenger, rollup, prove_end.abi_encode(), 0).await;
    assert_eq!(game_status(&proposer, rollup, 0).await, 2, "challenger won");

    // A right claim: a dishonest challenger picks the first transfer, which the defender proves.
    let propose = Rollup::proposeCall {
        parent: 0,
        l2Block: 1,
        blockHash: block.hash,
    };
    send(&proposer, rollup, propose.abi_encode(), ETHER).await;
    let challenge = Rollup::challengeCall { id: U256::from(2) };
    send(&challenger, rollup, challenge.abi_encode(), ETHER / 2).await;
    turn_agrees(&proposer, rollup, 1).await;
    send(&proposer, rollup, open_block(1).abi_encode(), 0).await;
    turn_agrees(&proposer, rollup, 1).await;
    send(
        &proposer,
        rollup,
        split(1, positions[1].value()).abi_encode(),
        0,
    )
    .await;
    turn_agrees(&proposer, rollup, 1).await;
    send(
        &challenger,
        rollup,
        pick(1, 0, positions[1].value()).abi_encode(),
        0,
    )
    .await;
    turn_agrees(&proposer, rollup, 1).await;
    let (offsets, transaction) = candidate_proofs(&blob, 1, 0).unwrap();
    let prove = Rollup::proveCandidateCall {
        id: U256::from(1),
        step: candidate_step(&block, 0).unwrap(),
        proof: Rollup::CandidateProof {
            offsets,
            transaction: transaction.unwrap(),
        },
    };
    let step_gas = send(&proposer, rollup, prove.abi_encode(), 0).await;
    assert_eq!(game_status(&proposer, rollup, 1).await, 1, "defender won");
    println!("open blob {open_gas} gas, end step {end_gas} gas, candidate step {step_gas} gas");
    server.shutdown().await.unwrap();
}
