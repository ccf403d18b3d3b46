//! The L2 JSON-RPC endpoint: users send transactions to the pool; read the derived chain's
//! blocks, transactions, receipts, logs and fees (through `eth-rpc`), the state and proofs of
//! its recent blocks, calls on its head, and the execution witness of a block; learn whether the inclusion rule took or skipped their transaction
//! (`rollup_transactionStatus`); and `rollup_status` tells where derivation stands.

use std::{
    collections::{BTreeMap, HashSet},
    net::SocketAddr,
    sync::{Arc, Mutex},
    time::{SystemTime, UNIX_EPOCH},
};

use alloy_eips::{eip1559::BaseFeeParams, BlockId};
use alloy_primitives::{keccak256, map::HashMap, Address, Bytes, B256, U256, U64};
use alloy_rpc_types_debug::ExecutionWitness;
use axum::{
    body::Bytes as Body,
    extract::{DefaultBodyLimit, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use eth_rpc::{BlockView, CallParams, Chain, Filters, NextFees};
use execute::{
    call::{CallEnv, CallRequest},
    witness::StateAt,
};
use jsonrpc::{HttpServer, Params, RpcError};
use l2_node::{
    node::{off_runtime, L2Node, Replayer},
    store::{SledNodes, StoreError},
};
use rollup::derive::BLOCKHASH_WINDOW;
use serde_json::{json, Value};

use crate::pool::Pool;

/// Largest request body: a batch of transactions as large as a blob, hex-encoded.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The priority fee suggested to wallets: the pool orders by fee, and the L2 has no shortage of
/// space at today's loads, so one gwei (what L1 clients suggest) is enough.
const SUGGESTED_TIP: u64 = 1_000_000_000;

/// The most blocks one `eth_getLogs` may cover (what public providers commonly allow).
pub const MAX_LOG_RANGE: u64 = 10_000;

/// What the endpoint and the sequencer loop share.
#[derive(Debug)]
pub struct Shared {
    /// The L2 node: the chain derived from L1.
    pub node: tokio::sync::Mutex<L2Node>,
    /// Transactions waiting for a batch.
    pub pool: Mutex<Pool>,
    /// Log and block filters clients installed.
    pub filters: Mutex<Filters>,
    /// One `debug_executionWitness` replay at a time: each re-derives a whole block.
    witnesses: tokio::sync::Semaphore,
}

impl Shared {
    /// Shares `node` and `pool`.
    pub fn new(node: L2Node, pool: Pool) -> Arc<Self> {
        Arc::new(Self {
            node: tokio::sync::Mutex::new(node),
            pool: Mutex::new(pool),
            filters: Mutex::new(Filters::default()),
            witnesses: tokio::sync::Semaphore::new(1),
        })
    }

    /// The pool, whatever a panicking holder left.
    pub fn pool(&self) -> std::sync::MutexGuard<'_, Pool> {
        self.pool.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// Serves `shared` on `addr` (port 0 picks one).
pub async fn serve(shared: Arc<Shared>, addr: SocketAddr) -> std::io::Result<HttpServer> {
    let app = Router::new()
        .route("/", post(handle))
        .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
        .with_state(shared);
    HttpServer::start(app, addr).await
}

/// The method answered apart from the others (see [`witness`]).
const WITNESS_METHOD: &str = "debug_executionWitness";

async fn handle(State(shared): State<Arc<Shared>>, body: Body) -> Response {
    let answer = if let Some((id, params)) = jsonrpc::single_call(&body, WITNESS_METHOD) {
        Some(jsonrpc::respond(id, witness(&shared, &params).await))
    } else {
        let node = shared.node.lock().await;
        // Calls run the EVM: off the async workers, which must keep serving.
        off_runtime(|| {
            jsonrpc::handle_body(&body, &mut |method, params| {
                dispatch(&node, &shared, method, params)
            })
        })
    };
    match answer {
        Some(json) => (
            [(header::CONTENT_TYPE, "application/json")],
            json.to_string(),
        )
            .into_response(),
        None => StatusCode::NO_CONTENT.into_response(),
    }
}

fn hex(n: u64) -> Value {
    json!(format!("{n:#x}"))
}

fn store_error(err: StoreError) -> RpcError {
    RpcError::server(err)
}

/// The number a block parameter names (a number, a tag or an EIP-1898 hash; the head when
/// absent), or geth's "header not found" past the head or for an unknown hash.
fn block_id(node: &L2Node, params: &Params, index: usize) -> Result<u64, RpcError> {
    let Some(id) = params.optional::<BlockId>(index, "block")? else {
        return Ok(node.head().number);
    };
    eth_rpc::resolve_id(&DerivedChain(node), id)?
        .filter(|number| *number <= node.head().number)
        .ok_or_else(|| RpcError::server("header not found"))
}

/// The state after the block a read names: the node keeps the states of its recent blocks
/// (those it has not pruned).
fn state_at<'a>(
    node: &'a L2Node,
    params: &Params,
    index: usize,
) -> Result<StateAt<'a, SledNodes>, RpcError> {
    let number = block_id(node, params, index)?;
    let store = node.store();
    let oldest = store.oldest().map_err(store_error)?;
    if number < oldest {
        return Err(RpcError::server(format!(
            "the state of block {number} is pruned; this node keeps it from block {oldest} on"
        )));
    }
    let header = store.header(number).map_err(store_error)?;
    let state = node.state().state_at(header.state_root);
    if !state.is_kept() {
        return Err(RpcError::server(format!(
            "missing trie node {} (the state of block {number})",
            header.state_root
        )));
    }
    Ok(state)
}

/// Calls run on the head's state only.
fn head_only(node: &L2Node, params: &Params, index: usize) -> Result<(), RpcError> {
    let number = block_id(node, params, index)?;
    if number == node.head().number {
        Ok(())
    } else {
        Err(RpcError::server(format!(
            "calls run on the head's state only, not block {number}'s"
        )))
    }
}

/// `debug_executionWitness`, answered alone (not in a batch) and apart from the other methods:
/// the node is held only to find the block, and the replay, a whole block's derivation, runs
/// without it, one at a time, so that no caller holds up the sequencer.
async fn witness(shared: &Shared, params: &Params) -> Result<Value, RpcError> {
    let (number, replayer) = {
        let node = shared.node.lock().await;
        (block_id(&node, params, 0)?, node.replayer())
    };
    let _turn = shared.witnesses.acquire().await.map_err(RpcError::server)?;
    let witness = tokio::task::spawn_blocking(move || execution_witness(&replayer, number))
        .await
        .map_err(RpcError::server)??;
    Ok(json!(witness))
}

/// What EXECUTE reads to run block `number`'s included transactions and its end, from the
/// dispute steps of a replay of the block (the union of their trie nodes, bytecodes and
/// ancestor headers).
fn execution_witness(replayer: &Replayer, number: u64) -> Result<ExecutionWitness, RpcError> {
    if number == 0 {
        return Err(RpcError::server("the genesis block has no witness"));
    }
    let block = replayer.replay(number).map_err(RpcError::server)?;
    let traces = block
        .steps
        .iter()
        .filter_map(|step| step.as_ref().ok())
        .chain([&block.end])
        .map(|step| &step.trace);
    let (mut state, mut codes, mut headers) = (Vec::new(), Vec::new(), BTreeMap::new());
    // Apart: a bytecode may hash as a trie node does (same bytes), and both must be served.
    let (mut seen_nodes, mut seen_codes) = (HashSet::new(), HashSet::new());
    for trace in traces {
        for node in &trace.witness.state {
            if seen_nodes.insert(keccak256(node)) {
                state.push(node.clone());
            }
        }
        for code in &trace.witness.codes {
            if seen_codes.insert(keccak256(code)) {
                codes.push(code.clone());
            }
        }
        for header in &trace.ancestors {
            headers
                .entry(header.number)
                .or_insert_with(|| alloy_rlp::encode(header).into());
        }
    }
    Ok(ExecutionWitness {
        state,
        codes,
        keys: Vec::new(),
        headers: headers.into_values().collect(),
    })
}

/// The base fee of the block after the head.
fn next_base_fee(node: &L2Node) -> u64 {
    let head = node.head();
    head.base_fee_per_gas.map_or(0, |fee| {
        BaseFeeParams::ethereum().next_block_base_fee(head.gas_used, head.gas_limit, fee)
    })
}

/// The derived chain as the read methods see it: the included transactions of each block with
/// their receipts, from the node's store.
struct DerivedChain<'a>(&'a L2Node);

impl Chain for DerivedChain<'_> {
    fn latest(&self) -> u64 {
        self.0.head().number
    }

    fn visit_block(
        &self,
        number: u64,
        visit: &mut dyn FnMut(BlockView<'_>),
    ) -> Result<bool, RpcError> {
        if number > self.latest() {
            return Ok(false);
        }
        let store = self.0.store();
        let header = store.header(number).map_err(store_error)?;
        let body = store.body(number).map_err(store_error)?;
        let tx_hashes: Vec<B256> = body.transactions.iter().map(keccak256).collect();
        visit(BlockView {
            header: &header,
            hash: header.hash_slow(),
            transactions: &body.transactions,
            tx_hashes: &tx_hashes,
            senders: &body.senders,
            receipts: &body.receipts,
            withdrawals: &body.withdrawals,
            blob_base_fee: 0,
        });
        Ok(true)
    }

    fn block_number(&self, hash: B256) -> Result<Option<u64>, RpcError> {
        self.0.store().block_number(hash).map_err(store_error)
    }

    fn transaction_location(&self, hash: B256) -> Result<Option<(u64, usize)>, RpcError> {
        Ok(self
            .0
            .store()
            .transaction(hash)
            .map_err(store_error)?
            .filter(|l| l.included)
            .map(|l| (l.block, l.index as usize)))
    }

    fn max_log_range(&self) -> u64 {
        MAX_LOG_RANGE
    }

    fn next_fees(&self) -> NextFees {
        NextFees {
            base_fee: next_base_fee(self.0),
            blob_base_fee: 0,
        }
    }

    fn max_blob_gas(&self) -> u64 {
        0
    }
}

/// Runs `run` over the head state in the next block's environment: its timestamp is now (and
/// after the head's), as the next batch would declare it.
fn with_call_env<R>(
    node: &L2Node,
    run: impl FnOnce(
        &CallEnv<'_, execute::state::RecordingPreimages<'_, l2_node::store::SledNodes>>,
    ) -> R,
) -> Result<R, RpcError> {
    let head = node.head();
    let now = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let timestamp = now.max(head.timestamp + 1);
    let config = node.config();
    let chain = config.chain_at(timestamp).map_err(RpcError::server)?;
    // The next block's message root is not known before its batch lands; the head's is the
    // latest the chain committed to, so a call sees the messages relayable now.
    let message_root = head
        .parent_beacon_block_root
        .unwrap_or_else(rollup::messages::empty_message_root);
    let header = config.template(head, &chain, timestamp, message_root);
    let from = head.number.saturating_sub(BLOCKHASH_WINDOW as u64 - 1);
    let hashes: HashMap<u64, B256> = node
        .store()
        .headers(from, head.number)
        .map_err(store_error)?
        .iter()
        .map(|h| (h.number, h.hash_slow()))
        .collect();
    let state = node.state();
    let preimages = state.preimages();
    Ok(run(&CallEnv {
        state_root: state.root(),
        preimages: &preimages,
        block_hashes: &hashes,
        header: &header,
        chain: &chain,
        execute: None,
        blob_base_fee: 0,
    }))
}

/// `rollup_transactionStatus`: whether the pool holds transaction `hash`, a block included it,
/// or the inclusion rule skipped it (and why).
fn transaction_status(node: &L2Node, shared: &Shared, hash: B256) -> Result<Value, RpcError> {
    // The pool first: a batch poster may have put a pooled transaction's bytes in a block
    // before its sender's nonce came due, and that skip does not decide its fate.
    if shared.pool().contains(&hash) {
        return Ok(json!({ "status": "pending" }));
    }
    let store = node.store();
    let Some(location) = store.transaction(hash).map_err(store_error)? else {
        return Ok(json!({ "status": "unknown" }));
    };
    let block = store.header(location.block).map_err(store_error)?;
    if location.included {
        return Ok(json!({
            "status": "included",
            "blockNumber": hex(location.block),
            "blockHash": block.hash_slow(),
            "transactionIndex": hex(location.index),
        }));
    }
    let body = store.body(location.block).map_err(store_error)?;
    let skipped = usize::try_from(location.index)
        .ok()
        .and_then(|i| body.skipped.get(i))
        .ok_or_else(|| {
            RpcError::server(format!("block {} is stored inconsistently", location.block))
        })?;
    Ok(json!({
        "status": "skipped",
        "blockNumber": hex(location.block),
        "blockHash": block.hash_slow(),
        "candidateIndex": hex(skipped.candidate),
        "reason": skipped.reason,
    }))
}

fn dispatch(
    node: &L2Node,
    shared: &Shared,
    method: &str,
    params: Params,
) -> Result<Value, RpcError> {
    if let Some(answer) = eth_rpc::dispatch(&DerivedChain(node), &shared.filters, method, &params) {
        return answer;
    }
    let state = node.state();
    let nonce = |address: Address| state.account(address).map_or(0, |a| a.nonce);
    match method {
        "web3_clientVersion" => Ok(json!(concat!(
            "native-rollup-sequencer/",
            env!("CARGO_PKG_VERSION")
        ))),
        "eth_chainId" => Ok(hex(node.config().chain_id())),
        "net_version" => Ok(json!(node.config().chain_id().to_string())),
        "net_listening" => Ok(json!(true)),
        // The node is always at the head it derived; `rollup_status` tells how far L1 is read.
        "eth_syncing" => Ok(json!(false)),
        "eth_gasPrice" => Ok(json!(
            U256::from(next_base_fee(node)) + U256::from(SUGGESTED_TIP)
        )),
        "eth_maxPriorityFeePerGas" => Ok(json!(U256::from(SUGGESTED_TIP))),
        "eth_blockNumber" => Ok(hex(node.head().number)),
        "eth_sendRawTransaction" => {
            let raw: Bytes = params.get(0, "transaction")?;
            let hash: B256 = shared.pool().add(raw, nonce).map_err(RpcError::server)?;
            Ok(json!(hash))
        }
        "eth_getTransactionCount" => {
            let address: Address = params.get(0, "address")?;
            let tag: Option<String> = params.optional(1, "block").unwrap_or_default();
            if tag.as_deref() == Some("pending") {
                return Ok(hex(shared.pool().pending_nonce(address, nonce(address))));
            }
            let account = state_at(node, &params, 1)?.account(address);
            Ok(hex(account.map_or(0, |a| a.nonce)))
        }
        "eth_getBalance" => {
            let address: Address = params.get(0, "address")?;
            let account = state_at(node, &params, 1)?.account(address);
            Ok(json!(account.map_or(U256::ZERO, |a| a.balance)))
        }
        "eth_getCode" => {
            let address: Address = params.get(0, "address")?;
            Ok(json!(state_at(node, &params, 1)?.code(address)))
        }
        "eth_getStorageAt" => {
            let address: Address = params.get(0, "address")?;
            let slot: U256 = params.get(1, "slot")?;
            let state = state_at(node, &params, 2)?;
            Ok(json!(B256::from(state.storage(address, slot))))
        }
        "eth_getProof" => {
            let state = state_at(node, &params, 2)?;
            eth_rpc::get_proof(&params, |address, slots| state.proof(address, slots))
        }
        WITNESS_METHOD => Err(RpcError::server(
            "debug_executionWitness is answered alone: send it as a single request",
        )),
        "eth_call" => {
            head_only(node, &params, 1)?;
            let request: CallParams = params.get(0, "call")?;
            let request = CallRequest::from(request);
            let (output, _) =
                with_call_env(node, |env| env.call(&request))?.map_err(eth_rpc::call_error)?;
            Ok(json!(output))
        }
        "eth_estimateGas" => {
            head_only(node, &params, 1)?;
            let request: CallParams = params.get(0, "call")?;
            let request = CallRequest::from(request);
            let gas = with_call_env(node, |env| env.estimate_gas(&request))?
                .map_err(eth_rpc::call_error)?;
            Ok(json!(U64::from(gas)))
        }
        "rollup_transactionStatus" => transaction_status(node, shared, params.get(0, "hash")?),
        "rollup_status" => {
            let cursor = node.cursor().map_err(RpcError::server)?;
            Ok(json!({
                "head": hex(node.head().number),
                "headHash": node.head().hash_slow(),
                "l1Block": hex(cursor.number),
                "l1Hash": cursor.hash,
                "nextBatch": hex(cursor.next_batch),
                "pool": shared.pool().len(),
            }))
        }
        other => Err(RpcError::no_method(other)),
    }
}
