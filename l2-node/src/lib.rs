//! The L2 node: the rollup's rules (the `rollup` crate) applied to what an L1 holds, kept on
//! disk.
//!
//! - [`l1`]: the inbox's batches and their blobs read from an L1 (JSON-RPC and the beacon API),
//!   and batches posted as blob transactions.
//! - [`store`]: the node's sled database: state nodes by hash, block records, the L1 cursor.
//! - [`node`]: derivation from L1 into the store, reorgs, and the steps of any kept block.

pub mod l1;
pub mod node;
pub mod store;
