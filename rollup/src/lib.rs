//! The L2 chain of an optimistic native rollup, by the rules of `docs/protocol.md`.
//!
//! - [`batch`]: L2 blocks in a blob's payload and back, with the protocol's meaning for
//!   malformed data.
//! - [`rules`]: the L2's parameters, genesis and header rules, and the position commitments the
//!   dispute game bisects over.
//! - [`derive`]: building each L2 block from its candidates, one provable step at a time.

pub mod batch;
pub mod derive;
pub mod rules;
