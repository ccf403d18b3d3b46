//! The watchtower `challenger run` drives. Each tick it follows L1 into its L2 node, checks every claim
//! its replay has reached, challenges the wrong ones, and plays every game it is in (as
//! challenger, or as defender of its own claims) with the honest player's moves, down to the
//! EXECUTE step; it resolves games whose other side ran out of clock and withdraws what it won.
//! Everything it knows about games comes from the chain, so a restarted watchtower goes on where
//! it stopped.
//!
//! Games are played first in a tick, the one with the least clock left first, and their moves
//! are mined together; following L1 and judging new claims come after. Before acting on what
//! its L1 node says, it checks the node against witnesses (other L1 nodes): one that lags or
//! disagrees about a block stops the tick.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
    time::{Duration, Instant, SystemTime, UNIX_EPOCH},
};

use alloy_network::ReceiptResponse;
use alloy_primitives::{keccak256, Address, B256, U256};
use alloy_provider::{transport::TransportError, DynProvider, Provider};
use alloy_rpc_types_eth::BlockNumberOrTag;
use alloy_sol_types::{SolCall, SolValue};
use bisect::{
    game::{defender_to_move, GameView, LocalChain, Move, Role},
    step::{candidate_proofs, candidate_step, end_step, table_proof},
};
use l1_contracts::blob_data::BlobData;
use l1_contracts::{
    call::{read, submit, write, ContractError, Sent},
    rollup::Rollup,
    status::ClaimStatus,
};
use l2_node::{
    l1::{versioned_hash, L1Error, L1Source, DEFAULT_LOG_RANGE},
    node::{off_runtime, L2Node, NodeError},
    store::StoreError,
};
use rollup::derive::L1Batch;
#[cfg(feature = "lies")]
use rollup::lie::BlockLie;
use rollup::{
    blob::{elements, opening, Blob, BlobError, PAYLOAD_BYTES},
    derive::DerivedBlock,
    rules::Position,
};

pub mod metrics;
pub mod plan;
pub mod splits;
pub mod window;

use crate::{
    metrics::Metrics,
    plan::{judge, plan_moves, Played, Verdict},
    splits::SplitLog,
    window::{ClaimWindow, GameWindow, RollupContract, RollupState},
};

/// Why a tick stopped.
#[derive(Debug, thiserror::Error)]
pub enum WatchError {
    /// A call to or a transaction on the rollup's contracts failed.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// The L2 node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// Reading batches from L1 failed.
    #[error(transparent)]
    L1(#[from] L1Error),
    /// The L2 store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A blob could not be opened or proven.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// The L1 endpoint failed.
    #[error("L1 RPC, {what}: {source}")]
    Rpc {
        /// What was asked.
        what: &'static str,
        /// The transport's error.
        #[source]
        source: TransportError,
    },
    /// The L1 node answered without a block it must have.
    #[error("the L1 node has no block {0}")]
    MissingBlock(BlockNumberOrTag),
    /// A witness is further ahead of the L1 node than allowed.
    #[error("the L1 node is {behind} blocks behind witness {witness}")]
    Lagging {
        /// The witness (its index in the configuration).
        witness: usize,
        /// Blocks behind.
        behind: u64,
    },
    /// A witness has another block at a height both nodes have.
    #[error("the L1 node has {ours} at block {number}, witness {witness} has {theirs:?}")]
    Disagree {
        /// The witness.
        witness: usize,
        /// The height.
        number: u64,
        /// The L1 node's block.
        ours: B256,
        /// The witness's block.
        theirs: Option<B256>,
    },
    /// The L1 node's head is older than allowed.
    #[error("the L1 head is {age} s old")]
    Stale {
        /// Its age, in seconds.
        age: u64,
    },
    /// The batch that carried a block is not where the store says.
    #[error("batch {batch} not found in L1 block {number}")]
    MissingBatch {
        /// The batch.
        batch: u64,
        /// The L1 block.
        number: u64,
    },
    /// The replay cannot make the step the player chose (a bug, or a player in test mode).
    #[error("no step for block {block}: {reason}")]
    Step {
        /// The block.
        block: u64,
        /// Why.
        reason: &'static str,
    },
}

impl WatchError {
    /// The label the fault is counted under.
    pub const fn kind(&self) -> &'static str {
        match self {
            Self::Lagging { .. } => "l1_lagging",
            Self::Disagree { .. } => "l1_disagrees",
            Self::Stale { .. } => "l1_stale",
            _ => "error",
        }
    }
}

/// A transport error while asking for `what`.
fn rpc(what: &'static str) -> impl FnOnce(TransportError) -> WatchError {
    move |source| WatchError::Rpc { what, source }
}

/// What a tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// The replay's head after following L1.
    pub head: u64,
    /// Claims found wrong and challenged.
    pub challenged: Vec<u64>,
    /// Moves mined, as (game, move name).
    pub moves: Vec<(u64, &'static str)>,
    /// Moves that failed, as (game, why); they are tried again next tick.
    pub failed: Vec<(u64, String)>,
    /// Wei withdrawn.
    pub withdrawn: U256,
}

/// The watchtower's settings.
#[derive(Debug, Clone, Copy)]
pub struct WatchConfig {
    /// The rollup contract.
    pub rollup: Address,
    /// The address the provider signs for.
    pub address: Address,
    /// L1 block from which the rollup's events are searched (its deployment or earlier).
    pub from_block: u64,
    /// Highest gas price it pays, in wei; above it, it waits.
    pub max_gas_price: u128,
    /// Seconds of clock below which a move is logged as late (`None`: a tenth of the clock).
    pub clock_margin: Option<u64>,
    /// Blocks a witness may be ahead of the L1 node.
    pub max_lag: u64,
    /// Seconds the L1 head may be behind this machine's clock (`None`: not checked).
    pub max_age: Option<u64>,
    /// Most L1 blocks one `eth_getLogs` spans (the provider's limit, or below).
    pub log_range: u64,
    /// Test mode (the `lies` feature): believe the chain with this lie, to stage a dishonest
    /// player.
    #[cfg(feature = "lies")]
    pub lie: Option<BlockLie>,
}

impl WatchConfig {
    /// Settings for `address` on `rollup`, with no gas cap, a margin of a tenth of the clock,
    /// two blocks of lag, and no age check.
    pub const fn new(rollup: Address, address: Address) -> Self {
        Self {
            rollup,
            address,
            from_block: 0,
            max_gas_price: u128::MAX,
            clock_margin: None,
            max_lag: 2,
            max_age: None,
            log_range: DEFAULT_LOG_RANGE,
            #[cfg(feature = "lies")]
            lie: None,
        }
    }
}

/// The L1 head a tick works from.
#[derive(Debug, Clone, Copy)]
struct L1Head {
    number: u64,
    hash: B256,
    timestamp: u64,
}

/// The local replay as the player reads it: the L2 node's chain, with the lie in test mode.
struct NodeChain<'a> {
    node: &'a L2Node,
    /// The lying block and what the liar derives for it.
    #[cfg(feature = "lies")]
    lie: Option<(u64, DerivedBlock)>,
}

impl<'a> NodeChain<'a> {
    /// The replay as `config` has the player believe it.
    fn new(node: &'a L2Node, config: &WatchConfig) -> Self {
        #[cfg(feature = "lies")]
        let lie = config.lie.and_then(|l| {
            let derived = off_runtime(|| node.replay_with(l.block, Some(l.lie))).ok()?;
            Some((l.block, derived))
        });
        #[cfg(not(feature = "lies"))]
        let _ = config;
        Self {
            node,
            #[cfg(feature = "lies")]
            lie,
        }
    }

    #[cfg(feature = "lies")]
    fn lied(&self, block: u64) -> Option<&DerivedBlock> {
        self.lie
            .as_ref()
            .filter(|(b, _)| *b == block)
            .map(|(_, d)| d)
    }

    #[cfg(not(feature = "lies"))]
    #[allow(clippy::unused_self)]
    const fn lied(&self, _block: u64) -> Option<&DerivedBlock> {
        None
    }

    /// Candidates and positions of `block`, and its hash.
    fn block(&self, block: u64) -> Option<(usize, Vec<Position>, B256)> {
        if let Some(d) = self.lied(block) {
            return Some((d.candidates.len(), d.positions.clone(), d.hash));
        }
        let record = self.node.store().block(block).ok()?;
        Some((
            record.candidates.len(),
            record.positions,
            self.block_hash(block)?,
        ))
    }
}

impl LocalChain for NodeChain<'_> {
    fn block_hash(&self, number: u64) -> Option<B256> {
        if number > self.node.head().number {
            return None;
        }
        // After the lie, the believed chain links to the lying block.
        #[cfg(feature = "lies")]
        if let Some((lied, derived)) = self.lie.as_ref().filter(|(b, _)| number >= *b) {
            return self.node.hash_linked_to(*lied, derived.hash, number).ok();
        }
        self.node.store().header(number).ok().map(|h| h.hash_slow())
    }

    fn position_value(&self, block: u64, pos: u64) -> Option<B256> {
        let (m, positions, hash) = self.block(block)?;
        if pos == m as u64 + 1 {
            return Some(hash);
        }
        positions.get(pos as usize).map(|p| p.value())
    }

    fn includes(&self, block: u64, k: u64) -> Option<bool> {
        let (_, positions, _) = self.block(block)?;
        let (before, after) = (positions.get(k as usize)?, positions.get(k as usize + 1)?);
        Some(after.included > before.included)
    }
}

/// The watchtower over its L2 node and an L1 provider that signs for it.
#[derive(Debug)]
pub struct Watchtower<P> {
    node: L2Node,
    l1: L1Source<P>,
    provider: P,
    witnesses: Vec<DynProvider>,
    config: WatchConfig,
    blob_data: Address,
    rules: Rollup::Config,
    metrics: Arc<Metrics>,
    /// The games it reads: the new ones and the open ones it plays in.
    games: GameWindow,
    /// Split values of those games, read from the logs.
    splits: SplitLog,
    /// The claims it reads: from the first still in its window.
    claims: ClaimWindow,
    /// Claims this watchtower has challenged, in any game, open or over: never twice.
    challenged: HashSet<u64>,
    /// Claims whose challenge was sent without a receipt, and since when.
    in_doubt: HashMap<u64, Instant>,
}

/// Game ids past the last one looked at whose split events are read too: games made between the
/// tick's count and its log query.
const UNSEEN_GAMES: u64 = 64;

/// How long a challenge sent without a receipt holds off another one for the same claim.
pub const IN_DOUBT: Duration = Duration::from_secs(120);

impl<P: Provider + Clone> Watchtower<P> {
    /// Also takes blobs the beacon node no longer has from `archive` (`L1Source::with_archive`).
    #[must_use]
    pub fn with_blob_archive(mut self, archive: &str) -> Self {
        self.l1 = self.l1.with_archive(archive);
        self
    }

    /// A watchtower on `config.rollup`, following L1 through `provider` with blobs from `beacon`.
    pub async fn new(
        node: L2Node,
        provider: P,
        beacon: &str,
        config: WatchConfig,
    ) -> Result<Self, WatchError> {
        let rules = read(&provider, config.rollup, Rollup::configCall {}).await?;
        let inbox = read(&provider, config.rollup, Rollup::inboxCall {}).await?;
        let blob_data = read(&provider, config.rollup, Rollup::blobDataCall {}).await?;
        Ok(Self {
            l1: L1Source::new(provider.clone(), beacon, inbox).with_log_range(config.log_range),
            node,
            provider,
            witnesses: Vec::new(),
            config,
            blob_data,
            rules,
            metrics: Arc::default(),
            games: GameWindow::default(),
            splits: SplitLog::new(config.log_range),
            claims: ClaimWindow::default(),
            challenged: HashSet::new(),
            in_doubt: HashMap::new(),
        })
    }

    /// Checks the L1 node against these other nodes before every tick.
    pub fn with_witnesses(mut self, witnesses: Vec<DynProvider>) -> Self {
        self.witnesses = witnesses;
        self
    }

    /// The L2 node.
    pub const fn node(&self) -> &L2Node {
        &self.node
    }

    /// The metrics it keeps.
    pub fn metrics(&self) -> Arc<Metrics> {
        self.metrics.clone()
    }

    /// Checks L1, plays every game it is in, follows L1, judges new claims, withdraws.
    pub async fn tick(&mut self) -> Result<TickReport, WatchError> {
        let result = self.tick_checked().await;
        if let Err(err) = &result {
            self.metrics.fault(err.kind());
        }
        result
    }

    async fn tick_checked(&mut self) -> Result<TickReport, WatchError> {
        let l1 = self.check_l1().await?;
        let now = l1.timestamp;
        let mut report = TickReport::default();
        let gas_price = self
            .provider
            .get_gas_price()
            .await
            .map_err(rpc("the gas price"))?;
        let affordable = gas_price <= self.config.max_gas_price;
        if !affordable {
            tracing::warn!(
                gas_price,
                max = self.config.max_gas_price,
                "gas too expensive; not sending"
            );
        }

        let games = self.games(l1.number, now).await?;
        self.metrics.games_tracked.set(games.len() as i64);
        let turns: Vec<&Played> = games.iter().filter(|g| g.our_turn()).collect();
        self.metrics.games_in_flight.set(turns.len() as i64);
        let least = turns.iter().map(|g| g.clock_left()).min();
        self.metrics
            .clock_left
            .set(least.unwrap_or(self.rules.clock) as i64);
        let margin = self.config.clock_margin.unwrap_or(self.rules.clock / 10);
        self.play_all(&games, affordable, now, margin, &mut report)
            .await;

        self.node.sync(&self.l1).await?;
        report.head = self.node.head().number;
        self.metrics.replay_head.set(report.head as i64);
        let read_to = self.node.cursor()?.number;
        self.metrics
            .replay_lag
            .set(l1.number.saturating_sub(read_to) as i64);
        if !affordable {
            return Ok(report);
        }

        // Credit first: it may be what pays the next challenge's bond.
        let credit = self.call(Rollup::creditCall(self.config.address)).await?;
        if !credit.is_zero() {
            if let Err(err) = self.send(Rollup::withdrawCall {}, U256::ZERO).await {
                // The answer may be what was lost, not the transaction: the chain says which.
                let left = self.call(Rollup::creditCall(self.config.address)).await?;
                if !left.is_zero() {
                    return Err(err);
                }
            }
            self.metrics.withdrawn_wei.inc_by(f64::from(credit));
            report.withdrawn = credit;
        }
        self.judge(now, &mut report).await?;
        Ok(report)
    }

    /// The L1 head, once every witness vouches for it.
    async fn check_l1(&self) -> Result<L1Head, WatchError> {
        let block = self
            .provider
            .get_block_by_number(BlockNumberOrTag::Latest)
            .await
            .map_err(rpc("the latest block"))?
            .ok_or(WatchError::MissingBlock(BlockNumberOrTag::Latest))?;
        let head = L1Head {
            number: block.header.number,
            hash: block.header.hash,
            timestamp: block.header.timestamp,
        };
        if let Some(max_age) = self.config.max_age {
            let clock = SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map_or(0, |d| d.as_secs());
            let age = clock.saturating_sub(head.timestamp);
            if age > max_age {
                return Err(WatchError::Stale { age });
            }
        }
        for (witness, provider) in self.witnesses.iter().enumerate() {
            let theirs = match provider.get_block_number().await {
                Ok(number) => number,
                Err(err) => {
                    // A witness that does not answer cannot vouch, nor stop the watch.
                    tracing::warn!(witness, %err, "witness unreachable");
                    self.metrics.fault("witness_unreachable");
                    continue;
                }
            };
            if theirs > head.number.saturating_add(self.config.max_lag) {
                return Err(WatchError::Lagging {
                    witness,
                    behind: theirs - head.number,
                });
            }
            let number = head.number.min(theirs);
            let ours = if number == head.number {
                head.hash
            } else {
                block_hash(&self.provider, number)
                    .await?
                    .ok_or(WatchError::MissingBlock(BlockNumberOrTag::Number(number)))?
            };
            let theirs = match block_hash(provider, number).await {
                Ok(theirs) => theirs,
                Err(err) => {
                    tracing::warn!(witness, %err, "witness unreachable");
                    self.metrics.fault("witness_unreachable");
                    continue;
                }
            };
            if theirs != Some(ours) {
                return Err(WatchError::Disagree {
                    witness,
                    number,
                    ours,
                    theirs,
                });
            }
        }
        Ok(head)
    }

    /// The open games this watchtower plays in. Only games not seen before and the open ones
    /// it plays in are read, so a tick's reads do not grow with the rollup's history.
    async fn games(&mut self, head: u64, now: u64) -> Result<Vec<Played>, WatchError> {
        // Field by field, so that the windows can move while it is held.
        let contract = RollupContract {
            provider: &self.provider,
            rollup: self.config.rollup,
        };
        let found = self
            .games
            .open_games(&contract, self.config.address, head)
            .await?;
        for claim in found.challenged {
            // A challenge sent whose receipt was lost has landed: it counts as sent now.
            if self.in_doubt.remove(&claim).is_some() {
                self.metrics.moved("challenge");
            }
            self.challenged.insert(claim);
        }
        for id in found.done {
            self.splits.forget(id);
        }
        let games = found.open;
        self.splits
            .follow(
                &self.provider,
                self.config.rollup,
                self.config.from_block,
                head,
                &self.games.watched(UNSEEN_GAMES),
            )
            .await?;
        // The log's values must be the ones the contract holds the hash of; if not (a reorg
        // deeper than the log allows for), the game's events are read again from the start.
        for (id, game) in &games {
            if game.split == B256::ZERO {
                continue;
            }
            let values = self.splits.values(*id, game.level, game.lo, game.hi);
            if values.is_some_and(|v| keccak256(v.abi_encode()) == game.split) {
                continue;
            }
            tracing::warn!(
                game = id,
                "split values not in the log: reading the game's events again"
            );
            self.splits
                .reread(
                    &self.provider,
                    self.config.rollup,
                    self.config.from_block,
                    head,
                    *id,
                )
                .await?;
        }
        let mut played = Vec::with_capacity(games.len());
        for (id, game) in games {
            let role = if game.challenger == self.config.address {
                Role::Challenger
            } else {
                Role::Defender
            };
            let view = self.view(id, game, now).await?;
            played.push(Played { id, view, role });
        }
        Ok(played)
    }

    /// Sends every game's honest move, most urgent first (see [`plan_moves`]), then waits for
    /// all of them to be mined. A failed move is reported and tried again next tick; it stops
    /// no other game.
    async fn play_all(
        &self,
        games: &[Played],
        affordable: bool,
        now: u64,
        margin: u64,
        report: &mut TickReport,
    ) {
        let replay = NodeChain::new(&self.node, &self.config);
        let plan = plan_moves(games, &replay, affordable, margin);
        let mut sent = Vec::new();
        for planned in plan {
            let Some(g) = games.iter().find(|g| g.id == planned.game) else {
                continue;
            };
            if planned.turn && planned.clock_left < margin {
                tracing::warn!(
                    game = g.id,
                    left = planned.clock_left,
                    "moving with little clock left"
                );
            }
            // Counted when sent, whatever the answer: a resend after a lost answer is refused
            // ("nonce too low") although the step landed.
            if matches!(
                planned.next,
                Move::ProveCandidate { .. } | Move::ProveEnd { .. }
            ) {
                self.metrics.steps.inc();
            }
            match self.play(g.id, &g.view, planned.next).await {
                Ok((name, tx)) => {
                    if planned.turn {
                        let waited = now.saturating_sub(g.view.game.turnStart);
                        self.metrics.time_to_act.observe(waited as f64);
                    }
                    sent.push((g.id, name, tx));
                }
                Err(err) => {
                    tracing::warn!(game = g.id, err = %err, "move failed");
                    report.failed.push((g.id, err.to_string()));
                }
            }
        }
        let mined = futures::future::join_all(
            sent.into_iter()
                .map(|(id, name, tx)| async move { (id, name, tx.confirmed().await) }),
        )
        .await;
        for (id, name, outcome) in mined {
            match outcome {
                Ok(receipt) => {
                    self.metrics.moved(name);
                    if name.starts_with("prove") {
                        tracing::info!(game = id, gas = receipt.gas_used(), "EXECUTE step mined");
                    }
                    report.moves.push((id, name));
                }
                Err(err) => {
                    tracing::warn!(game = id, move_ = name, err = %err, "move failed");
                    report.failed.push((id, err.to_string()));
                }
            }
        }
    }

    /// Challenges every pending claim, in its window, that the replay has reached and finds
    /// wrong, on a parent it finds right. Claims younger than the checked L1 head wait for the
    /// next tick; a challenge whose fate is unknown (sent, no receipt) is not sent again for
    /// [`IN_DOUBT`], since the games read next tick will show it if it landed.
    ///
    /// A game takes the parent claim's hash as agreed, so no game against a claim on a wrong
    /// parent can be won: the parent is challenged instead, and its children fall with it as
    /// orphans. (A liar can build any number of children on its own wrong claim; challenging
    /// them would hand it every challenger's bond.)
    async fn judge(&mut self, now: u64, report: &mut TickReport) -> Result<(), WatchError> {
        // Field by field, so that the windows can move while it is held.
        let contract = RollupContract {
            provider: &self.provider,
            rollup: self.config.rollup,
        };
        let claims = contract.claim_count().await?;
        self.in_doubt.retain(|_, since| since.elapsed() < IN_DOUBT);
        let window = self.rules.challengeWindow;
        let start = self.claims.first(&contract, claims, now, window).await?;
        for id in start..claims {
            let settled = self.challenged.contains(&id) || self.in_doubt.contains_key(&id);
            // The first claim is read even so: the window moves on once it is over.
            if settled && !self.claims.is_first(id) {
                continue;
            }
            let claim = contract.claim(id).await?;
            if self.claims.pass(id, &claim, now, window) || settled {
                continue;
            }
            let parent = contract.claim(claim.parent).await?;
            let replay = NodeChain::new(&self.node, &self.config);
            match judge(&claim, &parent, &replay, now, window) {
                Verdict::WrongParent => tracing::info!(
                    claim = id,
                    parent = claim.parent,
                    "claim on a wrong parent: the parent is the one to dispute"
                ),
                Verdict::Wrong { ours } => {
                    tracing::info!(claim = id, block = claim.l2Block, claimed = %claim.blockHash, %ours, "wrong claim: challenging");
                    let challenge = Rollup::challengeCall { id: U256::from(id) };
                    if let Err(err) = self.send(challenge, self.rules.challengeBond).await {
                        tracing::warn!(claim = id, %err, "challenge failed");
                        self.in_doubt.insert(id, Instant::now());
                        report.failed.push((id, err.to_string()));
                        continue;
                    }
                    self.metrics.moved("challenge");
                    self.metrics
                        .time_to_act
                        .observe(now.saturating_sub(claim.createdAt) as f64);
                    self.challenged.insert(id);
                    report.challenged.push(id);
                }
                Verdict::Closed | Verdict::Young | Verdict::NotReached | Verdict::Right => {}
            }
        }
        Ok(())
    }

    async fn call<C: SolCall>(&self, c: C) -> Result<C::Return, WatchError> {
        Ok(read(&self.provider, self.config.rollup, c).await?)
    }

    async fn send<C: SolCall>(&self, c: C, value: U256) -> Result<(), WatchError> {
        write(
            &self.provider,
            self.config.address,
            self.config.rollup,
            c,
            value,
        )
        .await?;
        Ok(())
    }

    async fn submit<C: SolCall>(&self, c: C) -> Result<Sent, WatchError> {
        Ok(submit(
            &self.provider,
            self.config.address,
            self.config.rollup,
            c,
            U256::ZERO,
        )
        .await?)
    }

    async fn view(&self, id: u64, game: Rollup::Game, now: u64) -> Result<GameView, WatchError> {
        let claim_rejected = self
            .call(Rollup::claimCall {
                id: U256::from(game.claim),
            })
            .await?
            .claim_status()
            == ClaimStatus::Rejected;
        let split_values = if game.split == B256::ZERO {
            None
        } else {
            self.splits
                .values(id, game.level, game.lo, game.hi)
                .filter(|values| keccak256(values.abi_encode()) == game.split)
        };
        Ok(GameView {
            defender_to_move: defender_to_move(&game),
            game,
            split_values,
            degree: self.rules.degree,
            clock: self.rules.clock,
            now,
            claim_rejected,
        })
    }

    /// The batch that carried L2 block `block`, read back from L1.
    /// From the node's store, which keeps each batch's blob as posted while its blocks are kept
    /// (beacon nodes prune blobs after ~18 days, sooner than a game can end); from L1 only for a
    /// store that has no copy.
    async fn batch_of(&self, block: u64) -> Result<(L1Batch, Box<Blob>), WatchError> {
        match self.node.batch_of(block) {
            Ok(batch) => {
                let blob = batch.blob.clone();
                return Ok((batch, blob));
            }
            Err(NodeError::Store(StoreError::MissingBatch(_))) => {}
            Err(e) => return Err(e.into()),
        }
        let origin = self.node.store().block(block)?.origin;
        let batch = self
            .l1
            .batches(origin.number, origin.number)
            .await?
            .into_iter()
            .find(|b| b.index == origin.batch)
            .ok_or(WatchError::MissingBatch {
                batch: origin.batch,
                number: origin.number,
            })?;
        let blob = batch.blob.clone();
        Ok((batch, blob))
    }

    /// Sends `next`; returns its name and the transaction.
    async fn play(
        &self,
        id: u64,
        view: &GameView,
        next: Move,
    ) -> Result<(&'static str, Sent), WatchError> {
        let game_id = U256::from(id);
        tracing::info!(game = id, ?next, "move");
        let sent = match next {
            Move::Wait => unreachable!("waiting is not a move"),
            Move::Split(values) => (
                "split",
                self.submit(Rollup::splitCall {
                    id: game_id,
                    values,
                })
                .await?,
            ),
            Move::Pick { index, values } => (
                "pick",
                self.submit(Rollup::pickCall {
                    id: game_id,
                    index: U256::from(index),
                    values,
                })
                .await?,
            ),
            Move::Resolve => (
                "resolve",
                self.submit(Rollup::resolveCall { id: game_id }).await?,
            ),
            Move::Cancel => (
                "cancel",
                self.submit(Rollup::cancelCall { id: game_id }).await?,
            ),
            Move::OpenBlock { block } => {
                let (batch, blob) = self.batch_of(block).await?;
                self.ensure_open(&blob).await?;
                let parent = self.node.store().header(block.saturating_sub(1))?;
                let open = Rollup::openBlockCall {
                    id: game_id,
                    parentHeader: alloy_rlp::encode(&parent).into(),
                    batchIndex: U256::from(batch.index),
                    table: table_proof(&blob, offset_in(&batch, block)?)?,
                };
                ("openBlock", self.submit(open).await?)
            }
            Move::ProveCandidate { block, candidate } => {
                let prove = self.prove_candidate(id, block, candidate).await?;
                ("proveCandidate", self.submit(prove).await?)
            }
            Move::ProveEnd { block } => {
                let derived = self.replayed(block)?;
                debug_assert_eq!(block, view.block());
                let prove = Rollup::proveEndCall {
                    id: game_id,
                    step: end_step(&derived),
                };
                ("proveEnd", self.submit(prove).await?)
            }
        };
        Ok(sent)
    }

    /// The step proving candidate `candidate` of block `block` in game `id`, as this player
    /// believes it, with the blob range proofs of the candidate's bytes (opening the blob on L1
    /// first if nobody has).
    pub async fn prove_candidate(
        &self,
        id: u64,
        block: u64,
        candidate: u64,
    ) -> Result<Rollup::proveCandidateCall, WatchError> {
        let derived = self.replayed(block)?;
        let step = candidate_step(&derived, candidate as usize).ok_or(WatchError::Step {
            block,
            reason: "the replay skips the candidate it would prove",
        })?;
        let (batch, blob) = self.batch_of(block).await?;
        self.ensure_open(&blob).await?;
        let mut payload = batch.payload.clone();
        payload.resize(PAYLOAD_BYTES, 0);
        let entry = rollup::batch::entry(
            &payload,
            batch.block_count,
            offset_in(&batch, block)?,
            batch.l1_timestamp,
        );
        let (offsets, transaction) =
            candidate_proofs(&blob, batch.block_count, entry.first + candidate)?;
        Ok(Rollup::proveCandidateCall {
            id: U256::from(id),
            step,
            proof: Rollup::CandidateProof {
                offsets,
                transaction: transaction.ok_or(WatchError::Step {
                    block,
                    reason: "an empty candidate cannot execute",
                })?,
            },
        })
    }

    /// Block `block` with every step's trace, as this player believes it.
    fn replayed(&self, block: u64) -> Result<DerivedBlock, WatchError> {
        #[cfg(feature = "lies")]
        let derived = {
            let lie = self.config.lie.filter(|l| l.block == block).map(|l| l.lie);
            off_runtime(|| self.node.replay_with(block, lie))?
        };
        #[cfg(not(feature = "lies"))]
        let derived = off_runtime(|| self.node.replay(block))?;
        Ok(derived)
    }

    /// Opens a blob on `BlobData` unless someone did already; waits until it is mined, since
    /// the move that needs it is estimated against the chain.
    async fn ensure_open(&self, blob: &Blob) -> Result<(), WatchError> {
        let hash = versioned_hash(blob)?;
        let root = read(
            &self.provider,
            self.blob_data,
            BlobData::rootsCall {
                versionedHash: hash,
            },
        )
        .await?;
        if root == B256::ZERO {
            let open = BlobData::openCall {
                elements: elements(blob),
                opening: opening(blob)?,
            };
            write(
                &self.provider,
                self.config.address,
                self.blob_data,
                open,
                U256::ZERO,
            )
            .await?;
        }
        Ok(())
    }
}

/// Where L2 block `block` is in `batch`.
fn offset_in(batch: &L1Batch, block: u64) -> Result<u16, WatchError> {
    block
        .checked_sub(batch.first_block)
        .and_then(|k| u16::try_from(k).ok())
        .filter(|k| *k < batch.block_count)
        .ok_or(WatchError::Step {
            block,
            reason: "the block is not in the batch the store names",
        })
}

/// The hash of block `number` as `provider` has it.
async fn block_hash(provider: &impl Provider, number: u64) -> Result<Option<B256>, WatchError> {
    Ok(provider
        .get_block_by_number(number.into())
        .await
        .map_err(rpc("a block's hash"))?
        .map(|b| b.header.hash))
}
