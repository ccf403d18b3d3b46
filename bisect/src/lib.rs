//! The dispute game off-chain, as `docs/protocol.md` and `Rollup.sol` define it.
//!
//! - [`step`]: the inputs of the final steps (`proveCandidate`, `proveEnd`) and the data proofs
//!   they carry, from a derived block.
//! - [`contract`]: typed reads and writes of the L1 contracts over JSON-RPC.
//! - [`deploy`]: the rollup's L1 contracts deployed from the committed artifacts.
//! - [`game`]: the honest player: the next move of either side from the local replay.
//! - [`status`]: the contracts' claim and game statuses, typed.
//! - [`scenario`]: a small rollup history with every step of every block, as JSON, for the
//!   contracts' tests and fixtures.

pub mod contract;
pub mod deploy;
pub mod game;
pub mod scenario;
pub mod status;
pub mod step;
