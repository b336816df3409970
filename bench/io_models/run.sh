#!/bin/sh
# Load test of the IO-model echo servers (examples/s36_io_models/) for docs/io_models.md.
# Usage: bench/io_models/run.sh BUILD_DIR [CONNS] [SECS] [ROUNDS]
# BUILD_DIR is a build with -DTRIAD_BUILD_BENCH=ON (bench/io_models/bench_io_model in it).
# In each round, every model runs once, side by side: the server pinned to CPU 0, the load
# (/work/shared/tools/echoload.c, closed loop, 32-byte messages) pinned to CPU 1. Prints req/s
# and the server's CPU microseconds per request (utime+stime from /proc/PID/stat) per run.
# CONNS defaults to 100 so that select() works (its fds must stay below FD_SETSIZE = 1024);
# the thread-per-connection server takes 500 as well.
set -eu
B=${1:?build dir}
CONNS=${2:-100}
SECS=${3:-5}
ROUNDS=${4:-3}
MODELS=${MODELS:-"blocking nonblocking select poll epoll io_uring signal"}
SERVER=$B/bench/io_models/bench_io_model
LOAD=/tmp/echoload
SHARED=${SHARED:-$(cd "$(dirname "$0")/../../.." && pwd)/shared}
[ -x $SERVER ] || { echo "no $SERVER: build with -DTRIAD_BUILD_BENCH=ON" >&2; exit 2; }
[ -x $LOAD ] || gcc -O2 -o $LOAD "$SHARED/tools/echoload.c"
TCK=$(getconf CLK_TCK)
PORT=${PORT:-26000}
OUT=/tmp/io_model_srv.$$.out
RES=/tmp/io_model_res.$$.txt
: > $RES
run() {  # model
  model=$1
  PORT=$((PORT + 1))
  taskset -c 0 $SERVER $PORT $model > $OUT 2>&1 &
  pid=$!
  waited=0
  while ! grep -q ready $OUT 2>/dev/null; do
    if [ $waited -ge 300 ] || [ ! -e /proc/$pid/stat ]; then
      echo "$model: server did not start within $((waited / 10)) s: $(cat $OUT)"; kill $pid 2>/dev/null || true; wait $pid 2>/dev/null || true
      return 0
    fi
    sleep 0.1; waited=$((waited + 1))
  done
  [ $waited -lt 20 ] || echo "# $model: ready after $((waited / 10)) s"
  t0=$(awk '{print $14+$15}' /proc/$pid/stat)
  out=$(taskset -c 1 $LOAD 127.0.0.1 $PORT $CONNS $SECS || true)
  if [ ! -e /proc/$pid/stat ]; then echo "$model: server exited: $(cat $OUT)"; return 0; fi
  t1=$(awk '{print $14+$15}' /proc/$pid/stat)
  kill $pid; wait $pid 2>/dev/null || true
  reqs=$(echo "$out" | sed -n 's/.*requests=\([0-9]*\).*/\1/p')
  rps=$(echo "$out" | sed -n 's/.*req_per_s=\([0-9.]*\).*/\1/p')
  cpu=$(awk -v a=$t0 -v b=$t1 -v t=$TCK -v r=${reqs:-0} 'BEGIN{ if (r>0) printf "%.2f", (b-a)/t*1e6/r; else print "nan" }')
  echo "$model rps=$rps cpu_us_per_req=$cpu  [$out]"
  errs=$(echo "$out" | sed -n 's/.*errors=\([0-9]*\).*/\1/p')
  # A run whose load saw errors (failed connects: the shared machine under memory pressure)
  # is shown but left out of the medians.
  if [ "${errs:-1}" = 0 ] && [ "${reqs:-0}" -gt 0 ]; then echo "$model ${rps:-0} $cpu" >> $RES; fi
}
echo "# conns=$CONNS secs=$SECS rounds=$ROUNDS $(date -u +%Y-%m-%dT%H:%MZ)"
for r in $(seq $ROUNDS); do
  echo "# round $r"
  for m in $MODELS; do run $m; done
done
# Medians over the rounds, per model (in the order run).
echo "# medians over the error-free runs of $ROUNDS rounds: model req/s cpu_us_per_req (runs)"
for m in $MODELS; do
  rps=$(awk -v m=$m '$1 == m {print $2}' $RES | sort -n | awk '{a[NR]=$1} END{ if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "nan" }')
  cpu=$(awk -v m=$m '$1 == m {print $3}' $RES | sort -n | awk '{a[NR]=$1} END{ if (NR) print (NR%2 ? a[(NR+1)/2] : (a[NR/2]+a[NR/2+1])/2); else print "nan" }')
  n=$(awk -v m=$m '$1 == m' $RES | wc -l)
  echo "median $m rps=$rps cpu_us_per_req=$cpu ($n runs)"
done
rm -f $OUT $RES
