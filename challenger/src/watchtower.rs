//! `challenger run`: the watchtower. Each tick it follows L1 into its L2 node, checks every claim
//! its replay has reached, challenges the wrong ones, and plays every game it is in (as
//! challenger, or as defender of its own claims) with the honest player's moves, down to the
//! EXECUTE step; it resolves games whose other side ran out of clock and withdraws what it won.
//! Everything it knows about games comes from the chain, so a restarted watchtower goes on where
//! it stopped.

use std::collections::HashSet;

use alloy_network::{ReceiptResponse, TransactionBuilder};
use alloy_primitives::{Address, B256, U256};
use alloy_provider::Provider;
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_sol_types::{SolCall, SolEvent};
use anyhow::{anyhow, bail, Context, Result};
use bisect::{
    game::{honest_move, GameView, Move, Replay, Role},
    step::{candidate_proofs, candidate_step, end_step, table_proof, Rollup},
};
use rollup::{
    blob::{blob_from_payload, elements, opening, Blob, BlobData, PAYLOAD_BYTES},
    derive::DerivedBlock,
    l1::{versioned_hash, L1Batch, L1Source},
    node::L2Node,
    rules::Position,
};
use sequencer::proposer::BlockLie;

/// `Rollup.ClaimStatus.Pending`.
const PENDING: u8 = 0;

/// What a tick did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TickReport {
    /// The replay's head after following L1.
    pub head: u64,
    /// Claims found wrong and challenged.
    pub challenged: Vec<u64>,
    /// Moves sent, as (game, move name).
    pub moves: Vec<(u64, &'static str)>,
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
    /// Highest gas price it pays, in wei; above it, it waits.
    pub max_gas_price: u128,
    /// Test mode: believe the chain with this lie, to stage a dishonest player.
    pub lie: Option<BlockLie>,
}

/// The local replay as the player reads it: the L2 node's chain, with the lie in test mode.
struct NodeReplay<'a> {
    node: &'a L2Node,
    lie: Option<(u64, DerivedBlock)>,
}

impl<'a> NodeReplay<'a> {
    fn new(node: &'a L2Node, lie: Option<BlockLie>) -> Self {
        let lie = lie.and_then(|l| {
            let derived = node.replay_with(l.block, Some(l.lie)).ok()?;
            Some((l.block, derived))
        });
        Self { node, lie }
    }

    fn lied(&self, block: u64) -> Option<&DerivedBlock> {
        self.lie
            .as_ref()
            .filter(|(b, _)| *b == block)
            .map(|(_, d)| d)
    }

    /// Candidates and positions of `block`, and its hash.
    fn block(&self, block: u64) -> Option<(usize, Vec<Position>, B256)> {
        if let Some(d) = self.lied(block) {
            return Some((d.candidates.len(), d.positions.clone(), d.hash));
        }
        let record = self.node.store().block(block).ok()?;
        let hash = record.header.hash_slow();
        Some((record.candidates.len(), record.positions, hash))
    }
}

impl Replay for NodeReplay<'_> {
    fn block_hash(&self, number: u64) -> Option<B256> {
        if let Some(d) = self.lied(number) {
            return Some(d.hash);
        }
        (number <= self.node.head().number)
            .then(|| self.node.store().header(number).ok().map(|h| h.hash_slow()))
            .flatten()
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
    config: WatchConfig,
    blob_data: Address,
    rules: Rollup::Config,
}

impl<P: Provider + Clone> Watchtower<P> {
    /// A watchtower on `config.rollup`, following L1 through `provider` with blobs from `beacon`.
    pub async fn new(node: L2Node, provider: P, beacon: &str, config: WatchConfig) -> Result<Self> {
        let rules = call(&provider, config.rollup, Rollup::configCall {}).await?;
        let inbox = call(&provider, config.rollup, Rollup::inboxCall {}).await?;
        let blob_data = call(&provider, config.rollup, Rollup::blobDataCall {}).await?;
        Ok(Self {
            l1: L1Source::new(provider.clone(), beacon, inbox),
            node,
            provider,
            config,
            blob_data,
            rules,
        })
    }

    /// The L2 node.
    pub const fn node(&self) -> &L2Node {
        &self.node
    }

    /// Follows L1, judges new claims, plays every game it is in.
    pub async fn tick(&mut self) -> Result<TickReport> {
        let mut report = TickReport::default();
        self.node.sync(&self.l1).await.context("following L1")?;
        report.head = self.node.head().number;
        let now = self
            .provider
            .get_block_by_number(Default::default())
            .await?
            .context("no latest L1 block")?
            .header
            .timestamp;
        let gas_price = self.provider.get_gas_price().await?;
        if gas_price > self.config.max_gas_price {
            tracing::warn!(
                gas_price,
                max = self.config.max_gas_price,
                "gas too expensive; waiting"
            );
            return Ok(report);
        }

        let games = self.games().await?;
        let ours: HashSet<u64> = games
            .iter()
            .filter(|(_, g)| g.challenger == self.config.address)
            .map(|(_, g)| g.claim)
            .collect();
        let claims: u64 = self.call(Rollup::claimCountCall {}).await?.to();
        for id in 1..claims {
            let claim = self.call(Rollup::claimCall { id: U256::from(id) }).await?;
            if claim.status as u8 != PENDING || ours.contains(&id) {
                continue;
            }
            if now >= claim.createdAt + self.rules.challengeWindow {
                continue;
            }
            // Judge only what the replay has reached.
            let Some(hash) = NodeReplay::new(&self.node, self.config.lie).block_hash(claim.l2Block)
            else {
                continue;
            };
            if hash != claim.blockHash {
                tracing::info!(claim = id, block = claim.l2Block, claimed = %claim.blockHash, ours = %hash, "wrong claim: challenging");
                self.send(
                    Rollup::challengeCall { id: U256::from(id) },
                    self.rules.challengeBond,
                )
                .await?;
                report.challenged.push(id);
            }
        }

        for (id, game) in self.games().await? {
            let proposer = self
                .call(Rollup::claimCall {
                    id: U256::from(game.claim),
                })
                .await?
                .proposer;
            let role = if game.challenger == self.config.address {
                Role::Challenger
            } else if proposer == self.config.address {
                Role::Defender
            } else {
                continue;
            };
            let view = self.view(id, game, now).await?;
            let next = honest_move(&view, role, &NodeReplay::new(&self.node, self.config.lie));
            if next != Move::Wait {
                let name = self.play(id, &view, next).await?;
                report.moves.push((id, name));
            }
        }

        let credit = self.call(Rollup::creditCall(self.config.address)).await?;
        if !credit.is_zero() {
            self.send(Rollup::withdrawCall {}, U256::ZERO).await?;
            report.withdrawn = credit;
        }
        Ok(report)
    }

    async fn call<C: SolCall>(&self, c: C) -> Result<C::Return> {
        call(&self.provider, self.config.rollup, c).await
    }

    async fn send<C: SolCall>(&self, c: C, value: U256) -> Result<u64> {
        send_to(
            &self.provider,
            self.config.address,
            self.config.rollup,
            c,
            value,
        )
        .await
    }

    async fn games(&self) -> Result<Vec<(u64, Rollup::Game)>> {
        let count: u64 = self.call(Rollup::gameCountCall {}).await?.to();
        let mut games = Vec::new();
        for id in 0..count {
            let game = self.call(Rollup::gameCall { id: U256::from(id) }).await?;
            if game.status as u8 == bisect::game::OPEN {
                games.push((id, game));
            }
        }
        Ok(games)
    }

    async fn view(&self, id: u64, game: Rollup::Game, now: u64) -> Result<GameView> {
        let defender_to_move = self
            .call(Rollup::defenderToMoveCall { id: U256::from(id) })
            .await?;
        let split_values = if game.split == B256::ZERO {
            None
        } else {
            let filter = Filter::new()
                .address(self.config.rollup)
                .event_signature(Rollup::Split::SIGNATURE_HASH)
                .topic1(U256::from(id))
                .from_block(0);
            let logs = self.provider.get_logs(&filter).await?;
            logs.iter()
                .filter_map(|log| Rollup::Split::decode_log(&log.inner).ok())
                .map(|event| event.data)
                .rfind(|s| s.level == game.level && s.lo == game.lo && s.hi == game.hi)
                .map(|s| s.values)
        };
        Ok(GameView {
            game,
            defender_to_move,
            split_values,
            degree: self.rules.degree,
            clock: self.rules.clock,
            now,
        })
    }

    /// The batch that carried L2 block `block`, read back from L1.
    async fn batch_of(&self, block: u64) -> Result<(L1Batch, Box<Blob>)> {
        let origin = self.node.store().block(block)?.origin;
        let batch = self
            .l1
            .batches(origin.number, origin.number)
            .await?
            .into_iter()
            .find(|b| b.index == origin.batch)
            .ok_or_else(|| {
                anyhow!(
                    "batch {} not found in L1 block {}",
                    origin.batch,
                    origin.number
                )
            })?;
        let blob = blob_from_payload(&batch.payload)?;
        Ok((batch, blob))
    }

    async fn play(&self, id: u64, view: &GameView, next: Move) -> Result<&'static str> {
        let game_id = U256::from(id);
        tracing::info!(game = id, ?next, "move");
        match next {
            Move::Wait => Ok("wait"),
            Move::Split(values) => {
                self.send(
                    Rollup::splitCall {
                        id: game_id,
                        values,
                    },
                    U256::ZERO,
                )
                .await?;
                Ok("split")
            }
            Move::Pick { index, values } => {
                let pick = Rollup::pickCall {
                    id: game_id,
                    index: U256::from(index),
                    values,
                };
                self.send(pick, U256::ZERO).await?;
                Ok("pick")
            }
            Move::Resolve => {
                self.send(Rollup::resolveCall { id: game_id }, U256::ZERO)
                    .await?;
                Ok("resolve")
            }
            Move::OpenBlock { block } => {
                let (batch, blob) = self.batch_of(block).await?;
                self.ensure_open(&blob).await?;
                let parent = self.node.store().header(block - 1)?;
                let open = Rollup::openBlockCall {
                    id: game_id,
                    parentHeader: alloy_rlp::encode(&parent).into(),
                    batchIndex: U256::from(batch.index),
                    table: table_proof(&blob, (block - batch.first_block) as u16)?,
                };
                self.send(open, U256::ZERO).await?;
                Ok("openBlock")
            }
            Move::ProveCandidate { block, candidate } => {
                let derived = self.replayed(block)?;
                let step = candidate_step(&derived, candidate as usize)
                    .context("the replay skips the candidate it would prove")?;
                let (batch, blob) = self.batch_of(block).await?;
                self.ensure_open(&blob).await?;
                let mut payload = batch.payload.clone();
                payload.resize(PAYLOAD_BYTES, 0);
                let entry = rollup::batch::entry(
                    &payload,
                    batch.block_count,
                    (block - batch.first_block) as u16,
                    batch.l1_timestamp,
                );
                let (offsets, transaction) =
                    candidate_proofs(&blob, batch.block_count, entry.first + candidate)?;
                let prove = Rollup::proveCandidateCall {
                    id: game_id,
                    step,
                    proof: Rollup::CandidateProof {
                        offsets,
                        transaction: transaction.context("an empty candidate cannot execute")?,
                    },
                };
                let gas = self.send(prove, U256::ZERO).await?;
                tracing::info!(game = id, block, candidate, gas, "EXECUTE step sent");
                Ok("proveCandidate")
            }
            Move::ProveEnd { block } => {
                let derived = self.replayed(block)?;
                debug_assert_eq!(block, view.block());
                let gas = self
                    .send(
                        Rollup::proveEndCall {
                            id: game_id,
                            step: end_step(&derived),
                        },
                        U256::ZERO,
                    )
                    .await?;
                tracing::info!(game = id, block, gas, "EXECUTE step sent");
                Ok("proveEnd")
            }
        }
    }

    /// Block `block` with every step's trace, as this player believes it.
    fn replayed(&self, block: u64) -> Result<DerivedBlock> {
        let lie = self.config.lie.filter(|l| l.block == block).map(|l| l.lie);
        Ok(self.node.replay_with(block, lie)?)
    }

    /// Opens a blob on `BlobData` unless someone did already.
    async fn ensure_open(&self, blob: &Blob) -> Result<()> {
        let hash = versioned_hash(blob)?;
        let root = call(
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
            send_to(
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

async fn call<C: SolCall>(provider: &impl Provider, to: Address, c: C) -> Result<C::Return> {
    let request = TransactionRequest::default()
        .with_to(to)
        .with_input(c.abi_encode());
    let out = provider.call(request).await?;
    Ok(C::abi_decode_returns(&out)?)
}

/// Sends a call and waits for its receipt; a revert is an error. Returns the gas used.
async fn send_to<C: SolCall>(
    provider: &impl Provider,
    from: Address,
    to: Address,
    c: C,
    value: U256,
) -> Result<u64> {
    let request = TransactionRequest::default()
        .with_from(from)
        .with_to(to)
        .with_input(c.abi_encode())
        .with_value(value);
    let receipt = provider
        .send_transaction(request)
        .await?
        .get_receipt()
        .await?;
    if !receipt.status() {
        bail!(
            "{} reverted in {}",
            C::SIGNATURE,
            receipt.transaction_hash()
        );
    }
    Ok(receipt.gas_used())
}
