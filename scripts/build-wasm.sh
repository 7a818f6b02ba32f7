#!/usr/bin/env bash
# Builds the WebAssembly target (a size build for browsers, a speed build for Node) and the npm
# package in js/dist/ (and, with --tests, the core's unit tests as wasm). Installs what is
# missing first (Debian's emscripten; the package's npm dev dependencies).
#
#   ./scripts/build-wasm.sh            # the npm package: js/dist/
#   ./scripts/build-wasm.sh --tests    # also build-wasm/tests/core_tests.js
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/bootstrap.sh

tests=OFF
[ "${1:-}" = "--tests" ] && tests=ON

# Emscripten's optimizer needs the acorn module, which Debian ships in /usr/share/nodejs.
export NODE_PATH=/usr/share/nodejs${NODE_PATH:+:$NODE_PATH}
toolchain=/usr/share/emscripten/cmake/Modules/Platform/Emscripten.cmake
# The size build, for browsers (and, with --tests, the core's unit tests built the same way).
cmake -S . -B build-wasm -DCMAKE_TOOLCHAIN_FILE=$toolchain -DCMAKE_BUILD_TYPE=MinSizeRel \
  -DRUDDER_WASM_OPT=-Oz -DRUDDER_WASM_NAME=rudder_analytics -DRUDDER_BUILD_TESTS=$tests > /dev/null
cmake --build build-wasm -j2
# The speed build, for Node.
cmake -S . -B build-wasm-node -DCMAKE_TOOLCHAIN_FILE=$toolchain -DCMAKE_BUILD_TYPE=Release \
  -DRUDDER_WASM_OPT=-O2 -DRUDDER_WASM_NAME=rudder_analytics_node -DRUDDER_BUILD_TESTS=OFF > /dev/null
cmake --build build-wasm-node -j2 --target rudder_wasm

cd js
# npm ci installs exactly what package-lock.json lists; skipped when it already did.
if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  npm ci --no-audit --no-fund --loglevel=error
fi
node scripts/build.mjs ../build-wasm/wasm ../build-wasm-node/wasm
