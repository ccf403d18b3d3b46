//! The devnet driven by real Foundry `cast` over JSON-RPC: a transfer, a contract deployment
//! read back, and EXECUTE answering true and false at full charge.
//!
//! `cast` comes from the npm package `@foundry-rs/cast` that `test.sh` installs; the binary is
//! found at `$CAST` or `node_modules/.bin/cast` in the repository.

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::Command,
    sync::{Arc, Mutex},
};

use devnet::{server::Server, Node, NodeConfig};
use execute::{reference::sample_step, ChainConfig, Fork};

const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const BOB: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
/// Init code returning the 2-byte runtime `0x6001` (PUSH1 1).
const INIT: &str = "0x6160016000526002601ef3";

fn cast_path() -> PathBuf {
    std::env::var_os("CAST")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/.bin/cast")
        })
}

struct Cast {
    url: String,
}

impl Cast {
    fn run(&self, args: &[&str]) -> String {
        // The endpoint goes right after the subcommand: `send --create` takes the rest as
        // positional arguments.
        let out = Command::new(cast_path())
            .arg(args[0])
            .args(["--rpc-url", &self.url])
            .args(&args[1..])
            .output()
            .unwrap_or_else(|e| {
                panic!(
                    "cast not found at {} ({e}); run ./test.sh",
                    cast_path().display()
                )
            });
        assert!(
            out.status.success(),
            "cast {args:?}: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8(out.stdout).unwrap().trim().to_string()
    }

    fn rpc(&self, method: &str, params: &str) -> serde_json::Value {
        serde_json::from_str(&self.run(&["rpc", method, params, "--raw"])).unwrap()
    }
}

#[test]
fn cast_transfers_deploys_and_calls_execute() {
    let runtime = tokio::runtime::Runtime::new().unwrap();
    let node = Arc::new(Mutex::new(Node::new(
        NodeConfig::dev(31337, Fork::Osaka).unwrap(),
    )));
    let server = runtime
        .block_on(Server::start(
            node.clone(),
            SocketAddr::from(([127, 0, 0, 1], 0)),
        ))
        .unwrap();
    let cast = Cast { url: server.url() };

    assert_eq!(cast.run(&["chain-id"]), "31337");
    let before: u128 = cast.run(&["balance", BOB]).parse().unwrap();
    cast.run(&["send", BOB, "--value", "1000", "--private-key", KEY]);
    let after: u128 = cast.run(&["balance", BOB]).parse().unwrap();
    assert_eq!(after - before, 1000);

    let receipt = cast.run(&["send", "--private-key", KEY, "--create", INIT, "--json"]);
    let receipt: serde_json::Value = serde_json::from_str(&receipt).unwrap();
    let contract = receipt["contractAddress"].as_str().unwrap().to_string();
    assert_eq!(cast.run(&["code", &contract]), "0x6001");

    let step = sample_step(
        ChainConfig {
            chain_id: 901,
            ..ChainConfig::mainnet(Fork::Osaka)
        },
        21,
        300_000,
    );
    let data = alloy_primitives::hex::encode_prefixed(step.abi_encode());
    let to = execute::EXECUTE_ADDRESS.to_string();
    let word = |b: bool| format!("0x{:064x}", b as u8);
    assert_eq!(cast.run(&["call", &to, &data]), word(true));

    let mut corrupted = step.clone();
    corrupted.post_state_root = corrupted.pre_state_root;
    let bad = alloy_primitives::hex::encode_prefixed(corrupted.abi_encode());
    assert_eq!(cast.run(&["call", &to, &bad]), word(false));

    // Sent for real, the false answer is charged in full in its block.
    cast.run(&[
        "send",
        &to,
        &bad,
        "--private-key",
        KEY,
        "--gas-limit",
        "16000000",
    ]);
    let market = cast.rpc("execute_market", "[\"latest\"]");
    assert_eq!(
        market["cumulativeGas"],
        serde_json::json!(format!("{:#x}", step.gas_used))
    );

    runtime.block_on(server.shutdown()).unwrap();
}
