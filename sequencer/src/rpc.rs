//! The L2 JSON-RPC endpoint: users send transactions to the pool and read the derived chain's
//! head state and blocks (`eth_` methods a wallet needs), and `rollup_status` tells where
//! derivation stands.

use std::{net::SocketAddr, sync::Arc};

use alloy_consensus::{
    transaction::{Recovered, SignerRecoverable},
    Transaction as _, TxEnvelope,
};
use alloy_eips::{eip1559::BaseFeeParams, eip2718::Decodable2718};
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_rpc_types_eth::{Block, BlockTransactions, Header as RpcHeader, Transaction};
use axum::{
    body::Bytes as Body,
    extract::{DefaultBodyLimit, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::post,
    Router,
};
use jsonrpc::{HttpServer, Params, RpcError};
use l2_node::{node::L2Node, store::BlockRecord};
use serde_json::{json, Value};

use crate::pool::Pool;

/// Largest request body: a batch of transactions as large as a blob, hex-encoded.
const MAX_BODY_BYTES: usize = 4 * 1024 * 1024;

/// The priority fee suggested to wallets: the pool orders by fee, and the L2 has no shortage of
/// space at today's loads, so one gwei (what L1 clients suggest) is enough.
const SUGGESTED_TIP: u64 = 1_000_000_000;

/// What the endpoint and the sequencer loop share.
#[derive(Debug)]
pub struct Shared {
    /// The L2 node: the chain derived from L1.
    pub node: tokio::sync::Mutex<L2Node>,
    /// Transactions waiting for a batch.
    pub pool: std::sync::Mutex<Pool>,
}

impl Shared {
    /// Shares `node` and `pool`.
    pub fn new(node: L2Node, pool: Pool) -> Arc<Self> {
        Arc::new(Self {
            node: tokio::sync::Mutex::new(node),
            pool: std::sync::Mutex::new(pool),
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

async fn handle(State(shared): State<Arc<Shared>>, body: Body) -> Response {
    let node = shared.node.lock().await;
    let answer = jsonrpc::handle_body(&body, &mut |method, params| {
        dispatch(&node, &shared, method, params)
    });
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

/// Only the head's state is served.
fn head_only(node: &L2Node, params: &Params, index: usize) -> Result<(), RpcError> {
    match params.optional::<String>(index, "block")?.as_deref() {
        None | Some("latest" | "pending" | "safe" | "finalized") => Ok(()),
        Some(tag) => {
            let number: U64 = tag
                .parse()
                .map_err(|_| RpcError::params(format!("bad block {tag}")))?;
            if number.to::<u64>() == node.head().number {
                Ok(())
            } else {
                Err(RpcError::server("only the head's state is served"))
            }
        }
    }
}

/// The base fee of the block after the head.
fn next_base_fee(node: &L2Node) -> u64 {
    let head = node.head();
    head.base_fee_per_gas.map_or(0, |fee| {
        BaseFeeParams::ethereum().next_block_base_fee(head.gas_used, head.gas_limit, fee)
    })
}

/// A derived block as `eth_getBlockByNumber` serves it: the included candidates only, as hashes
/// or (`full`) as transactions with their senders.
fn rpc_block(record: &BlockRecord, full: bool) -> Result<Block, RpcError> {
    let header = &record.header;
    let hash = header.hash_slow();
    let included = record
        .candidates
        .iter()
        .zip(record.positions.windows(2))
        .filter(|(_, pair)| pair[1].included > pair[0].included)
        .map(|(raw, _)| raw);
    let transactions = if full {
        let txs = included
            .enumerate()
            .map(|(index, raw)| {
                // The inclusion rule admitted it, so it decodes and its signature recovers.
                let tx = TxEnvelope::decode_2718_exact(raw.as_ref()).map_err(RpcError::server)?;
                let sender = tx.recover_signer().map_err(RpcError::server)?;
                Ok(Transaction {
                    effective_gas_price: Some(tx.effective_gas_price(header.base_fee_per_gas)),
                    inner: Recovered::new_unchecked(tx, sender),
                    block_hash: Some(hash),
                    block_number: Some(header.number),
                    transaction_index: Some(index as u64),
                    block_timestamp: Some(header.timestamp),
                })
            })
            .collect::<Result<_, RpcError>>()?;
        BlockTransactions::Full(txs)
    } else {
        BlockTransactions::Hashes(included.map(alloy_primitives::keccak256).collect())
    };
    let mut rpc_header = RpcHeader::new(header.clone());
    rpc_header.total_difficulty = Some(U256::ZERO);
    Ok(Block {
        header: rpc_header,
        uncles: Vec::new(),
        transactions,
        withdrawals: header.withdrawals_root.map(|_| Vec::new().into()),
    })
}

fn dispatch(
    node: &L2Node,
    shared: &Shared,
    method: &str,
    params: Params,
) -> Result<Value, RpcError> {
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
            let tag: Option<String> = params.optional(1, "block")?;
            if tag.as_deref() == Some("pending") {
                return Ok(hex(shared.pool().pending_nonce(address, nonce(address))));
            }
            head_only(node, &params, 1)?;
            Ok(hex(nonce(address)))
        }
        "eth_getBalance" => {
            let address: Address = params.get(0, "address")?;
            head_only(node, &params, 1)?;
            let balance = state.account(address).map_or(U256::ZERO, |a| a.balance);
            Ok(json!(balance))
        }
        "eth_getCode" => {
            let address: Address = params.get(0, "address")?;
            head_only(node, &params, 1)?;
            Ok(json!(state.code(address)))
        }
        "eth_getStorageAt" => {
            let address: Address = params.get(0, "address")?;
            let slot: U256 = params.get(1, "slot")?;
            head_only(node, &params, 2)?;
            Ok(json!(B256::from(state.storage(address, slot))))
        }
        "eth_getBlockByNumber" => {
            let tag: String = params.get(0, "block")?;
            let full: bool = params.optional(1, "full")?.unwrap_or(false);
            let number = match tag.as_str() {
                "latest" | "pending" | "safe" | "finalized" => node.head().number,
                "earliest" => 0,
                other => other
                    .parse::<U64>()
                    .map_err(|_| RpcError::params(format!("bad block {other}")))?
                    .to(),
            };
            let Ok(record) = node.store().block(number) else {
                return Ok(Value::Null);
            };
            serde_json::to_value(rpc_block(&record, full)?).map_err(RpcError::server)
        }
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
