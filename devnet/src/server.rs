//! The HTTP side: JSON-RPC on `POST /` and the beacon API's blob endpoints, served by axum on a
//! tokio runtime. Requests run on blocking threads, since the EVM behind them is not `Send`
//! across awaits.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use std::{collections::HashMap, time::Duration};

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use jsonrpc::HttpServer;
use tokio::{task::JoinHandle, time::MissedTickBehavior};

use crate::{beacon, rpc::handle_body, Node};

/// Largest request body: a batch of hex-encoded blob transactions with six blobs each fits.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// A running server.
#[derive(Debug)]
pub struct Server {
    http: HttpServer,
    miner: Option<JoinHandle<()>>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) and serves `node` until shut down; mines a block
    /// every interval when the node has a block time.
    pub async fn start(node: Arc<Mutex<Node>>, addr: SocketAddr) -> std::io::Result<Self> {
        let block_time = lock(&node).block_time();
        let miner = block_time.map(|seconds| {
            let node = node.clone();
            tokio::spawn(mine_every(node, Duration::from_secs(seconds.max(1))))
        });
        let app = Router::new()
            .route("/", post(rpc))
            .route(
                "/eth/v1/beacon/blob_sidecars/{block_id}",
                get(blob_sidecars),
            )
            .route("/eth/v1/beacon/blobs/{block_id}", get(blobs))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(node);
        let http = HttpServer::start(app, addr).await?;
        Ok(Self { http, miner })
    }

    /// The address it listens on.
    pub const fn addr(&self) -> SocketAddr {
        self.http.addr()
    }

    /// `http://` URL of the JSON-RPC endpoint.
    pub fn url(&self) -> String {
        self.http.url()
    }

    /// Stops accepting connections and waits for open ones to finish.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(miner) = self.miner.take() {
            miner.abort();
        }
        self.http.shutdown().await
    }
}

fn lock(node: &Mutex<Node>) -> std::sync::MutexGuard<'_, Node> {
    node.lock().unwrap_or_else(|p| p.into_inner())
}

async fn mine_every(node: Arc<Mutex<Node>>, every: Duration) {
    let mut ticks = tokio::time::interval(every);
    ticks.set_missed_tick_behavior(MissedTickBehavior::Delay);
    // The first tick is immediate; the first block comes one interval after start.
    ticks.tick().await;
    loop {
        ticks.tick().await;
        let node = node.clone();
        // A block that fails to build leaves the chain as it was; the next tick tries again.
        let mined =
            tokio::task::spawn_blocking(move || lock(&node).mine_pending().map(|_| ())).await;
        if let Ok(Err(err)) = mined {
            tracing::warn!(%err, "interval block not mined");
        }
    }
}

async fn rpc(State(node): State<Arc<Mutex<Node>>>, body: Bytes) -> Response {
    let answer = tokio::task::spawn_blocking(move || handle_body(&node, &body)).await;
    match answer {
        Ok(Some(json)) => (
            [(header::CONTENT_TYPE, "application/json")],
            json.to_string(),
        )
            .into_response(),
        Ok(None) => StatusCode::NO_CONTENT.into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "request handler failed").into_response(),
    }
}

type BeaconQuery = Query<HashMap<String, String>>;

async fn blob_sidecars(
    State(node): State<Arc<Mutex<Node>>>,
    Path(block_id): Path<String>,
    Query(query): BeaconQuery,
) -> Response {
    beacon_answer(node, move |node| {
        beacon::blob_sidecars(node, &block_id, query.get("indices").map(String::as_str))
    })
    .await
}

async fn blobs(
    State(node): State<Arc<Mutex<Node>>>,
    Path(block_id): Path<String>,
    Query(query): BeaconQuery,
) -> Response {
    beacon_answer(node, move |node| {
        beacon::blobs(
            node,
            &block_id,
            query.get("versioned_hashes").map(String::as_str),
        )
    })
    .await
}

async fn beacon_answer(
    node: Arc<Mutex<Node>>,
    answer: impl FnOnce(&Node) -> Result<serde_json::Value, beacon::BeaconError> + Send + 'static,
) -> Response {
    let answer = tokio::task::spawn_blocking(move || answer(&lock(&node))).await;
    match answer {
        Ok(Ok(json)) => Json(json).into_response(),
        Ok(Err(err)) => (
            StatusCode::from_u16(err.code).unwrap_or(StatusCode::BAD_REQUEST),
            Json(err.to_json()),
        )
            .into_response(),
        Err(_) => (StatusCode::INTERNAL_SERVER_ERROR, "request handler failed").into_response(),
    }
}
