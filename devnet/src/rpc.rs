//! JSON-RPC 2.0 over the node: request parsing, batches, errors with the standard codes, and
//! the `eth_`, `net_`, `web3_`, `debug_`, `evm_` and `execute_` methods.

use std::sync::Mutex;

use alloy_dyn_abi::TypedData;
use alloy_eips::BlockId;
use alloy_primitives::{Bytes, B256, U256, U64};
use alloy_rpc_types_eth::TransactionRequest;
use eth_rpc::{BlockView, CallParams, Chain, NextFees};
use execute::{call::CallRequest, store::MemoryStore, witness::StateAt};
use jsonrpc::{Params, RpcError};
pub use jsonrpc::{
    EXECUTION_REVERTED, INVALID_PARAMS, INVALID_REQUEST, METHOD_NOT_FOUND, PARSE_ERROR,
    SERVER_ERROR,
};
use serde_json::{json, Value};

use crate::{MinedBlock, Node};

impl MinedBlock {
    /// The block as the read methods see it.
    pub fn view(&self) -> BlockView<'_> {
        BlockView {
            header: &self.header,
            hash: self.hash,
            transactions: &self.transactions,
            tx_hashes: &self.tx_hashes,
            senders: &self.senders,
            receipts: &self.receipts,
            withdrawals: &[],
            blob_base_fee: self.blob_base_fee,
        }
    }
}

impl Chain for Node {
    fn latest(&self) -> u64 {
        Node::latest(self).header.number
    }

    fn visit_block(
        &self,
        number: u64,
        visit: &mut dyn FnMut(BlockView<'_>),
    ) -> Result<bool, RpcError> {
        Ok(self.block(number).map(|b| visit(b.view())).is_some())
    }

    fn block_number(&self, hash: B256) -> Result<Option<u64>, RpcError> {
        Ok(self.block_by_hash(hash).map(|b| b.header.number))
    }

    fn transaction_location(&self, hash: B256) -> Result<Option<(u64, usize)>, RpcError> {
        Ok(self
            .transaction(hash)
            .map(|(block, index)| (block.header.number, index)))
    }

    fn max_log_range(&self) -> u64 {
        Node::max_log_range(self)
    }

    fn next_fees(&self) -> NextFees {
        let next = self.pending_header();
        NextFees {
            base_fee: next.base_fee_per_gas.unwrap_or(0),
            blob_base_fee: self.blob_base_fee(&next),
        }
    }

    fn max_blob_gas(&self) -> u64 {
        self.chain().max_blob_gas_per_block()
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

/// The number a block parameter names (a number, a tag or an EIP-1898 hash; the latest when
/// absent), or geth's "header not found" for a block the chain does not hold.
fn block_id(node: &Node, block: Option<BlockId>) -> Result<u64, RpcError> {
    let Some(id) = block else {
        return Ok(node.latest().header.number);
    };
    eth_rpc::resolve_id(node, id)?
        .filter(|number| node.block(*number).is_some())
        .ok_or_else(|| RpcError::new(SERVER_ERROR, "header not found"))
}

/// The state after the block a read names: every mined block's state is kept.
fn state_at(node: &Node, block: Option<BlockId>) -> Result<StateAt<'_, MemoryStore>, RpcError> {
    let number = block_id(node, block)?;
    let state = node
        .state_at(number)
        .ok_or_else(|| RpcError::new(SERVER_ERROR, "header not found"))?;
    if !state.is_kept() {
        return Err(RpcError::new(
            SERVER_ERROR,
            format!("missing trie node of block {number}'s state"),
        ));
    }
    Ok(state)
}

/// Calls run on the latest state only.
fn latest_state(node: &Node, block: Option<BlockId>) -> Result<(), RpcError> {
    let number = block_id(node, block)?;
    if number != node.latest().header.number {
        return Err(RpcError::new(
            SERVER_ERROR,
            format!("calls run on the latest state only, not block {number}'s"),
        ));
    }
    Ok(())
}

fn dispatch(node: &mut Node, method: &str, params: Params) -> Result<Value, RpcError> {
    if let Some(answer) = eth_rpc::dispatch(&*node, node.filters(), method, &params) {
        return answer;
    }
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
        "eth_accounts" => Ok(json!(node.unlocked())),
        "eth_sendTransaction" => {
            let request: TransactionRequest = params.get(0, "transaction")?;
            let raw = node.sign_request(&request).map_err(RpcError::server)?;
            let hash = node
                .send_raw_transaction(&raw)
                .map_err(|e| RpcError::new(SERVER_ERROR, e.to_string()))?;
            Ok(json!(hash))
        }
        "eth_signTransaction" => {
            let request: TransactionRequest = params.get(0, "transaction")?;
            Ok(json!(node
                .sign_request(&request)
                .map_err(RpcError::server)?))
        }
        "eth_sign" | "personal_sign" => {
            // eth_sign takes (address, message), personal_sign (message, address).
            let (a, m) = if method == "eth_sign" { (0, 1) } else { (1, 0) };
            let message: Bytes = params.get(m, "message")?;
            let signature = node
                .sign_message(params.get(a, "address")?, &message)
                .map_err(RpcError::server)?;
            Ok(json!(Bytes::from(signature.as_bytes())))
        }
        "eth_signTypedData_v4" => {
            // Clients send the typed data as a JSON object or as a string holding one.
            let data: Value = params.get(1, "typedData")?;
            let data: TypedData = match data {
                Value::String(text) => serde_json::from_str(&text),
                other => serde_json::from_value(other),
            }
            .map_err(RpcError::params)?;
            let signature = node
                .sign_typed_data(params.get(0, "address")?, &data)
                .map_err(RpcError::server)?;
            Ok(json!(Bytes::from(signature.as_bytes())))
        }
        "eth_gasPrice" => Ok(json!(
            U256::from(node.next_base_fee()) + U256::from(1_000_000_000u64)
        )),
        "eth_maxPriorityFeePerGas" => Ok(json!(U256::from(1_000_000_000u64))),
        "eth_getBalance" => {
            let state = state_at(node, params.optional(1, "block")?)?;
            let account = state.account(params.get(0, "address")?);
            Ok(json!(account.map_or(U256::ZERO, |a| a.balance)))
        }
        "eth_getTransactionCount" => {
            let block: Option<BlockId> = params.optional(1, "block")?;
            let address = params.get(0, "address")?;
            if block == Some(BlockId::pending()) {
                return Ok(json!(U64::from(node.pending_nonce(address))));
            }
            let account = state_at(node, block)?.account(address);
            Ok(json!(U64::from(account.map_or(0, |a| a.nonce))))
        }
        "eth_getCode" => {
            let state = state_at(node, params.optional(1, "block")?)?;
            Ok(json!(state.code(params.get(0, "address")?)))
        }
        "eth_getStorageAt" => {
            let state = state_at(node, params.optional(2, "block")?)?;
            let slot: U256 = params.get(1, "slot")?;
            Ok(json!(B256::from(
                state.storage(params.get(0, "address")?, slot)
            )))
        }
        "eth_getProof" => {
            let state = state_at(node, params.optional(2, "block")?)?;
            eth_rpc::get_proof(&params, |address, slots| state.proof(address, slots))
        }
        "debug_executionWitness" => {
            let number = block_id(node, Some(params.get(0, "block")?))?;
            let traced = node
                .retrace(number)
                .ok_or_else(|| RpcError::new(SERVER_ERROR, "the genesis block has no witness"))?
                .map_err(RpcError::server)?;
            Ok(json!(traced.trace.execution_witness()))
        }
        "eth_call" => {
            latest_state(node, params.optional(1, "block")?)?;
            let request: CallParams = params.get(0, "call")?;
            let request = CallRequest::from(request);
            Ok(json!(node.call(&request).map_err(eth_rpc::call_error)?.0))
        }
        "eth_estimateGas" => {
            let request: CallParams = params.get(0, "call")?;
            let request = CallRequest::from(request);
            let gas = node.estimate_gas(&request).map_err(eth_rpc::call_error)?;
            Ok(json!(U64::from(gas)))
        }
        "eth_sendRawTransaction" => {
            let raw: Bytes = params.get(0, "transaction")?;
            let hash = node
                .send_raw_transaction(&raw)
                .map_err(|e| RpcError::new(SERVER_ERROR, e.to_string()))?;
            Ok(json!(hash))
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
