#!/usr/bin/env bash
# The README's test command: sets up, builds (release preset, warnings as errors) and runs
# every unit test, the tour of the seed scenarios in --fast mode, and checks that an installed
# triad works from a separate project with find_package and with pkg-config.
#   scripts/test.sh [preset]    preset: release (default), debug, asan, tsan
set -euo pipefail
cd "$(dirname "$0")/.."
preset="${1:-release}"
jobs="$(nproc)"

scripts/setup.sh
cmake --preset "$preset" >/dev/null
cmake --build --preset "$preset" -j "$jobs"
ctest --preset "$preset" -j "$jobs"

if [[ "$preset" == "release" ]]; then
  if [[ -x "build/$preset/examples/tour" ]]; then
    echo "== tour --fast"
    "build/$preset/examples/tour" --fast
  fi
  echo "== install + consumer"
  scripts/check-install.sh "build/$preset"
fi
