//! `toolkit demo` runs the whole loop on its embedded devnet (a sequencer under load, a
//! proposer lying once, the watchtower) and exits 0 with the wrong claim rejected by an EXECUTE
//! step and the bonds paid, and a user's ETH makes the bridge's round trip beside it.

use std::process::Command;

#[test]
fn the_demo_rejects_the_wrong_claim_with_one_execute_call() {
    let out = Command::new(env!("CARGO_BIN_EXE_toolkit"))
        .arg("demo")
        .output()
        .unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert!(
        out.status.success(),
        "demo failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&out.stderr)
    );
    for line in [
        "blob batch 0 posted: L2 block 1",
        "claim 2: the proposer says L2 block 8 has hash",
        "claim 2 challenged by the challenger (game 0)",
        "level 1: the challenger disputes blocks (7, 8]",
        "block 8 opened:",
        "EXECUTE step by the challenger",
        "claim 2 rejected",
        "game 0 over: the challenger won",
        "the challenger withdrew 1.5 ETH",
        "claim 3: the proposer says L2 block 8 has hash",
        "done: wrong claim rejected by one EXECUTE call",
        // The bridge round trip beside the dispute.
        "bridge: deposit of 1 ETH for the new L2 account",
        "bridge: the deposit is on the L2",
        "bridge: the account spends 0.1 ETH on the L2",
        "bridge: withdrawal 0 of 0.5 ETH",
        "bridge: message 0 relayed on the L2",
        "bridge: withdrawal 0 paid 0.5 ETH on L1 against claim",
    ] {
        assert!(stdout.contains(line), "missing {line:?} in:\n{stdout}");
    }
    // The second level narrows to the dropped transaction.
    let lie = stdout
        .split("(the proposer will drop transaction ")
        .nth(1)
        .and_then(|rest| rest.split(' ').next())
        .expect("the lie is announced");
    assert!(
        stdout.contains(&format!("the segment is transaction {lie} of block 8")),
        "{stdout}"
    );
    // The watchtower does not challenge the honest claim that follows.
    assert!(!stdout.contains("game 1"), "{stdout}");
}
