//! The L1 provider the sequencer, the proposer and the watchtower send through: it signs, fills
//! what a transaction needs, and retries what failed on the way (dropped connections, timeouts,
//! server errors, rate limits, garbled answers) with a pause between attempts, as long as the
//! node asks when it sets one.

use std::time::Duration;

use alloy_network::EthereumWallet;
use alloy_provider::{DynProvider, Provider, ProviderBuilder};
use alloy_rpc_client::{ClientBuilder, RpcClient};
use alloy_rpc_types_eth::{Filter, Log};
use alloy_signer_local::PrivateKeySigner;
use alloy_transport::{
    layers::{RateLimitRetryPolicy, RetryBackoffLayer, RetryPolicy},
    RpcError, TransportError, TransportErrorKind,
};

/// Attempts after the first before a request's error is returned.
pub const RETRIES: u32 = 8;
/// Pause between attempts.
pub const BACKOFF: Duration = Duration::from_millis(250);
/// Longest wait for one answer: a node that holds a connection open is a failed attempt.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(20);
/// Longest pause a node's `Retry-After` (or a rate-limit error's backoff hint) imposes before
/// one retry: a rate-limited party waits as asked, but not past what its clocks allow.
pub const MAX_RETRY_AFTER: Duration = Duration::from_secs(30);

/// JSON-RPC `Internal error`, what a node answers when it failed, not the request.
const INTERNAL_ERROR: i64 = -32603;

/// Retries errors of the way, never the node's verdict on the request: a revert or a refused
/// transaction is final. Resending is safe for every request we make, since a transaction is
/// signed before it is sent and its bytes (so its hash and nonce) do not change.
#[derive(Debug, Clone, Copy, Default)]
pub struct TransientErrors;

impl RetryPolicy for TransientErrors {
    fn should_retry(&self, error: &TransportError) -> bool {
        match error {
            RpcError::Transport(TransportErrorKind::HttpError(http)) => {
                http.status >= 500 || http.status == 429 || http.status == 408
            }
            RpcError::Transport(_) | RpcError::DeserError { .. } => true,
            RpcError::ErrorResp(payload) => {
                payload.code == INTERNAL_ERROR || payload.is_retry_err()
            }
            _ => false,
        }
    }

    /// The pause a rate-limiting node asks for (HTTP `Retry-After` in seconds, or a backoff in
    /// its error), at most [`MAX_RETRY_AFTER`]; without one, the layer's own [`BACKOFF`].
    fn backoff_hint(&self, error: &TransportError) -> Option<Duration> {
        RateLimitRetryPolicy::default()
            .backoff_hint(error)
            .map(|hint| hint.min(MAX_RETRY_AFTER))
    }
}

/// A provider at `url` that signs with `signer` and fills gas, blob gas, chain id and nonce,
/// retrying transient failures. The nonce is asked of the node for every transaction: after an
/// L1 reorg, or a restart, a cached one would be wrong.
pub fn l1_provider(url: reqwest::Url, signer: PrivateKeySigner) -> impl Provider + Clone {
    ProviderBuilder::new()
        .disable_recommended_fillers()
        .with_gas_estimation()
        .with_blob_gas_estimation()
        .with_simple_nonce_management()
        .fetch_chain_id()
        .wallet(EthereumWallet::from(signer))
        .connect_client(client(url, RETRIES, REQUEST_TIMEOUT))
}

/// A provider at `url` that only reads, retrying transient failures.
pub fn l1_reader(url: reqwest::Url) -> DynProvider {
    ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_client(client(url, RETRIES, REQUEST_TIMEOUT))
        .erased()
}

/// A reader for a witness: a node asked to vouch for another one's view, every tick. It gets
/// one quick retry and a short timeout: a witness that does not answer is passed over, and must
/// not hold the tick up.
pub fn l1_witness(url: reqwest::Url) -> DynProvider {
    ProviderBuilder::new()
        .disable_recommended_fillers()
        .connect_client(client(url, 1, WITNESS_TIMEOUT))
        .erased()
}

/// Longest wait for a witness's answer.
pub const WITNESS_TIMEOUT: Duration = Duration::from_secs(3);

fn client(url: reqwest::Url, retries: u32, timeout: Duration) -> RpcClient {
    let http = reqwest::Client::builder()
        .timeout(timeout)
        .build()
        .expect("a TLS-less HTTP client always builds");
    ClientBuilder::default()
        .layer(RetryBackoffLayer::new_with_policy(
            retries,
            BACKOFF.as_millis() as u64,
            u64::MAX,
            TransientErrors,
        ))
        .http_with_client(http, url)
}

/// JSON-RPC code public providers use for a request over their limits (EIP-1474 "limit
/// exceeded").
const LIMIT_EXCEEDED: i64 = -32005;

/// Whether `error` is a node refusing a log query as too wide: too many blocks or too many
/// results, in the words nodes and providers use for it.
fn too_wide(error: &TransportError) -> bool {
    let RpcError::ErrorResp(payload) = error else {
        return false;
    };
    let message = payload.message.to_lowercase();
    payload.code == LIMIT_EXCEEDED
        || ["range", "more than", "too many", "limit", "exceed"]
            .iter()
            .any(|words| message.contains(words))
}

/// The logs `filter` matches in blocks `from..=to`, asked in ranges of at most `range` blocks.
/// A range the node refuses as too wide (past its cap on blocks or on results, which public
/// providers set at about 10,000) is halved and asked again, down to one block; what a single
/// block cannot answer is an error.
pub async fn logs_in_ranges(
    provider: &impl Provider,
    filter: &Filter,
    from: u64,
    to: u64,
    range: u64,
) -> Result<Vec<Log>, TransportError> {
    let mut logs = Vec::new();
    let mut width = range.max(1);
    let mut start = from;
    while start <= to {
        let end = start.saturating_add(width - 1).min(to);
        let query = filter.clone().from_block(start).to_block(end);
        match provider.get_logs(&query).await {
            Ok(found) => {
                logs.extend(found);
                start = end + 1;
                // Widen again after a success, back to the configured range.
                width = width.saturating_mul(2).min(range.max(1));
            }
            Err(error) if end > start && too_wide(&error) => width = (end - start).div_ceil(2),
            Err(error) => return Err(error),
        }
    }
    Ok(logs)
}

/// Why a key could not be loaded (the key itself never appears in it).
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// The file could not be read.
    #[error("reading key file {0}: {1}")]
    File(std::path::PathBuf, std::io::Error),
    /// Neither a file nor the variable was given.
    #[error("no key file and no {0} in the environment")]
    Missing(&'static str),
    /// The text is not a secp256k1 private key.
    #[error("the key from {0} is not a private key")]
    Invalid(String),
}

/// A private key (hex) from `file`, or else from the environment variable `var`.
pub fn load_key(
    file: Option<&std::path::Path>,
    var: &'static str,
) -> Result<PrivateKeySigner, KeyError> {
    let (text, source) = match file {
        Some(path) => (
            std::fs::read_to_string(path).map_err(|e| KeyError::File(path.to_path_buf(), e))?,
            path.display().to_string(),
        ),
        None => (
            std::env::var(var).map_err(|_| KeyError::Missing(var))?,
            var.to_string(),
        ),
    };
    text.trim().parse().map_err(|_| KeyError::Invalid(source))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rate_limits_are_retried_after_the_pause_the_node_asks_for() {
        let limited = |after: Option<u64>| {
            TransportErrorKind::http_error_with_retry_after(
                429,
                String::new(),
                after.map(Duration::from_secs),
            )
        };
        let policy = TransientErrors;
        for after in [None, Some(3), Some(3_600)] {
            assert!(policy.should_retry(&limited(after)), "{after:?}");
        }
        assert_eq!(policy.backoff_hint(&limited(None)), None);
        assert_eq!(
            policy.backoff_hint(&limited(Some(3))),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            policy.backoff_hint(&limited(Some(3_600))),
            Some(MAX_RETRY_AFTER),
            "capped"
        );
        // A refusal by the node is final, whatever else it says.
        assert!(!policy.should_retry(&TransportErrorKind::http_error(400, String::new())));
    }
}
