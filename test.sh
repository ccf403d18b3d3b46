#!/usr/bin/env bash
# Runs every test: formatting, lints, unit/property/differential tests, and the EEST conformance
# suite through EXECUTE. Installs nothing by hand: cargo fetches what Cargo.lock names.
set -euo pipefail
cd "$(dirname "$0")"

eest="${EEST_DIR:-../shared/eest/blockchain_tests}"

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
cargo test --workspace --locked
if [ -d "$eest" ]; then
  cargo run --locked -q -p challenger -- execute conformance "$eest"
else
  echo "EEST fixtures not found at $eest (set EEST_DIR); conformance not run" >&2
  [ "${CI:-}" = "true" ] && exit 1
fi
