//! The L1 path over real JSON-RPC: the sequencer posts batches as blob transactions to the inbox
//! on the devnet, and a derivation from L1 alone (inbox logs, blobs from the beacon endpoint)
//! reproduces the sequencer's blocks, hashes and state roots.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use alloy_network::{ReceiptResponse, TransactionBuilder};
use alloy_primitives::{Address, Bytes, U256, U64};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::{TransactionReceipt, TransactionRequest};
use alloy_sol_types::{SolCall, SolValue};
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    server::Server,
    Node, NodeConfig,
};
use execute::{witness::AccountState, Fork};
use l1_contracts::{blob_data::BlobData, inbox::Inbox};
use l2_node::l1::{batch_transaction, blob_transaction, versioned_hash, L1Source};
use rollup::{
    batch::BatchBlock,
    blob::{blob_from_payload, elements, opening},
    derive::L2Chain,
    rules::L2Config,
    wallet::L2Wallet,
};

const L2_CHAIN_ID: u64 = 901;

fn user() -> L2Wallet {
    L2Wallet::from_seed(b"l1 path user", L2_CHAIN_ID)
}

fn transfer(nonce: u64) -> Bytes {
    user().transfer(nonce, Address::repeat_byte(0xb0), U256::from(nonce + 1))
}

fn l2() -> L2Chain {
    let config = L2Config::fixed(L2_CHAIN_ID, Fork::Osaka, Address::repeat_byte(0xfe));
    let user = user().address();
    L2Chain::new(
        config,
        vec![(
            user,
            AccountState {
                balance: U256::from(10u128.pow(20)),
                ..Default::default()
            },
        )],
        0,
    )
    .unwrap()
}

/// A devnet on a free port, and a provider signing with its first dev key.
/// A devnet that answers `eth_getLogs` over at most [`LOG_CAP`] blocks, as public providers cap
/// their ranges: the sources below ask for their default range and must halve it.
async fn devnet() -> (Server, impl Provider + Clone) {
    let mut config = NodeConfig::dev(31337, Fork::Osaka).unwrap();
    config.max_log_range = LOG_CAP;
    let node = Arc::new(Mutex::new(Node::new(config)));
    let server = Server::start(node, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let signer = dev_accounts(DEV_MNEMONIC, 1).unwrap().remove(0);
    let provider = ProviderBuilder::new()
        .wallet(signer)
        .connect_http(server.url().parse().unwrap());
    (server, provider)
}

/// Most blocks one `eth_getLogs` may span on the test devnet.
const LOG_CAP: u64 = 1;

/// Sends `request` and returns its receipt, which must show success.
async fn mined(provider: &impl Provider, request: TransactionRequest) -> TransactionReceipt {
    let receipt = provider
        .send_transaction(request)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    receipt
}

#[tokio::test(flavor = "multi_thread")]
async fn derivation_from_l1_reproduces_the_sequencers_blocks() {
    let (server, provider) = devnet().await;

    let deploy = TransactionRequest::default().with_deploy_code(
        [
            Inbox::BYTECODE.to_vec(),
            (Address::ZERO, 0u64, Address::ZERO).abi_encode_params(),
        ]
        .concat(),
    );
    let inbox = mined(&provider, deploy).await.contract_address().unwrap();

    // The sequencer: two batches of two blocks, derived as they land.
    let mut sequencer = l2();
    let mut expected = Vec::new();
    let mut nonce = 0;
    for batch in 0..2u64 {
        let blocks: Vec<BatchBlock> = (0..2u64)
            .map(|b| BatchBlock {
                timestamp: 10 * (2 * batch + b + 1),
                transactions: (0..3)
                    .map(|_| {
                        nonce += 1;
                        transfer(nonce - 1)
                    })
                    .collect(),
            })
            .collect();
        // The inbox takes at most one block per second since its last batch.
        provider
            .raw_request::<_, serde_json::Value>("evm_increaseTime".into(), (U64::from(2),))
            .await
            .unwrap();
        let receipt = mined(
            &provider,
            batch_transaction(inbox, &blocks, Fork::Osaka).unwrap(),
        )
        .await;
        let l1 = provider
            .get_block_by_number(receipt.block_number().unwrap().into())
            .await
            .unwrap()
            .unwrap();
        for block in blocks {
            let derived = sequencer
                .derive_block(
                    block.timestamp,
                    l1.header.timestamp,
                    block.transactions,
                    rollup::rules::BlockInputs::none(),
                )
                .unwrap();
            assert_eq!(
                derived.steps.iter().flatten().count(),
                3,
                "every transfer included"
            );
            expected.push(derived.header);
        }
    }

    // An independent node: L1 alone.
    let reader = ProviderBuilder::new().connect_http(server.url().parse().unwrap());
    let head = reader.get_block_number().await.unwrap();
    let source = L1Source::new(reader, server.url(), inbox);
    assert!(source.log_range() > LOG_CAP && head > LOG_CAP);
    let batches = source.batches(0, head).await.unwrap();
    assert_eq!(batches.len(), 2, "both found through the range cap");
    assert_eq!((batches[1].first_block, batches[1].block_count), (3, 2));
    let mut verifier = l2();
    let mut derived = Vec::new();
    for batch in &batches {
        derived.extend(verifier.derive_batch(batch).unwrap());
    }
    assert_eq!(derived.len(), 4);
    for (ours, theirs) in derived.iter().zip(&expected) {
        assert_eq!(&ours.header, theirs);
        assert_eq!(ours.hash, theirs.hash_slow());
    }
    server.shutdown().await.unwrap();
}

/// Derivation ignores byte 0 of each field element, so a poster may set it (below the modulus)
/// and the payload no longer determines the blob: a blob rebuilt from the payload has another
/// versioned hash, and opening it on L1 would not open the batch's. The source keeps the blob as
/// posted, and that copy opens the batch's blob on `BlobData`.
#[tokio::test(flavor = "multi_thread")]
async fn a_blob_with_bytes_the_payload_ignores_opens_from_the_copy_as_posted() {
    let (server, provider) = devnet().await;
    let deploy = |code: Vec<u8>| {
        let provider = provider.clone();
        async move {
            let request = TransactionRequest::default().with_deploy_code(code);
            mined(&provider, request).await.contract_address().unwrap()
        }
    };
    let inbox = deploy(
        [
            Inbox::BYTECODE.to_vec(),
            (Address::ZERO, 0u64, Address::ZERO).abi_encode_params(),
        ]
        .concat(),
    )
    .await;
    let blob_data = deploy(BlobData::BYTECODE.to_vec()).await;

    let blocks = vec![BatchBlock {
        timestamp: 1,
        transactions: vec![transfer(0)],
    }];
    let payload = rollup::batch::encode(&blocks).unwrap();
    let mut posted = blob_from_payload(&payload).unwrap();
    // Byte 0 of element 5: 0x01 keeps it below the BLS modulus (0x73ed…).
    posted[5 * 32] = 0x01;
    let rebuilt = blob_from_payload(&payload).unwrap();
    assert_ne!(
        versioned_hash(&posted).unwrap(),
        versioned_hash(&rebuilt).unwrap()
    );
    mined(
        &provider,
        blob_transaction(inbox, &posted, 1, Fork::Osaka).unwrap(),
    )
    .await;

    let head = provider.get_block_number().await.unwrap();
    let batch = L1Source::new(provider.clone(), server.url(), inbox)
        .batches(0, head)
        .await
        .unwrap()
        .remove(0);
    assert_eq!(
        batch.payload,
        rollup::blob::payload(&rebuilt),
        "the same payload"
    );
    assert!(batch.blob == posted, "the blob as posted");
    assert_eq!(batch.blob_hash, versioned_hash(&posted).unwrap());

    let open = BlobData::openCall {
        elements: elements(&batch.blob),
        opening: opening(&batch.blob).unwrap(),
    };
    mined(
        &provider,
        TransactionRequest::default()
            .with_to(blob_data)
            .with_input(open.abi_encode()),
    )
    .await;
    let root = provider
        .call(
            TransactionRequest::default().with_to(blob_data).with_input(
                BlobData::rootsCall {
                    versionedHash: batch.blob_hash,
                }
                .abi_encode(),
            ),
        )
        .await
        .unwrap();
    assert_ne!(
        BlobData::rootsCall::abi_decode_returns(&root).unwrap(),
        alloy_primitives::B256::ZERO,
        "the batch's blob is open"
    );
    server.shutdown().await.unwrap();
}
