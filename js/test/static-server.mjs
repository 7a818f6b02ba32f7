// rudder-analytics js tests: a tiny static HTTP server for the browser tests: js/dist under
// /dist/ and in-memory pages, on its own port so the page is cross-origin to the data plane.
// Copyright the rudder-analytics authors. MIT licence.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { extname, join, resolve, sep } from 'node:path';

const TYPES = {
  '.wasm': 'application/wasm',  // needed for WebAssembly.compileStreaming
  '.mjs': 'text/javascript',    // module scripts are refused with a non-JavaScript type
  '.js': 'text/javascript',
  '.cjs': 'text/javascript',
  '.html': 'text/html; charset=utf-8',
  '.json': 'application/json',
  '.ts': 'text/plain; charset=utf-8',
};

/**
 * Serves `pages` ({ '/path': html }) and files under `dir` at `/dist/` (or at `/` with
 * `root: true`). Resolves to
 * { url, close() }. `dir` is read per request, so a rebuild of js/dist is picked up.
 */
export async function startStaticServer({ dir, pages = {}, host = '127.0.0.1', port = 0, root = false }) {
  const folder = resolve(dir);
  const server = http.createServer(async (req, res) => {
    const path = new URL(`http://x${req.url}`).pathname;  // normalised: no ".." left
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'text/plain', 'GET only\n');
    if (Object.hasOwn(pages, path)) return send(res, 200, TYPES['.html'], pages[path]);
    const prefix = root ? '/' : '/dist/';
    if (path.startsWith(prefix)) {
      const file = join(folder, path.slice(prefix.length));
      if (!file.startsWith(folder + sep)) return send(res, 403, 'text/plain', 'outside the folder\n');
      try {
        return send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file));
      } catch {
        // falls through to 404: missing file or a directory
      }
    }
    send(res, 404, 'text/plain', 'not found\n');
  });
  await new Promise((ok, fail) => server.once('error', fail).listen(port, host, ok));
  return {
    url: `http://${host}:${server.address().port}`,
    close: () => new Promise((ok) => { server.close(() => ok()); server.closeAllConnections(); }),
  };
}

function send(res, status, type, body) {
  // no-store: js/dist may be rebuilt between runs and a cached copy would hide it. Any origin
  // may load the files: a sandboxed frame's origin is opaque ("null"), and module scripts and
  // fetch() are CORS requests.
  res.writeHead(status, {
    'content-type': type, 'cache-control': 'no-store', 'content-length': Buffer.byteLength(body),
    'access-control-allow-origin': '*',
  });
  res.end(body);
}
