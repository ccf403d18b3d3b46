//! One block as the JSON-RPC serves it: the block with its transactions, each transaction with
//! its position, each receipt with its gas, logs and contract address.

use alloy_consensus::{transaction::Recovered, ReceiptEnvelope, Transaction as _, TxEnvelope};
use alloy_eips::{eip2718::Decodable2718, eip4895::Withdrawal};
use alloy_primitives::{Address, Bytes, B256, U256};
use alloy_rpc_types_eth::{
    Block, BlockTransactions, Header as RpcHeader, Log, Transaction, TransactionReceipt,
};
use jsonrpc::RpcError;

/// A block and what executing it produced, borrowed from the chain that holds it. The four
/// lists run in parallel, one entry per transaction the block includes.
#[derive(Debug, Clone, Copy)]
pub struct BlockView<'a> {
    /// The sealed header.
    pub header: &'a alloy_consensus::Header,
    /// Its hash.
    pub hash: B256,
    /// EIP-2718 encodings of its transactions.
    pub transactions: &'a [Bytes],
    /// Their hashes.
    pub tx_hashes: &'a [B256],
    /// Their senders.
    pub senders: &'a [Address],
    /// Their receipts (cumulative gas from the start of the block).
    pub receipts: &'a [ReceiptEnvelope],
    /// Its EIP-4895 withdrawals (on the L2, the deposits it credits).
    pub withdrawals: &'a [Withdrawal],
    /// The price of a unit of blob gas in this block.
    pub blob_base_fee: u128,
}

impl BlockView<'_> {
    /// Checks that the lists are parallel, so no index below can be out of range.
    fn check(&self) -> Result<(), RpcError> {
        let n = self.transactions.len();
        if self.tx_hashes.len() != n || self.senders.len() != n || self.receipts.len() != n {
            return Err(RpcError::server(format!(
                "block {} is stored inconsistently",
                self.header.number
            )));
        }
        Ok(())
    }

    /// The position of transaction `hash` in the block.
    pub fn index_of(&self, hash: B256) -> Option<usize> {
        self.tx_hashes.iter().position(|h| *h == hash)
    }

    /// Transaction `index` with its place in the chain; `None` past the last.
    pub fn transaction(&self, index: usize) -> Result<Option<Transaction>, RpcError> {
        self.check()?;
        let Some(raw) = self.transactions.get(index) else {
            return Ok(None);
        };
        // The chain executed it, so it decodes; a store that says otherwise is reported.
        let tx = TxEnvelope::decode_2718_exact(raw.as_ref()).map_err(RpcError::server)?;
        Ok(Some(Transaction {
            effective_gas_price: Some(tx.effective_gas_price(self.header.base_fee_per_gas)),
            inner: Recovered::new_unchecked(tx, self.senders[index]),
            block_hash: Some(self.hash),
            block_number: Some(self.header.number),
            transaction_index: Some(index as u64),
            block_timestamp: Some(self.header.timestamp),
        }))
    }

    /// The receipt of transaction `index`: its own gas, its logs numbered within the block,
    /// and the address of the contract it created.
    pub fn receipt(&self, index: usize) -> Result<Option<TransactionReceipt>, RpcError> {
        let Some(tx) = self.transaction(index)? else {
            return Ok(None);
        };
        let receipt = &self.receipts[index];
        let previous = index
            .checked_sub(1)
            .map_or(0, |i| self.receipts[i].cumulative_gas_used());
        let hash = self.tx_hashes[index];
        let mut log_index: u64 = self.receipts[..index]
            .iter()
            .map(|r| r.logs().len() as u64)
            .sum();
        let inner = receipt.clone().map_logs(|log| {
            let rpc = Log {
                inner: log,
                block_hash: Some(self.hash),
                block_number: Some(self.header.number),
                block_timestamp: Some(self.header.timestamp),
                transaction_hash: Some(hash),
                transaction_index: Some(index as u64),
                log_index: Some(log_index),
                removed: false,
            };
            log_index += 1;
            rpc
        });
        let sender = self.senders[index];
        let to = tx.inner.to();
        Ok(Some(TransactionReceipt {
            inner,
            transaction_hash: hash,
            transaction_index: Some(index as u64),
            block_hash: Some(self.hash),
            block_number: Some(self.header.number),
            gas_used: receipt.cumulative_gas_used().saturating_sub(previous),
            effective_gas_price: tx.effective_gas_price.unwrap_or_default(),
            blob_gas_used: tx.inner.blob_gas_used(),
            blob_gas_price: tx.inner.blob_gas_used().map(|_| self.blob_base_fee),
            from: sender,
            to,
            contract_address: to.is_none().then(|| sender.create(tx.inner.nonce())),
        }))
    }

    /// Every receipt of the block.
    pub fn receipts(&self) -> Result<Vec<TransactionReceipt>, RpcError> {
        (0..self.transactions.len())
            .filter_map(|i| self.receipt(i).transpose())
            .collect()
    }

    /// The block with its transactions as hashes or (`full`) in full.
    pub fn block(&self, full: bool) -> Result<Block, RpcError> {
        let transactions = if full {
            BlockTransactions::Full(
                (0..self.transactions.len())
                    .filter_map(|i| self.transaction(i).transpose())
                    .collect::<Result<_, _>>()?,
            )
        } else {
            BlockTransactions::Hashes(self.tx_hashes.to_vec())
        };
        let mut header = RpcHeader::new(self.header.clone());
        header.total_difficulty = Some(U256::ZERO);
        Ok(Block {
            header,
            uncles: Vec::new(),
            transactions,
            withdrawals: self
                .header
                .withdrawals_root
                .map(|_| self.withdrawals.to_vec().into()),
        })
    }

    /// The block's consensus RLP (`debug_getRawBlock`): header, transactions, no ommers, and
    /// from Shanghai on its withdrawals (the L2's deposits; none on the devnet).
    pub fn raw(&self) -> Result<Bytes, RpcError> {
        self.check()?;
        let transactions = self
            .transactions
            .iter()
            .map(|raw| TxEnvelope::decode_2718_exact(raw.as_ref()).map_err(RpcError::server))
            .collect::<Result<Vec<_>, _>>()?;
        let block = alloy_consensus::Block {
            header: self.header.clone(),
            body: alloy_consensus::BlockBody {
                transactions,
                ommers: Vec::new(),
                withdrawals: self
                    .header
                    .withdrawals_root
                    .map(|_| self.withdrawals.to_vec().into()),
            },
        };
        Ok(alloy_rlp::encode(&block).into())
    }

    /// The priority fee per gas paid at each percentile of the block's gas, lowest tips first
    /// (`eth_feeHistory`'s rewards).
    pub fn rewards(&self, percentiles: &[f64]) -> Vec<u128> {
        let base_fee = self.header.base_fee_per_gas.unwrap_or(0);
        let mut previous = 0;
        let mut tips: Vec<(u128, u64)> = self
            .transactions
            .iter()
            .zip(self.receipts)
            .filter_map(|(raw, receipt)| {
                let used = receipt.cumulative_gas_used().saturating_sub(previous);
                previous = receipt.cumulative_gas_used();
                let tx = TxEnvelope::decode_2718_exact(raw.as_ref()).ok()?;
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
                tip.or(tips.last()).map_or(0, |(tip, _)| *tip)
            })
            .collect()
    }

    /// The block's logs, numbered within it.
    pub fn logs(&self) -> Result<Vec<Log>, RpcError> {
        Ok(self
            .receipts()?
            .into_iter()
            .flat_map(|r| r.inner.logs().to_vec())
            .collect())
    }
}
