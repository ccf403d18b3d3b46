//! The watchtower's decisions, with no I/O: which games to move in and in what order, and what
//! to do about a claim. The watchtower reads the chain, calls these, and sends what they say.

use alloy_primitives::B256;
use bisect::game::{honest_move, GameView, LocalChain, Move, Role};
use l1_contracts::{rollup::Rollup, status::ClaimStatus};

/// A game the watchtower plays in, as read this tick.
#[derive(Debug, Clone)]
pub struct Played {
    /// The game's id.
    pub id: u64,
    /// What the honest player sees of it.
    pub view: GameView,
    /// Which side this watchtower is.
    pub role: Role,
}

impl Played {
    /// Whether it is this watchtower's turn.
    pub fn our_turn(&self) -> bool {
        self.view.to_move() == self.role
    }

    /// Seconds left on this watchtower's clock.
    pub fn clock_left(&self) -> u64 {
        self.view.clock_left(self.role)
    }
}

/// A move to send this tick.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Planned {
    /// The game.
    pub game: u64,
    /// The honest move.
    pub next: Move,
    /// Whether it is a move on this watchtower's turn (not a resolution of the other's timeout).
    pub turn: bool,
    /// Seconds left on this watchtower's clock.
    pub clock_left: u64,
}

/// The moves of this tick, least clock left first. When gas is above the cap (`affordable` is
/// false), only the moves of games with less than `margin` seconds of clock are sent: waiting
/// would lose those on time, and a lost game costs more than any gas.
pub fn plan_moves(
    games: &[Played],
    chain: &impl LocalChain,
    affordable: bool,
    margin: u64,
) -> Vec<Planned> {
    let mut order: Vec<&Played> = games
        .iter()
        .filter(|g| affordable || g.clock_left() < margin)
        .collect();
    order.sort_by_key(|g| g.clock_left());
    order
        .into_iter()
        .filter_map(|g| {
            let next = honest_move(&g.view, g.role, chain);
            (next != Move::Wait).then(|| Planned {
                game: g.id,
                next,
                turn: g.our_turn(),
                clock_left: g.clock_left(),
            })
        })
        .collect()
}

/// What to do about a claim.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Verdict {
    /// Not pending, or outside its challenge window: nothing can be done, now or later.
    Closed,
    /// Made after the L1 head this tick checked: judged next tick.
    Young,
    /// The replay has not reached its block yet.
    NotReached,
    /// Its parent is wrong: the parent is the one to dispute, and this claim falls with it.
    WrongParent,
    /// The replay agrees.
    Right,
    /// The replay has another hash: challenge it.
    Wrong {
        /// The replay's hash of the block.
        ours: B256,
    },
}

/// Whether a claim is wrong by the replay, at L1 time `now` with a challenge window of `window`
/// seconds. A game takes the parent's hash as agreed, so a claim on a wrong parent cannot be won
/// against: only claims on right parents are challenged.
pub fn judge(
    claim: &Rollup::Claim,
    parent: &Rollup::Claim,
    chain: &impl LocalChain,
    now: u64,
    window: u64,
) -> Verdict {
    if is_closed(claim, now, window) {
        return Verdict::Closed;
    }
    if claim.createdAt > now {
        return Verdict::Young;
    }
    let Some(ours) = chain.block_hash(claim.l2Block) else {
        return Verdict::NotReached;
    };
    if chain.block_hash(parent.l2Block) != Some(parent.blockHash) {
        return Verdict::WrongParent;
    }
    if ours == claim.blockHash {
        Verdict::Right
    } else {
        Verdict::Wrong { ours }
    }
}

/// Whether nothing can happen to `claim` any more at time `now`: it is no longer pending, or
/// its challenge window has closed. Claims are made in order of time, so once a claim is closed
/// by its window, so is every earlier one.
pub fn is_closed(claim: &Rollup::Claim, now: u64, window: u64) -> bool {
    claim.claim_status() != ClaimStatus::Pending || now >= claim.createdAt.saturating_add(window)
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use alloy_primitives::{Address, U256};
    use bisect::game::split_points;

    use super::*;

    /// A replay that knows block hashes only (level-1 games).
    struct Hashes(HashMap<u64, B256>);

    impl LocalChain for Hashes {
        fn block_hash(&self, number: u64) -> Option<B256> {
            self.0.get(&number).copied()
        }
        fn position_value(&self, _: u64, _: u64) -> Option<B256> {
            None
        }
        fn includes(&self, _: u64, _: u64) -> Option<bool> {
            None
        }
    }

    fn hash(n: u64) -> B256 {
        B256::from(U256::from(n + 1))
    }

    fn replay() -> Hashes {
        Hashes((0..=64).map(|n| (n, hash(n))).collect())
    }

    const CLOCK: u64 = 1_000;

    /// A level-1 game over blocks `0..=64` where the defender is to split, having used
    /// `defender_used` seconds.
    fn game(id: u64, defender_used: u64) -> Played {
        let game = Rollup::Game {
            level: 1,
            lo: 0,
            hi: 64,
            loValue: hash(0),
            hiValue: B256::repeat_byte(0xee),
            defenderUsed: defender_used,
            turnStart: 10_000,
            ..Default::default()
        };
        Played {
            id,
            view: GameView {
                game,
                defender_to_move: true,
                split_values: None,
                degree: 4,
                clock: CLOCK,
                now: 10_000,
                claim_rejected: false,
            },
            role: Role::Defender,
        }
    }

    #[test]
    fn the_least_clock_moves_first() {
        let games = [game(1, 100), game(2, 900), game(3, 500)];
        let plan = plan_moves(&games, &replay(), true, 100);
        let order: Vec<u64> = plan.iter().map(|p| p.game).collect();
        assert_eq!(order, [2, 3, 1]);
        let values: Vec<B256> = split_points(0, 64, 4).into_iter().map(hash).collect();
        assert_eq!(plan[0].next, Move::Split(values));
        assert!(plan.iter().all(|p| p.turn));
        assert_eq!(plan[0].clock_left, 100);
    }

    #[test]
    fn above_the_gas_cap_only_moves_that_would_lose_on_time_go() {
        let games = [game(1, 100), game(2, 950), game(3, 500)];
        let plan = plan_moves(&games, &replay(), false, 100);
        let order: Vec<u64> = plan.iter().map(|p| p.game).collect();
        assert_eq!(order, [2]);
    }

    #[test]
    fn a_game_waiting_on_the_other_side_is_not_a_move() {
        let mut waiting = game(1, 0);
        waiting.role = Role::Challenger;
        assert!(plan_moves(&[waiting], &replay(), true, 100).is_empty());
    }

    fn claim(block: u64, hash: B256, created: u64) -> Rollup::Claim {
        Rollup::Claim {
            proposer: Address::repeat_byte(1),
            l2Block: block,
            createdAt: created,
            blockHash: hash,
            ..Default::default()
        }
    }

    #[test]
    fn claims_are_judged_by_the_replay_on_a_right_parent() {
        let r = replay();
        let genesis = claim(0, hash(0), 0);
        let (now, window) = (5_000, 3_600);
        let right = claim(8, hash(8), 4_000);
        assert_eq!(judge(&right, &genesis, &r, now, window), Verdict::Right);
        let wrong = claim(8, B256::repeat_byte(7), 4_000);
        assert_eq!(
            judge(&wrong, &genesis, &r, now, window),
            Verdict::Wrong { ours: hash(8) }
        );
        let on_wrong = claim(16, B256::repeat_byte(9), 4_000);
        assert_eq!(
            judge(&on_wrong, &wrong, &r, now, window),
            Verdict::WrongParent
        );
        let ahead = claim(100, B256::repeat_byte(7), 4_000);
        assert_eq!(
            judge(&ahead, &genesis, &r, now, window),
            Verdict::NotReached
        );
        let young = claim(8, B256::repeat_byte(7), now + 1);
        assert_eq!(judge(&young, &genesis, &r, now, window), Verdict::Young);
        let old = claim(8, B256::repeat_byte(7), now - window);
        assert_eq!(judge(&old, &genesis, &r, now, window), Verdict::Closed);
        let mut rejected = wrong;
        rejected.status = 2;
        assert_eq!(judge(&rejected, &genesis, &r, now, window), Verdict::Closed);
    }
}
