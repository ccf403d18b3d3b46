//! An L1 dev node on revm with the EXECUTE precompile.
//!
//! - [`accounts`]: the dev mnemonic's accounts.
//! - [`blobs`]: blob sidecars: admission checks and the retention window.
//! - [`genesis`]: set-up from a genesis file, with its fork schedule.
//! - [`fork_config`]: EIP-7910's `eth_config` over that schedule.
//! - [`node`]: the chain: state, blocks, admission and mining.
//! - [`call`]: calls and gas estimates against the latest state.
//! - [`unlocked`]: the dev accounts the node signs for (`eth_sendTransaction`, `eth_sign`...).
//! - [`rpc`]: JSON-RPC methods over the node.
//! - [`beacon`]: the beacon API's blob endpoints.
//! - [`server`]: the HTTP endpoint.
//! - [`store`]: the optional on-disk chain (sled).

pub mod accounts;
pub mod beacon;
pub mod blobs;
pub mod call;
pub mod fork_config;
pub mod genesis;
pub mod node;
pub mod rpc;
pub mod server;
pub mod store;
pub mod unlocked;

pub use execute::call::{CallError, CallRequest};
pub use node::{MinedBlock, Node, NodeConfig, TxError};
