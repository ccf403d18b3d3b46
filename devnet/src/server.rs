//! The HTTP side: JSON-RPC on `POST /` and the beacon API's blob endpoints, served by axum on a
//! tokio runtime. Requests run on blocking threads, since the EVM behind them is not `Send`
//! across awaits.

use std::{
    net::SocketAddr,
    sync::{Arc, Mutex},
};

use std::collections::HashMap;

use axum::{
    body::Bytes,
    extract::{DefaultBodyLimit, Path, Query, State},
    http::{header, StatusCode},
    response::{IntoResponse, Response},
    routing::{get, post},
    Json, Router,
};
use tokio::{net::TcpListener, sync::oneshot, task::JoinHandle};

use crate::{beacon, rpc::handle_body, Node};

/// Largest request body: a batch of hex-encoded blob transactions with six blobs each fits.
const MAX_BODY_BYTES: usize = 64 * 1024 * 1024;

/// A running server.
#[derive(Debug)]
pub struct Server {
    addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
    task: JoinHandle<std::io::Result<()>>,
}

impl Server {
    /// Binds `addr` (port 0 picks a free port) and serves `node` until shut down.
    pub async fn start(node: Arc<Mutex<Node>>, addr: SocketAddr) -> std::io::Result<Self> {
        let listener = TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let app = Router::new()
            .route("/", post(rpc))
            .route(
                "/eth/v1/beacon/blob_sidecars/{block_id}",
                get(blob_sidecars),
            )
            .route("/eth/v1/beacon/blobs/{block_id}", get(blobs))
            .layer(DefaultBodyLimit::max(MAX_BODY_BYTES))
            .with_state(node);
        let (tx, rx) = oneshot::channel::<()>();
        let task = tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
        });
        Ok(Self {
            addr,
            shutdown: Some(tx),
            task,
        })
    }

    /// The address it listens on.
    pub const fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// `http://` URL of the JSON-RPC endpoint.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// Stops accepting connections and waits for open ones to finish.
    pub async fn shutdown(mut self) -> std::io::Result<()> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.task.await.map_err(std::io::Error::other)?
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
    let answer = tokio::task::spawn_blocking(move || {
        let node = node.lock().unwrap_or_else(|p| p.into_inner());
        answer(&node)
    })
    .await;
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
