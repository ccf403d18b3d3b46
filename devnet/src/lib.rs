//! An L1 dev node on revm with the EXECUTE precompile.
//!
//! - [`accounts`]: the dev mnemonic's accounts.
//! - [`node`]: the chain: state, blocks, admission and mining.

pub mod accounts;
pub mod node;

pub use node::{MinedBlock, Node, NodeConfig, TxError};
