#!/bin/sh
# Echo benchmark harness for docs/bench/net.md and docs/bench/green.md: one server thread,
# every server side by side in one run.
# Usage: bench/echo/run.sh BUILD_DIR [CONNS] [SECS] [ROUNDS]
# Environment:
#   SERVERS  which servers to run, in this order (default: all that exist):
#     epoll          hand-written epoll server (BUILD/bench/echo/bench_echo_epoll), the baseline
#     green_epoll    triad::green StreamServer, one green thread per connection, epoll hub
#     green_uring    the same on the io_uring backend
#     green_spawn    the green server with a plain accept + spawn loop (epoll)
#     gevent         gevent's StreamServer (bench/compare/gevent_echo.py, /usr/bin/python3 -P)
#     aio, asio      triad::aio streams and Boost.Asio coroutines (BUILD/bench/aio_echo/,
#                    or AIO_BUILD/bench/aio_echo/ if that build dir has them)
#     asyncio, uvloop  Python asyncio streams on the default loop and on uvloop
#                    (bench/compare/aio_echo.py, /usr/bin/python3 -P)
#     reactor_watch_epoll reactor_wait_epoll reactor_watch_uring reactor_wait_uring
#                    the triad::net Reactor servers (bench_echo_reactor, docs/bench/net.md)
#   AIO_BUILD  another build dir to take bench_echo_aio/bench_echo_asio from (default BUILD_DIR)
# Server pinned to CPU 0, load (/work/shared/tools/echoload.c, gcc -O2) pinned to CPU 1. Prints
# per run: req/s; server CPU microseconds per request (utime+stime from /proc/PID/stat) in the
# steady state, i.e. from the moment the server holds all CONNS connections (echoload connects
# them all before its clock starts) to the end; and the server CPU spent before that (accepting
# and setting up the connections) per connection. Then the medians over the rounds and each
# server's ratios to the hand-written epoll server.
set -eu
B=$(cd "${1:?build dir}" && pwd)
CONNS=${2:-500}
SECS=${3:-5}
ROUNDS=${4:-3}
HERE=$(cd "$(dirname "$0")" && pwd)
SRC=$(cd "$HERE/../.." && pwd)
SHARED=${SHARED:-$(cd "$SRC/.." && pwd)/shared}
AIO_BUILD=${AIO_BUILD:-$B}
LOAD=/tmp/echoload
[ -x $LOAD ] || gcc -O2 -o $LOAD "$SHARED/tools/echoload.c"
# Thousands of connections: both ends need the fds (the load generator holds CONNS, the server
# CONNS plus a few).
ulimit -n 20000 2>/dev/null || ulimit -n "$(ulimit -Hn)"
TCK=$(getconf CLK_TCK)
PORT=${PORT:-25000}
OUT=$(mktemp -d /tmp/echo_run.XXXXXX)
RESULTS=$OUT/results
: > "$RESULTS"

cmd_of() {  # server name -> command line ({PORT} is replaced), or nothing if unavailable
  case $1 in
    epoll) echo "$B/bench/echo/bench_echo_epoll {PORT}" ;;
    green_epoll) [ -x "$B/bench/echo/bench_echo_green" ] && echo "$B/bench/echo/bench_echo_green {PORT} epoll server" ;;
    green_uring) [ -x "$B/bench/echo/bench_echo_green" ] && echo "$B/bench/echo/bench_echo_green {PORT} io_uring server" ;;
    green_spawn) [ -x "$B/bench/echo/bench_echo_green" ] && echo "$B/bench/echo/bench_echo_green {PORT} epoll spawn" ;;
    gevent) /usr/bin/python3 -c 'import gevent' 2>/dev/null && echo "/usr/bin/python3 -P $SRC/bench/compare/gevent_echo.py {PORT}" ;;
    aio) [ -x "$AIO_BUILD/bench/aio_echo/bench_echo_aio" ] && echo "$AIO_BUILD/bench/aio_echo/bench_echo_aio {PORT}" ;;
    asyncio) echo "/usr/bin/python3 -P $SRC/bench/compare/aio_echo.py {PORT} asyncio" ;;
    uvloop) /usr/bin/python3 -c 'import uvloop' 2>/dev/null && echo "/usr/bin/python3 -P $SRC/bench/compare/aio_echo.py {PORT} uvloop" ;;
    asio) [ -x "$AIO_BUILD/bench/aio_echo/bench_echo_asio" ] && echo "$AIO_BUILD/bench/aio_echo/bench_echo_asio {PORT}" ;;
    reactor_watch_epoll) echo "$B/bench/echo/bench_echo_reactor {PORT} watch epoll" ;;
    reactor_wait_epoll) echo "$B/bench/echo/bench_echo_reactor {PORT} wait epoll" ;;
    reactor_watch_uring) echo "$B/bench/echo/bench_echo_reactor {PORT} watch io_uring" ;;
    reactor_wait_uring) echo "$B/bench/echo/bench_echo_reactor {PORT} wait io_uring" ;;
    *) echo "unknown server $1" >&2 ;;
  esac
  return 0
}

run() {  # name, command
  name=$1; cmd=$2
  PORT=$((PORT + 1))
  cmd=$(echo "$cmd" | sed "s/{PORT}/$PORT/g")
  # shellcheck disable=SC2086
  taskset -c 0 $cmd > "$OUT/srv.out" 2>&1 &
  pid=$!
  for _ in $(seq 100); do grep -q ready "$OUT/srv.out" 2>/dev/null && break; sleep 0.1; done
  ts=$(awk '{print $14+$15}' /proc/$pid/stat)
  taskset -c 1 $LOAD 127.0.0.1 $PORT "$CONNS" "$SECS" > "$OUT/load.out" &
  lpid=$!
  # Steady state: the CPU clock starts once the server holds every connection (echoload
  # connects all of them first, then starts its own clock). Setup is reported separately.
  i=0
  while [ "$(ls /proc/$pid/fd 2>/dev/null | wc -l)" -lt "$CONNS" ] && [ $i -lt 600 ]; do
    sleep 0.05; i=$((i + 1))
  done
  t0=$(awk '{print $14+$15}' /proc/$pid/stat 2>/dev/null || echo 0)
  wait $lpid || true
  out=$(cat "$OUT/load.out")
  if [ ! -e /proc/$pid/stat ]; then echo "$name: server exited: $(cat "$OUT/srv.out")"; return 0; fi
  t1=$(awk '{print $14+$15}' /proc/$pid/stat)
  kill -KILL $pid; wait $pid 2>/dev/null || true  # KILL: a uvloop server may ignore SIGTERM
  reqs=$(echo "$out" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
  rps=$(echo "$out" | sed -n 's/.*req_per_s=\([0-9.]*\).*/\1/p')
  cpu=$(awk -v a="$t0" -v b="$t1" -v t="$TCK" -v r="$reqs" 'BEGIN{ if (r>0) printf "%.2f", (b-a)/t*1e6/r; else print "nan" }')
  setup=$(awk -v a="$ts" -v b="$t0" -v t="$TCK" -v c="$CONNS" 'BEGIN{ printf "%.1f", (b-a)/t*1e6/c }')
  echo "$name rps=$rps cpu_us_per_req=$cpu setup_cpu_us_per_conn=$setup  [$out]"
  echo "$name $rps $cpu $setup" >> "$RESULTS"
}

ALL="epoll green_epoll green_uring green_spawn gevent aio asio asyncio uvloop reactor_watch_epoll reactor_wait_epoll reactor_watch_uring reactor_wait_uring"
SERVERS=${SERVERS:-$ALL}
echo "# bench/echo/run.sh $B conns=$CONNS secs=$SECS rounds=$ROUNDS  $(date -u +%FT%TZ)"
for r in $(seq "$ROUNDS"); do
  for s in $SERVERS; do
    c=$(cmd_of "$s")
    [ -n "$c" ] || { [ "$r" = 1 ] && echo "$s: not built, skipped"; continue; }
    run "$s" "$c"
  done
done
echo "# medians over $ROUNDS rounds (conns=$CONNS): req/s, steady-state server CPU us/request, ratios to epoll, setup CPU us/connection"
awk '
  { rps[$1] = rps[$1] " " $2; cpu[$1] = cpu[$1] " " $3; su[$1] = su[$1] " " $4
    if (!($1 in seen)) { seen[$1] = 1; order[++n] = $1 } }
  function median(s,   a, k, i, j, t) {
    k = split(s, a, " ")
    for (i = 1; i <= k; i++) for (j = i + 1; j <= k; j++) if (a[j] + 0 < a[i] + 0) { t = a[i]; a[i] = a[j]; a[j] = t }
    return k % 2 ? a[(k + 1) / 2] : (a[k / 2] + a[k / 2 + 1]) / 2
  }
  END {
    if ("epoll" in seen) { base_r = median(rps["epoll"]); base_c = median(cpu["epoll"]) }
    for (i = 1; i <= n; i++) {
      s = order[i]; r = median(rps[s]); c = median(cpu[s]); u = median(su[s])
      if (base_r > 0 && base_c > 0)
        printf "%-20s %10.0f req/s  %6.2f us/req   %.2fx req/s  %.2fx cpu   setup %6.1f us/conn\n", s, r, c, r / base_r, c / base_c, u
      else
        printf "%-20s %10.0f req/s  %6.2f us/req   setup %6.1f us/conn\n", s, r, c, u
    }
  }' "$RESULTS"
rm -rf "$OUT"
