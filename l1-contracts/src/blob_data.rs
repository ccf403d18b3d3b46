//! `BlobData`: a blob opened at its Fiat-Shamir point, and byte ranges of it proven against its
//! elements' root.

use alloy_sol_types::sol;

sol!(
    #[allow(missing_docs)]
    BlobData,
    "../contracts/artifacts/BlobData.json"
);

/// What `BlobData.open` checks besides the elements.
pub type Opening = BlobData::Opening;
/// Elements `first..first + elements.length` of a blob and the siblings that prove them.
pub type RangeProof = BlobData::RangeProof;
