//! JSON-RPC 2.0 over HTTP, shared by the toolkit's servers (the L1 devnet, the L2 sequencer):
//! requests, batches and notifications, errors with the standard codes, positional parameters,
//! and the HTTP server they run on. What a method does is the caller's dispatcher.

use std::fmt;

use serde::{
    de::{self, DeserializeOwned, DeserializeSeed, SeqAccess, Visitor},
    Deserialize, Deserializer,
};
use serde_json::{json, value::RawValue, Value};

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
/// Most positional parameters one request may carry (no method takes more than four). With the
/// batch cap it bounds what parsing a body allocates, whatever the body holds: requests and
/// parameters stay raw text until a method asks for a parameter by its type.
pub const MAX_PARAMS: usize = 16;

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

/// A request's positional parameters, as raw JSON until a method reads one by its type.
#[derive(Debug, Default)]
pub struct Params(Vec<Box<RawValue>>);

impl Params {
    /// Parameter `index`, required; `name` appears in the error.
    pub fn get<T: DeserializeOwned>(&self, index: usize, name: &str) -> Result<T, RpcError> {
        let raw = self
            .0
            .get(index)
            .ok_or_else(|| RpcError::params(format!("missing {name}")))?;
        serde_json::from_str(raw.get()).map_err(|e| RpcError::params(format!("{name}: {e}")))
    }

    /// Parameter `index`, absent or null allowed.
    pub fn optional<T: DeserializeOwned>(
        &self,
        index: usize,
        name: &str,
    ) -> Result<Option<T>, RpcError> {
        match self.0.get(index) {
            None => Ok(None),
            Some(raw) if raw.get() == "null" => Ok(None),
            Some(_) => self.get(index, name).map(Some),
        }
    }
}

/// A JSON array read as at most `.0` raw elements: one more is an error, found without reading
/// the rest into memory.
struct AtMost(usize);

impl<'de> DeserializeSeed<'de> for AtMost {
    type Value = Vec<&'de RawValue>;

    fn deserialize<D: Deserializer<'de>>(self, deserializer: D) -> Result<Self::Value, D::Error> {
        deserializer.deserialize_seq(self)
    }
}

impl<'de> Visitor<'de> for AtMost {
    type Value = Vec<&'de RawValue>;

    fn expecting(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "an array of at most {} items", self.0)
    }

    fn visit_seq<A: SeqAccess<'de>>(self, mut seq: A) -> Result<Self::Value, A::Error> {
        let mut items = Vec::new();
        while let Some(item) = seq.next_element::<&'de RawValue>()? {
            if items.len() == self.0 {
                return Err(de::Error::custom(format!("more than {} items", self.0)));
            }
            items.push(item);
        }
        Ok(items)
    }
}

/// The elements of a JSON array, at most `max` of them.
fn array_at_most(raw: &RawValue, max: usize) -> Result<Vec<&RawValue>, serde_json::Error> {
    AtMost(max).deserialize(&mut serde_json::Deserializer::from_str(raw.get()))
}

/// A request object's members, raw; other members are skipped unread.
#[derive(Deserialize)]
struct Envelope<'a> {
    #[serde(default, borrow, deserialize_with = "present")]
    jsonrpc: Option<&'a RawValue>,
    #[serde(default, borrow, deserialize_with = "present")]
    id: Option<&'a RawValue>,
    #[serde(default, borrow, deserialize_with = "present")]
    method: Option<&'a RawValue>,
    #[serde(default, borrow, deserialize_with = "present")]
    params: Option<&'a RawValue>,
}

/// A member that is there, even as `null` (an `id` of null still asks for an answer).
fn present<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<&'de RawValue>, D::Error> {
    <&RawValue>::deserialize(deserializer).map(Some)
}

/// Answers one HTTP body, a request or a batch, with `dispatch` running each method. `None`
/// when nothing is to be sent back (only notifications).
pub fn handle_body(
    body: &[u8],
    dispatch: &mut dyn FnMut(&str, Params) -> Result<Value, RpcError>,
) -> Option<Value> {
    let parse_error = |message: String| {
        Some(response(
            Value::Null,
            Err(RpcError::new(
                PARSE_ERROR,
                format!("parse error: {message}"),
            )),
        ))
    };
    let text = match std::str::from_utf8(body) {
        Ok(text) => text,
        Err(err) => return parse_error(err.to_string()),
    };
    // The whole body is checked to be JSON first, without building it.
    let raw: &RawValue = match serde_json::from_str(text) {
        Ok(raw) => raw,
        Err(err) => return parse_error(err.to_string()),
    };
    if !raw.get().starts_with('[') {
        return handle_request(raw, dispatch);
    }
    let invalid = |message: String| {
        Some(response(
            Value::Null,
            Err(RpcError::new(INVALID_REQUEST, message)),
        ))
    };
    match array_at_most(raw, MAX_BATCH) {
        Err(_) => invalid(format!("a batch of more than {MAX_BATCH} requests")),
        Ok(batch) if batch.is_empty() => invalid("empty batch".into()),
        Ok(batch) => {
            let answers: Vec<Value> = batch
                .into_iter()
                .filter_map(|r| handle_request(r, dispatch))
                .collect();
            (!answers.is_empty()).then_some(Value::Array(answers))
        }
    }
}

fn response(id: Value, result: Result<Value, RpcError>) -> Value {
    match result {
        Ok(result) => json!({ "jsonrpc": "2.0", "id": id, "result": result }),
        Err(error) => json!({ "jsonrpc": "2.0", "id": id, "error": error.to_json() }),
    }
}

fn handle_request(
    request: &RawValue,
    dispatch: &mut dyn FnMut(&str, Params) -> Result<Value, RpcError>,
) -> Option<Value> {
    match parts(request) {
        Err(answer) => Some(answer),
        Ok((id, method, params)) => {
            let result = params.and_then(|params| dispatch(&method, params));
            // A request without an id is a notification: no answer.
            id.map(|id| response(id, result))
        }
    }
}

/// A request's id (`None` for a notification), method, and params or why they are refused; or
/// the answer to an invalid request.
type Parts = (Option<Value>, String, Result<Params, RpcError>);

fn parts(request: &RawValue) -> Result<Parts, Value> {
    let invalid = |id: Value| response(id, Err(RpcError::new(INVALID_REQUEST, "invalid request")));
    let Ok(envelope) = serde_json::from_str::<Envelope<'_>>(request.get()) else {
        return Err(invalid(Value::Null));
    };
    // An id is a string, a number or null: nothing else is echoed back.
    let id = match envelope.id {
        None => None,
        Some(raw) if raw.get().starts_with(['[', '{']) => return Err(invalid(Value::Null)),
        Some(raw) => Some(serde_json::from_str::<Value>(raw.get()).unwrap_or_default()),
    };
    let answer_id = || id.clone().unwrap_or(Value::Null);
    let text =
        |raw: Option<&RawValue>| raw.and_then(|r| serde_json::from_str::<String>(r.get()).ok());
    if text(envelope.jsonrpc).as_deref() != Some("2.0") {
        return Err(invalid(answer_id()));
    }
    let Some(method) = text(envelope.method) else {
        return Err(invalid(answer_id()));
    };
    let params = match envelope.params {
        None => Ok(Params::default()),
        Some(raw) if raw.get() == "null" => Ok(Params::default()),
        Some(raw) if raw.get().starts_with('[') => array_at_most(raw, MAX_PARAMS)
            .map(|items| Params(items.into_iter().map(RawValue::to_owned).collect()))
            .map_err(|_| RpcError::params(format!("at most {MAX_PARAMS} params"))),
        Some(_) => Err(RpcError::params("params must be an array")),
    };
    Ok((id, method, params))
}

/// The id and params of a body that is one well-formed request (not a batch, not a
/// notification) for `method`: for a server that answers that method apart from the others,
/// outside the lock they share. Anything else is `None`, for [`handle_body`] to answer.
pub fn single_call(body: &[u8], method: &str) -> Option<(Value, Params)> {
    // Most bodies are for other methods: those are told apart without parsing them twice. A
    // name written with escapes is not found here, and reaches the dispatcher as usual.
    let name = method.as_bytes();
    if !body.windows(name.len()).any(|window| window == name) {
        return None;
    }
    let raw: &RawValue = serde_json::from_str(std::str::from_utf8(body).ok()?).ok()?;
    if raw.get().starts_with('[') {
        return None;
    }
    match parts(raw).ok()? {
        (Some(id), name, Ok(params)) if name == method => Some((id, params)),
        _ => None,
    }
}

/// The answer to request `id`: its result or its error.
pub fn respond(id: Value, result: Result<Value, RpcError>) -> Value {
    response(id, result)
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

#[cfg(test)]
mod tests {
    use super::*;

    /// Answers with the method's name and its params' count.
    fn answer(body: &str) -> Option<Value> {
        handle_body(body.as_bytes(), &mut |method, params| {
            let first: Option<Value> = params.optional(0, "first")?;
            Ok(json!([method, params.0.len(), first]))
        })
    }

    #[test]
    fn an_id_of_null_is_answered_and_no_id_is_a_notification() {
        let null_id = answer(r#"{"jsonrpc":"2.0","id":null,"method":"m"}"#).unwrap();
        assert_eq!(null_id["result"], json!(["m", 0, null]));
        assert!(answer(r#"{"jsonrpc":"2.0","method":"m","params":[1]}"#).is_none());
        let string_id = answer(r#"{"jsonrpc":"2.0","id":"a","method":"m","params":[7]}"#);
        assert_eq!(string_id.unwrap()["id"], json!("a"));
    }

    #[test]
    fn params_are_read_by_type_and_capped() {
        let answer_of = |params: &str| {
            answer(&format!(
                r#"{{"jsonrpc":"2.0","id":1,"method":"m","params":{params}}}"#
            ))
            .unwrap()
        };
        assert_eq!(answer_of("[5, {}]")["result"], json!(["m", 2, 5]));
        assert_eq!(answer_of("null")["result"], json!(["m", 0, null]));
        let many = format!("[{}]", vec!["0"; MAX_PARAMS + 1].join(","));
        assert_eq!(answer_of(&many)["error"]["code"], INVALID_PARAMS);
        let most = format!("[{}]", vec!["0"; MAX_PARAMS].join(","));
        assert_eq!(answer_of(&most)["result"], json!(["m", MAX_PARAMS, 0]));
        assert_eq!(answer_of("{}")["error"]["code"], INVALID_PARAMS);
    }

    #[test]
    fn a_single_call_is_told_apart_from_batches_and_notifications() {
        let call = |body: &str| single_call(body.as_bytes(), "m").map(|(id, p)| (id, p.0.len()));
        assert_eq!(
            call(r#"{"jsonrpc":"2.0","id":4,"method":"m","params":[1]}"#),
            Some((json!(4), 1))
        );
        for other in [
            r#"[{"jsonrpc":"2.0","id":4,"method":"m"}]"#,
            r#"{"jsonrpc":"2.0","method":"m"}"#,
            r#"{"jsonrpc":"2.0","id":4,"method":"n"}"#,
            r#"{"jsonrpc":"2.0","id":4,"method":"m","params":{}}"#,
            "{",
        ] {
            assert_eq!(call(other), None, "{other}");
        }
    }

    #[test]
    fn malformed_envelopes_are_invalid_requests() {
        for body in [
            r#"{"jsonrpc":"2.0","id":[1],"method":"m"}"#,
            r#"{"jsonrpc":"1.0","id":1,"method":"m"}"#,
            r#"{"jsonrpc":"2.0","id":1,"method":"m","method":"n"}"#,
            r#"{"jsonrpc":"2.0","id":1}"#,
            "[1]",
        ] {
            let answer = answer(body).unwrap();
            let answer = answer.as_array().map_or(&answer, |a| &a[0]).clone();
            assert_eq!(answer["error"]["code"], INVALID_REQUEST, "{body}");
        }
        let batch = format!("[{}]", vec!["1"; MAX_BATCH + 1].join(","));
        assert_eq!(answer(&batch).unwrap()["error"]["code"], INVALID_REQUEST);
        assert_eq!(answer("\u{0}").unwrap()["error"]["code"], PARSE_ERROR);
        let not_utf8 = handle_body(&[0xff, 0xfe], &mut |_, _| Ok(Value::Null)).unwrap();
        assert_eq!(not_utf8["error"]["code"], PARSE_ERROR);
    }
}
