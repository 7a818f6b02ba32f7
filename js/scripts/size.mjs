// rudder-analytics js: prints what a browser downloads for this package, and where the bytes
// of the .wasm go. A report: it exits 0 whether or not the goal is met (test/size.test.mjs
// holds the download under its ceiling, see scripts/download-size.mjs).
// Copyright the rudder-analytics authors. MIT licence.
//
//   node scripts/size.mjs      (npm run size; needs dist/: node scripts/build.mjs)
import { existsSync, readFileSync } from 'node:fs';
import { brotliCompressSync, constants } from 'node:zlib';
import { CEILING_BYTES, DOWNLOAD_FILES as files, GOAL_BYTES, gzipped as gz, measureDownload } from './download-size.mjs';

const dist = new URL('../dist/', import.meta.url);

for (const name of files) {
  if (!existsSync(new URL(name, dist))) {
    console.log(`dist/${name} is missing: build the package first (node scripts/build.mjs)`);
    process.exit(0);
  }
}

const int = (n) => n.toLocaleString('en-US');
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
const both = (n) => `${int(n)} (${kib(n)})`;
const br = (bytes) => brotliCompressSync(bytes, {
  params: { [constants.BROTLI_PARAM_QUALITY]: 11, [constants.BROTLI_PARAM_SIZE_HINT]: bytes.length },
}).length;

console.log('What a browser downloads: dist/index.mjs (minified) and dist/rudder_analytics.wasm');
console.log('bytes; gzip at level 9, brotli at quality 11; each file compressed on its own, as served\n');
const W = [24, 20, 20, 20];
const line = (cells) => console.log(cells.map((c, i) => (i ? String(c).padStart(W[i]) : String(c).padEnd(W[i]))).join(''));
line(['file', 'raw', 'gzip -9', 'brotli']);
const total = { raw: 0, gzip: 0, brotli: 0 };
for (const { name, bytes, raw, gzip } of measureDownload(dist)) {
  const row = { raw, gzip, brotli: br(bytes) };
  for (const k of Object.keys(total)) total[k] += row[k];
  line([name, both(row.raw), both(row.gzip), both(row.brotli)]);
}
line(['total', both(total.raw), both(total.gzip), both(total.brotli)]);
const over = total.gzip - GOAL_BYTES;
console.log(`\ngoal: total gzipped at most ${both(GOAL_BYTES)}, RudderStack's own browser SDK core`);
console.log(`      total gzipped ${both(total.gzip)}: ` +
  (over <= 0 ? `MET, ${both(-over)} under` : `NOT MET, ${both(over)} over (${(100 * over / GOAL_BYTES).toFixed(1)}%)`));
console.log(`ceiling: at most ${both(CEILING_BYTES)} until then (test/size.test.mjs): ` +
  (total.gzip <= CEILING_BYTES ? `${both(CEILING_BYTES - total.gzip)} of room` : `EXCEEDED by ${both(total.gzip - CEILING_BYTES)}`));
if (total.brotli <= GOAL_BYTES) console.log(`      (served with brotli instead: ${both(total.brotli)}, under the goal)`);

// The .wasm by section, from its binary: after the 8-byte magic and version, each section is an
// id byte, its size as unsigned LEB128, then its contents (custom sections start with a name).
const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export',
  'start', 'element', 'code', 'data', 'datacount', 'tag'];
// Sections whose contents start with a count of entries, and what the entries are.
const COUNTED = { type: 'signatures', import: 'imports', function: 'functions', table: 'tables',
  memory: 'memories', global: 'globals', export: 'exports', element: 'segments', code: 'bodies',
  data: 'segments', tag: 'tags' };

function leb(bytes, at) {
  let value = 0;
  for (let shift = 0; ; shift += 7) {
    const b = bytes[at++];
    if (b === undefined) throw new Error('truncated LEB128');
    value += (b & 0x7f) * 2 ** shift;
    if (b < 0x80) return { value, at };
  }
}

function sections(bytes) {
  const magic = bytes.subarray(0, 4).toString('latin1');
  if (magic !== '\0asm') throw new Error('not a WebAssembly binary');
  const out = [];
  let at = 8;
  while (at < bytes.length) {
    const start = at;
    const id = bytes[at++];
    const size = leb(bytes, at);
    at = size.at;
    const body = bytes.subarray(at, at + size.value);
    let name = SECTION_NAMES[id] ?? `unknown (id ${id})`;
    let detail = '';
    if (id === 0) {
      const len = leb(body, 0);
      name = `custom "${body.subarray(len.at, len.at + len.value).toString('utf8')}"`;
    } else if (COUNTED[name] && body.length) {
      detail = `${int(leb(body, 0).value)} ${COUNTED[name]}`;
    }
    at += size.value;
    out.push({ name, detail, total: at - start, body });
  }
  return { header: 8, sections: out };
}

const wasm = readFileSync(new URL('rudder_analytics.wasm', dist));
const { header, sections: parts } = sections(wasm);
console.log(`\nrudder_analytics.wasm by section (${int(wasm.length)} bytes; a section's bytes include its id and size)`);
const S = [22, 10, 9, 16, 22];
const srow = (cells) => console.log(('  ' + cells.map((c, i) => (i === 0 || i === 4 ? String(c).padEnd(S[i]) : String(c).padStart(S[i]))).join('')).trimEnd());
srow(['section', 'bytes', 'share', 'gzip -9 alone', '  contents']);
srow(['(magic, version)', int(header), `${(100 * header / wasm.length).toFixed(1)}%`, '', '']);
for (const { name, detail, total: n, body } of parts) {
  srow([name, int(n), `${(100 * n / wasm.length).toFixed(1)}%`, int(gz(body)), `  ${detail}`]);
}
const sum = header + parts.reduce((a, p) => a + p.total, 0);
if (sum !== wasm.length) console.log(`  (sections add up to ${int(sum)} bytes, not ${int(wasm.length)}: the file is malformed)`);

const nodeWasm = new URL('rudder_analytics_node.wasm', dist);
if (existsSync(nodeWasm)) {
  const node = readFileSync(nodeWasm);
  console.log(`\nNot part of the browser download: Node loads the speed build (dist/node.mjs and ` +
    `rudder_analytics_node.wasm, ${both(node.length)} raw, ${both(gz(node))} gzipped) from disk.`);
}
