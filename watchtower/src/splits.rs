//! The defender's split values, which the contract keeps only as a hash: read from the rollup's
//! `Split` events in bounded block ranges (public RPC providers refuse unbounded `eth_getLogs`)
//! and kept between ticks, so each tick reads only the L1 blocks since the last one.

use std::collections::BTreeMap;

use alloy_primitives::{Address, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::Filter;
use alloy_sol_types::SolEvent;
use l1_contracts::{provider::logs_in_ranges, rollup::Rollup};
use l2_node::l1::DEFAULT_LOG_RANGE;

use crate::WatchError;

/// L1 blocks read again each tick: events from a block a reorg replaced are dropped and the
/// canonical ones read back.
pub const REORG_DEPTH: u64 = 64;

/// One `Split` event.
#[derive(Debug, Clone, PartialEq, Eq)]
struct SplitEvent {
    /// L1 block that holds it.
    l1_block: u64,
    level: u8,
    lo: u64,
    hi: u64,
    values: Vec<B256>,
}

/// The `Split` events of the games the watchtower plays in.
#[derive(Debug)]
pub struct SplitLog {
    /// Most L1 blocks one query spans.
    range: u64,
    /// Last L1 block read (`None`: nothing read yet).
    read_to: Option<u64>,
    /// Events by game, in chain order.
    games: BTreeMap<u64, Vec<SplitEvent>>,
}

impl Default for SplitLog {
    fn default() -> Self {
        Self::new(DEFAULT_LOG_RANGE)
    }
}

impl SplitLog {
    /// An empty log that spans at most `range` L1 blocks per query (at least one).
    pub fn new(range: u64) -> Self {
        Self {
            range: range.max(1),
            read_to: None,
            games: BTreeMap::new(),
        }
    }

    /// Reads the events of `games` up to L1 block `head`: from `from_block` the first time, then
    /// from [`REORG_DEPTH`] blocks before the last block read, its range of blocks per query.
    /// Only these games' events are asked for, so another pair's games cannot swell the answers.
    pub async fn follow(
        &mut self,
        provider: &impl Provider,
        rollup: Address,
        from_block: u64,
        head: u64,
        games: &[u64],
    ) -> Result<(), WatchError> {
        let start = match self.read_to {
            Some(read_to) => read_to.saturating_sub(REORG_DEPTH).max(from_block),
            None => from_block,
        };
        if start > head {
            return Ok(());
        }
        for events in self.games.values_mut() {
            events.retain(|e| e.l1_block < start);
        }
        if !games.is_empty() {
            self.read(provider, rollup, start, head, games).await?;
        }
        self.read_to = Some(head);
        Ok(())
    }

    /// Reads game `game`'s events again from `from_block` up to `head`: what the log held for
    /// it does not match the split the contract records (a reorg deeper than [`REORG_DEPTH`]).
    pub async fn reread(
        &mut self,
        provider: &impl Provider,
        rollup: Address,
        from_block: u64,
        head: u64,
        game: u64,
    ) -> Result<(), WatchError> {
        self.games.remove(&game);
        self.read(provider, rollup, from_block, head, &[game]).await
    }

    /// Adds the events of `games` in blocks `start..=head`.
    async fn read(
        &mut self,
        provider: &impl Provider,
        rollup: Address,
        start: u64,
        head: u64,
        games: &[u64],
    ) -> Result<(), WatchError> {
        let topics: Vec<B256> = games.iter().map(|&g| U256::from(g).into()).collect();
        let filter = Filter::new()
            .address(rollup)
            .event_signature(Rollup::Split::SIGNATURE_HASH)
            .topic1(topics);
        let logs = logs_in_ranges(provider, &filter, start, head, self.range)
            .await
            .map_err(|source| WatchError::Rpc {
                what: "the games' splits",
                source,
            })?;
        for log in logs {
            let (Some(l1_block), Ok(event)) =
                (log.block_number, Rollup::Split::decode_log(&log.inner))
            else {
                continue;
            };
            let Ok(game) = u64::try_from(event.game) else {
                continue;
            };
            self.games.entry(game).or_default().push(SplitEvent {
                l1_block,
                level: event.level,
                lo: event.lo,
                hi: event.hi,
                values: event.data.values,
            });
        }
        Ok(())
    }

    /// The values of game `game`'s latest split of the round `(lo, hi]` at `level`.
    pub fn values(&self, game: u64, level: u8, lo: u64, hi: u64) -> Option<Vec<B256>> {
        self.games
            .get(&game)?
            .iter()
            .rfind(|e| e.level == level && e.lo == lo && e.hi == hi)
            .map(|e| e.values.clone())
    }

    /// Drops a game that is over.
    pub fn forget(&mut self, game: u64) {
        self.games.remove(&game);
    }
}
