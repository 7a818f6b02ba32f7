// rudder-analytics js tests: bad input and bad settings throw, naming the field, and nothing
// reaches the network.
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { Analytics } from 'rudder-analytics-wasm';
import { QUIET, WRITE_KEY, startPlane } from './helpers.mjs';

let plane;
let analytics;
before(async () => {
  plane = await startPlane();
  analytics = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, logger: QUIET });
});
after(async () => {
  await analytics.close();
  await plane.close();
});

const refusals = [
  ['track', undefined, TypeError, /^track: expects one object argument/],
  ['track', 'Signed Up', TypeError, /^track: expects one object argument/],
  ['identify', [], TypeError, /^identify: expects one object argument/],
  ['track', { event: 'E' }, TypeError, /^track: userId: userId or anonymousId is required/],
  ['track', { userId: 'u' }, TypeError, /^track: event: /],
  ['track', { userId: '   ', event: 'E' }, TypeError, /userId/],
  ['screen', { userId: 'u' }, TypeError, /^screen: name: /],
  ['group', { userId: 'u' }, TypeError, /^group: groupId: /],
  ['alias', { userId: 'u' }, TypeError, /^alias: previousId: /],
  ['track', { userId: 'u', event: 'E', properties: [1, 2] }, TypeError, /^track: properties: /],
  ['identify', { userId: 'u', traits: 'vip' }, TypeError, /^identify: traits: /],
  ['track', { userId: 'u', event: 'E', traits: {} }, TypeError, /^track: traits: /],
  ['track', { userId: 'u', event: 'E', evnt: 'typo' }, TypeError, /^track: evnt: /],
  ['track', { userId: 'u', event: 'E', properties: { price: NaN } }, RangeError, /^track: properties\.price: number is not finite$/],
  ['track', { userId: 'u', event: 'E', properties: { a: [1, { b: Infinity }] } }, RangeError, /^track: properties\.a\[1\]\.b: number is not finite$/],
  ['track', { userId: 'u', event: 'E', properties: { n: 10n } }, TypeError, /^track: properties\.n: is a BigInt/],
  ['track', { userId: 'u', event: 'E', properties: { tags: new Map([['a', 1]]) } }, TypeError, /^track: properties\.tags: is a Map, which JSON writes as \{\} \(pass Object\.fromEntries\(map\)\)$/],
  ['identify', { userId: 'u', traits: { list: [1, { seen: new Set(['x']) }] } }, TypeError, /^identify: traits\.list\[1\]\.seen: is a Set, which JSON writes as \{\}/],
  ['track', { userId: 'u', event: 'E', properties: { empty: {}, tags: new Map() } }, TypeError, /^track: properties\.tags: is a Map/],
  ['track', { userId: 'u', event: 'E', properties: { bytes: new Uint8Array([1, 2]) } }, TypeError, /^track: properties\.bytes: is a Uint8Array, which JSON writes as an object of its indexes/],
  ['track', { userId: 'u', event: 'E', properties: { seen: new WeakMap() } }, TypeError, /^track: properties\.seen: is a WeakMap, which JSON cannot carry$/],
  ['track', { userId: 'u', event: 'E', properties: { seen: new WeakSet() } }, TypeError, /^track: properties\.seen: is a WeakSet, which JSON cannot carry$/],
  ['track', { userId: 'u', event: 'E', properties: { buf: new ArrayBuffer(4) } }, TypeError, /^track: properties\.buf: is an ArrayBuffer, which JSON writes as \{\}/],
  // Rounded by JavaScript before the call: it used to be sent as "12345678901234567000".
  // eslint-disable-next-line no-loss-of-precision
  ['track', { userId: 12345678901234567890, event: 'E' }, RangeError, /^track: userId: is past Number\.MAX_SAFE_INTEGER, so JavaScript may have rounded it to another id: pass it as a string$/],
  // A server logging a failure: the message used to arrive as {}.
  ['track', { userId: 'u', event: 'Failed', properties: { error: new RangeError('out of stock') } }, TypeError, /^track: properties\.error: is an Error, which JSON writes as \{\} without its message \(pass error\.message, or \{ name, message \}\)$/],
  ['track', { userId: 'u', event: 'E', properties: { rule: /sku-\d+/g } }, TypeError, /^track: properties\.rule: is a RegExp, which JSON writes as \{\} \(pass String\(regexp\)\)$/],
  ['track', { userId: 'u', event: 'E', properties: (() => { const o = { a: [1] }; o.a.push({ back: o }); return o; })() }, TypeError, /^track: properties\.a\[1\]\.back: refers to an object it is inside \(a cycle\)/],
  ['track', { userId: 'u', event: 'E', timestamp: 'yesterday' }, TypeError, /^track: timestamp: /],
  ['track', { userId: 'u', event: 'E', timestamp: new Date(NaN) }, TypeError, /^track: timestamp: /],
  ['track', { userId: 'u', event: 'E', properties: { big: 'x'.repeat(40_000) } }, RangeError, /^track: properties\.big: makes the message \d+ bytes, over the limit of 32768/],
  ['identify', { userId: 'u', traits: { cart: { notes: 'x'.repeat(40_000) } } }, RangeError, /^identify: traits\.cart\.notes: makes the message/],
  ['track', { userId: 'u', event: 'E', context: 'ctx' }, TypeError, /^track: context: /],
];

test('bad input throws TypeError or RangeError naming the call and the field', () => {
  for (const [method, input, type, message] of refusals) {
    assert.throws(() => analytics[method](input), (e) => {
      assert.equal(e.constructor, type, `${method}: ${e.message}`);
      assert.match(e.message, message);
      return true;
    });
  }
});

test('a call of hundreds of megabytes is refused by its size, unread and counted, and the client goes on', () => {
  // Copied into the module, 500 million characters took its memory past what it could have:
  // the call ended in "the WebAssembly module aborted", uncounted.
  // Nor is it copied in to be refused there: the module's memory, which never shrinks, would
  // keep 1.5 GB for it.
  const grown = [];
  const grow = WebAssembly.Memory.prototype.grow;
  WebAssembly.Memory.prototype.grow = function (pages) {
    grown.push(pages * 65_536);
    return grow.call(this, pages);
  };
  const before = analytics.stats().dropped.invalid;
  const properties = { notes: 'x'.repeat(500_000_000) };
  try {
    assert.throws(() => analytics.track({ userId: 'u', event: 'E', properties }), (e) => {
      assert.equal(e.constructor, RangeError, e.message);
      assert.match(e.message, /^track: message: is at least 500000\d{3} bytes of JSON, more than the data plane takes in a whole request \(4096000\)$/);
      assert.deepEqual([e.call, e.field, e.code], ['track', 'message', 'out_of_range']);
      return true;
    });
  } finally {
    WebAssembly.Memory.prototype.grow = grow;
  }
  assert.deepEqual(grown, [], 'the module\'s memory did not grow for it');
  assert.equal(analytics.stats().dropped.invalid, before + 1, 'counted');
  assert.equal(analytics.track({ userId: 'u', event: 'After' }).status, 'accepted');
});

test('a getter, a Proxy or a toJSON() that throws is refused naming the field, with or without plugins', async () => {
  // JSON.stringify's bare error used to come out, with no call, field or code.
  const secret = { get token() { throw new Error('locked'); } };
  const trap = new Proxy({}, { ownKeys() { throw new Error('no keys'); } });
  const cases = [
    [{ userId: 'u', event: 'E', properties: { plan: 'pro', secret } }, 'properties.secret.token', /^track: properties\.secret\.token: reading it threw: locked$/],
    [{ userId: 'u', event: 'E', properties: { when: { toJSON() { throw new Error('bad clock'); } } } }, 'properties.when', /^track: properties\.when: its toJSON\(\) threw: bad clock$/],
    [{ userId: 'u', event: 'E', properties: trap }, 'properties', /^track: properties: reading it threw: no keys$/],
  ];
  const plugged = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, logger: QUIET, plugins: [(m) => m] });
  try {
    for (const client of [analytics, plugged]) {
      const before = client.stats().dropped.invalid;
      for (const [input, field, message] of cases) {
        assert.throws(() => client.track(input), (e) => {
          assert.equal(e.constructor, TypeError, e.message);
          assert.match(e.message, message);
          assert.deepEqual([e.call, e.field, e.code], ['track', field, 'invalid_value']);
          assert.equal(e.cause?.message, message.source.match(/threw: (.*)\$$/)[1], 'what threw, kept as the cause (with its stack)');
          return true;
        });
      }
      assert.equal(client.stats().dropped.invalid, before + cases.length, 'each counted');
    }
  } finally {
    await plugged.close();
  }
});

test('a refusal carries the call, the field and a code, for programs', async () => {
  const fields = (fn) => {
    try {
      fn();
    } catch (e) {
      return [e.constructor.name, e.call, e.field, e.code];
    }
    return 'accepted';
  };
  assert.deepEqual(fields(() => analytics.track('Signed Up')), ['TypeError', 'track', '', 'wrong_type']);
  assert.deepEqual(fields(() => analytics.track({ event: 'E' })), ['TypeError', 'track', 'userId', 'missing']);
  assert.deepEqual(fields(() => analytics.page({ userId: 'u', name: 'N', properties: [1] })), ['TypeError', 'page', 'properties', 'wrong_type']);
  assert.deepEqual(fields(() => analytics.track({ userId: 'u', event: 'E', evnt: 'typo' })), ['TypeError', 'track', 'evnt', 'invalid_value']);
  assert.deepEqual(fields(() => analytics.group({ userId: 'u', groupId: 'g', traits: { a: [1, { b: NaN }] } })),
    ['RangeError', 'group', 'traits.a[1].b', 'out_of_range']);
  assert.deepEqual(fields(() => analytics.identify({ userId: 'u', traits: { n: 1n } })), ['TypeError', 'identify', 'traits.n', 'wrong_type']);
  assert.deepEqual(fields(() => analytics.track({ userId: 'u', event: 'E', timestamp: '10000-01-01T00:00:00Z' })),
    ['TypeError', 'track', 'timestamp', 'invalid_value']);
  assert.deepEqual(fields(() => analytics.alias({ userId: 'u', previousId: 'p', context: { ü: 'x'.repeat(40_000) } })),
    ['RangeError', 'alias', 'context', 'out_of_range']);
  const rejected = (settings) => Analytics.create(settings).then(() => 'created', (e) => [e.constructor.name, e.call, e.field, e.code]);
  assert.deepEqual(await rejected({ writeKey: WRITE_KEY }), ['TypeError', 'create', 'dataPlaneUrl', 'missing']);
  assert.deepEqual(await rejected({ writeKey: WRITE_KEY, dataPlaneUrl: 'ftp://x' }), ['TypeError', 'create', 'dataPlaneUrl', 'invalid_value']);
  assert.deepEqual(await rejected({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, maxRetries: -1 }), ['RangeError', 'create', 'maxRetries', 'out_of_range']);
  assert.deepEqual(await rejected({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, uploadSize: '9' }), ['TypeError', 'create', 'uploadSize', 'wrong_type']);
  assert.deepEqual(await rejected({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, onError: 1 }), ['TypeError', 'create', 'onError', 'wrong_type']);
  assert.deepEqual(await rejected({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, timeoutMs: NaN }), ['RangeError', 'create', 'timeoutMs', 'out_of_range']);
});

test('a value that is not finite is refused even where a legitimate null sits beside it', () => {
  assert.throws(() => analytics.track({ userId: 'u', event: 'E', properties: { gone: null, when: new Date(NaN) } }),
    /^TypeError: track: properties\.when: is an invalid Date$/);
  assert.throws(() => analytics.track({ userId: 'u', event: 'E', properties: { list: [null, -Infinity] } }),
    /^RangeError: track: properties\.list\[1\]: number is not finite$/);
});

test('empty objects, "{}" in text, an object met twice and a Map with its own toJSON are sent as given', async () => {
  class Tags extends Map {
    toJSON() { return Object.fromEntries(this); }
  }
  const shared = { n: 1 };
  const { messageId } = analytics.track({
    userId: 'u', event: 'E', properties: { none: {}, code: 'f() {}', tags: new Tags([['a', 1]]), one: shared, two: shared, keys: { 0: 'zero' } },
  });
  await analytics.flush();
  const stored = (await plane.events()).find((e) => e.messageId === messageId);
  assert.deepEqual(stored.properties, { none: {}, code: 'f() {}', tags: { a: 1 }, one: { n: 1 }, two: { n: 1 }, keys: { 0: 'zero' } });
});

test('functions, symbols and undefined are left out, as JSON.stringify leaves them out', async () => {
  const { messageId } = analytics.track({
    userId: 'u', event: 'E', properties: { keep: null, f() {}, s: Symbol('x'), u: undefined },
  });
  await analytics.flush();
  const stored = (await plane.events()).find((e) => e.messageId === messageId);
  assert.deepEqual(stored.properties, { keep: null });
});

test('text cut inside an emoji (half a surrogate pair) arrives with U+FFFD in its place, in every field', async () => {
  // String.prototype.slice cuts by UTF-16 units: '😀'.slice(0, 1) is half a character, which
  // JSON.stringify writes as \ud83d. It threw "string is not valid UTF-8" and the event was lost;
  // the peers' SDKs send it, and the data plane decodes it to U+FFFD.
  const cut = 'Great 😀 buy'.slice(0, 7);
  const { status, messageId } = analytics.track({
    userId: cut, event: cut, properties: { title: cut, [cut]: 1, pair: '😀' }, context: { traits: { name: cut } },
  });
  assert.equal(status, 'accepted');
  await analytics.flush();
  const stored = (await plane.events()).find((e) => e.messageId === messageId);
  const replaced = 'Great \uFFFD';
  assert.equal(stored.userId, replaced);
  assert.equal(stored.event, replaced);
  assert.deepEqual(stored.properties, { title: replaced, [replaced]: 1, pair: '😀' });
  assert.equal(stored.context.traits.name, replaced);
});

test('a cycle is refused, not looped over', () => {
  const properties = {};
  properties.self = properties;
  assert.throws(() => analytics.track({ userId: 'u', event: 'E', properties }), TypeError);
});

test('a value nested deeper than 256 levels is refused', () => {
  let deep = {};
  for (let i = 0; i < 300; i++) deep = { d: deep };
  assert.throws(() => analytics.track({ userId: 'u', event: 'E', properties: deep }), /properties(\.d)*: is nested deeper than 256 levels/);
  // So deep that JSON.stringify runs out of stack: refused by the same words, named and
  // counted, not a bare "Maximum call stack size exceeded".
  let deeper = {};
  for (let i = 0; i < 50_000; i++) deeper = { d: deeper };
  let list = [];
  for (let i = 0; i < 50_000; i++) list = [list];
  const dropped = analytics.stats().dropped.invalid;
  assert.throws(() => analytics.track({ userId: 'u', event: 'E', properties: { deeper } }),
    { name: 'TypeError', call: 'track', field: 'properties.deeper', code: 'invalid_value', message: 'track: properties.deeper: is nested deeper than 256 levels' });
  assert.throws(() => analytics.identify({ userId: 'u', traits: { list } }),
    { name: 'TypeError', call: 'identify', field: 'traits.list', code: 'invalid_value', message: 'identify: traits.list: is nested deeper than 256 levels' });
  assert.equal(analytics.stats().dropped.invalid, dropped + 2);
});

test('refused calls are counted as dropped(invalid) and never reach the network', async () => {
  const before = analytics.stats();
  const requestsBefore = (await plane.requests()).length;
  for (const [method, input] of refusals) {
    try { analytics[method](input); } catch { /* counted */ }
  }
  await analytics.flush();
  const after = analytics.stats();
  assert.equal(after.dropped.invalid - before.dropped.invalid, refusals.length);
  assert.equal(after.queued, before.queued);
  assert.equal((await plane.requests()).length, requestsBefore);
});

test('the caller keeps its object: later changes do not alter the queued event', async () => {
  const properties = { step: 1 };
  const { messageId } = analytics.track({ userId: 'u', event: 'Mutated', properties });
  properties.step = 2;
  await analytics.flush();
  const stored = (await plane.events()).find((e) => e.messageId === messageId);
  assert.equal(stored.properties.step, 1);
});

const badSettings = [
  [{ dataPlaneUrl: 'http://127.0.0.1:1' }, TypeError, /^writeKey: is required/],
  [{ writeKey: '', dataPlaneUrl: 'http://127.0.0.1:1' }, TypeError, /^writeKey: is required/],
  [{ writeKey: 42, dataPlaneUrl: 'http://127.0.0.1:1' }, TypeError, /^writeKey: must be a string/],
  [{ writeKey: 'k' }, TypeError, /^dataPlaneUrl: is required$/],
  [{ writeKey: 'k', dataPlaneUrl: 'ftp://x' }, TypeError, /^dataPlaneUrl: must start with http/],
  [{ writeKey: 'k', dataPlaneUrl: 'https://host/#top' }, TypeError, /^dataPlaneUrl: must not have a fragment/],
  [{ writeKey: 'k', dataPlaneUrl: 'https://host:0' }, TypeError, /^dataPlaneUrl: must have a port from 1 to 65535/],
  [{ writeKey: 'k', dataPlaneUrl: 'https:///v1/batch' }, TypeError, /^dataPlaneUrl: must name a host/],
  [{ writeKey: 'k', dataPlaneUrl: 'https://host/a b' }, TypeError, /^dataPlaneUrl: must not contain white space/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', uploadSize: 0 }, RangeError, /^uploadSize: must be a whole number from 1 to 9007199254740991$/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', uploadSize: -1 }, RangeError, /^uploadSize: must be a whole number from 1 to 9007199254740991$/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', timeoutMs: -1 }, RangeError, /^timeoutMs: must be a whole number/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', uploadIntervalMs: 1.5 }, RangeError, /^uploadIntervalMs: /],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', maxRetries: '3' }, TypeError, /^maxRetries: must be a number/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', gzip: 'yes' }, TypeError, /^gzip: must be true or false/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', maxMessageBytes: 600_000 }, RangeError, /^maxMessageBytes: must leave room/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', uploadsize: 10 }, TypeError, /^uploadsize: is not a setting \(here it is spelled uploadSize\)$/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', uploadSise: 10 }, TypeError, /^uploadSise: is not a setting \(check its spelling\)$/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', flushAt: 10 }, TypeError, /^flushAt: is not a setting \(another SDK's name: here it is uploadSize\)$/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', flushInterval: 10 }, TypeError, /^flushInterval: is not a setting \(another SDK's name: here it is uploadIntervalMs\)$/],
  [{ writeKey: 'k', host: 'http://x' }, TypeError, /^host: is not a setting \(another SDK's name: here it is dataPlaneUrl\)$/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', disable: true }, TypeError, /^disable: is not a setting \(another SDK's name: here it is send: false\)$/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', upload_size: 10 }, TypeError, /^upload_size: is not a setting \(here it is spelled uploadSize\)$/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', ca_file: '/ca.pem' }, TypeError, /^ca_file: is not a setting \(check its spelling\)$/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', sessionTimeoutMs: 60_000 }, TypeError, /^sessionTimeoutMs: is for browsers/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', sessionTimeoutMs: 5_000 }, TypeError, /^sessionTimeoutMs: is for browsers/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', onerror: () => {} }, TypeError, /^onerror: is not a setting \(here it is spelled onError\)$/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', Logger: console }, TypeError, /^Logger: is not a setting \(here it is spelled logger\)$/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', beforeSend: () => {} }, TypeError, /^beforeSend: is not a setting \(another SDK's name: here it is plugins\)$/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', uploadSize: () => 5 }, TypeError, /^uploadSize: must be a number/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', onError: 'log' }, TypeError, /^onError: must be a function/],
  [{ writeKey: 'k', dataPlaneUrl: 'http://x', logger: {} }, TypeError, /^logger: /],
  [null, TypeError, /^settings: /],
];

test('bad settings reject create() with TypeError or RangeError naming the setting', async () => {
  for (const [settings, type, message] of badSettings) {
    await assert.rejects(Analytics.create(settings), (e) => {
      assert.equal(e.constructor, type, `${JSON.stringify(settings)}: ${e.message}`);
      assert.match(e.message, message);
      return true;
    });
  }
});

test('NaN and Infinity in a core setting reject ready, as any number out of its range does', async () => {
  for (const [extra, message] of [
    [{ uploadSize: NaN }, 'uploadSize: must be a whole number from 1 to 9007199254740991'],
    [{ timeoutMs: Infinity }, 'timeoutMs: must be a whole number from 1 to 2147483647'],
    [{ maxRetries: -Infinity }, 'maxRetries: must be a whole number from 0 to 1000'],
  ]) {
    const analytics = new Analytics({ writeKey: 'k', dataPlaneUrl: 'http://x', logger: QUIET, ...extra });  // no throw
    await assert.rejects(analytics.ready, { name: 'RangeError', call: 'create', field: Object.keys(extra)[0], message });
  }
});

// The options the glue reads itself (GLUE_OPTIONS in src/index.mjs) never reach the core, which
// words the refusal of every other key; it keeps its own list of them (kPackageOptions in
// src/core/setting_names.cpp) only to suggest their spelling. Read from the source, so that an
// option added to the glue and not to the core's list fails here.
test('every option the glue reads itself is suggested when its case is wrong', async () => {
  const source = readFileSync(new URL('../src/index.mjs', import.meta.url), 'utf8');
  const listed = source.match(/const GLUE_OPTIONS = \[([^\]]*)\]/);
  assert.ok(listed, 'GLUE_OPTIONS is in src/index.mjs');
  const options = [...listed[1].matchAll(/'([A-Za-z]+)'/g)].map((m) => m[1]);
  assert.ok(options.length >= 10, `read ${options.length} options`);
  for (const option of options) {
    const miscased = option === option.toLowerCase() ? option[0].toUpperCase() + option.slice(1) : option.toLowerCase();
    await assert.rejects(Analytics.create({ writeKey: 'k', dataPlaneUrl: 'http://x', [miscased]: 1 }), (e) => {
      assert.equal(e.message, `${miscased}: is not a setting (here it is spelled ${option})`);
      return true;
    }, option);
  }
});

test('a dataPlaneUrl with a query or credentials rejects create() naming it, never showing the password or key', async () => {
  const cases = [
    ['https://u:pw@host/x?y=1', /^dataPlaneUrl: must not have a query \('\?'\).*"https:\/\/\*\*\*@host\/x\?\*\*\*"/],
    ['https://u:pw@host/x', /^dataPlaneUrl: must not contain a user name or password/],
    [`https://host/v1/batch?writeKey=${WRITE_KEY}`, /^dataPlaneUrl: must not have a query/],
  ];
  for (const [dataPlaneUrl, message] of cases) {
    await assert.rejects(Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl }), (e) => {
      assert.equal(e.constructor, TypeError, e.message);
      assert.match(e.message, message);
      assert.ok(!e.message.includes('pw'), `no password: ${e.message}`);
      assert.ok(!e.message.includes(WRITE_KEY), `no write key: ${e.message}`);
      return true;
    });
  }
  // The scheme in any case, a prefix path, or one ending in /v1/batch: accepted.
  for (const dataPlaneUrl of ['HTTP://127.0.0.1:1', 'http://127.0.0.1:1/prefix/', 'http://[::1]:1/v1/batch']) {
    const a = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl, send: false });
    await a.close();
  }
});

// Issue 7: years 0001-9999 are sent exactly, whatever form the time takes (a Date, RFC 3339
// text, epoch milliseconds); outside them the call is refused naming timestamp.
test('timestamps across the years 1 to 9999 arrive exactly; years outside are refused naming timestamp', async () => {
  const given = ['0001-01-01T00:00:00.000Z', '1600-02-29T12:00:00.000Z', '2300-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z'];
  const sent = new Map();
  for (const text of given) {
    for (const timestamp of [text, new Date(text), Date.parse(text)]) {
      const { messageId } = analytics.track({ userId: 'u', event: 'Then', timestamp });
      sent.set(messageId, text);
    }
  }
  await analytics.flush();
  const stored = new Map((await plane.events()).map((e) => [e.messageId, e.timestamp]));
  for (const [messageId, text] of sent) assert.equal(stored.get(messageId), text, messageId);

  for (const timestamp of ['10000-01-01T00:00:00.000Z', '0000-12-31T00:00:00.000Z',
    new Date(Date.UTC(10000, 0, 1)), new Date('0000-12-31T00:00:00.000Z'),
    Date.parse('9999-12-31T23:59:59.999Z') + 1, Date.parse('0001-01-01T00:00:00.000Z') - 1]) {
    assert.throws(() => analytics.track({ userId: 'u', event: 'Then', timestamp }), (e) => {
      assert.ok(e instanceof TypeError || e instanceof RangeError, e.message);
      assert.match(e.message, /^track: timestamp: /, String(timestamp));
      return true;
    });
  }
  assert.equal(Date.parse('0001-01-01T00:00:00.000Z'), -62135596800000, 'the range start as the core has it');
});

test('a timestamp of seconds since 1970 (Date.now() / 1000, time.time()) is refused, not sent as a time in 1970', async () => {
  for (const timestamp of [1_700_000_000, Date.now() / 1000, 0, -5, 99_999_999_999]) {
    assert.throws(() => analytics.track({ userId: 'u', event: 'Seconds', timestamp }), (e) => {
      assert.equal(e.message, 'track: timestamp: is milliseconds since 1970 and this is within 3 years of 1970: ' +
        'seconds must be multiplied by 1000 (a time that early goes as an RFC 3339 string)', String(timestamp));
      assert.deepEqual([e.name, e.field, e.code], ['TypeError', 'timestamp', 'invalid_value']);
      return true;
    });
  }
  // Milliseconds, and that early a time as text or a Date, go as given.
  const { messageId: ms } = analytics.track({ userId: 'u', event: 'Ms', timestamp: 100_000_000_000 });
  const { messageId: text } = analytics.track({ userId: 'u', event: 'Text', timestamp: '1970-01-20T16:13:20.000Z' });
  const { messageId: date } = analytics.track({ userId: 'u', event: 'Date', timestamp: new Date(1_700_000_000) });
  await analytics.flush();
  const stored = new Map((await plane.events()).map((e) => [e.messageId, e.timestamp]));
  assert.deepEqual([stored.get(ms), stored.get(text), stored.get(date)],
    ['1973-03-03T09:46:40.000Z', '1970-01-20T16:13:20.000Z', '1970-01-20T16:13:20.000Z']);
});

test('flush() and close() refuse a bad timeout, NaN included, naming it', async () => {
  const a = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url });
  for (const timeoutMs of [-5, NaN]) {
    for (const call of ['flush', 'close']) {
      assert.throws(() => a[call]({ timeoutMs }), { name: 'RangeError', call, field: 'timeoutMs', code: 'out_of_range' }, `${call} ${timeoutMs}`);
    }
  }
  assert.throws(() => a.flush({ timeoutMs: '5' }), { name: 'TypeError', field: 'timeoutMs', code: 'wrong_type' });
  await a.close();
});

test('sessionTimeoutMs: 0 is accepted in Node, as its refusal of other values says', async () => {
  const a = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, sessionTimeoutMs: 0 });
  await a.close();
});

test('the remembered user is for browsers: in Node each call gives its ids', () => {
  for (const [call, run] of [
    ['getAnonymousId', () => analytics.getAnonymousId()],
    ['setAnonymousId', () => analytics.setAnonymousId('a-1')],
    ['reset', () => analytics.reset()],
  ]) {
    assert.throws(run, (e) => {
      assert.equal(e.message, `${call}: is for browsers; in Node each call gives its userId or anonymousId`);
      assert.deepEqual([e.call, e.code], [call, 'invalid_value']);
      return true;
    });
  }
  assert.throws(() => analytics.track({ event: 'E' }), /userId or anonymousId is required/);
});
