//! Calls against the latest state without mining: `eth_call` and `eth_estimateGas`.

use std::sync::{Arc, Mutex};

use alloy_primitives::{map::HashMap, Bytes};
use execute::{
    call::{CallEnv, CallError, CallRequest},
    precompile::ExecuteHost,
    state::RecordingPreimages,
    store::MemoryStore,
};

use crate::Node;

impl Node {
    /// Runs `run` in the next block's environment over the latest state. EXECUTE runs at the
    /// next block's price and charges nothing for real.
    fn with_call_env<R>(
        &self,
        run: impl FnOnce(&CallEnv<'_, RecordingPreimages<'_, MemoryStore>>) -> R,
    ) -> R {
        // One clock reading: the EVM's rules and EXECUTE's host time come from the same header.
        let header = self.pending_header();
        let chain = self.chain_at(header.timestamp);
        let hashes: HashMap<u64, _> = self.recent_hashes().collect();
        let preimages = self.state().preimages();
        run(&CallEnv {
            state_root: self.state().root(),
            preimages: &preimages,
            block_hashes: &hashes,
            header: &header,
            chain: &chain,
            execute: Some(ExecuteHost {
                market: Arc::new(Mutex::new(self.execute_market())),
                schedule: Arc::new(self.schedule().clone()),
            }),
            blob_base_fee: self.blob_base_fee(&header),
        })
    }

    /// Runs `request` on top of the latest block, as the next block would, and discards the
    /// changes: its output and the gas it used.
    pub fn call(&self, request: &CallRequest) -> Result<(Bytes, u64), CallError> {
        self.with_call_env(|env| env.call(request))
    }

    /// The least gas limit with which `request` succeeds on top of the latest block.
    pub fn estimate_gas(&self, request: &CallRequest) -> Result<u64, CallError> {
        self.with_call_env(|env| env.estimate_gas(request))
    }
}
