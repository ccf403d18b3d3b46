//! The honest player in simulated games against random and adversarial opponents: a model of
//! `Rollup`'s rules (rounds, the block opening, the leaf rule with its skip value, clocks as
//! turns) where proofs succeed only for the truth. Whatever the opponent does, the honest side
//! wins, within the move bound.

use alloy_primitives::{keccak256, B256};
use bisect::game::{defender_to_move, honest_move, GameView, LocalChain, Move, Role};
use l1_contracts::rollup::Rollup;
use proptest::prelude::*;

/// The true chain: `blocks` blocks; block `n` has `candidates[n - 1]` candidates, of which those
/// flagged in `included` run.
#[derive(Debug, Clone)]
struct Truth {
    candidates: Vec<u64>,
    included: Vec<Vec<bool>>,
}

impl Truth {
    fn blocks(&self) -> u64 {
        self.candidates.len() as u64
    }

    fn hash_of(&self, n: u64) -> B256 {
        if n == 0 {
            return keccak256(b"genesis");
        }
        keccak256([b"block".as_slice(), &n.to_be_bytes()].concat())
    }

    /// Position `p` of block `n`: it only moves when a candidate runs.
    fn position(&self, n: u64, p: u64) -> B256 {
        let m = self.candidates[n as usize - 1];
        if p == m + 1 {
            return self.hash_of(n);
        }
        let ran = self.included[n as usize - 1][..p as usize]
            .iter()
            .filter(|x| **x)
            .count() as u64;
        keccak256([b"pos".as_slice(), &n.to_be_bytes(), &ran.to_be_bytes()].concat())
    }
}

impl LocalChain for Truth {
    fn block_hash(&self, number: u64) -> Option<B256> {
        Some(self.hash_of(number))
    }

    fn position_value(&self, block: u64, pos: u64) -> Option<B256> {
        Some(self.position(block, pos))
    }

    fn includes(&self, block: u64, k: u64) -> Option<bool> {
        Some(self.included[block as usize - 1][k as usize])
    }
}

/// How the opponent plays each decision: a seed of choices.
#[derive(Debug, Clone)]
struct Opponent {
    choices: Vec<u8>,
    next: usize,
}

impl Opponent {
    fn choose(&mut self, n: u64) -> u64 {
        let c = self.choices[self.next % self.choices.len()];
        self.next += 1;
        u64::from(c) % n.max(1)
    }

    /// A value: the truth, or (sometimes) something else.
    fn value(&mut self, truth: B256) -> B256 {
        if self.choose(3) == 0 {
            keccak256([truth.as_slice(), &[self.choose(255) as u8]].concat())
        } else {
            truth
        }
    }
}

const DEGREE: u64 = 4;
const CLOCK_TURNS: u64 = 3;

struct Sim {
    truth: Truth,
    game: Rollup::Game,
    split_values: Option<Vec<B256>>,
    /// Turns each side has let pass while it was to move (its clock).
    waited: [u64; 2],
    honest_moves: u64,
}

impl Sim {
    fn defender_to_move(&self) -> bool {
        defender_to_move(&self.game)
    }

    fn view(&self) -> GameView {
        let to_move = usize::from(!self.defender_to_move());
        let mut game = self.game.clone();
        // Time: each waited turn is a second; a clock of CLOCK_TURNS seconds.
        game.turnStart = 0;
        game.defenderUsed = 0;
        game.challengerUsed = 0;
        GameView {
            game,
            defender_to_move: to_move == 0,
            split_values: self.split_values.clone(),
            degree: DEGREE,
            clock: CLOCK_TURNS,
            now: self.waited[to_move],
            claim_rejected: false,
        }
    }

    fn points(&self) -> Vec<u64> {
        self.view().points()
    }

    fn finish(&mut self, defender_wins: bool) {
        self.game.status = if defender_wins { 1 } else { 2 };
    }

    /// Applies `mv` by `side` if the contract would accept it; returns whether it did.
    fn apply(&mut self, side: Role, mv: &Move) -> bool {
        let defender = side == Role::Defender;
        let leaf = self.game.hi - self.game.lo == 1;
        let to_move = self.defender_to_move() == defender;
        match mv {
            // A single game's claim is never rejected by another one here.
            Move::Wait | Move::Cancel => false,
            Move::Resolve => {
                let mover = usize::from(!self.defender_to_move());
                if self.waited[mover] > CLOCK_TURNS {
                    self.finish(!self.defender_to_move());
                    true
                } else {
                    false
                }
            }
            Move::Split(values) => {
                if !to_move || !defender || leaf || values.len() != self.points().len() {
                    return false;
                }
                self.game.split = keccak256(values.iter().flat_map(|v| v.0).collect::<Vec<u8>>());
                self.split_values = Some(values.clone());
                true
            }
            Move::Pick { index, values } => {
                if !to_move || defender || self.split_values.as_ref() != Some(values) {
                    return false;
                }
                let parts = self.points().len() as u64 + 1;
                if *index >= parts {
                    return false;
                }
                let g = &mut self.game;
                let span = g.hi - g.lo;
                let (lo, hi) = (
                    g.lo + span * index / parts,
                    g.lo + span * (index + 1) / parts,
                );
                if *index > 0 {
                    g.loValue = values[*index as usize - 1];
                }
                if index + 1 < parts {
                    g.hiValue = values[*index as usize];
                }
                (g.lo, g.hi) = (lo, hi);
                g.split = B256::ZERO;
                self.split_values = None;
                true
            }
            Move::OpenBlock { block } => {
                let g = &self.game;
                // The parent header must hash to the agreed value: only the truth has a preimage.
                if !to_move
                    || !defender
                    || !leaf
                    || g.level != 1
                    || *block != g.hi
                    || g.loValue != self.truth.hash_of(g.lo)
                {
                    return false;
                }
                let m = self.truth.candidates[*block as usize - 1];
                let start = self.truth.position(*block, 0);
                let g = &mut self.game;
                g.level = 2;
                g.ctx.parent.number = block - 1;
                g.ctx.candidates = m;
                g.lo = 0;
                g.hi = m + 1;
                g.loValue = start;
                true
            }
            Move::ProveCandidate { block, candidate } => {
                let g = &self.game;
                let n = g.ctx.parent.number + 1;
                // EXECUTE accepts only the truth, from an agreed true position.
                if g.level != 2
                    || !leaf
                    || *block != n
                    || *candidate != g.lo
                    || g.lo >= g.ctx.candidates
                    || g.loValue != self.truth.position(n, g.lo)
                    || !self.truth.included[n as usize - 1][g.lo as usize]
                {
                    return false;
                }
                let outcome = self.truth.position(n, g.lo + 1);
                self.settle(defender, outcome)
            }
            Move::ProveEnd { block } => {
                let g = &self.game;
                let n = g.ctx.parent.number + 1;
                if g.level != 2
                    || !leaf
                    || *block != n
                    || g.lo != g.ctx.candidates
                    || g.loValue != self.truth.position(n, g.lo)
                {
                    return false;
                }
                let outcome = self.truth.hash_of(n);
                self.settle(defender, outcome)
            }
        }
    }

    fn settle(&mut self, defender: bool, outcome: B256) -> bool {
        let matches = outcome == self.game.hiValue;
        if defender != matches {
            return false; // WrongOutcome
        }
        self.finish(defender);
        true
    }

    /// A random (possibly dishonest, possibly invalid) move by the opponent.
    fn opponent_move(&mut self, side: Role, op: &mut Opponent) -> Move {
        let g = self.game.clone();
        match op.choose(8) {
            0 => Move::Wait,
            1 => Move::Resolve,
            2 | 3 if side == Role::Defender && g.hi - g.lo > 1 => {
                let truth: Vec<B256> = self
                    .points()
                    .iter()
                    .map(|p| {
                        if g.level == 1 {
                            self.truth.hash_of(*p)
                        } else {
                            self.truth.position(g.ctx.parent.number + 1, *p)
                        }
                    })
                    .collect();
                Move::Split(truth.into_iter().map(|t| op.value(t)).collect())
            }
            2 | 3 => match self.split_values.clone() {
                Some(values) => Move::Pick {
                    index: op.choose(values.len() as u64 + 1),
                    values,
                },
                None => Move::Wait,
            },
            4 => Move::OpenBlock { block: g.hi },
            5 => Move::ProveCandidate {
                block: g.ctx.parent.number + 1,
                candidate: g.lo,
            },
            6 => Move::ProveEnd {
                block: g.ctx.parent.number + 1,
            },
            _ => honest_move(&self.view(), side, &self.truth),
        }
    }
}

fn truth_strategy() -> impl Strategy<Value = Truth> {
    proptest::collection::vec(proptest::collection::vec(any::<bool>(), 0..12), 1..40).prop_map(
        |blocks| Truth {
            candidates: blocks.iter().map(|b| b.len() as u64).collect(),
            included: blocks,
        },
    )
}

/// Rounds to narrow `span` parts to one at degree `d`.
fn rounds(mut span: u64) -> u64 {
    let mut r = 0;
    while span > 1 {
        span = span.div_ceil(DEGREE);
        r += 1;
    }
    r
}

fn play(truth: Truth, honest: Role, claimed_wrong: bool, mut op: Opponent) -> (u8, u64) {
    let top = truth.blocks();
    let claim_hash = if claimed_wrong {
        keccak256(b"a wrong claim")
    } else {
        truth.hash_of(top)
    };
    let game = Rollup::Game {
        level: 1,
        lo: 0,
        hi: top,
        loValue: truth.hash_of(0),
        hiValue: claim_hash,
        ..Default::default()
    };
    let mut sim = Sim {
        truth,
        game,
        split_values: None,
        waited: [0, 0],
        honest_moves: 0,
    };
    let opponent = if honest == Role::Defender {
        Role::Challenger
    } else {
        Role::Defender
    };
    for _ in 0..10_000 {
        if sim.game.status != 0 {
            break;
        }
        let defender_turn = sim.defender_to_move();
        // The honest side first, then the opponent: each gets a chance every turn.
        let mv = honest_move(&sim.view(), honest, &sim.truth);
        if mv != Move::Wait {
            assert!(sim.apply(honest, &mv), "the honest move {mv:?} was refused");
            sim.honest_moves += 1;
            continue;
        }
        let mv = sim.opponent_move(opponent, &mut op);
        if !sim.apply(opponent, &mv) {
            // A refused or no move: the side to move loses a second.
            sim.waited[usize::from(!defender_turn)] += 1;
        }
    }
    (sim.game.status, sim.honest_moves)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 300, ..ProptestConfig::default() })]

    #[test]
    fn an_honest_challenger_beats_any_defender_of_a_wrong_claim(
        truth in truth_strategy(),
        choices in proptest::collection::vec(any::<u8>(), 1..64),
    ) {
        let blocks = truth.blocks();
        let most = *truth.candidates.iter().max().unwrap();
        let (status, moves) = play(truth, Role::Challenger, true, Opponent { choices, next: 0 });
        prop_assert_eq!(status, 2, "the challenger wins");
        // Picks per round at both levels, one proof, one resolve.
        prop_assert!(moves <= rounds(blocks) + rounds(most + 1) + 2, "{} moves", moves);
    }

    #[test]
    fn an_honest_defender_beats_any_challenger_of_a_right_claim(
        truth in truth_strategy(),
        choices in proptest::collection::vec(any::<u8>(), 1..64),
    ) {
        let blocks = truth.blocks();
        let most = *truth.candidates.iter().max().unwrap();
        let (status, moves) = play(truth, Role::Defender, false, Opponent { choices, next: 0 });
        prop_assert_eq!(status, 1, "the defender wins");
        // Splits per round at both levels, the opening, one proof, one resolve.
        prop_assert!(moves <= rounds(blocks) + rounds(most + 1) + 3, "{} moves", moves);
    }
}
