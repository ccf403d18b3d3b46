//! Every committed fixture reads with the format crate alone, and writes back byte for byte.

use std::path::PathBuf;

use fixture_format::{Fixture, FixtureError};

fn committed() -> Vec<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../fixtures");
    let mut files: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.extension().is_some_and(|e| e == "json"))
        .collect();
    files.sort();
    files
}

#[test]
fn committed_fixtures_load_and_round_trip() {
    let files = committed();
    assert!(files.len() >= 20, "{} fixtures", files.len());
    for file in files {
        let fixture = Fixture::load(&file).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let text = std::fs::read_to_string(&file).unwrap();
        assert_eq!(fixture.to_json(), text, "{}", file.display());
    }
}

#[test]
fn a_bad_field_is_named() {
    let file = &committed()[0];
    let mut json: serde_json::Value =
        serde_json::from_str(&std::fs::read_to_string(file).unwrap()).unwrap();
    json["proposer"]["lie"] = "drop:x:1".into();
    let err = Fixture::parse(&json.to_string()).unwrap_err();
    let FixtureError::Field { field, message } = err else {
        panic!("{err}");
    };
    assert_eq!(field, "proposer.lie");
    assert!(message.contains("any-batch-version"), "{message}");
}
