// rudder-analytics js tests: the package as an app's dependency, installed from `npm pack` and
// bundled by esbuild, Vite (build and dev server) and webpack 5 with their defaults, each app
// served and delivering from headless Chromium; and an esbuild bundle for Node run from
// another folder.
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { copyFile, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import * as esbuild from 'esbuild';
import webpack from 'webpack';
import { browserTests } from './chromium.mjs';
import { REPO, WRITE_KEY } from './helpers.mjs';
import { startStaticServer } from './static-server.mjs';

const run = promisify(execFile);
const browser = browserTests();
const PKG = join(REPO, 'js');

// What an app's author writes: the package imported by name, nothing configured.
const APP = `import { Analytics } from 'rudder-analytics-wasm';
window.sendOne = async (settings) => {
  const analytics = await Analytics.create(settings);
  const { messageId } = analytics.track({ userId: 'u', event: 'Bundled' });
  const outcome = await analytics.close();
  return { messageId, outcome };
};
`;
// The same app written with require(), as the README's example allows.
const REQUIRING_APP = APP.replace("import { Analytics } from 'rudder-analytics-wasm';", "const { Analytics } = require('rudder-analytics-wasm');");
const PAGE = (script) => `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>app</title>
<script type="module" src="${script}"></script>`;

let app;  // a folder with the packed package installed in node_modules
before(async () => {
  app = await mkdtemp(join(tmpdir(), 'rudder-app-'));
  // --ignore-scripts: dist/ is built (and checked fresh by package.test.mjs); prepack would rebuild
  // it while other test files load it.
  const { stdout } = await run('npm', ['pack', '--silent', '--ignore-scripts', '--pack-destination', app], { cwd: PKG });
  const installed = join(app, 'node_modules', 'rudder-analytics-wasm');
  await mkdir(installed, { recursive: true });
  await run('tar', ['-xzf', join(app, stdout.trim()), '-C', installed, '--strip-components=1']);
  await mkdir(join(app, 'src'));
  await writeFile(join(app, 'src', 'main.js'), APP);
  await writeFile(join(app, 'src', 'required.js'), REQUIRING_APP);
  await writeFile(join(app, 'index.html'), PAGE('/src/main.js'));
});
after(async () => { if (app) await rm(app, { recursive: true, force: true }); });

// Opens `url` in Chromium, calls sendOne, and checks the event reached the data plane.
async function deliversFrom(url) {
  const page = await browser.context.newPage();
  const problems = [];
  page.on('pageerror', (e) => problems.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(m.text()); });
  await page.goto(url);
  await page.waitForFunction(() => typeof window.sendOne === 'function', null, { timeout: 15_000 })
    .catch((e) => { throw new Error(`${url}: the app did not start: ${problems.join('; ') || e.message}`); });
  const result = await page.evaluate((settings) => window.sendOne(settings),
    { writeKey: WRITE_KEY, dataPlaneUrl: browser.plane.url, storage: 'memory' })
    .catch((e) => { throw new Error(`${e.message}\n${problems.join('\n')}`); });
  assert.equal(result.outcome.delivered, 1, problems.join('\n'));
  assert.deepEqual((await browser.plane.events()).map((e) => e.messageId), [result.messageId]);
}

async function serve(dir, fn, pages = {}) {
  const site = await startStaticServer({ dir, root: true, pages });
  try {
    await fn(site.url);
  } finally {
    await site.close();
  }
}

test('Vite build: the .wasm is emitted as an asset and found', { timeout: 60_000 }, async () => {
  const { build } = await import('vite');
  const outDir = join(app, 'vite-out');
  await build({ root: app, logLevel: 'error', configFile: false, build: { outDir, emptyOutDir: true } });
  await serve(outDir, (url) => deliversFrom(`${url}/index.html`));
});

test('Vite dev server: the pre-bundled package finds its .wasm', { timeout: 60_000 }, async () => {
  const { createServer } = await import('vite');
  const server = await createServer({
    root: app, logLevel: 'error', configFile: false, cacheDir: join(app, 'vite-cache'),
    server: { host: '127.0.0.1', port: 0, strictPort: false },
  });
  await server.listen();
  try {
    const { port } = server.httpServer.address();
    await deliversFrom(`http://127.0.0.1:${port}/`);
  } finally {
    await server.close();
  }
});

async function webpackBuild(entry, outDir) {
  const stats = await new Promise((resolve, reject) => {
    webpack({
      mode: 'production',
      context: app,
      entry,
      output: { path: outDir, filename: 'main.js' },
      resolve: { modules: [join(app, 'node_modules')] },
    }, (error, result) => (error ? reject(error) : resolve(result)));
  });
  const info = stats.toJson({ all: false, errors: true, warnings: true });
  assert.deepEqual(info.errors.map((e) => e.message), []);
  assert.deepEqual(info.warnings.map((w) => w.message), []);
}

test('webpack 5: no warnings, and the .wasm is emitted and found', { timeout: 60_000 }, async () => {
  const outDir = join(app, 'webpack-out');
  await webpackBuild('./src/main.js', outDir);
  await writeFile(join(outDir, 'index.html'), PAGE('main.js'));
  await serve(outDir, (url) => deliversFrom(`${url}/index.html`));
});

test('webpack 5 with require(): the package\'s ES module is taken, so the .wasm is emitted too', { timeout: 60_000 }, async () => {
  // The browser's CommonJS build named node:url, which webpack cannot resolve for a page.
  const outDir = join(app, 'webpack-require-out');
  await webpackBuild('./src/required.js', outDir);
  await writeFile(join(outDir, 'index.html'), PAGE('main.js'));
  await serve(outDir, (url) => deliversFrom(`${url}/index.html`));
});

test('esbuild\'s default format (an IIFE in a classic script), with import or require(): the .wasm beside the bundle', { timeout: 60_000 }, async () => {
  // An IIFE has no import.meta.url: the module looks beside the script that loaded it (here
  // in /static/, not beside the page). It used to reject `ready` with "Invalid URL".
  const outDir = join(app, 'esbuild-iife-out');
  for (const [entry, out] of [['main.js', 'imported.js'], ['required.js', 'required.js']]) {
    await esbuild.build({ entryPoints: [join(app, 'src', entry)], bundle: true, outfile: join(outDir, 'static', out), logLevel: 'error' });
  }
  await copyFile(join(app, 'node_modules', 'rudder-analytics-wasm', 'dist', 'rudder_analytics.wasm'), join(outDir, 'static', 'rudder_analytics.wasm'));
  const classic = (script) => `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><script src="${script}"></script>`;
  await writeFile(join(outDir, 'imported.html'), classic('/static/imported.js'));
  await writeFile(join(outDir, 'required.html'), classic('/static/required.js'));
  await serve(outDir, async (url) => {
    await deliversFrom(`${url}/imported.html`);
    await fetch(`${browser.plane.url}/_control/reset`, { method: 'POST' });
    await deliversFrom(`${url}/required.html`);
  });
});

test('esbuild: the bundle with the .wasm copied beside it (esbuild does not emit assets)', { timeout: 60_000 }, async () => {
  const outDir = join(app, 'esbuild-out');
  await esbuild.build({ entryPoints: [join(app, 'src', 'main.js')], bundle: true, format: 'esm', outfile: join(outDir, 'main.js'), logLevel: 'error' });
  await copyFile(join(app, 'node_modules', 'rudder-analytics-wasm', 'dist', 'rudder_analytics.wasm'), join(outDir, 'rudder_analytics.wasm'));
  await writeFile(join(outDir, 'index.html'), PAGE('main.js'));
  await serve(outDir, (url) => deliversFrom(`${url}/index.html`));
});

test('a page that cannot load the .wasm gets an error naming the URL, the problem and the fix', { timeout: 60_000 }, async () => {
  const outDir = join(app, 'missing-out');
  await esbuild.build({ entryPoints: [join(app, 'src', 'main.js')], bundle: true, format: 'esm', outfile: join(outDir, 'main.js'), logLevel: 'error' });
  await writeFile(join(outDir, 'index.html'), PAGE('main.js'));
  const failure = async (url) => {
    const page = await browser.context.newPage();
    await page.goto(`${url}/index.html`);
    await page.waitForFunction(() => typeof window.sendOne === 'function');
    return page.evaluate((settings) => window.sendOne(settings).then(() => 'loaded', (e) => e.message),
      { writeKey: WRITE_KEY, dataPlaneUrl: browser.plane.url, storage: 'memory' });
  };
  const fix = "serve the package's .wasm there, or pass locateFile, wasmBinary or wasmModule";
  await serve(outDir, async (url) => {
    assert.equal(await failure(url), `rudder-analytics: could not load the WebAssembly module from ${url}/rudder_analytics.wasm: HTTP 404; ${fix}`);
  });
  // A server that answers every path with its app page (a single-page app's fallback).
  await serve(outDir, async (url) => {
    assert.equal(await failure(url), `rudder-analytics: could not load the WebAssembly module from ${url}/rudder_analytics.wasm: ` +
      `it is not WebAssembly (content-type text/html; charset=utf-8, starts with 3c 21 64 6f instead of 00 61 73 6d); ${fix}`);
  }, { '/rudder_analytics.wasm': '<!doctype html><p>the app</p>' });
});

test('a page with a Content-Security-Policy: delivers with wasm-unsafe-eval, says what to add without', { timeout: 60_000 }, async () => {
  const outDir = join(app, 'csp-out');
  await esbuild.build({ entryPoints: [join(app, 'src', 'main.js')], bundle: true, format: 'esm', outfile: join(outDir, 'main.js'), logLevel: 'error' });
  await copyFile(join(app, 'node_modules', 'rudder-analytics-wasm', 'dist', 'rudder_analytics.wasm'), join(outDir, 'rudder_analytics.wasm'));
  const withPolicy = (scriptSrc) => `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,">
<meta http-equiv="Content-Security-Policy" content="default-src 'self'; script-src ${scriptSrc}; connect-src 'self' ${browser.plane.url}">
<script type="module" src="main.js"></script>`;
  await writeFile(join(outDir, 'index.html'), withPolicy("'self' 'wasm-unsafe-eval'"));
  await writeFile(join(outDir, 'strict.html'), withPolicy("'self'"));
  await serve(outDir, async (url) => {
    await deliversFrom(`${url}/index.html`);
    const page = await browser.context.newPage();
    await page.goto(`${url}/strict.html`);
    await page.waitForFunction(() => typeof window.sendOne === 'function');
    const message = await page.evaluate((settings) => window.sendOne(settings).then(() => 'loaded', (e) => e.message),
      { writeKey: WRITE_KEY, dataPlaneUrl: browser.plane.url, storage: 'memory' });
    assert.match(message, /^rudder-analytics: the page's Content-Security-Policy does not allow WebAssembly \(.*\); add 'wasm-unsafe-eval' to its script-src$/);
  });
});

test('esbuild for Node: a bundle run from another folder, with the .wasm beside it', { timeout: 60_000 }, async () => {
  const outDir = join(app, 'lambda');
  const entry = join(app, 'src', 'handler.mjs');
  await writeFile(entry, `import { Analytics } from 'rudder-analytics-wasm';
const analytics = await Analytics.create({ writeKey: process.argv[2], dataPlaneUrl: process.argv[3] });
const { messageId } = analytics.track({ userId: 'u', event: 'From a bundle' });
console.log(JSON.stringify({ messageId, outcome: await analytics.close() }));
`);
  await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'esm', outfile: join(outDir, 'handler.mjs'), logLevel: 'error' });
  const elsewhere = await mkdtemp(join(tmpdir(), 'rudder-cwd-'));
  try {
    // Without the .wasm: a clear error saying what to copy.
    const missing = await run(process.execPath, [join(outDir, 'handler.mjs'), WRITE_KEY, browser.plane.url], { cwd: elsewhere })
      .then(() => null, (e) => e.stderr);
    assert.match(missing, /could not read the WebAssembly module .*lambda\/rudder_analytics_node\.wasm: ENOENT; a bundle must carry rudder_analytics_node\.wasm beside it/);
    await copyFile(join(app, 'node_modules', 'rudder-analytics-wasm', 'dist', 'rudder_analytics_node.wasm'), join(outDir, 'rudder_analytics_node.wasm'));
    const { stdout } = await run(process.execPath, [join(outDir, 'handler.mjs'), WRITE_KEY, browser.plane.url], { cwd: elsewhere });
    const result = JSON.parse(stdout);
    assert.equal(result.outcome.delivered, 1);
    assert.deepEqual((await browser.plane.events()).map((e) => e.messageId), [result.messageId]);
  } finally {
    await rm(elsewhere, { recursive: true, force: true });
  }
});

test('esbuild for Node, an ES module bundled as CommonJS (as Lambda build tools do): the .wasm beside the bundle', { timeout: 60_000 }, async () => {
  // esbuild empties import.meta in a CommonJS bundle; the client used to fail to start with
  // "location is not defined", dropping every call, with locateFile as well.
  const outDir = join(app, 'lambda-cjs');
  const entry = join(app, 'src', 'handler-cjs.mjs');
  await writeFile(entry, `import { Analytics } from 'rudder-analytics-wasm';
export async function handler(writeKey, dataPlaneUrl) {
  const analytics = new Analytics({ writeKey, dataPlaneUrl });
  const { status } = analytics.track({ userId: 'u', event: 'From a CommonJS bundle' });
  return { status, outcome: await analytics.close() };
}
`);
  await esbuild.build({ entryPoints: [entry], bundle: true, platform: 'node', format: 'cjs', outfile: join(outDir, 'index.js'), logLevel: 'error' });
  await copyFile(join(app, 'node_modules', 'rudder-analytics-wasm', 'dist', 'rudder_analytics_node.wasm'), join(outDir, 'rudder_analytics_node.wasm'));
  const elsewhere = await mkdtemp(join(tmpdir(), 'rudder-cwd-'));
  try {
    const script = `require(${JSON.stringify(join(outDir, 'index.js'))}).handler(process.argv[1], process.argv[2]).then((r) => console.log(JSON.stringify(r)))`;
    const { stdout } = await run(process.execPath, ['-e', script, WRITE_KEY, browser.plane.url], { cwd: elsewhere });
    const result = JSON.parse(stdout);
    assert.equal(result.status, 'buffered');
    assert.equal(result.outcome.delivered, 1, stdout);
    assert.equal((await browser.plane.events()).length, 1);
  } finally {
    await rm(elsewhere, { recursive: true, force: true });
  }
});
