//! What the toolkit's command-line tests share.

use std::process::Command;

/// Runs the toolkit binary with `args`: whether it succeeded, and what it printed (stdout, then
/// stderr).
pub(crate) fn toolkit(args: &[&str]) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_toolkit"))
        .args(args)
        .output()
        .unwrap();
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    (out.status.success(), text)
}
