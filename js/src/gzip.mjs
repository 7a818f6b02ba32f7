// rudder-analytics js: gzip for request bodies, from the runtime.
// Copyright the rudder-analytics authors. MIT licence.
//
// Node: node:zlib at level 1, on libuv's thread pool, so the event loop (and the calls made on
// it) never waits for compression; CompressionStream costs ten times as much CPU there and
// cannot be told a level. Browsers: CompressionStream.
import { isNode, nodeImport } from './module.mjs';

let loaded = null;

/**
 * Resolves to the runtime's gzip: `(bytes: Uint8Array) => Promise<Uint8Array>`, or null when
 * the runtime has none (bodies then go plain).
 */
export function loadGzip() {
  loaded ??= (async () => {
    const zlib = isNode ? await nodeImport('node:zlib').catch(() => null) : null;
    if (zlib !== null) {
      return (bytes) => new Promise((resolve, reject) => {
        zlib.gzip(bytes, { level: 1 }, (error, out) => (error ? reject(error) : resolve(out)));
      });
    }
    return typeof CompressionStream === 'function' ? viaCompressionStream : null;
  })();
  return loaded;
}

async function viaCompressionStream(bytes) {
  const stream = new CompressionStream('gzip');
  const writer = stream.writable.getWriter();
  writer.write(bytes).catch(() => {});  // errors surface through the reader below
  writer.close().catch(() => {});
  const reader = stream.readable.getReader();
  const chunks = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    chunks.push(value);
    length += value.byteLength;
  }
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.byteLength;
  }
  return out;
}
