// rudder-analytics js tests: the same calls give the same payload from the native library
// (through its CLI) and from the WebAssembly package, times and the library's name aside.
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { promisify } from 'node:util';
import { Analytics } from 'rudder-analytics-wasm';
import { REPO, WRITE_KEY, startPlane } from './helpers.mjs';

const CLI = process.env.RUDDER_CLI ?? `${REPO}build/cli/rudder-analytics`;

// Each call with every optional field it takes; ids given so both runs can be matched.
const CALLS = [
  { type: 'identify', userId: 'u-1', messageId: 'id-1', traits: { email: 'a@example.com', age: 41, tags: ['a', 'b'] },
    context: { ip: '10.0.0.1', locale: 'de-DE' }, timestamp: '2024-03-01T10:00:00.250Z' },
  { type: 'track', userId: 'u-1', anonymousId: 'anon-9', messageId: 'id-2', event: 'Order Completed',
    properties: { revenue: 19.99, ratio: 0.1, big: 1e21, small: 5e-7, count: 3, free: false, none: null,
      nested: { deep: [1, [2, { x: 'y' }]] }, text: 'Grüße 👋 "q" \\ \n \u0001 日本' },
    integrations: { All: false, Amplitude: true } },
  { type: 'page', anonymousId: 'anon-9', messageId: 'id-3', name: 'Pricing', category: 'Docs', properties: { path: '/pricing' } },
  { type: 'screen', userId: 'u-1', messageId: 'id-4', name: 'Home', category: 'Main', properties: {} },
  { type: 'group', userId: 'u-1', messageId: 'id-5', groupId: 'g-7', traits: { seats: 12, name: 'Acme' } },
  { type: 'alias', userId: 'u-1', messageId: 'id-6', previousId: 'anon-9', context: { app: { version: '1.2.3' } } },
];

// What the clock decides, and the data plane adds from it, differs between two runs.
const TIMES = ['originalTimestamp', 'sentAt', 'receivedAt', '_computedTimestamp'];
function comparable(event) {
  const copy = structuredClone(event);
  for (const key of TIMES) delete copy[key];
  delete copy.context.library;  // each target names itself; checked separately
  return copy;
}

let plane;
before(async () => { plane = await startPlane(); });
after(() => plane.close());

async function eventsOf(send) {
  await fetch(`${plane.url}/_control/reset`, { method: 'POST' });
  await send();
  const events = await plane.events();
  assert.equal(events.length, CALLS.length);
  return events.sort((a, b) => a.messageId.localeCompare(b.messageId));
}

test('native and wasm send the same events for the same calls', async () => {
  assert.ok(existsSync(CLI), `the native CLI is built first (${CLI}); set RUDDER_CLI to use another`);
  const native = await eventsOf(async () => {
    const child = execFile(CLI, ['--write-key', WRITE_KEY, '--data-plane-url', plane.url, '--ndjson', '-']);
    const done = promisify((cb) => child.on('exit', (code) => cb(null, code)))();
    child.stdin.end(CALLS.map((c) => JSON.stringify(c)).join('\n'));
    assert.equal(await done, 0);
  });
  const wasm = await eventsOf(async () => {
    const analytics = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url });
    for (const { type, ...message } of CALLS) assert.equal(analytics[type](message).status, 'accepted');
    assert.equal((await analytics.close()).delivered, CALLS.length);
  });
  assert.deepEqual(wasm.map(comparable), native.map(comparable));
  for (const e of native) assert.equal(e.context.library.name, 'rudder-analytics-cpp');
  for (const e of wasm) assert.equal(e.context.library.name, 'rudder-analytics-wasm');
  for (const e of [...native, ...wasm]) assert.equal(e.context.library.version, '0.1.0');
  // Key order too: the bodies are byte-for-byte the same shape.
  assert.deepEqual(wasm.map((e) => Object.keys(e)), native.map((e) => Object.keys(e)));
});
