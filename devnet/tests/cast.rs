//! The devnet driven by real Foundry `cast` over JSON-RPC: a transfer, a contract deployment
//! read back, EXECUTE answering true and false at full charge, and the unlocked dev accounts
//! (`cast send --unlocked`, `eth_sign`, `eth_signTypedData_v4`).
//!
//! `cast` comes from the npm package `@foundry-rs/cast` that `test.sh` installs; the binary is
//! found at `$CAST` or in the platform's package under `node_modules/@foundry-rs`.

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::Command,
    sync::{Arc, Mutex},
};

use alloy_dyn_abi::TypedData;
use alloy_primitives::Signature;
use alloy_signer::SignerSync;
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    server::Server,
    Node, NodeConfig,
};
use execute::{reference::sample_step, ChainConfig, Fork};

const KEY: &str = "0xac0974bec39a17e36ba4a6b4d238ff944bacb478cbed5efcae784d7bf4f2ff80";
const BOB: &str = "0x70997970C51812dc3A010C7d01b50e0d17dc79C8";
/// An address no key of the node holds.
const STRANGER: &str = "0x000000000000000000000000000000000000dEaD";
/// Init code returning the 2-byte runtime `0x6001` (PUSH1 1).
const INIT: &str = "0x6160016000526002601ef3";

fn cast_path() -> PathBuf {
    std::env::var_os("CAST")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // Not `node_modules/.bin/cast`: that npm wrapper exits 0 whatever cast returns.
            let packages =
                PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../node_modules/@foundry-rs");
            let platform = std::fs::read_dir(&packages).into_iter().flatten().flatten();
            platform
                .filter(|e| e.file_name().to_string_lossy().starts_with("cast-"))
                .map(|e| e.path().join("bin/cast"))
                .find(|path| path.is_file())
                .unwrap_or_else(|| packages.join("cast-linux-amd64/bin/cast"))
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

    // The dev accounts are unlocked: the node fills, signs and sends for them.
    let dev = dev_accounts(DEV_MNEMONIC, 1).unwrap().remove(0);
    let from = dev.address().to_string();
    let accounts = cast.rpc("eth_accounts", "[]");
    assert_eq!(accounts.as_array().unwrap().len(), 10);
    assert_eq!(
        accounts[0].as_str().unwrap().to_lowercase(),
        from.to_lowercase()
    );
    let before: u128 = cast.run(&["balance", BOB]).parse().unwrap();
    cast.run(&["send", BOB, "--value", "7", "--unlocked", "--from", &from]);
    let after: u128 = cast.run(&["balance", BOB]).parse().unwrap();
    assert_eq!(after - before, 7);
    let locked = Command::new(cast_path())
        .args([
            "send",
            "--rpc-url",
            &cast.url,
            BOB,
            "--unlocked",
            "--from",
            STRANGER,
        ])
        .args(["--value", "1"])
        .output()
        .unwrap();
    assert!(
        !locked.status.success(),
        "an account without a key is refused"
    );

    // Messages and typed data, signed as the key's holder signs them.
    let signed = cast.rpc("eth_sign", &format!("[\"{from}\", \"0xdeadbeef\"]"));
    let expected = dev.sign_message_sync(&[0xde, 0xad, 0xbe, 0xef]).unwrap();
    assert_eq!(signature(&signed), expected);
    let typed = serde_json::json!({
        "types": {
            "EIP712Domain": [{ "name": "name", "type": "string" }, { "name": "chainId", "type": "uint256" }],
            "Mail": [{ "name": "to", "type": "address" }, { "name": "contents", "type": "string" }],
        },
        "primaryType": "Mail",
        "domain": { "name": "devnet", "chainId": 31337 },
        "message": { "to": BOB, "contents": "hello" },
    });
    let signed = cast.rpc(
        "eth_signTypedData_v4",
        &serde_json::json!([from, typed]).to_string(),
    );
    let data: TypedData = serde_json::from_value(typed).unwrap();
    let expected = dev.sign_dynamic_typed_data_sync(&data).unwrap();
    assert_eq!(signature(&signed), expected);

    runtime.block_on(server.shutdown()).unwrap();
}

fn signature(answer: &serde_json::Value) -> Signature {
    let hex = answer
        .as_str()
        .unwrap_or_else(|| panic!("not a signature: {answer}"));
    Signature::from_raw(&alloy_primitives::hex::decode(hex).unwrap()).unwrap()
}
