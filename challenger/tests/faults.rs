//! The watchtower under faults. `challenger run`, configured by a TOML file, reaches L1 only
//! through a proxy that breaks every other request (connections dropped before or after the
//! node saw the request, HTTP 503, JSON-RPC internal errors, delays, HTTP 429 rate limits with
//! and without `Retry-After`): it still beats a lying
//! proposer within the clocks and withdraws, and its metrics say so. A watchtower whose L1 node
//! lags a witness, or disagrees with one, refuses to act.

mod common;

use std::{
    net::SocketAddr,
    sync::{
        atomic::{AtomicU64, Ordering},
        Arc, Mutex,
    },
    time::{Duration, Instant},
};

use alloy_primitives::U256;
use alloy_provider::Provider;
use axum::{
    body::{Body, Bytes},
    extract::State,
    http::{Request, StatusCode},
    response::{IntoResponse, Response},
    Router,
};
use common::{stop, Network};
use devnet::{server::Server, Node, NodeConfig};
use execute::Fork;
use l1_contracts::provider::l1_reader;
use l1_contracts::{rollup::Rollup, status::GameStatus};
use rollup::lie::BlockLie;
use rollup::lie::Lie;
use watchtower::WatchError;

/// A proxy to an L1 endpoint that breaks every other request, in turn in each way it knows.
struct FaultyProxy {
    upstream: String,
    client: reqwest::Client,
    requests: AtomicU64,
    faults: AtomicU64,
}

impl FaultyProxy {
    async fn start(upstream: String) -> (String, Arc<Self>) {
        let proxy = Arc::new(Self {
            upstream,
            client: reqwest::Client::new(),
            requests: AtomicU64::new(0),
            faults: AtomicU64::new(0),
        });
        let app = Router::new().fallback(handle).with_state(proxy.clone());
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("http://{}", listener.local_addr().unwrap());
        tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });
        (url, proxy)
    }

    async fn forward(&self, request: Request<Body>) -> (StatusCode, Bytes) {
        let url = format!("{}{}", self.upstream, request.uri());
        let method = request.method().clone();
        let body = axum::body::to_bytes(request.into_body(), usize::MAX)
            .await
            .unwrap();
        let response = self
            .client
            .request(method, url)
            .header("content-type", "application/json")
            .body(body)
            .send()
            .await
            .unwrap();
        let status = response.status();
        (status, response.bytes().await.unwrap())
    }
}

/// A response whose body fails: the client sees the connection drop mid-answer.
fn dropped() -> Response {
    let failing = futures::stream::once(async {
        Err::<Bytes, std::io::Error>(std::io::Error::other("connection dropped"))
    });
    Body::from_stream(failing).into_response()
}

async fn handle(State(proxy): State<Arc<FaultyProxy>>, request: Request<Body>) -> Response {
    let n = proxy.requests.fetch_add(1, Ordering::SeqCst);
    if n % 2 == 0 {
        let (status, body) = proxy.forward(request).await;
        return (status, body).into_response();
    }
    proxy.faults.fetch_add(1, Ordering::SeqCst);
    match (n / 2) % 7 {
        0 => dropped(),
        1 => StatusCode::SERVICE_UNAVAILABLE.into_response(),
        2 if request.method() != axum::http::Method::POST => {
            StatusCode::INTERNAL_SERVER_ERROR.into_response()
        }
        2 => {
            let body = axum::body::to_bytes(request.into_body(), usize::MAX)
                .await
                .unwrap();
            let id = serde_json::from_slice::<serde_json::Value>(&body)
                .map(|v| v["id"].clone())
                .unwrap_or_default();
            let error = serde_json::json!({
                "jsonrpc": "2.0",
                "id": id,
                "error": { "code": -32603, "message": "injected internal error" },
            });
            axum::Json(error).into_response()
        }
        3 => {
            tokio::time::sleep(Duration::from_millis(400)).await;
            let (status, body) = proxy.forward(request).await;
            (status, body).into_response()
        }
        // Rate limited, as public providers answer: without a pause, and asking for one.
        4 => StatusCode::TOO_MANY_REQUESTS.into_response(),
        5 => (StatusCode::TOO_MANY_REQUESTS, [("retry-after", "1")]).into_response(),
        // The node saw the request (a transaction may be in its pool); the answer is lost.
        _ => {
            proxy.forward(request).await;
            dropped()
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

#[tokio::test(flavor = "multi_thread")]
async fn the_daemon_wins_through_a_faulty_l1_connection() {
    let network = Network::start(911).await;
    let lie = BlockLie {
        block: 2,
        lie: Lie::Drop(0),
    };
    network.three_blocks_and_a_claim(Some(lie)).await;
    let mut liar = network.player(1, Some(lie)).await;
    let (proxy_url, proxy) = FaultyProxy::start(network.server.url()).await;
    let metrics = SocketAddr::from(([127, 0, 0, 1], free_port()));
    let config = network.file(
        "challenger.toml",
        &format!(
            "l1-rpc = \"{proxy_url}\"\ninterval-ms = 250\nmax-gas-price-gwei = 1000\n\
             metrics-addr = \"{metrics}\"\n"
        ),
    );
    let daemon = network.daemon_with(2, &["--config", config.to_str().unwrap()]);

    assert_eq!(
        network.play_out(&mut liar).await,
        GameStatus::ChallengerWon,
        "the challenger won"
    );
    let game = network.call(Rollup::gameCall { id: U256::ZERO }).await;
    assert_eq!(game.challenger, network.keys[2].address());
    let rules = network.call(Rollup::configCall {}).await;
    assert!(game.challengerUsed < rules.clock);
    let games: u64 = network.call(Rollup::gameCountCall {}).await.to();
    assert_eq!(games, 1, "one challenge, however many answers were lost");
    let started = Instant::now();
    while !network
        .call(Rollup::creditCall(network.keys[2].address()))
        .await
        .is_zero()
    {
        assert!(started.elapsed() < Duration::from_secs(60), "not withdrawn");
        tokio::time::sleep(Duration::from_millis(250)).await;
    }
    let faults = proxy.faults.load(Ordering::SeqCst);
    assert!(faults >= 20, "only {faults} faults injected");

    // The metrics catch up: the bonds withdrawn, no game left.
    let scrape = || async {
        reqwest::get(format!("http://{metrics}/metrics"))
            .await
            .unwrap()
            .text()
            .await
            .unwrap()
    };
    let value = |text: &str, name: &str| -> f64 {
        text.lines()
            .find_map(|line| line.strip_prefix(name)?.trim().parse().ok())
            .unwrap_or_else(|| panic!("{name} not in\n{text}"))
    };
    let started = Instant::now();
    let text = loop {
        let text = scrape().await;
        if value(&text, "challenger_withdrawn_wei_total") > 0.0
            && value(&text, "challenger_games_tracked") == 0.0
        {
            break text;
        }
        assert!(started.elapsed() < Duration::from_secs(60), "{text}");
        tokio::time::sleep(Duration::from_millis(250)).await;
    };
    assert_eq!(
        value(&text, "challenger_moves_total{kind=\"challenge\"}"),
        1.0
    );
    assert!(value(&text, "challenger_steps_total") >= 1.0);
    stop(daemon);
}

#[tokio::test(flavor = "multi_thread")]
async fn an_l1_node_that_lags_or_disagrees_is_not_acted_on() {
    let network = Network::start(912).await;
    let lie = BlockLie {
        block: 2,
        lie: Lie::Drop(0),
    };
    network.three_blocks_and_a_claim(Some(lie)).await;
    let head = network.provider(0).get_block_number().await.unwrap();
    let other = Arc::new(Mutex::new(Node::new(
        NodeConfig::dev(31337, Fork::Osaka).unwrap(),
    )));
    let witness = Server::start(other.clone(), SocketAddr::from(([127, 0, 0, 1], 0)))
        .await
        .unwrap();
    let mine_to = |number: u64| {
        let mut node = other.lock().unwrap();
        while node.latest().header.number < number {
            node.mine(Vec::new()).unwrap();
        }
    };

    // Another chain at the same height: the nodes disagree.
    mine_to(head);
    let mut watchtower = network
        .player(2, None)
        .await
        .with_witnesses(vec![l1_reader(witness.url().parse().unwrap())]);
    let err = watchtower.tick().await.unwrap_err();
    assert!(
        matches!(err, WatchError::Disagree { number, .. } if number == head),
        "{err}"
    );
    // A witness well ahead: the node lags.
    mine_to(head + 10);
    let err = watchtower.tick().await.unwrap_err();
    assert!(
        matches!(err, WatchError::Lagging { behind, .. } if behind >= 9),
        "{err}"
    );
    let games: u64 = network.call(Rollup::gameCountCall {}).await.to();
    assert_eq!(games, 0, "nothing was challenged on an unchecked view");
    let text = watchtower.metrics().encode();
    assert!(text.contains("challenger_faults_total{kind=\"l1_disagrees\"} 1"));
    assert!(text.contains("challenger_faults_total{kind=\"l1_lagging\"} 1"));

    // A witness on the same chain vouches: the wrong claim is challenged.
    let mut watchtower = network
        .player(3, None)
        .await
        .with_witnesses(vec![l1_reader(network.server.url().parse().unwrap())]);
    let report = watchtower.tick().await.unwrap();
    assert_eq!(report.challenged, [1]);
}
