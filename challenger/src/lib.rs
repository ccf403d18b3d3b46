//! The challenger's library: the watchtower the `challenger run` daemon drives, usable in tests
//! as an honest or (in test mode) a dishonest player.

pub mod fixture;
pub mod forge;
pub mod generate;
pub mod metrics;
pub mod network;
pub mod replay;
pub mod watchtower;
