//! The proposer: every `every` L2 blocks it claims the newest block on the `Rollup` contract
//! with the proposal bond, building on its own last claim. In test mode (the `lies` feature) it
//! lies about one chosen block in a chosen way, so that each fraud the protocol covers can be
//! staged.

#[cfg(feature = "lies")]
use std::sync::atomic::{AtomicU64, Ordering};

use alloy_primitives::{Address, B256, U256};
use alloy_provider::Provider;
use alloy_sol_types::{SolCall, SolEvent};
use l1_contracts::{
    call::{read, write, ContractError},
    rollup::Rollup,
    status::ClaimStatus,
};
use l2_node::node::{L2Node, NodeError};
#[cfg(feature = "lies")]
use rollup::lie::BlockLie;

/// Why a proposal failed.
#[derive(Debug, thiserror::Error)]
pub enum ProposerError {
    /// A call or a transaction on L1 failed.
    #[error(transparent)]
    L1(#[from] ContractError),
    /// The claim's transaction has no `Proposed` event.
    #[error("no Proposed event in {0}")]
    NoEvent(B256),
    /// The L2 node could not produce the block.
    #[error(transparent)]
    Node(#[from] NodeError),
}

/// A claim the proposer made.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Proposal {
    /// The claim's id.
    pub id: u64,
    /// The L2 block claimed.
    pub block: u64,
    /// The hash claimed.
    pub hash: B256,
}

/// Claims blocks on a `Rollup` contract.
#[derive(Debug)]
pub struct Proposer<P> {
    provider: P,
    rollup: Address,
    address: Address,
    every: u64,
    #[cfg(feature = "lies")]
    lie: Option<BlockLie>,
    /// The claim that told the lie (0 before it is told). It is told once; the claims built on
    /// that one link to it, and claims made after it is rejected are honest.
    #[cfg(feature = "lies")]
    lying_claim: AtomicU64,
}

impl<P: Provider> Proposer<P> {
    /// A proposer sending from `address` through `provider` (which signs for it) to `rollup`,
    /// claiming every `every` blocks.
    pub fn new(provider: P, rollup: Address, address: Address, every: u64) -> Self {
        Self {
            provider,
            rollup,
            address,
            every: every.max(1),
            #[cfg(feature = "lies")]
            lie: None,
            #[cfg(feature = "lies")]
            lying_claim: AtomicU64::new(0),
        }
    }

    /// Test mode (the `lies` feature): lies as `lie` says in the first claim covering its block
    /// and in the claims built on that one.
    #[cfg(feature = "lies")]
    #[must_use]
    pub fn lying(mut self, lie: Option<BlockLie>) -> Self {
        self.lie = lie;
        self
    }

    /// The hash to claim for `block` on claim `parent` (after the proposer's last claim of block
    /// `last`), and whether it is the lie told for the first time.
    #[cfg(feature = "lies")]
    fn claimed_hash(
        &self,
        node: &L2Node,
        parent: u64,
        last: u64,
        block: u64,
    ) -> Result<(B256, bool), ProposerError> {
        // The lie goes into the first claim that covers its block, once, and into the claims
        // built on that one.
        let told = self.lying_claim.load(Ordering::Relaxed);
        let lie = self.lie.filter(|l| match told {
            0 => last < l.block && l.block <= block,
            lying => parent >= lying,
        });
        Ok(match lie {
            Some(lie) => (node.lying_hash(block, lie.block, lie.lie)?, told == 0),
            None => (stored_hash(node, block)?, false),
        })
    }

    /// The hash to claim for `block`: the node's.
    #[cfg(not(feature = "lies"))]
    fn claimed_hash(
        &self,
        node: &L2Node,
        _parent: u64,
        _last: u64,
        block: u64,
    ) -> Result<(B256, bool), ProposerError> {
        Ok((stored_hash(node, block)?, false))
    }

    async fn call<C: SolCall>(&self, call: C) -> Result<C::Return, ProposerError> {
        Ok(read(&self.provider, self.rollup, call).await?)
    }

    /// The newest claim of this proposer that was not rejected (the anchor, claim 0, if none):
    /// read from the chain, so a restarted proposer goes on where it stopped.
    pub async fn last_claim(&self) -> Result<(u64, u64), ProposerError> {
        let count: u64 = self.call(Rollup::claimCountCall {}).await?.to();
        for id in (1..count).rev() {
            let claim = self.call(Rollup::claimCall { id: U256::from(id) }).await?;
            if claim.proposer == self.address && claim.claim_status() != ClaimStatus::Rejected {
                return Ok((id, claim.l2Block));
            }
        }
        Ok((0, 0))
    }

    /// Claims the next block due, if `node` has derived it; returns the claim made.
    pub async fn step(&self, node: &L2Node) -> Result<Option<Proposal>, ProposerError> {
        let (parent, last) = self.last_claim().await?;
        let block = last + self.every;
        if node.head().number < block {
            return Ok(None);
        }
        let (hash, first_lie) = self.claimed_hash(node, parent, last, block)?;
        let bond = self.call(Rollup::configCall {}).await?.proposalBond;
        let call = Rollup::proposeCall {
            parent,
            l2Block: block,
            blockHash: hash,
        };
        let receipt = write(&self.provider, self.address, self.rollup, call, bond).await?;
        let id = receipt
            .inner
            .logs()
            .iter()
            .find_map(|log| Rollup::Proposed::decode_log(&log.inner).ok())
            .map(|event| event.data.claim.to::<u64>())
            .ok_or(ProposerError::NoEvent(receipt.transaction_hash))?;
        #[cfg(feature = "lies")]
        if first_lie {
            self.lying_claim.store(id, Ordering::Relaxed);
        }
        #[cfg(not(feature = "lies"))]
        let _ = first_lie;
        Ok(Some(Proposal { id, block, hash }))
    }
}

/// The hash of stored block `number`.
fn stored_hash(node: &L2Node, number: u64) -> Result<B256, ProposerError> {
    Ok(node
        .store()
        .header(number)
        .map_err(NodeError::from)?
        .hash_slow())
}
