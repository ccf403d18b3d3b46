//! The optional on-disk chain: what the devnet needs to come back exactly as it was after a
//! restart or a kill.
//!
//! Every block is a deterministic function of the genesis configuration and its inputs, so the
//! store keeps the inputs (each block's timestamp, transactions and blob sidecars, with the block
//! hash they produced), the pending pool and the clock offset, in sled. Opening replays the blocks
//! and checks each hash, so a store written under another configuration is refused rather than
//! silently forked. Each block is flushed to disk before it is reported mined.

use std::path::Path;

use alloy_eips::eip4844::{Blob, Bytes48};
use alloy_primitives::{Bytes, B256};
use alloy_rlp::{RlpDecodable, RlpEncodable};

use crate::blobs::BlobSidecar;

/// Why the store failed.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// sled failed (I/O, corruption).
    #[error("state store: {0}")]
    Db(#[from] sled::Error),
    /// A record does not decode.
    #[error("state store record {key}: {source}")]
    Decode {
        /// Which record.
        key: String,
        /// Why.
        source: alloy_rlp::Error,
    },
    /// Replaying the stored blocks gave another chain than the one stored.
    #[error("state store does not match this configuration: {0}")]
    Mismatch(String),
}

/// A mined block's inputs and the hash they produced.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct BlockRecord {
    /// The block's hash.
    pub hash: B256,
    /// Its timestamp.
    pub timestamp: u64,
    /// Its transactions (consensus encoding).
    pub transactions: Vec<Bytes>,
    /// Its blob sidecars, while inside the retention window.
    pub sidecars: Vec<SidecarRecord>,
}

/// A blob sidecar on disk.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct SidecarRecord {
    blob: Bytes,
    commitment: Bytes48,
    proof: Bytes48,
    versioned_hash: B256,
    tx_hash: B256,
}

impl From<&BlobSidecar> for SidecarRecord {
    fn from(s: &BlobSidecar) -> Self {
        Self {
            blob: Bytes::copy_from_slice(s.blob.as_slice()),
            commitment: s.kzg_commitment,
            proof: s.kzg_proof,
            versioned_hash: s.versioned_hash,
            tx_hash: s.tx_hash,
        }
    }
}

impl SidecarRecord {
    /// Back to a sidecar; `None` if the blob has the wrong size.
    pub fn to_sidecar(&self) -> Option<BlobSidecar> {
        Some(BlobSidecar {
            index: 0,
            blob: Box::new(Blob::try_from(self.blob.as_ref()).ok()?),
            kzg_commitment: self.commitment,
            kzg_proof: self.proof,
            versioned_hash: self.versioned_hash,
            tx_hash: self.tx_hash,
        })
    }
}

/// A transaction waiting in the pool, on disk.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct PendingRecord {
    /// Consensus encoding.
    pub raw: Bytes,
    /// Its blob sidecars.
    pub sidecars: Vec<SidecarRecord>,
}

const GENESIS_KEY: &[u8] = b"genesis";
const GENESIS_TIME_KEY: &[u8] = b"genesis-timestamp";
const TIME_OFFSET_KEY: &[u8] = b"time-offset";

/// The sled database behind a devnet.
#[derive(Debug, Clone)]
pub struct ChainStore {
    db: sled::Db,
    blocks: sled::Tree,
    pending: sled::Tree,
}

impl ChainStore {
    /// Opens (or creates) the store in `dir`.
    pub fn open(dir: &Path) -> Result<Self, StoreError> {
        let db = sled::open(dir)?;
        Ok(Self {
            blocks: db.open_tree("blocks")?,
            pending: db.open_tree("pending")?,
            db,
        })
    }

    /// The genesis timestamp of the stored chain, if there is one. A dev chain's genesis is
    /// stamped with the time it was first started; a restart keeps it.
    pub fn genesis_timestamp(&self) -> Result<Option<u64>, StoreError> {
        Ok(self
            .db
            .get(GENESIS_TIME_KEY)?
            .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes)))
    }

    /// Records the chain's identity (genesis and rules) on first use; on later opens checks it
    /// is the same.
    pub fn check_genesis(&self, hash: B256, timestamp: u64) -> Result<(), StoreError> {
        match self.db.get(GENESIS_KEY)? {
            None => {
                self.db.insert(GENESIS_TIME_KEY, &timestamp.to_be_bytes())?;
                self.db.insert(GENESIS_KEY, hash.as_slice())?;
                self.db.flush()?;
                Ok(())
            }
            Some(stored) if stored.as_ref() == hash.as_slice() => Ok(()),
            Some(stored) => Err(StoreError::Mismatch(format!(
                "the stored chain (genesis and rules {}) is not this configuration's ({hash})",
                B256::try_from(stored.as_ref()).unwrap_or_default()
            ))),
        }
    }

    /// The stored blocks after genesis, in order.
    pub fn blocks(&self) -> Result<Vec<(u64, BlockRecord)>, StoreError> {
        self.blocks
            .iter()
            .map(|entry| {
                let (key, value) = entry?;
                let number =
                    u64::from_be_bytes(key.as_ref().try_into().map_err(|_| {
                        StoreError::Mismatch("block key is not a block number".into())
                    })?);
                Ok((number, decode(&format!("block {number}"), &value)?))
            })
            .collect()
    }

    /// Appends block `number` and makes it durable.
    pub fn put_block(&self, number: u64, record: &BlockRecord) -> Result<(), StoreError> {
        self.blocks
            .insert(number.to_be_bytes(), alloy_rlp::encode(record))?;
        self.db.flush()?;
        Ok(())
    }

    /// Drops the sidecars of block `number` (it left the retention window).
    pub fn prune_sidecars(&self, number: u64) -> Result<(), StoreError> {
        let key = number.to_be_bytes();
        if let Some(value) = self.blocks.get(key)? {
            let mut record: BlockRecord = decode(&format!("block {number}"), &value)?;
            if !record.sidecars.is_empty() {
                record.sidecars.clear();
                self.blocks.insert(key, alloy_rlp::encode(&record))?;
            }
        }
        Ok(())
    }

    /// Forgets blocks from `number` on (a revert dropped them).
    pub fn truncate(&self, number: u64) -> Result<(), StoreError> {
        for key in self.blocks.range(number.to_be_bytes()..).keys() {
            self.blocks.remove(key?)?;
        }
        self.db.flush()?;
        Ok(())
    }

    /// Replaces the stored pool with `pool` and makes it durable.
    pub fn set_pending(&self, pool: &[PendingRecord]) -> Result<(), StoreError> {
        self.pending.clear()?;
        for (i, record) in pool.iter().enumerate() {
            self.pending
                .insert((i as u64).to_be_bytes(), alloy_rlp::encode(record))?;
        }
        self.db.flush()?;
        Ok(())
    }

    /// The stored pool, in arrival order.
    pub fn pending(&self) -> Result<Vec<PendingRecord>, StoreError> {
        self.pending
            .iter()
            .values()
            .enumerate()
            .map(|(i, value)| decode(&format!("pending {i}"), &value?))
            .collect()
    }

    /// Stores the clock offset (`evm_increaseTime`).
    pub fn set_time_offset(&self, seconds: u64) -> Result<(), StoreError> {
        self.db.insert(TIME_OFFSET_KEY, &seconds.to_be_bytes())?;
        self.db.flush()?;
        Ok(())
    }

    /// The stored clock offset (zero if none).
    pub fn time_offset(&self) -> Result<u64, StoreError> {
        Ok(self
            .db
            .get(TIME_OFFSET_KEY)?
            .and_then(|v| v.as_ref().try_into().ok().map(u64::from_be_bytes))
            .unwrap_or(0))
    }
}

fn decode<T: alloy_rlp::Decodable>(key: &str, mut bytes: &[u8]) -> Result<T, StoreError> {
    T::decode(&mut bytes).map_err(|source| StoreError::Decode {
        key: key.to_string(),
        source,
    })
}
