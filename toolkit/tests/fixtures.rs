//! The dispute fixtures: the committed files are what their scenarios generate, a malformed
//! fixture is refused naming the field, and a replay whose outcome differs from the fixture's
//! expectation fails.

mod common;

use std::path::PathBuf;

use common::toolkit;

fn fixtures() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures")
}

#[test]
fn committed_fixtures_are_what_their_scenarios_generate() {
    let dir = fixtures();
    let scenarios = dir.join("scenarios.toml");
    let (ok, out) = toolkit(&[
        "fixtures",
        "generate",
        "--check",
        "--scenarios",
        scenarios.to_str().unwrap(),
        "--out",
        dir.to_str().unwrap(),
    ]);
    assert!(ok, "{out}");
    let count = std::fs::read_to_string(&scenarios)
        .unwrap()
        .matches("[[scenario]]")
        .count();
    assert!(
        out.contains(&format!("{count} fixtures match their scenarios")),
        "{out}"
    );
}

/// The fixture `name` with `edit` applied to its JSON, written to a temporary file.
fn edited(name: &str, edit: impl FnOnce(&mut serde_json::Value)) -> (tempfile::TempDir, PathBuf) {
    let text = std::fs::read_to_string(fixtures().join(format!("{name}.json"))).unwrap();
    let mut json: serde_json::Value = serde_json::from_str(&text).unwrap();
    edit(&mut json);
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("{name}.json"));
    std::fs::write(&path, serde_json::to_string(&json).unwrap()).unwrap();
    (dir, path)
}

#[test]
fn a_malformed_fixture_is_refused_naming_the_field() {
    type Edit = fn(&mut serde_json::Value);
    let cases: [(&str, Edit); 8] = [
        ("rules.degree", |j| {
            j["rules"].as_object_mut().unwrap().remove("degree");
        }),
        ("batches[1].blocks[0].timestamp", |j| {
            j["batches"][1]["blocks"][0]["timestamp"] = "soon".into();
        }),
        ("proposer.lie", |j| {
            j["proposer"]["lie"] = "drop:99:0".into()
        }),
        ("batches[0]", |j| j["batches"][0]["payload"] = "0x01".into()),
        // Byte 0 at 0x73 can put an element above the modulus; a short list covers no blob.
        ("batches[1].firstBytes", |j| {
            j["batches"][1]["firstBytes"] = format!("0x{}", "73".repeat(4096)).into()
        }),
        ("batches[1].firstBytes", |j| {
            j["batches"][1]["firstBytes"] = "0x0102".into()
        }),
        ("challenger.count", |j| j["challenger"]["count"] = 4.into()),
        // An honest challenger has no leaf it cannot prove, so nothing to forge.
        ("challenger.forge", |j| {
            j["challenger"]["forge"] = "inject-ancestors".into()
        }),
    ];
    for (field, edit) in cases {
        let (_dir, path) = edited("honest-run", edit);
        let (ok, out) = toolkit(&["replay", path.to_str().unwrap()]);
        assert!(!ok, "{field}: {out}");
        assert!(out.contains(&format!("field `{field}`")), "{field}: {out}");
        assert!(out.contains("0 passed, 1 failed"), "{out}");
    }
}

/// A forged step the contract accepted, or no forgery where one is expected, fails the replay.
#[test]
fn a_forgery_that_is_not_refused_as_expected_fails_the_replay() {
    let (_dir, path) = edited("forged-candidate-step", |j| {
        j["expect"]["forgeries"][0]["error"] = "WrongOutcome".into();
    });
    let (ok, out) = toolkit(&["replay", path.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("expect.forgeries: expected") && out.contains("\"error\":\"NotOneRlpList\""),
        "{out}"
    );
}

#[test]
fn a_replay_that_differs_from_the_expectation_fails() {
    let (_dir, path) = edited("dropped-transaction", |j| {
        j["expect"]["games"][0]["position"] = 2.into();
    });
    let (ok, out) = toolkit(&["replay", path.to_str().unwrap()]);
    assert!(!ok, "{out}");
    assert!(
        out.contains("expect.games[0]: expected") && out.contains("\"position\":3"),
        "{out}"
    );
    assert!(out.contains("0 passed, 1 failed"), "{out}");
}
