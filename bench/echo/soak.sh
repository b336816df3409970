#!/bin/sh
# The green server soak test of issue 4 (bench/echo/green_soak.cpp): N concurrent connections
# (default 10,000) with resets and garbage; no crash, every well-behaved client served, no fd
# leak. Run it on each build (release, ASan+UBSan, TSan) with the bench target built:
#   ninja -C BUILD bench_echo_soak && bench/echo/soak.sh BUILD [N]
# Sanitizer builds: ASAN_OPTIONS/TSAN_OPTIONS make any report fatal (exit status != 0).
set -eu
B=${1:?build dir}
N=${2:-10000}
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:halt_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
export TSAN_OPTIONS=${TSAN_OPTIONS:-halt_on_error=1:second_deadlock_stack=1}
start=$(date +%s)
"$B/bench/echo/bench_echo_soak" "$N"
echo "soak: $N connections on $B passed in $(( $(date +%s) - start )) s"
