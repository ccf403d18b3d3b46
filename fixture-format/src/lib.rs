//! The dispute fixture format (`docs/fixtures.md`): one self-contained JSON file per dispute,
//! with the L2 genesis, the batches posted to L1, how the proposer and the challenger behave,
//! and the outcome the protocol prescribes. Loading checks every field the format alone can
//! judge and names the one that is wrong; whether a batch's blocks fit the batch codec is the
//! rollup's to say (`dispute_fixtures::inputs`).
//!
//! This crate is the format alone, with no EVM and no async runtime, so that another
//! implementation can read and check fixtures with it.

use std::{collections::BTreeMap, fmt, path::Path, str::FromStr};

use alloy_primitives::{Address, Bytes, U256};
pub use lies::{BlockLie, Lie};
use serde::{Deserialize, Serialize};

/// A fixture that cannot be used, with the field at fault.
#[derive(Debug, thiserror::Error)]
pub enum FixtureError {
    /// The file could not be read.
    #[error("reading the fixture: {0}")]
    Read(#[from] std::io::Error),
    /// A field is missing, of the wrong type or out of range.
    #[error("field `{field}`: {message}")]
    Field {
        /// The field, as a JSON path (`batches[1].payload`).
        field: String,
        /// What is wrong with it.
        message: String,
    },
}

impl FixtureError {
    /// The error for `field`, with what is wrong with it.
    pub fn field(field: impl Into<String>, message: impl Into<String>) -> Self {
        Self::Field {
            field: field.into(),
            message: message.into(),
        }
    }
}

/// How a dishonest party departs from the rules.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Deceit {
    /// It believes one block differs from the rules (`drop:4:1`, `root:2:0`, ...): see
    /// [`BlockLie`].
    Block(BlockLie),
    /// Its node decodes batches of any version as version 1 instead of deriving empty blocks
    /// (`any-batch-version`).
    AnyBatchVersion,
}

const ANY_BATCH_VERSION: &str = "any-batch-version";
/// Latest genesis time a fixture may have (far beyond any chain, far below overflow).
const MAX_TIME: u64 = 1 << 40;
/// Byte 0 of an element below this keeps the element below the BLS modulus (`0x73ed…`).
const FIRST_BYTE_BOUND: u8 = 0x73;
/// Longest clock or challenge window a fixture may have: ten years.
const MAX_SECONDS: u64 = 10 * 365 * 24 * 3600;
/// Field elements in a blob (EIP-4844).
pub const BLOB_ELEMENTS: usize = 4096;
/// Payload bytes a blob carries: bytes 1..31 of each element.
pub const BLOB_PAYLOAD_BYTES: usize = BLOB_ELEMENTS * 31;

impl FromStr for Deceit {
    type Err = lies::LieError;

    /// A [`BlockLie`]'s form, or `any-batch-version`.
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        if s == ANY_BATCH_VERSION {
            return Ok(Self::AnyBatchVersion);
        }
        s.parse().map(Self::Block)
    }
}

impl fmt::Display for Deceit {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Block(lie) => lie.fmt(f),
            Self::AnyBatchVersion => f.write_str(ANY_BATCH_VERSION),
        }
    }
}

impl Serialize for Deceit {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Deceit {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        String::deserialize(d)?
            .parse()
            .map_err(|e| serde::de::Error::custom(format!("{e}, or {ANY_BATCH_VERSION}")))
    }
}

/// One dispute, end to end.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Fixture {
    /// Short name (the file's stem).
    pub name: String,
    /// What the fixture shows.
    pub description: String,
    /// The L2's genesis.
    pub genesis: GenesisSpec,
    /// The rollup's game rules.
    pub rules: Rules,
    /// The batches posted to the inbox, in order, one blob each.
    pub batches: Vec<BatchSpec>,
    /// The proposer: claims every `every` blocks, honest or not.
    pub proposer: ProposerSpec,
    /// The challenger: honest or not.
    pub challenger: ChallengerSpec,
    /// What the protocol prescribes.
    pub expect: Outcome,
}

/// The L2's genesis.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GenesisSpec {
    /// Chain id.
    pub chain_id: u64,
    /// The L1's forks by timestamp, oldest first, which the L2 follows and the replay's devnet
    /// runs: the first from time 0, each later one a fork of [`L1_FORKS`] after the one before.
    pub l1_forks: Vec<L1Fork>,
    /// Block gas limit.
    pub gas_limit: u64,
    /// Beneficiary of every block.
    pub fee_recipient: Address,
    /// Genesis timestamp.
    pub timestamp: u64,
    /// Accounts (the system contracts are added).
    pub alloc: BTreeMap<Address, AccountSpec>,
}

/// Forks a fixture's L1 may schedule, in order: blob-parameter-only forks take mainnet's blob
/// parameters. The last one scheduled must be Osaka or later, which the contracts need.
pub const L1_FORKS: [&str; 5] = ["cancun", "prague", "osaka", "bpo1", "bpo2"];

/// An L1 fork and when it activates.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct L1Fork {
    /// One of [`L1_FORKS`].
    pub fork: String,
    /// First timestamp it applies to.
    pub from: u64,
}

/// A genesis account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct AccountSpec {
    /// Balance in wei.
    pub balance: U256,
    /// Nonce.
    #[serde(default, skip_serializing_if = "is_zero")]
    pub nonce: u64,
    /// Runtime code.
    #[serde(default, skip_serializing_if = "is_empty")]
    pub code: Bytes,
    /// Storage.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub storage: BTreeMap<U256, U256>,
}

const fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_empty(bytes: &Bytes) -> bool {
    bytes.is_empty()
}

/// The rollup's game rules (`Rollup.Config`; gas limit and fee recipient come from the genesis).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Rules {
    /// Seconds a claim can be challenged.
    pub challenge_window: u64,
    /// Each side's chess clock, in seconds.
    pub clock: u64,
    /// A claim's bond, in wei.
    pub proposal_bond: U256,
    /// A challenge's bond, in wei.
    pub challenge_bond: U256,
    /// Bisection degree.
    pub degree: u64,
}

/// A batch: blocks to encode, or raw payload bytes (to post a malformed batch).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BatchSpec {
    /// Blocks, encoded by the batch format.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub blocks: Option<Vec<BlockSpec>>,
    /// Raw payload (instead of `blocks`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub payload: Option<Bytes>,
    /// Blocks declared to the inbox (with `payload`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub block_count: Option<u16>,
    /// Byte 0 of each of the blob's 4096 elements, which derivation ignores (all zero when left
    /// out): the blob is posted with them, so the payload alone does not give it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub first_bytes: Option<Bytes>,
    /// Deposits queued on L1 just before the batch is posted, in order (none when left out).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub deposits: Option<Vec<DepositSpec>>,
}

/// A deposit to the L2 (`Inbox.deposit`), or with `data` a message (`Inbox.depositCall`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DepositSpec {
    /// The L2 address credited, or for a message the one it calls.
    pub to: Address,
    /// The amount, in gwei (at least 1, or for a message any).
    pub gwei: u64,
    /// A message's call data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub data: Option<Bytes>,
    /// A message's sender on L1 (the replay sends it from the dev key with this address).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Address>,
}

/// A block of a batch.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct BlockSpec {
    /// Declared timestamp.
    pub timestamp: u64,
    /// Candidate transactions, signed and encoded.
    pub transactions: Vec<Bytes>,
}

/// The proposer.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ProposerSpec {
    /// Claims every `every` L2 blocks.
    pub every: u64,
    /// How it lies (`null`: honest).
    pub lie: Option<Deceit>,
    /// It never moves in a game about its claims: it throws them (a proposer that lets a second
    /// address of its own reject its true claim, to farm the bonds of the claims built on it).
    #[serde(default, skip_serializing_if = "is_false")]
    pub abandons: bool,
}

/// The challengers: `count` of them, each with its own key, all behaving alike.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ChallengerSpec {
    /// How they lie (`null`: honest).
    pub lie: Option<Deceit>,
    /// How many challengers watch (1 when left out, at most [`MAX_CHALLENGERS`]).
    #[serde(default = "one", skip_serializing_if = "is_one")]
    pub count: u64,
    /// A forged step the first challenger sends at a candidate leaf it cannot prove (`null`:
    /// none).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub forge: Option<Forgery>,
}

/// Most challengers a fixture may have (the devnet's free dev keys).
pub const MAX_CHALLENGERS: u64 = 3;

const fn one() -> u64 {
    1
}

const fn is_one(n: &u64) -> bool {
    *n == 1
}

const fn is_false(b: &bool) -> bool {
    !*b
}

/// A step forged from the honest one, as an attacker who controls every byte of a move builds it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Forgery {
    /// Trace injection (`docs/protocol.md`, section 8): `ancestors` that end with the
    /// attacker's own header, segment and empty transaction and withdrawal lists, then open the
    /// witness so that the contract's own fields are swallowed as one witness node; `witness`
    /// closes it. Pasted raw around the contract's fields, EXECUTE accepts the trace as a no-op
    /// (post-state the pre-state, no gas).
    InjectAncestors,
}

/// The outcome of a fixture: what it prescribes, or what a replay saw.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Outcome {
    /// Every claim, in order (claim ids 1, 2, ...).
    pub claims: Vec<ClaimOutcome>,
    /// Every game, in order.
    pub games: Vec<GameOutcome>,
    /// What each side was paid in all (withdrawn or credited).
    pub payouts: Payouts,
    /// Every forged step sent, in order, and how it failed.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub forgeries: Vec<ForgeryOutcome>,
}

/// A forged step and its fate.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ForgeryOutcome {
    /// The game it was sent in.
    pub game: u64,
    /// The forgery.
    pub forgery: Forgery,
    /// The precompile's answer to the forged trace as the contract would have built it had it
    /// pasted the stepper's bytes raw (`true`: without the contract's check, the forgery wins).
    pub execute: bool,
    /// The custom error the contract reverted with.
    pub error: String,
}

/// A claim's fate.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ClaimOutcome {
    /// The L2 block claimed.
    pub block: u64,
    /// Finalized or rejected (by a game, or as an orphan of a rejected parent).
    pub status: ClaimStatus,
}

/// A claim's final status.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum ClaimStatus {
    /// Accepted after the challenge window.
    Finalized,
    /// Rejected by a game, or as an orphan (`rejectOrphan`: its parent was rejected).
    Rejected,
}

/// How a game ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct GameOutcome {
    /// The claim disputed.
    pub claim: u64,
    /// The L2 block the first level of the bisection landed on (where level 1 stood, if the
    /// game ended there).
    pub block: u64,
    /// The disputed position the second level landed on: the step runs from `position - 1`
    /// to `position` (candidate `position - 1`, or the end of the block if that is the last);
    /// 0 if the game ended at level 1.
    pub position: u64,
    /// The move that decided the game.
    pub step: Step,
    /// EXECUTE's answer in that move: a step whose EXECUTE answers false reverts
    /// (`ExecuteRejected`) and decides nothing, so a deciding step has `true`; `null` when a
    /// clock decided or the game was cancelled.
    pub execute: Option<bool>,
    /// The winner (`null` for a cancelled game).
    pub winner: Option<Side>,
}

/// The move that decided a game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Step {
    /// A candidate step (`proveCandidate`).
    ProveCandidate,
    /// An end step (`proveEnd`).
    ProveEnd,
    /// A clock ran out (`resolve`).
    Timeout,
    /// Another game had rejected the claim first (`cancel`: the challenger's bond back).
    Cancel,
}

/// A side of a game.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub enum Side {
    /// The claim's proposer.
    Defender,
    /// The challenger.
    Challenger,
}

/// Each side's total payout, in wei.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Payouts {
    /// The proposer's.
    pub proposer: U256,
    /// Each challenger's, in order.
    pub challengers: Vec<U256>,
}

impl Fixture {
    /// Reads and checks a fixture file; its `name` must be the file's stem.
    pub fn load(path: &Path) -> Result<Self, FixtureError> {
        let fixture = Self::parse(&std::fs::read_to_string(path)?)?;
        let stem = path
            .file_stem()
            .and_then(|s| s.to_str())
            .unwrap_or_default();
        if fixture.name != stem {
            return Err(FixtureError::Field {
                field: "name".into(),
                message: format!("{:?} is not the file's name, {stem:?}", fixture.name),
            });
        }
        Ok(fixture)
    }

    /// Parses and checks a fixture; errors name the field (a JSON path) and what is wrong.
    pub fn parse(text: &str) -> Result<Self, FixtureError> {
        let de = &mut serde_json::Deserializer::from_str(text);
        let fixture: Self = serde_path_to_error::deserialize(de).map_err(|e| {
            let field = e.path().to_string();
            let message = e.into_inner().to_string();
            // serde names a missing field in its message; the path is then its parent.
            let (field, message) = match message.strip_prefix("missing field `") {
                Some(rest) => {
                    let name = rest.split('`').next().unwrap_or_default();
                    let field = if field == "." {
                        name.to_string()
                    } else {
                        format!("{field}.{name}")
                    };
                    (field, "missing".to_string())
                }
                None => (field, message),
            };
            FixtureError::Field { field, message }
        })?;
        fixture.check()?;
        Ok(fixture)
    }

    /// Checks what the types cannot: ranges, one batch form each, lies the replay can stage.
    pub fn check(&self) -> Result<(), FixtureError> {
        let bad = |field: &str, message: &str| Err(FixtureError::field(field, message));
        let forks = &self.genesis.l1_forks;
        let mut previous: Option<(usize, u64)> = None;
        for (i, fork) in forks.iter().enumerate() {
            let field = format!("genesis.l1Forks[{i}]");
            let Some(index) = L1_FORKS.iter().position(|f| *f == fork.fork) else {
                return bad(&field, &format!("fork must be one of {L1_FORKS:?}"));
            };
            let in_order = match previous {
                None => fork.from == 0,
                Some((before, from)) => index > before && fork.from > from,
            };
            if !in_order || fork.from > MAX_TIME {
                return bad(
                    &field,
                    "the first fork is from 0, each later one a later fork from a later time",
                );
            }
            previous = Some((index, fork.from));
        }
        match previous {
            Some((last, _)) if last >= 2 => {}
            _ => return bad("genesis.l1Forks", "must end at osaka or later"),
        }
        if self.genesis.timestamp > MAX_TIME {
            return bad("genesis.timestamp", &format!("above {MAX_TIME}"));
        }
        if self.rules.degree < 2 || self.rules.degree > 1_024 {
            return bad("rules.degree", "must be in 2..=1024");
        }
        for (field, seconds) in [
            ("rules.clock", self.rules.clock),
            ("rules.challengeWindow", self.rules.challenge_window),
        ] {
            if seconds == 0 || seconds > MAX_SECONDS {
                return bad(field, &format!("must be in 1..={MAX_SECONDS} seconds"));
            }
        }
        if self.proposer.every == 0 {
            return bad("proposer.every", "must be at least 1");
        }
        if self.batches.is_empty() {
            return bad("batches", "at least one batch");
        }
        for (i, batch) in self.batches.iter().enumerate() {
            let field = format!("batches[{i}]");
            match (&batch.blocks, &batch.payload, batch.block_count) {
                (Some(blocks), None, None) if !blocks.is_empty() => {}
                (Some(_), None, None) => return bad(&format!("{field}.blocks"), "empty"),
                (None, Some(payload), Some(n)) if n > 0 => {
                    if payload.is_empty() || payload.len() > BLOB_PAYLOAD_BYTES {
                        return bad(
                            &format!("{field}.payload"),
                            "empty, or larger than a blob's payload",
                        );
                    }
                }
                (None, Some(_), _) => {
                    return bad(
                        &format!("{field}.blockCount"),
                        "a positive count with `payload`",
                    )
                }
                _ => return bad(&field, "either `blocks`, or `payload` with `blockCount`"),
            }
            if let Some(first) = &batch.first_bytes {
                // Below the BLS modulus (0x73ed…) whatever the other 31 bytes are.
                if first.len() != BLOB_ELEMENTS || first.iter().any(|&b| b >= FIRST_BYTE_BOUND) {
                    return bad(
                        &format!("{field}.firstBytes"),
                        "4096 bytes, each below 0x73 (an element must stay below the modulus)",
                    );
                }
            }
        }
        let blocks = self.block_count();
        let every = self.proposer.every;
        let last_claim = blocks / every * every;
        if last_claim == 0 {
            return bad(
                "proposer.every",
                "more than the blocks batched: nothing is claimed",
            );
        }
        let lies = [
            ("proposer.lie", self.proposer.lie),
            ("challenger.lie", self.challenger.lie),
        ];
        if lies.iter().all(|(_, l)| l.is_some()) {
            return bad("challenger.lie", "at most one side may lie");
        }
        if !(1..=MAX_CHALLENGERS).contains(&self.challenger.count) {
            return bad(
                "challenger.count",
                &format!("must be in 1..={MAX_CHALLENGERS}"),
            );
        }
        // Only a challenger that disputes a right value has a leaf it cannot prove.
        if self.challenger.forge.is_some() && !matches!(self.challenger.lie, Some(Deceit::Block(_)))
        {
            return bad(
                "challenger.forge",
                "a forging challenger must believe a block lie",
            );
        }
        for (field, lie) in lies {
            let Some(Deceit::Block(lie)) = lie else {
                continue;
            };
            if lie.block > last_claim {
                return bad(
                    field,
                    &format!(
                        "block {} is never claimed (the last claim is of block {last_claim})",
                        lie.block
                    ),
                );
            }
            let index = match lie.lie {
                Lie::Drop(k) | Lie::StateRoot(k) | Lie::Include(k) | Lie::DropDeposit(k) => k,
                Lie::Reorder(a, b) => a.max(b),
                Lie::Gas
                | Lie::Timestamp
                | Lie::InventDeposit
                | Lie::ForgeMessages
                | Lie::InventWithdrawal => 0,
            };
            if index > usize::from(u16::MAX) {
                return bad(field, "candidate index above 65535");
            }
        }
        Ok(())
    }

    /// The number of L2 blocks the batches declare.
    pub fn block_count(&self) -> u64 {
        self.batches
            .iter()
            .map(|b| match &b.blocks {
                Some(blocks) => blocks.len() as u64,
                None => u64::from(b.block_count.unwrap_or(0)),
            })
            .sum()
    }

    /// The fixture as its file holds it: pretty JSON with a final newline.
    pub fn to_json(&self) -> String {
        let mut text = serde_json::to_string_pretty(self).expect("a fixture serializes");
        text.push('\n');
        text
    }
}
