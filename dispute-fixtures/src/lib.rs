//! Dispute fixtures (`docs/fixtures.md`) in use: what a fixture gives the rollup, the generator
//! that builds fixtures from scenario descriptions (`fixtures/scenarios.toml`), and the replay that
//! plays one on an embedded network and compares what the chain says with its expectation. The
//! format itself is the `fixture-format` crate.

pub mod forge;
pub mod generate;
pub mod inputs;
pub mod replay;
