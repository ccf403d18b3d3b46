//! `forge script --broadcast` against the devnet: Foundry simulates the deployment script against
//! the node's state, signs, broadcasts and waits for receipts, all over JSON-RPC.
//!
//! `forge` comes from the npm package `@foundry-rs/forge` that `test.sh` installs; the binary is
//! found at `$FORGE` or in the platform's package under `node_modules/@foundry-rs`.

use std::{
    net::SocketAddr,
    path::PathBuf,
    process::Command,
    sync::{Arc, Mutex},
};

use alloy_primitives::Address;
use devnet::{
    accounts::{dev_accounts, DEV_MNEMONIC},
    server::Server,
    Node, NodeConfig,
};
use execute::Fork;

fn forge_path() -> PathBuf {
    std::env::var_os("FORGE")
        .map(PathBuf::from)
        .unwrap_or_else(|| {
            // The binary of the platform's package: `node_modules/.bin/forge` is an npm wrapper
            // that exits 0 whatever forge returns.
            let packages = repo().join("node_modules/@foundry-rs");
            std::fs::read_dir(&packages)
                .into_iter()
                .flatten()
                .flatten()
                .filter(|entry| entry.file_name().to_string_lossy().starts_with("forge-"))
                .map(|entry| entry.path().join("bin/forge"))
                .find(|path| path.is_file())
                .unwrap_or_else(|| packages.join("forge-linux-amd64/bin/forge"))
        })
}

fn repo() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("..")
}

#[test]
fn forge_script_broadcast_deploys_the_inbox() {
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
    let deployer = dev_accounts(DEV_MNEMONIC, 1).unwrap().remove(0);
    let sequencer = Address::repeat_byte(0x5e);

    let out = Command::new(forge_path())
        .current_dir(repo().join("contracts"))
        .env("SEQUENCER", sequencer.to_string())
        .args(["script", "script/Deploy.s.sol:Deploy", "--broadcast"])
        .args(["--rpc-url", &server.url()])
        .args([
            "--private-key",
            &alloy_primitives::hex::encode_prefixed(deployer.credential().to_bytes()),
        ])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "forge not found at {} ({e}); run ./test.sh",
                forge_path().display()
            )
        });
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "forge script failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );

    let inbox = deployer.address().create(0);
    assert!(stdout.contains(&format!("Inbox {inbox}")), "{stdout}");
    let node = node.lock().unwrap();
    assert_eq!(node.nonce(deployer.address()), 1, "one transaction sent");
    assert!(!node.code(inbox).is_empty(), "the inbox has code");
    // The immutable sequencer is in the deployed code.
    assert!(node
        .code(inbox)
        .windows(20)
        .any(|w| w == sequencer.as_slice()));
    drop(node);
    runtime.block_on(server.shutdown()).unwrap();
}
