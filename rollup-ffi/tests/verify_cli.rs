//! `rollup-ffi execute verify` as Foundry's `vm.ffi` calls it: hex ABI in, hex ABI bool out.

use std::{
    io::Write,
    process::{Command, Stdio},
};

use execute::{reference::sample_step, ChainConfig, Fork};

const TRUE: &str = "0x0000000000000000000000000000000000000000000000000000000000000001";
const FALSE: &str = "0x0000000000000000000000000000000000000000000000000000000000000000";

fn run(args: &[&str], stdin: &str) -> (bool, String, String) {
    let mut child = Command::new(env!("CARGO_BIN_EXE_rollup-ffi"))
        .args(["execute", "verify"])
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let text = |b: Vec<u8>| String::from_utf8(b).unwrap().trim().to_string();
    (out.status.success(), text(out.stdout), text(out.stderr))
}

#[test]
fn verify_answers_true_false_and_explains() {
    let input = sample_step(ChainConfig::mainnet(Fork::Osaka), 9, 300_000);
    let hex = alloy_primitives::hex::encode_prefixed(input.abi_encode());
    assert_eq!(run(&[], &hex), (true, TRUE.to_string(), String::new()));
    assert_eq!(run(&["--fork", "osaka"], &hex).1, TRUE);

    // The host's fork decides: under Cancun the Osaka block's header has a field too many.
    let (ok, out, err) = run(&["--fork", "cancun", "--explain"], &hex);
    assert!(ok);
    assert_eq!(out, FALSE);
    assert!(err.contains("fork"), "{err}");

    let mut wrong = input;
    wrong.gas_used += 1;
    let hex = alloy_primitives::hex::encode_prefixed(wrong.abi_encode());
    let (_, out, err) = run(&["--explain"], &hex);
    assert_eq!(out, FALSE);
    assert!(err.contains("gas used"), "{err}");
}

#[test]
fn malformed_input_is_a_clear_error() {
    let (ok, _, err) = run(&[], "0xzz");
    assert!(!ok);
    assert!(err.contains("not hex"), "{err}");
    let (ok, out, err) = run(&["--explain"], "0x1234");
    assert!(ok, "malformed ABI is false, as the precompile answers it");
    assert_eq!(out, FALSE);
    assert!(err.contains("abi.encode"), "{err}");
}
