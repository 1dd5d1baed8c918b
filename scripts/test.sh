#!/usr/bin/env bash
# The test command: set-up, the guest components, a PostgreSQL server on loopback for the store
# tests, then every test of the workspace.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh
make guests
source scripts/postgres.sh
cargo build -p replay-vision
cargo test --workspace --no-fail-fast "$@"
