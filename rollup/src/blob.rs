//! Blobs as the dispute contracts read them (`BlobData.sol`).
//!
//! A blob's payload is bytes 1..31 of each of its 4096 field elements. A blob is opened on L1 by
//! submitting its elements: the contract computes their keccak Merkle root (the elements are the
//! leaves), derives `z = keccak256(versionedHash ‖ root) mod BLS_MODULUS`, evaluates the elements'
//! polynomial at `z` and checks a KZG opening there with the point-evaluation precompile. Later,
//! byte ranges of the payload are proven against the root.

pub use alloy_eips::eip4844::Blob;
use alloy_eips::eip4844::{
    c_kzg, env_settings::EnvKzgSettings, kzg_to_versioned_hash, BYTES_PER_BLOB,
    FIELD_ELEMENTS_PER_BLOB,
};
use alloy_primitives::{keccak256, B256, U256};
use alloy_sol_types::SolValue;

/// Field elements in a blob.
pub const ELEMENTS: usize = FIELD_ELEMENTS_PER_BLOB as usize;
/// Payload bytes per field element (the first byte of each stays zero).
pub const BYTES_PER_ELEMENT: usize = 31;
/// Payload bytes in a blob.
pub const PAYLOAD_BYTES: usize = ELEMENTS * BYTES_PER_ELEMENT;
/// Depth of the elements' Merkle tree.
pub const DEPTH: usize = 12;

/// The scalar field's modulus (EIP-4844 `BLS_MODULUS`).
pub const BLS_MODULUS: U256 = alloy_eips::eip4844::BLS_MODULUS;

/// Why a blob could not be built or opened.
#[derive(Debug, thiserror::Error)]
pub enum BlobError {
    /// More payload than a blob holds.
    #[error("payload of {0} bytes exceeds a blob's {PAYLOAD_BYTES}")]
    TooLarge(usize),
    /// A byte range outside the payload.
    #[error("byte range {start}..{end} is outside the payload")]
    Range {
        /// First byte.
        start: usize,
        /// One past the last byte.
        end: usize,
    },
    /// c-kzg failed.
    #[error("kzg: {0}")]
    Kzg(#[from] c_kzg::Error),
}

/// Loads the KZG trusted setup now rather than at the first blob (it takes about two seconds
/// and a hundred MiB): a long-running process calls it at start so that its first judgment is
/// not the one that waits.
pub fn load_kzg_settings() {
    EnvKzgSettings::Default.get();
}

/// A blob holding `payload`, zero-padded.
pub fn blob_from_payload(payload: &[u8]) -> Result<Box<Blob>, BlobError> {
    if payload.len() > PAYLOAD_BYTES {
        return Err(BlobError::TooLarge(payload.len()));
    }
    let mut blob = Box::new(Blob::ZERO);
    for (i, chunk) in payload.chunks(BYTES_PER_ELEMENT).enumerate() {
        let at = i * 32 + 1;
        blob[at..at + chunk.len()].copy_from_slice(chunk);
    }
    Ok(blob)
}

/// The payload of `blob` (bytes 1..31 of every element).
pub fn payload(blob: &Blob) -> Vec<u8> {
    blob.chunks(32)
        .flat_map(|fe| fe[1..].iter().copied())
        .collect()
}

/// The blob's field elements.
pub fn elements(blob: &Blob) -> Vec<B256> {
    blob.chunks(32).map(B256::from_slice).collect()
}

/// Every level of the elements' Merkle tree, leaves first, root last.
fn levels(blob: &Blob) -> Vec<Vec<B256>> {
    let mut levels = vec![elements(blob)];
    while levels.last().expect("starts with the leaves").len() > 1 {
        let next = levels
            .last()
            .expect("at least the leaves")
            .chunks(2)
            .map(|pair| keccak256([pair[0].as_slice(), pair[1].as_slice()].concat()))
            .collect();
        levels.push(next);
    }
    levels
}

/// Merkle root of the elements: leaves are the elements, a parent is
/// `keccak256(left ‖ right)`.
pub fn elements_root(blob: &Blob) -> B256 {
    levels(blob).pop().expect("a root")[0]
}

pub use l1_contracts::blob_data::{Opening, RangeProof};

/// The opening of `blob` at its Fiat-Shamir point, as `BlobData.open` checks it.
pub fn opening(blob: &Blob) -> Result<Opening, BlobError> {
    let settings = EnvKzgSettings::Default.get();
    let kzg_blob = c_kzg::Blob::from_bytes(blob.as_slice())?;
    let commitment = settings.blob_to_kzg_commitment(&kzg_blob)?.to_bytes();
    let versioned_hash = kzg_to_versioned_hash(commitment.as_slice());
    let z = fiat_shamir_point(versioned_hash, elements_root(blob));
    let (proof, y) = settings.compute_kzg_proof(&kzg_blob, &c_kzg::Bytes32::new(z.0))?;
    Ok(Opening {
        versionedHash: versioned_hash,
        commitment: commitment.as_slice().to_vec().into(),
        z,
        y: B256::from_slice(y.as_slice()),
        proof: proof.to_bytes().as_slice().to_vec().into(),
    })
}

/// `keccak256(versionedHash ‖ root) mod BLS_MODULUS`.
pub fn fiat_shamir_point(versioned_hash: B256, root: B256) -> B256 {
    let hash = keccak256([versioned_hash.as_slice(), root.as_slice()].concat());
    B256::from(U256::from_be_bytes(hash.0).reduce_mod(BLS_MODULUS))
}

/// Proof of the elements holding payload bytes `start..end`.
pub fn range_proof(blob: &Blob, start: usize, end: usize) -> Result<RangeProof, BlobError> {
    if start >= end || end > PAYLOAD_BYTES {
        return Err(BlobError::Range { start, end });
    }
    let (first, last) = (start / BYTES_PER_ELEMENT, (end - 1) / BYTES_PER_ELEMENT);
    let levels = levels(blob);
    let mut siblings = Vec::new();
    let (mut lo, mut hi) = (first, last);
    for level in &levels[..DEPTH] {
        if lo % 2 == 1 {
            siblings.push(level[lo - 1]);
        }
        if hi % 2 == 0 {
            siblings.push(level[hi + 1]);
        }
        lo /= 2;
        hi /= 2;
    }
    Ok(RangeProof {
        first: U256::from(first),
        elements: levels[0][first..=last].to_vec(),
        siblings,
    })
}

/// `open`'s calldata tail for Foundry tests and the challenger: the ABI encoding of
/// `(bytes32[] elements, Opening opening)`.
pub fn open_call_data(blob: &Blob) -> Result<Vec<u8>, BlobError> {
    Ok((elements(blob), opening(blob)?).abi_encode_params())
}

const _: () = assert!(BYTES_PER_BLOB == ELEMENTS * 32);

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The root the way a verifier recomputes it from a range proof.
    fn verify(root: B256, proof: &RangeProof) -> bool {
        let mut lo: usize = proof.first.to();
        let mut nodes = proof.elements.clone();
        let mut siblings = proof.siblings.iter();
        for _ in 0..DEPTH {
            if lo % 2 == 1 {
                nodes.insert(0, *siblings.next().unwrap());
                lo -= 1;
            }
            if nodes.len() % 2 == 1 {
                nodes.push(*siblings.next().unwrap());
            }
            nodes = nodes
                .chunks(2)
                .map(|p| keccak256([p[0].as_slice(), p[1].as_slice()].concat()))
                .collect();
            lo /= 2;
        }
        siblings.next().is_none() && nodes == [root]
    }

    proptest! {
        #[test]
        fn payload_round_trips_and_ranges_prove(
            data in proptest::collection::vec(any::<u8>(), 1..4000),
            start in 0usize..PAYLOAD_BYTES,
            len in 1usize..2000,
        ) {
            let blob = blob_from_payload(&data).unwrap();
            prop_assert_eq!(&payload(&blob)[..data.len()], &data[..]);
            let end = (start + len).min(PAYLOAD_BYTES);
            prop_assume!(start < end);
            let proof = range_proof(&blob, start, end).unwrap();
            prop_assert!(verify(elements_root(&blob), &proof));
            let mut wrong = proof.clone();
            wrong.elements[0] ^= B256::repeat_byte(7);
            prop_assert!(!verify(elements_root(&blob), &wrong));
        }
    }

    #[test]
    fn the_opening_verifies_at_the_fiat_shamir_point() {
        let blob = blob_from_payload(b"a batch").unwrap();
        let opening = opening(&blob).unwrap();
        let settings = EnvKzgSettings::Default.get();
        let ok = settings
            .verify_kzg_proof(
                &c_kzg::Bytes48::from_bytes(&opening.commitment).unwrap(),
                &c_kzg::Bytes32::new(opening.z.0),
                &c_kzg::Bytes32::new(opening.y.0),
                &c_kzg::Bytes48::from_bytes(&opening.proof).unwrap(),
            )
            .unwrap();
        assert!(ok);
        assert_eq!(
            opening.z,
            fiat_shamir_point(opening.versionedHash, elements_root(&blob))
        );
        assert!(matches!(
            blob_from_payload(&vec![1; PAYLOAD_BYTES + 1]),
            Err(BlobError::TooLarge(_))
        ));
    }
}
