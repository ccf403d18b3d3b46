//! `toolkit execute verify-block` on real public-testnet blocks recorded with other clients'
//! witnesses (`../shared/witnesses/`): the block ethrex-replay recorded from a node's
//! `debug_executionWitness` verifies; geth's witness of the other block lacks the account its
//! blob transaction calls, and EXECUTE refuses to guess it (`docs/trace-format.md`, "Witnesses
//! from other clients").

mod common;

use std::path::{Path, PathBuf};

use common::toolkit;

fn recorded(name: &str) -> PathBuf {
    let dir = std::env::var_os("WITNESS_DIR").map_or_else(
        || PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../shared/witnesses"),
        PathBuf::from,
    );
    let path = dir.join(name);
    assert!(
        path.exists(),
        "{} is missing: the recorded blocks come with ../shared (or set WITNESS_DIR)",
        path.display()
    );
    path
}

/// Runs verify-block on `file`; its exit status and what it printed.
fn verify(file: &Path, extra: &[&str]) -> (bool, String) {
    let file = file.to_str().unwrap();
    let args = [&["execute", "verify-block", "--file", file][..], extra].concat();
    toolkit(&args)
}

#[test]
fn hoodi_block_from_a_nodes_execution_witness_verifies() {
    let (ok, out) = verify(&recorded("ethrex-replay-hoodi-1265656.json"), &[]);
    assert!(ok, "{out}");
    assert!(out.contains("block 1265656 (0xac77c202"), "{out}");
    assert!(out.contains("chain 560048, Prague"), "{out}");
    assert!(out.contains("EXECUTE: true"), "{out}");
}

#[test]
fn a_witness_without_the_blob_transactions_recipient_is_refused() {
    let (ok, out) = verify(&recorded("geth-keeper-hoodi-1151683.json"), &[]);
    assert!(!ok, "{out}");
    assert!(out.contains("block 1151683 (0x678e9770"), "{out}");
    // The account-trie node under path 0x39 on the way to the recipient 0x00d8b9e9…
    assert!(
        out.contains("EXECUTE: false")
            && out.contains("7e224bab8f0d640af8c8c34c9d9592cf1a0d7e6e9fb6f799e70ef0a216f80f6e"),
        "{out}"
    );
}

#[test]
fn the_rules_must_be_those_of_the_blocks_fork() {
    // Under Osaka a Prague block's transaction gas cap and blob rules differ; the header's
    // fields are checked for the fork given, and Cancun lacks Prague's requests hash.
    let file = recorded("ethrex-replay-hoodi-1265656.json");
    let (ok, out) = verify(&file, &["--fork", "Cancun"]);
    assert!(!ok, "{out}");
    assert!(out.contains("EXECUTE: false"), "{out}");
    let (ok, out) = verify(&file, &["--fork", "Shanghai-ish"]);
    assert!(!ok && out.contains("unknown fork Shanghai-ish"), "{out}");
}
