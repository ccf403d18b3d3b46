//! The read side of Ethereum's JSON-RPC over any chain that can show its blocks as
//! [`BlockView`]s: blocks by number and hash, transactions and receipts by hash, logs and log
//! and block filters, fee history. The devnet and the L2 node each implement [`Chain`] over
//! their own store and answer these methods through [`dispatch`]; what is particular to each
//! (state reads, sending, mining) stays in their own dispatcher.

pub mod block;
pub mod filters;

use std::{ops::RangeInclusive, sync::Mutex};

use alloy_eips::{BlockId, BlockNumberOrTag};
use alloy_primitives::{B256, U64};
use alloy_rpc_types_eth::{
    EIP1186AccountProofResponse, EIP1186StorageProof, FeeHistory, Filter, FilterBlockOption, Log,
};
use alloy_serde::storage::JsonStorageKey;
pub use block::BlockView;
use execute::{
    call::{CallError, CallRequest},
    witness::AccountProof,
};
pub use filters::{FilterKind, Filters};
use jsonrpc::{Params, RpcError, EXECUTION_REVERTED};
use serde::Deserialize;
use serde_json::{json, Value};

/// The most blocks `eth_feeHistory` reports at once.
pub const MAX_FEE_HISTORY: u64 = 1024;
/// The most reward percentiles one `eth_feeHistory` may ask for (geth's limit).
pub const MAX_REWARD_PERCENTILES: usize = 100;
/// The most logs one `eth_getLogs` answers (what public providers allow).
pub const MAX_LOGS: usize = 10_000;

/// The fees of the block after the latest.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NextFees {
    /// Its base fee per gas.
    pub base_fee: u64,
    /// Its price of a unit of blob gas.
    pub blob_base_fee: u128,
}

/// A chain whose blocks the read methods serve.
pub trait Chain {
    /// The latest block's number.
    fn latest(&self) -> u64;
    /// Calls `visit` with block `number`; whether the chain holds it.
    fn visit_block(
        &self,
        number: u64,
        visit: &mut dyn FnMut(BlockView<'_>),
    ) -> Result<bool, RpcError>;
    /// The number of the block with `hash`, if the chain holds it.
    fn block_number(&self, hash: B256) -> Result<Option<u64>, RpcError>;
    /// The block and index of the included transaction with `hash`.
    fn transaction_location(&self, hash: B256) -> Result<Option<(u64, usize)>, RpcError>;
    /// The most blocks one `eth_getLogs` may cover.
    fn max_log_range(&self) -> u64;
    /// The fees of the next block.
    fn next_fees(&self) -> NextFees;
    /// Blob gas a block may use (zero on a chain without blobs).
    fn max_blob_gas(&self) -> u64;
}

/// Runs `f` on block `number`, if the chain holds it.
pub fn with_block<C: Chain + ?Sized, R>(
    chain: &C,
    number: u64,
    f: impl FnOnce(BlockView<'_>) -> Result<R, RpcError>,
) -> Result<Option<R>, RpcError> {
    let mut f = Some(f);
    let mut out = None;
    chain.visit_block(number, &mut |view| {
        if let Some(f) = f.take() {
            out = Some(f(view));
        }
    })?;
    out.transpose()
}

/// The number a block tag names on `chain`: every tag but `earliest` is the latest block (the
/// chains served here have no pending block and no separate safe head).
pub fn resolve(chain: &(impl Chain + ?Sized), tag: BlockNumberOrTag) -> u64 {
    match tag {
        BlockNumberOrTag::Earliest => 0,
        BlockNumberOrTag::Number(n) => n,
        _ => chain.latest(),
    }
}

/// The number a block id names, if the chain holds a block with that hash.
pub fn resolve_id(chain: &(impl Chain + ?Sized), id: BlockId) -> Result<Option<u64>, RpcError> {
    match id {
        BlockId::Number(tag) => Ok(Some(resolve(chain, tag))),
        BlockId::Hash(hash) => chain.block_number(hash.block_hash),
    }
}

/// A call's fields as `eth_call` and `eth_estimateGas` take them.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct CallParams {
    from: Option<alloy_primitives::Address>,
    to: Option<alloy_primitives::Address>,
    input: Option<alloy_primitives::Bytes>,
    data: Option<alloy_primitives::Bytes>,
    value: Option<alloy_primitives::U256>,
    gas: Option<U64>,
    #[serde(default)]
    blob_versioned_hashes: Vec<B256>,
    #[serde(default)]
    access_list: alloy_eips::eip2930::AccessList,
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
            access_list: p.access_list,
        }
    }
}

/// A failed call as geth reports it: a revert carries its data under [`EXECUTION_REVERTED`].
pub fn call_error(err: CallError) -> RpcError {
    match err {
        CallError::Revert(data) => RpcError {
            code: EXECUTION_REVERTED,
            message: "execution reverted".into(),
            data: Some(json!(data)),
        },
        other => RpcError::server(other),
    }
}

/// Answers `eth_getProof` (address, storage keys) with the proofs `prove` builds over the
/// state the caller chose.
pub fn get_proof(
    params: &Params,
    prove: impl FnOnce(alloy_primitives::Address, &[B256]) -> AccountProof,
) -> Result<Value, RpcError> {
    let address = params.get(0, "address")?;
    let keys: Vec<JsonStorageKey> = params.get(1, "storageKeys")?;
    let slots: Vec<B256> = keys.iter().map(JsonStorageKey::as_b256).collect();
    let proof = prove(address, &slots);
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

fn to_json<T: serde::Serialize>(value: &T) -> Result<Value, RpcError> {
    serde_json::to_value(value).map_err(RpcError::server)
}

/// The blocks a log filter covers with the chain at its latest block.
fn log_range(
    chain: &(impl Chain + ?Sized),
    filter: &Filter,
) -> Result<RangeInclusive<u64>, RpcError> {
    match filter.block_option {
        FilterBlockOption::AtBlockHash(hash) => {
            let number = chain
                .block_number(hash)?
                .ok_or_else(|| RpcError::params(format!("unknown block {hash}")))?;
            Ok(number..=number)
        }
        FilterBlockOption::Range {
            from_block,
            to_block,
        } => {
            let latest = chain.latest();
            let from = from_block.map_or(latest, |t| resolve(chain, t));
            let to = to_block.map_or(latest, |t| resolve(chain, t)).min(latest);
            Ok(from..=to)
        }
    }
}

/// The logs of `blocks` that match `filter`, at most [`Chain::max_log_range`] blocks at once.
pub fn logs(
    chain: &(impl Chain + ?Sized),
    filter: &Filter,
    blocks: RangeInclusive<u64>,
) -> Result<Vec<Log>, RpcError> {
    let (from, to) = (*blocks.start(), *blocks.end());
    if from > to {
        // A range that starts after the latest block holds nothing yet.
        return if from > chain.latest() {
            Ok(Vec::new())
        } else {
            Err(RpcError::params("fromBlock is after toBlock"))
        };
    }
    let max = chain.max_log_range();
    if to - from >= max {
        return Err(RpcError::server(format!(
            "block range over {max} blocks; ask for a shorter range"
        )));
    }
    let mut out = Vec::new();
    for number in blocks {
        // Not by the header's bloom: an L2 header commits to no receipts, so its bloom is empty.
        with_block(chain, number, |view| {
            out.extend(
                view.logs()?
                    .into_iter()
                    .filter(|log| filter.matches(&log.inner)),
            );
            Ok(())
        })?;
        // Checked after each block, so a long range stops as soon as it is over.
        if out.len() > MAX_LOGS {
            return Err(RpcError::server(format!(
                "query returned more than {MAX_LOGS} results; ask for a shorter range"
            )));
        }
    }
    Ok(out)
}

/// `eth_feeHistory` for `count` blocks up to `newest`.
fn fee_history(
    chain: &(impl Chain + ?Sized),
    count: u64,
    newest: u64,
    percentiles: &[f64],
) -> Result<FeeHistory, RpcError> {
    let newest = newest.min(chain.latest());
    let oldest = newest.saturating_sub(count.clamp(1, MAX_FEE_HISTORY) - 1);
    let max_blob_gas = chain.max_blob_gas().max(1) as f64;
    let mut history = FeeHistory {
        oldest_block: oldest,
        reward: (!percentiles.is_empty()).then(Vec::new),
        ..FeeHistory::default()
    };
    for number in oldest..=newest {
        with_block(chain, number, |view| {
            let header = view.header;
            history
                .base_fee_per_gas
                .push(u128::from(header.base_fee_per_gas.unwrap_or(0)));
            history
                .gas_used_ratio
                .push(header.gas_used as f64 / header.gas_limit.max(1) as f64);
            history.base_fee_per_blob_gas.push(view.blob_base_fee);
            history
                .blob_gas_used_ratio
                .push(header.blob_gas_used.unwrap_or(0) as f64 / max_blob_gas);
            if let Some(reward) = &mut history.reward {
                reward.push(view.rewards(percentiles));
            }
            Ok(())
        })?;
    }
    // The fees of the block after the newest: the next block's when that is the latest.
    let next = if newest == chain.latest() {
        let next = chain.next_fees();
        Some((u128::from(next.base_fee), next.blob_base_fee))
    } else {
        with_block(chain, newest + 1, |view| {
            Ok((
                u128::from(view.header.base_fee_per_gas.unwrap_or(0)),
                view.blob_base_fee,
            ))
        })?
    };
    if let Some((base_fee, blob_fee)) = next {
        history.base_fee_per_gas.push(base_fee);
        history.base_fee_per_blob_gas.push(blob_fee);
    }
    Ok(history)
}

/// Block hashes of `blocks`.
fn block_hashes(
    chain: &(impl Chain + ?Sized),
    blocks: RangeInclusive<u64>,
) -> Result<Vec<B256>, RpcError> {
    let mut hashes = Vec::new();
    for number in blocks {
        with_block(chain, number, |view| {
            hashes.push(view.hash);
            Ok(())
        })?;
    }
    Ok(hashes)
}

/// The block a by-number or by-hash method names in its first parameter: a number or tag for
/// the `...Number...` form, a hash (`None` if unknown) for the `...Hash...` form.
fn block_param(
    chain: &(impl Chain + ?Sized),
    method: &str,
    params: &Params,
) -> Result<Option<u64>, RpcError> {
    if method.contains("Hash") {
        chain.block_number(params.get(0, "hash")?)
    } else {
        Ok(Some(resolve(chain, params.get(0, "block")?)))
    }
}

/// `answer` over block `number`; null when there is no such block.
fn at_block(
    chain: &(impl Chain + ?Sized),
    number: Option<u64>,
    answer: impl FnOnce(BlockView<'_>) -> Result<Value, RpcError>,
) -> Result<Value, RpcError> {
    let Some(number) = number else {
        return Ok(Value::Null);
    };
    with_block(chain, number, answer).map(Option::unwrap_or_default)
}

/// Answers `method` if it is one of the read methods served here; `None` if it is not, for
/// the caller's own dispatcher. `filters` holds the server's installed filters.
pub fn dispatch(
    chain: &(impl Chain + ?Sized),
    filters: &Mutex<Filters>,
    method: &str,
    params: &Params,
) -> Option<Result<Value, RpcError>> {
    let filters = || filters.lock().unwrap_or_else(|p| p.into_inner());
    let answer = match method {
        "eth_getBlockByNumber" | "eth_getBlockByHash" => (|| {
            let number = block_param(chain, method, params)?;
            let full: bool = params.optional(1, "full")?.unwrap_or(false);
            at_block(chain, number, |view| to_json(&view.block(full)?))
        })(),
        "debug_getRawBlock" => (|| {
            let number = resolve_id(chain, params.get(0, "block")?)?;
            at_block(chain, number, |view| Ok(json!(view.raw()?)))
        })(),
        "eth_getBlockTransactionCountByNumber" | "eth_getBlockTransactionCountByHash" => (|| {
            let number = block_param(chain, method, params)?;
            at_block(chain, number, |view| {
                Ok(json!(U64::from(view.transactions.len())))
            })
        })(
        ),
        "eth_getTransactionByHash" | "eth_getTransactionReceipt" => (|| {
            let hash: B256 = params.get(0, "hash")?;
            let location = chain.transaction_location(hash)?;
            at_block(chain, location.map(|(number, _)| number), |view| {
                let index = location.map_or(0, |(_, index)| index);
                if method == "eth_getTransactionByHash" {
                    to_json(&view.transaction(index)?)
                } else {
                    to_json(&view.receipt(index)?)
                }
            })
        })(),
        "eth_getTransactionByBlockNumberAndIndex" | "eth_getTransactionByBlockHashAndIndex" => {
            (|| {
                let number = block_param(chain, method, params)?;
                let index: U64 = params.get(1, "index")?;
                at_block(chain, number, |view| {
                    to_json(&view.transaction(usize::try_from(index).unwrap_or(usize::MAX))?)
                })
            })()
        }
        "eth_getBlockReceipts" => (|| {
            let number = resolve_id(chain, params.get(0, "block")?)?;
            at_block(chain, number, |view| to_json(&view.receipts()?))
        })(),
        "eth_getLogs" => (|| {
            let filter: Filter = params.get(0, "filter")?;
            to_json(&logs(chain, &filter, log_range(chain, &filter)?)?)
        })(),
        "eth_feeHistory" => (|| {
            let count: U64 = params.get(0, "blockCount")?;
            let newest = resolve(chain, params.get(1, "newestBlock")?);
            let percentiles: Vec<f64> =
                params.optional(2, "rewardPercentiles")?.unwrap_or_default();
            if percentiles.len() > MAX_REWARD_PERCENTILES {
                return Err(RpcError::params(format!(
                    "at most {MAX_REWARD_PERCENTILES} rewardPercentiles"
                )));
            }
            if percentiles.windows(2).any(|w| w[0] > w[1])
                || percentiles.iter().any(|p| !(0.0..=100.0).contains(p))
            {
                return Err(RpcError::params(
                    "rewardPercentiles must rise from 0 to 100",
                ));
            }
            to_json(&fee_history(chain, count.to(), newest, &percentiles)?)
        })(),
        "eth_newFilter" => (|| {
            let filter: Filter = params.get(0, "filter")?;
            if let FilterBlockOption::AtBlockHash(_) = filter.block_option {
                return Err(RpcError::params("a filter cannot watch one block hash"));
            }
            to_json(&filters().install(FilterKind::Logs(Box::new(filter)), chain.latest())?)
        })(),
        "eth_newBlockFilter" => {
            (|| to_json(&filters().install(FilterKind::Blocks, chain.latest())?))()
        }
        "eth_uninstallFilter" => (|| Ok(json!(filters().uninstall(params.get(0, "id")?))))(),
        "eth_getFilterChanges" => (|| {
            let (kind, blocks) = filters().poll(params.get(0, "id")?, chain.latest())?;
            match kind {
                FilterKind::Blocks => {
                    // A slow poller gets the latest blocks the range cap allows.
                    let to = *blocks.end();
                    let from = (*blocks.start())
                        .max(to.saturating_sub(chain.max_log_range().saturating_sub(1)));
                    to_json(&block_hashes(chain, from..=to)?)
                }
                FilterKind::Logs(filter) => {
                    // The new blocks, within the filter's own numbered bounds if it has any
                    // (an absent or tagged bound does not narrow them).
                    let bound = |tag: Option<&BlockNumberOrTag>| tag.and_then(|t| t.as_number());
                    let from = (*blocks.start())
                        .max(bound(filter.block_option.get_from_block()).unwrap_or(0));
                    let to = (*blocks.end())
                        .min(bound(filter.block_option.get_to_block()).unwrap_or(u64::MAX));
                    if from > to {
                        return Ok(json!([]));
                    }
                    // A slow poller gets the latest blocks the range cap allows, not an error.
                    let from = from.max(to.saturating_sub(chain.max_log_range().saturating_sub(1)));
                    to_json(&logs(chain, &filter, from..=to)?)
                }
            }
        })(),
        "eth_getFilterLogs" => (|| match filters().kind(params.get(0, "id")?)? {
            FilterKind::Logs(filter) => to_json(&logs(chain, &filter, log_range(chain, &filter)?)?),
            FilterKind::Blocks => Err(RpcError::params("not a log filter")),
        })(),
        _ => return None,
    };
    Some(answer)
}
