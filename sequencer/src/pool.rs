//! The transaction pool: L2 transactions waiting for a batch, in arrival order, and how a batch
//! is cut from them (blocks up to the L2 gas limit, the whole batch within one blob).

use std::collections::{HashMap, HashSet, VecDeque};

use alloy_consensus::{transaction::SignerRecoverable, Transaction, TxEnvelope};
use alloy_eips::eip2718::Decodable2718;
use alloy_primitives::{Address, Bytes, B256};
use rollup::{
    batch::{encoded_len, BatchBlock},
    blob::PAYLOAD_BYTES,
};

/// Transactions the pool holds at most.
pub const POOL_CAPACITY: usize = 100_000;

/// Why a transaction was refused.
#[derive(Debug, Clone, thiserror::Error)]
pub enum PoolError {
    /// Not an EIP-2718 transaction.
    #[error("transaction does not decode: {0}")]
    Decode(#[source] alloy_eips::eip2718::Eip2718Error),
    /// Signed for another chain (or without a chain id).
    #[error("transaction is for chain {got:?}, this L2 is {expected}")]
    ChainId {
        /// This L2's chain id.
        expected: u64,
        /// The transaction's.
        got: Option<u64>,
    },
    /// The signature does not recover.
    #[error("invalid signature")]
    Signature,
    /// Blob transactions are never included on the L2.
    #[error("blob transactions are not supported on the L2")]
    Blob,
    /// Larger than a blob can carry with its batch framing.
    #[error("transaction of {0} bytes does not fit a blob")]
    TooLarge(usize),
    /// Over the L2 block gas limit.
    #[error("gas limit {0} exceeds the block gas limit")]
    GasLimit(u64),
    /// Already in the pool.
    #[error("transaction {0} is already known")]
    Known(B256),
    /// Not the sender's next nonce.
    #[error("nonce {got} of {sender}, expected {expected}")]
    Nonce {
        /// The sender.
        sender: Address,
        /// The nonce sent.
        got: u64,
        /// The sender's next nonce.
        expected: u64,
    },
    /// The pool is full.
    #[error("transaction pool is full")]
    Full,
}

#[derive(Debug, Clone)]
struct Pooled {
    hash: B256,
    sender: Address,
    gas_limit: u64,
    raw: Bytes,
}

/// Pending L2 transactions.
#[derive(Debug)]
pub struct Pool {
    chain_id: u64,
    gas_limit: u64,
    queue: VecDeque<Pooled>,
    known: HashSet<B256>,
    next_nonce: HashMap<Address, u64>,
}

impl Pool {
    /// An empty pool for the L2 with `chain_id` and block `gas_limit`.
    pub fn new(chain_id: u64, gas_limit: u64) -> Self {
        Self {
            chain_id,
            gas_limit,
            queue: VecDeque::new(),
            known: HashSet::new(),
            next_nonce: HashMap::new(),
        }
    }

    /// Transactions waiting.
    pub fn len(&self) -> usize {
        self.queue.len()
    }

    /// Whether none are waiting.
    pub fn is_empty(&self) -> bool {
        self.queue.is_empty()
    }

    /// Whether transaction `hash` is waiting in the pool.
    pub fn contains(&self, hash: &B256) -> bool {
        self.known.contains(hash)
    }

    /// The nonce `sender`'s next transaction must have, given its nonce in the L2 state.
    pub fn pending_nonce(&self, sender: Address, state_nonce: u64) -> u64 {
        self.next_nonce
            .get(&sender)
            .copied()
            .unwrap_or(0)
            .max(state_nonce)
    }

    /// Admits a transaction; `state_nonce` gives a sender's nonce in the L2 state. Returns its
    /// hash. Only what the inclusion rule can include is admitted, so batch space is not wasted.
    pub fn add(
        &mut self,
        raw: Bytes,
        state_nonce: impl FnOnce(Address) -> u64,
    ) -> Result<B256, PoolError> {
        if self.queue.len() >= POOL_CAPACITY {
            return Err(PoolError::Full);
        }
        // One block of one transaction: the framing a lone transaction needs in a batch.
        let framed = encoded_len(&[BatchBlock {
            timestamp: 0,
            transactions: vec![raw.clone()],
        }]);
        if framed > PAYLOAD_BYTES {
            return Err(PoolError::TooLarge(raw.len()));
        }
        let tx = TxEnvelope::decode_2718_exact(raw.as_ref()).map_err(PoolError::Decode)?;
        if tx.is_eip4844() {
            return Err(PoolError::Blob);
        }
        if tx.chain_id() != Some(self.chain_id) {
            return Err(PoolError::ChainId {
                expected: self.chain_id,
                got: tx.chain_id(),
            });
        }
        if tx.gas_limit() > self.gas_limit {
            return Err(PoolError::GasLimit(tx.gas_limit()));
        }
        let hash = *tx.hash();
        if self.known.contains(&hash) {
            return Err(PoolError::Known(hash));
        }
        let sender = tx.recover_signer().map_err(|_| PoolError::Signature)?;
        let expected = self.pending_nonce(sender, state_nonce(sender));
        if tx.nonce() != expected {
            return Err(PoolError::Nonce {
                sender,
                got: tx.nonce(),
                expected,
            });
        }
        self.next_nonce.insert(sender, expected + 1);
        self.known.insert(hash);
        self.queue.push_back(Pooled {
            hash,
            sender,
            gas_limit: tx.gas_limit(),
            raw,
        });
        Ok(hash)
    }

    /// Cuts a batch of at most `max_blocks` blocks from the front of the pool: each block takes
    /// transactions until the next would pass the gas limit, the batch until the next would
    /// pass a blob's payload. Block `i` declares timestamp `declared(i)`.
    pub fn take_batch(
        &mut self,
        max_blocks: usize,
        declared: impl Fn(usize) -> u64,
    ) -> Vec<BatchBlock> {
        let mut blocks: Vec<BatchBlock> = Vec::new();
        'blocks: for i in 0..max_blocks {
            if self.queue.is_empty() {
                break;
            }
            blocks.push(BatchBlock {
                timestamp: declared(i),
                transactions: Vec::new(),
            });
            let mut gas = 0;
            while let Some(next) = self.queue.front() {
                if gas + next.gas_limit > self.gas_limit {
                    continue 'blocks;
                }
                let block = blocks.last_mut().expect("pushed above");
                block.transactions.push(next.raw.clone());
                if encoded_len(&blocks) > PAYLOAD_BYTES {
                    blocks.last_mut().expect("pushed above").transactions.pop();
                    break 'blocks;
                }
                gas += next.gas_limit;
                let taken = self.queue.pop_front().expect("peeked");
                self.known.remove(&taken.hash);
            }
        }
        blocks.retain(|b| !b.transactions.is_empty());
        blocks
    }

    /// Forgets what the pool expects of senders with nothing left in it: once the batches taken
    /// are derived, their nonces are the L2 state's (a transaction the rule skipped included).
    pub fn settle_nonces(&mut self) {
        let waiting: HashSet<Address> = self.queue.iter().map(|p| p.sender).collect();
        self.next_nonce.retain(|sender, _| waiting.contains(sender));
    }
}

#[cfg(test)]
mod tests {
    use alloy_primitives::U256;
    use rollup::wallet::L2Wallet;

    use super::*;

    const CHAIN: u64 = 7;

    fn wallet(seed: &[u8]) -> L2Wallet {
        L2Wallet::from_seed(seed, CHAIN)
    }

    #[test]
    fn admission_refuses_what_could_never_be_included() {
        let mut pool = Pool::new(CHAIN, 30_000_000);
        let alice = wallet(b"alice");
        let to = Address::repeat_byte(1);
        let first = alice.transfer(3, to, U256::from(1));
        assert!(pool.add(first.clone(), |_| 3).is_ok());
        assert!(matches!(pool.add(first, |_| 3), Err(PoolError::Known(_))));
        assert!(matches!(
            pool.add(alice.transfer(5, to, U256::from(1)), |_| 3),
            Err(PoolError::Nonce {
                got: 5,
                expected: 4,
                ..
            })
        ));
        assert!(pool
            .add(alice.transfer(4, to, U256::from(1)), |_| 3)
            .is_ok());
        assert_eq!(pool.pending_nonce(alice.address(), 3), 5);
        let other_chain = L2Wallet::from_seed(b"alice", CHAIN + 1).transfer(0, to, U256::from(1));
        assert!(matches!(
            pool.add(other_chain, |_| 0),
            Err(PoolError::ChainId {
                expected: CHAIN,
                got: Some(8)
            })
        ));
        assert!(matches!(
            pool.add(Bytes::from_static(b"junk"), |_| 0),
            Err(PoolError::Decode(_))
        ));
        assert!(matches!(
            pool.add(Bytes::from(vec![2; PAYLOAD_BYTES]), |_| 0),
            Err(PoolError::TooLarge(_))
        ));
        assert_eq!(pool.len(), 2);
    }

    #[test]
    fn batches_respect_the_gas_limit_and_the_blob() {
        // Transfers have a 21,000 gas limit: three fit a 70,000 gas block.
        let mut pool = Pool::new(CHAIN, 70_000);
        let senders: Vec<L2Wallet> = (0..20u8).map(|i| wallet(&[i])).collect();
        for round in 0..10u64 {
            for s in &senders {
                let tx = s.transfer(round, Address::repeat_byte(2), U256::from(1));
                pool.add(tx, |_| 0).unwrap();
            }
        }
        let batch = pool.take_batch(4, |i| 100 + i as u64);
        assert_eq!(batch.len(), 4);
        assert!(batch.iter().all(|b| b.transactions.len() == 3));
        assert_eq!(batch[3].timestamp, 103);
        assert_eq!(pool.len(), 200 - 12);

        // A block as large as the gas allows: the blob is the limit.
        let mut pool = Pool::new(CHAIN, 30_000_000);
        for round in 0..60u64 {
            for s in &senders {
                let tx = s.transfer(round, Address::repeat_byte(2), U256::from(1));
                pool.add(tx, |_| 0).unwrap();
            }
        }
        let batch = pool.take_batch(8, |_| 0);
        let encoded = encoded_len(&batch);
        assert!(encoded <= PAYLOAD_BYTES);
        let taken: usize = batch.iter().map(|b| b.transactions.len()).sum();
        assert_eq!(taken + pool.len(), 1_200);
        assert!(
            taken > 1_000,
            "a blob carries over a thousand transfers: {taken}"
        );
        pool.settle_nonces();
        assert_eq!(
            pool.pending_nonce(senders[0].address(), 0),
            60,
            "senders with transactions left keep their pool nonce"
        );
    }
}
