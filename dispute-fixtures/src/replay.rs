//! Replays a dispute fixture end to end: an embedded devnet with EXECUTE and the rollup's real
//! contracts, the fixture's batches posted as blob transactions, the proposer claiming from its
//! own node, and two watchtowers (the proposer's key defending, the challenger's key watching)
//! playing every game to its end. The clock is moved forward only when nobody can move: to time
//! out a side that cannot prove its value, and to close the challenge window. What happened is
//! read back from the chain and compared with the fixture's expectations.

use std::path::Path;

use alloy_consensus::Transaction as _;
use alloy_network::TransactionBuilder;
use alloy_network::{ReceiptResponse, TransactionResponse};
use alloy_primitives::{Address, Selector, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::TransactionRequest;
use alloy_rpc_types_eth::{BlockNumberOrTag, Filter};
use alloy_sol_types::{SolCall, SolEvent};
use execute::{Fork, EXECUTE_ADDRESS};
use l1_contracts::{
    call::{read, send, write, ContractError},
    inbox::Inbox,
    rollup::Rollup,
    status::{ClaimStatus as ChainClaimStatus, GameStatus},
};
use l2_node::{
    l1::blob_transaction,
    node::{off_runtime, NodeError},
};
use rollup::lie::BlockLie;
use sequencer::proposer::ProposerError;

use testnet::{advance_time, Network, NetworkConfig};
use watchtower::{WatchError, Watchtower};

use fixture_format::{
    ClaimOutcome, ClaimStatus, Deceit, Fixture, Forgery, ForgeryOutcome, GameOutcome, Outcome,
    Payouts, Side, Step, MAX_CHALLENGERS,
};

use crate::{
    forge::inject_ancestors,
    inputs::{batches, l1_schedule, l2_genesis, rollup_config},
};

/// Rounds of ticks before a replay is declared stuck.
const MAX_ROUNDS: usize = 400;
/// Dev keys: the proposer (and defender), the challengers, and a bystander who finalizes claims.
const PROPOSER: usize = 1;
const CHALLENGERS: [usize; MAX_CHALLENGERS as usize] = [2, 4, 5];
const BYSTANDER: usize = 3;

/// Why a replay could not run to the end.
#[derive(Debug, thiserror::Error)]
pub enum ReplayError {
    /// Setting up the devnet or the rollup failed.
    #[error("setting up: {0}")]
    Setup(#[source] testnet::NetworkError),
    /// The fixture's batches could not be built.
    #[error(transparent)]
    Fixture(#[from] fixture_format::FixtureError),
    /// A batch's blob transaction could not be built.
    #[error("building a batch's transaction: {0}")]
    Batch(#[source] l2_node::l1::L1Error),
    /// A contract call or transaction failed.
    #[error(transparent)]
    Contract(#[from] ContractError),
    /// A player's L2 node failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// A watchtower's tick failed.
    #[error(transparent)]
    Watch(#[from] WatchError),
    /// The proposer failed.
    #[error(transparent)]
    Proposer(#[from] ProposerError),
    /// A message's sender is none of the devnet's dev keys, so the replay cannot send it.
    #[error("a message from {0}, which is none of the devnet's dev keys")]
    NoKey(Address),
    /// An L1 request failed.
    #[error("L1 RPC: {0}")]
    Rpc(#[source] alloy_transport::TransportError),
    /// A sent transaction's receipt did not come.
    #[error("waiting for a receipt: {0}")]
    Receipt(#[source] alloy_provider::PendingTransactionError),
    /// The L1 node lacks a block, transaction or receipt it reported.
    #[error("the L1 node has no {0}")]
    Missing(String),
    /// Moving the devnet's time failed.
    #[error("moving L1 time: {0}")]
    Warp(#[source] testnet::NetworkError),
    /// A forged step was mined without reverting: the contract took a forgery.
    #[error("the forged step {0} did not revert")]
    ForgeryAccepted(B256),
    /// Nothing moved any more with games or claims still open.
    #[error("stuck after {0} rounds: games or claims still open")]
    Stuck(usize),
}

/// Gas the forging challenger gives its forged step: a whole L1 transaction's worth.
const FORGED_GAS: u64 = 1 << 24;

/// The custom error a reverted `eth_call` names, or the node's message if it names none.
fn revert_name(error: &alloy_transport::TransportError) -> String {
    let data = error
        .as_error_resp()
        .and_then(|payload| payload.as_revert_data());
    match data.as_deref().and_then(|d| d.get(..4)) {
        Some(selector) => {
            Rollup::RollupErrors::name_by_selector(selector.try_into().expect("4 bytes"))
                .map_or_else(
                    || {
                        format!(
                            "unknown error 0x{}",
                            alloy_primitives::hex::encode(selector)
                        )
                    },
                    str::to_string,
                )
        }
        None => error.to_string(),
    }
}

const fn rpc(e: alloy_transport::TransportError) -> ReplayError {
    ReplayError::Rpc(e)
}

/// What a replay saw, with its cost.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Replayed {
    /// Claims, games and payouts as read from chain.
    pub outcome: Outcome,
    /// Game transactions sent by the two sides (challenges, moves, blob openings, steps,
    /// resolutions).
    pub moves: u64,
    /// Their L1 gas.
    pub gas: u64,
    /// The largest of them, in L1 gas.
    pub largest: u64,
}

impl Replayed {
    /// Differences from `expected`, each naming the field.
    pub fn mismatches(&self, expected: &Outcome) -> Vec<String> {
        let mut out = Vec::new();
        let got = &self.outcome;
        if got.claims != expected.claims {
            out.push(format!(
                "expect.claims: expected {}, got {}",
                json(&expected.claims),
                json(&got.claims)
            ));
        }
        if got.games.len() != expected.games.len() {
            out.push(format!(
                "expect.games: expected {} games, got {}: {}",
                expected.games.len(),
                got.games.len(),
                json(&got.games)
            ));
        }
        for (i, (want, have)) in expected.games.iter().zip(&got.games).enumerate() {
            if want != have {
                out.push(format!(
                    "expect.games[{i}]: expected {}, got {}",
                    json(want),
                    json(have)
                ));
            }
        }
        if got.forgeries != expected.forgeries {
            out.push(format!(
                "expect.forgeries: expected {}, got {}",
                json(&expected.forgeries),
                json(&got.forgeries)
            ));
        }
        if got.payouts != expected.payouts {
            out.push(format!(
                "expect.payouts: expected {}, got {}",
                json(&expected.payouts),
                json(&got.payouts)
            ));
        }
        out
    }
}

fn json(value: &impl serde::Serialize) -> String {
    serde_json::to_string(value).expect("outcomes serialize")
}

/// Replays `fixture` on a fresh embedded devnet whose EXECUTE costs at least `execute_price` L1
/// gas per declared gas, with the players' stores under `dir`.
pub async fn replay(
    fixture: &Fixture,
    dir: &Path,
    execute_price: u64,
) -> Result<Replayed, ReplayError> {
    let network = Network::start(NetworkConfig {
        genesis: l2_genesis(fixture).map_err(ReplayError::Fixture)?,
        l1_schedule: l1_schedule(fixture).map_err(ReplayError::Fixture)?,
        game: rollup_config(fixture),
        execute_price,
        ..NetworkConfig::dev(0)
    })
    .await
    .map_err(ReplayError::Setup)?;
    let (proposer_lie, challenger_lie) = (fixture.proposer.lie, fixture.challenger.lie);
    let mut challengers = Vec::new();
    for (c, &key) in CHALLENGERS[..fixture.challenger.count as usize]
        .iter()
        .enumerate()
    {
        let store = dir.join(format!("challenger-{c}"));
        challengers.push(player(&network, key, &store, challenger_lie).await?);
    }
    let run = Run {
        network: &network,
        fixture,
        defender: player(&network, PROPOSER, &dir.join("proposer"), proposer_lie).await?,
        withdrawn: vec![U256::ZERO; 1 + challengers.len()],
        challengers,
        bystander: network.provider(BYSTANDER),
        forgeries: Vec::new(),
    };
    let result = run.play().await;
    let _ = network.server.shutdown().await;
    result
}

struct Run<'a, P, B> {
    network: &'a Network,
    fixture: &'a Fixture,
    defender: Watchtower<P>,
    challengers: Vec<Watchtower<P>>,
    /// Reads the chain, moves its clock, finalizes claims.
    bystander: B,
    /// What each player (the defender, then each challenger) withdrew so far.
    withdrawn: Vec<U256>,
    /// The forged steps sent so far.
    forgeries: Vec<ForgeryOutcome>,
}

fn block_lie(deceit: Option<Deceit>) -> Option<BlockLie> {
    match deceit {
        Some(Deceit::Block(lie)) => Some(lie),
        _ => None,
    }
}

/// A watchtower for dev key `i`, its store in `dir`, behaving as `deceit` says.
async fn player(
    network: &Network,
    i: usize,
    dir: &Path,
    deceit: Option<Deceit>,
) -> Result<Watchtower<impl Provider + Clone>, ReplayError> {
    let mut node = network.node(dir)?;
    if deceit == Some(Deceit::AnyBatchVersion) {
        node.accept_any_batch_version();
    }
    Ok(network.watchtower(i, node, block_lie(deceit)).await?)
}

/// The rollup's claims and games, and each player's credit, as the chain has them now.
struct Chain {
    claims: Vec<Rollup::Claim>,
    games: Vec<Rollup::Game>,
    credit: Vec<U256>,
}

impl<P: Provider + Clone, B: Provider> Run<'_, P, B> {
    async fn play(mut self) -> Result<Replayed, ReplayError> {
        let network = self.network;
        let batches = batches(self.fixture)?;
        // The devnet is past every fork the fixture schedules (they are before its genesis).
        let l1_fork = l1_schedule(self.fixture)?
            .activations()
            .last()
            .map_or(Fork::Osaka, |a| a.fork);
        for batch in &batches {
            for d in &batch.queued {
                let value = U256::from(d.gwei) * U256::from(1_000_000_000u64);
                let inbox = network.deployment.inbox;
                match (&d.data, d.from) {
                    (Some(data), Some(from)) => {
                        let key = network
                            .keys
                            .iter()
                            .position(|k| k.address() == from)
                            .ok_or(ReplayError::NoKey(from))?;
                        let call = Inbox::depositCallCall {
                            to: d.to,
                            data: data.clone(),
                        };
                        write(&network.provider(key), from, inbox, call, value).await?;
                    }
                    _ => {
                        let call = Inbox::depositCall { to: d.to };
                        let from = network.keys[0].address();
                        write(&network.provider(0), from, inbox, call, value).await?;
                    }
                }
            }
            // The inbox takes at most one block per second since its last batch.
            self.warp(u64::from(batch.block_count)).await?;
            let request = blob_transaction(
                network.deployment.inbox,
                &batch.blob,
                batch.block_count,
                l1_fork,
            )
            .map_err(ReplayError::Batch)?;
            send(&network.provider(0), request, "batch").await?;
        }
        let blocks = self.fixture.block_count();
        let every = self.fixture.proposer.every;
        let last_claimed = blocks / every * every;
        let proposer = network.proposer(every, block_lie(self.fixture.proposer.lie));
        let mut proposed = 0;
        let mut idle = 0;
        for _ in 0..MAX_ROUNDS {
            if self.fixture.challenger.forge.is_some() && self.forgeries.is_empty() {
                self.forge().await?;
            }
            let mut active = self.tick(0).await?;
            while proposed < last_claimed {
                match proposer.step(self.defender.node()).await? {
                    Some(claim) => {
                        proposed = claim.block;
                        active = true;
                    }
                    None => break,
                }
            }
            for c in 1..=self.challengers.len() {
                active |= self.tick(c).await?;
            }
            let synced = self.challengers[0].node().head().number >= blocks;
            if active || !synced || proposed < last_claimed {
                idle = 0;
                continue;
            }
            idle += 1;
            if idle < 2 {
                continue;
            }
            // Nobody can move: time must pass.
            let chain = self.chain().await?;
            let pending: Vec<usize> = (0..chain.claims.len())
                .filter(|&i| chain.claims[i].claim_status() == ChainClaimStatus::Pending)
                .collect();
            if chain
                .games
                .iter()
                .any(|g| g.game_status() == GameStatus::Open)
            {
                self.warp(self.fixture.rules.clock).await?;
            } else if !pending.is_empty() {
                self.warp(self.fixture.rules.challenge_window).await?;
                for i in pending {
                    self.finalize(i as u64 + 1).await?;
                }
            } else if chain.credit.iter().all(|c| c.is_zero()) {
                return self.outcome(chain).await;
            }
            idle = 0;
        }
        Err(ReplayError::Stuck(MAX_ROUNDS))
    }

    /// One tick of player `slot` (0 the defender, then each challenger); whether it did
    /// anything. A proposer that abandons its claims does not tick while a game is open.
    async fn tick(&mut self, slot: usize) -> Result<bool, ReplayError> {
        if slot == 0 && self.fixture.proposer.abandons {
            let games = self.games().await?;
            if games.iter().any(|g| g.game_status() == GameStatus::Open) {
                return Ok(false);
            }
        }
        let player = match slot {
            0 => &mut self.defender,
            c => &mut self.challengers[c - 1],
        };
        let report = player.tick().await?;
        self.withdrawn[slot] += report.withdrawn;
        // A dishonest player's proofs fail (a lie cannot be proven): that is not activity.
        Ok(
            !report.moves.is_empty()
                || !report.challenged.is_empty()
                || !report.withdrawn.is_zero(),
        )
    }

    /// The players' addresses: the defender, then each challenger.
    fn players(&self) -> Vec<Address> {
        let count = self.challengers.len();
        std::iter::once(PROPOSER)
            .chain(CHALLENGERS[..count].iter().copied())
            .map(|i| self.network.keys[i].address())
            .collect()
    }

    /// The first challenger's forgery, sent at the first candidate leaf of one of its games: the
    /// honest step (as the defender's node derives it) forged, its pasted trace asked of the
    /// devnet's EXECUTE, and the step sent to the contract, whose revert is recorded.
    async fn forge(&mut self) -> Result<(), ReplayError> {
        let Some(forgery) = self.fixture.challenger.forge else {
            return Ok(());
        };
        let forger = self.network.keys[CHALLENGERS[0]].address();
        let rollup = self.network.deployment.rollup;
        let games = self.games().await?;
        let leaf = games.iter().enumerate().find(|(_, g)| {
            g.challenger == forger
                && g.game_status() == GameStatus::Open
                && g.level == 2
                && g.hi == g.lo + 1
                && g.lo < g.ctx.candidates
        });
        let Some((id, game)) = leaf else {
            return Ok(());
        };
        let (id, block, k) = (id as u64, game.ctx.parent.number + 1, game.lo);
        let node = self.defender.node();
        let derived = off_runtime(|| node.replay(block))?;
        let Some(Ok(traced)) = derived.steps.get(k as usize) else {
            return Ok(());
        };
        let honest = self.defender.prove_candidate(id, block, k).await?;
        let Forgery::InjectAncestors = forgery;
        let forged = inject_ancestors(&honest.step, traced);
        let answer = self
            .bystander
            .call(
                TransactionRequest::default()
                    .with_to(EXECUTE_ADDRESS)
                    .with_input(forged.pasted.abi_encode()),
            )
            .await
            .map_err(rpc)?;
        let prove = Rollup::proveCandidateCall {
            step: forged.step,
            ..honest
        };
        let request = TransactionRequest::default()
            .with_from(forger)
            .with_to(rollup)
            .with_input(prove.abi_encode());
        let provider = self.network.provider(CHALLENGERS[0]);
        let error = match provider.call(request.clone()).await {
            Ok(_) => "none: the contract accepted the forged step".to_string(),
            Err(e) => revert_name(&e),
        };
        // Sent as an attacker would, with a gas limit of its own instead of an estimate: it is
        // mined and reverts.
        let receipt = provider
            .send_transaction(request.with_gas_limit(FORGED_GAS))
            .await
            .map_err(rpc)?
            .get_receipt()
            .await
            .map_err(ReplayError::Receipt)?;
        if receipt.status() {
            return Err(ReplayError::ForgeryAccepted(receipt.transaction_hash));
        }
        self.forgeries.push(ForgeryOutcome {
            game: id,
            forgery,
            execute: U256::try_from_be_slice(&answer) == Some(U256::from(1)),
            error,
        });
        Ok(())
    }

    /// Moves L1 time past `seconds` from its head.
    async fn warp(&self, seconds: u64) -> Result<(), ReplayError> {
        advance_time(&self.bystander, seconds)
            .await
            .map_err(ReplayError::Warp)
    }

    /// Finalizes claim `id` after its window, or rejects it if its parent was rejected.
    async fn finalize(&self, id: u64) -> Result<(), ReplayError> {
        let (rollup, from) = (
            self.network.deployment.rollup,
            self.network.keys[BYSTANDER].address(),
        );
        let id = U256::from(id);
        let finalize = Rollup::finalizeCall { id };
        if write(&self.bystander, from, rollup, finalize, U256::ZERO)
            .await
            .is_err()
        {
            let orphan = Rollup::rejectOrphanCall { id };
            write(&self.bystander, from, rollup, orphan, U256::ZERO).await?;
        }
        Ok(())
    }

    /// Every game, in order.
    async fn games(&self) -> Result<Vec<Rollup::Game>, ReplayError> {
        let provider = &self.bystander;
        let rollup = self.network.deployment.rollup;
        let count: u64 = read(provider, rollup, Rollup::gameCountCall {})
            .await?
            .saturating_to();
        let mut games = Vec::new();
        for id in 0..count {
            let id = U256::from(id);
            games.push(read(provider, rollup, Rollup::gameCall { id }).await?);
        }
        Ok(games)
    }

    /// The claims, games and players' credits.
    async fn chain(&self) -> Result<Chain, ReplayError> {
        let provider = &self.bystander;
        let rollup = self.network.deployment.rollup;
        let claims: u64 = read(provider, rollup, Rollup::claimCountCall {})
            .await?
            .saturating_to();
        let mut chain = Chain {
            claims: Vec::new(),
            games: Vec::new(),
            credit: Vec::new(),
        };
        for id in 1..claims {
            let id = U256::from(id);
            chain
                .claims
                .push(read(provider, rollup, Rollup::claimCall { id }).await?);
        }
        chain.games = self.games().await?;
        for account in self.players() {
            chain
                .credit
                .push(read(provider, rollup, Rollup::creditCall(account)).await?);
        }
        Ok(chain)
    }

    /// Claims, games, payouts and the games' cost, from the chain's final state.
    async fn outcome(&self, chain: Chain) -> Result<Replayed, ReplayError> {
        let provider = &self.bystander;
        let claims = chain
            .claims
            .iter()
            .map(|claim| ClaimOutcome {
                block: claim.l2Block,
                status: if claim.claim_status() == ChainClaimStatus::Finalized {
                    ClaimStatus::Finalized
                } else {
                    ClaimStatus::Rejected
                },
            })
            .collect();
        let logs = provider
            .get_logs(
                &Filter::new()
                    .address(self.network.deployment.rollup)
                    .from_block(self.network.deployment.inbox_block),
            )
            .await
            .map_err(rpc)?;
        let mut games = Vec::new();
        for (id, game) in chain.games.iter().enumerate() {
            let proven = logs.iter().find_map(|log| {
                let event = Rollup::Proven::decode_log(&log.inner).ok()?;
                (event.game == U256::from(id)).then_some(log.transaction_hash?)
            });
            let step = match proven {
                _ if game.game_status() == GameStatus::Cancelled => Step::Cancel,
                Some(hash) => {
                    let tx = provider
                        .get_transaction_by_hash(hash)
                        .await
                        .map_err(rpc)?
                        .ok_or_else(|| ReplayError::Missing(format!("transaction {hash}")))?;
                    if tx.input().starts_with(&Rollup::proveEndCall::SELECTOR) {
                        Step::ProveEnd
                    } else {
                        Step::ProveCandidate
                    }
                }
                None => Step::Timeout,
            };
            // A game that ended at level 1 has no block context.
            let (block, position) = match game.level {
                1 => (game.hi, 0),
                _ => (game.ctx.parent.number + 1, game.hi),
            };
            games.push(GameOutcome {
                claim: game.claim,
                block,
                position,
                step,
                execute: proven.map(|_| true),
                winner: match game.game_status() {
                    GameStatus::DefenderWon => Some(Side::Defender),
                    GameStatus::ChallengerWon => Some(Side::Challenger),
                    _ => None,
                },
            });
        }
        let mut paid = self.withdrawn.iter().zip(&chain.credit).map(|(w, c)| w + c);
        let payouts = Payouts {
            proposer: paid.next().unwrap_or_default(),
            challengers: paid.collect(),
        };
        let (moves, gas, largest) = self.game_transactions().await?;
        Ok(Replayed {
            outcome: Outcome {
                claims,
                games,
                payouts,
                forgeries: self.forgeries.clone(),
            },
            moves,
            gas,
            largest,
        })
    }
    /// The two sides' game transactions: count, total gas, largest.
    async fn game_transactions(&self) -> Result<(u64, u64, u64), ReplayError> {
        let network = self.network;
        let provider = &self.bystander;
        let players = self.players();
        let contracts = [network.deployment.rollup, network.deployment.blob_data];
        let not_moves: [Selector; 2] = [
            Rollup::proposeCall::SELECTOR.into(),
            Rollup::withdrawCall::SELECTOR.into(),
        ];
        let head = provider.get_block_number().await.map_err(rpc)?;
        let (mut moves, mut gas, mut largest) = (0, 0, 0);
        for number in network.deployment.inbox_block + 1..=head {
            let block = provider
                .get_block_by_number(BlockNumberOrTag::Number(number))
                .full()
                .await
                .map_err(rpc)?
                .ok_or_else(|| ReplayError::Missing(format!("block {number}")))?;
            for tx in block.transactions.into_transactions() {
                let to = tx.to().unwrap_or_default();
                let selector = tx.input().get(..4).map(Selector::from_slice);
                if !players.contains(&tx.from())
                    || !contracts.contains(&to)
                    || selector.is_some_and(|s| not_moves.contains(&s))
                {
                    continue;
                }
                let receipt = provider
                    .get_transaction_receipt(tx.tx_hash())
                    .await
                    .map_err(rpc)?
                    .ok_or_else(|| ReplayError::Missing(format!("receipt of {}", tx.tx_hash())))?;
                if receipt.status() {
                    moves += 1;
                    gas += receipt.gas_used();
                    largest = largest.max(receipt.gas_used());
                }
            }
        }
        Ok((moves, gas, largest))
    }
}
