// rudder-analytics js tests: the six calls arrive at the local data plane as the spec says.
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Analytics } from 'rudder-analytics-wasm';
import { ISO_MS, UUID_V4, WRITE_KEY, startPlane } from './helpers.mjs';

let plane;
before(async () => { plane = await startPlane(); });
after(() => plane.close());

async function sendAndFetch(calls, settings = {}) {
  const analytics = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, ...settings });
  const ids = calls.map(([method, message]) => analytics[method](message).messageId);
  const outcome = await analytics.close();
  const all = await plane.events();
  return { outcome, ids, events: ids.map((id) => all.find((e) => e.messageId === id)) };
}

test('the six calls arrive with their own fields, ids and defaults', async () => {
  const { outcome, events } = await sendAndFetch([
    ['identify', { userId: 'u1', traits: { email: 'a@example.com', plan: 'pro' } }],
    ['track', { userId: 'u1', event: 'Order Completed', properties: { revenue: 9.5, items: [{ sku: 'a' }] } }],
    ['page', { anonymousId: 'anon-1', name: 'Pricing', category: 'Docs', properties: { path: '/pricing' } }],
    ['screen', { userId: 'u1', name: 'Home', properties: { tab: 2 } }],
    ['group', { userId: 'u1', groupId: 'g1', traits: { seats: 10 } }],
    ['alias', { previousId: 'anon-1', userId: 'u1' }],
  ]);
  assert.deepEqual(outcome, { delivered: 6, failed: 0, unknown: 0, unsent: 0, beaconed: 0, pending: 0, kept: 0, lastAttempt: '' });
  const [identify, track, page, screen, group, alias] = events;
  assert.deepEqual(events.map((e) => e.type), ['identify', 'track', 'page', 'screen', 'group', 'alias']);

  assert.deepEqual(identify.traits, { email: 'a@example.com', plan: 'pro' });
  assert.deepEqual(identify.context.traits, identify.traits, 'identify copies traits into context');
  assert.equal(track.event, 'Order Completed');
  assert.deepEqual(track.properties, { revenue: 9.5, items: [{ sku: 'a' }] });
  assert.equal(page.anonymousId, 'anon-1');
  assert.equal(page.userId, undefined);
  assert.deepEqual([page.name, page.category, page.properties.path], ['Pricing', 'Docs', '/pricing']);
  assert.deepEqual([screen.name, screen.properties.tab], ['Home', 2]);
  assert.deepEqual([group.groupId, group.traits.seats], ['g1', 10]);
  assert.deepEqual([alias.previousId, alias.userId], ['anon-1', 'u1']);

  for (const e of events) {
    assert.match(e.messageId, UUID_V4);
    assert.deepEqual(e.context.library, { name: 'rudder-analytics-wasm', version: '0.1.0' });
    assert.deepEqual(e.integrations, { All: true });
    assert.equal(e.channel, 'server', 'Node reports the server channel');
    assert.match(e.originalTimestamp, ISO_MS);
    assert.match(e.sentAt, ISO_MS);
    assert.ok(e.sentAt >= e.originalTimestamp);
    assert.equal(e.timestamp, undefined, 'timestamp only when the caller gave one');
  }
});

test('optional fields: given messageId, timestamp as Date / string / number, context, integrations, numeric ids', async () => {
  const { events } = await sendAndFetch([
    ['track', { userId: 42, event: 'A', messageId: 'my-id-1', timestamp: new Date(Date.UTC(2024, 0, 2, 3, 4, 5, 6)) }],
    ['track', { anonymousId: 7, event: 'B', timestamp: '2024-01-02T03:04:05.006+02:00', context: { ip: '1.2.3.4', app: { name: 'x' } } }],
    ['track', { userId: 'u', event: 'C', timestamp: 1_704_164_645_006, integrations: { All: false, Amplitude: true } }],
  ]);
  const [a, b, c] = events;
  assert.equal(a.messageId, 'my-id-1');
  assert.equal(a.userId, '42');
  assert.equal(a._computedTimestamp, '2024-01-02T03:04:05.006Z');
  assert.equal(b.anonymousId, '7');
  assert.equal(b._computedTimestamp, '2024-01-02T01:04:05.006Z');
  assert.deepEqual(b.context.app, { name: 'x' });
  assert.equal(b.context.ip, '1.2.3.4');
  assert.deepEqual(b.context.library.name, 'rudder-analytics-wasm');
  assert.equal(c._computedTimestamp, '2024-01-02T03:04:05.006Z');
  assert.deepEqual(c.integrations, { All: false, Amplitude: true });
});

test('non-ASCII text and escapes survive the trip through wasm memory', async () => {
  const text = 'Grüße 👋 "quoted" \\ back\nslash \u0001 日本';
  const { events, ids } = await sendAndFetch([
    ['track', { userId: 'ü-1', event: text, properties: { [text]: text } }],
    ['track', { userId: 'u', event: 'E', messageId: 'idé-日本-👋' }],  // comes back from the core as the call's result
  ]);
  assert.equal(ids[1], 'idé-日本-👋');
  assert.equal(events[1].messageId, 'idé-日本-👋');
  assert.equal(events[0].event, text);
  assert.equal(events[0].userId, 'ü-1');
  assert.deepEqual(events[0].properties, { [text]: text });
});

test('channel follows the setting', async () => {
  const { events } = await sendAndFetch([['track', { userId: 'u', event: 'E' }]], { channel: 'mobile' });
  assert.equal(events[0].channel, 'mobile');
});

test('send: false builds and validates but sends nothing', async () => {
  const before = (await plane.requests()).length;
  const analytics = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, send: false });
  const result = analytics.track({ userId: 'u', event: 'Dry' });
  assert.equal(result.status, 'accepted');
  assert.match(result.messageId, UUID_V4);
  assert.throws(() => analytics.track({ userId: 'u' }), TypeError);
  await analytics.close();
  assert.equal((await plane.requests()).length, before);
  assert.equal(analytics.stats().queued, 0);
});

test('plugins edit, drop and survive a throwing plugin; what they return is checked', async () => {
  await fetch(`${plane.url}/_control/reset`, { method: 'POST' });
  const errors = [];
  const logger = { debug() {}, info() {}, warn() {}, error: (line) => errors.push(line) };
  const analytics = await Analytics.create({
    writeKey: WRITE_KEY, dataPlaneUrl: plane.url, logger,
    plugins: [(message, call) => (call === 'track' && message.event === 'Secret' ? null : message)],
  });
  analytics.addPlugin((message, call) => {
    if (message.event === 'Boom') throw new Error('plugin failed');
    if (message.event === 'Half done') {  // edits in place, then throws: none of it is kept
      message.event = 'Renamed';
      message.properties.step = 2;
      throw new Error('half way');
    }
    if (message.event === 'Bad') return { ...message, properties: 'not an object' };
    if (message.event === 'Huge') message.properties = { count: 10n };  // edited in place
    return { ...message, context: { app: { name: 'shop' } }, properties: call === 'track' ? { ...message.properties, seen: true } : undefined };
  });
  const kept = analytics.track({ userId: 'u', event: 'Bought', properties: { total: 9 } });
  assert.deepEqual(analytics.track({ userId: 'u', event: 'Secret' }), { status: 'dropped', error: 'plugins: dropped the event' });
  const boom = analytics.track({ userId: 'u', event: 'Boom' });
  const halfInput = { userId: 'u', event: 'Half done', properties: { step: 1 } };
  const half = analytics.track(halfInput);
  assert.deepEqual(halfInput, { userId: 'u', event: 'Half done', properties: { step: 1 } }, 'the caller\'s object is untouched');
  // A caller's own mistake, passed on unchanged by the plugins, is not blamed on them.
  assert.throws(() => analytics.track({ userId: 'u' }),
    (e) => e.field === 'event' && !/plugins/.test(e.message));
  assert.throws(() => analytics.track({ userId: 'u', event: 'E', properties: { n: 1n } }),
    (e) => e.field === 'properties.n' && !/plugins/.test(e.message));
  // Refused in what the plugins returned (by the core, or by the glue's own checks): the
  // message says so, since the caller's object was fine.
  assert.throws(() => analytics.track({ userId: 'u', event: 'Bad' }),
    (e) => e instanceof TypeError && e.field === 'properties' && e.code === 'wrong_type' &&
      e.message === 'track: properties: must be an object, not string (in the message the plugins returned)');
  const hugeInput = { userId: 'u', event: 'Huge', properties: { fine: true } };
  assert.throws(() => analytics.track(hugeInput),
    (e) => e.field === 'properties.count' && / \(in the message the plugins returned\)$/.test(e.message));
  assert.deepEqual(hugeInput.properties, { fine: true }, 'an edit in place is made to a copy');
  // Input that is no object never reaches the plugins: its refusal is the caller's alone.
  assert.throws(() => analytics.track(null), { message: 'track: expects one object argument, e.g. track({ userId, ... })' });
  const identify = analytics.identify({ userId: 'u2' });
  assert.throws(() => analytics.addPlugin('nope'), { name: 'TypeError', field: 'plugin', call: 'addPlugin' });
  // A plugin that returns something other than a message is blamed, not the caller.
  const odd = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, plugins: [() => 42], logger });
  assert.throws(() => odd.track({ userId: 'u', event: 'E' }),
    { name: 'TypeError', message: 'track: plugins[0] returned number, not the message object (or null to drop it)' });
  assert.equal(odd.stats().dropped.invalid, 1);
  await odd.close();
  // An async plugin (Segment's are) is refused where it is given: every call would have to
  // refuse its Promise, and a server's every request would throw.
  const asyncProblem = 'is an async function; plugins run on the call, so they return the message (or null), not a Promise';
  await assert.rejects(Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, plugins: [(m) => m, async (m) => m] }),
    { name: 'TypeError', code: 'wrong_type', call: 'create', field: 'plugins[1]', message: `plugins[1]: ${asyncProblem}` });
  assert.throws(() => analytics.addPlugin(async (m) => m),
    { name: 'TypeError', code: 'wrong_type', call: 'addPlugin', field: 'plugin', message: `addPlugin: plugin: ${asyncProblem}` });
  // One that returns a Promise all the same: its promise would have been sent as {}, so the
  // call is refused.
  const later = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, plugins: [(m) => Promise.resolve(m)], logger });
  assert.throws(() => later.identify({ userId: 'u3' }), {
    name: 'TypeError', code: 'wrong_type',
    message: 'identify: plugins[0] returned a Promise; plugins run on the call, so return the message (or null to drop it), not a Promise',
  });
  assert.equal(later.stats().dropped.invalid, 1);
  await later.close();
  // false drops the event as null does (a filter's natural answer); an async plugin that
  // rejects leaves no unhandled rejection to end the process.
  const rejections = [];
  const onRejection = (reason) => rejections.push(reason);
  process.on('unhandledRejection', onRejection);
  const filtering = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, plugins: [() => false], logger });
  assert.deepEqual(filtering.track({ userId: 'u', event: 'E' }), { status: 'dropped', error: 'plugins: dropped the event' });
  assert.equal(filtering.stats().dropped.by_plugin, 1);
  await filtering.close();
  const failing = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, plugins: [() => Promise.reject(new Error('x'))], logger });
  assert.throws(() => failing.track({ userId: 'u', event: 'E' }), { name: 'TypeError', code: 'wrong_type' });
  await new Promise((resolve) => setImmediate(resolve));
  await new Promise((resolve) => setImmediate(resolve));
  process.off('unhandledRejection', onRejection);
  assert.deepEqual(rejections, []);
  await failing.close();
  await analytics.close();
  const stats = analytics.stats();
  assert.deepEqual([stats.dropped.by_plugin, stats.dropped.invalid], [1, 5]);
  assert.deepEqual(errors, ['[rudder-analytics] plugins threw (plugins[1]: plugin failed); the event goes on without its change',
    '[rudder-analytics] plugins threw (plugins[1]: half way); the event goes on without its change']);
  const events = await plane.events();
  const byId = (id) => events.find((e) => e.messageId === id);
  assert.deepEqual(byId(kept.messageId).properties, { total: 9, seen: true });
  assert.equal(byId(kept.messageId).context.app.name, 'shop');
  assert.equal(byId(kept.messageId).context.library.name, 'rudder-analytics-wasm');
  assert.equal(byId(boom.messageId).event, 'Boom');
  assert.equal(byId(half.messageId).event, 'Half done', 'sent as the call gave it');
  assert.deepEqual(byId(half.messageId).properties, { step: 1 });
  assert.equal(byId(identify.messageId).context.app.name, 'shop');
  assert.equal(events.length, 4);
  await assert.rejects(Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, plugins: [1] }),
    { name: 'TypeError', field: 'plugins[0]', call: 'create', message: 'plugins[0]: must be a function (message, call) => message or null' });
});
