//! JSON-RPC 2.0 over HTTP, shared by the toolkit's servers (the L1 devnet, the L2 sequencer):
//! requests, batches and notifications, errors with the standard codes, positional parameters,
//! and the HTTP server they run on. What a method does is the caller's dispatcher.

use serde::de::DeserializeOwned;
use serde_json::{json, Value};

/// Parse error: the body is not JSON.
pub const PARSE_ERROR: i64 = -32700;
/// The JSON is not a request object.
pub const INVALID_REQUEST: i64 = -32600;
/// No such method.
pub const METHOD_NOT_FOUND: i64 = -32601;
/// Parameters missing or of the wrong type.
pub const INVALID_PARAMS: i64 = -32602;
/// A server-side failure: rejected transaction, unavailable state.
pub const SERVER_ERROR: i64 = -32000;
/// A call that reverted (geth's code), with the revert data in `data`.
pub const EXECUTION_REVERTED: i64 = 3;

/// The most requests one batch may hold (geth's default limit).
pub const MAX_BATCH: usize = 1000;

/// A JSON-RPC error object.
#[derive(Debug, Clone, PartialEq)]
pub struct RpcError {
    /// The error code.
    pub code: i64,
    /// A short description.
    pub message: String,
    /// Extra data (revert data for [`EXECUTION_REVERTED`]).
    pub data: Option<Value>,
}

impl RpcError {
    /// An error with `code` and `message`.
    pub fn new(code: i64, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            data: None,
        }
    }

    /// [`INVALID_PARAMS`].
    pub fn params(message: impl std::fmt::Display) -> Self {
        Self::new(INVALID_PARAMS, format!("invalid params: {message}"))
    }

    /// [`SERVER_ERROR`].
    pub fn server(message: impl std::fmt::Display) -> Self {
        Self::new(SERVER_ERROR, message.to_string())
    }

    /// [`METHOD_NOT_FOUND`].
    pub fn no_method(method: &str) -> Self {
        Self::new(METHOD_NOT_FOUND, format!("method {method} not found"))
    }

    fn to_json(&self) -> Value {
        let mut error = json!({ "code": self.code, "message": self.message });
        if let Some(data) = &self.data {
            error["data"] = data.clone();
        }
        error
    }
}

/// A request's positional parameters.
#[derive(Debug, Clone, Default)]
pub struct Params(pub Vec<Value>);

impl Params {
    /// Parameter `index`, required; `name` appears in the error.
    pub fn get<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<T, RpcError> {
        let value = self
            .0
            .get(index)
            .cloned()
            .ok_or_else(|| RpcError::params(format!("missing {name}")))?;
        serde_json::from_value(value).map_err(|e| RpcError::params(format!("{name}: {e}")))
    }

    /// Parameter `index`, absent or null allowed.
    pub fn optional<T: DeserializeOwned>(
        &self,
        index: usize,
        name: &str,
    ) -> Result<Option<T>, RpcError> {
        match self.0.get(index) {
            None | Some(Value::Null) => Ok(None),
            Some(_) => self.get(index, name).map(Some),
        }
    }
}

/// Answers one HTTP body, a request or a batch, with `dispatch` running each method. `None`
/// when nothing is to be sent back (only notifications).
pub fn handle_body(
    body: &[u8],
    dispatch: &mut dyn FnMut(&str, Params) -> Result<Value, RpcError>,
) -> Option<Value> {
    let value: Value = match serde_json::from_slice(body) {
        Ok(value) => value,
        Err(err) => {
            return Some(response(
                Value::Null,
                Err(RpcError::new(PARSE_ERROR, format!("parse error: {err}"))),
            ))
        }
    };
    match value {
        Value::Array(batch) if batch.is_empty() => Some(response(
            Value::Null,
            Err(RpcError::new(INVALID_REQUEST, "empty batch")),
        )),
        Value::Array(batch) if batch.len() > MAX_BATCH => Some(response(
            Value::Null,
            Err(RpcError::new(
                INVALID_REQUEST,
                format!("a batch of {} requests; at most {MAX_BATCH}", batch.len()),
            )),
        )),
        Value::Array(batch) => {
            let answers: Vec<Value> = batch
                .into_iter()
                .filter_map(|r| handle_request(r, dispatch))
                .collect();
            (!answers.is_empty()).then_some(Value::Array(answers))
        }
        single => handle_request(single, dispatch),
    }
}

fn response(id: Value, result: Result<Value, RpcError>) -> Value {
    match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() }),
    }
}

fn handle_request(
    request: Value,
    dispatch: &mut dyn FnMut(&str, Params) -> Result<Value, RpcError>,
) -> Option<Value> {
    let Value::Object(mut object) = request else {
        return Some(response(
            Value::Null,
            Err(RpcError::new(INVALID_REQUEST, "invalid request")),
        ));
    };
    let id = object.remove("id");
    let method = match object.remove("method") {
        Some(Value::String(method)) if object.get("jsonrpc") == Some(&json!("2.0")) => method,
        _ => {
            return Some(response(
                id.unwrap_or(Value::Null),
                Err(RpcError::new(INVALID_REQUEST, "invalid request")),
            ))
        }
    };
    let params = match object.remove("params") {
        None | Some(Value::Null) => Vec::new(),
        Some(Value::Array(params)) => params,
        Some(_) => {
            return Some(response(
                id.unwrap_or(Value::Null),
                Err(RpcError::params("params must be an array")),
            ))
        }
    };
    let result = dispatch(&method, Params(params));
    // A request without an id is a notification: no answer.
    id.map(|id| response(id, result))
}

/// An HTTP server (axum) that stops gracefully on request: what the toolkit's JSON-RPC servers
/// run on.
#[derive(Debug)]
pub struct HttpServer {
    addr: std::net::SocketAddr,
    shutdown: Option<tokio::sync::oneshot::Sender<()>>,
    task: tokio::task::JoinHandle<std::io::Result<()>>,
}

impl HttpServer {
    /// Binds `addr` (port 0 picks a free port) and serves `app` on it.
    pub async fn start(app: axum::Router, addr: std::net::SocketAddr) -> std::io::Result<Self> {
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let (tx, rx) = tokio::sync::oneshot::channel::<()>();
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
    pub const fn addr(&self) -> std::net::SocketAddr {
        self.addr
    }

    /// Its `http://` URL.
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
