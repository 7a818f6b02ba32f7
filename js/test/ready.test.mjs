// rudder-analytics js tests: `new Analytics()` is usable at once. Calls made while the module
// loads are held in order (bounded, counted), keep the time they were made, and are sent once it
// is ready; what cannot be sent then is reported, never lost without a word.
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import { after, before, test } from 'node:test';
import { Analytics, DeliveryError } from 'rudder-analytics-wasm';
import { WRITE_KEY, startPlane } from './helpers.mjs';

const WASM = new URL('../dist/rudder_analytics_node.wasm', import.meta.url);
const LOAD_DELAY_MS = 300;

let plane;
let slowWasm;  // serves the .wasm after LOAD_DELAY_MS, so calls are surely made before ready
before(async () => {
  plane = await startPlane();
  const bytes = await readFile(WASM);
  slowWasm = createServer((request, response) => {
    setTimeout(() => response.writeHead(200, { 'content-type': 'application/wasm' }).end(bytes), LOAD_DELAY_MS);
  });
  await new Promise((resolve) => slowWasm.listen(0, '127.0.0.1', resolve));
});
after(() => Promise.all([plane.close(), new Promise((resolve) => slowWasm.close(resolve))]));

const slowly = () => `http://127.0.0.1:${slowWasm.address().port}/rudder_analytics_node.wasm`;

function recorder() {
  const lines = { debug: [], info: [], warn: [], error: [] };
  const logger = Object.fromEntries(Object.keys(lines).map((level) => [level, (line) => lines[level].push(line)]));
  return { lines, logger };
}

test('calls made before the module is ready are sent once it is, in order, with the time they were made', async () => {
  const analytics = new Analytics({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, locateFile: slowly });
  const calledAt = Date.now();
  const early = [
    analytics.identify({ userId: 'u1', traits: { plan: 'pro' } }),
    analytics.track({ userId: 'u1', event: 'Early 1' }),
    analytics.track({ userId: 'u1', event: 'Early 2' }),
  ];
  assert.deepEqual(early, [{ status: 'buffered' }, { status: 'buffered' }, { status: 'buffered' }]);
  assert.throws(() => analytics.stats(), (e) => e.code === 'not_ready' && e.call === 'stats' && /await analytics\.ready/.test(e.message));

  assert.equal(await analytics.ready, analytics, 'ready resolves with the client');
  const readyAt = Date.now();
  assert.ok(readyAt - calledAt >= LOAD_DELAY_MS - 20, `the module took ${readyAt - calledAt} ms to load`);
  const late = analytics.track({ userId: 'u1', event: 'Late' });
  assert.equal(late.status, 'accepted');

  const outcome = await analytics.close();
  assert.equal(outcome.delivered, 4);
  const events = (await plane.events()).filter((e) => e.userId === 'u1');
  assert.deepEqual(events.map((e) => e.event ?? e.type), ['identify', 'Early 1', 'Early 2', 'Late']);
  for (const e of events.slice(0, 3)) {
    const originalAt = Date.parse(e.originalTimestamp);
    assert.ok(originalAt >= calledAt - 1 && originalAt < calledAt + 100,
      `a held call keeps the time it was made: ${e.originalTimestamp}, called at ${new Date(calledAt).toISOString()}`);
    assert.equal(e.timestamp, undefined, 'timestamp stays the caller\'s');
  }
  assert.ok(Date.parse(events[3].originalTimestamp) >= readyAt);
  assert.equal(analytics.stats().delivered, 4);
});

test('Analytics.create() still resolves with a ready client', async () => {
  const analytics = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url });
  assert.equal(analytics.track({ userId: 'u', event: 'E' }).status, 'accepted');
  await analytics.close();
});

test('a held call the core refuses is passed to onError with its field (not also logged), and counted', async () => {
  const { lines, logger } = recorder();
  const reported = [];
  const analytics = new Analytics({
    writeKey: WRITE_KEY, dataPlaneUrl: plane.url, locateFile: slowly, logger,
    onError: (error, events) => reported.push({ error, events }),
  });
  assert.deepEqual(analytics.track({ userId: 'u', properties: { a: 1 } }), { status: 'buffered' }, 'no event name: only the core knows');
  // What the glue itself refuses (a value JSON cannot carry) throws at once, even now.
  assert.throws(() => analytics.track({ userId: 'u', event: 'E', properties: { n: NaN } }),
    (e) => e instanceof RangeError && e.field === 'properties.n');
  assert.deepEqual(analytics.track({ userId: 'u', event: 'Fine' }), { status: 'buffered' });
  await analytics.ready;
  await analytics.flush();
  assert.equal(reported.length, 1);
  const [{ error, events }] = reported;
  assert.equal(error.name, 'DeliveryError');
  assert.equal(error.constructor.name, 'DeliveryError', 'kept through minification');
  assert.ok(error instanceof DeliveryError);
  assert.deepEqual([error.kind, error.call, error.field, error.code], ['invalid', 'track', 'event', 'missing']);
  assert.equal(error.message, 'track: event: is required');
  assert.deepEqual(events, [{ type: 'track', userId: 'u', properties: { a: 1 } }]);
  assert.deepEqual(lines.error, [], 'onError took it');
  assert.equal(analytics.stats().dropped.invalid, 2, 'the core\'s refusal and the glue\'s');
  await analytics.close();
  assert.deepEqual((await plane.events()).filter((e) => e.event === 'Fine').length, 1);
});

test('without onError, a held call the core refuses is logged', async () => {
  const { lines, logger } = recorder();
  const analytics = new Analytics({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, locateFile: slowly, logger });
  assert.deepEqual(analytics.track({ userId: 'u', properties: { a: 1 } }), { status: 'buffered' });
  await analytics.ready;
  await analytics.close();
  assert.ok(lines.error.some((l) => l.includes('before the module was ready') && l.includes('track: event: is required')), lines.error.join('\n'));
  assert.equal(analytics.stats().dropped.invalid, 1);
});

test('at most 10,000 calls wait for the module; later ones are refused, warned of once and counted', async () => {
  const { lines, logger } = recorder();
  const analytics = new Analytics({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, locateFile: slowly, logger });
  const statuses = new Map();
  for (let i = 0; i < 10_005; i++) {
    const { status } = analytics.track({ userId: 'u', event: 'E' });
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
  }
  assert.deepEqual([...statuses], [['buffered', 10_000], ['queue_full', 5]]);
  assert.equal(lines.warn.filter((l) => l.includes('10000 calls are waiting for the module')).length, 1, lines.warn.join('\n'));
  await analytics.ready;
  const stats = analytics.stats();
  assert.equal(stats.dropped.queue_full, 5);
  assert.equal(stats.queued, 10_000);
  await analytics.close();
});

test('a setting the core refuses rejects ready; the held calls go to onError and the log', async () => {
  const { lines, logger } = recorder();
  const reported = [];
  const analytics = new Analytics({
    writeKey: WRITE_KEY, dataPlaneUrl: plane.url, uploadSize: 0, logger,
    onError: (error, events) => reported.push({ error, events }),
  });
  assert.deepEqual(analytics.track({ userId: 'u', event: 'Lost' }), { status: 'buffered' });
  const flushed = analytics.flush();
  await assert.rejects(analytics.ready, (e) => e instanceof RangeError && e.call === 'create' && e.field === 'uploadSize');
  await assert.rejects(flushed, (e) => e.field === 'uploadSize', 'flush waits for the start, and fails with it');
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(reported.length, 1);
  assert.equal(reported[0].error.kind, 'not_started');
  assert.match(reported[0].error.message, /^uploadSize: /);
  assert.deepEqual(reported[0].events, [{ type: 'track', userId: 'u', event: 'Lost' }]);
  assert.ok(lines.error.some((l) => /did not start: uploadSize: .*1 call\(s\) made before were dropped/.test(l)), lines.error.join('\n'));
  const later = analytics.track({ userId: 'u', event: 'After' });
  assert.equal(later.status, 'closed');
  assert.match(later.error, /did not start \(uploadSize: /);
  // Not "still loading": it never will be.
  assert.throws(() => analytics.stats(), (e) => e.code === 'not_ready' && e.call === 'stats' &&
    /^stats: the client did not start \(uploadSize: .*\); create a new one$/.test(e.message));
  const logged = lines.error.length;
  await assert.rejects(Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, uploadSize: 0, logger }), RangeError);
  await new Promise((resolve) => setImmediate(resolve));
  assert.equal(lines.error.length, logged, 'create() rejects, and that is all: its caller has the error, the log does not repeat it');
});

test('a wrong option of the glue throws from the constructor at once', () => {
  assert.throws(() => new Analytics(), (e) => e instanceof TypeError && e.call === 'create' && e.field === '');
  assert.throws(() => new Analytics({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, onError: 5 }),
    (e) => e instanceof TypeError && e.field === 'onError');
});

test('close() before ready delivers what was held, then refuses and counts later calls', async () => {
  const analytics = new Analytics({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, locateFile: slowly });
  analytics.track({ userId: 'u', event: 'Held' });
  const closed = analytics.close();
  const after = analytics.track({ userId: 'u', event: 'After close' });
  assert.equal(after.status, 'closed');
  const outcome = await closed;
  assert.equal(outcome.delivered, 1);
  // Refused before the module ran it and after: in the same words, which name close().
  assert.deepEqual(analytics.track({ userId: 'u', event: 'After ready' }), after);
  assert.equal(after.error, 'client: is closed (close() was called)');
  assert.equal(analytics.stats().dropped.shut_down, 2);
  assert.deepEqual((await plane.events()).filter((e) => e.event === 'Held' || e.event === 'After close').map((e) => e.event), ['Held']);
});

test('flush({ timeoutMs }) before ready counts the wait for the module in its timeout', async () => {
  const analytics = new Analytics({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, locateFile: slowly });
  analytics.track({ userId: 'u', event: 'E' });
  const began = Date.now();
  const outcome = await analytics.flush({ timeoutMs: 5_000 });
  assert.equal(outcome.delivered, 1);
  assert.ok(Date.now() - began >= LOAD_DELAY_MS - 20);
  await analytics.close();
});

test('plugins run on held calls as they are made; a drop is counted once ready', async () => {
  const seen = [];
  const reported = [];
  const analytics = new Analytics({
    writeKey: WRITE_KEY, dataPlaneUrl: plane.url, locateFile: slowly,
    onError: (error) => reported.push(error),
    plugins: [(message, call) => {
      seen.push(call);
      if (message.event === 'Secret') return null;
      if (message.event === 'Spoilt') return { ...message, properties: 'not an object' };  // the core refuses it once ready
      if (message.event === 'Huge') return { ...message, properties: { count: 10n } };  // the glue refuses it now
      return { ...message, properties: { tagged: true } };
    }],
  });
  const message = { userId: 'u', event: 'Tagged' };
  assert.deepEqual(analytics.track(message), { status: 'buffered' });
  message.event = 'Changed after the call';  // the call is taken as it was when made
  assert.deepEqual(analytics.track({ userId: 'u', event: 'Secret' }), { status: 'dropped', error: 'plugins: dropped the event' });
  assert.deepEqual(analytics.track({ userId: 'u', event: 'Spoilt' }), { status: 'buffered' });
  assert.throws(() => analytics.track({ userId: 'u', event: 'Huge' }),
    (e) => e.field === 'properties.count' && e.message.endsWith(' (in the message the plugins returned)'));
  assert.deepEqual(seen, ['track', 'track', 'track', 'track'], 'plugins ran during the calls');
  await analytics.close();
  assert.equal(analytics.stats().dropped.by_plugin, 1);
  // What the core refused once ready went to onError, saying where the message came from.
  assert.deepEqual(reported.map((e) => [e.kind, e.field, e.message]),
    [['invalid', 'properties', 'track: properties: must be an object, not string (in the message the plugins returned)']]);
  const events = (await plane.events()).filter((e) => e.event === 'Tagged' || e.event === 'Secret' || e.event === 'Changed after the call');
  assert.deepEqual(events.map((e) => [e.event, e.properties]), [['Tagged', { tagged: true }]]);
});
