#!/bin/sh
# Async echo benchmark harness for docs/bench/aio.md: one server thread, side by side.
# Usage: bench/aio_echo/run.sh BUILD_DIR [CONNS] [SECS] [ROUNDS]
# In each round, one after the other: the hand-written epoll server
# (BUILD/bench/echo/bench_echo_epoll), the green echo server (BUILD/bench/echo/bench_echo_green
# PORT epoll server, when built), the triad::aio streams server (BUILD/bench/aio_echo/bench_echo_aio, epoll; and
# io_uring with AIO_URING=1), Boost.Asio's C++20 coroutine server
# (BUILD/bench/aio_echo/bench_echo_asio), and Python asyncio streams on the default loop and on
# uvloop (bench/compare/aio_echo.py). Server pinned to CPU 0, load (/work/shared/tools/echoload.c,
# gcc -O2) pinned to CPU 1. Prints req/s and server CPU microseconds per request
# (utime+stime from /proc/PID/stat) per run, then the medians over the rounds.
set -eu
B=${1:?build dir}
CONNS=${2:-500}
SECS=${3:-5}
ROUNDS=${4:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SHARED=${SHARED:-$(cd "$SRC/.." && pwd)/shared}
LOAD=/tmp/echoload
[ -x $LOAD ] || gcc -O2 -o $LOAD "$SHARED/tools/echoload.c"
TCK=$(getconf CLK_TCK)
PORT=${PORT:-27000}
PY=/usr/bin/python3
OUT=$(mktemp -d /tmp/aio_echo.XXXXXX)
RESULTS=$OUT/results
: > "$RESULTS"
run() {  # name, command (port inserted as {PORT})...
  name=$1; shift
  PORT=$((PORT + 1))
  cmd=$(echo "$*" | sed "s/{PORT}/$PORT/g")
  # shellcheck disable=SC2086
  taskset -c 0 $cmd > "$OUT/srv.out" 2>&1 &
  pid=$!
  waited=0
  while ! grep -q ready "$OUT/srv.out" 2>/dev/null && [ $waited -lt 300 ]; do sleep 0.1; waited=$((waited + 1)); done
  if ! grep -q ready "$OUT/srv.out" 2>/dev/null; then sleep 1; fi  # printed as the wait ran out
  if ! grep -q ready "$OUT/srv.out" 2>/dev/null; then
    echo "$name: did not start: $(cat "$OUT/srv.out")"; kill -KILL $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
    return 0
  fi
  t0=$(awk '{print $14+$15}' /proc/$pid/stat)
  out=$(taskset -c 1 $LOAD 127.0.0.1 $PORT $CONNS $SECS) || true  # exits 1 when a connection failed: reported in [errors=]
  if [ ! -e /proc/$pid/stat ]; then echo "$name: server exited: $(cat "$OUT/srv.out")"; return 0; fi
  t1=$(awk '{print $14+$15}' /proc/$pid/stat)
  kill -KILL $pid; wait $pid 2>/dev/null || true  # KILL: uvloop servers may ignore SIGTERM
  reqs=$(echo "$out" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
  rps=$(echo "$out" | sed -n 's/.*req_per_s=\([0-9.]*\).*/\1/p')
  cpu=$(awk -v a=$t0 -v b=$t1 -v t=$TCK -v r=$reqs 'BEGIN{ if (r>0) printf "%.2f", (b-a)/t*1e6/r; else print "nan" }')
  echo "$name rps=$rps cpu_us_per_req=$cpu  [$out]"
  echo "$name $rps $cpu" >> "$RESULTS"
}
for r in $(seq $ROUNDS); do
  echo "--- round $r"
  run epoll_handwritten $B/bench/echo/bench_echo_epoll {PORT}
  if [ -x $B/bench/echo/bench_echo_green ]; then run green_epoll $B/bench/echo/bench_echo_green {PORT} epoll server; fi
  run triad_aio_epoll $B/bench/aio_echo/bench_echo_aio {PORT} epoll
  if [ "${AIO_URING:-0}" = 1 ]; then run triad_aio_uring $B/bench/aio_echo/bench_echo_aio {PORT} io_uring; fi
  if [ -x $B/bench/aio_echo/bench_echo_asio ]; then run boost_asio $B/bench/aio_echo/bench_echo_asio {PORT}; fi
  run python_asyncio $PY -P $SRC/bench/compare/aio_echo.py {PORT} asyncio
  run python_uvloop $PY -P $SRC/bench/compare/aio_echo.py {PORT} uvloop
done
echo "--- medians over $ROUNDS rounds ($CONNS connections, ${SECS}s, 32-byte messages)"
for name in $(awk '{print $1}' "$RESULTS" | awk '!seen[$0]++'); do
  rps=$(awk -v n=$name '$1==n{print $2}' "$RESULTS" | sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
  cpu=$(awk -v n=$name '$1==n{print $3}' "$RESULTS" | sort -n | awk '{a[NR]=$1} END{print (NR%2) ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2}')
  printf '%-20s median rps=%10.0f  median cpu_us_per_req=%6.2f\n' $name $rps $cpu
done
rm -rf "$OUT"
