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
use execute::{
    chain::{Activation, BlobSchedule, ChainConfig, ChainParams, Fork, ForkSchedule},
    trace::Segment,
    witness::{AccountState, CompleteState, TraceRequest},
    ExecuteError, Host,
};
use rayon::prelude::*;
use serde::Deserialize;

/// How one test went.
#[derive(Debug)]
pub enum TestResult {
    /// Every block behaved as the test says.
    Passed,
    /// Something differed.
    Failed(EestError),
    /// The test's network is not supported (the reason).
    Skipped(String),
}

/// Why a test file could not be read, or a test failed.
#[derive(Debug, thiserror::Error)]
pub enum EestError {
    /// A file or directory could not be read.
    #[error("reading {path}: {source}")]
    Read {
        /// The path.
        path: PathBuf,
        /// Why.
        #[source]
        source: std::io::Error,
    },
    /// A file is not a BlockchainTest file.
    #[error("{path} is not a BlockchainTest fixture file: {source}")]
    Parse {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        #[source]
        source: serde_json::Error,
    },
    /// The genesis block does not decode.
    #[error("genesis RLP: {0}")]
    Genesis(#[source] alloy_rlp::Error),
    /// The pre-state does not hash to the genesis header's state root.
    #[error("pre-state root {ours} differs from genesis {genesis}")]
    PreState {
        /// The pre-state's root.
        ours: B256,
        /// The genesis header's.
        genesis: B256,
    },
    /// A block the test holds valid does not decode.
    #[error("block {index}: RLP does not decode: {source}")]
    BlockRlp {
        /// The block's index in the test.
        index: usize,
        /// The decoder's error.
        #[source]
        source: alloy_rlp::Error,
    },
    /// A valid block has ommers, which traces do not carry.
    #[error("block {index}: blocks with ommers are not supported")]
    Ommers {
        /// The block's index in the test.
        index: usize,
    },
    /// The stateful run rejected a valid block.
    #[error("block {index}: rejected a valid block: {source}")]
    RejectedValid {
        /// The block's index in the test.
        index: usize,
        /// Why.
        #[source]
        source: ExecuteError,
    },
    /// A block rejected once was accepted when rerun to record its witness.
    #[error("block {index}: rejected once, accepted after")]
    Unstable {
        /// The block's index in the test.
        index: usize,
    },
    /// EXECUTE accepted a block the test says is invalid.
    #[error("block {index}: EXECUTE accepted an invalid block")]
    AcceptedInvalid {
        /// The block's index in the test.
        index: usize,
    },
    /// The stateful run accepted a block the test says is invalid.
    #[error("block {index}: accepted a block expected to fail with {exception}")]
    AcceptedExpectedFailure {
        /// The block's index in the test.
        index: usize,
        /// The exception the test expects.
        exception: String,
    },
    /// EXECUTE rejected a valid block's trace.
    #[error("block {index}: EXECUTE rejected the block's trace: {source}")]
    ExecuteRejected {
        /// The block's index in the test.
        index: usize,
        /// Why.
        #[source]
        source: ExecuteError,
    },
    /// The chain ends at another block than the test's.
    #[error("last block hash {ours} differs from the fixture's {expected}")]
    LastBlock {
        /// The last accepted block's hash.
        ours: B256,
        /// The test's `lastblockhash`.
        expected: B256,
    },
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
pub struct BlockchainTest {
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

/// The forks of a test's network (one fork, or `XToYAtTime15k`) as `(activation, name)`.
fn network_forks(name: &str) -> Option<Vec<(u64, String)>> {
    let known = |n: &str| Fork::from_name(n).map(|_| n.to_string());
    Some(match name.split_once("To") {
        Some((from, rest)) => {
            let (to, time) = rest.split_once("AtTime")?;
            let time = time.strip_suffix('k')?.parse::<u64>().ok()? * 1000;
            vec![(0, known(from)?), (time, known(to)?)]
        }
        None => vec![(0, known(name)?)],
    })
}

/// The host schedule of a test: its network's forks with the blob parameters of its config.
fn host_schedule(fixture: &BlockchainTest) -> Option<ForkSchedule> {
    let config = fixture.config.as_ref();
    let activations = network_forks(&fixture.network)?
        .into_iter()
        .map(|(timestamp, name)| {
            let fork = Fork::from_name(&name).expect("network_forks keeps known names");
            let blobs = config
                .and_then(|c| c.blob_schedule.get(&name))
                .map(|b| BlobSchedule {
                    target: b.target.to(),
                    max: b.max.to(),
                    update_fraction: b.base_fee_update_fraction.to(),
                })
                .unwrap_or(ChainConfig::mainnet(fork).blobs);
            Activation {
                timestamp,
                fork,
                blobs,
            }
        })
        .collect();
    ForkSchedule::new(activations).ok()
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
pub fn fixture_files(dirs: &[PathBuf]) -> Result<Vec<PathBuf>, EestError> {
    fn walk(dir: &Path, out: &mut Vec<PathBuf>) -> Result<(), EestError> {
        if dir.is_file() {
            out.push(dir.to_path_buf());
            return Ok(());
        }
        let read = |source| EestError::Read {
            path: dir.to_path_buf(),
            source,
        };
        for entry in std::fs::read_dir(dir).map_err(read)? {
            let path = entry.map_err(read)?.path();
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
    let results: Vec<Vec<(String, TestResult)>> = files
        .par_iter()
        .map(|file| match load(file) {
            Ok(tests) => tests
                .into_iter()
                .map(|(name, fixture)| {
                    let result = run_test(&fixture);
                    if let TestResult::Failed(err) = &result {
                        report(&name, &err.to_string());
                    }
                    (name, result)
                })
                .collect(),
            Err(err) => {
                let name = file.display().to_string();
                report(&name, &err.to_string());
                vec![(name, TestResult::Failed(err))]
            }
        })
        .collect();
    let mut summary = Summary::default();
    for (name, result) in results.into_iter().flatten() {
        match result {
            TestResult::Passed => summary.passed += 1,
            TestResult::Failed(err) => summary.failed.push((name, err.to_string())),
            TestResult::Skipped(reason) => *summary.skipped.entry(reason).or_default() += 1,
        }
    }
    summary
}

fn load(file: &Path) -> Result<Vec<(String, BlockchainTest)>, EestError> {
    let bytes = std::fs::read(file).map_err(|source| EestError::Read {
        path: file.to_path_buf(),
        source,
    })?;
    let tests: BTreeMap<String, BlockchainTest> =
        serde_json::from_slice(&bytes).map_err(|source| EestError::Parse {
            path: file.to_path_buf(),
            source,
        })?;
    Ok(tests.into_iter().collect())
}

/// Runs one test.
pub fn run_test(fixture: &BlockchainTest) -> TestResult {
    let Some(network) = host_schedule(fixture) else {
        return TestResult::Skipped(format!("unsupported network {}", fixture.network));
    };
    match run_blocks(fixture, &network) {
        Ok(()) => TestResult::Passed,
        Err(err) => TestResult::Failed(err),
    }
}

fn run_blocks(fixture: &BlockchainTest, network: &ForkSchedule) -> Result<(), EestError> {
    let genesis = decode_block(&fixture.genesis_rlp)
        .map_err(EestError::Genesis)?
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
        return Err(EestError::PreState {
            ours: state.root(),
            genesis: genesis.state_root,
        });
    }
    let params = ChainParams {
        chain_id: fixture
            .config
            .as_ref()
            .and_then(|c| c.chainid)
            .map_or(1, |id| id.to::<u64>()),
        ..ChainConfig::mainnet(Fork::Prague).params()
    };
    let host = Host::latest(network);
    let mut ancestors = vec![genesis];

    for (index, block) in fixture.blocks.iter().enumerate() {
        let expect_invalid = block.expect_exception.is_some();
        let raw = match decode_block(&block.rlp) {
            Ok(raw) => raw,
            Err(_) if expect_invalid => continue,
            Err(source) => return Err(EestError::BlockRlp { index, source }),
        };
        let activation = network
            .at(raw.header.timestamp)
            .expect("starts at time zero");
        let chain = ChainConfig::new(params, activation);
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
            return Err(EestError::Ommers { index });
        }

        // The stateful run: over the complete state, recording the witness.
        let traced = match state.trace(request.clone()) {
            Ok(traced) => traced,
            Err(source) if !expect_invalid => {
                return Err(EestError::RejectedValid { index, source })
            }
            Err(_) => {
                // EXECUTE itself must answer false, given what the failed run read.
                let (_, trace) = state
                    .rejected(request)
                    .ok_or(EestError::Unstable { index })?;
                let encoded = trace.encode_to_vec();
                let header = &trace.header;
                if execute::verify(
                    state.root(),
                    header.state_root,
                    &encoded,
                    header.gas_used,
                    host,
                )
                .is_ok()
                {
                    return Err(EestError::AcceptedInvalid { index });
                }
                continue;
            }
        };
        if expect_invalid {
            return Err(EestError::AcceptedExpectedFailure {
                index,
                exception: block.expect_exception.clone().unwrap_or_default(),
            });
        }
        // The stateless run: EXECUTE sees only the parent root, the block and the witness.
        let encoded = traced.trace.encode_to_vec();
        execute::verify(
            traced.pre_state_root,
            raw.header.state_root,
            &encoded,
            raw.header.gas_used,
            host,
        )
        .map_err(|source| EestError::ExecuteRejected { index, source })?;
        ancestors.push(raw.header);
    }
    let last = ancestors.last().expect("genesis").hash_slow();
    if last != fixture.lastblockhash {
        return Err(EestError::LastBlock {
            ours: last,
            expected: fixture.lastblockhash,
        });
    }
    Ok(())
}
