#!/usr/bin/env bash
# Builds the libFuzzer targets of fuzz/ with clang (ASan+UBSan) and runs each for a bounded
# time from its committed seed corpus (fuzz/corpus/<target>/; new inputs go to a scratch copy,
# the committed corpus is not modified). Exits non-zero if any target crashes, leaks, trips a
# sanitizer or times out on an input; the reproducer is left in build/fuzz/artifacts/.
#   scripts/fuzz.sh [SECONDS]        (default 60 s per target; 3 targets)
set -euo pipefail
cd "$(dirname "$0")/.."
secs="${1:-60}"
build=build/fuzz
cmake -S fuzz -B "$build" -G Ninja -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$build" -j 2
mkdir -p "$build/artifacts"
status=0
for target in connection_frame manager_request manager_handshake; do
  work="$build/corpus/$target"
  rm -rf "$work" && mkdir -p "$work"
  echo "== fuzz_$target for ${secs}s" >&2
  # A fixed seed (FUZZ_SEED) makes a CI run replayable; set another one to explore.
  if ! "$build/fuzz_$target" -seed="${FUZZ_SEED:-1}" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
      -print_final_stats=1 -artifact_prefix="$build/artifacts/${target}-" "$work" "fuzz/corpus/$target" \
      2>"$build/$target.log"; then
    echo "FAILED: fuzz_$target (see $build/$target.log and $build/artifacts/)" >&2
    tail -40 "$build/$target.log" >&2
    status=1
  else
    grep -E "^stat::number_of_executed_runs|^#[0-9]+.*DONE" "$build/$target.log" | tail -2 >&2 || true
  fi
done
exit "$status"
