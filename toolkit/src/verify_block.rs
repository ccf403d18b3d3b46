//! `toolkit execute verify-block`: checks a block of any chain statelessly through EXECUTE, from
//! the block and the `debug_executionWitness` a node serves for it, fetched over JSON-RPC or
//! read from a recorded file, so that the precompile can be held against other clients' chains.

use std::{path::PathBuf, time::Instant};

use alloy_consensus::{Block, TxEnvelope};
use alloy_eips::{eip6110::MAINNET_DEPOSIT_CONTRACT_ADDRESS, eip7910::EthConfig, BlockNumberOrTag};
use alloy_primitives::{Address, Bytes, B256, U64};
use alloy_provider::{Provider, RootProvider};
use alloy_rlp::Decodable;
use alloy_rpc_types_debug::ExecutionWitness;
use anyhow::{anyhow, bail, Context, Result};
use execute::{BlobSchedule, ChainParams, Fork, ForkSchedule, Host, Trace};
use serde::Deserialize;
use serde_json::Value;

/// Where the block and its witness come from, and the rules it runs by.
#[derive(clap::Args, Debug)]
pub(crate) struct VerifyBlockArgs {
    /// JSON-RPC URL of a node that serves `debug_executionWitness` (reth, geth, the devnet).
    #[arg(long, required_unless_present = "file", conflicts_with = "file")]
    rpc: Option<String>,
    /// The block to check, with --rpc: a number (decimal or 0x-hex) or a tag (`latest`...).
    #[arg(long, default_value = "latest", value_parser = parse_block)]
    block: BlockNumberOrTag,
    /// A recorded block instead: JSON with `blockRlp`, `executionWitness`, `chainId` and `fork`
    /// (the shape of the recorded blocks in `../shared/witnesses/`).
    #[arg(long)]
    file: Option<PathBuf>,
    /// The block's fork (`Cancun`, `Prague`, `Osaka`), for a node without EIP-7910's
    /// `eth_config`; overrides a file's.
    #[arg(long)]
    fork: Option<String>,
    /// The fork's blob parameters as TARGET,MAX,UPDATE_FRACTION, with --fork (default: mainnet's
    /// for the fork).
    #[arg(long, value_parser = parse_blobs)]
    blobs: Option<BlobSchedule>,
    /// The chain's EIP-6110 deposit contract (default: the node's `eth_config`, else mainnet's,
    /// which Sepolia and Hoodi share).
    #[arg(long)]
    deposit_contract: Option<Address>,
}

/// A block and the witness to check it with, as fetched or read, before any is trusted.
#[derive(Debug)]
struct Fetched {
    chain_id: u64,
    schedule: ForkSchedule,
    deposit_contract: Address,
    block: Block<TxEnvelope>,
    /// The hash the source gives the block, if it gives one.
    hash: Option<B256>,
    witness: ExecutionWitness,
}

/// The shape of a recorded block (`../shared/witnesses/*.json`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
struct Recorded {
    chain_id: u64,
    fork: String,
    block_hash: Option<B256>,
    block_rlp: Bytes,
    execution_witness: Value,
}

/// Runs the check; the exit status says whether EXECUTE accepts the block.
pub(crate) async fn run(args: VerifyBlockArgs) -> Result<std::process::ExitCode> {
    let fetched = match (&args.file, &args.rpc) {
        (Some(path), _) => read_file(path, &args)?,
        (None, Some(url)) => fetch(url, &args).await?,
        (None, None) => bail!("give --rpc URL or --file PATH"),
    };
    let block = &fetched.block;
    let hash = block.header.hash_slow();
    if let Some(given) = fetched.hash {
        if given != hash {
            bail!("the block's header hashes to {hash}, not to {given} as its source says");
        }
    }
    let params = ChainParams {
        chain_id: fetched.chain_id,
        deposit_contract: fetched.deposit_contract,
    };
    let (number, gas_used) = (block.header.number, block.header.gas_used);
    let rules = Host::latest(&fetched.schedule).rules(params, block.header.timestamp)?;
    let count = block.body.transactions.len();
    println!(
        "block {number} ({hash}) of chain {}, {:?}: {count} transaction{}, {gas_used} gas",
        params.chain_id,
        rules.fork,
        if count == 1 { "" } else { "s" }
    );
    let witness = &fetched.witness;
    println!(
        "witness: {} trie nodes, {} codes, {} headers, {} bytes",
        witness.state.len(),
        witness.codes.len(),
        witness.headers.len(),
        witness
            .state
            .iter()
            .chain(&witness.codes)
            .chain(&witness.headers)
            .map(|b| b.len())
            .sum::<usize>()
    );
    let trace = Trace::from_block_and_witness(params, fetched.block, fetched.witness)
        .context("the witness's headers do not decode")?;
    let parent = trace
        .parent()
        .ok_or_else(|| anyhow!("the witness holds no header: it needs at least the parent's"))?;
    let (pre, post) = (parent.state_root, trace.header.state_root);
    let started = Instant::now();
    let verdict =
        execute::verify_trace(pre, post, &trace, gas_used, Host::latest(&fetched.schedule));
    let elapsed = started.elapsed().as_secs_f64();
    match verdict {
        Ok(()) => {
            println!("EXECUTE: true ({pre} -> {post}, checked in {elapsed:.3} s)");
            Ok(std::process::ExitCode::SUCCESS)
        }
        Err(err) => {
            println!("EXECUTE: false: {err}");
            Ok(std::process::ExitCode::FAILURE)
        }
    }
}

fn read_file(path: &PathBuf, args: &VerifyBlockArgs) -> Result<Fetched> {
    let text = std::fs::read_to_string(path).with_context(|| format!("reading {path:?}"))?;
    let recorded: Recorded =
        serde_json::from_str(&text).with_context(|| format!("{path:?} is not a recorded block"))?;
    let fork = args.fork.as_deref().unwrap_or(&recorded.fork);
    Ok(Fetched {
        chain_id: recorded.chain_id,
        schedule: fixed_schedule(fork, args.blobs)?,
        deposit_contract: args
            .deposit_contract
            .unwrap_or(MAINNET_DEPOSIT_CONTRACT_ADDRESS),
        block: decode_block(&recorded.block_rlp).context("blockRlp")?,
        hash: recorded.block_hash,
        witness: execution_witness(recorded.execution_witness)?,
    })
}

async fn fetch(url: &str, args: &VerifyBlockArgs) -> Result<Fetched> {
    let provider = RootProvider::<alloy_network::Ethereum>::new_http(
        url.parse().with_context(|| format!("URL {url}"))?,
    );
    let chain_id: U64 = provider
        .raw_request("eth_chainId".into(), ())
        .await
        .context("eth_chainId")?;
    let config: Option<EthConfig> = match args.fork {
        Some(_) => None,
        None => provider.raw_request("eth_config".into(), ()).await.ok(),
    };
    let (schedule, config_deposit) = match (&args.fork, &config) {
        (Some(fork), _) => (fixed_schedule(fork, args.blobs)?, None),
        (None, Some(config)) => (
            ForkSchedule::from_eth_config(config).context("the node's eth_config")?,
            config
                .current
                .system_contracts
                .get(&alloy_eips::eip7910::SystemContract::DepositContract)
                .copied(),
        ),
        (None, None) => bail!("the node serves no eth_config; give the block's --fork"),
    };
    let raw: Bytes = provider
        .raw_request("debug_getRawBlock".into(), (args.block,))
        .await
        .context("debug_getRawBlock")?;
    let block = decode_block(&raw).context("the node's raw block")?;
    if let BlockNumberOrTag::Number(asked) = args.block {
        if block.header.number != asked {
            bail!(
                "asked for block {asked}, the node served block {}",
                block.header.number
            );
        }
    }
    // The witness of the block fetched, not of whatever `latest` is by now.
    let number = BlockNumberOrTag::Number(block.header.number);
    let witness: Value = provider
        .raw_request("debug_executionWitness".into(), (number,))
        .await
        .context("debug_executionWitness")?;
    Ok(Fetched {
        chain_id: chain_id.to(),
        schedule,
        deposit_contract: args
            .deposit_contract
            .or(config_deposit)
            .unwrap_or(MAINNET_DEPOSIT_CONTRACT_ADDRESS),
        block,
        hash: None,
        witness: execution_witness(witness)?,
    })
}

/// A block from its whole RLP, nothing after it; ommers have been empty since the merge, and
/// EXECUTE checks no ommers hash, so a block with any is refused here.
fn decode_block(rlp: &[u8]) -> Result<Block<TxEnvelope>> {
    let mut rest = rlp;
    let block = Block::<TxEnvelope>::decode(&mut rest).context("does not decode as a block")?;
    if !rest.is_empty() {
        bail!("{} bytes follow the block", rest.len());
    }
    if !block.body.ommers.is_empty() {
        bail!("the block has ommers, which no post-merge block has");
    }
    Ok(block)
}

/// A schedule of one fork for all time, with `blobs` or the fork's mainnet parameters.
fn fixed_schedule(fork: &str, blobs: Option<BlobSchedule>) -> Result<ForkSchedule> {
    let fork = Fork::from_name(fork).ok_or_else(|| anyhow!("unknown fork {fork}"))?;
    let blobs = blobs.unwrap_or(if fork >= Fork::Prague {
        BlobSchedule::PRAGUE
    } else {
        BlobSchedule::CANCUN
    });
    Ok(ForkSchedule::fixed(fork, blobs))
}

fn parse_block(text: &str) -> Result<BlockNumberOrTag, String> {
    match text.parse::<u64>() {
        Ok(number) => Ok(BlockNumberOrTag::Number(number)),
        Err(_) => text.parse().map_err(|e| format!("{text}: {e}")),
    }
}

fn parse_blobs(text: &str) -> Result<BlobSchedule, String> {
    let parts: Vec<u64> = text
        .split(',')
        .map(|p| p.trim().parse::<u64>().map_err(|e| format!("{p}: {e}")))
        .collect::<Result<_, _>>()?;
    let [target, max, update_fraction] = parts[..] else {
        return Err("expected TARGET,MAX,UPDATE_FRACTION".into());
    };
    Ok(BlobSchedule {
        target,
        max,
        update_fraction,
    })
}

/// A `debug_executionWitness` response as reth serves it (headers as RLP) or as geth does
/// (headers as JSON objects); `keys` are not needed.
fn execution_witness(value: Value) -> Result<ExecutionWitness> {
    #[derive(Deserialize)]
    struct Response {
        #[serde(default)]
        state: Vec<Bytes>,
        #[serde(default)]
        codes: Vec<Bytes>,
        #[serde(default)]
        headers: Vec<Value>,
    }
    let response: Response =
        serde_json::from_value(value).context("the witness is not an execution witness")?;
    let headers = response
        .headers
        .into_iter()
        .enumerate()
        .map(|(index, header)| match header {
            Value::String(_) => serde_json::from_value::<Bytes>(header)
                .with_context(|| format!("witness header {index} is not hex")),
            object => serde_json::from_value::<alloy_rpc_types_eth::Header>(object)
                .map(|h| alloy_rlp::encode(h.inner).into())
                .with_context(|| format!("witness header {index} is not a header")),
        })
        .collect::<Result<_>>()?;
    Ok(ExecutionWitness {
        state: response.state,
        codes: response.codes,
        keys: Vec::new(),
        headers,
    })
}

#[cfg(test)]
mod tests {
    use alloy_consensus::Header;

    use super::*;

    #[test]
    fn witness_headers_as_rlp_or_json_objects_are_the_same() {
        let header = Header {
            number: 7,
            gas_limit: 30_000_000,
            base_fee_per_gas: Some(7),
            ..Header::default()
        };
        let rlp: Bytes = alloy_rlp::encode(&header).into();
        let as_rlp = serde_json::json!({ "state": [], "codes": [], "headers": [rlp] });
        let object = alloy_rpc_types_eth::Header::new(header);
        let as_object = serde_json::json!({ "state": [], "codes": [], "headers": [object] });
        let a = execution_witness(as_rlp).unwrap();
        let b = execution_witness(as_object).unwrap();
        assert_eq!(a, b);
        assert_eq!(a.headers, vec![rlp]);
    }

    #[test]
    fn malformed_witnesses_are_named() {
        for (bad, says) in [
            (
                serde_json::json!({ "headers": ["0xzz"] }),
                "header 0 is not hex",
            ),
            (
                serde_json::json!({ "headers": [{ "number": 1 }] }),
                "header 0 is not a header",
            ),
            (
                serde_json::json!({ "state": 5 }),
                "not an execution witness",
            ),
        ] {
            let err = format!("{:#}", execution_witness(bad).unwrap_err());
            assert!(err.contains(says), "{err}");
        }
    }

    #[test]
    fn blocks_are_numbers_in_decimal_or_hex_or_tags() {
        assert_eq!(
            parse_block("1265656"),
            Ok(BlockNumberOrTag::Number(1_265_656))
        );
        assert_eq!(parse_block("0x10"), Ok(BlockNumberOrTag::Number(16)));
        assert_eq!(parse_block("latest"), Ok(BlockNumberOrTag::Latest));
        assert!(parse_block("yesterday").is_err());
    }

    #[test]
    fn blocks_decode_whole_and_without_ommers() {
        let block = Block::<TxEnvelope> {
            header: Header::default(),
            body: alloy_consensus::BlockBody::default(),
        };
        let rlp = alloy_rlp::encode(&block);
        assert_eq!(decode_block(&rlp).unwrap(), block);
        let mut longer = rlp.clone();
        longer.push(0);
        assert!(decode_block(&longer).is_err());
        let with_ommer = Block::<TxEnvelope> {
            body: alloy_consensus::BlockBody {
                ommers: vec![Header::default()],
                ..Default::default()
            },
            ..block
        };
        assert!(decode_block(&alloy_rlp::encode(&with_ommer)).is_err());
    }

    #[test]
    fn blob_parameters_parse() {
        assert_eq!(parse_blobs("6,9,5007716"), Ok(BlobSchedule::PRAGUE));
        assert!(parse_blobs("6,9").is_err());
        assert!(parse_blobs("a,9,1").is_err());
    }
}
