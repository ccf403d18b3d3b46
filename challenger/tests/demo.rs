//! `challenger demo` runs the whole loop on its embedded devnet and exits 0 with the wrong claim
//! rejected by an EXECUTE step.

use std::process::Command;

#[test]
fn the_demo_rejects_the_wrong_claim_with_one_execute_call() {
    let out = Command::new(env!("CARGO_BIN_EXE_challenger"))
        .arg("demo")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(stdout.contains("proposer: claims block 6"), "{stdout}");
    assert!(
        stdout.contains("challenger's EXECUTE call proves it runs"),
        "{stdout}"
    );
    assert!(stdout.contains("done: wrong claim rejected"), "{stdout}");
}
