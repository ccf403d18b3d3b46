//! The dispute game off-chain, as `docs/protocol.md` and `Rollup.sol` define it: what the honest
//! player does and what its steps carry, with no I/O (the contracts are reached through
//! `l1-contracts`, the chain is watched by `watchtower`).
//!
//! - [`step`]: the inputs of the final steps (`proveCandidate`, `proveEnd`) and the data proofs
//!   they carry, from a derived block.
//! - [`game`]: the honest player: the next move of either side from the local replay.
//! - [`scenario`]: a small rollup history with every step of every block, as JSON, for the
//!   contracts' tests and fixtures.

pub mod game;
pub mod scenario;
pub mod step;
