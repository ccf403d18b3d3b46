//! Dispute fixtures (`docs/fixtures.md`): the format of one self-contained dispute, the generator
//! that builds fixtures from scenario descriptions (`fixtures/scenarios.toml`), and the replay that
//! plays one on an embedded network and compares what the chain says with its expectation.

pub mod forge;
pub mod format;
pub mod generate;
pub mod replay;
