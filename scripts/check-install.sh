#!/usr/bin/env bash
# Installs a built triad into a scratch prefix and builds a tiny consumer against it, once with
# CMake's find_package(triad) and once with pkg-config.
set -euo pipefail
build="$1"
root="$(cd "$(dirname "$0")/.." && pwd)"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

cmake --install "$build" --prefix "$work/prefix" >/dev/null

cmake -S "$root/tests/install" -B "$work/cmake-build" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" >/dev/null
cmake --build "$work/cmake-build" >/dev/null
"$work/cmake-build/consumer"

export PKG_CONFIG_PATH="$work/prefix/lib/pkgconfig:$work/prefix/lib/x86_64-linux-gnu/pkgconfig"
# shellcheck disable=SC2046
g++ "$root/tests/install/consumer.cpp" -o "$work/consumer-pc" $(pkg-config --cflags --libs triad)
"$work/consumer-pc"
echo "install: find_package and pkg-config consumers OK"
