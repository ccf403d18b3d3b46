//! Builds dispute fixtures from scenario descriptions (`fixtures/scenarios.toml`): signs the L2
//! transactions, cuts them into batches, and works out the outcome the protocol prescribes by
//! deriving the honest chain and the dishonest party's chain in memory and playing the
//! bisection's rule on them (`docs/protocol.md`, sections 3 and 5) — without the watchtower,
//! the contracts or a devnet, which `toolkit replay` then holds to it.

use std::collections::BTreeMap;

use alloy_consensus::TxEip1559;
use alloy_primitives::{address, Address, Bytes, TxKind, B256, U256};
use bisect::{game::split_points, step::candidate_step};
use execute::{ChainConfig, Fork, Host};
use rollup::lie::BlockLie;
use rollup::{
    batch::{decode, VERSION},
    blob::PAYLOAD_BYTES,
    derive::{DerivedBlock, L2Chain},
    rules::{block_inputs, MAX_STEP_BYTES, MAX_STEP_GAS},
    wallet::L2Wallet,
};
use serde::Deserialize;

use crate::forge::inject_ancestors;
use crate::inputs::{batches, l2_genesis, to_batch_blocks};
use fixture_format::{
    AccountSpec, BatchSpec, BlockSpec, ChallengerSpec, ClaimOutcome, ClaimStatus, Deceit,
    DepositSpec, Fixture, Forgery, ForgeryOutcome, GameOutcome, GenesisSpec, L1Fork, Outcome,
    Payouts, ProposerSpec, Rules, Side, Step,
};

/// The L2's chain id in every fixture.
pub const CHAIN_ID: u64 = 1_901;
/// The L2's genesis time; block `n` declares `GENESIS_TIME + 12 n`, before any L1 time the
/// replay's devnet can have, so that the L1 time never changes an L2 block.
pub const GENESIS_TIME: u64 = 1_700_000_000;
/// The L1 time derivation assumes here (it only stamps the blocks of a malformed batch, which
/// no outcome depends on).
const L1_TIME: u64 = 2_000_000_000;
const USERS: usize = 4;
const ETHER: u128 = 10u128.pow(18);
/// The largest contract code (EIP-170).
const MAX_CODE: usize = 24_576;
/// Contracts the largest step reads, at most.
const BIG_CONTRACTS: usize = 11;

/// A scenario file: the fixtures to build.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenarios {
    /// The scenarios, each becoming `<name>.json`.
    pub scenario: Vec<Scenario>,
}

/// A place in the chain: candidate `index` of block `block`.
#[derive(Debug, Clone, Copy, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Place {
    /// The L2 block.
    pub block: u64,
    /// The candidate's index in it.
    pub index: usize,
}

/// One dispute to build.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Scenario {
    /// The fixture's name.
    pub name: String,
    /// What it shows.
    pub description: String,
    /// Transfers in each L2 block (block 1 first).
    pub blocks: Vec<usize>,
    /// Empty blocks before those of `blocks` (to build a batch of the most blocks a blob holds).
    #[serde(default)]
    pub empty_blocks_first: usize,
    /// Blocks per batch.
    pub blocks_per_batch: usize,
    /// The proposer claims every `every` blocks.
    pub every: u64,
    /// How the proposer lies.
    #[serde(default)]
    pub proposer_lie: Option<String>,
    /// How the challengers lie.
    #[serde(default)]
    pub challenger_lie: Option<String>,
    /// How many challengers watch (each with its own key, all alike).
    #[serde(default = "one")]
    pub challengers: u64,
    /// The proposer never moves in a game about its claims (it throws them).
    #[serde(default)]
    pub proposer_abandons: bool,
    /// The first challenger sends this forged step at a candidate leaf it cannot prove.
    #[serde(default)]
    pub challenger_forge: Option<Forgery>,
    /// A batch (index) posted with an unknown version byte.
    #[serde(default)]
    pub malformed_batch: Option<usize>,
    /// A batch (index) whose blob has byte 0 of its elements set, which derivation ignores.
    #[serde(default)]
    pub first_bytes: Option<usize>,
    /// A transfer with a nonce gap inserted here.
    #[serde(default)]
    pub invalid_transaction: Option<Place>,
    /// A transaction whose step is as large as the rules allow, inserted here.
    #[serde(default)]
    pub largest_step: Option<Place>,
    /// Bytes of non-zero calldata the largest step's transaction carries besides the code it
    /// reads, to bring its gas near `MAX_STEP_GAS` as well as its trace near `MAX_STEP_BYTES`.
    #[serde(default)]
    pub step_calldata: usize,
    /// A transaction carrying as many bytes of (non-zero) calldata as the rules still include,
    /// inserted here: the largest candidate a step reads from a blob.
    #[serde(default)]
    pub largest_candidate: Option<Place>,
    /// Deposits queued before each batch (batch 0 first; none for the batches after).
    #[serde(default)]
    pub deposits: Vec<usize>,
    /// Messages (`Inbox.depositCall`) queued before each batch, after its deposits, from
    /// [`MESSAGE_SENDER`].
    #[serde(default)]
    pub messages: Vec<usize>,
    /// The L1's forks as `[fork, seconds after the L2 genesis]`, the first at 0 (from all
    /// time); Osaka throughout if empty. Block `n` is at `12 n` seconds.
    #[serde(default)]
    pub l1_forks: Vec<(String, u64)>,
}

/// Who sends a scenario's messages on L1: the first dev key of the well-known mnemonic, which
/// the replay's devnet funds.
pub const MESSAGE_SENDER: Address = address!("0xf39Fd6e51aad88F6F4ce6aB8827279cffFb92266");
/// What a scenario's messages call on the L2.
pub const MESSAGE_TO: Address = Address::repeat_byte(0x77);

/// A scenario that cannot be built.
#[derive(Debug, thiserror::Error)]
#[error("scenario {name}: {message}")]
pub struct ScenarioError {
    name: String,
    message: String,
}

const fn one() -> u64 {
    1
}

fn users() -> Vec<L2Wallet> {
    (0..USERS)
        .map(|i| L2Wallet::from_seed(format!("fixture user {i}").as_bytes(), CHAIN_ID))
        .collect()
}

/// The contracts the largest step reads, and the one that reads them.
fn big_contract(i: usize) -> Address {
    Address::with_last_byte(0x40 + i as u8)
}

const PROBER: Address = Address::repeat_byte(0x3b);

/// `total` bytes of code over the contracts, each full before the next: non-zero bytes
/// (`JUMPDEST`), which cost calldata the most, and a first byte unique to each contract (a
/// witness holds each distinct code once).
fn big_code(total: usize) -> Vec<(Address, Bytes)> {
    (0..BIG_CONTRACTS)
        .map(|i| {
            let len = total.saturating_sub(i * MAX_CODE).clamp(1, MAX_CODE);
            let mut code = vec![0x5b; len];
            code[0] = i as u8 + 1;
            (big_contract(i), Bytes::from(code))
        })
        .collect()
}

/// Code that runs `EXTCODESIZE` on every big contract: each one's whole code is in the trace.
fn prober_code() -> Bytes {
    let mut code = Vec::new();
    for i in 0..BIG_CONTRACTS {
        code.push(0x73); // PUSH20
        code.extend_from_slice(big_contract(i).as_slice());
        code.extend_from_slice(&[0x3b, 0x50]); // EXTCODESIZE, POP
    }
    code.push(0x00);
    code.into()
}

impl Scenario {
    fn error(&self, message: impl Into<String>) -> ScenarioError {
        ScenarioError {
            name: self.name.clone(),
            message: message.into(),
        }
    }

    /// Transfers in each L2 block: `empty_blocks_first` zeros, then `blocks`.
    fn transfers(&self) -> Vec<usize> {
        let mut transfers = vec![0; self.empty_blocks_first];
        transfers.extend(&self.blocks);
        transfers
    }

    /// Checks what building relies on: a file-safe name, places inside the chain, one insertion
    /// per block.
    fn validate(&self) -> Result<(), ScenarioError> {
        let safe = |b: u8| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-';
        if self.name.is_empty() || !self.name.bytes().all(safe) {
            return Err(self.error("a name is made of a-z, 0-9 and -"));
        }
        if self.every == 0 || self.blocks_per_batch == 0 || self.blocks.is_empty() {
            return Err(self.error("blocks, blocks_per_batch and every must not be empty or zero"));
        }
        let places = [
            ("invalid_transaction", self.invalid_transaction),
            ("largest_step", self.largest_step),
            ("largest_candidate", self.largest_candidate),
        ];
        for (what, place) in places {
            let Some(place) = place else { continue };
            let count = usize::try_from(place.block)
                .ok()
                .and_then(|b| b.checked_sub(1))
                .and_then(|b| self.transfers().get(b).copied());
            if count.is_none_or(|count| place.index > count) {
                return Err(self.error(format!(
                    "{what}: no place {} in block {}",
                    place.index, place.block
                )));
            }
        }
        if self.step_calldata > 0 && self.largest_step.is_none() {
            return Err(self.error("step_calldata needs a largest_step"));
        }
        if self.largest_step.is_some() && self.largest_candidate.is_some() {
            return Err(self.error("one of largest_step and largest_candidate per scenario"));
        }
        if let (Some(a), Some(b)) = (
            self.invalid_transaction,
            self.largest_step.or(self.largest_candidate),
        ) {
            if a.block == b.block {
                return Err(self.error("invalid_transaction and a largest step in the same block"));
            }
        }
        Ok(())
    }

    /// The fixture's L1 forks: the scenario's, with times after the L2 genesis.
    fn l1_forks(&self) -> Result<Vec<L1Fork>, ScenarioError> {
        if self.l1_forks.is_empty() {
            return Ok(vec![L1Fork {
                fork: "osaka".into(),
                from: 0,
            }]);
        }
        self.l1_forks
            .iter()
            .enumerate()
            .map(|(i, (fork, after))| match (i, after) {
                (0, 0) => Ok(L1Fork {
                    fork: fork.clone(),
                    from: 0,
                }),
                (0, _) => Err(self.error("the first L1 fork is from the start (0)")),
                _ => Ok(L1Fork {
                    fork: fork.clone(),
                    from: GENESIS_TIME + after,
                }),
            })
            .collect()
    }

    fn deceit(&self, lie: &Option<String>) -> Result<Option<Deceit>, ScenarioError> {
        lie.as_deref()
            .map(|l| {
                l.parse()
                    .map_err(|e: lies::LieError| self.error(e.to_string()))
            })
            .transpose()
    }

    /// The fixture, with its big contracts holding `size` bytes of code when it has a largest
    /// step, or its largest candidate carrying `size` bytes of calldata, and its expected outcome
    /// if `expect`.
    fn build(&self, size: usize, expect: bool) -> Result<Fixture, ScenarioError> {
        let wallets = users();
        let mut alloc = BTreeMap::new();
        for w in &wallets {
            let account = AccountSpec {
                balance: U256::from(100 * ETHER),
                nonce: 0,
                code: Bytes::new(),
                storage: BTreeMap::new(),
            };
            alloc.insert(w.address(), account);
        }
        if self.largest_step.is_some() {
            for (address, code) in big_code(size).into_iter().chain([(PROBER, prober_code())]) {
                let account = AccountSpec {
                    balance: U256::ZERO,
                    nonce: 1,
                    code,
                    storage: BTreeMap::new(),
                };
                alloc.insert(address, account);
            }
        }
        // The one largest step (they exclude each other): where, whom it calls, its calldata.
        let largest = match (self.largest_step, self.largest_candidate) {
            (Some(place), _) => Some((place, PROBER, self.step_calldata)),
            (None, Some(place)) => Some((place, wallets[0].address(), size)),
            (None, None) => None,
        };
        let mut nonces = [0u64; USERS];
        let mut sent = 0usize;
        let mut blocks = Vec::new();
        for (i, count) in self.transfers().into_iter().enumerate() {
            let number = i as u64 + 1;
            let mut transactions = Vec::new();
            for _ in 0..count {
                let from = sent % USERS;
                let to = wallets[(from + 1) % USERS].address();
                let value = U256::from(1_000_000_000u64 * (sent as u64 + 1));
                transactions.push(wallets[from].transfer(nonces[from], to, value));
                nonces[from] += 1;
                sent += 1;
            }
            if let Some(at) = self.invalid_transaction.filter(|p| p.block == number) {
                // A nonce far ahead of the sender's: EXECUTE rejects it.
                let tx = wallets[0].transfer(nonces[0] + 100, wallets[1].address(), U256::from(1));
                transactions.insert(at.index.min(transactions.len()), tx);
            }
            if let Some((at, to, calldata)) = largest.filter(|(p, ..)| p.block == number) {
                let from = USERS - 1;
                let tx = wallets[from].sign(TxEip1559 {
                    nonce: nonces[from],
                    gas_limit: MAX_STEP_GAS,
                    max_fee_per_gas: rollup::wallet::MAX_FEE_PER_GAS,
                    max_priority_fee_per_gas: 1,
                    to: TxKind::Call(to),
                    input: vec![0xff; calldata].into(),
                    ..Default::default()
                });
                nonces[from] += 1;
                transactions.insert(at.index.min(transactions.len()), tx);
            }
            blocks.push(BlockSpec {
                timestamp: GENESIS_TIME + 12 * number,
                transactions,
            });
        }
        let mut batches: Vec<BatchSpec> = blocks
            .chunks(self.blocks_per_batch)
            .map(|chunk| BatchSpec {
                blocks: Some(chunk.to_vec()),
                payload: None,
                block_count: None,
                first_bytes: None,
                deposits: None,
            })
            .collect();
        for (i, batch) in batches.iter_mut().enumerate() {
            let deposits = self.deposits.get(i).copied().unwrap_or(0);
            let messages = self.messages.get(i).copied().unwrap_or(0);
            let queued: Vec<DepositSpec> = (0..deposits)
                .map(|i| DepositSpec {
                    to: Address::with_last_byte(0x60).create(i as u64),
                    gwei: 10u64.pow((i % 10) as u32),
                    data: None,
                    from: None,
                })
                .chain((0..messages).map(|i| DepositSpec {
                    to: MESSAGE_TO,
                    gwei: i as u64,
                    data: Some(Bytes::from(vec![0xca, i as u8])),
                    from: Some(MESSAGE_SENDER),
                }))
                .collect();
            batch.deposits = (!queued.is_empty()).then_some(queued);
        }
        if let Some(index) = self.first_bytes {
            let batch = batches
                .get_mut(index)
                .ok_or_else(|| self.error(format!("no batch {index}")))?;
            // Every value byte 0 may take (below 0x73, so each element stays below the modulus).
            let first: Vec<u8> = (0..rollup::blob::ELEMENTS)
                .map(|i| (i % 0x73) as u8)
                .collect();
            batch.first_bytes = Some(first.into());
        }
        if let Some(index) = self.malformed_batch {
            let batch = batches
                .get_mut(index)
                .ok_or_else(|| self.error(format!("no batch {index}")))?;
            let blocks = batch.blocks.take().expect("built from blocks");
            let mut payload = rollup::batch::encode(&to_batch_blocks(&blocks))
                .map_err(|e| self.error(e.to_string()))?;
            payload[0] = VERSION + 1;
            batch.payload = Some(payload.into());
            batch.block_count = Some(blocks.len() as u16);
        }
        let mut fixture = Fixture {
            name: self.name.clone(),
            description: self.description.clone(),
            genesis: GenesisSpec {
                chain_id: CHAIN_ID,
                l1_forks: self.l1_forks()?,
                gas_limit: 30_000_000,
                fee_recipient: Address::repeat_byte(0xfe),
                timestamp: GENESIS_TIME,
                alloc,
            },
            rules: Rules {
                challenge_window: 3_600,
                clock: 600,
                proposal_bond: U256::from(ETHER),
                challenge_bond: U256::from(ETHER / 2),
                degree: 4,
            },
            batches,
            proposer: ProposerSpec {
                every: self.every,
                lie: self.deceit(&self.proposer_lie)?,
                abandons: self.proposer_abandons,
            },
            challenger: ChallengerSpec {
                lie: self.deceit(&self.challenger_lie)?,
                count: self.challengers,
                forge: self.challenger_forge,
            },
            expect: Outcome {
                claims: Vec::new(),
                games: Vec::new(),
                payouts: Payouts {
                    proposer: U256::ZERO,
                    challengers: Vec::new(),
                },
                forgeries: Vec::new(),
            },
        };
        if expect {
            fixture.check().map_err(|e| self.error(e.to_string()))?;
            fixture.expect = expected(&fixture).map_err(|e| self.error(e))?;
        }
        Ok(fixture)
    }

    /// Builds the fixture; a largest step gets as much code to read, and a largest candidate as
    /// much calldata, as still fits the rules (and the candidate's batch, its blob).
    pub fn fixture(&self) -> Result<Fixture, ScenarioError> {
        self.validate()?;
        let (place, limit) = match (self.largest_step, self.largest_candidate) {
            (Some(place), _) => (place, BIG_CONTRACTS * MAX_CODE + 1),
            (None, Some(place)) => (place, PAYLOAD_BYTES + 1),
            (None, None) => return self.build(0, true),
        };
        let included = |size: usize| -> Result<bool, ScenarioError> {
            let fixture = self.build(size, false)?;
            if batches(&fixture).is_err() {
                return Ok(false);
            }
            let chain = Chain::derive(&fixture, false).map_err(|e| self.error(e))?;
            let block = &chain.blocks[place.block as usize - 1];
            Ok(block.steps[place.index]
                .as_ref()
                .is_ok_and(|s| s.trace.encode_to_vec().len() <= MAX_STEP_BYTES))
        };
        // The largest size whose step is still included (the trace grows with it).
        let (mut fits, mut over) = (0, limit);
        if !included(fits)? {
            return Err(self.error("the largest step is skipped even at its smallest"));
        }
        while over - fits > 1 {
            let mid = (fits + over) / 2;
            if included(mid)? {
                fits = mid;
            } else {
                over = mid;
            }
        }
        self.build(fits, true)
    }
}

/// Every scenario of a scenario file, built.
pub fn generate(scenarios: &Scenarios) -> Result<Vec<Fixture>, ScenarioError> {
    scenarios.scenario.iter().map(Scenario::fixture).collect()
}

/// A chain as one party derives it: its blocks, and their hashes from genesis on.
struct Chain {
    blocks: Vec<DerivedBlock>,
    hashes: Vec<B256>,
    genesis: B256,
}

/// The fixture's genesis hash and blocks as a party derives them: by the rules, decoding batches
/// of any version (`any_version`), or telling `lie` (derivation then stops at the lying block).
fn derive_blocks(
    fixture: &Fixture,
    any_version: bool,
    lie: Option<BlockLie>,
) -> Result<(B256, Vec<DerivedBlock>), String> {
    let genesis = l2_genesis(fixture).map_err(|e| e.to_string())?;
    let mut chain = L2Chain::new(genesis.config, genesis.accounts, genesis.timestamp)
        .map_err(|e| e.to_string())?;
    let genesis_hash = chain.head().hash_slow();
    let mut blocks = Vec::new();
    for batch in batches(fixture).map_err(|e| e.to_string())? {
        let mut payload = rollup::blob::payload(&batch.blob);
        if let (true, Some(version)) = (any_version, payload.first_mut()) {
            *version = VERSION;
        }
        for (j, block) in decode(&payload, batch.block_count, L1_TIME)
            .into_iter()
            .enumerate()
        {
            let told = lie.filter(|l| l.block == blocks.len() as u64 + 1);
            let derived = chain
                .derive_block_lying(
                    block.timestamp,
                    L1_TIME,
                    block.transactions,
                    block_inputs(&batch.deposits, &batch.message_roots, j),
                    told.map(|l| l.lie),
                )
                .map_err(|e| e.to_string())?;
            blocks.push(derived);
            if told.is_some() {
                return Ok((genesis_hash, blocks));
            }
        }
    }
    Ok((genesis_hash, blocks))
}

impl Chain {
    /// The fixture's chain as the rules derive it, or (`any_version`) as a node that ignores
    /// the batch version does.
    fn derive(fixture: &Fixture, any_version: bool) -> Result<Self, String> {
        let (genesis, blocks) = derive_blocks(fixture, any_version, None)?;
        let hashes = blocks.iter().map(|b| b.hash).collect();
        Ok(Self {
            blocks,
            hashes,
            genesis,
        })
    }

    /// The chain a party believes after lying about one block: the lying block, and the later
    /// blocks re-linked to it (as `L2Node::lying_hash` and the watchtower's replay do).
    fn lying(fixture: &Fixture, honest: &Self, deceit: Deceit) -> Result<Self, String> {
        let lie = match deceit {
            Deceit::AnyBatchVersion => return Self::derive(fixture, true),
            Deceit::Block(lie) => lie,
        };
        let (_, blocks) = derive_blocks(fixture, false, Some(lie))?;
        let mut hashes: Vec<B256> = blocks.iter().map(|b| b.hash).collect();
        for block in &honest.blocks[blocks.len()..] {
            let mut header = block.header.clone();
            header.parent_hash = *hashes.last().expect("the lying block");
            hashes.push(header.hash_slow());
        }
        Ok(Self {
            blocks,
            hashes,
            genesis: honest.genesis,
        })
    }

    fn hash(&self, number: u64) -> B256 {
        match number {
            0 => self.genesis,
            n => self.hashes[n as usize - 1],
        }
    }

    /// Level-2 value at `pos` of block `number`, as this party computes it (`None` beyond its
    /// positions).
    fn position(&self, number: u64, pos: u64) -> Option<B256> {
        let block = self.blocks.get(number as usize - 1)?;
        if pos == block.candidates.len() as u64 + 1 {
            return Some(self.hash(number));
        }
        block.positions.get(pos as usize).map(|p| p.value())
    }
}

/// The bisection's landing: from `(lo, hi]`, the defender splits into `degree` parts and the
/// challenger picks the first whose end it disputes (the last if it agrees with every point),
/// until one position is left; returns it.
fn bisect(
    mut lo: u64,
    mut hi: u64,
    degree: u64,
    defender: impl Fn(u64) -> Option<B256>,
    challenger: impl Fn(u64) -> Option<B256>,
) -> u64 {
    while hi - lo > 1 {
        let points = split_points(lo, hi, degree);
        let index = points
            .iter()
            .position(|p| defender(*p) != challenger(*p))
            .unwrap_or(points.len());
        (lo, hi) = (
            if index == 0 { lo } else { points[index - 1] },
            points.get(index).copied().unwrap_or(hi),
        );
    }
    hi
}

/// Where one game about a claim the challengers dispute ends, and how.
fn game(
    fixture: &Fixture,
    honest: &Chain,
    proposer: &Chain,
    challenger: &Chain,
    parent: u64,
    block: u64,
) -> (u64, u64, Step, Option<bool>, Side) {
    let rules = &fixture.rules;
    if fixture.proposer.abandons {
        // The defender never splits: level 1 stands over the whole claim until its clock runs
        // out.
        return (block, 0, Step::Timeout, None, Side::Challenger);
    }
    let at = bisect(
        parent,
        block,
        rules.degree,
        |n| Some(proposer.hash(n)),
        |n| Some(challenger.hash(n)),
    );
    // Level 2 runs over the candidates the contract reads from the blob: the rules'.
    let m = honest.blocks[at as usize - 1].candidates.len() as u64;
    let position = bisect(
        0,
        m + 1,
        rules.degree,
        |p| proposer.position(at, p),
        |p| challenger.position(at, p),
    );
    let winner = if fixture.proposer.lie.is_some() {
        Side::Challenger
    } else {
        Side::Defender
    };
    let k = position - 1;
    let (step, execute) = if k == m {
        (Step::ProveEnd, Some(true))
    } else if honest.blocks[at as usize - 1].steps[k as usize].is_ok() {
        (Step::ProveCandidate, Some(true))
    } else {
        // The rules skip the candidate; the liar's value cannot be proven: its clock decides.
        (Step::Timeout, None)
    };
    (at, position, step, execute, winner)
}

/// The outcome the protocol prescribes for `fixture`.
///
/// The proposer claims every `every` blocks, each claim on its previous one, putting its lie in
/// the first claim covering the lying block; every challenger challenges a claim it finds wrong
/// when it finds the claim's parent right (a claim on a wrong parent is not disputed: its parent
/// is). The first game to reject a claim takes its bond; the other games about it are
/// cancelled, and the claims built on it are rejected as orphans with their bonds back.
fn expected(fixture: &Fixture) -> Result<Outcome, String> {
    let honest = Chain::derive(fixture, false)?;
    let believed = |lie: Option<Deceit>| -> Result<Option<Chain>, String> {
        lie.map(|lie| Chain::lying(fixture, &honest, lie))
            .transpose()
    };
    let proposer = believed(fixture.proposer.lie)?;
    let challenger = believed(fixture.challenger.lie)?;
    let proposer = proposer.as_ref().unwrap_or(&honest);
    let challenger = challenger.as_ref().unwrap_or(&honest);
    let rules = &fixture.rules;
    let every = fixture.proposer.every;
    let count = fixture.challenger.count as usize;
    let mut outcome = Outcome {
        claims: Vec::new(),
        games: Vec::new(),
        payouts: Payouts {
            proposer: U256::ZERO,
            challengers: vec![U256::ZERO; count],
        },
        forgeries: Vec::new(),
    };
    // Whether some claim up to here was rejected: every later one is built on it.
    let mut rejected = false;
    // Games as (claim, outcome) per challenger, in the order the challengers send them.
    let mut games: Vec<Vec<GameOutcome>> = vec![Vec::new(); count];
    for i in 1..=fixture.block_count() / every {
        let block = i * every;
        let parent = block - every;
        let parent_right = proposer.hash(parent) == challenger.hash(parent);
        let disputed = parent_right && proposer.hash(block) != challenger.hash(block);
        let status = if rejected {
            // An orphan: its bond goes back to its proposer.
            outcome.payouts.proposer += rules.proposal_bond;
            ClaimStatus::Rejected
        } else if disputed {
            let (at, position, step, execute, winner) =
                game(fixture, &honest, proposer, challenger, parent, block);
            for (c, list) in games.iter_mut().enumerate() {
                let first = c == 0;
                let decided = GameOutcome {
                    claim: i,
                    block: at,
                    position,
                    step,
                    execute,
                    winner: Some(winner),
                };
                let game = match winner {
                    Side::Challenger if first => {
                        outcome.payouts.challengers[c] +=
                            rules.challenge_bond + rules.proposal_bond;
                        decided
                    }
                    // The claim is already rejected: nothing is left to decide.
                    Side::Challenger => {
                        outcome.payouts.challengers[c] += rules.challenge_bond;
                        GameOutcome {
                            step: Step::Cancel,
                            execute: None,
                            winner: None,
                            ..decided
                        }
                    }
                    Side::Defender => {
                        outcome.payouts.proposer += rules.challenge_bond;
                        decided
                    }
                };
                list.push(game);
            }
            if winner == Side::Challenger {
                rejected = true;
                ClaimStatus::Rejected
            } else {
                outcome.payouts.proposer += rules.proposal_bond;
                ClaimStatus::Finalized
            }
        } else {
            outcome.payouts.proposer += rules.proposal_bond;
            ClaimStatus::Finalized
        };
        outcome.claims.push(ClaimOutcome { block, status });
    }
    outcome.games = games.into_iter().flatten().collect();
    if let Some(forgery) = fixture.challenger.forge {
        // The first challenger forges at its first candidate leaf it cannot prove: from the
        // honest step, which the defender then proves.
        let leaf = outcome
            .games
            .iter()
            .enumerate()
            .find(|(_, g)| g.step == Step::ProveCandidate && g.winner == Some(Side::Defender));
        if let Some((id, game)) = leaf {
            let block = &honest.blocks[game.block as usize - 1];
            let k = game.position as usize - 1;
            let (Some(step), Some(Ok(traced))) = (candidate_step(block, k), block.steps.get(k))
            else {
                return Err(format!(
                    "no honest step at candidate {k} of block {}",
                    game.block
                ));
            };
            let Forgery::InjectAncestors = forgery;
            let forged = inject_ancestors(&step, traced);
            outcome.forgeries.push(ForgeryOutcome {
                game: id as u64,
                forgery,
                execute: forged
                    .pasted
                    .verify(Host::latest(&ChainConfig::mainnet(Fork::Osaka).schedule()))
                    .is_ok(),
                // The contract takes the stepper's ancestors only as one RLP list.
                error: "NotOneRlpList".into(),
            });
        }
    }
    Ok(outcome)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn scenario(toml: &str) -> Scenario {
        toml::from_str(toml).unwrap()
    }

    proptest! {
        /// Values agree up to a position and differ from it on: the bisection lands on it.
        #[test]
        fn the_bisection_lands_on_the_first_disputed_position(
            lo in 0u64..1_000,
            len in 1u64..5_000,
            at in 0u64..5_000,
            degree in 2u64..20,
        ) {
            let hi = lo + len;
            let first = lo + 1 + at % len;
            let defender = |p: u64| Some(B256::with_last_byte(u8::from(p >= first)));
            let challenger = |_: u64| Some(B256::ZERO);
            prop_assert_eq!(bisect(lo, hi, degree, defender, challenger), first);
        }
    }

    /// A lie in the first of two claims: its game rejects it, the second claim (built on it) is
    /// not disputed but rejected as an orphan, and its bond goes back to the proposer.
    #[test]
    fn claims_built_on_a_rejected_one_are_orphans_with_their_bonds_back() {
        let s = scenario(
            r#"name = "early-lie"
               description = "a lie in the first of two claims"
               blocks = [1, 1, 1, 1]
               blocks_per_batch = 2
               every = 2
               proposer_lie = "drop:1:0""#,
        );
        let fixture = s.fixture().unwrap();
        let expect = &fixture.expect;
        let statuses: Vec<ClaimStatus> = expect.claims.iter().map(|c| c.status).collect();
        assert_eq!(statuses, [ClaimStatus::Rejected, ClaimStatus::Rejected]);
        assert_eq!(expect.games.len(), 1);
        assert_eq!(expect.games[0].claim, 1);
        let rules = fixture.rules;
        assert_eq!(expect.payouts.proposer, rules.proposal_bond);
        assert_eq!(
            expect.payouts.challengers,
            [rules.challenge_bond + rules.proposal_bond]
        );
    }

    /// The forged step is a real attack: its trace, pasted raw around the contract's fields,
    /// passes EXECUTE as a no-op where the honest step executes a transfer.
    #[test]
    fn an_injected_trace_passes_execute_when_pasted_raw() {
        let s = scenario(
            r#"name = "forged"
               description = "a forging challenger"
               blocks = [2, 3]
               blocks_per_batch = 2
               every = 2
               challenger_lie = "drop:2:1"
               challenger_forge = "inject-ancestors""#,
        );
        let expect = s.fixture().unwrap().expect;
        assert_eq!(expect.games[0].winner, Some(Side::Defender));
        assert_eq!(
            expect.forgeries,
            [ForgeryOutcome {
                game: 0,
                forgery: Forgery::InjectAncestors,
                execute: true,
                error: "NotOneRlpList".into(),
            }]
        );
    }

    #[test]
    fn scenarios_with_bad_places_or_names_are_refused() {
        let s = scenario(
            r#"name = "bad-place"
               description = ""
               blocks = [1, 2]
               blocks_per_batch = 1
               every = 2
               invalid_transaction = { block = 3, index = 0 }"#,
        );
        assert!(s
            .fixture()
            .unwrap_err()
            .to_string()
            .contains("no place 0 in block 3"));
        let s = scenario(
            r#"name = "../escape"
               description = ""
               blocks = [1]
               blocks_per_batch = 1
               every = 1"#,
        );
        assert!(s.fixture().unwrap_err().to_string().contains("a-z"));
    }
}
