//! The L2 chain of an optimistic native rollup, by the rules of `docs/protocol.md`: pure
//! functions of their inputs, with no I/O (the node that reads L1 and keeps a store is `l2-node`).
//!
//! - [`blob`]: blobs as the contracts read them: payload layout, the elements' Merkle root, the
//!   KZG opening at the Fiat-Shamir point, byte-range proofs.
//! - [`batch`]: L2 blocks in a blob's payload and back, with the protocol's meaning for
//!   malformed data.
//! - [`rules`]: the L2's parameters, genesis and header rules, and the position commitments the
//!   dispute game bisects over.
//! - [`messages`]: messages from L1, and the Merkle tree of them each block commits to.
//! - [`wallet`]: keys of L2 users and the transactions they sign.
//! - [`lie`]: test mode, how a dishonest proposer's block breaks the rules.
//! - [`derive`]: building each L2 block from its candidates, one provable step at a time.

pub mod batch;
pub mod blob;
pub mod derive;
pub use lies as lie;
pub mod messages;
pub mod rules;
pub mod wallet;
