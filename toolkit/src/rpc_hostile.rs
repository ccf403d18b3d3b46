//! `toolkit rpc-hostile`: hostile JSON-RPC against a node (the devnet's or the L2's endpoint):
//! malformed, oversized and deeply nested bodies, batches past the cap, wrong types and invalid
//! hex, each of which must get its standard error; then thousands of concurrent connections. It
//! prints what each probe got, how the node kept serving, and (given its pid) the node's memory.

use std::{
    net::SocketAddr,
    time::{Duration, Instant},
};

use anyhow::{bail, Context, Result};
use serde_json::{json, Value};
use tokio::{
    io::{AsyncReadExt, AsyncWriteExt},
    net::TcpStream,
};

/// Where to attack and how hard.
#[derive(clap::Args, Debug)]
pub(crate) struct RpcHostileArgs {
    /// The node's JSON-RPC address, as host:port on loopback (`127.0.0.1:8545`).
    #[arg(long)]
    addr: SocketAddr,
    /// The node's largest request body in bytes: one byte more must be refused with HTTP 413.
    #[arg(long)]
    body_limit: usize,
    /// Connections held open at once in the concurrency probe.
    #[arg(long, default_value_t = 2_000)]
    connections: usize,
    /// The node's process id, to report its memory (Linux `/proc`).
    #[arg(long)]
    pid: Option<u32>,
}

/// What a probe must get back.
enum Expect {
    /// This HTTP status.
    Status(u16),
    /// A JSON-RPC error with this code (in the answer, or in each answer of a batch).
    Code(i64),
    /// A JSON-RPC result.
    Result,
}

/// Runs every probe; fails if any got another answer or the node stopped serving.
pub(crate) async fn run(args: RpcHostileArgs) -> Result<()> {
    let before = memory(args.pid);
    let mut failed = 0;
    for (name, body, expect) in probes(args.body_limit) {
        let started = Instant::now();
        let (status, answer) = post(args.addr, &body).await.with_context(|| name.clone())?;
        let got = match (&expect, status, &answer) {
            (Expect::Status(want), status, _) => status == *want,
            (Expect::Code(code), 200, Some(answer)) => error_code(answer) == Some(*code),
            (Expect::Result, 200, Some(answer)) => has_results(answer),
            _ => false,
        };
        let ms = started.elapsed().as_millis();
        let shown = answer.map_or_else(String::new, |a| shorten(&a.to_string()));
        println!(
            "{} {name} ({} bytes): HTTP {status} {shown} in {ms} ms",
            if got { "ok  " } else { "FAIL" },
            body.len()
        );
        failed += usize::from(!got);
        // After each probe the node still answers a plain request.
        alive(args.addr)
            .await
            .with_context(|| format!("after {name}"))?;
    }
    let after_probes = memory(args.pid);
    let (held, answered, elapsed) = crowd(args.addr, args.connections).await?;
    alive(args.addr).await.context("after the crowd")?;
    println!(
        "{held} connections open at once, {answered} answered, in {:.2} s; the node then \
         answered a new client",
        elapsed.as_secs_f64()
    );
    if let (Some(before), Some(probes), Some(crowd)) = (before, after_probes, memory(args.pid)) {
        println!(
            "node memory (RSS, peak): before {} / {} MiB, after the probes {} / {} MiB, after \
             the crowd {} / {} MiB",
            before.0, before.1, probes.0, probes.1, crowd.0, crowd.1
        );
    }
    if failed > 0 || answered < held {
        bail!("{failed} probes got another answer; {answered} of {held} connections answered");
    }
    Ok(())
}

/// The hostile bodies, each with the answer it must get.
fn probes(body_limit: usize) -> Vec<(String, Vec<u8>, Expect)> {
    let request = |method: &str, params: Value| {
        json!({ "jsonrpc": "2.0", "id": 1, "method": method, "params": params })
            .to_string()
            .into_bytes()
    };
    let batch = |n: usize| {
        let one = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_chainId" });
        Value::Array(vec![one; n]).to_string().into_bytes()
    };
    let nested = |depth: usize| {
        let mut body = "[".repeat(depth);
        body.push_str(&"]".repeat(depth));
        body.into_bytes()
    };
    // Bodies that fill the limit with the most JSON values per byte: as positional params
    // (refused past the params cap before they are read), and inside one param (a log filter
    // of as many addresses as fit, which is read and answered).
    let fill = |head: &[u8], item: &[u8], tail: &[u8]| {
        let mut body = head.to_vec();
        while body.len() + 2 * item.len() + 1 + tail.len() <= body_limit {
            body.extend_from_slice(item);
            body.push(b',');
        }
        body.extend_from_slice(item);
        body.extend_from_slice(tail);
        body
    };
    let wide_params = fill(
        br#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId","params":["#,
        b"0",
        b"]}",
    );
    let wide_filter = fill(
        br#"{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":[{"fromBlock":"latest","address":["#,
        br#""0x00000000000000000000000000000000000000aa""#,
        b"]}]}",
    );
    let address = "0x00000000000000000000000000000000000000aa";
    vec![
        (
            "not JSON".into(),
            b"{not json".to_vec(),
            Expect::Code(-32700),
        ),
        (
            "truncated JSON".into(),
            br#"{"jsonrpc":"2.0","id":1,"method":"eth_chainId""#.to_vec(),
            Expect::Code(-32700),
        ),
        ("empty body".into(), Vec::new(), Expect::Code(-32700)),
        ("a number".into(), b"42".to_vec(), Expect::Code(-32600)),
        ("empty batch".into(), b"[]".to_vec(), Expect::Code(-32600)),
        ("batch of 1,001".into(), batch(1_001), Expect::Code(-32600)),
        ("batch of 1,000".into(), batch(1_000), Expect::Result),
        (
            // Read as a batch whose one request is not an object.
            "nesting 100,000 deep".into(),
            nested(100_000),
            Expect::Code(-32600),
        ),
        (
            "a param nested 100,000 deep".into(),
            {
                let mut body =
                    br#"{"jsonrpc":"2.0","id":1,"method":"eth_getLogs","params":["#.to_vec();
                body.extend_from_slice(&nested(100_000));
                body.extend_from_slice(b"]}");
                body
            },
            Expect::Code(-32602),
        ),
        (
            "no jsonrpc field".into(),
            br#"{"id":1,"method":"eth_chainId"}"#.to_vec(),
            Expect::Code(-32600),
        ),
        (
            "method not a string".into(),
            br#"{"jsonrpc":"2.0","id":1,"method":7}"#.to_vec(),
            Expect::Code(-32600),
        ),
        (
            "unknown method".into(),
            request("eth_nope", json!([])),
            Expect::Code(-32601),
        ),
        (
            "params an object".into(),
            request("eth_getBalance", json!({ "a": 1 })),
            Expect::Code(-32602),
        ),
        (
            "address a number".into(),
            request("eth_getBalance", json!([123, "latest"])),
            Expect::Code(-32602),
        ),
        (
            "address short".into(),
            request("eth_getBalance", json!(["0x12", "latest"])),
            Expect::Code(-32602),
        ),
        (
            "invalid hex".into(),
            request(
                "eth_getBalance",
                json!(["0xzz00000000000000000000000000000000000000", "latest"]),
            ),
            Expect::Code(-32602),
        ),
        (
            "odd-length raw transaction".into(),
            request("eth_sendRawTransaction", json!(["0x123"])),
            Expect::Code(-32602),
        ),
        (
            "block number past u64".into(),
            request(
                "eth_getBlockByNumber",
                json!(["0x1ffffffffffffffff", false]),
            ),
            Expect::Code(-32602),
        ),
        (
            "block number u64::MAX".into(),
            request("eth_getBlockByNumber", json!(["0xffffffffffffffff", false])),
            Expect::Result,
        ),
        (
            "state at u64::MAX".into(),
            request("eth_getBalance", json!([address, "0xffffffffffffffff"])),
            Expect::Code(-32000),
        ),
        (
            "witness of u64::MAX".into(),
            request("debug_executionWitness", json!(["0xffffffffffffffff"])),
            Expect::Code(-32000),
        ),
        // The range ends at the latest block, which keeps it within the cap here.
        (
            "logs to block u64::MAX".into(),
            request(
                "eth_getLogs",
                json!([{ "fromBlock": "0x0", "toBlock": "0xffffffffffffffff" }]),
            ),
            Expect::Result,
        ),
        (
            "21 params".into(),
            request("eth_chainId", json!(vec![0; 21])),
            Expect::Code(-32602),
        ),
        (
            "an id that is an array".into(),
            br#"{"jsonrpc":"2.0","id":[1,2],"method":"eth_chainId"}"#.to_vec(),
            Expect::Code(-32600),
        ),
        (
            "fee history of u64::MAX blocks".into(),
            request(
                "eth_feeHistory",
                json!(["0xffffffffffffffff", "latest", []]),
            ),
            Expect::Result,
        ),
        (
            "params filling the body limit".into(),
            wide_params,
            Expect::Code(-32602),
        ),
        (
            "a log filter filling the body limit".into(),
            wide_filter,
            Expect::Result,
        ),
        (
            "body one byte over the limit".into(),
            vec![b' '; body_limit + 1],
            Expect::Status(413),
        ),
    ]
}

/// Whether an answer, or every answer of a batch, is a result.
fn has_results(answer: &Value) -> bool {
    match answer {
        Value::Array(answers) => answers.iter().all(has_results),
        single => single.get("result").is_some(),
    }
}

/// The error code of an answer, or of every answer of a batch if they agree.
fn error_code(answer: &Value) -> Option<i64> {
    match answer {
        Value::Array(answers) => {
            let codes: Vec<_> = answers.iter().map(error_code).collect();
            codes.windows(2).all(|w| w[0] == w[1]).then(|| codes[0])?
        }
        single => single["error"]["code"].as_i64(),
    }
}

fn shorten(text: &str) -> String {
    let mut short: String = text.chars().take(100).collect();
    if short.len() < text.len() {
        short.push('…');
    }
    short
}

/// One HTTP/1.1 POST on a new connection: its status and its JSON body, if any.
async fn post(addr: SocketAddr, body: &[u8]) -> Result<(u16, Option<Value>)> {
    let mut stream = TcpStream::connect(addr).await?;
    stream
        .write_all(post_head(addr, body.len()).as_bytes())
        .await?;
    // A node may refuse an oversized body before reading it all; its answer still counts.
    let _ = stream.write_all(body).await;
    let mut response = Vec::new();
    tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut response))
        .await
        .context("no answer within 60 s")??;
    parse_response(&response)
}

/// The head of a one-shot HTTP/1.1 JSON POST of `length` bytes to `addr`.
fn post_head(addr: SocketAddr, length: usize) -> String {
    format!(
        "POST / HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\nContent-Length: \
         {length}\r\nConnection: close\r\n\r\n"
    )
}

fn parse_response(response: &[u8]) -> Result<(u16, Option<Value>)> {
    let text = String::from_utf8_lossy(response);
    let status = text
        .split_whitespace()
        .nth(1)
        .and_then(|s| s.parse().ok())
        .with_context(|| format!("no HTTP status in {:?}", shorten(&text)))?;
    let body = text.split_once("\r\n\r\n").map_or("", |(_, body)| body);
    Ok((status, serde_json::from_str(body).ok()))
}

/// The node answers `eth_chainId`.
async fn alive(addr: SocketAddr) -> Result<()> {
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_chainId" }).to_string();
    match post(addr, body.as_bytes()).await? {
        (200, Some(answer)) if answer.get("result").is_some() => Ok(()),
        other => bail!("the node stopped serving: {other:?}"),
    }
}

/// Opens `n` connections and holds them all open, then sends a request on each: how many were
/// open at once, how many got an answer, and how long it took.
async fn crowd(addr: SocketAddr, n: usize) -> Result<(usize, usize, Duration)> {
    let started = Instant::now();
    let mut streams = Vec::with_capacity(n);
    for _ in 0..n {
        match TcpStream::connect(addr).await {
            Ok(stream) => streams.push(stream),
            Err(err) => bail!("connection {} refused: {err}", streams.len() + 1),
        }
    }
    let held = streams.len();
    let body = json!({ "jsonrpc": "2.0", "id": 1, "method": "eth_blockNumber" }).to_string();
    let request = format!("{}{body}", post_head(addr, body.len()));
    let tasks: Vec<_> = streams
        .into_iter()
        .map(|mut stream| {
            let request = request.clone();
            tokio::spawn(async move {
                stream.write_all(request.as_bytes()).await.ok()?;
                let mut response = Vec::new();
                tokio::time::timeout(Duration::from_secs(60), stream.read_to_end(&mut response))
                    .await
                    .ok()?
                    .ok()?;
                let (status, answer) = parse_response(&response).ok()?;
                (status == 200 && answer?.get("result").is_some()).then_some(())
            })
        })
        .collect();
    let mut answered = 0;
    for task in tasks {
        answered += usize::from(matches!(task.await, Ok(Some(()))));
    }
    Ok((held, answered, started.elapsed()))
}

/// The process's resident and peak resident memory in MiB, from `/proc/PID/status`.
fn memory(pid: Option<u32>) -> Option<(u64, u64)> {
    let status = std::fs::read_to_string(format!("/proc/{}/status", pid?)).ok()?;
    let field = |name: &str| {
        status
            .lines()
            .find_map(|l| l.strip_prefix(name))
            .and_then(|rest| rest.split_whitespace().next())
            .and_then(|kb| kb.parse::<u64>().ok())
            .map(|kb| kb / 1024)
    };
    Some((field("VmRSS:")?, field("VmHWM:")?))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn batch_answers_agree_on_one_code_or_have_none() {
        let err = |code: i64| json!({ "error": { "code": code } });
        assert_eq!(error_code(&json!([err(-32600), err(-32600)])), Some(-32600));
        assert_eq!(error_code(&json!([err(-32600), err(-32601)])), None);
        assert_eq!(error_code(&err(-32700)), Some(-32700));
        assert_eq!(error_code(&json!({ "result": 1 })), None);
    }

    #[test]
    fn responses_parse_to_status_and_body() {
        let (status, body) =
            parse_response(b"HTTP/1.1 413 Payload Too Large\r\ncontent-length: 0\r\n\r\n").unwrap();
        assert_eq!((status, body), (413, None));
        let (status, body) =
            parse_response(b"HTTP/1.1 200 OK\r\n\r\n{\"result\":\"0x1\"}").unwrap();
        assert_eq!((status, body), (200, Some(json!({ "result": "0x1" }))));
        assert!(parse_response(b"").is_err());
    }
}
