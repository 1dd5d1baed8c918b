#!/usr/bin/env bash
# The test command: set-up, the guest components, a PostgreSQL server on loopback for the store
# tests, then every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
make guests
source scripts/postgres.sh
# One build of the binary and every test target, so that both share one feature resolution
# and `cargo test` recompiles nothing.
cargo build --workspace --bins --tests
cargo test --workspace --no-fail-fast "$@"
