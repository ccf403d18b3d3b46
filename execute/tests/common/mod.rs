//! Shared set-up: a chain of sealed workload blocks with their traces.
#![allow(dead_code)] // each test binary uses a different part of the set-up

use alloy_consensus::Header;
use execute::{
    reference::ReferenceState,
    trace::Segment,
    witness::{CompleteState, TraceRequest, TracedSegment},
    workload::Workload,
    ChainConfig, Fork,
};

/// A workload chain: the complete state, the stateful reference and the headers so far.
pub(crate) struct Chain {
    pub workload: Workload,
    pub state: CompleteState,
    pub reference: ReferenceState,
    pub headers: Vec<Header>,
}

impl Chain {
    pub(crate) fn new(fork: Fork, senders: usize, seed: u64) -> Self {
        Self::of(ChainConfig::mainnet(fork), senders, seed)
    }

    /// A workload chain under `chain`'s rules.
    pub(crate) fn of(chain: ChainConfig, senders: usize, seed: u64) -> Self {
        let workload = Workload::new(chain, senders, seed);
        let genesis = workload.genesis();
        let state = CompleteState::new(genesis.clone());
        let reference = ReferenceState::new(&genesis);
        let headers = vec![workload.genesis_header(state.root())];
        Self {
            workload,
            state,
            reference,
            headers,
        }
    }

    /// Seals the next block with transactions worth `gas_budget` of gas limit.
    pub(crate) fn next_block(&mut self, gas_budget: u64) -> TracedSegment {
        let parent = self.headers.last().unwrap().clone();
        let transactions = self.workload.block(gas_budget);
        let request = TraceRequest {
            chain: self.workload.chain(),
            ancestors: self.headers.clone(),
            header: self.workload.child_header(&parent),
            segment: Segment::WHOLE_BLOCK,
            transactions,
            withdrawals: Vec::new(),
        };
        let sealed = self.state.seal(request).expect("workload blocks are valid");
        self.headers.push(sealed.trace.header.clone());
        sealed
    }
}
