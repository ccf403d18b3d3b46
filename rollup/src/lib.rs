//! The L2 chain of an optimistic native rollup, by the rules of `docs/protocol.md`.
//!
//! - [`blob`]: blobs as the contracts read them: payload layout, the elements' Merkle root, the
//!   KZG opening at the Fiat-Shamir point, byte-range proofs.
//! - [`batch`]: L2 blocks in a blob's payload and back, with the protocol's meaning for
//!   malformed data.
//! - [`rules`]: the L2's parameters, genesis and header rules, and the position commitments the
//!   dispute game bisects over.
//! - [`l1`]: the inbox's batches and their blobs read from an L1 (JSON-RPC and the beacon API),
//!   and batches posted as blob transactions.
//! - [`wallet`]: keys of L2 users and the transactions they sign.
//! - [`derive`]: building each L2 block from its candidates, one provable step at a time.
//! - [`store`]: the node's sled database: state nodes by hash, block records, the L1 cursor.
//! - [`node`]: derivation from L1 into the store, reorgs, and the steps of any kept block.

pub mod batch;
pub mod blob;
pub mod derive;
pub mod l1;
pub mod node;
pub mod rules;
pub mod store;
pub mod wallet;
