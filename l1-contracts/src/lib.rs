//! The rollup's L1 contracts from Rust, one place for every binding.
//!
//! The ABI types, always available (no I/O):
//! - [`inbox`]: `Inbox`, where batches are posted and deposits queued.
//! - [`bridge`]: `Bridge`, which pays withdrawals from the L2, and `L2Bridge`, the L2 predeploy
//!   that records them.
//! - [`blob_data`]: `BlobData`, which opens blobs and proves byte ranges of them.
//! - [`rollup`]: `Rollup`, the claims and the dispute game, with the step's input types.
//! - [`status`]: the contracts' claim and game statuses, typed.
//!
//! With the `rpc` feature (on by default):
//! - [`call`]: typed reads and writes over JSON-RPC.
//! - [`deploy`]: the contracts deployed from the committed artifacts.
//! - [`provider`]: the L1 provider with its retry policy, and signing keys.
//!
//! The types come from `sol!` over the Foundry artifacts committed in `contracts/artifacts`,
//! which `node artifacts.js check` keeps in step with the Solidity.

pub mod blob_data;
pub mod bridge;
pub mod inbox;
pub mod rollup;
pub mod status;

#[cfg(feature = "rpc")]
pub mod call;
#[cfg(feature = "rpc")]
pub mod deploy;
#[cfg(feature = "rpc")]
pub mod provider;
