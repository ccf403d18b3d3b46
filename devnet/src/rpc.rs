//! JSON-RPC 2.0 over the node: request parsing, batches, errors with the standard codes, and
//! the `eth_`, `net_`, `web3_`, `evm_` and `execute_` methods.

use std::sync::Mutex;

use alloy_consensus::{Transaction as _, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_rpc_types_eth::{
    Block, BlockTransactions, EIP1186AccountProofResponse, EIP1186StorageProof,
    Header as RpcHeader, Log, Transaction, TransactionReceipt,
};
use alloy_serde::storage::JsonStorageKey;
use jsonrpc::{Params, RpcError};
pub use jsonrpc::{
    EXECUTION_REVERTED, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR,
    SERVER_ERROR,
};
use serde::Deserialize;
use serde_json::{json, Value};

use crate::{call::CallRequest, CallError, MinedBlock, Node};

impl From<CallError> for RpcError {
    fn from(err: CallError) -> Self {
        match err {
            CallError::Revert(data) => Self {
                code: EXECUTION_REVERTED,
                message: "execution reverted".into(),
                data: Some(json!(data)),
            },
            other => Self::server(other),
        }
    }
}

/// Answers one HTTP body: a request or a batch. `None` when nothing is to be sent back (only
/// notifications).
pub fn handle_body(node: &Mutex<Node>, body: &[u8]) -> Option<Value> {
    jsonrpc::handle_body(body, &mut |method, params| {
        let mut node = node.lock().unwrap_or_else(|poisoned| poisoned.into_inner());
        dispatch(&mut node, method, params)
    })
}

/// A block parameter: a number or a tag.
fn block_number(node: &Node, tag: Option<String>) -> Result<u64, RpcError> {
    let latest = node.latest().header.number;
    match tag.as_deref() {
        None | Some("latest" | "safe" | "finalized" | "pending") => Ok(latest),
        Some("earliest") => Ok(0),
        Some(hex) => {
            let number: U64 = hex
                .parse()
                .map_err(|_| RpcError::params(format!("bad block {hex}")))?;
            Ok(number.to())
        }
    }
}

/// State is kept for the latest block only.
fn latest_state(node: &Node, tag: Option<String>) -> Result<(), RpcError> {
    let number = block_number(node, tag)?;
    if number != node.latest().header.number {
        return Err(RpcError::new(
            SERVER_ERROR,
            format!("state of block {number} is not kept; only the latest"),
        ));
    }
    Ok(())
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct CallParams {
    from: Option<Address>,
    to: Option<Address>,
    input: Option<Bytes>,
    data: Option<Bytes>,
    value: Option<U256>,
    gas: Option<U64>,
    #[serde(default)]
    blob_versioned_hashes: Vec<B256>,
}

impl From<CallParams> for CallRequest {
    fn from(p: CallParams) -> Self {
        Self {
            from: p.from,
            to: p.to,
            // Clients may send both; `input` is the current name.
            data: p.input.or(p.data).unwrap_or_default(),
            value: p.value.unwrap_or_default(),
            gas: p.gas.map(|g| g.to()),
            blob_hashes: p.blob_versioned_hashes,
        }
    }
}

fn dispatch(node: &mut Node, method: &str, params: Params) -> Result<Value, RpcError> {
    match method {
        "web3_clientVersion" => Ok(json!(concat!(
            "native-rollup-devnet/",
            env!("CARGO_PKG_VERSION")
        ))),
        "net_version" => Ok(json!(node.chain().chain_id.to_string())),
        "net_listening" => Ok(json!(true)),
        "eth_chainId" => Ok(json!(U64::from(node.chain().chain_id))),
        "eth_blockNumber" => Ok(json!(U64::from(node.latest().header.number))),
        "eth_config" => {
            let genesis = &node.block(0).expect("the chain has a genesis").header;
            Ok(json!(crate::fork_config::eth_config(
                node.chain().params(),
                node.schedule(),
                (genesis.hash_slow(), genesis.timestamp),
                node.latest().header.timestamp,
            )))
        }
        "eth_syncing" | "eth_mining" => Ok(json!(false)),
        "eth_accounts" => Ok(json!(Vec::<Address>::new())),
        "eth_gasPrice" => Ok(json!(
            U256::from(node.next_base_fee()) + U256::from(1_000_000_000u64)
        )),
        "eth_maxPriorityFeePerGas" => Ok(json!(U256::from(1_000_000_000u64))),
        "eth_getBalance" => {
            latest_state(node, params.optional(1, "block")?)?;
            Ok(json!(node.balance(params.get(0, "address")?)))
        }
        "eth_getTransactionCount" => {
            let tag: Option<String> = params.optional(1, "block")?;
            let address = params.get(0, "address")?;
            if tag.as_deref() == Some("pending") {
                return Ok(json!(U64::from(node.pending_nonce(address))));
            }
            latest_state(node, tag)?;
            Ok(json!(U64::from(node.nonce(address))))
        }
        "eth_getCode" => {
            latest_state(node, params.optional(1, "block")?)?;
            Ok(json!(node.code(params.get(0, "address")?)))
        }
        "eth_getStorageAt" => {
            latest_state(node, params.optional(2, "block")?)?;
            let slot: U256 = params.get(1, "slot")?;
            Ok(json!(B256::from(
                node.storage(params.get(0, "address")?, slot)
            )))
        }
        "eth_getProof" => {
            latest_state(node, params.optional(2, "block")?)?;
            let address: Address = params.get(0, "address")?;
            let keys: Vec<JsonStorageKey> = params.get(1, "storageKeys")?;
            let slots: Vec<B256> = keys.iter().map(JsonStorageKey::as_b256).collect();
            let proof = node.proof(address, &slots);
            to_json(&EIP1186AccountProofResponse {
                address,
                balance: proof.account.balance,
                code_hash: proof.account.code_hash,
                nonce: proof.account.nonce,
                storage_hash: proof.storage_root,
                account_proof: proof.account_proof,
                storage_proof: proof
                    .storage
                    .into_iter()
                    .map(|(key, value, proof)| EIP1186StorageProof {
                        key: key.into(),
                        value,
                        proof,
                    })
                    .collect(),
            })
        }
        "eth_call" => {
            latest_state(node, params.optional(1, "block")?)?;
            let request: CallParams = params.get(0, "call")?;
            Ok(json!(node.call(&request.into())?.0))
        }
        "eth_estimateGas" => {
            let request: CallParams = params.get(0, "call")?;
            Ok(json!(U64::from(node.estimate_gas(&request.into())?)))
        }
        "eth_sendRawTransaction" => {
            let raw: Bytes = params.get(0, "transaction")?;
            let hash = node
                .send_raw_transaction(&raw)
                .map_err(|e| RpcError::new(SERVER_ERROR, e.to_string()))?;
            Ok(json!(hash))
        }
        "eth_getBlockByNumber" => {
            let number = block_number(node, params.get(0, "block")?)?;
            let full: bool = params.optional(1, "full")?.unwrap_or(false);
            node.block(number)
                .map_or(Ok(Value::Null), |b| to_json(&rpc_block(b, full)))
        }
        "eth_getBlockByHash" => {
            let hash: B256 = params.get(0, "hash")?;
            let full: bool = params.optional(1, "full")?.unwrap_or(false);
            node.block_by_hash(hash)
                .map_or(Ok(Value::Null), |b| to_json(&rpc_block(b, full)))
        }
        "eth_getTransactionByHash" => {
            let hash: B256 = params.get(0, "hash")?;
            node.transaction(hash)
                .map_or(Ok(Value::Null), |(b, i)| to_json(&rpc_transaction(b, i)))
        }
        "eth_getTransactionReceipt" => {
            let hash: B256 = params.get(0, "hash")?;
            node.transaction(hash)
                .map_or(Ok(Value::Null), |(b, i)| to_json(&rpc_receipt(b, i)))
        }
        "eth_feeHistory" => {
            let count: U64 = params.get(0, "blockCount")?;
            let newest = block_number(node, params.get(1, "newestBlock")?)?;
            let percentiles: Vec<f64> =
                params.optional(2, "rewardPercentiles")?.unwrap_or_default();
            Ok(fee_history(
                node,
                count.to::<u64>().clamp(1, 1024),
                newest,
                &percentiles,
            ))
        }
        "eth_blobBaseFee" => Ok(json!(U256::from(
            node.blob_base_fee(&node.pending_header())
        ))),
        "evm_mine" => {
            let block = node
                .mine_pending()
                .map_err(|e| RpcError::new(SERVER_ERROR, e.to_string()))?;
            Ok(json!(U64::from(block.header.number)))
        }
        "evm_snapshot" => Ok(json!(U64::from(node.snapshot()))),
        "evm_revert" => {
            let id: U64 = params.get(0, "snapshot")?;
            let reverted = node
                .revert(id.to())
                .map_err(|e| RpcError::new(SERVER_ERROR, e.to_string()))?;
            Ok(json!(reverted))
        }
        "evm_increaseTime" => {
            let seconds: U64 = params.get(0, "seconds")?;
            let offset = node
                .increase_time(seconds.to())
                .map_err(|e| RpcError::new(SERVER_ERROR, e.to_string()))?;
            Ok(json!(U64::from(offset)))
        }
        "eth_getLogs" => {
            let filter: LogFilter = params.get(0, "filter")?;
            to_json(&logs(node, &filter)?)
        }
        "evm_setNextBlockTimestamp" => {
            let timestamp: U64 = params.get(0, "timestamp")?;
            node.set_next_timestamp(timestamp.to());
            Ok(Value::Null)
        }
        "execute_market" => {
            // The EXECUTE market of a block: its price and the EXECUTE gas its calls declared.
            let number = block_number(node, params.optional(0, "block")?)?;
            let block = node
                .block(number)
                .ok_or_else(|| RpcError::params(format!("no block {number}")))?;
            let pending = node.execute_market();
            Ok(json!({
                "block": U64::from(number),
                "price": U64::from(block.execute_price),
                "cumulativeGas": U64::from(block.execute_gas),
                "nextPrice": U64::from(pending.price),
                "target": U64::from(pending.config.cumulative_gas_target),
                "limit": U64::from(pending.config.cumulative_gas_limit),
            }))
        }
        _ => Err(RpcError::new(
            METHOD_NOT_FOUND,
            format!("the method {method} does not exist/is not available"),
        )),
    }
}

/// `eth_feeHistory`: base fees (with the next block's), gas used ratios, blob fees, and the
/// priority fees paid at the given percentiles of each block's gas.
fn fee_history(node: &Node, count: u64, newest: u64, percentiles: &[f64]) -> Value {
    let newest = newest.min(node.latest().header.number);
    let oldest = newest.saturating_sub(count - 1);
    let blocks: Vec<&MinedBlock> = (oldest..=newest).filter_map(|n| node.block(n)).collect();
    let next = node
        .block(newest + 1)
        .map_or_else(|| node.pending_header(), |b| b.header.clone());
    let mut base_fees: Vec<U256> = blocks
        .iter()
        .map(|b| U256::from(b.header.base_fee_per_gas.unwrap_or(0)))
        .collect();
    base_fees.push(U256::from(next.base_fee_per_gas.unwrap_or(0)));
    let mut blob_fees: Vec<U256> = blocks
        .iter()
        .map(|b| U256::from(node.blob_base_fee(&b.header)))
        .collect();
    blob_fees.push(U256::from(node.blob_base_fee(&next)));
    let max_blob_gas = node.chain().max_blob_gas_per_block().max(1) as f64;
    let mut history = json!({
        "oldestBlock": U64::from(oldest),
        "baseFeePerGas": base_fees,
        "gasUsedRatio": blocks.iter().map(|b| b.header.gas_used as f64 / b.header.gas_limit as f64).collect::<Vec<_>>(),
        "baseFeePerBlobGas": blob_fees,
        "blobGasUsedRatio": blocks.iter().map(|b| b.header.blob_gas_used.unwrap_or(0) as f64 / max_blob_gas).collect::<Vec<_>>(),
    });
    if !percentiles.is_empty() {
        let rewards: Vec<Vec<U256>> = blocks
            .iter()
            .map(|b| block_rewards(b, percentiles))
            .collect();
        history["reward"] = json!(rewards);
    }
    history
}

/// Priority fee per gas paid at each percentile of a block's gas, lowest tips first.
fn block_rewards(block: &MinedBlock, percentiles: &[f64]) -> Vec<U256> {
    let base_fee = block.header.base_fee_per_gas.unwrap_or(0);
    let mut previous = 0;
    let mut tips: Vec<(u128, u64)> = block
        .transactions
        .iter()
        .zip(&block.receipts)
        .filter_map(|(raw, receipt)| {
            let tx = TxEnvelope::decode_2718_exact(raw.as_ref()).ok()?;
            let used = receipt.cumulative_gas_used() - previous;
            previous = receipt.cumulative_gas_used();
            Some((tx.effective_tip_per_gas(base_fee).unwrap_or(0), used))
        })
        .collect();
    tips.sort_unstable();
    let total: u64 = tips.iter().map(|(_, gas)| gas).sum();
    percentiles
        .iter()
        .map(|p| {
            let threshold = (total as f64 * p / 100.0) as u64;
            let mut cumulative = 0;
            let tip = tips.iter().find(|(_, gas)| {
                cumulative += gas;
                cumulative >= threshold
            });
            U256::from(tip.or(tips.last()).map_or(0, |(tip, _)| *tip))
        })
        .collect()
}

/// An `eth_getLogs` filter.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct LogFilter {
    from_block: Option<String>,
    to_block: Option<String>,
    block_hash: Option<B256>,
    #[serde(default)]
    address: OneOrMany<Address>,
    #[serde(default)]
    topics: Vec<Option<OneOrMany<B256>>>,
}

/// A filter field that is one value or a list of alternatives (empty: any).
#[derive(Deserialize)]
#[serde(untagged)]
enum OneOrMany<T> {
    One(T),
    Many(Vec<T>),
}

impl<T> Default for OneOrMany<T> {
    fn default() -> Self {
        Self::Many(Vec::new())
    }
}

impl<T: PartialEq> OneOrMany<T> {
    fn matches(&self, value: &T) -> bool {
        match self {
            Self::One(one) => one == value,
            Self::Many(many) => many.is_empty() || many.contains(value),
        }
    }
}

fn logs(node: &Node, filter: &LogFilter) -> Result<Vec<Log>, RpcError> {
    let (from, to) = match filter.block_hash {
        Some(hash) => {
            let block = node
                .block_by_hash(hash)
                .ok_or_else(|| RpcError::params("unknown block hash"))?;
            (block.header.number, block.header.number)
        }
        None => (
            block_number(node, filter.from_block.clone())?,
            block_number(node, filter.to_block.clone())?,
        ),
    };
    if from > to {
        return Err(RpcError::params("fromBlock is after toBlock"));
    }
    let max = node.max_log_range();
    if to - from >= max {
        return Err(RpcError::new(
            SERVER_ERROR,
            format!("block range over {max} blocks"),
        ));
    }
    let mut out = Vec::new();
    for block in (from..=to).filter_map(|n| node.block(n)) {
        for index in 0..block.receipts.len() {
            let receipt = rpc_receipt(block, index);
            out.extend(
                receipt
                    .inner
                    .logs()
                    .iter()
                    .filter(|log| {
                        filter.address.matches(&log.address())
                            && filter
                                .topics
                                .iter()
                                .enumerate()
                                .all(|(i, wanted)| match wanted {
                                    None => true,
                                    Some(wanted) => {
                                        log.topics().get(i).is_some_and(|t| wanted.matches(t))
                                    }
                                })
                    })
                    .cloned(),
            );
        }
    }
    Ok(out)
}

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, RpcError> {
    serde_json::to_value(value).map_err(|e| RpcError::new(SERVER_ERROR, e.to_string()))
}

fn rpc_transaction(block: &MinedBlock, index: usize) -> Transaction {
    let tx = TxEnvelope::decode_2718_exact(block.transactions[index].as_ref())
        .expect("mined transactions decode");
    let base_fee = block.header.base_fee_per_gas;
    Transaction {
        effective_gas_price: Some(tx.effective_gas_price(base_fee)),
        inner: alloy_consensus::transaction::Recovered::new_unchecked(tx, block.senders[index]),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        transaction_index: Some(index as u64),
        block_timestamp: Some(block.header.timestamp),
    }
}

fn rpc_receipt(block: &MinedBlock, index: usize) -> TransactionReceipt {
    let tx = rpc_transaction(block, index);
    let receipt = &block.receipts[index];
    let previous = index
        .checked_sub(1)
        .map_or(0, |i| block.receipts[i].cumulative_gas_used());
    let logs_before: usize = block.receipts[..index].iter().map(|r| r.logs().len()).sum();
    let hash = block.tx_hashes[index];
    let mut log_index = logs_before as u64;
    let inner = receipt.clone().map_logs(|log| {
        let rpc = Log {
            inner: log,
            block_hash: Some(block.hash),
            block_number: Some(block.header.number),
            block_timestamp: Some(block.header.timestamp),
            transaction_hash: Some(hash),
            transaction_index: Some(index as u64),
            log_index: Some(log_index),
            removed: false,
        };
        log_index += 1;
        rpc
    });
    let sender = block.senders[index];
    let to = tx.inner.to();
    TransactionReceipt {
        inner,
        transaction_hash: hash,
        transaction_index: Some(index as u64),
        block_hash: Some(block.hash),
        block_number: Some(block.header.number),
        gas_used: receipt.cumulative_gas_used() - previous,
        effective_gas_price: tx.effective_gas_price.unwrap_or_default(),
        blob_gas_used: tx.inner.blob_gas_used(),
        blob_gas_price: tx.inner.blob_gas_used().map(|_| block.blob_base_fee),
        from: sender,
        to,
        contract_address: to.is_none().then(|| sender.create(tx.inner.nonce())),
    }
}

fn rpc_block(block: &MinedBlock, full: bool) -> Block {
    let transactions = if full {
        BlockTransactions::Full(
            (0..block.transactions.len())
                .map(|i| rpc_transaction(block, i))
                .collect(),
        )
    } else {
        BlockTransactions::Hashes(block.tx_hashes.clone())
    };
    let mut header = RpcHeader::new(block.header.clone());
    header.total_difficulty = Some(U256::ZERO);
    Block {
        header,
        uncles: Vec::new(),
        transactions,
        withdrawals: block.header.withdrawals_root.map(|_| Vec::new().into()),
    }
}
