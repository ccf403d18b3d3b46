//! The L2's operators: a sequencer that takes L2 transactions (JSON-RPC or its own load
//! generator), packs them into blob batches for the inbox and follows its own chain from L1, and
//! a proposer that claims blocks with bonds, truthfully or, in test mode, with a chosen lie.
//!
//! - [`pool`]: the transaction pool and how a batch is cut from it.
//! - [`genesis`]: the development genesis shared by the sequencer, tests and watchers.
//! - [`rpc`]: the L2 JSON-RPC endpoint.
//! - [`proposer`]: claims on the `Rollup` contract.
//! - [`service`]: the loop: load, batch, post, sync, propose.

pub mod genesis;
pub mod pool;
pub mod proposer;
pub mod rpc;
pub mod service;
