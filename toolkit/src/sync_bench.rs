//! `toolkit l2 bench`: L2 sync throughput with the sled store against plain in-memory revm on
//! the same blocks, and the store's size on disk per million accounts.

use std::time::{Duration, Instant};

use alloy_primitives::{keccak256, Address, Bytes, U256};
use anyhow::{anyhow, Context, Result};
use execute::{
    reference::ReferenceState,
    witness::{system_contracts, AccountState},
    workload::Workload,
    Fork,
};
use l2_node::{
    node::{Genesis, L2Node},
    store::L1Origin,
};
use rollup::{batch::BatchBlock, derive::L2Chain, rules::L2Config};

/// What the bench builds.
#[derive(Debug, Clone, Copy)]
pub(crate) struct SyncBench {
    /// Accounts in the genesis state (senders included).
    pub accounts: usize,
    /// Funded senders the workload signs with.
    pub senders: usize,
    /// Blocks to sync.
    pub blocks: usize,
    /// Gas budget per block.
    pub gas: u64,
}

/// `n` accounts at pseudo-random addresses, spread over the whole trie.
fn bystanders(n: usize) -> impl Iterator<Item = (Address, AccountState)> {
    (0..n as u64).map(|i| {
        let address = Address::from_slice(&keccak256(i.to_be_bytes())[12..]);
        let account = AccountState {
            balance: U256::from(i + 1),
            ..Default::default()
        };
        (address, account)
    })
}

/// Builds the genesis and blocks, syncs them three ways and prints the figures.
pub(crate) fn run(bench: SyncBench) -> Result<()> {
    let config = L2Config::fixed(901, Fork::Osaka, Address::repeat_byte(0xfe));
    let chain = config.chain_at(0)?;
    let mut workload = Workload::new(chain, bench.senders, 7);
    let system: Vec<Address> = system_contracts(chain.fork)
        .into_iter()
        .map(|(a, _)| a)
        .collect();
    let mut accounts: Vec<_> = workload
        .genesis()
        .into_iter()
        .filter(|(a, _)| !system.contains(a))
        .collect();
    accounts.extend(bystanders(bench.accounts.saturating_sub(accounts.len())));
    let total_accounts = accounts.len();
    let genesis = Genesis {
        config: config.clone(),
        accounts,
        timestamp: 0,
    };
    let blocks: Vec<Vec<Bytes>> = (0..bench.blocks)
        .map(|_| workload.block(bench.gas))
        .collect();

    let dir = tempfile::tempdir().context("creating a temporary directory")?;
    let started = Instant::now();
    let mut node = L2Node::open(dir.path(), genesis.clone(), 0)?;
    node.store().flush()?;
    let genesis_time = started.elapsed();
    let genesis_size = node.store().size_on_disk()?;
    println!(
        "genesis: {total_accounts} accounts, built and written in {:.1} s, {:.1} MiB on disk \
         ({:.0} MiB per million accounts)",
        genesis_time.as_secs_f64(),
        genesis_size as f64 / (1 << 20) as f64,
        genesis_size as f64 / (1 << 20) as f64 * 1e6 / total_accounts as f64,
    );

    let mut memory = L2Chain::new(config.clone(), genesis.accounts.clone(), 0)?;
    let mut reference = ReferenceState::new(&config.genesis_alloc(genesis.accounts.clone()));
    let (mut sled_time, mut memory_time, mut revm_time) =
        (Duration::ZERO, Duration::ZERO, Duration::ZERO);
    let mut gas = 0;
    println!(
        "{:>5} {:>10} {:>6} {:>9} {:>11} {:>9}",
        "block", "gas", "txs", "revm ms", "memory ms", "sled ms"
    );
    for (i, transactions) in blocks.into_iter().enumerate() {
        let l1 = 12 * (i as u64 + 1);
        let origin = L1Origin {
            batch: i as u64,
            number: i as u64 + 1,
            timestamp: l1,
            ..Default::default()
        };
        let block = BatchBlock {
            timestamp: l1,
            transactions,
        };

        let started = Instant::now();
        let derived = node
            .apply_blocks(origin, vec![block.clone()], Vec::new())?
            .pop()
            .ok_or_else(|| anyhow!("no block derived"))?;
        let sled = started.elapsed();

        let started = Instant::now();
        let in_memory = memory.derive_block(
            block.timestamp,
            l1,
            block.transactions,
            rollup::rules::BlockInputs::none(),
        )?;
        let mem = started.elapsed();
        if in_memory.hash != derived.hash {
            return Err(anyhow!("block {}: sled and memory disagree", i + 1));
        }

        let included: Vec<Bytes> = derived
            .steps
            .iter()
            .zip(&derived.candidates)
            .filter(|(step, _)| step.is_ok())
            .map(|(_, tx)| tx.clone())
            .collect();
        let header = &derived.header;
        reference.insert_block_hash(header.number - 1, header.parent_hash);
        let started = Instant::now();
        let revm_gas = reference
            .execute_block(&chain, header, &included)
            .map_err(|e| anyhow!("revm: {e}"))?;
        let revm = started.elapsed();
        if revm_gas != header.gas_used {
            return Err(anyhow!(
                "block {}: revm used {revm_gas} gas, derivation {}",
                header.number,
                header.gas_used
            ));
        }
        println!(
            "{:>5} {:>10} {:>6} {:>9.1} {:>11.1} {:>9.1}",
            header.number,
            header.gas_used,
            included.len(),
            revm.as_secs_f64() * 1e3,
            mem.as_secs_f64() * 1e3,
            sled.as_secs_f64() * 1e3,
        );
        gas += header.gas_used;
        sled_time += sled;
        memory_time += mem;
        revm_time += revm;
    }
    node.store().flush()?;
    let mgas = gas as f64 / 1e6;
    let rate = |t: Duration| mgas / t.as_secs_f64();
    println!(
        "plain revm, in memory, no roots:      {:8.1} Mgas/s",
        rate(revm_time)
    );
    println!(
        "L2 derivation, memory store:          {:8.1} Mgas/s ({:.2}x revm's time)",
        rate(memory_time),
        memory_time.as_secs_f64() / revm_time.as_secs_f64()
    );
    println!(
        "L2 derivation, sled store (sync):     {:8.1} Mgas/s ({:.2}x revm's time)",
        rate(sled_time),
        sled_time.as_secs_f64() / revm_time.as_secs_f64()
    );
    let size = node.store().size_on_disk()?;
    println!(
        "store after sync: {:.1} MiB on disk ({:.0} MiB per million accounts)",
        size as f64 / (1 << 20) as f64,
        size as f64 / (1 << 20) as f64 * 1e6 / total_accounts as f64,
    );
    Ok(())
}
