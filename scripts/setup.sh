#!/usr/bin/env bash
# Installs the Debian 12 packages triad needs. Idempotent and quiet; fast when all is present.
#   scripts/setup.sh            build + test dependencies
#   scripts/setup.sh --bench    also the comparison anchors (Python packages, oneTBB, Boost)
set -euo pipefail

# Build and test: toolchain, test frameworks, and the libraries of DESIGN.md's table.
packages=(g++ cmake ninja-build pkg-config libgtest-dev libgmock-dev libbenchmark-dev
          libboost-context-dev libcereal-dev libssl-dev liburing-dev libcurl4-openssl-dev
          clang libclang-rt-14-dev doxygen)
if [[ "${1:-}" == "--bench" ]]; then
  # Comparison anchors: Python's stdlib, gevent and uvloop; oneTBB; Boost.Asio/Fiber/Interprocess.
  packages+=(libtbb-dev libboost-fiber-dev libboost-dev python3 python3-gevent python3-greenlet
             python3-uvloop gnuplot-nox)
fi

missing=()
for p in "${packages[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
    missing+=("$p")
  fi
done
[[ ${#missing[@]} -eq 0 ]] && exit 0

sudo=""
[[ $(id -u) -ne 0 ]] && sudo="sudo"
echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
log="$(mktemp)"
trap 'rm -f "$log"' EXIT
if ! { $sudo apt-get update -qq && \
       $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >"$log" 2>&1; then
  cat "$log" >&2
  echo "setup: apt-get failed (see above)" >&2
  exit 1
fi
