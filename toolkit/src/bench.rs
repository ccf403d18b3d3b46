//! `toolkit execute bench`: stateful revm against stateless EXECUTE on the same blocks.

use std::time::{Duration, Instant};

use anyhow::{anyhow, Result};
use execute::{
    reference::ReferenceState,
    trace::Segment,
    witness::{CompleteState, TraceRequest},
    workload::Workload,
    ChainConfig, Fork,
};

/// Figures of one run.
struct Totals {
    gas: u64,
    stateful: Duration,
    stateless: Duration,
    witness_bytes: usize,
    trace_bytes: usize,
}

/// Builds `blocks` mixed blocks of about `gas` gas each over `accounts` funded senders, then runs
/// each block statefully (plain revm, in-memory) and statelessly (EXECUTE over its trace), and
/// prints both side by side.
pub(crate) fn run(blocks: usize, gas: u64, accounts: usize) -> Result<()> {
    let chain = ChainConfig::mainnet(Fork::Osaka);
    let mut workload = Workload::new(chain, accounts, 42);
    let genesis = workload.genesis();
    let mut state = CompleteState::new(genesis.clone());
    let mut reference = ReferenceState::new(&genesis);
    let mut headers = vec![workload.genesis_header(state.root())];
    let mut totals = Totals {
        gas: 0,
        stateful: Duration::ZERO,
        stateless: Duration::ZERO,
        witness_bytes: 0,
        trace_bytes: 0,
    };

    println!(
        "{:>5} {:>10} {:>6} {:>12} {:>12} {:>7} {:>12}",
        "block", "gas", "txs", "stateful ms", "stateless ms", "ratio", "witness KiB"
    );
    for _ in 0..blocks {
        let parent = headers.last().expect("genesis").clone();
        // Gas limits overshoot usage (transfers use exactly theirs, calls about two thirds).
        let transactions = workload.block(gas + gas / 2);
        let sealed = state
            .seal(TraceRequest {
                chain,
                ancestors: headers.clone(),
                header: workload.child_header(&parent),
                segment: Segment::WHOLE_BLOCK,
                transactions,
                withdrawals: Vec::new(),
            })
            .map_err(|e| anyhow!("sealing a workload block: {e}"))?;
        let header = sealed.trace.header.clone();
        let encoded = sealed.trace.encode_to_vec();

        reference.insert_block_hash(parent.number, header.parent_hash);
        let started = Instant::now();
        let stateful_gas = reference
            .execute_block(&chain, &header, &sealed.trace.transactions)
            .map_err(|e| anyhow!("stateful run: {e}"))?;
        let stateful = started.elapsed();

        let started = Instant::now();
        execute::verify(
            sealed.pre_state_root,
            header.state_root,
            &encoded,
            header.gas_used,
            execute::Host::latest(&chain.schedule()),
        )
        .map_err(|e| anyhow!("EXECUTE rejected a workload block: {e}"))?;
        let stateless = started.elapsed();
        if stateful_gas != header.gas_used {
            return Err(anyhow!(
                "stateful gas {stateful_gas} differs from EXECUTE's {}",
                header.gas_used
            ));
        }

        let witness = sealed.trace.witness.size();
        println!(
            "{:>5} {:>10} {:>6} {:>12.1} {:>12.1} {:>7.2} {:>12.0}",
            header.number,
            header.gas_used,
            sealed.trace.transactions.len(),
            stateful.as_secs_f64() * 1e3,
            stateless.as_secs_f64() * 1e3,
            stateless.as_secs_f64() / stateful.as_secs_f64(),
            witness as f64 / 1024.0,
        );
        totals.gas += header.gas_used;
        totals.stateful += stateful;
        totals.stateless += stateless;
        totals.witness_bytes += witness;
        totals.trace_bytes += encoded.len();
        headers.push(header);
    }
    let mgas = totals.gas as f64 / 1e6;
    println!(
        "stateful revm (in-memory):   {:8.1} Mgas/s",
        mgas / totals.stateful.as_secs_f64()
    );
    println!(
        "stateless EXECUTE:           {:8.1} Mgas/s",
        mgas / totals.stateless.as_secs_f64()
    );
    println!(
        "stateless / stateful time:   {:8.2}x",
        totals.stateless.as_secs_f64() / totals.stateful.as_secs_f64()
    );
    println!(
        "witness bytes per Mgas:      {:8.0}",
        totals.witness_bytes as f64 / mgas
    );
    println!(
        "trace bytes per Mgas:        {:8.0}",
        totals.trace_bytes as f64 / mgas
    );
    Ok(())
}
