//! An L1 dev node on revm with the EXECUTE precompile.
//!
//! - [`accounts`]: the dev mnemonic's accounts.
//! - [`node`]: the chain: state, blocks, admission and mining.
//! - [`call`]: calls and gas estimates against the latest state.

pub mod accounts;
pub mod call;
pub mod node;

pub use call::{CallError, CallRequest};
pub use node::{MinedBlock, Node, NodeConfig, TxError};
