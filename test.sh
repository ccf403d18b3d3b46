#!/usr/bin/env bash
# Runs every test: formatting, lints, unit/property/differential tests, the devnet driven by real
# Foundry `cast` and `forge script`, viem and ethers (clients/dapp.mjs) on the devnet and the L2, the end-to-end demo and standalone network, every dispute
# fixture replayed, the contracts' Foundry tests, and the EEST conformance suite through EXECUTE. Installs what it needs: cargo fetches what Cargo.lock names, npm the pinned
# Foundry, solc-js and forge-std of package.json.
set -euo pipefail
cd "$(dirname "$0")"

eest="${EEST_DIR:-../shared/eest/blockchain_tests}"

npm install --no-audit --no-fund --loglevel=error
# The platform packages' binaries: node_modules/.bin/{cast,forge} are npm wrappers that exit 0
# whatever the tool returns, so no check through them could fail.
foundry() { ls "$PWD"/node_modules/@foundry-rs/"$1"-*/bin/"$1" | head -n 1; }
CAST="$(foundry cast)" FORGE="$(foundry forge)"
export CAST FORGE
# Tests the gas snapshot leaves out (see the snapshot check below).
SNAPSHOT_SKIP="^(testFuzz|invariant)_"
"$FORGE" --version

cargo fmt --all --check
cargo clippy --workspace --all-targets --locked -- -D warnings
# The operator's binaries as they ship, without test mode (the `lies` feature).
cargo clippy --locked -p challenger -p sequencer --bins -- -D warnings
cargo test --workspace --locked
# The contracts' tests reach the Rust side (EXECUTE, blob proofs) through `rollup-ffi` by vm.ffi.
cargo build --locked -q -p rollup-ffi
# Every dispute fixture, replayed end to end on an embedded devnet with the contracts and EXECUTE.
cargo run --locked -q -p toolkit -- replay fixtures/
# The largest steps the rules include, again with EXECUTE at the price the rules guarantee (2):
# each still fits one L1 transaction (2^24 gas).
cargo run --locked -q -p toolkit -- replay --execute-price 2 fixtures/largest-candidate.json \
  fixtures/largest-step.json fixtures/largest-step-and-gas.json
# Compiled artifacts the Rust side embeds must match the sources; gas snapshots must match. Fuzz and
# invariant campaigns are left out of the snapshot: their gas is an average over generated inputs,
# which a local fuzz cache changes, not the cost of any call a user makes.
(cd contracts && "$FORGE" fmt --check && "$FORGE" build && node artifacts.js check &&
  FORGE_SNAPSHOT_CHECK=true "$FORGE" snapshot --check --no-match-test "$SNAPSHOT_SKIP")
if [ -d "$eest" ]; then
  cargo run --locked -q -p toolkit -- execute conformance "$eest"
else
  echo "EEST fixtures not found at $eest (set EEST_DIR); conformance not run" >&2
  [ "${CI:-}" = "true" ] && exit 1
fi
