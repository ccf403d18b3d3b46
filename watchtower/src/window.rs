//! Which games and claims a tick reads: only what can still change, so that a tick's reads are
//! bounded by the open games and the claims in their window, not by the rollup's history.
//! The chain is reached through [`RollupState`], so the windows are tested without a node.

use std::{collections::BTreeMap, future::Future};

use alloy_primitives::{Address, U256};
use alloy_provider::Provider;
use l1_contracts::{call::read, rollup::Rollup, status::GameStatus};

use crate::{splits::REORG_DEPTH, WatchError};

/// Seconds past a claim's window after which no reorg the watchtower allows for (64 blocks of 12
/// seconds) can bring the claim back into it.
pub const REORG_SECONDS: u64 = REORG_DEPTH * 12;

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

/// Who a game is between: fixed when it is created, so a different pair under a known id means
/// an L1 reorg renumbered the games.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Sides {
    claim: u64,
    challenger: Address,
}

impl From<&Rollup::Game> for Sides {
    fn from(game: &Rollup::Game) -> Self {
        Self {
            claim: game.claim,
            challenger: game.challenger,
        }
    }
}

/// The open games one address plays in. A game's sides never change, so a game is looked at once
/// when it appears; after that only the open ones of this address are read again, and those of
/// its games that ended less than [`REORG_DEPTH`] blocks ago (a reorg could reopen them). A
/// known id that turns out to hold another pair, or a game count that went down, means a reorg
/// renumbered the games: the window is read again from the first game.
#[derive(Debug, Default)]
pub struct GameWindow {
    /// The first game not yet looked at.
    next: u64,
    /// Open games this address plays in (as challenger, or as the claim's proposer).
    ours: BTreeMap<u64, Sides>,
    /// Its games seen over, with the L1 head they were first seen over at.
    ended: BTreeMap<u64, (Sides, u64)>,
}

/// What [`GameWindow::open_games`] found.
#[derive(Debug, Default)]
pub struct Games {
    /// The open games the address plays in, by id.
    pub open: Vec<(u64, Rollup::Game)>,
    /// Claims the address was seen challenging, in games new to the window (open or over).
    pub challenged: Vec<u64>,
    /// Games that are not, or no longer, the address's to play: their events can go.
    pub done: Vec<u64>,
}

impl GameWindow {
    /// Reads the games new since the last call and the ones `me` plays in, at L1 head `head`.
    /// Progress is kept game by game, so a failed read costs only what is left.
    pub async fn open_games(
        &mut self,
        chain: &impl RollupState,
        me: Address,
        head: u64,
    ) -> Result<Games, WatchError> {
        let count = chain.game_count().await?;
        if count < self.next {
            tracing::warn!(
                count,
                seen = self.next,
                "fewer games than seen: reading them again"
            );
            *self = Self::default();
        }
        let mut found = Games::default();
        let known: Vec<(u64, Sides)> = self
            .ours
            .iter()
            .map(|(id, sides)| (*id, *sides))
            .chain(self.ended.iter().map(|(id, (sides, _))| (*id, *sides)))
            .collect();
        for (id, sides) in known {
            let game = chain.game(id).await?;
            if Sides::from(&game) != sides {
                tracing::warn!(
                    game = id,
                    "another game under a known id: reading them again"
                );
                *self = Self::default();
                found = Games::default();
                break;
            }
            if game.game_status() == GameStatus::Open {
                self.ended.remove(&id);
                self.ours.insert(id, sides);
                found.open.push((id, game));
            } else if self.ours.remove(&id).is_some() {
                self.ended.insert(id, (sides, head));
            } else if self
                .ended
                .get(&id)
                .is_some_and(|(_, at)| head > at + REORG_DEPTH)
            {
                self.ended.remove(&id);
                found.done.push(id);
            }
        }
        while self.next < count {
            let id = self.next;
            let game = chain.game(id).await?;
            let open = game.game_status() == GameStatus::Open;
            let ours =
                game.challenger == me || (open && chain.claim(game.claim).await?.proposer == me);
            if game.challenger == me {
                found.challenged.push(game.claim);
            }
            match (ours, open) {
                (true, true) => {
                    self.ours.insert(id, Sides::from(&game));
                    found.open.push((id, game));
                }
                (true, false) => {
                    self.ended.insert(id, (Sides::from(&game), head));
                }
                (false, _) => found.done.push(id),
            }
            self.next = id + 1;
        }
        Ok(found)
    }

    /// Whether game `id`'s events are worth keeping: one `me` plays in, or one not looked at yet.
    pub fn may_be_ours(&self, id: u64) -> bool {
        id >= self.next || self.ours.contains_key(&id)
    }

    /// The games whose events are read: those `me` plays in, and the next `unseen` ids.
    pub fn watched(&self, unseen: u64) -> Vec<u64> {
        self.ours
            .keys()
            .copied()
            .chain(self.next..self.next.saturating_add(unseen))
            .collect()
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
            if passed(&claim, now, window) {
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

    /// Moves past claim `id`, read at `now`, if it is the first and its window closed more than
    /// [`REORG_SECONDS`] ago; whether it did. Its status does not count: a reorg can undo a
    /// rejection, never the passing of time that far.
    pub fn pass(&mut self, id: u64, claim: &Rollup::Claim, now: u64, window: u64) -> bool {
        if self.first == Some(id) && passed(claim, now, window) {
            self.first = Some(id + 1);
            return true;
        }
        false
    }
}

/// Whether `claim`'s window closed more than [`REORG_SECONDS`] before `now`.
fn passed(claim: &Rollup::Claim, now: u64, window: u64) -> bool {
    now >= claim
        .createdAt
        .saturating_add(window)
        .saturating_add(REORG_SECONDS)
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

        let found = window.open_games(&chain, ME, 100).await.unwrap();
        let ids: Vec<u64> = found.open.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [1_000, 1_001], "ours as challenger, and as defender");
        assert_eq!(found.challenged, [7]);
        assert!(chain.reads() > 1_000);

        let found = window.open_games(&chain, ME, 101).await.unwrap();
        assert_eq!(found.open.len(), 2);
        assert_eq!(chain.reads(), 2, "the two open games of ours, nothing else");
        assert!(window.may_be_ours(1_001) && !window.may_be_ours(2));

        // Game 1000 ends; a new one of ours begins.
        chain.games[1_000].status = 2;
        chain.games.push(game(9, ME));
        let found = window.open_games(&chain, ME, 102).await.unwrap();
        let ids: Vec<u64> = found.open.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [1_001, 1_003]);
        assert_eq!(chain.reads(), 3);
        assert!(!window.may_be_ours(1_000));
        // An ended game is read until a reorg can no longer reopen it.
        window
            .open_games(&chain, ME, 102 + REORG_DEPTH)
            .await
            .unwrap();
        assert_eq!(chain.reads(), 3);
        let found = window
            .open_games(&chain, ME, 103 + REORG_DEPTH)
            .await
            .unwrap();
        assert_eq!(found.done, [1_000]);
        assert_eq!(chain.reads(), 3);
        window
            .open_games(&chain, ME, 104 + REORG_DEPTH)
            .await
            .unwrap();
        assert_eq!(chain.reads(), 2);
    }

    #[tokio::test]
    async fn a_reorg_that_renumbers_the_games_is_read_again() {
        let mut chain = history(10);
        chain.games.push(game(3, OTHER));
        chain.games.push(game(4, ME));
        let mut window = GameWindow::default();
        let found = window.open_games(&chain, ME, 100).await.unwrap();
        assert_eq!(found.open[0].0, 11);

        // The attacker's game 10 is reorged out and another takes id 11; ours is now 10.
        chain.games[10] = game(4, ME);
        chain.games[11] = game(6, OTHER);
        let found = window.open_games(&chain, ME, 101).await.unwrap();
        let ids: Vec<u64> = found.open.iter().map(|(id, _)| *id).collect();
        assert_eq!(ids, [10]);

        // Fewer games than seen: read again.
        chain.games.truncate(10);
        chain.games.push(game(4, ME));
        window.open_games(&chain, ME, 102).await.unwrap();
        chain.games.truncate(9);
        let found = window.open_games(&chain, ME, 103).await.unwrap();
        assert!(found.open.is_empty());
        assert!(window.may_be_ours(9));
    }

    #[tokio::test]
    async fn a_restart_finds_the_first_open_claim_by_bisection() {
        let mut chain = history(100_000);
        let now = 12 * 99_999;
        let mut window = ClaimWindow::default();
        let first = window
            .first(&chain, chain.claims.len() as u64, now, WINDOW)
            .await
            .unwrap();
        // Claim i is passed once 12 i + window + the reorg margin is behind.
        assert_eq!(first, 99_999 - (WINDOW + REORG_SECONDS) / 12 + 1);
        assert!(chain.reads() <= 17, "log2 of the history");
        assert!(!passed(&chain.claims[first as usize], now, WINDOW));
        assert!(passed(&chain.claims[first as usize - 1], now, WINDOW));

        // Time passes: the window moves past what closed, one claim at a time; a rejected claim
        // still in its window is not passed (a reorg could undo the rejection).
        let later = now + 24;
        chain.claims[first as usize + 2].status = 2;
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
