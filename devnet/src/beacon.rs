//! The slice of the beacon API that rollup nodes read blobs from:
//! `GET /eth/v1/beacon/blob_sidecars/{block_id}` and `GET /eth/v1/beacon/blobs/{block_id}`.
//!
//! The devnet has no consensus layer, so a slot is an L1 block number and a block root is the
//! execution block's hash. The sidecar's `signed_block_header` carries the execution block's
//! number, parent hash and state root, with a zero signature, and `kzg_commitment_inclusion_proof`
//! is zeros: there is no beacon body to prove against. What binds a blob to the chain here is
//! what binds it on mainnet for an execution-layer reader: its commitment's versioned hash, which
//! the blob transaction carries.

use alloy_primitives::{hex, B256};
use serde_json::{json, Value};

use crate::{blobs::BlobSidecar, MinedBlock, Node};

/// Depth of the commitment's Merkle proof in a Deneb beacon block body.
const INCLUSION_PROOF_DEPTH: usize = 17;
/// Bytes of a BLS signature.
const SIGNATURE_BYTES: usize = 96;

/// A beacon API error: HTTP status and message, sent as `{"code", "message"}`.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{code}: {message}")]
pub struct BeaconError {
    /// HTTP status code.
    pub code: u16,
    /// What went wrong.
    pub message: String,
}

impl BeaconError {
    fn new(code: u16, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
        }
    }

    /// The JSON body of the error.
    pub fn to_json(&self) -> Value {
        json!({ "code": self.code, "message": self.message })
    }
}

/// `blob_sidecars/{block_id}?indices=…`: the block's sidecars, optionally only some indices.
pub fn blob_sidecars(
    node: &Node,
    block_id: &str,
    indices: Option<&str>,
) -> Result<Value, BeaconError> {
    let block = resolve(node, block_id)?;
    let wanted = parse_list(indices, |s| s.parse::<u64>().ok(), "indices")?;
    let data: Vec<Value> = stored(node, block)?
        .iter()
        .filter(|s| wanted.as_ref().is_none_or(|w| w.contains(&s.index)))
        .map(|s| sidecar_json(block, s))
        .collect();
    Ok(envelope(data))
}

/// `blobs/{block_id}?versioned_hashes=…`: the block's blobs, optionally only those with the
/// given versioned hashes, in block order.
pub fn blobs(
    node: &Node,
    block_id: &str,
    versioned_hashes: Option<&str>,
) -> Result<Value, BeaconError> {
    let block = resolve(node, block_id)?;
    let wanted = parse_list(
        versioned_hashes,
        |s| s.parse::<B256>().ok(),
        "versioned_hashes",
    )?;
    let data: Vec<Value> = stored(node, block)?
        .iter()
        .filter(|s| {
            wanted
                .as_ref()
                .is_none_or(|w| w.contains(&s.versioned_hash))
        })
        .map(|s| json!(hex::encode_prefixed(s.blob.as_slice())))
        .collect();
    Ok(envelope(data))
}

fn stored<'a>(node: &'a Node, block: &MinedBlock) -> Result<&'a [BlobSidecar], BeaconError> {
    node.blob_sidecars(block.header.number)
        .map_err(|e| BeaconError::new(404, e.to_string()))
}

fn envelope(data: Vec<Value>) -> Value {
    json!({
        "execution_optimistic": false,
        // Every devnet block is final: there are no forks to choose between.
        "finalized": true,
        "data": data,
    })
}

/// Block ids as the beacon API spells them: `head`, `genesis`, `finalized`, `justified`, a slot
/// number, or a `0x` block root.
fn resolve<'a>(node: &'a Node, block_id: &str) -> Result<&'a MinedBlock, BeaconError> {
    let found = match block_id {
        "head" | "finalized" | "justified" => Some(node.latest()),
        "genesis" => node.block(0),
        id if id.starts_with("0x") => {
            let root: B256 = id
                .parse()
                .map_err(|_| BeaconError::new(400, format!("Invalid block ID: {id}")))?;
            node.block_by_hash(root)
        }
        id => {
            let slot: u64 = id
                .parse()
                .map_err(|_| BeaconError::new(400, format!("Invalid block ID: {id}")))?;
            node.block(slot)
        }
    };
    found.ok_or_else(|| BeaconError::new(404, "Block not found"))
}

fn parse_list<T>(
    list: Option<&str>,
    parse: impl Fn(&str) -> Option<T>,
    name: &str,
) -> Result<Option<Vec<T>>, BeaconError> {
    list.map(|list| {
        list.split(',')
            .map(|item| {
                parse(item.trim())
                    .ok_or_else(|| BeaconError::new(400, format!("Invalid {name}: {item}")))
            })
            .collect()
    })
    .transpose()
}

fn sidecar_json(block: &MinedBlock, sidecar: &BlobSidecar) -> Value {
    json!({
        "index": sidecar.index.to_string(),
        "blob": hex::encode_prefixed(sidecar.blob.as_slice()),
        "kzg_commitment": sidecar.kzg_commitment,
        "kzg_proof": sidecar.kzg_proof,
        "signed_block_header": {
            "message": {
                "slot": block.header.number.to_string(),
                "proposer_index": "0",
                "parent_root": block.header.parent_hash,
                "state_root": block.header.state_root,
                "body_root": block.hash,
            },
            "signature": hex::encode_prefixed([0u8; SIGNATURE_BYTES]),
        },
        "kzg_commitment_inclusion_proof": vec![B256::ZERO; INCLUSION_PROOF_DEPTH],
    })
}
