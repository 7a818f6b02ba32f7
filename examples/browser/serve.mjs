// Serves the browser example (index.html and js/dist) and starts the local data plane beside it.
// Usage: node examples/browser/serve.mjs [--port 8000] [--plane-port 8001] [--smoke]
//        --smoke: load the page in headless Chromium, click "track", check the event arrives, exit.
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import { createRequire } from 'node:module';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { startDataPlane } from '../../tests/dataplane/server.mjs';

const HERE = fileURLToPath(new URL('.', import.meta.url));
const DIST = resolve(HERE, '../../js/dist');
const WRITE_KEY = 'test-write-key';  // the local data plane's default key
const TYPES = { '.html': 'text/html; charset=utf-8', '.mjs': 'text/javascript', '.js': 'text/javascript',
  '.cjs': 'text/javascript', '.wasm': 'application/wasm', '.json': 'application/json' };

const { values: args } = parseArgs({
  options: { port: { type: 'string' }, 'plane-port': { type: 'string' }, smoke: { type: 'boolean', default: false } },
});
// A smoke run takes free ports so it never clashes with a demo server left running.
const pagePort = Number(args.port ?? (args.smoke ? 0 : 8000));
const planePort = Number(args['plane-port'] ?? (args.smoke ? 0 : 8001));

const plane = await startDataPlane({ port: planePort, writeKeys: [WRITE_KEY] });
const config = JSON.stringify({ dataPlaneUrl: plane.url, writeKey: WRITE_KEY });

// Two ports on purpose: the page is cross-origin to the data plane, as on a real site.
const INDEX = join(HERE, 'index.html');
const site = http.createServer(async (req, res) => {
  const path = new URL(`http://x${req.url}`).pathname;  // normalised: no ".." left
  if (path === '/config.json') return send(res, 200, TYPES['.json'], config);
  const file = path === '/' || path === '/index.html' ? INDEX
    : path.startsWith('/dist/') ? join(DIST, path.slice('/dist/'.length)) : null;
  if (file === INDEX || file?.startsWith(DIST + sep)) {
    try {
      return send(res, 200, TYPES[extname(file)] ?? 'application/octet-stream', await readFile(file));
    } catch {
      // not there (js/dist not built?): a 404 below
    }
  }
  send(res, 404, 'text/plain', 'not found\n');
});
await new Promise((ok, fail) => site.once('error', fail).listen(pagePort, '127.0.0.1', ok));
const pageUrl = `http://127.0.0.1:${site.address().port}/`;

function send(res, status, type, body) {
  res.writeHead(status, { 'content-type': type, 'cache-control': 'no-store' });
  res.end(body);
}

async function stop(code = 0) {
  site.closeAllConnections();
  site.close();
  await plane.close();
  process.exit(code);
}

if (args.smoke) {
  await smoke().then(() => stop(0), (error) => {
    console.error(`browser example: FAILED: ${error.message}`);
    return stop(1);
  });
} else {
  console.log(`data plane: ${plane.url}  (events: ${plane.url}/_control/events)`);
  console.log(`example:    ${pageUrl}`);
  console.log('Ctrl-C to stop');
  process.on('SIGINT', () => stop(0));
  process.on('SIGTERM', () => stop(0));
}

// playwright-core is a dev dependency of js/, loaded only here so serving needs no npm packages.
async function smoke() {
  const require = createRequire(join(HERE, '../../js/package.json'));
  const playwright = await import(pathToFileURL(require.resolve('playwright-core')).href);
  const { chromium } = playwright.default ?? playwright;
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--no-first-run'],
  });
  try {
    const page = await browser.newPage();
    const problems = [];
    page.on('pageerror', (error) => problems.push(error.message));
    page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
    page.on('response', (r) => { if (!r.ok()) problems.push(`HTTP ${r.status()} ${r.url()}`); });
    await page.goto(pageUrl);
    await page.waitForSelector('body[data-ready]', { timeout: 10_000 }).catch(() => {
      throw new Error(`the page did not get ready: ${problems.join('; ') || 'no error shown'}`);
    });
    await page.click('#track');
    // Delivered by the client's upload interval (500 ms), no flush needed.
    const deadline = Date.now() + 10_000;
    while (!plane.state.events.some((e) => e.type === 'track' && e.channel === 'web')) {
      if (Date.now() > deadline) throw new Error('the track event did not reach the data plane in 10 s');
      await new Promise((r) => setTimeout(r, 50));
    }
    console.log(`browser example: ${plane.state.events.length} events stored`);
  } finally {
    await browser.close();
  }
}
