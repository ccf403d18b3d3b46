//! Block rules that do not need execution: the header against its parent, and the body against
//! the header. These are the checks an L1 node makes before and after running a block.

use alloy_consensus::{constants::EMPTY_OMMER_ROOT_HASH, proofs, Header};
use alloy_eips::{
    eip1559::{BaseFeeParams, INITIAL_BASE_FEE},
    eip4844::DATA_GAS_PER_BLOB,
    eip4895::Withdrawal,
};
use alloy_primitives::{Bytes, B256};

use crate::{
    chain::{ChainConfig, Fork},
    InvalidBlock,
};

/// EIP-1985: gas limits above this are invalid.
const MAX_GAS_LIMIT: u64 = i64::MAX as u64;
/// Minimum gas limit of a block.
const MIN_GAS_LIMIT: u64 = 5000;
/// Gas limit may move by less than 1/1024 of the parent's per block.
const GAS_LIMIT_BOUND_DIVISOR: u64 = 1024;
/// Bounds blob gas figures a header may carry, so that fee arithmetic cannot overflow.
const MAX_BLOB_GAS_FIGURE: u64 = 1 << 48;
/// EIP-7934: largest RLP-encoded block from Osaka on.
pub const MAX_RLP_BLOCK_SIZE: usize = 10_485_760 - 2_097_152;

fn ensure(ok: bool, err: InvalidBlock) -> Result<(), InvalidBlock> {
    if ok {
        Ok(())
    } else {
        Err(err)
    }
}

/// Checks that `header` is a valid child of `parent` under `chain`'s fork: numbering, time, gas
/// limit, base fee, blob gas and the presence of each fork's fields. These fix the block context
/// the EVM sees, so they apply to every segment.
pub fn validate_header(
    header: &Header,
    parent: &Header,
    chain: &ChainConfig,
) -> Result<(), InvalidBlock> {
    let fork = chain.fork;
    ensure(
        Some(header.number) == parent.number.checked_add(1),
        InvalidBlock::Number,
    )?;
    ensure(header.timestamp > parent.timestamp, InvalidBlock::Timestamp)?;
    ensure(header.extra_data.len() <= 32, InvalidBlock::ExtraData)?;
    ensure(
        header.gas_used <= header.gas_limit,
        InvalidBlock::GasUsedOverLimit,
    )?;
    ensure(
        (MIN_GAS_LIMIT..=MAX_GAS_LIMIT).contains(&header.gas_limit)
            && header.gas_limit.abs_diff(parent.gas_limit)
                < parent.gas_limit / GAS_LIMIT_BOUND_DIVISOR,
        InvalidBlock::GasLimit,
    )?;

    if fork >= Fork::London {
        let expected = match parent.base_fee_per_gas {
            Some(parent_fee) if parent.gas_used <= parent.gas_limit => {
                Some(BaseFeeParams::ethereum().next_block_base_fee(
                    parent.gas_used,
                    parent.gas_limit,
                    parent_fee,
                ))
            }
            Some(_) => None,
            None => Some(INITIAL_BASE_FEE),
        };
        ensure(
            expected.is_some() && header.base_fee_per_gas == expected,
            InvalidBlock::BaseFee,
        )?;
    } else {
        ensure(header.base_fee_per_gas.is_none(), InvalidBlock::BaseFee)?;
    }

    if fork >= Fork::Paris {
        ensure(
            header.difficulty.is_zero()
                && header.nonce.is_zero()
                && header.ommers_hash == EMPTY_OMMER_ROOT_HASH,
            InvalidBlock::PreMergeFields,
        )?;
    }
    ensure(
        header.withdrawals_root.is_some() == (fork >= Fork::Shanghai),
        InvalidBlock::ForkFields,
    )?;
    ensure(
        header.requests_hash.is_some() == (fork >= Fork::Prague),
        InvalidBlock::ForkFields,
    )?;
    ensure(only_supported_fields(header), InvalidBlock::ForkFields)?;

    if let Some(params) = chain.blob_params() {
        let (Some(blob_gas_used), Some(excess), Some(_)) = (
            header.blob_gas_used,
            header.excess_blob_gas,
            header.parent_beacon_block_root,
        ) else {
            return Err(InvalidBlock::ForkFields);
        };
        ensure(
            blob_gas_used % DATA_GAS_PER_BLOB == 0
                && blob_gas_used <= chain.max_blob_gas_per_block(),
            InvalidBlock::BlobGasUsed,
        )?;
        let parent_excess = parent.excess_blob_gas.unwrap_or(0);
        let parent_used = parent.blob_gas_used.unwrap_or(0);
        ensure(
            parent_excess <= MAX_BLOB_GAS_FIGURE && parent_used <= MAX_BLOB_GAS_FIGURE,
            InvalidBlock::ExcessBlobGas,
        )?;
        let expected = params.next_block_excess_blob_gas_osaka(
            parent_excess,
            parent_used,
            parent.base_fee_per_gas.unwrap_or(0),
        );
        ensure(excess == expected, InvalidBlock::ExcessBlobGas)?;
    } else {
        ensure(
            header.blob_gas_used.is_none()
                && header.excess_blob_gas.is_none()
                && header.parent_beacon_block_root.is_none(),
            InvalidBlock::ForkFields,
        )?;
    }
    Ok(())
}

/// Whether `header` holds no field of a fork after those EXECUTE supports (Osaka). Such fields
/// decode as optional trailing items but no rule here checks them, so a stepper could append
/// them and change the header's hash. The copy names every field, so an alloy version that adds
/// one fails to compile here until it is handled.
fn only_supported_fields(header: &Header) -> bool {
    let Header {
        block_access_list_hash,
        slot_number,
        parent_hash: _,
        ommers_hash: _,
        beneficiary: _,
        state_root: _,
        transactions_root: _,
        receipts_root: _,
        logs_bloom: _,
        difficulty: _,
        number: _,
        gas_limit: _,
        gas_used: _,
        timestamp: _,
        extra_data: _,
        mix_hash: _,
        nonce: _,
        base_fee_per_gas: _,
        withdrawals_root: _,
        blob_gas_used: _,
        excess_blob_gas: _,
        parent_beacon_block_root: _,
        requests_hash: _,
    } = header;
    block_access_list_hash.is_none() && slot_number.is_none()
}

/// Checks a whole block's body against its header: transaction and withdrawal roots, and
/// (Osaka on) the EIP-7934 size cap.
pub fn validate_body(
    header: &Header,
    transactions: &[Bytes],
    withdrawals: &[Withdrawal],
    chain: &ChainConfig,
) -> Result<(), InvalidBlock> {
    let tx_root = alloy_trie::root::ordered_trie_root_with_encoder(transactions, |tx, buf| {
        buf.extend_from_slice(tx)
    });
    ensure(
        tx_root == header.transactions_root,
        InvalidBlock::TransactionsRoot,
    )?;
    if chain.fork >= Fork::Shanghai {
        ensure(
            Some(proofs::calculate_withdrawals_root(withdrawals)) == header.withdrawals_root,
            InvalidBlock::WithdrawalsRoot,
        )?;
    } else {
        ensure(withdrawals.is_empty(), InvalidBlock::WithdrawalsRoot)?;
    }
    if chain.fork >= Fork::Osaka {
        ensure(
            block_rlp_size(header, transactions, withdrawals) <= MAX_RLP_BLOCK_SIZE,
            InvalidBlock::TooLarge,
        )?;
    }
    Ok(())
}

/// Size of the block's RLP encoding `[header, transactions, ommers, withdrawals]`.
fn block_rlp_size(header: &Header, transactions: &[Bytes], withdrawals: &[Withdrawal]) -> usize {
    use alloy_rlp::Encodable;
    // Typed transactions are RLP strings in a block body; legacy ones are embedded lists.
    let txs: usize = transactions
        .iter()
        .map(|tx| match tx.first() {
            Some(b) if *b >= 0xc0 => tx.len(),
            _ => tx.as_ref().length(),
        })
        .sum();
    let txs = txs + alloy_rlp::length_of_length(txs);
    let withdrawals = alloy_rlp::list_length(withdrawals);
    let payload = header.length() + txs + 1 + withdrawals;
    payload + alloy_rlp::length_of_length(payload)
}

/// The header of the block after execution must state what execution produced.
pub fn validate_outputs(
    header: &Header,
    gas_used: u64,
    receipts_root: B256,
    logs_bloom: alloy_primitives::Bloom,
    requests_hash: Option<B256>,
) -> Result<(), InvalidBlock> {
    ensure(header.gas_used == gas_used, InvalidBlock::GasUsed)?;
    ensure(
        header.receipts_root == receipts_root,
        InvalidBlock::ReceiptsRoot,
    )?;
    ensure(header.logs_bloom == logs_bloom, InvalidBlock::LogsBloom)?;
    ensure(
        header.requests_hash == requests_hash,
        InvalidBlock::RequestsHash,
    )?;
    Ok(())
}
