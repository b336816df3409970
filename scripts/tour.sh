#!/usr/bin/env bash
# The README's first command: sets up, builds (release) and runs the tour of the seed
# scenarios. Extra arguments go to the tour (e.g. --list, --fast, S01 S24).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)" --target tour
exec build/release/examples/tour "$@"
