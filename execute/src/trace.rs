//! The trace: everything EXECUTE needs to run one segment of a block statelessly.
//!
//! Wire format: one version byte ([`TRACE_VERSION`]) followed by the RLP list of [`Trace`].
//! `docs/trace-format.md` describes every field.

use alloy_consensus::{Block, Header, TxEnvelope};
use alloy_eips::{eip2718::Encodable2718, eip4895::Withdrawal};
use alloy_primitives::Bytes;
use alloy_rlp::{Decodable, Encodable, RlpDecodable, RlpEncodable};
use alloy_rpc_types_debug::ExecutionWitness;

use crate::{chain::ChainParams, ExecuteError};

/// Version byte that starts every encoded trace.
pub const TRACE_VERSION: u8 = 2;

/// Which part of a block a trace covers.
///
/// A block of `n` transactions has positions `0..=n`: position 0 is the parent's state, position
/// `k` the state after the start-of-block system calls and transactions `0..k`, and position `n`
/// additionally includes the end-of-block changes (withdrawals, request system calls). A segment
/// runs from position `first_tx` to `first_tx + transactions.len()`, and to the end of the block
/// when `ends_block` is set. A segment with `first_tx == 0` and `ends_block` is the whole block:
/// then the header is checked as an L1 node checks it (roots, gas, bloom, requests).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, RlpEncodable, RlpDecodable)]
pub struct Segment {
    /// Index within the block of the first transaction the trace carries.
    pub first_tx: u64,
    /// Gas used by the block's transactions before `first_tx` (zero when `first_tx` is zero).
    pub gas_before: u64,
    /// Blob gas used by the block's transactions before `first_tx`.
    pub blob_gas_before: u64,
    /// Whether the segment ends the block.
    pub ends_block: bool,
}

impl Segment {
    /// The whole block.
    pub const WHOLE_BLOCK: Self = Self {
        first_tx: 0,
        gas_before: 0,
        blob_gas_before: 0,
        ends_block: true,
    };

    /// Whether this segment is the whole block.
    pub const fn is_whole_block(&self) -> bool {
        self.first_tx == 0 && self.ends_block
    }

    /// Whether the segment starts the block, and so runs the start-of-block system calls.
    pub const fn starts_block(&self) -> bool {
        self.first_tx == 0
    }
}

/// Preimages the stateless run needs: trie nodes of the state and storage tries, and bytecodes.
#[derive(Debug, Clone, Default, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Witness {
    /// RLP of every trie node (account and storage tries) the segment touches.
    pub state: Vec<Bytes>,
    /// Bytecode of every contract the segment loads.
    pub codes: Vec<Bytes>,
}

impl Witness {
    /// Encoded size in bytes.
    pub fn size(&self) -> usize {
        self.state.iter().chain(&self.codes).map(|b| b.len()).sum()
    }
}

/// One segment of one block, with the context and witness to run it statelessly.
#[derive(Debug, Clone, PartialEq, Eq, RlpEncodable, RlpDecodable)]
pub struct Trace {
    /// The chain's own parameters; the fork and blob parameters are the host's, by the block's
    /// timestamp.
    pub chain: ChainParams,
    /// Consecutive ancestor headers, oldest first, ending with the block's parent. They prove the
    /// hashes BLOCKHASH returns and the parent values the header is checked against.
    pub ancestors: Vec<Header>,
    /// The block's header: its context fields always apply; its result fields (state root, gas
    /// used, receipts root, bloom, requests hash) are checked only for a whole block.
    pub header: Header,
    /// The part of the block this trace covers.
    pub segment: Segment,
    /// EIP-2718 encodings of the segment's transactions, in block order.
    pub transactions: Vec<Bytes>,
    /// The block's withdrawals (applied when the segment ends the block).
    pub withdrawals: Vec<Withdrawal>,
    /// Trie nodes and bytecodes.
    pub witness: Witness,
}

impl Trace {
    /// Encodes the trace: version byte, then RLP.
    pub fn encode_to_vec(&self) -> Vec<u8> {
        let mut out = Vec::with_capacity(1 + self.length());
        out.push(TRACE_VERSION);
        self.encode(&mut out);
        out
    }

    /// Decodes an encoded trace; the whole input must be consumed.
    pub fn decode_bytes(bytes: &[u8]) -> Result<Self, ExecuteError> {
        let (version, mut rest) = bytes.split_first().ok_or(ExecuteError::EmptyTrace)?;
        if *version != TRACE_VERSION {
            return Err(ExecuteError::UnsupportedVersion(*version));
        }
        let trace = Self::decode(&mut rest).map_err(ExecuteError::MalformedTrace)?;
        if !rest.is_empty() {
            return Err(ExecuteError::MalformedTrace(
                alloy_rlp::Error::UnexpectedLength,
            ));
        }
        Ok(trace)
    }

    /// The block's parent header (the last ancestor).
    pub fn parent(&self) -> Option<&Header> {
        self.ancestors.last()
    }

    /// Builds a whole-block trace from a `debug_executionWitness` response (reth, geth).
    ///
    /// The response's `headers` become the ancestors (sorted by number), `state` the trie nodes
    /// and `codes` the bytecodes; `keys` are not needed. A response whose headers do not
    /// decode is an error.
    pub fn from_execution_witness(
        chain: ChainParams,
        header: Header,
        transactions: Vec<Bytes>,
        withdrawals: Vec<Withdrawal>,
        witness: ExecutionWitness,
    ) -> Result<Self, ExecuteError> {
        let mut ancestors = witness
            .headers
            .iter()
            .map(|rlp| Header::decode(&mut rlp.as_ref()).map_err(ExecuteError::MalformedTrace))
            .collect::<Result<Vec<_>, _>>()?;
        ancestors.sort_by_key(|h| h.number);
        Ok(Self {
            chain,
            ancestors,
            header,
            segment: Segment::WHOLE_BLOCK,
            transactions,
            withdrawals,
            witness: Witness {
                state: witness.state,
                codes: witness.codes,
            },
        })
    }

    /// [`Trace::from_execution_witness`] for a whole block as a node serves it (by
    /// `debug_getRawBlock`, or `eth_getBlockByNumber` with full transactions).
    pub fn from_block_and_witness(
        chain: ChainParams,
        block: Block<TxEnvelope>,
        witness: ExecutionWitness,
    ) -> Result<Self, ExecuteError> {
        let transactions = block
            .body
            .transactions
            .iter()
            .map(|tx| tx.encoded_2718().into())
            .collect();
        let withdrawals = block
            .body
            .withdrawals
            .map(|w| w.into_inner())
            .unwrap_or_default();
        Self::from_execution_witness(chain, block.header, transactions, withdrawals, witness)
    }

    /// The trace's preimages and ancestors as a `debug_executionWitness` response, as reth
    /// serves one: trie nodes, bytecodes and ancestor header RLPs, oldest first. Key preimages
    /// are not kept, so `keys` is empty.
    pub fn execution_witness(&self) -> ExecutionWitness {
        ExecutionWitness {
            state: self.witness.state.clone(),
            codes: self.witness.codes.clone(),
            keys: Vec::new(),
            headers: self
                .ancestors
                .iter()
                .map(|header| alloy_rlp::encode(header).into())
                .collect(),
        }
    }
}
