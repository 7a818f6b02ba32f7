#!/usr/bin/env bash
# Installs what building and testing both targets needs, from Debian's packages only:
# the native SDK's compilers and libraries, Emscripten for the WebAssembly target, Node and
# npm for the package, Chromium for the browser test.
# Idempotent: installs nothing when everything is already there.
set -euo pipefail

packages=(cmake g++ make pkg-config libcurl4-openssl-dev nlohmann-json3-dev libdeflate-dev
          googletest libgtest-dev nodejs emscripten chromium clang libclang-rt-14-dev openssl python3)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
# Some machines' nodejs (NodeSource's) brings npm itself and conflicts with Debian's npm.
command -v npm > /dev/null || missing+=(npm)
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "bootstrap: missing Debian packages: ${missing[*]}" >&2
  echo "bootstrap: install them with: sudo apt-get install -y ${missing[*]}" >&2
  exit 1
fi
echo "bootstrap: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
