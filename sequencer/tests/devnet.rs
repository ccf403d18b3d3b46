//! The sequencer and the proposer on the devnet over real JSON-RPC: an L2 user's transaction
//! sent to the L2 endpoint lands in a blob batch; with the load generator posting batch after
//! batch, an independent node deriving from L1 alone reproduces every block hash and state root;
//! an L1 reorg that takes a batch away is rolled back by both; the proposer's claims carry the
//! chain's hashes, or the lie it was told to tell. A wallet reads what it sent through the L2
//! endpoint: receipts, logs and filters, calls and gas estimates, and why a transaction the
//! inclusion rule skipped was skipped.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use alloy_consensus::TxEip1559;
use alloy_eips::BlockNumberOrTag;
use alloy_primitives::{hex, Address, TxKind, B256, U256};
use alloy_provider::{Provider, ProviderBuilder};
use alloy_rpc_types_debug::ExecutionWitness;
use alloy_rpc_types_eth::{Filter, Log, TransactionRequest, TransactionTrait};
use alloy_sol_types::SolCall;
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    server::Server,
    Node, NodeConfig,
};
use execute::{trace::Segment, ChainConfig, Fork};
use l1_contracts::provider::l1_provider;
use l1_contracts::{
    deploy::{deploy_rollup, Deployment, Sequencing},
    rollup::Rollup,
};
use l2_node::{
    l1::L1Source,
    node::{Genesis, L2Node},
};
use rollup::lie::BlockLie;
use rollup::{
    derive::L2Chain,
    lie::Lie,
    wallet::{L2Wallet, MAX_FEE_PER_GAS},
};
use sequencer::{
    genesis::{dev_genesis, load_generator},
    pool::Pool,
    proposer::Proposer,
    rpc::{serve, Shared},
    service::{Sequencer, SequencerConfig},
};

const CHAIN_ID: u64 = 902;
const ETHER: u128 = 10u128.pow(18);
/// Init code of a contract whose code logs topic 7 with the word 42 and returns 42.
const LOGGER_INIT: [u8; 29] = hex!("6011600c60003960116000f3602a600052600760206000a160206000f3");
/// Bytes of that contract's code.
const LOGGER_CODE_LEN: usize = 17;

fn user() -> L2Wallet {
    L2Wallet::from_seed(b"sequencer test user", CHAIN_ID)
}

fn genesis() -> Genesis {
    dev_genesis(
        CHAIN_ID,
        ChainConfig::mainnet(Fork::Osaka).schedule(),
        16,
        &[user().address()],
        Address::repeat_byte(0xfe),
    )
    .unwrap()
}

async fn rollup_call<C: SolCall>(provider: &impl Provider, rollup: Address, call: C) -> C::Return {
    let request = alloy_rpc_types_eth::TransactionRequest::default()
        .to(rollup)
        .input(call.abi_encode().into());
    C::abi_decode_returns(&provider.call(request).await.unwrap()).unwrap()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_sequencer_posts_and_an_independent_node_derives_the_same_chain() {
    let devnet = Arc::new(Mutex::new(Node::new(
        NodeConfig::dev(31337, Fork::Osaka).unwrap(),
    )));
    let server = Server::start(devnet.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let url: reqwest::Url = server.url().parse().unwrap();
    let keys = dev_accounts(DEV_MNEMONIC, 3).unwrap();
    let wallet = |i: usize| l1_provider(url.clone(), keys[i].clone());
    let (poster, proposer_l1, liar_l1) = (wallet(0), wallet(1), wallet(2));

    let genesis_hash = {
        let g = genesis();
        L2Chain::new(g.config, g.accounts, g.timestamp)
            .unwrap()
            .head()
            .hash_slow()
    };
    let config = genesis().config;
    let Deployment {
        inbox,
        rollup,
        inbox_block,
        ..
    } = deploy_rollup(
        &poster,
        keys[0].address(),
        Sequencing::BASED,
        config.chain_rlp(),
        genesis_hash,
        config.rollup_config(Rollup::Config {
            challengeWindow: 3_600,
            clock: 600,
            proposalBond: U256::from(ETHER),
            challengeBond: U256::from(ETHER / 2),
            degree: 4,
            gasLimit: 0,
            feeRecipient: Address::ZERO,
        }),
    )
    .await
    .unwrap();

    let dir = tempfile::tempdir().unwrap();
    let node = L2Node::open(dir.path().join("sequencer"), genesis(), inbox_block).unwrap();
    let shared = Shared::new(node, Pool::new(CHAIN_ID, config.gas_limit));
    let l2_rpc = serve(shared.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let honest = Proposer::new(proposer_l1, rollup, keys[1].address(), 2);
    let lie = BlockLie {
        block: 3,
        lie: Lie::Drop(0),
    };
    let liar = Proposer::new(liar_l1, rollup, keys[2].address(), 3).lying(Some(lie));
    let mut sequencer = Sequencer::new(
        shared.clone(),
        poster.clone(),
        &server.url(),
        SequencerConfig {
            inbox,
            submitter: keys[0].address(),
            blocks_per_batch: 2,
            load_gas: 1_500_000,
            window: 1_000,
            log_range: l2_node::l1::DEFAULT_LOG_RANGE,
        },
        Some(load_generator(&config, 16).unwrap()),
        Some(honest),
    );

    // An L2 user sends a transfer to the L2 endpoint.
    let l2 = ProviderBuilder::new().connect_http(l2_rpc.url().parse().unwrap());
    assert_eq!(l2.get_chain_id().await.unwrap(), CHAIN_ID);
    let recipient = Address::repeat_byte(0x42);
    let raw = user().transfer(0, recipient, U256::from(ETHER));
    let pending = l2.send_raw_transaction(&raw).await.unwrap();
    assert_eq!(*pending.tx_hash(), alloy_primitives::keccak256(&raw));
    let again = l2.send_raw_transaction(&raw).await;
    assert!(again.is_err(), "a known transaction is refused");
    let gap = user().transfer(5, recipient, U256::from(1));
    assert!(
        l2.send_raw_transaction(&gap).await.is_err(),
        "a nonce gap is refused"
    );
    // The user deploys a contract and calls it.
    let contract_tx = |nonce: u64, to: TxKind, input: &[u8]| {
        user().sign(TxEip1559 {
            nonce,
            gas_limit: 100_000,
            max_fee_per_gas: MAX_FEE_PER_GAS,
            max_priority_fee_per_gas: 1,
            to,
            input: input.to_vec().into(),
            ..Default::default()
        })
    };
    let contract = user().address().create(1);
    let deploy = *l2
        .send_raw_transaction(&contract_tx(1, TxKind::Create, &LOGGER_INIT))
        .await
        .unwrap()
        .tx_hash();
    let call = *l2
        .send_raw_transaction(&contract_tx(2, TxKind::Call(contract), &[]))
        .await
        .unwrap()
        .tx_hash();
    // A sender without funds: the pool admits its next nonce, and the inclusion rule skips it.
    let broke = L2Wallet::from_seed(b"no funds", CHAIN_ID).transfer(0, recipient, U256::from(1));
    let broke = *l2.send_raw_transaction(&broke).await.unwrap().tx_hash();
    assert_eq!(status(&l2, broke).await["status"], "pending");
    assert_eq!(status(&l2, B256::repeat_byte(9)).await["status"], "unknown");
    // Filters installed before the batches: they report what the batches bring.
    let log_filter = l2
        .new_filter(&Filter::new().address(contract))
        .await
        .unwrap();
    let block_filter = l2.new_block_filter().await.unwrap();

    let mut ticks = Vec::new();
    for _ in 0..3 {
        ticks.push(sequencer.tick().await.unwrap());
    }
    assert!(ticks.iter().all(|t| t.posted.is_some()), "{ticks:?}");
    assert_eq!(
        l2.get_balance(recipient).await.unwrap(),
        U256::from(ETHER),
        "the user's transfer is in the derived chain"
    );
    let head = l2.get_block_number().await.unwrap();
    assert_eq!(head, 3, "one block per batch at this load");

    // The blocks serve their included transactions as a wallet reads them.
    let mut found = None;
    for n in 1..=head {
        let block = l2
            .get_block_by_number(n.into())
            .full()
            .await
            .unwrap()
            .unwrap();
        assert_eq!(
            block.header.hash,
            l2_header_hash(&shared, n).await,
            "block {n}"
        );
        let hashes: Vec<_> = block.transactions.hashes().collect();
        let light = l2.get_block_by_number(n.into()).await.unwrap().unwrap();
        assert_eq!(light.transactions.hashes().collect::<Vec<_>>(), hashes);
        let ours = block
            .transactions
            .txns()
            .find(|tx| *tx.inner.tx_hash() == *pending.tx_hash())
            .map(|tx| (n, tx.inner.signer(), tx.inner.to(), tx.inner.value()));
        found = found.or(ours);
    }
    assert_eq!(
        found,
        Some((1, user().address(), Some(recipient), U256::from(ETHER))),
        "the transfer is in the first block, sender recovered"
    );

    // Receipts, transactions and blocks by hash, as a wallet waits for what it sent.
    let receipt = l2
        .get_transaction_receipt(*pending.tx_hash())
        .await
        .unwrap()
        .expect("the transfer's receipt");
    assert!(receipt.status());
    assert_eq!(receipt.gas_used, 21_000);
    assert_eq!(receipt.from, user().address());
    assert_eq!(receipt.to, Some(recipient));
    assert_eq!(receipt.block_number, Some(1));
    assert_eq!(receipt.block_hash, Some(l2_header_hash(&shared, 1).await));
    let tx = l2
        .get_transaction_by_hash(*pending.tx_hash())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(
        (tx.block_number, tx.inner.signer()),
        (Some(1), user().address())
    );
    let by_hash = l2
        .get_block_by_hash(receipt.block_hash.unwrap())
        .await
        .unwrap()
        .unwrap();
    assert_eq!(by_hash.header.number, 1);
    assert!(l2
        .get_block_by_hash(B256::repeat_byte(9))
        .await
        .unwrap()
        .is_none());
    let deployed = l2.get_transaction_receipt(deploy).await.unwrap().unwrap();
    assert_eq!(deployed.contract_address, Some(contract));
    assert_eq!(
        l2.get_code_at(contract).await.unwrap().len(),
        LOGGER_CODE_LEN
    );
    let called = l2.get_transaction_receipt(call).await.unwrap().unwrap();
    assert!(called.status());
    let seven = B256::with_last_byte(7);
    let logged = called.inner.logs();
    assert_eq!(logged.len(), 1);
    assert_eq!(logged[0].topics(), &[seven]);
    assert_eq!(
        logged[0].data().data.as_ref(),
        B256::with_last_byte(42).as_slice()
    );

    // Logs by range and through the filters installed before.
    let logs = l2
        .get_logs(&Filter::new().address(contract).from_block(0))
        .await
        .unwrap();
    assert_eq!(logs.len(), 1);
    assert_eq!(logs[0].transaction_hash, Some(call));
    assert_eq!(logs[0].log_index, logged[0].log_index);
    let none = l2
        .get_logs(
            &Filter::new()
                .address(contract)
                .event_signature(B256::repeat_byte(1)),
        )
        .await
        .unwrap();
    assert!(none.is_empty(), "another topic matches nothing");
    let changes: Vec<Log> = l2.get_filter_changes(log_filter).await.unwrap();
    assert_eq!(changes, logs);
    let again: Vec<Log> = l2.get_filter_changes(log_filter).await.unwrap();
    assert!(again.is_empty(), "a second poll reports nothing new");
    let blocks: Vec<B256> = l2.get_filter_changes(block_filter).await.unwrap();
    assert_eq!(blocks.len() as u64, head);
    assert!(l2.uninstall_filter(log_filter).await.unwrap());

    // Calls and gas estimates over the head state.
    let output = l2
        .call(TransactionRequest::default().to(contract))
        .await
        .unwrap();
    assert_eq!(U256::from_be_slice(&output), U256::from(42));
    let gas = l2
        .estimate_gas(
            TransactionRequest::default()
                .from(user().address())
                .to(contract),
        )
        .await
        .unwrap();
    assert!((21_000..100_000).contains(&gas), "{gas}");
    let proof = l2.get_proof(recipient, Vec::new()).await.unwrap();
    assert_eq!(proof.balance, U256::from(ETHER));
    assert!(!proof.account_proof.is_empty());
    let history = l2
        .get_fee_history(head, BlockNumberOrTag::Latest, &[50.0])
        .await
        .unwrap();
    assert_eq!(history.base_fee_per_gas.len() as u64, head + 1);
    assert_eq!(history.reward.unwrap().len() as u64, head);

    // The sender learns that its transaction was skipped, and why.
    let skipped = status(&l2, broke).await;
    assert_eq!(skipped["status"], "skipped", "{skipped}");
    let reason = skipped["reason"].as_str().unwrap();
    assert!(reason.starts_with("EXECUTE refuses it"), "{reason}");
    assert!(l2.get_transaction_receipt(broke).await.unwrap().is_none());
    let included = status(&l2, *pending.tx_hash()).await;
    assert_eq!(included["status"], "included");
    assert_eq!(included["blockNumber"], "0x1");

    let head_block = l2.get_block_by_number(head.into()).await.unwrap().unwrap();
    let gas_price = l2.get_gas_price().await.unwrap();
    assert!(gas_price > u128::from(head_block.header.base_fee_per_gas.unwrap()) / 2);
    assert_eq!(
        l2.get_max_priority_fee_per_gas().await.unwrap(),
        1_000_000_000
    );
    let version: String = l2
        .raw_request("web3_clientVersion".into(), ())
        .await
        .unwrap();
    assert!(version.starts_with("native-rollup-sequencer/"), "{version}");

    // State at earlier blocks: the recipient had nothing before block 1.
    let balance_at = |n: u64| l2.get_balance(recipient).number(n);
    assert_eq!(balance_at(0).await.unwrap(), U256::ZERO);
    assert_eq!(balance_at(1).await.unwrap(), U256::from(ETHER));
    assert!(balance_at(head + 1).await.is_err(), "not derived yet");
    // Block 1's witness proves its transactions statelessly through EXECUTE, as a dispute
    // step over them would.
    let witness: ExecutionWitness = l2
        .raw_request(
            "debug_executionWitness".into(),
            (BlockNumberOrTag::Number(1),),
        )
        .await
        .unwrap();
    // Alone only: in a batch it would hold the node for every replay of the batch.
    let batched = post_json(
        &l2_rpc.url(),
        serde_json::json!([{
            "jsonrpc": "2.0", "id": 1, "method": "debug_executionWitness", "params": ["0x1"]
        }]),
    )
    .await;
    assert_eq!(batched[0]["error"]["code"], -32000, "{batched}");
    {
        let node = shared.node.lock().await;
        let header = node.store().header(1).unwrap();
        let body = node.store().body(1).unwrap();
        assert!(body.transactions.len() >= 2, "the transfer and the load");
        let chain = node.config().chain_at(header.timestamp).unwrap();
        let mut trace = execute::Trace::from_execution_witness(
            chain.params(),
            header.clone(),
            body.transactions.clone(),
            Vec::new(),
            witness,
        )
        .unwrap();
        trace.segment = Segment {
            ends_block: false,
            ..Segment::WHOLE_BLOCK
        };
        execute::verify_trace(
            trace.parent().unwrap().state_root,
            header.state_root,
            &trace,
            header.gas_used,
            execute::Host::latest(&node.config().schedule),
        )
        .unwrap();
    }

    // An L1 reorg takes the next batch away; another one replaces it.
    let snapshot: U256 = server_call(&server, "evm_snapshot", serde_json::json!([])).await;
    let dropped = sequencer.tick().await.unwrap();
    assert!(dropped.posted.is_some());
    let reverted: bool = server_call(&server, "evm_revert", serde_json::json!([snapshot])).await;
    assert!(reverted);
    // Mine a few empty blocks so the replacing chain is longer than the one it replaces.
    for _ in 0..3 {
        let _: serde_json::Value = server_call(&server, "evm_mine", serde_json::json!([])).await;
    }
    let after = sequencer.tick().await.unwrap();
    assert!(after.sync.rolled_back > 0, "{after:?}");
    for _ in 0..2 {
        sequencer.tick().await.unwrap();
    }

    // An independent node, from L1 alone.
    let reader = ProviderBuilder::new().connect_http(url.clone());
    let source = L1Source::new(reader.clone(), server.url(), inbox);
    let mut watcher = L2Node::open(dir.path().join("watcher"), genesis(), inbox_block).unwrap();
    let report = watcher.sync(&source).await.unwrap();
    let sequencer_node = shared.node.lock().await;
    assert_eq!(watcher.head().number, sequencer_node.head().number);
    assert_eq!(report.blocks, watcher.head().number);
    for n in 1..=watcher.head().number {
        let ours = watcher.store().header(n).unwrap();
        let theirs = sequencer_node.store().header(n).unwrap();
        assert_eq!(ours.hash_slow(), theirs.hash_slow(), "block {n}");
        assert_eq!(ours.state_root, theirs.state_root);
    }
    let included: usize = (1..=watcher.head().number)
        .map(|n| {
            watcher
                .store()
                .block(n)
                .unwrap()
                .positions
                .last()
                .unwrap()
                .included as usize
        })
        .sum();
    assert!(
        included > 20,
        "the load generator's transactions are included: {included}"
    );

    // The honest proposer claimed every second block with the chain's hash.
    let count: u64 = rollup_call(&reader, rollup, Rollup::claimCountCall {})
        .await
        .to();
    assert!(count >= 3, "claims: {count}");
    for id in 1..count {
        let claim = rollup_call(&reader, rollup, Rollup::claimCall { id: U256::from(id) }).await;
        assert_eq!(claim.proposer, keys[1].address());
        assert_eq!(claim.l2Block % 2, 0);
        let header = watcher.store().header(claim.l2Block).unwrap();
        assert_eq!(claim.blockHash, header.hash_slow(), "claim {id}");
    }

    // The lying proposer claims block 3 with the chain it would get by dropping candidate 0.
    let claimed = liar.step(&sequencer_node).await.unwrap().unwrap();
    assert_eq!(claimed.block, 3);
    assert_ne!(claimed.hash, watcher.store().header(3).unwrap().hash_slow());
    assert_eq!(
        claimed.hash,
        watcher.replay_with(3, Some(Lie::Drop(0))).unwrap().hash
    );
    drop(sequencer_node);

    l2_rpc.shutdown().await.unwrap();
    server.shutdown().await.unwrap();
}

async fn status(l2: &impl Provider, hash: B256) -> serde_json::Value {
    l2.raw_request("rollup_transactionStatus".into(), (hash,))
        .await
        .unwrap()
}

async fn l2_header_hash(shared: &Shared, number: u64) -> alloy_primitives::B256 {
    let node = shared.node.lock().await;
    node.store().header(number).unwrap().hash_slow()
}

async fn server_call<T: serde::de::DeserializeOwned>(
    server: &Server,
    method: &str,
    params: serde_json::Value,
) -> T {
    let body = serde_json::json!({"jsonrpc": "2.0", "id": 1, "method": method, "params": params});
    let answer = post_json(&server.url(), body).await;
    serde_json::from_value(answer["result"].clone()).unwrap()
}

/// The JSON answer to a JSON body posted to `url`.
async fn post_json(url: &str, body: serde_json::Value) -> serde_json::Value {
    reqwest::Client::new()
        .post(url)
        .json(&body)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap()
}
