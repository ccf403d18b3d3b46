//! Forged steps, as an attacker who controls every byte of a move builds them from the honest
//! step: fixtures send them (`challenger.forge`) to show the contract refuses what EXECUTE alone
//! would accept.

use alloy_primitives::{Bytes, B256};
use alloy_rlp::Encodable;
use execute::{witness::TracedSegment, ExecuteInput, TRACE_VERSION};
use l1_contracts::rollup::StepInput;

/// The empty RLP list.
const EMPTY_LIST: u8 = 0xc0;

/// A forged step and the EXECUTE input it makes when pasted raw around the contract's fields.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Forged {
    /// What the attacker sends in place of the honest step.
    pub step: StepInput,
    /// The precompile's input had the contract copied `ancestors` and `witness` raw around its
    /// own header, segment, transactions and withdrawals (as it did before it checked that each
    /// is one RLP list).
    pub pasted: ExecuteInput,
}

fn prefix(list: bool, payload_length: usize) -> Vec<u8> {
    let mut out = Vec::new();
    alloy_rlp::Header {
        list,
        payload_length,
    }
    .encode(&mut out);
    out
}

/// Trace injection at a candidate step (`docs/protocol.md`, section 8): the `ancestors` end with
/// the attacker's own header and segment (the honest ones) and empty transaction and withdrawal
/// lists, then open the witness, its node list and one byte string long enough to swallow the
/// contract's own fields; `witness` (an empty list) closes it. EXECUTE then runs no transaction:
/// the post-state is the pre-state and no gas is used, which differs from the honest outcome.
pub fn inject_ancestors(honest: &StepInput, traced: &TracedSegment) -> Forged {
    let trace = &traced.trace;
    let (header, segment) = (
        alloy_rlp::encode(&trace.header),
        alloy_rlp::encode(trace.segment),
    );
    // What the contract places between the stepper's ancestors and witness.
    let mut own = [header.clone(), segment.clone()].concat();
    trace.transactions.encode(&mut own);
    trace.withdrawals.encode(&mut own);
    let swallow = prefix(false, own.len());
    let nodes = prefix(true, swallow.len() + own.len());
    // The witness: the node list, then the code list the stepper's `witness` (`0xc0`) supplies.
    let witness_open = prefix(true, nodes.len() + swallow.len() + own.len() + 1);
    let ancestors = [
        honest.ancestors.to_vec(),
        header,
        segment,
        vec![EMPTY_LIST, EMPTY_LIST],
        witness_open,
        nodes,
        swallow,
    ]
    .concat();
    let witness = vec![EMPTY_LIST];
    let pre: B256 = honest.pre.stateRoot;
    let step = StepInput {
        pre: honest.pre.clone(),
        postStateRoot: pre,
        gasUsed: 0,
        ancestors: ancestors.clone().into(),
        witness: witness.clone().into(),
        baseFee: honest.baseFee,
        forkFields: honest.forkFields.clone(),
    };
    let chain = alloy_rlp::encode(trace.chain);
    let body = [chain, ancestors, own, witness].concat();
    let mut encoded = vec![TRACE_VERSION];
    encoded.extend(prefix(true, body.len()));
    encoded.extend(body);
    let pasted = ExecuteInput {
        pre_state_root: pre,
        post_state_root: pre,
        trace: Bytes::from(encoded),
        gas_used: 0,
    };
    Forged { step, pasted }
}
