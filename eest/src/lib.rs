//! Runs execution-spec-tests BlockchainTest fixtures through
//! EXECUTE statelessly.
//!
//! Per test: build the pre-state, check its root against the genesis header, then per block
//! generate the block's witness from a stateful run over the complete state, hand EXECUTE only
//! the parent root, the block and the witness, and compare with the header's state root. Blocks
//! marked `expectException` must be rejected (EXECUTE is handed the invalid block with the witness
//! of everything read before the failure and must answer false); the last accepted block must be
//! `lastblockhash`.

use std::{
    collections::BTreeMap,
    path::{Path, PathBuf},
};

use alloy_consensus::Header;
use alloy_eips::eip4895::Withdrawal;
use alloy_primitives::{Address, Bytes, B256, U256, U64};
use alloy_rlp::Decodable;
use anyhow::{bail, Context, Result};
use execute::{
    chain::{BlobSchedule, ChainConfig, Fork},
    trace::Segment,
    witness::{AccountState, CompleteState, TraceRequest},
};
use rayon::prelude::*;
use serde::Deserialize;

/// Outcome of one test.
#[derive(Debug)]
pub enum Outcome {
    /// Every block behaved as the fixture says.
    Passed,
    /// Something differed.
    Failed(String),
    /// The fixture's network is not supported.
    Skipped(String),
}

/// Totals of a run.
#[derive(Debug, Default)]
pub struct Summary {
    /// Tests passed.
    pub passed: usize,
    /// Tests failed, with their names and reasons.
    pub failed: Vec<(String, String)>,
    /// Skipped tests by reason.
    pub skipped: BTreeMap<String, usize>,
}

/// One BlockchainTest.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Fixture {
    network: String,
    #[serde(rename = "genesisRLP")]
    genesis_rlp: Bytes,
    pre: BTreeMap<Address, PreAccount>,
    blocks: Vec<FixtureBlock>,
    lastblockhash: B256,
    config: Option<FixtureConfig>,
}

#[derive(Deserialize)]
struct FixtureConfig {
    chainid: Option<U64>,
    #[serde(rename = "blobSchedule", default)]
    blob_schedule: BTreeMap<String, FixtureBlobs>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureBlobs {
    target: U64,
    max: U64,
    base_fee_update_fraction: U64,
}

#[derive(Deserialize)]
struct PreAccount {
    nonce: U64,
    balance: U256,
    code: Bytes,
    #[serde(default)]
    storage: BTreeMap<U256, U256>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct FixtureBlock {
    rlp: Bytes,
    expect_exception: Option<String>,
}

/// The fork schedule of a fixture network: one fork, or `XToYAtTime15k`.
struct Network {
    /// `(activation timestamp, fork name, fork)`, by activation.
    forks: Vec<(u64, String, Fork)>,
}

impl Network {
    fn parse(name: &str) -> Option<Self> {
        let fork = |n: &str| Fork::from_name(n).map(|f| (n.to_string(), f));
        let forks = match name.split_once("To") {
            Some((from, rest)) => {
                let (to, time) = rest.split_once("AtTime")?;
                let time = time.strip_suffix('k')?.parse::<u64>().ok()? * 1000;
                let (from_name, from_fork) = fork(from)?;
                let (to_name, to_fork) = fork(to)?;
                vec![(0, from_name, from_fork), (time, to_name, to_fork)]
            }
            None => {
                let (n, f) = fork(name)?;
                vec![(0, n, f)]
            }
        };
        Some(Self { forks })
    }

    fn at(&self, timestamp: u64) -> (&str, Fork) {
        let (_, name, fork) = self
            .forks
            .iter()
            .rev()
            .find(|(t, _, _)| timestamp >= *t)
            .unwrap_or(&self.forks[0]);
        (name, *fork)
    }
}

/// A block split into the parts a trace takes; transactions keep their exact bytes.
struct RawBlock {
    header: Header,
    transactions: Vec<Bytes>,
    ommers: usize,
    withdrawals: Vec<Withdrawal>,
}

fn decode_block(rlp: &[u8]) -> alloy_rlp::Result<RawBlock> {
    let mut buf = rlp;
    let mut payload = alloy_rlp::Header::decode_bytes(&mut buf, true)?;
    if !buf.is_empty() {
        return Err(alloy_rlp::Error::UnexpectedLength);
    }
    let header = Header::decode(&mut payload)?;
    let mut txs = alloy_rlp::Header::decode_bytes(&mut payload, true)?;
    let mut transactions = Vec::new();
    while !txs.is_empty() {
        let start = txs;
        let item = alloy_rlp::Header::decode(&mut txs)?;
        let raw = if item.list {
            &start[..start.len() - txs.len() + item.payload_length]
        } else {
            &txs[..item.payload_length]
        };
        transactions.push(Bytes::copy_from_slice(raw));
        txs = &txs[item.payload_length..];
    }
    let ommers_list = alloy_rlp::Header::decode_bytes(&mut payload, true)?;
    let ommers = usize::from(!ommers_list.is_empty());
    let withdrawals = if payload.is_empty() {
        Vec::new()
    } else {
        Vec::<Withdrawal>::decode(&mut payload)?
    };
    if !payload.is_empty() {
        return Err(alloy_rlp::Error::UnexpectedLength);
    }
    Ok(RawBlock {
        header,
        transactions,
        ommers,
        withdrawals,
    })
}

/// Every `.json` file under `dirs`, sorted.
pub fn fixture_files(dirs: &[PathBuf]) -> Result<Vec<PathBuf>> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<()> {
        if dir.is_file() {
            out.push(dir.to_path_buf());
            return Ok(());
        }
        for entry in std::fs::read_dir(dir).with_context(|| format!("reading {}", dir.display()))? {
            let path = entry?.path();
            if path.is_dir() {
                walk(&path, out)?;
            } else if path.extension().is_some_and(|e| e == "json") {
                out.push(path);
            }
        }
        Ok(())
    }
    let mut files = Vec::new();
    for dir in dirs {
        walk(dir, &mut files)?;
    }
    files.sort();
    Ok(files)
}

/// Runs every test in every file; `report` is called with each failure as it happens.
pub fn run(files: &[PathBuf], report: impl Fn(&str, &str) + Sync) -> Summary {
    let results: Vec<Vec<(String, Outcome)>> = files
        .par_iter()
        .map(|file| match load(file) {
            Ok(tests) => tests
                .into_iter()
                .map(|(name, fixture)| {
                    let outcome = run_test(&fixture);
                    if let Outcome::Failed(reason) = &outcome {
                        report(&name, reason);
                    }
                    (name, outcome)
                })
                .collect(),
            Err(err) => {
                let name = file.display().to_string();
                let reason = format!("{err:#}");
                report(&name, &reason);
                vec![(name, Outcome::Failed(reason))]
            }
        })
        .collect();
    let mut summary = Summary::default();
    for (name, outcome) in results.into_iter().flatten() {
        match outcome {
            Outcome::Passed => summary.passed += 1,
            Outcome::Failed(reason) => summary.failed.push((name, reason)),
            Outcome::Skipped(reason) => *summary.skipped.entry(reason).or_default() += 1,
        }
    }
    summary
}

fn load(file: &Path) -> Result<Vec<(String, Fixture)>> {
    let bytes = std::fs::read(file).with_context(|| format!("reading {}", file.display()))?;
    let tests: BTreeMap<String, Fixture> = serde_json::from_slice(&bytes)
        .with_context(|| format!("{} is not a BlockchainTest fixture file", file.display()))?;
    Ok(tests.into_iter().collect())
}

/// Runs one test.
pub fn run_test(fixture: &Fixture) -> Outcome {
    let Some(network) = Network::parse(&fixture.network) else {
        return Outcome::Skipped(format!("unsupported network {}", fixture.network));
    };
    match run_blocks(fixture, &network) {
        Ok(()) => Outcome::Passed,
        Err(err) => Outcome::Failed(format!("{err:#}")),
    }
}

fn run_blocks(fixture: &Fixture, network: &Network) -> Result<()> {
    let genesis = decode_block(&fixture.genesis_rlp)
        .context("genesis RLP")?
        .header;
    let accounts: Vec<(Address, AccountState)> = fixture
        .pre
        .iter()
        .map(|(address, a)| {
            let account = AccountState {
                nonce: a.nonce.to(),
                balance: a.balance,
                code: a.code.clone(),
                storage: a.storage.iter().map(|(k, v)| (*k, *v)).collect(),
            };
            (*address, account)
        })
        .collect();
    let mut state = CompleteState::new(accounts);
    if state.root() != genesis.state_root {
        bail!(
            "pre-state root {} differs from genesis {}",
            state.root(),
            genesis.state_root
        );
    }
    let config = fixture.config.as_ref();
    let chain_id = config
        .and_then(|c| c.chainid)
        .map_or(1, |id| id.to::<u64>());
    let mut ancestors = vec![genesis];

    for (index, block) in fixture.blocks.iter().enumerate() {
        let expect_invalid = block.expect_exception.is_some();
        let raw = match decode_block(&block.rlp) {
            Ok(raw) => raw,
            Err(_) if expect_invalid => continue,
            Err(err) => bail!("block {index}: RLP does not decode: {err}"),
        };
        let (fork_name, fork) = network.at(raw.header.timestamp);
        let blobs = config
            .and_then(|c| c.blob_schedule.get(fork_name))
            .map(|b| BlobSchedule {
                target: b.target.to(),
                max: b.max.to(),
                update_fraction: b.base_fee_update_fraction.to(),
            })
            .unwrap_or(ChainConfig::mainnet(fork).blobs);
        let chain = ChainConfig {
            chain_id,
            blobs,
            ..ChainConfig::mainnet(fork)
        };
        let request = TraceRequest {
            chain,
            ancestors: ancestors.clone(),
            header: raw.header.clone(),
            segment: Segment::WHOLE_BLOCK,
            transactions: raw.transactions,
            withdrawals: raw.withdrawals,
        };
        // Ommers are not part of a trace: a block with any is invalid after the merge, and
        // pre-merge blocks with ommers are outside what EXECUTE replays.
        if raw.ommers > 0 {
            if expect_invalid {
                continue;
            }
            bail!("block {index}: blocks with ommers are not supported");
        }

        // The stateful run: over the complete state, recording the witness.
        let traced = match state.trace(request.clone()) {
            Ok(traced) => traced,
            Err(err) if !expect_invalid => bail!("block {index}: rejected a valid block: {err}"),
            Err(_) => {
                // EXECUTE itself must answer false, given what the failed run read.
                let (_, trace) = state
                    .rejected(request)
                    .context("rejected once, accepted after")?;
                let encoded = trace.encode_to_vec();
                let header = &trace.header;
                if execute::verify(
                    state.root(),
                    header.state_root,
                    &encoded,
                    header.gas_used,
                    Some(fork),
                )
                .is_ok()
                {
                    bail!("block {index}: EXECUTE accepted an invalid block");
                }
                continue;
            }
        };
        if expect_invalid {
            bail!(
                "block {index}: accepted a block expected to fail with {}",
                block.expect_exception.as_deref().unwrap_or_default()
            );
        }
        // The stateless run: EXECUTE sees only the parent root, the block and the witness.
        let encoded = traced.trace.encode_to_vec();
        execute::verify(
            traced.pre_state_root,
            raw.header.state_root,
            &encoded,
            raw.header.gas_used,
            Some(fork),
        )
        .with_context(|| format!("block {index}: EXECUTE rejected the block's trace"))?;
        ancestors.push(raw.header);
    }
    let last = ancestors.last().expect("genesis").hash_slow();
    if last != fixture.lastblockhash {
        bail!(
            "last block hash {last} differs from the fixture's {}",
            fixture.lastblockhash
        );
    }
    Ok(())
}
