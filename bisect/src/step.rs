//! What a step hands the dispute contract besides agreed data: the position before, the claimed
//! outcome, the trace parts the contract cannot build (ancestors and witness) and the header
//! fields the L1's fork derives, with the blob range proofs of the candidate's bytes.

use alloy_primitives::U256;
use execute::witness::TracedSegment;
use l1_contracts::rollup::{BlobData, Rollup, StepInput};
use rollup::{
    batch::{candidate_range, entries_range, header_range, offset_entry},
    blob::{range_proof, Blob, BlobError},
    derive::DerivedBlock,
    rules::{fork_fields, Position},
};

fn input(pre: Position, step: &TracedSegment) -> StepInput {
    StepInput {
        pre: pre.into(),
        postStateRoot: step.post_state_root,
        gasUsed: step.gas_used,
        ancestors: alloy_rlp::encode(&step.trace.ancestors).into(),
        witness: alloy_rlp::encode(&step.trace.witness).into(),
        baseFee: U256::from(step.trace.header.base_fee_per_gas.unwrap_or_default()),
        forkFields: fork_fields(&step.trace.header),
    }
}

/// The step proving candidate `k` of `block` is included; `None` if it was skipped.
pub fn candidate_step(block: &DerivedBlock, k: usize) -> Option<StepInput> {
    let step = block.steps.get(k)?.as_ref().ok()?;
    Some(input(block.positions[k], step))
}

/// The end step of `block`.
pub fn end_step(block: &DerivedBlock) -> StepInput {
    let pre = *block
        .positions
        .last()
        .expect("positions start at the parent");
    input(pre, &block.end)
}

/// Range proofs of a batch's header and of block `index`'s table entries (`Rollup.openBlock`).
pub fn table_proof(blob: &Blob, index: u16) -> Result<Rollup::TableProof, BlobError> {
    let (start, end) = header_range();
    let header = BlobData::RangeProof::from(range_proof(blob, start, end)?);
    let (start, end) = entries_range(index);
    let entries = BlobData::RangeProof::from(range_proof(blob, start, end)?);
    Ok(Rollup::TableProof { header, entries })
}

/// Range proofs of candidate `global`'s offsets and, unless the candidate is empty, of its bytes
/// (`Rollup.CandidateProof`).
pub fn candidate_proofs(
    blob: &Blob,
    declared: u16,
    global: u64,
) -> Result<(BlobData::RangeProof, Option<BlobData::RangeProof>), BlobError> {
    let at = offset_entry(declared, global);
    let offsets = BlobData::RangeProof::from(range_proof(blob, at, at + 8)?);
    let payload = rollup::blob::payload(blob);
    let transaction = match candidate_range(&payload, declared, global) {
        Some((start, end)) => Some(BlobData::RangeProof::from(range_proof(blob, start, end)?)),
        None => None,
    };
    Ok((offsets, transaction))
}
