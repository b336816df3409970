#!/usr/bin/env bash
# The side-by-side report: builds the release benchmarks, runs every triad benchmark and every
# comparison anchor (Python stdlib/gevent/uvloop with Debian's /usr/bin/python3, oneTBB, Boost)
# on this machine in one run, the median of REPS repetitions each, and rewrites
# docs/benchmarks.md from the results.
#   scripts/bench.sh [--reps N] [--only NAME...]   (NAME: threading, queue, futures, ...)
set -euo pipefail
cd "$(dirname "$0")/.."
reps=3
only=()
while [[ $# -gt 0 ]]; do
  case "$1" in
    --reps) reps="$2"; shift 2 ;;
    --only) shift; while [[ $# -gt 0 && "$1" != --* ]]; do only+=("$1"); shift; done ;;
    *) echo "usage: scripts/bench.sh [--reps N] [--only NAME...]" >&2; exit 2 ;;
  esac
done
wanted() { [[ ${#only[@]} -eq 0 ]] || [[ " ${only[*]} " == *" $1 "* ]]; }

scripts/setup.sh --bench
cmake --preset release >/dev/null
cmake --build --preset release -j "$(nproc)"

out="build/bench-results"
rm -rf "$out" && mkdir -p "$out"
for bin in build/release/bench/bench_*; do
  name="${bin##*/bench_}"
  wanted "$name" || continue
  echo "== bench_$name" >&2
  "$bin" --benchmark_repetitions="$reps" --benchmark_report_aggregates_only=true \
    --benchmark_out="$out/$name.json" --benchmark_out_format=json >"$out/$name.log" 2>&1 ||
    echo "bench_$name failed (see $out/$name.log)" >&2
done
for py in bench/compare/*.py; do
  name="$(basename "$py" .py)"
  wanted "$name" || continue
  echo "== python $name" >&2
  /usr/bin/python3 -P "$py" >"$out/python-$name.txt" 2>&1 || echo "python $name failed" >&2
done
if wanted echo && [[ -x build/release/bench/echo/bench_echo_epoll ]]; then
  echo "== echo servers" >&2
  bench/echo/run.sh build/release 500 3 "$reps" >"$out/echo.txt" 2>&1 || echo "echo failed" >&2
fi
/usr/bin/python3 bench/report.py "$out" "$reps" >docs/benchmarks.md
echo "wrote docs/benchmarks.md from $out" >&2
