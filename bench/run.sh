#!/usr/bin/env bash
# The benchmark: builds bench_native (Release) and runs it against three receivers on
# loopback, each started here and stopped when this script exits:
#   sink             counts requests and answers 200 without reading them: the SDK's own ceiling
#                    (run twice: memory only, then with storage_dir in a temporary directory)
#   data plane       the local data plane with --count-only: auth, gunzip, JSON parse and
#                    validation per the contract, events counted but not kept
#   data plane+store the local data plane as the tests use it, keeping every event
# Prints the caller's cost per track() call and the end-to-end delivered events/s for each.
# Usage: bench/run.sh [events]   (default 1,000,000; the storing run uses a fifth of it)
set -euo pipefail
cd "$(dirname "$0")/.."

events=${1:-1000000}
./scripts/bootstrap.sh
cmake -S . -B build -DCMAKE_BUILD_TYPE=Release > /dev/null
cmake --build build -j2 --target bench_native > /dev/null

# start <name> <first-line prefix> <command...>: runs a server whose stdin is a pipe from this
# script (it exits when the pipe closes, even if this script is killed) and sets $url.
start() {
  local name=$1 prefix=$2; shift 2
  local out="build/bench-$name.out"
  : > "$out"
  exec {fd}> >("$@" > "$out")
  url=""
  for _ in $(seq 100); do
    url=$(sed -n "s/^$prefix //p" "$out")
    [ -n "$url" ] && return 0
    sleep 0.1
  done
  echo "bench: $name did not start" >&2
  exit 1
}

echo "== $(nproc) cores; $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"

start sink "sink listening on" node bench/sink.mjs
./build/bench/bench_native "$url" "sink" "$events"
# The same with storage on: every event also written to a memory-mapped segment file.
storage=$(mktemp -d)
trap 'rm -rf "$storage"' EXIT
./build/bench/bench_native "$url" "sink, storage on" "$events" "$storage"

start counting "dataplane listening on" node tests/dataplane/server.mjs --port 0 --count-only --exit-on-stdin-close
./build/bench/bench_native "$url" "data plane (count only)" "$events"

start storing "dataplane listening on" node tests/dataplane/server.mjs --port 0 --exit-on-stdin-close
./build/bench/bench_native "$url" "data plane (storing)" "$((events / 5))"
