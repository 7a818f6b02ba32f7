// rudder-analytics js: prints what a browser downloads for this package, and where the bytes
// of the .wasm go. A report, not a test: it exits 0 whether or not the goal is met.
// Copyright the rudder-analytics authors. MIT licence.
//
//   node scripts/size.mjs      (npm run size; build first with ./scripts/build-wasm.sh)
import { readFileSync } from 'node:fs';
import { brotliCompressSync, constants, gzipSync } from 'node:zlib';

// RudderStack's own browser SDK core, gzipped: the size to beat.
const GOAL_BYTES = 33.5 * 1024;
const dist = new URL('../dist/', import.meta.url);
const files = ['index.mjs', 'rudder_analytics.wasm'];  // what a page loads (the size build)

const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const gz = (bytes) => gzipSync(bytes, { level: 9 }).length;
const br = (bytes) => brotliCompressSync(bytes, { params: { [constants.BROTLI_PARAM_QUALITY]: 11 } }).length;

console.log('What a browser downloads (the size build: dist/index.mjs and its .wasm)');
console.log(`${'file'.padEnd(26)}${'raw'.padStart(12)}${'gzip -9'.padStart(12)}${'brotli'.padStart(12)}`);
let total = { raw: 0, gzip: 0, brotli: 0 };
for (const name of files) {
  const bytes = readFileSync(new URL(name, dist));
  const row = { raw: bytes.length, gzip: gz(bytes), brotli: br(bytes) };
  for (const k of Object.keys(total)) total[k] += row[k];
  console.log(`${name.padEnd(26)}${kib(row.raw).padStart(12)}${kib(row.gzip).padStart(12)}${kib(row.brotli).padStart(12)}`);
}
console.log(`${'total'.padEnd(26)}${kib(total.raw).padStart(12)}${kib(total.gzip).padStart(12)}${kib(total.brotli).padStart(12)}`);
console.log(`goal: at most ${kib(GOAL_BYTES)} gzipped (RudderStack's browser SDK core): ` +
  (total.gzip <= GOAL_BYTES ? 'met' : `not met, ${kib(total.gzip - GOAL_BYTES)} over`));

// The .wasm by section, from its binary: id byte, then the section's size as LEB128.
const SECTIONS = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export',
  'start', 'element', 'code', 'data', 'data count'];
function sections(bytes) {
  const out = [];
  let at = 8;  // magic and version
  while (at < bytes.length) {
    const id = bytes[at++];
    let size = 0;
    for (let shift = 0; ; shift += 7) {
      const b = bytes[at++];
      size += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) break;
    }
    out.push({ name: SECTIONS[id] ?? `id ${id}`, bytes: bytes.subarray(at, at + size) });
    at += size;
  }
  return out;
}
console.log('\nrudder_analytics.wasm by section');
for (const { name, bytes } of sections(readFileSync(new URL('rudder_analytics.wasm', dist)))) {
  console.log(`  ${name.padEnd(12)}${kib(bytes.length).padStart(12)} raw${kib(gz(bytes)).padStart(12)} gzipped alone`);
}
const node = readFileSync(new URL('rudder_analytics_node.wasm', dist));
console.log(`\nNode loads the speed build instead (dist/node.mjs, rudder_analytics_node.wasm: ` +
  `${kib(node.length)} raw, ${kib(gz(node))} gzipped), read from disk.`);
