//! Blob sidecars: checked on admission against their transaction's versioned hashes, then kept
//! per block for a retention window, as a beacon node keeps them.

use std::collections::BTreeMap;

use alloy_consensus::TxEip4844;
use alloy_eips::{
    eip4844::{
        c_kzg, env_settings::EnvKzgSettings, kzg_to_versioned_hash, Blob,
        BlobTransactionValidationError, Bytes48,
    },
    eip7594::{BlobTransactionSidecarVariant, MAX_BLOBS_PER_TX_FUSAKA},
};
use alloy_primitives::B256;
use execute::{ChainConfig, Fork};

/// Blocks of sidecars a mainnet beacon node must keep: 4096 epochs of 32 slots.
pub const MAINNET_RETENTION_BLOCKS: u64 = 4096 * 32;

/// One blob of a mined block, as the beacon API's `BlobSidecar` describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlobSidecar {
    /// Position among the block's blobs.
    pub index: u64,
    /// The blob.
    pub blob: Box<Blob>,
    /// Its KZG commitment.
    pub kzg_commitment: Bytes48,
    /// KZG proof of the whole blob against the commitment (EIP-4844 style).
    pub kzg_proof: Bytes48,
    /// The versioned hash the transaction committed to (what `BLOBHASH` returns).
    pub versioned_hash: B256,
    /// The transaction that carried it.
    pub tx_hash: B256,
}

/// Why a blob transaction's sidecar was refused.
#[derive(Debug, thiserror::Error)]
pub enum SidecarError {
    /// Sent without blobs (only the network form with its sidecar is accepted).
    #[error("blob transaction without sidecar: send the network form with blobs, commitments and proofs")]
    Missing,
    /// Blob transactions before Cancun.
    #[error("blob transactions are not enabled before Cancun")]
    NotEnabled,
    /// A blob transaction must carry at least one blob.
    #[error("blob transaction has no blobs")]
    Empty,
    /// More blobs than one transaction may carry.
    #[error("too many blobs: {count}, at most {max} per transaction")]
    TooMany {
        /// Blobs in the transaction.
        count: usize,
        /// The fork's limit.
        max: u64,
    },
    /// Cell proofs (EIP-7594) before Osaka.
    #[error("cell-proof (EIP-7594) sidecars are only accepted from Osaka")]
    CellProofsTooEarly,
    /// Blobs, commitments, proofs or versioned hashes do not match.
    #[error("invalid blob sidecar: {0}")]
    Invalid(#[source] BlobTransactionValidationError),
}

/// Checks `sidecar` against `tx`'s versioned hashes and the fork's rules, and returns the blobs
/// with a blob proof each (computed when the sidecar carries cell proofs).
pub fn check_sidecar(
    chain: &ChainConfig,
    tx: &TxEip4844,
    tx_hash: B256,
    sidecar: &BlobTransactionSidecarVariant,
) -> Result<Vec<BlobSidecar>, SidecarError> {
    if chain.fork < Fork::Cancun {
        return Err(SidecarError::NotEnabled);
    }
    let count = tx.blob_versioned_hashes.len();
    if count == 0 {
        return Err(SidecarError::Empty);
    }
    let block_max = chain.max_blob_gas_per_block() / alloy_eips::eip4844::DATA_GAS_PER_BLOB;
    let max = if chain.fork >= Fork::Osaka {
        MAX_BLOBS_PER_TX_FUSAKA.min(block_max)
    } else {
        block_max
    };
    if count as u64 > max {
        return Err(SidecarError::TooMany { count, max });
    }
    if sidecar.is_eip7594() && chain.fork < Fork::Osaka {
        return Err(SidecarError::CellProofsTooEarly);
    }
    let settings = EnvKzgSettings::Default.get();
    sidecar
        .validate(&tx.blob_versioned_hashes, settings)
        .map_err(SidecarError::Invalid)?;
    let proofs: Vec<Bytes48> = match sidecar {
        BlobTransactionSidecarVariant::Eip4844(s) => s.proofs.clone(),
        BlobTransactionSidecarVariant::Eip7594(s) => s
            .blobs
            .iter()
            .zip(&s.commitments)
            .map(|(blob, commitment)| blob_proof(settings, blob, commitment))
            .collect::<Result<_, _>>()
            .map_err(|e| SidecarError::Invalid(BlobTransactionValidationError::KZGError(e)))?,
    };
    Ok(sidecar
        .blobs()
        .iter()
        .zip(sidecar.commitments())
        .zip(proofs)
        .enumerate()
        .map(|(i, ((blob, commitment), proof))| BlobSidecar {
            index: i as u64,
            blob: Box::new(*blob),
            kzg_commitment: *commitment,
            kzg_proof: proof,
            versioned_hash: kzg_to_versioned_hash(commitment.as_slice()),
            tx_hash,
        })
        .collect())
}

fn blob_proof(
    settings: &c_kzg::KzgSettings,
    blob: &Blob,
    commitment: &Bytes48,
) -> Result<Bytes48, c_kzg::Error> {
    let blob = c_kzg::Blob::from_bytes(blob.as_slice())?;
    let commitment = c_kzg::Bytes48::from_bytes(commitment.as_slice())?;
    let proof = settings.compute_blob_kzg_proof(&blob, &commitment)?;
    Ok(Bytes48::from_slice(proof.to_bytes().as_slice()))
}

/// Why no sidecars can be given for a block.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum BlobLookupError {
    /// The block is older than the retention window; its sidecars are gone.
    #[error("blob sidecars of block {block} were pruned (retention: {retention} blocks)")]
    Pruned {
        /// The block asked for.
        block: u64,
        /// The window.
        retention: u64,
    },
}

/// Sidecars of mined blocks, kept for the newest `retention` blocks.
#[derive(Debug, Clone)]
pub struct BlobStore {
    retention: u64,
    blocks: BTreeMap<u64, Vec<BlobSidecar>>,
    oldest_kept: u64,
}

impl BlobStore {
    /// An empty store keeping `retention` blocks (at least one).
    pub fn new(retention: u64) -> Self {
        Self {
            retention: retention.max(1),
            blocks: BTreeMap::new(),
            oldest_kept: 0,
        }
    }

    /// Records block `number`'s sidecars (in block order) and prunes what fell out of the window.
    pub fn insert(&mut self, number: u64, sidecars: Vec<BlobSidecar>) {
        if !sidecars.is_empty() {
            self.blocks.insert(number, sidecars);
        }
        self.oldest_kept = self
            .oldest_kept
            .max((number + 1).saturating_sub(self.retention));
        self.blocks = self.blocks.split_off(&self.oldest_kept);
    }

    /// Forgets blocks from `number` on (a revert dropped them).
    pub fn truncate(&mut self, number: u64) {
        self.blocks.split_off(&number);
    }

    /// Sidecars of block `number` (empty when it had none).
    pub fn get(&self, number: u64) -> Result<&[BlobSidecar], BlobLookupError> {
        if number < self.oldest_kept {
            return Err(BlobLookupError::Pruned {
                block: number,
                retention: self.retention,
            });
        }
        Ok(self.blocks.get(&number).map_or(&[], Vec::as_slice))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sidecar(index: u64) -> BlobSidecar {
        BlobSidecar {
            index,
            blob: Box::default(),
            kzg_commitment: Bytes48::ZERO,
            kzg_proof: Bytes48::ZERO,
            versioned_hash: B256::ZERO,
            tx_hash: B256::ZERO,
        }
    }

    #[test]
    fn store_keeps_the_window_and_forgets_reverted_blocks() {
        let mut store = BlobStore::new(3);
        for number in 1..=5 {
            store.insert(number, vec![sidecar(0)]);
        }
        assert_eq!(
            store.get(2),
            Err(BlobLookupError::Pruned {
                block: 2,
                retention: 3
            })
        );
        assert_eq!(store.get(3).unwrap().len(), 1);
        assert_eq!(store.get(5).unwrap().len(), 1);
        store.truncate(5);
        assert!(store.get(5).unwrap().is_empty());
        store.insert(5, Vec::new());
        assert!(store.get(5).unwrap().is_empty());
        assert_eq!(store.get(4).unwrap().len(), 1);
    }
}
