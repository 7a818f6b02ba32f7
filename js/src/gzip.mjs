// rudder-analytics js: gzip through the runtime's CompressionStream, where there is one.
// Copyright the rudder-analytics authors. MIT licence.

export const canGzip = () => typeof CompressionStream === 'function';

/** Resolves to the gzip-compressed bytes of `bytes` (a Uint8Array). */
export async function gzip(bytes) {
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
