//! Blob transactions: sent through an alloy provider with its fillers, read by a contract with
//! `BLOBHASH`, served back by the beacon endpoint, and refused when their sidecar is wrong.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use alloy_consensus::{SignableTransaction, TxEip4844, TxEip4844WithSidecar, TxEnvelope};
use alloy_eips::{
    eip2718::Encodable2718,
    eip4844::{
        builder::{SidecarBuilder, SidecarCoder, SimpleCoder},
        c_kzg,
        env_settings::EnvKzgSettings,
        kzg_to_versioned_hash, Blob, BlobTransactionSidecar,
    },
    eip7594::BlobTransactionSidecarVariant,
};
use alloy_network::{ReceiptResponse, TransactionBuilder, TransactionBuilder4844};
use alloy_primitives::{address, hex, Address, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_eth::TransactionRequest;
use alloy_signer::SignerSync;
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    blobs::SidecarError,
    server::Server,
    Node, NodeConfig, TxError,
};
use execute::{witness::AccountState, Fork};
use serde_json::Value;

/// Stores `BLOBHASH(0)` in slot 0: PUSH0 BLOBHASH PUSH0 SSTORE STOP.
const READER: Address = address!("0x00000000000000000000000000000000000b10b0");

fn node(fork: Fork, retention: u64) -> Arc<Mutex<Node>> {
    let mut config = NodeConfig::dev(31337, fork).unwrap();
    config.blob_retention = retention;
    config.alloc.push((
        READER,
        AccountState {
            nonce: 1,
            code: vec![0x5f, 0x49, 0x5f, 0x55, 0x00].into(),
            ..Default::default()
        },
    ));
    Arc::new(Mutex::new(Node::new(config)))
}

async fn get(url: String) -> (u16, Value) {
    let response = reqwest::get(url).await.unwrap();
    let status = response.status().as_u16();
    (status, response.json().await.unwrap())
}

fn hex_field(value: &Value) -> Vec<u8> {
    hex::decode(value.as_str().unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn blob_transaction_lands_and_its_sidecar_comes_back_from_the_beacon_api() {
    let node = node(Fork::Osaka, 64);
    let server = Server::start(node.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let signer = dev_accounts(DEV_MNEMONIC, 1).unwrap().remove(0);
    let provider = ProviderBuilder::new()
        .wallet(signer)
        .connect_http(server.url().parse().unwrap());

    // Two blobs' worth of batch data.
    let batch: Vec<u8> = (0..200_000u32).map(|i| (i * 7 % 251) as u8).collect();
    let sidecar = SidecarBuilder::<SimpleCoder>::from_slice(&batch)
        .build_7594()
        .unwrap();
    let hashes: Vec<B256> = sidecar.versioned_hashes().collect();
    assert_eq!(hashes.len(), 2);
    let request = TransactionRequest::default()
        .with_to(READER)
        .with_blob_sidecar_7594(sidecar);
    let receipt = provider
        .send_transaction(request)
        .await
        .unwrap()
        .get_receipt()
        .await
        .unwrap();
    assert!(receipt.status());
    assert_eq!(receipt.blob_gas_used, Some(2 * 131_072));
    assert!(receipt.blob_gas_price.unwrap() >= 1);
    let stored = provider.get_storage_at(READER, U256::ZERO).await.unwrap();
    assert_eq!(B256::from(stored), hashes[0], "BLOBHASH(0) in the contract");

    let number = receipt.block_number().unwrap();
    let (status, body) = get(format!(
        "{}/eth/v1/beacon/blob_sidecars/{number}",
        server.url()
    ))
    .await;
    assert_eq!(status, 200, "{body}");
    let data = body["data"].as_array().unwrap();
    assert_eq!(data.len(), 2);
    let settings = EnvKzgSettings::Default.get();
    let mut blobs = Vec::new();
    for (i, item) in data.iter().enumerate() {
        assert_eq!(item["index"], i.to_string());
        let blob = hex_field(&item["blob"]);
        let commitment = hex_field(&item["kzg_commitment"]);
        let proof = hex_field(&item["kzg_proof"]);
        assert_eq!(kzg_to_versioned_hash(&commitment), hashes[i]);
        let ok = settings
            .verify_blob_kzg_proof(
                &c_kzg::Blob::from_bytes(&blob).unwrap(),
                &c_kzg::Bytes48::from_bytes(&commitment).unwrap(),
                &c_kzg::Bytes48::from_bytes(&proof).unwrap(),
            )
            .unwrap();
        assert!(ok, "blob {i} verifies against its commitment");
        assert_eq!(
            item["signed_block_header"]["message"]["slot"],
            number.to_string()
        );
        blobs.push(Blob::from_slice(&blob));
    }
    let decoded = SimpleCoder::default().decode_all(&blobs).unwrap().concat();
    assert_eq!(decoded, batch, "the batch comes back whole");

    // The point-evaluation precompile opens the first blob at a point, through eth_call.
    let blob = c_kzg::Blob::from_bytes(blobs[0].as_slice()).unwrap();
    let z = c_kzg::Bytes32::from_bytes(&[0x11; 32]).unwrap();
    let (proof, y) = settings.compute_kzg_proof(&blob, &z).unwrap();
    let commitment = hex_field(&data[0]["kzg_commitment"]);
    let mut input = hashes[0].to_vec();
    input.extend_from_slice(z.as_slice());
    input.extend_from_slice(y.as_slice());
    input.extend_from_slice(&commitment);
    input.extend_from_slice(proof.to_bytes().as_slice());
    let call = TransactionRequest::default()
        .with_to(address!("0x000000000000000000000000000000000000000a"))
        .with_input(input.clone());
    let output = provider.call(call).await.unwrap();
    assert_eq!(U256::from_be_slice(&output[..32]), U256::from(4096));
    input[40] ^= 1;
    let call = TransactionRequest::default()
        .with_to(address!("0x000000000000000000000000000000000000000a"))
        .with_input(input);
    assert!(provider.call(call).await.is_err(), "a wrong opening fails");

    // By block root, one index; and the blobs endpoint, by versioned hash.
    let hash = receipt.block_hash.unwrap();
    let (_, body) = get(format!(
        "{}/eth/v1/beacon/blob_sidecars/{hash}?indices=1",
        server.url()
    ))
    .await;
    assert_eq!(body["data"].as_array().unwrap().len(), 1);
    assert_eq!(body["data"][0]["index"], "1");
    let (_, body) = get(format!(
        "{}/eth/v1/beacon/blobs/head?versioned_hashes={}",
        server.url(),
        hashes[1]
    ))
    .await;
    assert_eq!(hex_field(&body["data"][0]), blobs[1].as_slice());

    // Bad ids and unknown blocks.
    let (status, body) = get(format!("{}/eth/v1/beacon/blob_sidecars/nope", server.url())).await;
    assert_eq!((status, body["code"].as_u64()), (400, Some(400)));
    let (status, _) = get(format!("{}/eth/v1/beacon/blob_sidecars/999", server.url())).await;
    assert_eq!(status, 404);
    server.shutdown().await.unwrap();
}

#[tokio::test(flavor = "multi_thread")]
async fn sidecars_outside_the_retention_window_are_pruned() {
    let node = node(Fork::Osaka, 2);
    let server = Server::start(node.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let raw = blob_transaction(0, |sidecar| sidecar);
    let block = {
        let mut node = node.lock().unwrap();
        node.send_raw_transaction(&raw).unwrap();
        node.latest().header.number
    };
    let url = format!("{}/eth/v1/beacon/blob_sidecars/{block}", server.url());
    assert_eq!(
        get(url.clone()).await.1["data"].as_array().unwrap().len(),
        1
    );
    node.lock().unwrap().mine(Vec::new()).unwrap();
    assert_eq!(get(url.clone()).await.0, 200, "still inside the window");
    node.lock().unwrap().mine(Vec::new()).unwrap();
    let (status, body) = get(url).await;
    assert_eq!(status, 404);
    assert!(body["message"].as_str().unwrap().contains("pruned"));
    server.shutdown().await.unwrap();
}

/// A signed one-blob transaction in network form, its sidecar passed through `tamper`.
fn blob_transaction(
    nonce: u64,
    tamper: impl FnOnce(BlobTransactionSidecar) -> BlobTransactionSidecar,
) -> Vec<u8> {
    let sidecar = SidecarBuilder::<SimpleCoder>::from_slice(b"batch")
        .build_4844()
        .unwrap();
    let signer = dev_accounts(DEV_MNEMONIC, 1).unwrap().remove(0);
    let tx = TxEip4844 {
        chain_id: 31337,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: READER,
        blob_versioned_hashes: sidecar.versioned_hashes().collect(),
        max_fee_per_blob_gas: 1_000,
        ..Default::default()
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    let with_sidecar = TxEip4844WithSidecar::from_tx_and_sidecar(
        tx,
        BlobTransactionSidecarVariant::Eip4844(tamper(sidecar)),
    );
    TxEnvelope::from(with_sidecar.into_signed(signature)).encoded_2718()
}

#[test]
fn wrong_sidecars_are_refused_and_the_chain_is_unchanged() {
    let node = node(Fork::Prague, 64);
    let mut node = node.lock().unwrap();
    let head = node.latest().hash;

    let tampered = blob_transaction(0, |mut sidecar| {
        sidecar.blobs[0].0[100] ^= 1;
        sidecar
    });
    assert!(matches!(
        node.send_raw_transaction(&tampered),
        Err(TxError::Sidecar(SidecarError::Invalid(_)))
    ));
    let other_commitment = blob_transaction(0, |mut sidecar| {
        let other = SidecarBuilder::<SimpleCoder>::from_slice(b"other")
            .build_4844()
            .unwrap();
        sidecar.commitments = other.commitments;
        sidecar
    });
    assert!(matches!(
        node.send_raw_transaction(&other_commitment),
        Err(TxError::Sidecar(SidecarError::Invalid(_)))
    ));

    // The consensus form (no sidecar) is not enough to submit.
    let good = blob_transaction(0, |sidecar| sidecar);
    let bare = {
        let TxEnvelope::Eip4844(signed) =
            alloy_eips::eip2718::Decodable2718::decode_2718_exact(good.as_slice()).unwrap()
        else {
            unreachable!()
        };
        let (variant, signature, _) = signed.into_parts();
        variant
            .strip_sidecar()
            .0
            .tx()
            .clone()
            .into_signed(signature)
    };
    assert!(matches!(
        node.send_raw_transaction(&TxEnvelope::from(bare.clone()).encoded_2718()),
        Err(TxError::Sidecar(SidecarError::Missing))
    ));
    assert_eq!(node.latest().hash, head);

    let hash = node.send_raw_transaction(&good).unwrap();
    assert_eq!(
        hash,
        *bare.hash(),
        "hash of the transaction without its sidecar"
    );
    assert_eq!(node.blob_sidecars(1).unwrap().len(), 1);
    assert_eq!(node.blob_sidecars(1).unwrap()[0].tx_hash, hash);
}
