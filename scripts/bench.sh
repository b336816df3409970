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
echo "started $(date -u '+%F %H:%M') UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)" >"$out/run.txt"
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
  [[ "$name" == *_echo ]] && continue  # servers for the echo harness below, not benchmarks
  wanted "$name" || continue
  echo "== python $name" >&2
  /usr/bin/python3 -P "$py" >"$out/python-$name.txt" 2>&1 || echo "python $name failed" >&2
done
# Load-test harnesses: each writes "<server> rps=... cpu_us_per_req=..." lines per round.
harness() {  # result name, then the command
  local name="$1"; shift
  echo "== $name: $*" >&2
  echo "$*" >"$out/$name.cmd"
  "$@" >"$out/$name.txt" 2>&1 || echo "$name failed (see $out/$name.txt)" >&2
}
if wanted echo && [[ -x build/release/bench/echo/bench_echo_epoll ]]; then
  harness echo bench/echo/run.sh build/release 500 3 "$reps"
  harness echo5000 bench/echo/run.sh build/release 5000 3 "$reps"
fi
if wanted io_models && [[ -x bench/io_models/run.sh ]]; then
  harness io_models bench/io_models/run.sh build/release 100 3 "$reps"
fi
echo "ended $(date -u '+%H:%M') UTC, load average $(cut -d' ' -f1-3 /proc/loadavg)" >>"$out/run.txt"
/usr/bin/python3 bench/report.py "$out" "$reps" docs/benchmarks.png >docs/benchmarks.md
echo "wrote docs/benchmarks.md from $out" >&2
