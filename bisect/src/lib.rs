//! The dispute game off-chain, as `docs/protocol.md` defines it.
//!
//! - [`blob`]: batch blobs as the contracts read them: the payload layout, the Merkle root of the
//!   field elements, the KZG opening at the Fiat-Shamir point, and byte-range proofs.

pub mod blob;
