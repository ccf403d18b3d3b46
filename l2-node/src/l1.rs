//! The rollup's L1 side: batches the inbox recorded, their blobs from the beacon API (each checked
//! against its versioned hash), and posting new batches as blob transactions.

use alloy_eips::{
    eip4844::BlobTransactionSidecar,
    eip4844::{c_kzg, env_settings::EnvKzgSettings, kzg_to_versioned_hash},
    eip4895::Withdrawal,
    eip7594::BlobTransactionSidecarEip7594,
    eip7910::EthConfig,
};
use alloy_network::{TransactionBuilder, TransactionBuilder4844};
use alloy_primitives::{Address, B256, U256};
use alloy_provider::{transport::TransportError, Provider};
use alloy_rpc_types_eth::{Filter, TransactionRequest};
use alloy_sol_types::{SolCall, SolEvent};
use execute::{forks::ForksError, Fork, ForkSchedule};
use l1_contracts::{inbox::Inbox, provider::logs_in_ranges};
use rollup::{
    batch::{encode, BatchBlock, BatchError},
    blob::{blob_from_payload, payload, Blob, BlobError},
    derive::L1Batch,
    rules::{deposit_credit, MAX_DEPOSITS_PER_BLOCK},
};

/// [`MAX_DEPOSITS_PER_BLOCK`] as the inbox's event counts deposits.
const DEPOSITS_PER_BLOCK: u64 = MAX_DEPOSITS_PER_BLOCK as u64;

/// Most deposits one `Inbox.deposits` call reads: a page well inside providers' `eth_call` gas
/// caps (a cold slot read is 2,100 gas).
const DEPOSITS_PER_CALL: u64 = 1_024;

/// Why reading or posting batches failed.
#[derive(Debug, thiserror::Error)]
pub enum L1Error {
    /// The JSON-RPC endpoint failed.
    #[error("L1 RPC, {what}: {source}")]
    Rpc {
        /// What was asked.
        what: &'static str,
        /// The transport's error.
        #[source]
        source: TransportError,
    },
    /// The node does not have an L1 block a log of its names.
    #[error("L1 block {0} not found")]
    MissingBlock(u64),
    /// An answer does not decode as the contract's ABI says.
    #[error("decoding {what}: {source}")]
    Decode {
        /// What was decoded.
        what: &'static str,
        /// The decoder's error.
        #[source]
        source: alloy_sol_types::Error,
    },
    /// The beacon endpoint failed or answered something else than blobs.
    #[error("beacon API: {0}")]
    Beacon(#[source] BeaconError),
    /// A blob does not match the versioned hash the inbox recorded.
    #[error("blob of batch {index} does not match its versioned hash {expected}")]
    BlobMismatch {
        /// The batch.
        index: u64,
        /// What the inbox recorded.
        expected: B256,
    },
    /// An inbox log has no block number.
    #[error("an inbox log without a block number")]
    LogWithoutBlock,
    /// The blocks did not fit a batch.
    #[error(transparent)]
    Batch(#[from] BatchError),
    /// The blob could not be built.
    #[error(transparent)]
    Blob(#[from] BlobError),
    /// An L1 block changed while it was read (a reorg): the next read starts again.
    #[error("L1 block {0} changed while it was read (a reorg); reading again")]
    Reorged(u64),
    /// The inbox answered fewer or more message roots than asked for.
    #[error("the inbox gave {got} message roots of batch {index}, not the {asked} asked for")]
    MessageRoots {
        /// The batch.
        index: u64,
        /// How many were asked for.
        asked: u64,
        /// How many came.
        got: usize,
    },
    /// The inbox answered fewer or more deposits than asked for.
    #[error("the inbox gave {got} deposits from {start}, not the {asked} asked for")]
    Deposits {
        /// The first asked for.
        start: u64,
        /// How many were asked for.
        asked: u64,
        /// How many came.
        got: usize,
    },
    /// The node's `eth_config` is not a fork schedule the L2 can follow.
    #[error("the L1 node's fork schedule (eth_config): {0}")]
    Schedule(#[source] ForksError),
}

/// The L1's fork schedule as its node serves it (EIP-7910's `eth_config`): the current fork and
/// those scheduled after it, which the L2's blocks follow by their timestamps.
pub async fn fork_schedule<P: Provider>(provider: &P) -> Result<ForkSchedule, L1Error> {
    let config: EthConfig = provider
        .raw_request("eth_config".into(), serde_json::Value::Array(Vec::new()))
        .await
        .map_err(|source| L1Error::Rpc {
            what: "the fork schedule (eth_config)",
            source,
        })?;
    ForkSchedule::from_eth_config(&config).map_err(L1Error::Schedule)
}

/// Why one request of the beacon API's blobs endpoint did not give the blob.
#[derive(Debug, thiserror::Error)]
pub enum BeaconError {
    /// The request or its answer's body failed on the way.
    #[error("{url}: {source}")]
    Http {
        /// The request.
        url: String,
        /// The HTTP client's error.
        #[source]
        source: reqwest::Error,
    },
    /// The endpoint answered with an error status.
    #[error("{url}: {status} {body}")]
    Status {
        /// The request.
        url: String,
        /// The status.
        status: reqwest::StatusCode,
        /// The answer's body.
        body: String,
    },
    /// The answer holds no blob.
    #[error("{url}: no blob {hash}")]
    NoBlob {
        /// The request.
        url: String,
        /// The blob asked for.
        hash: B256,
    },
    /// The blob is not hex.
    #[error("{url}: the blob is not hex: {source}")]
    Hex {
        /// The request.
        url: String,
        /// The decoder's error.
        #[source]
        source: alloy_primitives::hex::FromHexError,
    },
    /// The blob has the wrong size.
    #[error("{url}: a blob of {len} bytes")]
    Size {
        /// The request.
        url: String,
        /// Its size.
        len: usize,
    },
}

/// Attempts after the first at fetching a blob.
const BEACON_RETRIES: u32 = 5;
/// Pause after the first failed attempt; it grows by as much each time.
const BEACON_BACKOFF: std::time::Duration = std::time::Duration::from_millis(200);
/// Longest wait for the beacon API's answer.
const BEACON_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(30);

/// Reads batches from an L1: the inbox's logs over JSON-RPC, blobs from a beacon API.
#[derive(Debug, Clone)]
pub struct L1Source<P> {
    provider: P,
    beacon: String,
    /// A second endpoint serving the beacon blob API for blobs the beacon node has pruned.
    archive: Option<String>,
    inbox: Address,
    http: reqwest::Client,
    /// Most L1 blocks one log query spans.
    log_range: u64,
}

/// L1 blocks one log query spans unless told otherwise: within what public RPC providers serve
/// (commonly 1,000 to 10,000).
pub const DEFAULT_LOG_RANGE: u64 = 1_000;

impl<P: Provider> L1Source<P> {
    /// A source reading `inbox` through `provider`, blobs from the beacon API at `beacon`
    /// (its base URL).
    pub fn new(provider: P, beacon: impl Into<String>, inbox: Address) -> Self {
        Self {
            provider,
            beacon: beacon.into().trim_end_matches('/').to_string(),
            archive: None,
            inbox,
            http: reqwest::Client::builder()
                .timeout(BEACON_TIMEOUT)
                .build()
                .expect("a TLS-less HTTP client always builds"),
            log_range: DEFAULT_LOG_RANGE,
        }
    }

    /// Spans at most `blocks` L1 blocks per log query (at least one), for a provider that
    /// allows fewer than [`DEFAULT_LOG_RANGE`].
    #[must_use]
    pub fn with_log_range(mut self, blocks: u64) -> Self {
        self.log_range = blocks.max(1);
        self
    }

    /// Most L1 blocks one log query spans.
    pub const fn log_range(&self) -> u64 {
        self.log_range
    }

    /// How many L2 blocks a batch may declare if it lands in the L1 block after one of time
    /// `l1_time`: one per second since the inbox's last `submit` (`Inbox.TooManyBlocks`).
    pub async fn blocks_allowed(&self, l1_time: u64) -> Result<u64, L1Error> {
        let last = self
            .read(Inbox::lastSubmittedCall {}, "Inbox.lastSubmitted")
            .await?;
        Ok((l1_time + 1).saturating_sub(last))
    }

    /// Whether `sender` may post a batch in the L1 block after one of time `l1_time`: the
    /// inbox's sequencer (or anyone, if it has none) always, anyone else once the sequencer has
    /// been silent for its timeout (`Inbox.basedFrom`, `Inbox.NotSequencer`).
    pub async fn may_submit(&self, sender: Address, l1_time: u64) -> Result<bool, L1Error> {
        let sequencer = self
            .read(Inbox::sequencerCall {}, "Inbox.sequencer")
            .await?;
        if sequencer == Address::ZERO || sequencer == sender {
            return Ok(true);
        }
        let from = self
            .read(Inbox::basedFromCall {}, "Inbox.basedFrom")
            .await?;
        Ok(U256::from(l1_time + 1) >= from)
    }

    /// The inbox's answer to `call` at the head; `what` names it in errors.
    async fn read<C: SolCall>(&self, call: C, what: &'static str) -> Result<C::Return, L1Error> {
        let request = TransactionRequest::default()
            .with_to(self.inbox)
            .with_input(call.abi_encode());
        let answer = self
            .provider
            .call(request)
            .await
            .map_err(|source| L1Error::Rpc { what, source })?;
        C::abi_decode_returns(&answer).map_err(|source| L1Error::Decode { what, source })
    }

    /// Also asks `archive` (a base URL serving the beacon blob API, e.g. a blob archiver) for a
    /// blob the beacon node does not have: beacon nodes prune blobs after 4,096 epochs (~18
    /// days), and a node starting late must still derive from the first batch.
    #[must_use]
    pub fn with_archive(mut self, archive: impl Into<String>) -> Self {
        self.archive = Some(archive.into().trim_end_matches('/').to_string());
        self
    }

    /// Batches recorded in L1 blocks `from..=to`, in inbox order.
    pub async fn batches(&self, from: u64, to: u64) -> Result<Vec<L1Batch>, L1Error> {
        let filter = Filter::new()
            .address(self.inbox)
            .event_signature(Inbox::BatchSubmitted::SIGNATURE_HASH);
        let logs = logs_in_ranges(&self.provider, &filter, from, to, self.log_range)
            .await
            .map_err(|source| L1Error::Rpc {
                what: "the inbox's logs",
                source,
            })?;
        let mut batches = Vec::with_capacity(logs.len());
        for log in logs {
            let l1_block = log.block_number.ok_or(L1Error::LogWithoutBlock)?;
            let event = Inbox::BatchSubmitted::decode_log(&log.inner)
                .map_err(|source| L1Error::Decode {
                    what: "an inbox log",
                    source,
                })?
                .data;
            let block = self
                .provider
                .get_block_by_number(l1_block.into())
                .await
                .map_err(|source| L1Error::Rpc {
                    what: "a batch's L1 block",
                    source,
                })?
                .ok_or(L1Error::MissingBlock(l1_block))?;
            if log.block_hash.is_some_and(|hash| hash != block.header.hash) {
                return Err(L1Error::Reorged(l1_block));
            }
            let index: u64 = event.index.to();
            let blob = self.blob(l1_block, event.blobHash).await?;
            if versioned_hash(&blob)? != event.blobHash {
                return Err(L1Error::BlobMismatch {
                    index,
                    expected: event.blobHash,
                });
            }
            let deposits = self
                .deposits(event.depositsStart, event.depositsEnd)
                .await?;
            let runs = (event.depositsEnd - event.depositsStart).div_ceil(DEPOSITS_PER_BLOCK);
            let message_roots = self.message_roots(index, runs + 1).await?;
            // The deposits and roots were read at the head: if the batch's block is still
            // canonical, they are the ones it took (the queue only grows, and a reorg that
            // changed them would have replaced the batch's block too).
            if self.block_hash(l1_block).await? != Some(block.header.hash) {
                return Err(L1Error::Reorged(l1_block));
            }
            batches.push(L1Batch {
                index,
                blob_hash: event.blobHash,
                first_block: event.firstBlock,
                block_count: event.blockCount,
                l1_block,
                l1_hash: block.header.hash,
                l1_timestamp: block.header.timestamp,
                payload: payload(&blob),
                blob,
                deposits,
                message_roots,
            });
        }
        Ok(batches)
    }

    /// Queued deposits `start..end`, as the withdrawals that credit them, read at the head. The
    /// queue only grows, so the head holds them as a batch that named them saw them, as long as
    /// that batch is still canonical: [`L1Source::batches`] checks so after reading them.
    pub async fn deposits(&self, start: u64, end: u64) -> Result<Vec<Withdrawal>, L1Error> {
        let mut out = Vec::with_capacity(end.saturating_sub(start) as usize);
        let mut at = start;
        while at < end {
            let asked = (end - at).min(DEPOSITS_PER_CALL);
            let call = Inbox::depositsCall {
                start: U256::from(at),
                count: U256::from(asked),
            };
            let page = self.read(call, "Inbox.deposits").await?;
            if page.len() as u64 != asked {
                return Err(L1Error::Deposits {
                    start: at,
                    asked,
                    got: page.len(),
                });
            }
            out.extend(
                page.into_iter()
                    .zip(at..)
                    .map(|(d, index)| deposit_credit(index, d.to, d.amountGwei)),
            );
            at += asked;
        }
        Ok(out)
    }

    /// The `count` message roots batch `index`'s blocks commit to (`Inbox.messageRootsOf`), read
    /// at the head like the deposits.
    pub async fn message_roots(&self, index: u64, count: u64) -> Result<Vec<B256>, L1Error> {
        let mut out = Vec::with_capacity(count as usize);
        let mut at = 0;
        while at < count {
            let asked = (count - at).min(DEPOSITS_PER_CALL);
            let call = Inbox::messageRootsOfCall {
                index: U256::from(index),
                from: U256::from(at),
                count: U256::from(asked),
            };
            let page = self.read(call, "Inbox.messageRootsOf").await?;
            if page.len() as u64 != asked {
                return Err(L1Error::MessageRoots {
                    index,
                    asked,
                    got: page.len(),
                });
            }
            out.extend(page);
            at += asked;
        }
        Ok(out)
    }

    /// The number of L1's latest block.
    pub async fn head_number(&self) -> Result<u64, L1Error> {
        self.provider
            .get_block_number()
            .await
            .map_err(|source| L1Error::Rpc {
                what: "the head's number",
                source,
            })
    }

    /// The hash of L1 block `number` on the node's canonical chain (`None` past its head).
    pub async fn block_hash(&self, number: u64) -> Result<Option<B256>, L1Error> {
        Ok(self
            .provider
            .get_block_by_number(number.into())
            .await
            .map_err(|source| L1Error::Rpc {
                what: "a block's hash",
                source,
            })?
            .map(|b| b.header.hash))
    }

    /// The blob with `hash` of L1 block `number`, from the beacon API's blobs endpoint, then
    /// from the archive if the beacon node does not have it; a dropped connection or a server
    /// error is tried again after a pause.
    async fn blob(&self, number: u64, hash: B256) -> Result<Box<Blob>, L1Error> {
        let sources: Vec<&String> = std::iter::once(&self.beacon).chain(&self.archive).collect();
        let mut last = None;
        for (i, base) in sources.iter().enumerate() {
            let url = format!("{base}/eth/v1/beacon/blobs/{number}?versioned_hashes={hash}");
            // A blob the beacon node lacks is asked of the archive at once; the last source
            // asked is given the retries (a lagging node may not have it yet).
            let next_source = i + 1 < sources.len();
            let mut attempt = 0;
            loop {
                match self.beacon_blob(&url, hash).await {
                    Ok(blob) => return Ok(blob),
                    Err(Fetch::Missing(err)) if next_source => {
                        last = Some(err);
                        break;
                    }
                    Err(Fetch::Failed(err) | Fetch::Missing(err)) if attempt < BEACON_RETRIES => {
                        tracing::debug!(%err, attempt, "beacon request failed; retrying");
                        attempt += 1;
                        tokio::time::sleep(BEACON_BACKOFF * attempt).await;
                    }
                    Err(Fetch::Failed(err) | Fetch::Missing(err)) => {
                        last = Some(err);
                        break;
                    }
                }
            }
        }
        Err(L1Error::Beacon(
            last.expect("the beacon node is always asked"),
        ))
    }

    /// One GET of the beacon API for the blob with `hash`, or why it did not come.
    async fn beacon_blob(&self, url: &str, hash: B256) -> Result<Box<Blob>, Fetch> {
        let url_owned = || url.to_string();
        let http = |source| {
            Fetch::Failed(BeaconError::Http {
                url: url_owned(),
                source,
            })
        };
        let response = self.http.get(url).send().await.map_err(http)?;
        let status = response.status();
        let body: serde_json::Value = response.json().await.map_err(http)?;
        if !status.is_success() {
            let error = BeaconError::Status {
                url: url_owned(),
                status,
                body: body.to_string(),
            };
            return Err(if status == reqwest::StatusCode::NOT_FOUND {
                Fetch::Missing(error)
            } else {
                Fetch::Failed(error)
            });
        }
        let hex = body["data"][0].as_str().ok_or_else(|| {
            Fetch::Missing(BeaconError::NoBlob {
                url: url_owned(),
                hash,
            })
        })?;
        let bytes = alloy_primitives::hex::decode(hex).map_err(|source| {
            Fetch::Failed(BeaconError::Hex {
                url: url_owned(),
                source,
            })
        })?;
        let blob = Blob::try_from(bytes.as_slice()).map_err(|_| {
            Fetch::Failed(BeaconError::Size {
                url: url_owned(),
                len: bytes.len(),
            })
        })?;
        Ok(Box::new(blob))
    }
}

/// Why one blob request did not give the blob.
enum Fetch {
    /// The endpoint does not have it (pruned, or never seen): ask the next one.
    Missing(BeaconError),
    /// The request failed: worth trying again.
    Failed(BeaconError),
}

/// The versioned hash of a blob's KZG commitment.
pub fn versioned_hash(blob: &Blob) -> Result<B256, L1Error> {
    let settings = EnvKzgSettings::Default.get();
    let commitment = c_kzg::Blob::from_bytes(blob.as_slice())
        .and_then(|b| settings.blob_to_kzg_commitment(&b))
        .map_err(BlobError::from)?;
    Ok(kzg_to_versioned_hash(commitment.to_bytes().as_slice()))
}

/// A transaction posting `blocks` as one batch to `inbox`: a blob transaction calling
/// `submit([blocks.len()])`, with the sidecar the L1 takes at `l1_fork` (the fork of the block it
/// is to land in): EIP-7594 cell proofs from Osaka on, EIP-4844 blob proofs before. Fees and
/// nonce are left to the provider's fillers.
pub fn batch_transaction(
    inbox: Address,
    blocks: &[BatchBlock],
    l1_fork: Fork,
) -> Result<TransactionRequest, L1Error> {
    payload_transaction(inbox, &encode(blocks)?, blocks.len() as u16, l1_fork)
}

/// A transaction posting any `payload` as one batch declaring `block_count` blocks, well-formed
/// or not (see [`batch_transaction`]).
pub fn payload_transaction(
    inbox: Address,
    payload: &[u8],
    block_count: u16,
    l1_fork: Fork,
) -> Result<TransactionRequest, L1Error> {
    blob_transaction(inbox, &*blob_from_payload(payload)?, block_count, l1_fork)
}

/// A transaction posting `blob` exactly as given as one batch declaring `block_count` blocks:
/// with byte 0 of an element set, say, which derivation ignores (see [`L1Batch::blob`]).
pub fn blob_transaction(
    inbox: Address,
    blob: &Blob,
    block_count: u16,
    l1_fork: Fork,
) -> Result<TransactionRequest, L1Error> {
    let call = Inbox::submitCall {
        blockCounts: vec![block_count],
    };
    let request = TransactionRequest::default()
        .with_to(inbox)
        .with_input(call.abi_encode());
    Ok(if l1_fork >= Fork::Osaka {
        let sidecar =
            BlobTransactionSidecarEip7594::try_from_blobs(vec![*blob]).map_err(BlobError::from)?;
        request.with_blob_sidecar_7594(sidecar)
    } else {
        let sidecar = BlobTransactionSidecar::try_from_blobs_with_settings(
            vec![*blob],
            EnvKzgSettings::Default.get(),
        )
        .map_err(BlobError::from)?;
        request.with_blob_sidecar_4844(sidecar)
    })
}
