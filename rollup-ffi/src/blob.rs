//! `blob`: the data a dispute proves about a batch blob, ABI-encoded in hex for Foundry's
//! `vm.ffi` and for the contracts' calldata.

use std::path::{Path, PathBuf};

use alloy_primitives::hex;
use alloy_sol_types::SolValue;
use anyhow::{Context, Result};
use clap::Subcommand;
use rollup::blob::{blob_from_payload, open_call_data, range_proof};

/// What to print about the blob that holds a payload.
#[derive(Debug, Subcommand)]
pub enum BlobCommand {
    /// Prints `abi.encode(bytes32[] elements, Opening)` for `BlobData.open` of the blob that
    /// holds the payload.
    Open {
        /// File with the payload in hex.
        #[arg(long)]
        payload: PathBuf,
    },
    /// Prints `abi.encode(RangeProof)` of payload bytes `start..end`.
    Range {
        /// File with the payload in hex.
        #[arg(long)]
        payload: PathBuf,
        /// First byte.
        #[arg(long)]
        start: usize,
        /// One past the last byte.
        #[arg(long)]
        end: usize,
    },
}

/// Prints what `command` asks for, as hex.
pub fn run(command: BlobCommand) -> Result<()> {
    let encoded = match command {
        BlobCommand::Open { payload } => open_call_data(&*blob_from_payload(&read(&payload)?)?)?,
        BlobCommand::Range {
            payload,
            start,
            end,
        } => range_proof(&*blob_from_payload(&read(&payload)?)?, start, end)?.abi_encode(),
    };
    println!("{}", hex::encode_prefixed(encoded));
    Ok(())
}

fn read(path: &Path) -> Result<Vec<u8>> {
    let text =
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))?;
    hex::decode(text.trim()).with_context(|| format!("{} is not hex", path.display()))
}
