//! `Rollup`: bonded claims, their games and the steps that settle them. The ABI names the
//! `BlobData` structs its functions take; `sol!` puts them in this module's [`BlobData`], a type
//! apart from [`crate::blob_data::BlobData`]'s with the same fields.

use alloy_sol_types::sol;

sol!(
    #[allow(missing_docs)]
    #[sol(all_derives)]
    Rollup,
    "../contracts/artifacts/Rollup.json"
);

/// `Rollup.StepInput`.
pub type StepInput = Rollup::StepInput;
/// `Rollup.Position`.
pub type SolPosition = Rollup::Position;

impl From<crate::blob_data::RangeProof> for BlobData::RangeProof {
    fn from(proof: crate::blob_data::RangeProof) -> Self {
        Self {
            first: proof.first,
            elements: proof.elements,
            siblings: proof.siblings,
        }
    }
}
