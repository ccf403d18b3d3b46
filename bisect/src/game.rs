//! The honest player: from a game's state on chain and the local replay of the L2, the move to
//! make next, for either side. Pure logic, so that it can be played against any opponent in
//! simulation as well as on chain.

use alloy_primitives::B256;

use l1_contracts::{rollup::Rollup, status::GameStatus};

/// The side played.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// The claim's proposer.
    Defender,
    /// The one who opened the game.
    Challenger,
}

/// A move, or waiting for the other side.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Move {
    /// Nothing to do now.
    Wait,
    /// The defender's values at the round's inner points.
    Split(Vec<B256>),
    /// The challenger disputes part `index` of the round split by `values`.
    Pick {
        /// The part.
        index: u64,
        /// The defender's values of the round.
        values: Vec<B256>,
    },
    /// The defender opens L2 block `block`.
    OpenBlock {
        /// The block level 1 narrowed to.
        block: u64,
    },
    /// Prove that candidate `candidate` of `block` executes.
    ProveCandidate {
        /// The block.
        block: u64,
        /// The candidate.
        candidate: u64,
    },
    /// Prove the end of `block`.
    ProveEnd {
        /// The block.
        block: u64,
    },
    /// The side to move ran out of clock: end the game.
    Resolve,
    /// Another game already rejected the claim: end this one, the challenger's bond returned.
    Cancel,
}

/// The chain as the local node derived it (its replay of L1), as the player needs it.
pub trait LocalChain {
    /// The hash of L2 block `number` (`None` if the replay has not reached it).
    fn block_hash(&self, number: u64) -> Option<B256>;
    /// The game value at position `pos` of block `block`: the position commitment for
    /// `pos <= m`, the block hash for `pos = m + 1` (`m` candidates).
    fn position_value(&self, block: u64, pos: u64) -> Option<B256>;
    /// Whether the inclusion rule includes candidate `k` of block `block`.
    fn includes(&self, block: u64, k: u64) -> Option<bool>;
}

/// The inner division points of a round over `(lo, hi]`: `min(degree, hi - lo)` equal parts, as
/// `Rollup.split` takes them.
pub fn split_points(lo: u64, hi: u64, degree: u64) -> Vec<u64> {
    let parts = (hi - lo).min(degree);
    (1..parts).map(|i| lo + (hi - lo) * i / parts).collect()
}

/// A game as the player sees it.
#[derive(Debug, Clone)]
pub struct GameView {
    /// The game's state.
    pub game: Rollup::Game,
    /// `Rollup.defenderToMove`.
    pub defender_to_move: bool,
    /// The defender's values of the current round, once it split (from its `Split` event).
    pub split_values: Option<Vec<B256>>,
    /// The bisection degree.
    pub degree: u64,
    /// Each side's clock, in seconds.
    pub clock: u64,
    /// The L1 time now.
    pub now: u64,
    /// Whether the game's claim was already rejected (by another game).
    pub claim_rejected: bool,
}

impl GameView {
    /// The L2 block a level-2 game is about.
    pub fn block(&self) -> u64 {
        self.game.ctx.parent.number + 1
    }

    /// The round's inner division points.
    pub fn points(&self) -> Vec<u64> {
        split_points(self.game.lo, self.game.hi, self.degree)
    }

    /// The side whose turn it is.
    pub const fn to_move(&self) -> Role {
        if self.defender_to_move {
            Role::Defender
        } else {
            Role::Challenger
        }
    }

    /// Seconds `role` has used, counting the running turn if it is `role`'s.
    pub fn used(&self, role: Role) -> u64 {
        let g = &self.game;
        let before = match role {
            Role::Defender => g.defenderUsed,
            Role::Challenger => g.challengerUsed,
        };
        let running = if role == self.to_move() {
            self.now.saturating_sub(g.turnStart)
        } else {
            0
        };
        before + running
    }

    /// Seconds of clock `role` has left (zero once it ran out).
    pub fn clock_left(&self, role: Role) -> u64 {
        self.clock.saturating_sub(self.used(role))
    }

    /// Whether the side to move has used up its clock.
    pub fn mover_out_of_time(&self) -> bool {
        self.used(self.to_move()) > self.clock
    }
}

/// Whether the defender is to move in `game`, as `Rollup.defenderToMove` decides it from the
/// same fields: computed from the game as read, so that the turn and the state it is about come
/// from one read of the chain (two calls could straddle a move).
pub fn defender_to_move(game: &Rollup::Game) -> bool {
    if game.hi - game.lo > 1 {
        return game.split == B256::ZERO;
    }
    if game.level == 1 {
        return true;
    }
    // A leaf: a skip value stands unless the challenger proves an execution.
    !(game.lo < game.ctx.candidates && game.hiValue == game.loValue)
}

/// The honest move for `role` in `view`, by the local `replay`; `Wait` when the replay lacks
/// what the move needs (the caller waits for it to catch up rather than act blind).
pub fn honest_move(view: &GameView, role: Role, chain: &impl LocalChain) -> Move {
    let g = &view.game;
    if g.game_status() != GameStatus::Open {
        return Move::Wait;
    }
    // Nothing is left to decide: the challenger takes its bond back instead of playing on.
    if view.claim_rejected && role == Role::Challenger {
        return Move::Cancel;
    }
    let ours = view.defender_to_move == (role == Role::Defender);
    if !ours && view.mover_out_of_time() {
        return Move::Resolve;
    }
    let leaf = g.hi - g.lo == 1;
    // At a level-2 leaf either side may prove its outcome; elsewhere only the side to move acts.
    let level_two_leaf = leaf && g.level == 2;
    if !ours && !level_two_leaf {
        return Move::Wait;
    }
    let value = |pos: u64| -> Option<B256> {
        if g.level == 1 {
            chain.block_hash(pos)
        } else {
            chain.position_value(view.block(), pos)
        }
    };
    if !leaf {
        let points = view.points();
        let Some(ours_at): Option<Vec<B256>> = points.iter().map(|p| value(*p)).collect() else {
            return Move::Wait;
        };
        return match role {
            Role::Defender => Move::Split(ours_at),
            Role::Challenger => {
                let Some(values) = view.split_values.clone() else {
                    return Move::Wait;
                };
                // The first part whose end we dispute; the last if we agree with every point.
                let index = values
                    .iter()
                    .zip(&ours_at)
                    .position(|(theirs, ours)| theirs != ours)
                    .unwrap_or(points.len());
                Move::Pick {
                    index: index as u64,
                    values,
                }
            }
        };
    }
    if g.level == 1 {
        return match role {
            Role::Defender => Move::OpenBlock { block: g.hi },
            Role::Challenger => Move::Wait,
        };
    }
    let block = view.block();
    if g.lo < g.ctx.candidates {
        match chain.includes(block, g.lo) {
            // Our outcome is an execution: prove it.
            Some(true) => Move::ProveCandidate {
                block,
                candidate: g.lo,
            },
            // Our outcome is the skip: it stands unless the other side proves an execution,
            // which it cannot; its clock decides.
            _ => Move::Wait,
        }
    } else {
        Move::ProveEnd { block }
    }
}
