//! The sequencer loop. Each tick: the load generator (if on) adds its transactions to the pool,
//! a batch is cut from the pool and posted to the inbox as a blob transaction, the node follows
//! L1 (deriving that batch, or rolling back a reorg), and the proposer claims what is due.

use std::{sync::Arc, time::Duration};

use alloy_primitives::Address;
use alloy_provider::Provider;
use execute::{workload::Workload, Fork};
use l1_contracts::call::{send, ContractError};
use l2_node::{
    l1::{batch_transaction, L1Error, L1Source},
    node::{off_runtime, NodeError, SyncReport},
};
use rollup::batch::MAX_BLOCKS;

use crate::{
    proposer::{Proposal, Proposer, ProposerError},
    rpc::Shared,
};

/// Why a tick failed (the loop logs it and tries again next tick).
#[derive(Debug, thiserror::Error)]
pub enum ServiceError {
    /// Reading the L1 head failed.
    #[error("reading the L1 head: {0}")]
    Head(#[source] alloy_transport::TransportError),
    /// Posting a batch failed.
    #[error("posting a batch: {0}")]
    Post(#[from] ContractError),
    /// Building the batch transaction failed.
    #[error(transparent)]
    L1(#[from] L1Error),
    /// Following L1 failed.
    #[error(transparent)]
    Node(#[from] NodeError),
    /// Proposing failed.
    #[error(transparent)]
    Proposer(#[from] ProposerError),
}

/// What a tick did.
#[derive(Debug, Clone, Default)]
pub struct Tick {
    /// Transactions the load generator added.
    pub generated: usize,
    /// Blocks and transactions of the batch posted, if one was.
    pub posted: Option<(usize, usize)>,
    /// What following L1 did.
    pub sync: SyncReport,
    /// The claim made, if one was.
    pub proposal: Option<Proposal>,
}

/// The sequencer's settings.
#[derive(Debug, Clone, Copy)]
pub struct SequencerConfig {
    /// The inbox contract.
    pub inbox: Address,
    /// The address batches are posted from (the poster's key): while it is not the inbox's
    /// sequencer and that sequencer is live, nothing is posted and the pool keeps its
    /// transactions.
    pub submitter: Address,
    /// Blocks per batch at most.
    pub blocks_per_batch: usize,
    /// Gas of generated load per tick (0: no load generator).
    pub load_gas: u64,
    /// Blocks of state kept for disputes; older state is pruned every [`PRUNE_EVERY`] blocks.
    pub window: u64,
    /// Most L1 blocks one `eth_getLogs` spans (the provider's limit, or below).
    pub log_range: u64,
}

/// Blocks between prunes.
pub const PRUNE_EVERY: u64 = 256;

/// The sequencer (and, if given, the proposer) over an L1 provider that signs for them.
#[derive(Debug)]
pub struct Sequencer<P> {
    shared: Arc<Shared>,
    poster: P,
    l1: L1Source<P>,
    load: Option<Workload>,
    proposer: Option<Proposer<P>>,
    config: SequencerConfig,
}

impl<P: Provider + Clone> Sequencer<P> {
    /// A sequencer posting through `poster`, reading blobs from the beacon API at `beacon`;
    /// `load` signs generated transactions, `proposer` claims blocks.
    pub fn new(
        shared: Arc<Shared>,
        poster: P,
        beacon: &str,
        config: SequencerConfig,
        load: Option<Workload>,
        proposer: Option<Proposer<P>>,
    ) -> Self {
        let l1 =
            L1Source::new(poster.clone(), beacon, config.inbox).with_log_range(config.log_range);
        Self {
            shared,
            poster,
            l1,
            load,
            proposer,
            config,
        }
    }

    /// What the endpoint and the loop share.
    pub fn shared(&self) -> &Arc<Shared> {
        &self.shared
    }

    /// One round: load, batch, post, follow L1, propose.
    pub async fn tick(&mut self) -> Result<Tick, ServiceError> {
        let mut tick = Tick::default();
        let mut node = self.shared.node.lock().await;
        if let (Some(load), true) = (&mut self.load, self.config.load_gas > 0) {
            let state = node.state();
            let nonce = |a: Address| state.account(a).map_or(0, |acc| acc.nonce);
            let mut pool = self.shared.pool();
            // From the chain and the pool, not the generator's own count: a refused transaction
            // or a 7702 authorization (which bumps its signer's nonce) would leave it off.
            load.set_nonces(|a| pool.pending_nonce(a, nonce(a)));
            for tx in load.block(self.config.load_gas) {
                if pool.add(tx, nonce).is_ok() {
                    tick.generated += 1;
                }
            }
        }
        let l1_time = self
            .poster
            .get_block_by_number(Default::default())
            .await
            .map_err(ServiceError::Head)?
            .map_or(0, |b| b.header.timestamp);
        // The inbox takes at most one L2 block per second of L1 time since its last batch, and
        // from another address than the sequencer's only once the sequencer has gone silent.
        let allowed = if self.l1.may_submit(self.config.submitter, l1_time).await? {
            usize::try_from(self.l1.blocks_allowed(l1_time).await?).unwrap_or(usize::MAX)
        } else {
            0
        };
        let blocks = self.shared.pool().take_batch(
            self.config.blocks_per_batch.min(allowed).min(MAX_BLOCKS),
            |i| l1_time + 1 + i as u64,
        );
        if !blocks.is_empty() {
            let txs = blocks.iter().map(|b| b.transactions.len()).sum();
            // The L1's fork of the next block decides the sidecar's form.
            let l1_fork = node
                .config()
                .schedule
                .at(l1_time + 1)
                .map_or(Fork::Osaka, |a| a.fork);
            let request = batch_transaction(self.config.inbox, &blocks, l1_fork)?;
            send(&self.poster, request, "batch").await?;
            tick.posted = Some((blocks.len(), txs));
        }
        tick.sync = node.sync(&self.l1).await?;
        self.shared.pool().settle_nonces();
        let head = node.head().number;
        if tick.sync.blocks > 0 && head % PRUNE_EVERY < tick.sync.blocks {
            off_runtime(|| node.prune(self.config.window))?;
        }
        if tick.sync.rolled_back > 0 {
            if let Some(load) = &mut self.load {
                let state = node.state();
                load.set_nonces(|a| state.account(a).map_or(0, |acc| acc.nonce));
            }
        }
        if let Some(proposer) = &self.proposer {
            tick.proposal = proposer.step(&node).await?;
        }
        Ok(tick)
    }

    /// Ticks every `interval` until `stop` resolves; a failed tick is logged and retried.
    pub async fn run(mut self, interval: Duration, stop: impl std::future::Future<Output = ()>) {
        let mut ticks = tokio::time::interval(interval);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        tokio::pin!(stop);
        loop {
            tokio::select! {
                _ = &mut stop => return,
                _ = ticks.tick() => {}
            }
            match self.tick().await {
                Ok(tick) => tracing::info!(
                    generated = tick.generated,
                    posted = ?tick.posted,
                    derived = tick.sync.blocks,
                    rolled_back = tick.sync.rolled_back,
                    l1_head = tick.sync.l1_head,
                    proposal = ?tick.proposal,
                    "tick"
                ),
                Err(err) => tracing::warn!(%err, "tick failed; retrying next tick"),
            }
        }
    }
}
