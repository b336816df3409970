#!/bin/sh
# Echo benchmark harness for docs/bench/net.md.
# Usage: bench/echo/run.sh BUILD_DIR [CONNS] [SECS] [ROUNDS]
# Runs, in each round and side by side: the hand-written epoll server, the Reactor server
# (Watch mode, epoll), the Reactor server (IoWait mode, epoll), and the same two on io_uring.
# Server pinned to CPU 0, load (/work/shared/tools/echoload.c) pinned to CPU 1. Prints req/s
# and server CPU microseconds per request (utime+stime from /proc/PID/stat) per run.
set -eu
B=${1:?build dir}
CONNS=${2:-500}
SECS=${3:-5}
ROUNDS=${4:-3}
LOAD=/tmp/echoload
SHARED=${SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
[ -x $LOAD ] || gcc -O2 -o $LOAD "$SHARED/tools/echoload.c"
TCK=$(getconf CLK_TCK)
PORT=${PORT:-25000}
run() {  # name, binary, args after the port...
  name=$1; bin=$2; shift 2
  PORT=$((PORT + 1))
  taskset -c 0 $bin $PORT "$@" > /tmp/echo_srv.out 2>&1 &
  pid=$!
  for _ in $(seq 50); do grep -q ready /tmp/echo_srv.out 2>/dev/null && break; sleep 0.1; done
  t0=$(awk '{print $14+$15}' /proc/$pid/stat)
  out=$(taskset -c 1 $LOAD 127.0.0.1 $PORT $CONNS $SECS)
  if [ ! -e /proc/$pid/stat ]; then echo "$name: server exited: $(cat /tmp/echo_srv.out)"; return 0; fi
  t1=$(awk '{print $14+$15}' /proc/$pid/stat)
  kill $pid; wait $pid 2>/dev/null || true
  reqs=$(echo "$out" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
  rps=$(echo "$out" | sed -n 's/.*req_per_s=\([0-9.]*\).*/\1/p')
  cpu=$(awk -v a=$t0 -v b=$t1 -v t=$TCK -v r=$reqs 'BEGIN{ if (r>0) printf "%.2f", (b-a)/t*1e6/r; else print "nan" }')
  echo "$name rps=$rps cpu_us_per_req=$cpu  [$out]"
}
for r in $(seq $ROUNDS); do
  run epoll_handwritten $B/bench/echo/bench_echo_epoll
  run reactor_watch_epoll $B/bench/echo/bench_echo_reactor watch epoll
  run reactor_wait_epoll $B/bench/echo/bench_echo_reactor wait epoll
  run reactor_watch_uring $B/bench/echo/bench_echo_reactor watch io_uring
  run reactor_wait_uring $B/bench/echo/bench_echo_reactor wait io_uring
done
