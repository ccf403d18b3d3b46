//! Which games and claims a tick reads: only what can still change, so that a tick's reads are
//! bounded by the open games and the claims in their window, not by the rollup's history.
//! The chain is reached through [`RollupState`], so the windows are tested without a node.

use std::{collections::BTreeSet, future::Future};

use alloy_primitives::{Address, U256};
use alloy_provider::Provider;
use l1_contracts::{call::read, rollup::Rollup, status::GameStatus};

use crate::{plan::is_closed, WatchError};

/// What the watchtower reads of the rollup's claims and games.
pub trait RollupState {
    /// `Rollup.claimCount`.
    fn claim_count(&self) -> impl Future<Output = Result<u64, WatchError>> + Send;
    /// `Rollup.claims(id)`.
    fn claim(&self, id: u64) -> impl Future<Output = Result<Rollup::Claim, WatchError>> + Send;
    /// `Rollup.gameCount`.
    fn game_count(&self) -> impl Future<Output = Result<u64, WatchError>> + Send;
    /// `Rollup.games(id)`.
    fn game(&self, id: u64) -> impl Future<Output = Result<Rollup::Game, WatchError>> + Send;
}

/// The rollup contract over JSON-RPC, at the latest block.
#[derive(Debug, Clone, Copy)]
pub struct RollupContract<'a, P> {
    /// The L1 provider.
    pub provider: &'a P,
    /// The rollup contract.
    pub rollup: Address,
}

impl<P: Provider> RollupState for RollupContract<'_, P> {
    async fn claim_count(&self) -> Result<u64, WatchError> {
        let count = read(self.provider, self.rollup, Rollup::claimCountCall {}).await?;
        Ok(count.saturating_to())
    }

    async fn claim(&self, id: u64) -> Result<Rollup::Claim, WatchError> {
        let call = Rollup::claimCall { id: U256::from(id) };
        Ok(read(self.provider, self.rollup, call).await?)
    }

    async fn game_count(&self) -> Result<u64, WatchError> {
        let count = read(self.provider, self.rollup, Rollup::gameCountCall {}).await?;
        Ok(count.saturating_to())
    }

    async fn game(&self, id: u64) -> Result<Rollup::Game, WatchError> {
        let call = Rollup::gameCall { id: U256::from(id) };
        Ok(read(self.provider, self.rollup, call).await?)
    }
}

/// The open games one address plays in. A game's sides never change, so a game is looked at once
/// when it appears; after that only the open ones of this address are read again.
#[derive(Debug, Default)]
pub struct GameWindow {
    /// The first game not yet looked at.
    next: u64,
    /// Open games this address plays in (as challenger, or as the claim's proposer).
    ours: BTreeSet<u64>,
}

/// What [`GameWindow::open_games`] found.
#[derive(Debug, Default)]
pub struct Games {
    /// The open games the address plays in, by id.
    pub open: Vec<(u64, Rollup::Game)>,
    /// Claims the address was seen challenging, in games new to the window (open or over).
    pub challenged: Vec<u64>,
    /// Games it played in that are now over.
    pub closed: Vec<u64>,
}

impl GameWindow {
    /// Reads the games new since the last call and the open ones `me` plays in.
    pub async fn open_games(
        &mut self,
        chain: &impl RollupState,
        me: Address,
    ) -> Result<Games, WatchError> {
        let count = chain.game_count().await?;
        let mut found = Games::default();
        let mut ours = BTreeSet::new();
        for &id in self.ours.range(..self.next) {
            let game = chain.game(id).await?;
            if game.game_status() == GameStatus::Open {
                ours.insert(id);
                found.open.push((id, game));
            } else {
                found.closed.push(id);
            }
        }
        for id in self.next..count {
            let game = chain.game(id).await?;
            if game.challenger == me {
                found.challenged.push(game.claim);
            }
            if game.game_status() != GameStatus::Open {
                continue;
            }
            if game.challenger == me || chain.claim(game.claim).await?.proposer == me {
                ours.insert(id);
                found.open.push((id, game));
            }
        }
        self.ours = ours;
        self.next = self.next.max(count);
        Ok(found)
    }

    /// Whether game `id`'s events are worth keeping: one `me` plays in, or one not looked at yet.
    pub fn may_be_ours(&self, id: u64) -> bool {
        id >= self.next || self.ours.contains(&id)
    }
}

/// The claims that may still be challenged: from the first one whose window is open. Claims are
/// made in order of time, so every earlier one's window has closed.
#[derive(Debug, Default)]
pub struct ClaimWindow {
    /// The first claim that may still be open (`None`: not found yet).
    first: Option<u64>,
}

impl ClaimWindow {
    /// The first claim that may still be challenged at `now` with a window of `window` seconds,
    /// of `count`: found by bisection over the claims' times the first time (what a restarted
    /// watchtower does instead of reading the whole history), then where the last call left it.
    /// Claim 0 is the genesis, never challenged.
    pub async fn first(
        &mut self,
        chain: &impl RollupState,
        count: u64,
        now: u64,
        window: u64,
    ) -> Result<u64, WatchError> {
        if let Some(first) = self.first {
            return Ok(first);
        }
        let (mut lo, mut hi) = (1, count.max(1));
        while lo < hi {
            let mid = lo + (hi - lo) / 2;
            let claim = chain.claim(mid).await?;
            if now >= claim.createdAt.saturating_add(window) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        self.first = Some(lo);
        Ok(lo)
    }

    /// Whether claim `id` is the first that may still be open.
    pub fn is_first(&self, id: u64) -> bool {
        self.first == Some(id)
    }

    /// Moves past claim `id`, read at `now`, if it is the first and nothing can happen to it any
    /// more; whether it did.
    pub fn pass(&mut self, id: u64, claim: &Rollup::Claim, now: u64, window: u64) -> bool {
        if self.first == Some(id) && is_closed(claim, now, window) {
            self.first = Some(id + 1);
            return true;
        }
        false
    }
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};

    use super::*;

    const ME: Address = Address::repeat_byte(0xaa);
    const OTHER: Address = Address::repeat_byte(0xbb);
    const WINDOW: u64 = 3_600;

    /// A rollup in memory that counts the reads of claims and games.
    #[derive(Default)]
    struct Memory {
        claims: Vec<Rollup::Claim>,
        games: Vec<Rollup::Game>,
        reads: AtomicUsize,
    }

    impl Memory {
        fn reads(&self) -> usize {
            self.reads.swap(0, Ordering::Relaxed)
        }
    }

    impl RollupState for Memory {
        async fn claim_count(&self) -> Result<u64, WatchError> {
            Ok(self.claims.len() as u64)
        }
        async fn claim(&self, id: u64) -> Result<Rollup::Claim, WatchError> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            Ok(self.claims[id as usize].clone())
        }
        async fn game_count(&self) -> Result<u64, WatchError> {
            Ok(self.games.len() as u64)
        }
        async fn game(&self, id: u64) -> Result<Rollup::Game, WatchError> {
            self.reads.fetch_add(1, Ordering::Relaxed);
            Ok(self.games[id as usize].clone())
        }
    }

    /// `n` claims by `OTHER`, one every 12 s, and `n` finished games between others.
    fn history(n: u64) -> Memory {
        let claims = (0..n)
            .map(|i| Rollup::Claim {
                proposer: OTHER,
                createdAt: 12 * i,
                ..Default::default()
            })
            .collect();
        let games = (0..n)
            .map(|i| Rollup::Game {
                claim: i,
                challenger: OTHER,
                status: 1,
                ..Default::default()
            })
            .collect();
        Memory {
            claims,
            games,
            ..Default::default()
        }
    }

    fn game(claim: u64, challenger: Address) -> Rollup::Game {
        Rollup::Game {
            claim,
            challenger,
            ..Default::default()
        }
    }

    #[tokio::test]
    async fn after_the_first_tick_only_open_games_of_ours_are_read() {
        let mut chain = history(1_000);
        chain.claims[5].proposer = ME;
        chain.games.push(game(7, ME));
        chain.games.push(game(5, OTHER));
        chain.games.push(game(8, OTHER));
        let mut window = GameWindow::default();

        let found = window.open_games(&chain, ME).await.unwrap();
        let ids: Vec<u64> = found.open.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [1_000, 1_001], "ours as challenger, and as defender");
        assert_eq!(found.challenged, [7]);
        assert!(chain.reads() > 1_000);

        let found = window.open_games(&chain, ME).await.unwrap();
        assert_eq!(found.open.len(), 2);
        assert_eq!(chain.reads(), 2, "the two open games of ours, nothing else");
        assert!(window.may_be_ours(1_001) && !window.may_be_ours(2));

        chain.games[1_000].status = 2;
        chain.games.push(game(9, ME));
        let found = window.open_games(&chain, ME).await.unwrap();
        let ids: Vec<u64> = found.open.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [1_001, 1_003]);
        assert_eq!(found.closed, [1_000]);
        assert_eq!(chain.reads(), 3);
        assert!(!window.may_be_ours(1_000));
    }

    #[tokio::test]
    async fn a_restart_finds_the_first_open_claim_by_bisection() {
        let chain = history(100_000);
        let now = 12 * 99_999;
        let mut window = ClaimWindow::default();
        let first = window
            .first(&chain, chain.claims.len() as u64, now, WINDOW)
            .await
            .unwrap();
        // Claim i closes at 12 i + 3600: the first still open is the 301st from the end.
        assert_eq!(first, 99_999 - WINDOW / 12 + 1);
        assert!(chain.reads() <= 17, "log2 of the history");
        assert!(!is_closed(&chain.claims[first as usize], now, WINDOW));
        assert!(is_closed(&chain.claims[first as usize - 1], now, WINDOW));

        // Time passes: the window moves past what closed, one claim at a time.
        let later = now + 24;
        assert!(window.pass(first, &chain.claims[first as usize], later, WINDOW));
        assert!(window.pass(first + 1, &chain.claims[first as usize + 1], later, WINDOW));
        assert!(!window.pass(first + 2, &chain.claims[first as usize + 2], later, WINDOW));
        let count = chain.claims.len() as u64;
        assert_eq!(
            window.first(&chain, count, later, WINDOW).await.unwrap(),
            first + 2
        );
        assert_eq!(chain.reads(), 0);
    }
}
