//! `challenger run --blob-archive`: a watchtower started after the beacon node pruned the
//! batches' blobs follows the rollup from a blob archive serving the beacon blob API, and beats
//! a lying proposer.

mod common;

use std::{
    collections::BTreeMap,
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use alloy_primitives::{B256, U256};
use alloy_provider::Provider;
use axum::{
    extract::{Path, Query, State},
    http::StatusCode,
    response::IntoResponse,
    routing::get,
    Json, Router,
};
use common::{stop, Network};
use l1_contracts::{rollup::Rollup, status::GameStatus};
use rollup::lie::BlockLie;
use rollup::lie::Lie;
use testnet::NetworkConfig;

/// L1 blocks the devnet keeps blob sidecars for.
const RETENTION: u64 = 12;

/// Blobs by L1 block, each with its versioned hash, as an archiver keeps them.
#[derive(Default)]
struct Archive {
    blocks: Mutex<BTreeMap<u64, Vec<(B256, String)>>>,
}

/// Follows the beacon node's sidecars block by block, as a blob archiver does, until `followed`
/// reaches the L1 head.
async fn follow(archive: Arc<Archive>, beacon: String, provider: impl Provider) {
    let client = reqwest::Client::new();
    let mut next = 0;
    loop {
        let head = provider.get_block_number().await.unwrap();
        for number in next..=head {
            let url = format!("{beacon}/eth/v1/beacon/blob_sidecars/{number}");
            let response = client.get(&url).send().await.unwrap();
            if response.status() != StatusCode::OK {
                continue;
            }
            let body: serde_json::Value = response.json().await.unwrap();
            let sidecars: Vec<(B256, String)> = body["data"]
                .as_array()
                .unwrap()
                .iter()
                .map(|s| {
                    let commitment =
                        alloy_primitives::hex::decode(s["kzg_commitment"].as_str().unwrap())
                            .unwrap();
                    let hash = alloy_eips::eip4844::kzg_to_versioned_hash(&commitment);
                    (hash, s["blob"].as_str().unwrap().to_string())
                })
                .collect();
            if !sidecars.is_empty() {
                archive.blocks.lock().unwrap().insert(number, sidecars);
            }
        }
        next = head + 1;
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// `GET /eth/v1/beacon/blobs/{block}?versioned_hashes=…`, from the archive.
async fn blobs(
    State(archive): State<Arc<Archive>>,
    Path(block): Path<u64>,
    Query(query): Query<BTreeMap<String, String>>,
) -> impl IntoResponse {
    let wanted: Vec<B256> = query
        .get("versioned_hashes")
        .map(|list| list.split(',').filter_map(|h| h.parse().ok()).collect())
        .unwrap_or_default();
    let blocks = archive.blocks.lock().unwrap();
    match blocks.get(&block) {
        Some(sidecars) => {
            let data: Vec<&String> = sidecars
                .iter()
                .filter(|(hash, _)| wanted.is_empty() || wanted.contains(hash))
                .map(|(_, blob)| blob)
                .collect();
            (StatusCode::OK, Json(serde_json::json!({ "data": data })))
        }
        None => (
            StatusCode::NOT_FOUND,
            Json(serde_json::json!({ "code": 404, "message": "not archived" })),
        ),
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn a_watchtower_started_after_pruning_takes_blobs_from_an_archive_and_wins() {
    let network = Network::start_with(NetworkConfig {
        blob_retention: Some(RETENTION),
        ..NetworkConfig::dev(907)
    })
    .await;
    let beacon = network.server.url().trim_end_matches('/').to_string();
    let archive = Arc::new(Archive::default());
    tokio::spawn(follow(archive.clone(), beacon.clone(), network.provider(0)));
    let app = Router::new()
        .route("/eth/v1/beacon/blobs/{block}", get(blobs))
        .with_state(archive.clone());
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let archive_url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move { axum::serve(listener, app).await.unwrap() });

    let lie = BlockLie {
        block: 2,
        lie: Lie::Drop(0),
    };
    network.three_blocks_and_a_claim(Some(lie)).await;
    // The liar follows L1 while the beacon node still has the blobs.
    let mut liar = network.player(1, Some(lie)).await;
    liar.tick().await.unwrap();
    let provider = network.provider(0);
    let posted = provider.get_block_number().await.unwrap();
    let started = Instant::now();
    while archive.blocks.lock().unwrap().len() < 3 {
        assert!(started.elapsed() < Duration::from_secs(30), "not archived");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }

    // Every batch's blob leaves the beacon API.
    for _ in 0..RETENTION + 2 {
        provider
            .raw_request::<_, serde_json::Value>("evm_mine".into(), ())
            .await
            .unwrap();
    }
    let archived: Vec<u64> = archive.blocks.lock().unwrap().keys().copied().collect();
    assert!(archived.iter().all(|n| *n <= posted), "{archived:?}");
    for number in &archived {
        let url = format!("{beacon}/eth/v1/beacon/blobs/{number}");
        let status = reqwest::get(&url).await.unwrap().status();
        assert_eq!(status, StatusCode::NOT_FOUND, "{url} is pruned");
    }

    let url = network.server.url();
    let daemon = network.daemon_with(
        2,
        &[
            "--l1-rpc",
            &url,
            "--interval-ms",
            "250",
            "--blob-archive",
            &archive_url,
        ],
    );
    assert_eq!(
        network.play_out(&mut liar).await,
        GameStatus::ChallengerWon,
        "the challenger won"
    );
    let game = network.call(Rollup::gameCall { id: U256::ZERO }).await;
    assert_eq!(game.challenger, network.keys[2].address());
    stop(daemon);
}
