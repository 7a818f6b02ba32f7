#!/usr/bin/env bash
# Makes a private CA and a certificate it signed for localhost / 127.0.0.1, for the local data
# plane's TLS mode (server.mjs --tls-cert --tls-key): DIR/ca.pem, DIR/server.pem and
# DIR/server-key.pem. Valid for two days; made afresh by each test that needs them.
#   tests/dataplane/make-test-certs.sh DIR
set -euo pipefail
dir=${1:?usage: make-test-certs.sh DIR}
mkdir -p "$dir"
cd "$dir"
ec=(-newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes)
openssl req -x509 "${ec[@]}" -keyout ca-key.pem -out ca.pem -days 2 -subj "/CN=rudder-analytics test CA" \
  -addext "basicConstraints=critical,CA:TRUE" -addext "keyUsage=critical,keyCertSign,cRLSign" 2> /dev/null
openssl req "${ec[@]}" -keyout server-key.pem -out server.csr -subj "/CN=localhost" 2> /dev/null
printf '%s\n' "subjectAltName=DNS:localhost,IP:127.0.0.1" "basicConstraints=CA:FALSE" \
  "keyUsage=digitalSignature" "extendedKeyUsage=serverAuth" > server.ext
openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -days 2 \
  -extfile server.ext -out server.pem 2> /dev/null
rm -f server.csr server.ext ca.srl
