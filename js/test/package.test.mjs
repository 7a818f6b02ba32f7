// rudder-analytics js tests: the package as users load it: ESM and CommonJS entry points, the
// .wasm found or supplied, no globals installed, and queued events delivered when a Node
// script simply ends.
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { after, before, beforeEach, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import * as esm from 'rudder-analytics-wasm';
import { WRITE_KEY, startPlane } from './helpers.mjs';
import { PKG, REPO, TARBALL_FILES, distProblem } from '../scripts/package-files.mjs';

const run = promisify(execFile);
// Node resolves the package to the speed build (package.json's "node" condition).
const WASM = new URL('../dist/rudder_analytics_node.wasm', import.meta.url);

let plane;
before(async () => { plane = await startPlane(); });
beforeEach(async () => { await fetch(`${plane.url}/_control/reset`, { method: 'POST' }); });
after(() => plane.close());

// Runs `script` as an ES module in a Node process of its own, in this package's folder (so
// that it imports the package by name); resolves with its output.
function nodeScript(script, { flags = [], timeout }) {
  return run(process.execPath, [...flags, '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), timeout });
}

async function sendOne(Analytics, extra = {}) {
  const analytics = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, ...extra });
  const { messageId } = analytics.track({ userId: 'u', event: 'Loaded' });
  assert.equal((await analytics.close()).delivered, 1);
  assert.ok((await plane.events()).some((e) => e.messageId === messageId));
}

test('require() gives the same API as import', async () => {
  const cjs = createRequire(import.meta.url)('rudder-analytics-wasm');
  assert.deepEqual(Object.keys(cjs).sort(), Object.keys(esm).sort());
  assert.deepEqual(Object.keys(esm).sort(), ['Analytics', 'DeliveryError']);
  await sendOne(cjs.Analytics);
});

test('Node gets the speed build; other runtimes and bundlers the size build', async () => {
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url)));
  const entry = pkg.exports['.'];
  assert.deepEqual([entry.node.import.default, entry.node.require.default], ['./dist/node.mjs', './dist/node.cjs']);
  assert.deepEqual([entry.import.default, entry.require.default], ['./dist/index.mjs', './dist/index.cjs']);
  // Bundlers that know the module condition (webpack, Vite) take the ES module for require()
  // too, so they see the .wasm as an asset; it comes before require, as conditions go in order.
  assert.deepEqual(Object.keys(entry), ['node', 'module', 'import', 'require']);
  assert.equal(entry.module.default, './dist/index.mjs');
  assert.equal(import.meta.resolve('rudder-analytics-wasm'), new URL('../dist/node.mjs', import.meta.url).href);
  const browserBundle = await readFile(new URL('../dist/index.mjs', import.meta.url), 'utf8');
  assert.match(browserBundle, /new URL\("\.\/rudder_analytics\.wasm",import\.meta\.url\)/,
    'bundlers see the .wasm as an asset next to the module');
});

test('the .wasm can be supplied as bytes, as a compiled module, or located by the caller', async () => {
  const bytes = await readFile(WASM);
  await sendOne(esm.Analytics, { wasmBinary: bytes });
  await sendOne(esm.Analytics, { wasmModule: await WebAssembly.compile(bytes) });
  const asked = [];
  await sendOne(esm.Analytics, {
    locateFile: (file, defaultUrl) => { asked.push([file, defaultUrl]); return fileURLToPath(WASM); },
  });
  assert.equal(asked.length, 1);
  assert.equal(asked[0][0], 'rudder_analytics_node.wasm');
  assert.equal(asked[0][1], WASM.href);
});

test('a .wasm that cannot be found or compiled rejects create()', async () => {
  await assert.rejects(esm.Analytics.create({
    writeKey: WRITE_KEY, dataPlaneUrl: plane.url, locateFile: () => '/nonexistent/rudder_analytics.wasm',
  }), /ENOENT/);
  // Options that are not what they must be are refused as settings are, naming the option.
  const refusedAs = (field, code, message) => (e) =>
    e instanceof TypeError && e.call === 'create' && e.field === field && e.code === code && message.test(e.message);
  await assert.rejects(esm.Analytics.create({
    writeKey: WRITE_KEY, dataPlaneUrl: plane.url, wasmBinary: new Uint8Array([0, 1, 2, 3]),
  }), refusedAs('wasmBinary', 'invalid_value', /^wasmBinary: is not WebAssembly \(it starts with 00 01 02 03 instead of 00 61 73 6d\)$/));
  await assert.rejects(esm.Analytics.create({
    writeKey: WRITE_KEY, dataPlaneUrl: plane.url, wasmBinary: 'rudder_analytics.wasm',
  }), refusedAs('wasmBinary', 'wrong_type', /^wasmBinary: must be the \.wasm file's bytes/));
  await assert.rejects(esm.Analytics.create({
    writeKey: WRITE_KEY, dataPlaneUrl: plane.url, wasmModule: {},
  }), refusedAs('wasmModule', 'wrong_type', /^wasmModule: must be a WebAssembly.Module$/));
  // A .wasm whose start is right but whose body is not still fails compiling.
  await assert.rejects(esm.Analytics.create({
    writeKey: WRITE_KEY, dataPlaneUrl: plane.url, wasmBinary: new Uint8Array([0, 0x61, 0x73, 0x6d, 9, 9]),
  }), WebAssembly.CompileError);
});

test("a .wasm that is not this package's build rejects create() saying so", async () => {
  const fits = /the WebAssembly module is not the one this version of rudder-analytics-wasm was built with \(.+\); load its own rudder_analytics_node\.wasm/;
  // One that imports what the glue does not give (as an earlier version's, whose imports had
  // other names): ["a"]["a"], a function.
  const foreignImport = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 2, 7, 1, 1, 97, 1, 97, 0, 0]);
  await assert.rejects(esm.Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, wasmBinary: foreignImport }), fits);
  // One that instantiates but is no build of the package at all: the empty module.
  const empty = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]);
  await assert.rejects(esm.Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, wasmBinary: empty }), fits);
  // One that asks a module the glue knows for a function it does not give: env.nope.
  const unknownImport = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0,
    2, 12, 1, 3, 101, 110, 118, 4, 110, 111, 112, 101, 0, 0]);
  await assert.rejects(esm.Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, wasmBinary: unknownImport }),
    (e) => fits.test(e.message) && e.message.includes('env.nope'));
  // One with a rudder_create but no memory to pass text through.
  const noMemory = new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0, 1, 4, 1, 96, 0, 0, 3, 2, 1, 0,
    7, 17, 1, 13, ...new TextEncoder().encode('rudder_create'), 0, 0, 10, 4, 1, 2, 0, 11]);
  await assert.rejects(esm.Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, wasmBinary: noMemory }), fits);
  // Not found where locateFile points: the status says so.
  await assert.rejects(esm.Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, locateFile: () => `${plane.url}/missing.wasm` }),
    /could not load the WebAssembly module from http:\/\/127\.0\.0\.1:\d+\/missing\.wasm: HTTP 404;/);
});

test('clients are independent: each has its own queue and settings', async () => {
  const a = await esm.Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, channel: 'a' });
  const b = await esm.Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, channel: 'b' });
  a.track({ userId: 'u', event: 'A' });
  b.track({ userId: 'u', event: 'B' });
  b.track({ userId: 'u', event: 'B' });
  await Promise.all([a.close(), b.close()]);
  assert.equal(a.stats().delivered, 1);
  assert.equal(b.stats().delivered, 2);
  const events = await plane.events();
  assert.deepEqual(events.map((e) => `${e.event}:${e.channel}`).sort(), ['A:a', 'B:b', 'B:b']);
});

test('no globals are installed (Node has no XMLHttpRequest before or after)', async () => {
  const before = new Set(Object.getOwnPropertyNames(globalThis));
  await sendOne(esm.Analytics);
  const added = Object.getOwnPropertyNames(globalThis).filter((name) => !before.has(name));
  assert.deepEqual(added, []);
  assert.equal(typeof globalThis.XMLHttpRequest, 'undefined');
});

// A script that tracks and ends without flush() or close(): the pending upload timer keeps
// Node running until the events are delivered, so nothing is lost at a natural exit.
test('a Node script that ends without close() still delivers what it queued', async () => {
  const script = `
    const { Analytics } = await import('rudder-analytics-wasm');
    const analytics = await Analytics.create({ writeKey: '${WRITE_KEY}', dataPlaneUrl: '${plane.url}' });
    for (let i = 0; i < 5; i++) analytics.track({ userId: 'u', event: 'exit-' + i });
  `;
  const started = Date.now();
  await nodeScript(script, { timeout: 20_000 });
  assert.ok(Date.now() - started < 10_000, 'the script ended soon after delivering');
  const events = (await plane.events()).map((e) => e.event).sort();
  assert.deepEqual(events, ['exit-0', 'exit-1', 'exit-2', 'exit-3', 'exit-4']);
});

// Clients made from the same module share one instance of it (js/src/module.mjs): each keeps
// its own queue, settings, stats and closed state there.
test('clients sharing the module stay independent: a closed one still answers while a later one delivers', async () => {
  const instantiate = WebAssembly.instantiate;
  let instantiated = 0;
  WebAssembly.instantiate = (...args) => { instantiated++; return instantiate(...args); };
  // A module of its own, so that no instance of it exists yet in this process.
  const wasmModule = await WebAssembly.compile(await readFile(WASM));
  let a;
  try {
    // Made in the same turn of the event loop.
    [a] = await Promise.all([{ uploadSize: 2 }, { send: false }, { send: false }].map(
      (extra) => esm.Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, wasmModule, ...extra })));
  } finally {
    WebAssembly.instantiate = instantiate;
  }
  assert.equal(instantiated, 1, 'three clients made together instantiate the module once');
  a.track({ userId: 'a', event: 'a-1' });
  assert.equal((await a.close()).delivered, 1);
  const b = await esm.Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, uploadSize: 3 });
  for (let i = 0; i < 4; i++) b.track({ userId: 'b', event: `b-${i}` });
  assert.equal(a.track({ userId: 'a', event: 'late' }).status, 'closed');
  assert.equal((await b.flush()).delivered, 4);
  const [sa, sb] = [a.stats(), b.stats()];
  assert.deepEqual([sa.queued, sa.delivered, sa.dropped.shut_down], [1, 1, 1]);
  assert.deepEqual([sb.queued, sb.delivered, sb.dropped.shut_down], [4, 4, 0]);
  await b.close();
  assert.deepEqual((await plane.events()).map((e) => e.event).sort(), ['a-1', 'b-0', 'b-1', 'b-2', 'b-3']);
});

// A client's logger runs inside the module's call (debug lines come as the module works); if
// it calls another client, the module's next requests must still reach the first one's host.
test('a logger that calls another client does not send the first one\'s requests through it', async () => {
  const b = await esm.Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url });
  const track = (line) => { b.track({ userId: 'logger', event: 'log line', properties: { line } }); };
  const logger = { debug: track, info: track, warn: track, error: track };
  const a = await esm.Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, uploadSize: 2, debug: true, logger });
  a.track({ userId: 'a', event: 'a-1' });
  a.track({ userId: 'a', event: 'a-2' });  // a full batch: "sending 2 events" is logged, then it is sent
  const flushed = await Promise.race([a.flush(), new Promise((r) => setTimeout(() => r('timed out'), 5_000))]);
  assert.equal(flushed.delivered, 2);
  await a.close();
  await b.close();
  const events = (await plane.events()).map((e) => e.event);
  assert.deepEqual(events.filter((e) => e.startsWith('a-')).sort(), ['a-1', 'a-2']);
  assert.ok(events.filter((e) => e === 'log line').length > 0);
});

// The instance goes with the last client that holds it: nothing of the module keeps a client
// (say, the one whose host it was made with) alive.
test('once the program drops every client, they and the module instance they shared are collected', async () => {
  const script = `
    const { Analytics } = await import('rudder-analytics-wasm');
    let collected = 0;
    const watch = new FinalizationRegistry(() => { collected++; });
    const external = () => process.memoryUsage().external;
    const before = external();
    await (async () => {
      const clients = await Promise.all([1, 2, 3].map(() => Analytics.create({ writeKey: '${WRITE_KEY}', dataPlaneUrl: '${plane.url}' })));
      for (const client of clients) {
        client.track({ userId: 'u', event: 'collected' });
        watch.register(client, null);
      }
      await Promise.all(clients.map((client) => client.close()));
    })();
    const during = external();
    // The instance can go in the collection after the clients' own (their finalizers let go of it).
    const collect = async () => { globalThis.gc(); await new Promise((r) => setTimeout(r, 50)); };
    for (let i = 0; i < 20 && collected < 3; i++) await collect();
    for (let i = 0; i < 5; i++) await collect();
    console.log(JSON.stringify({ collected, before, during, after: external() }));
  `;
  const { stdout } = await nodeScript(script, { flags: ['--expose-gc'], timeout: 60_000 });
  const { collected, before, during, after } = JSON.parse(stdout);
  assert.equal(collected, 3, 'every client was collected');
  assert.ok(during - before > 8e6, `the instance's memory (${during - before} bytes) shows while the clients live`);
  assert.ok(after - before < 4e6, `the instance's memory went with them (${after - before} bytes left of ${during - before})`);
});

// A client the program dropped (garbage collected: nothing of its own was in flight) goes
// back to the shared module's heap, so a process making client after client does not grow.
test('clients the program dropped give their memory back to the module the others share', async () => {
  const script = `
    const { Analytics } = await import('rudder-analytics-wasm');
    const settle = async () => { for (let i = 0; i < 3; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); } };
    const filler = 'x'.repeat(400);
    let first = 0;
    for (let i = 0; i < 30; i++) {
      // About 1.7 MB each, delivered and never closed; then dropped.
      let client = await Analytics.create({ writeKey: '${WRITE_KEY}', dataPlaneUrl: '${plane.url}' });
      for (let j = 0; j < 3000; j++) client.track({ userId: 'u', event: 'dropped', properties: { filler } });
      if ((await client.flush()).delivered !== 3000) throw new Error('not delivered');
      client = null;
      await settle();
      if (i === 0) first = process.memoryUsage().external;
    }
    console.log(JSON.stringify({ first, last: process.memoryUsage().external }));
  `;
  const { stdout } = await nodeScript(script, { flags: ['--expose-gc'], timeout: 60_000 });
  const { first, last } = JSON.parse(stdout);
  // Kept, 29 more clients' blocks would take some 55 MB more.
  assert.ok(last - first < 20e6, `the module's memory grew from ${first} to ${last} bytes`);
});

// After a burst the client keeps the queue memory it emptied for a while, in case another
// burst comes (EventLog::trim_spares), and wakes once more to let it go: that wake must not
// keep a script alive once everything is delivered.
test('a Node script ends as soon as a burst is delivered, without waiting to let go of memory', async () => {
  const script = `
    const { Analytics } = await import('rudder-analytics-wasm');
    const analytics = await Analytics.create({ writeKey: '${WRITE_KEY}', dataPlaneUrl: '${plane.url}' });
    const filler = 'x'.repeat(400);
    for (let i = 0; i < 10000; i++) analytics.track({ userId: 'u', event: 'burst', properties: { filler } });
    const result = await analytics.flush();
    console.log(JSON.stringify({ delivered: result.delivered, at: Date.now() }));
  `;
  const { stdout } = await nodeScript(script, { timeout: 30_000 });
  const ended = Date.now();
  const { delivered, at } = JSON.parse(stdout);
  assert.equal(delivered, 10000);
  assert.ok(ended - at < 2_500, `the script ended ${ended - at} ms after its flush, not when the spare memory's wake came`);
});

test('the tarball holds exactly the built package, its README and the licence; dist/ is fresh', async () => {
  assert.equal(await distProblem(), null, 'dist/ is complete and built from the current sources');
  const { stdout } = await run('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], { cwd: PKG });
  const [packed] = JSON.parse(stdout);
  assert.deepEqual(packed.files.map((f) => f.path).sort(), TARBALL_FILES);
  assert.equal(packed.name, 'rudder-analytics-wasm');
  assert.equal(await readFile(new URL('../LICENSE', import.meta.url), 'utf8'), await readFile(`${REPO}/LICENSE`, 'utf8'));
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url)));
  assert.equal(pkg.license, 'MIT');
  assert.ok(pkg.keywords.includes('rudderstack'));
  assert.equal(pkg.scripts.prepack, 'node scripts/prepack.mjs', 'npm pack builds first');
  const readme = await readFile(new URL('../README.md', import.meta.url), 'utf8');
  for (const section of ['## Install', '## Node', '## Browsers', '## Settings', '## Errors']) {
    assert.ok(readme.includes(section), `the npm README has ${section}`);
  }
  // prepack's own check (which npm pack runs after building) agrees.
  await run('node', ['scripts/prepack.mjs', '--check'], { cwd: PKG });
});
