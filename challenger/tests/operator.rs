//! The operator's binary ships without test mode: it cannot be told to believe a lie.

use std::process::Command;

#[test]
fn run_refuses_the_test_mode_lie_flag() {
    let out = Command::new(env!("CARGO_BIN_EXE_challenger"))
        .args([
            "run",
            "--rollup",
            "0x0000000000000000000000000000000000000001",
        ])
        .args(["--lie", "drop:1:0"])
        .output()
        .unwrap();
    assert!(!out.status.success());
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(stderr.contains("unexpected argument '--lie'"), "{stderr}");
}
