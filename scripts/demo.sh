#!/usr/bin/env bash
# The demo: starts the local data plane, sends the six calls from the native example through
# the C++ library, from C and from Python through the C API, then from the Node example through
# the WebAssembly package, and prints what the data plane stored.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/bootstrap.sh
cmake -S . -B build -DRUDDER_BUILD_TESTS=OFF > /dev/null
cmake --build build -j2 --target native_example c_example > /dev/null
# Python loads the shared library (ctypes).
cmake -S . -B build-shared -DBUILD_SHARED_LIBS=ON -DRUDDER_BUILD_TESTS=OFF -DRUDDER_BUILD_TOOLS=OFF > /dev/null
cmake --build build-shared -j2 > /dev/null
./scripts/build-wasm.sh > /dev/null

# The data plane exits when this script's pipe to it closes, even if the script is killed.
exec 3> >(node tests/dataplane/server.mjs --port 0 --exit-on-stdin-close > build/demo-dataplane.out)
for _ in $(seq 50); do
  url=$(sed -n 's/^dataplane listening on //p' build/demo-dataplane.out 2>/dev/null || true)
  [ -n "$url" ] && break
  sleep 0.1
done
[ -n "$url" ] || { echo "demo: the local data plane did not start" >&2; exit 1; }
echo "local data plane: $url"

echo "== native example"
./build/examples/native_example "$url" test-write-key

echo "== C example (the C API)"
./build/examples/c_example "$url" test-write-key

echo "== Python example (the C API through ctypes, the reference Python SDK's style)"
RUDDER_ANALYTICS_LIBRARY="$PWD/build-shared/platform/librudder_analytics.so" \
  python3 examples/python/six_calls.py "$url" test-write-key

echo "== Node example (WebAssembly package)"
node examples/node/six_calls.mjs "$url" test-write-key

echo "== what the data plane stored"
node -e '
  fetch(process.argv[1] + "/_control/events").then((r) => r.json()).then((events) => {
    for (const e of events) console.log(JSON.stringify(e, null, 2));
    console.log(`${events.length} events stored`);
  });' "$url"
exec 3>&-

echo "== browser example (headless Chromium; run it without --smoke to click through it yourself)"
node examples/browser/serve.mjs --smoke
