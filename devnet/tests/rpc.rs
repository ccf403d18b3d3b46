//! The JSON-RPC layer: error codes, batches and notifications, clocks and snapshots, and logs.

use std::sync::Mutex;

use alloy_consensus::{SignableTransaction, TxEip1559, TxEnvelope};
use alloy_eips::eip2718::Encodable2718;
use alloy_primitives::{address, hex, Address, Bytes, TxKind, B256, U256};
use alloy_signer::SignerSync;
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    rpc::{
        handle_body, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR, SERVER_ERROR,
    },
    Node, NodeConfig,
};
use execute::{witness::AccountState, Fork};
use serde_json::{json, Value};

const EMITTER: Address = address!("0x00000000000000000000000000000000000e0001");
const TOPIC: B256 = B256::repeat_byte(0x77);

fn node() -> Mutex<Node> {
    let mut config = NodeConfig::dev(31337, Fork::Osaka).unwrap();
    // MSTORE(0, 42); LOG1(0, 32, TOPIC)
    let mut code = vec![0x60, 0x2a, 0x5f, 0x52, 0x7f];
    code.extend_from_slice(TOPIC.as_slice());
    code.extend_from_slice(&[0x60, 0x20, 0x5f, 0xa1, 0x00]);
    config.alloc.push((
        EMITTER,
        AccountState {
            nonce: 1,
            code: code.into(),
            ..Default::default()
        },
    ));
    Mutex::new(Node::new(config))
}

fn call(node: &Mutex<Node>, method: &str, params: Value) -> Value {
    let body = json!({ "jsonrpc": "2.0", "id": 7, "method": method, "params": params }).to_string();
    handle_body(node, body.as_bytes()).unwrap()
}

fn code(answer: &Value) -> i64 {
    answer["error"]["code"]
        .as_i64()
        .unwrap_or_else(|| panic!("no error in {answer}"))
}

#[test]
fn wrong_requests_get_standard_codes_and_the_node_keeps_serving() {
    let node = node();
    assert_eq!(
        code(&handle_body(&node, b"{not json").unwrap()),
        PARSE_ERROR
    );
    assert_eq!(code(&handle_body(&node, b"[]").unwrap()), INVALID_REQUEST);
    assert_eq!(code(&handle_body(&node, b"42").unwrap()), INVALID_REQUEST);
    assert_eq!(
        code(&handle_body(&node, br#"{"id":1,"method":"eth_chainId"}"#).unwrap()),
        INVALID_REQUEST
    );
    assert_eq!(code(&call(&node, "eth_nope", json!([]))), METHOD_NOT_FOUND);
    assert_eq!(
        code(&call(&node, "eth_getBalance", json!(["0x12"]))),
        INVALID_PARAMS
    );
    assert_eq!(
        code(&call(&node, "eth_getBalance", json!([]))),
        INVALID_PARAMS
    );
    assert_eq!(
        code(&call(&node, "eth_sendRawTransaction", json!(["0x02c0"]))),
        SERVER_ERROR
    );
    assert_eq!(
        code(&call(&node, "eth_getBalance", json!([EMITTER, "0x5"]))),
        SERVER_ERROR,
        "no block 5"
    );

    let batch = br#"[{"jsonrpc":"2.0","id":1,"method":"eth_chainId"},{"jsonrpc":"2.0","method":"eth_chainId"},{"jsonrpc":"2.0","id":2,"method":"nope"}]"#;
    let answers = handle_body(&node, batch).unwrap();
    let answers = answers.as_array().unwrap();
    assert_eq!(answers.len(), 2, "the notification gets no answer");
    assert_eq!(answers[0]["result"], json!("0x7a69"));
    assert_eq!(code(&answers[1]), METHOD_NOT_FOUND);
    assert!(handle_body(&node, br#"{"jsonrpc":"2.0","method":"eth_chainId"}"#).is_none());
    assert_eq!(call(&node, "eth_chainId", json!([]))["id"], json!(7));
}

fn send_to_emitter(node: &Mutex<Node>) -> Value {
    let signer = &dev_accounts(DEV_MNEMONIC, 1).unwrap()[0];
    let nonce = node.lock().unwrap().nonce(signer.address());
    let tx = TxEip1559 {
        chain_id: 31337,
        nonce,
        gas_limit: 100_000,
        max_fee_per_gas: 10_000_000_000,
        max_priority_fee_per_gas: 1,
        to: TxKind::Call(EMITTER),
        ..Default::default()
    };
    let signature = signer.sign_hash_sync(&tx.signature_hash()).unwrap();
    let raw = Bytes::from(TxEnvelope::from(tx.into_signed(signature)).encoded_2718());
    call(node, "eth_sendRawTransaction", json!([raw]))
}

#[test]
fn logs_are_filtered_by_block_address_and_topic() {
    let node = node();
    let hash = send_to_emitter(&node)["result"].clone();
    send_to_emitter(&node);
    let logs = call(
        &node,
        "eth_getLogs",
        json!([{ "fromBlock": "0x1", "toBlock": "latest", "address": EMITTER }]),
    );
    let logs = logs["result"].as_array().unwrap();
    assert_eq!(logs.len(), 2);
    assert_eq!(logs[0]["transactionHash"], hash);
    assert_eq!(logs[0]["topics"], json!([TOPIC]));
    assert_eq!(logs[0]["data"], json!(format!("0x{:064x}", 42)));
    let only_second = call(
        &node,
        "eth_getLogs",
        json!([{ "fromBlock": "0x2", "topics": [[TOPIC]] }]),
    );
    assert_eq!(only_second["result"].as_array().unwrap().len(), 1);
    let other_topic = call(
        &node,
        "eth_getLogs",
        json!([{ "fromBlock": "0x0", "topics": [B256::ZERO] }]),
    );
    assert_eq!(other_topic["result"], json!([]));
    let receipt = call(&node, "eth_getTransactionReceipt", json!([hash]));
    assert_eq!(receipt["result"]["logs"][0]["logIndex"], json!("0x0"));
}

#[test]
fn oversized_requests_are_refused_with_standard_errors() {
    let node = node();
    let request = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": [] });
    let batch = Value::Array(vec![request; jsonrpc::MAX_BATCH + 1]).to_string();
    let answer = handle_body(&node, batch.as_bytes()).unwrap();
    assert_eq!(code(&answer), INVALID_REQUEST, "{answer}");
    let percentiles: Vec<f64> = vec![50.0; eth_rpc::MAX_REWARD_PERCENTILES + 1];
    let history = call(
        &node,
        "eth_feeHistory",
        json!(["0x400", "latest", percentiles]),
    );
    assert_eq!(code(&history), INVALID_PARAMS, "{history}");
    let falling = call(
        &node,
        "eth_feeHistory",
        json!(["0x1", "latest", [60.0, 10.0]]),
    );
    assert_eq!(code(&falling), INVALID_PARAMS);
    assert_eq!(
        call(&node, "eth_chainId", json!([]))["result"],
        json!("0x7a69")
    );
}

#[test]
fn filters_report_each_new_log_and_block_once() {
    let node = node();
    send_to_emitter(&node);
    let logs = call(
        &node,
        "eth_newFilter",
        json!([{ "address": EMITTER, "topics": [TOPIC] }]),
    )["result"]
        .clone();
    let other = call(&node, "eth_newFilter", json!([{ "topics": [B256::ZERO] }]))["result"].clone();
    let blocks = call(&node, "eth_newBlockFilter", json!([]))["result"].clone();
    assert_ne!(logs, blocks);
    let changes = |id: &Value| call(&node, "eth_getFilterChanges", json!([id]))["result"].clone();
    assert_eq!(
        changes(&logs),
        json!([]),
        "the log before the filter is not new"
    );
    let hash = send_to_emitter(&node)["result"].clone();
    send_to_emitter(&node);
    let new_logs = changes(&logs);
    assert_eq!(new_logs.as_array().unwrap().len(), 2);
    assert_eq!(new_logs[0]["transactionHash"], hash);
    assert_eq!(changes(&logs), json!([]), "each log is reported once");
    assert_eq!(changes(&other), json!([]), "another topic matches nothing");
    let new_blocks = changes(&blocks);
    assert_eq!(new_blocks.as_array().unwrap().len(), 2);
    let latest = call(&node, "eth_getBlockByNumber", json!(["latest", false]));
    assert_eq!(new_blocks[1], latest["result"]["hash"]);
    // Every log the filter matches, whatever was polled.
    let all = call(&node, "eth_getFilterLogs", json!([logs]))["result"].clone();
    assert_eq!(
        all.as_array().unwrap().len(),
        1,
        "no fromBlock: the latest block"
    );
    assert_eq!(
        call(&node, "eth_uninstallFilter", json!([logs]))["result"],
        json!(true)
    );
    assert_eq!(
        call(&node, "eth_uninstallFilter", json!([logs]))["result"],
        json!(false)
    );
    let gone = call(&node, "eth_getFilterChanges", json!([logs]));
    assert_eq!(code(&gone), SERVER_ERROR, "{gone}");
    let hash_filter = call(&node, "eth_newFilter", json!([{ "blockHash": B256::ZERO }]));
    assert_eq!(code(&hash_filter), INVALID_PARAMS);
}

#[test]
fn snapshots_revert_blocks_state_and_clock() {
    let node = node();
    let id = call(&node, "evm_snapshot", json!([]))["result"].clone();
    let hash = send_to_emitter(&node)["result"].clone();
    call(&node, "evm_increaseTime", json!(["0x3e8"]));
    call(&node, "evm_mine", json!([]));
    let t1 = node.lock().unwrap().latest().header.timestamp;
    let t0 = node.lock().unwrap().block(1).unwrap().header.timestamp;
    // Block 1 may run a second ahead of the wall clock (timestamps must increase).
    assert!(
        t1 >= t0 + 999,
        "the clock moved forward by 1000 s: {t0} -> {t1}"
    );

    assert_eq!(
        call(&node, "evm_revert", json!([id]))["result"],
        json!(true)
    );
    assert_eq!(
        call(&node, "eth_blockNumber", json!([]))["result"],
        json!("0x0")
    );
    assert_eq!(
        call(&node, "eth_getTransactionReceipt", json!([hash]))["result"],
        Value::Null
    );
    let signer = dev_accounts(DEV_MNEMONIC, 1).unwrap()[0].address();
    assert_eq!(node.lock().unwrap().nonce(signer), 0);
    assert_eq!(
        call(&node, "evm_revert", json!([id]))["result"],
        json!(false),
        "used up"
    );

    call(
        &node,
        "evm_setNextBlockTimestamp",
        json!([hex::encode_prefixed(
            U256::from(4_000_000_000u64).to_be_bytes_trimmed_vec()
        )]),
    );
    call(&node, "evm_mine", json!([]));
    assert_eq!(
        node.lock().unwrap().latest().header.timestamp,
        4_000_000_000
    );
}

#[test]
fn get_proof_verifies_against_the_state_root() {
    use alloy_trie::{proof::verify_proof, Nibbles, TrieAccount};
    let node = node();
    send_to_emitter(&node);
    let root = node.lock().unwrap().latest().header.state_root;
    let signer = dev_accounts(DEV_MNEMONIC, 1).unwrap()[0].address();
    for address in [signer, EMITTER, Address::repeat_byte(0x99)] {
        let answer = call(
            &node,
            "eth_getProof",
            json!([address, [B256::ZERO], "latest"]),
        )["result"]
            .clone();
        let proof: Vec<Bytes> = serde_json::from_value(answer["accountProof"].clone()).unwrap();
        let leaf = (address != Address::repeat_byte(0x99)).then(|| {
            alloy_rlp::encode(TrieAccount {
                nonce: serde_json::from_value::<alloy_primitives::U64>(answer["nonce"].clone())
                    .unwrap()
                    .to(),
                balance: serde_json::from_value(answer["balance"].clone()).unwrap(),
                storage_root: serde_json::from_value(answer["storageHash"].clone()).unwrap(),
                code_hash: serde_json::from_value(answer["codeHash"].clone()).unwrap(),
            })
        });
        verify_proof(
            root,
            Nibbles::unpack(alloy_primitives::keccak256(address)),
            leaf,
            &proof,
        )
        .unwrap_or_else(|e| panic!("{address}: {e}"));
    }
}

#[test]
fn eth_config_serves_the_fork_schedule_as_eip_7910_shapes_it() {
    let node = node();
    let answer = call(&node, "eth_config", json!([]));
    let config: alloy_eips::eip7910::EthConfig =
        serde_json::from_value(answer["result"].clone()).unwrap();
    assert_eq!(config.current.chain_id, 31337);
    assert_eq!(config.current.activation_time, 0);
    assert!(
        config.current.precompiles.contains_key("P256VERIFY"),
        "Osaka"
    );
    assert!(config.next.is_none() && config.last.is_none());
    assert_eq!(answer["result"]["current"]["chainId"], json!("0x7a69"));
}

#[test]
fn past_states_raw_blocks_and_execution_witnesses_are_served() {
    use alloy_consensus::Block;
    use alloy_rlp::Decodable;
    let node = node();
    let signer = dev_accounts(DEV_MNEMONIC, 1).unwrap()[0].address();
    send_to_emitter(&node);
    send_to_emitter(&node);
    let block_hash = |n: u64| {
        let block = call(
            &node,
            "eth_getBlockByNumber",
            json!([format!("{n:#x}"), false]),
        );
        serde_json::from_value::<B256>(block["result"]["hash"].clone()).unwrap()
    };
    // Reads at every mined block: by number, by tag, and by EIP-1898 hash.
    let nonce = |block: Value| call(&node, "eth_getTransactionCount", json!([signer, block]));
    assert_eq!(nonce(json!("earliest"))["result"], "0x0");
    assert_eq!(nonce(json!("0x1"))["result"], "0x1");
    assert_eq!(
        nonce(json!({ "blockHash": block_hash(1) }))["result"],
        "0x1"
    );
    assert_eq!(nonce(json!("latest"))["result"], "0x2");
    let balance =
        |block: &str| call(&node, "eth_getBalance", json!([signer, block]))["result"].clone();
    assert_ne!(balance("0x0"), balance("0x2"), "the sender paid for gas");
    assert_eq!(code(&nonce(json!("0x3"))), SERVER_ERROR, "not mined yet");
    assert_eq!(
        code(&nonce(json!({ "blockHash": B256::repeat_byte(1) }))),
        SERVER_ERROR
    );
    let proof = call(&node, "eth_getProof", json!([signer, [], "0x1"]));
    assert_eq!(proof["result"]["nonce"], "0x1");

    // The raw block is the block the node hashes.
    let raw: Bytes =
        serde_json::from_value(call(&node, "debug_getRawBlock", json!(["0x2"]))["result"].clone())
            .unwrap();
    let block: Block<TxEnvelope> = Block::decode(&mut raw.as_ref()).unwrap();
    assert_eq!(block.header.hash_slow(), block_hash(2));
    assert_eq!(block.body.transactions.len(), 1);

    // The witness of block 2 proves it statelessly through EXECUTE, and every node is needed.
    let witness: alloy_rpc_types_debug::ExecutionWitness = serde_json::from_value(
        call(&node, "debug_executionWitness", json!(["0x2"]))["result"].clone(),
    )
    .unwrap();
    let (params, schedule) = {
        let node = node.lock().unwrap();
        (node.chain().params(), node.schedule().clone())
    };
    let verify = |witness: alloy_rpc_types_debug::ExecutionWitness| {
        let trace = execute::Trace::from_block_and_witness(params, block.clone(), witness)?;
        let parent = trace.parent().unwrap().state_root;
        execute::verify_trace(
            parent,
            block.header.state_root,
            &trace,
            block.header.gas_used,
            execute::Host::latest(&schedule),
        )
    };
    verify(witness.clone()).unwrap();
    for index in 0..witness.state.len() {
        let mut short = witness.clone();
        short.state.remove(index);
        assert!(verify(short).is_err(), "node {index} is needed");
    }
    assert_eq!(
        code(&call(&node, "debug_executionWitness", json!(["0x0"]))),
        SERVER_ERROR,
        "the genesis has no parent"
    );
    assert_eq!(
        code(&call(&node, "debug_executionWitness", json!(["0x9"]))),
        SERVER_ERROR
    );
}
