//! The JSON-RPC endpoint over real HTTP: wrong requests and rejected transactions get clear
//! JSON-RPC errors, large bodies are taken, and the node keeps serving throughout.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{Address, Bytes, Signature, TxKind, U256};
use alloy_signer::SignerSync;
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    rpc::{INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, SERVER_ERROR},
    server::Server,
    Node, NodeConfig,
};
use execute::Fork;
use serde_json::{json, Value};

struct Client {
    http: reqwest::Client,
    url: String,
}

impl Client {
    async fn post(&self, body: impl Into<String>) -> (u16, Value) {
        let response = self
            .http
            .post(&self.url)
            .header("content-type", "application/json")
            .body(body.into())
            .send()
            .await
            .unwrap();
        let status = response.status().as_u16();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    async fn call(&self, method: &str, params: Value) -> Value {
        let body = json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
        let (status, answer) = self.post(body.to_string()).await;
        assert_eq!(status, 200, "{answer}");
        answer
    }

    /// The error of a call that must fail: its code and message.
    async fn error(&self, method: &str, params: Value) -> (i64, String) {
        let answer = self.call(method, params).await;
        let error = &answer["error"];
        assert!(error.is_object(), "expected an error, got {answer}");
        (
            error["code"].as_i64().unwrap(),
            error["message"].as_str().unwrap().to_string(),
        )
    }
}

fn transfer(nonce: u64, max_fee_per_gas: u128) -> TxEip1559 {
    TxEip1559 {
        chain_id: 31337,
        nonce,
        gas_limit: 21_000,
        max_fee_per_gas,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(Address::repeat_byte(0xb0)),
        value: U256::from(1),
        ..Default::default()
    }
}

fn raw(tx: TxEip1559, signature: Signature) -> Bytes {
    TxEnvelope::from(tx.into_signed(signature))
        .encoded_2718()
        .into()
}

#[tokio::test(flavor = "multi_thread")]
async fn wrong_requests_over_http_get_clear_errors_and_the_node_keeps_serving() {
    let node = Arc::new(Mutex::new(Node::new(
        NodeConfig::dev(31337, Fork::Osaka).unwrap(),
    )));
    let server = Server::start(node, SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let client = Client {
        http: reqwest::Client::new(),
        url: server.url(),
    };
    let signer = dev_accounts(DEV_MNEMONIC, 1).unwrap().remove(0);
    let sign = |tx: TxEip1559| {
        let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
        raw(tx, signature)
    };

    let (status, answer) = client.post("{\"jsonrpc\": \"2.0\", \"id\": 1,").await;
    assert_eq!(
        (status, answer["error"]["code"].as_i64()),
        (200, Some(PARSE_ERROR))
    );
    let (_, answer) = client.post("[1, 2]").await;
    assert_eq!(answer[0]["error"]["code"], INVALID_REQUEST);
    assert_eq!(answer[1]["error"]["code"], INVALID_REQUEST);
    let get = client.http.get(&client.url).send().await.unwrap();
    assert_eq!(get.status().as_u16(), 405, "JSON-RPC is POST only");

    let (code, message) = client.error("eth_frobnicate", json!([])).await;
    assert_eq!(code, METHOD_NOT_FOUND);
    assert!(message.contains("eth_frobnicate"), "{message}");
    let (code, _) = client
        .error("eth_getBalance", json!(["not an address"]))
        .await;
    assert_eq!(code, INVALID_PARAMS);

    let unsigned = raw(
        transfer(0, 10_000_000_000),
        Signature::new(U256::ZERO, U256::from(1), false),
    );
    let (code, message) = client
        .error("eth_sendRawTransaction", json!([unsigned]))
        .await;
    assert_eq!(code, SERVER_ERROR);
    assert!(message.contains("signature"), "{message}");
    let gap = sign(transfer(3, 10_000_000_000));
    let (code, message) = client.error("eth_sendRawTransaction", json!([gap])).await;
    assert_eq!(code, SERVER_ERROR);
    assert!(message.contains("nonce too high"), "{message}");
    let cheap = sign(transfer(0, 1));
    let (code, message) = client.error("eth_sendRawTransaction", json!([cheap])).await;
    assert_eq!(code, SERVER_ERROR);
    assert!(
        message.contains("max fee per gas less than block base fee"),
        "{message}"
    );
    let (code, _) = client
        .error("eth_sendRawTransaction", json!(["0xzz"]))
        .await;
    assert_eq!(code, INVALID_PARAMS);

    // A body the size of a six-blob transaction is taken and answered.
    let big = format!("0x{}", "00".repeat(1_600_000));
    let answer = client
        .call(
            "eth_call",
            json!([{ "to": Address::repeat_byte(0xb0), "input": big }]),
        )
        .await;
    assert_eq!(answer["result"], "0x");

    assert_eq!(
        client.call("eth_blockNumber", json!([])).await["result"],
        "0x0"
    );
    let good = sign(transfer(0, 10_000_000_000));
    let answer = client.call("eth_sendRawTransaction", json!([good])).await;
    assert!(answer["result"].is_string(), "{answer}");
    assert_eq!(
        client.call("eth_blockNumber", json!([])).await["result"],
        "0x1"
    );
    server.shutdown().await.unwrap();
}
