//! Installed filters (`eth_newFilter`, `eth_newBlockFilter`): what each one watches and the
//! first block its next poll reports. Filters not polled for [`FILTER_TIMEOUT`] are dropped,
//! as geth drops them, and at most [`MAX_FILTERS`] are kept, so clients cannot grow the table
//! without bound.

use std::{
    collections::HashMap,
    time::{Duration, Instant},
};

use alloy_primitives::U256;
use alloy_rpc_types_eth::Filter;
use jsonrpc::RpcError;

/// How long a filter lives without being polled.
pub const FILTER_TIMEOUT: Duration = Duration::from_secs(5 * 60);
/// The most filters installed at once.
pub const MAX_FILTERS: usize = 4096;

/// What a filter watches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum FilterKind {
    /// Logs that match.
    Logs(Box<Filter>),
    /// New blocks' hashes.
    Blocks,
}

#[derive(Debug)]
struct Installed {
    kind: FilterKind,
    next_block: u64,
    polled: Instant,
}

/// The installed filters of one server. Ids are random, so that a client cannot poll or remove
/// another's filter by guessing its id.
#[derive(Debug, Default)]
pub struct Filters {
    installed: HashMap<U256, Installed>,
}

impl Filters {
    /// Installs a filter that reports blocks after `latest`; its id.
    pub fn install(&mut self, kind: FilterKind, latest: u64) -> Result<U256, RpcError> {
        let now = Instant::now();
        self.installed
            .retain(|_, f| now.duration_since(f.polled) < FILTER_TIMEOUT);
        if self.installed.len() >= MAX_FILTERS {
            return Err(RpcError::server(format!(
                "too many filters installed (at most {MAX_FILTERS}); uninstall some"
            )));
        }
        let id = U256::from_be_slice(alloy_primitives::B128::random().as_slice());
        self.installed.insert(
            id,
            Installed {
                kind,
                next_block: latest + 1,
                polled: now,
            },
        );
        Ok(id)
    }

    /// Removes filter `id`; whether it was installed.
    pub fn uninstall(&mut self, id: U256) -> bool {
        self.installed.remove(&id).is_some()
    }

    /// What filter `id` watches, without polling it.
    pub fn kind(&self, id: U256) -> Result<FilterKind, RpcError> {
        self.installed
            .get(&id)
            .map(|f| f.kind.clone())
            .ok_or_else(not_found)
    }

    /// Polls filter `id` with the chain at `latest`: what it watches and the blocks to report
    /// (empty when none is new). A chain that moved back (a reorg, a reverted snapshot)
    /// reports from its new head on.
    pub fn poll(
        &mut self,
        id: U256,
        latest: u64,
    ) -> Result<(FilterKind, std::ops::RangeInclusive<u64>), RpcError> {
        let filter = self.installed.get_mut(&id).ok_or_else(not_found)?;
        filter.polled = Instant::now();
        let from = filter.next_block.min(latest + 1);
        filter.next_block = latest + 1;
        Ok((filter.kind.clone(), from..=latest))
    }
}

fn not_found() -> RpcError {
    RpcError::server("filter not found")
}
