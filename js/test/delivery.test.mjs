// rudder-analytics js tests: delivery against the local data plane: batching, retries with
// Retry-After, failures reaching onError, flush and close, gzip.
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Analytics, DeliveryError } from 'rudder-analytics-wasm';
import { QUIET as quiet, WRITE_KEY, startDataPlane, startPlane, waitFor } from './helpers.mjs';

let plane;
before(async () => { plane = await startPlane(); });
beforeEach(async () => { await fetch(`${plane.url}/_control/reset`, { method: 'POST' }); });
after(() => plane.close());

const create = (settings = {}) =>
  Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, ...settings });

function trackMany(analytics, count, prefix = 'e') {
  const ids = [];
  for (let i = 0; i < count; i++) ids.push(analytics.track({ userId: 'u', event: `${prefix}${i}` }).messageId);
  return ids;
}

const storedIds = async () => (await plane.events()).map((e) => e.messageId);

test('timeouts beyond what a timer can hold, and close() by default, wait for a slow answer', { timeout: 20_000 }, async () => {
  // setTimeout takes at most 2^31 - 1 ms and fires at once past it: a timeout of 2^32 ms or
  // Infinity must not end the wait early; close() waits 10 s unless told otherwise.
  const analytics = await create();
  await plane.misbehave({ count: 1, delayMs: 800 });
  trackMany(analytics, 1, 'a');
  const flushed = await analytics.flush({ timeoutMs: 2 ** 32 });
  assert.deepEqual([flushed.delivered, flushed.pending], [1, 0]);
  await plane.misbehave({ count: 1, delayMs: 1_500 });
  trackMany(analytics, 1, 'b');
  const closed = await analytics.close();
  assert.deepEqual([closed.delivered, closed.unknown, closed.unsent], [1, 0, 0]);
  const other = await create();
  await plane.misbehave({ count: 1, delayMs: 800 });
  trackMany(other, 1, 'c');
  const closedLater = await other.close({ timeoutMs: Infinity });
  assert.deepEqual([closedLater.delivered, closedLater.unknown, closedLater.unsent], [1, 0, 0]);
  assert.equal((await storedIds()).length, 3);
});

test('flush({ timeoutMs }) resolves in time with what is left as pending, which is still delivered', async () => {
  await plane.misbehave({ count: 1, delayMs: 1_500 });  // the first request is answered late
  const analytics = await create();
  const ids = trackMany(analytics, 5);
  const started = Date.now();
  const early = await analytics.flush({ timeoutMs: 200 });
  const waited = Date.now() - started;
  assert.ok(waited >= 190 && waited < 1_000, `resolved after ${waited} ms`);
  assert.deepEqual(early, { delivered: 0, failed: 0, unknown: 0, unsent: 0, beaconed: 0, pending: 5, kept: 0, lastAttempt: '' }, 'no attempt failed: the first is still out');
  const later = await analytics.flush();
  assert.equal(later.delivered, 5, 'delivered once the late answer came');
  assert.deepEqual(await storedIds(), ids);
  // A flush that settles before its timeout resolves as usual.
  analytics.track({ userId: 'u', event: 'quick' });
  assert.equal((await analytics.flush({ timeoutMs: 10_000 })).delivered, 1);
  assert.throws(() => analytics.flush({ timeoutMs: -1 }),
    { name: 'RangeError', field: 'timeoutMs', call: 'flush', code: 'out_of_range', message: 'flush: timeoutMs: must be 0 or more milliseconds' });
  assert.throws(() => analytics.flush({ timeoutMs: '500' }),
    { name: 'TypeError', field: 'timeoutMs', call: 'flush', code: 'wrong_type', message: 'flush: timeoutMs: must be a number of milliseconds, not string' });
  // A misspelled option is refused, not ignored (the default would be waited out instead).
  assert.throws(() => analytics.flush({ timeoutMS: 5 }),
    { name: 'TypeError', field: 'timeoutMS', call: 'flush', code: 'invalid_value', message: 'flush: timeoutMS: is not an option (its one option is timeoutMs)' });
  assert.throws(() => analytics.close({ timeout: 500 }),
    { name: 'TypeError', field: 'timeout', call: 'close', code: 'invalid_value', message: 'close: timeout: is not an option (its one option is timeoutMs)' });
  for (const [options, what] of [[null, 'null'], ['x', 'string'], [[], 'an array']]) {
    assert.throws(() => analytics.flush(options),
      { name: 'TypeError', field: 'options', call: 'flush', code: 'wrong_type', message: `flush: expects { timeoutMs } or nothing, not ${what}` });
  }
  assert.equal((await analytics.flush({})).pending, 0);
  await analytics.close();
});

test('flush sends partial batches at once and resolves when all is delivered', async () => {
  const analytics = await create({ uploadSize: 100, uploadIntervalMs: 60_000 });
  const ids = trackMany(analytics, 250);
  const outcome = await analytics.flush();
  assert.deepEqual(outcome, { delivered: 250, failed: 0, unknown: 0, unsent: 0, beaconed: 0, pending: 0, kept: 0, lastAttempt: '' });
  assert.deepEqual(await storedIds(), ids, 'in order, each once');
  assert.deepEqual((await plane.requests()).map((r) => r.events), [100, 100, 50]);
  await analytics.close();
});

test('events go out after uploadIntervalMs without a flush', async () => {
  const analytics = await create({ uploadIntervalMs: 100 });
  const ids = trackMany(analytics, 3);
  await waitFor(async () => (await storedIds()).length === 3, 5_000, 'the interval to pass');
  assert.deepEqual(await storedIds(), ids);
  await analytics.close();
});

test('503 with Retry-After is retried after the asked delay and delivers exactly once', async () => {
  await plane.misbehave({ count: 2, status: 503, body: 'Service Unavailable', retryAfter: '1' });
  const analytics = await create();
  const ids = trackMany(analytics, 5);
  const outcome = await analytics.flush();
  assert.equal(outcome.delivered, 5);
  assert.equal(outcome.failed, 0);
  assert.deepEqual(await storedIds(), ids);
  const requests = await plane.requests();
  assert.deepEqual(requests.map((r) => r.status), [503, 503, 200]);
  assert.ok(requests[1].at - requests[0].at >= 950, 'the first retry waited for Retry-After');
  assert.ok(requests[2].at - requests[1].at >= 950, 'the second retry waited for Retry-After');
  assert.equal(analytics.stats().retried, 2);
  await analytics.close();
});

test('429 without Retry-After and a dropped connection are retried with back-off', async () => {
  await plane.misbehave({ count: 1, status: 429, body: 'max requests limit reached' });
  await plane.misbehave({ count: 1, drop: true });
  const analytics = await create();
  const ids = trackMany(analytics, 4);
  assert.equal((await analytics.flush()).delivered, 4);
  assert.deepEqual(await storedIds(), ids);
  assert.deepEqual((await plane.requests()).map((r) => r.status), [429, 0, 200]);
  await analytics.close();
});

test('a request that times out is retried', async () => {
  await plane.misbehave({ count: 1, delayMs: 1_500, status: 503 });
  const analytics = await create({ timeoutMs: 300 });
  const ids = trackMany(analytics, 2);
  const outcome = await analytics.flush();
  assert.equal(outcome.delivered, 2);
  assert.deepEqual(await storedIds(), ids);
  assert.equal(analytics.stats().retried, 1);
  await analytics.close();
});

test('a 4xx answer is final: onError gets the events and the answer, nothing is retried', async () => {
  const errors = [];
  const analytics = await Analytics.create({
    writeKey: 'not-a-known-key', dataPlaneUrl: plane.url, onError: (error, events) => errors.push({ error, events }),
  });
  const ids = trackMany(analytics, 3);
  const outcome = await analytics.flush();
  const { lastAttempt, ...counts } = outcome;
  assert.deepEqual(counts, { delivered: 0, failed: 3, unknown: 0, unsent: 0, beaconed: 0, pending: 0, kept: 0 });
  assert.match(lastAttempt, /^HTTP 401/, 'what the last attempt got');
  await waitFor(() => errors.length === 1, 2_000, 'onError');
  const [{ error, events }] = errors;
  assert.ok(error instanceof DeliveryError);
  assert.ok(error instanceof Error);
  assert.equal(error.kind, 'http_status');
  assert.equal(error.status, 401);
  assert.equal(error.body, 'invalid write key\n');
  assert.equal(error.attempts, 1);
  assert.match(error.message, /HTTP 401: invalid write key/);
  assert.deepEqual(events.map((e) => e.messageId), ids);
  assert.equal(events[0].event, 'e0');
  assert.equal((await plane.requests()).length, 1);
  assert.equal(analytics.stats().failed, 3);
  await analytics.close();
});

test('retries stop after maxRetries and the events reach onError', async () => {
  await plane.misbehave({ count: 10, status: 500, body: 'storage error', retryAfter: '0' });
  const errors = [];
  const analytics = await create({ maxRetries: 2, onError: (error, events) => errors.push({ error, events }) });
  trackMany(analytics, 2);
  const outcome = await analytics.flush();
  assert.equal(outcome.failed, 2);
  await waitFor(() => errors.length === 1, 2_000, 'onError');
  assert.equal(errors[0].error.status, 500);
  assert.equal(errors[0].error.attempts, 3);
  assert.equal((await plane.requests()).length, 3);
  await analytics.close();
});

test('an unreachable data plane ends in a network DeliveryError', async () => {
  const errors = [];
  const analytics = await Analytics.create({
    writeKey: WRITE_KEY, dataPlaneUrl: 'http://127.0.0.1:1', maxRetries: 1,
    onError: (error, events) => errors.push({ error, events }),
  });
  trackMany(analytics, 1);
  const outcome = await analytics.flush();
  assert.equal(outcome.failed, 1);
  await waitFor(() => errors.length === 1, 2_000, 'onError');
  assert.equal(errors[0].error.kind, 'network');
  assert.equal(errors[0].error.status, 0);
  await analytics.close();
});

test('an https data plane whose certificate is not trusted: failed (nothing was sent), never unknown', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rudder-certs-'));
  execFileSync(fileURLToPath(new URL('../../tests/dataplane/make-test-certs.sh', import.meta.url)), [dir]);
  const tlsPlane = await startDataPlane({
    port: 0, tls: { cert: readFileSync(join(dir, 'server.pem')), key: readFileSync(join(dir, 'server-key.pem')) },
  });
  try {
    const errors = [];
    const analytics = await Analytics.create({
      writeKey: WRITE_KEY, dataPlaneUrl: tlsPlane.url, maxRetries: 1, onError: (error) => errors.push(error),
    });
    trackMany(analytics, 2);
    const { lastAttempt, ...counts } = await analytics.flush();
    assert.deepEqual(counts, { delivered: 0, failed: 2, unknown: 0, unsent: 0, beaconed: 0, pending: 0, kept: 0 });
    assert.match(lastAttempt, /^network error: /);
    await waitFor(() => errors.length === 1, 2_000, 'onError');
    assert.equal(errors[0].kind, 'network');
    assert.match(errors[0].message, /UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED|CERT/);
    assert.equal(tlsPlane.state.requests.length, 0, 'no request reached it');
    await analytics.close();
  } finally {
    await tlsPlane.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a 413 splits the batch and both halves are delivered', async () => {
  await plane.misbehave({ count: 1, status: 413, body: 'request size exceeds max limit' });
  const analytics = await create();
  const ids = trackMany(analytics, 10);
  assert.equal((await analytics.flush()).delivered, 10);
  assert.deepEqual(await storedIds(), ids);
  assert.deepEqual((await plane.requests()).map((r) => [r.status, r.events]), [[413, 10], [200, 5], [200, 5]]);
  await analytics.close();
});

test('bodies are gzipped where CompressionStream exists, plain when gzip is off', async () => {
  for (const gzip of [true, false]) {
    await fetch(`${plane.url}/_control/reset`, { method: 'POST' });
    const analytics = await create({ gzip });
    trackMany(analytics, 20);
    await analytics.close();
    const [request] = await plane.requests();
    assert.equal(request.gzip, gzip);
    assert.equal(request.events, 20);
    if (gzip) assert.ok(request.bytes < request.decompressedBytes / 3, 'compressed well');
  }
});

test('close delivers everything queued, then refuses calls and counts them', async () => {
  const analytics = await create({ uploadIntervalMs: 60_000 });
  const ids = trackMany(analytics, 30);
  const outcome = await analytics.close();
  assert.deepEqual(outcome, { delivered: 30, failed: 0, unknown: 0, unsent: 0, beaconed: 0, pending: 0, kept: 0, lastAttempt: '' });
  assert.deepEqual(await storedIds(), ids);
  assert.deepEqual(analytics.track({ userId: 'u', event: 'late' }), { status: 'closed', error: 'client: is closed (close() was called)' });
  assert.equal(analytics.stats().dropped.shut_down, 1);
  assert.equal(analytics.close(), analytics.close(), 'close is idempotent');
});

test("close's timeout reports what is still undelivered as unsent_at_shutdown", async () => {
  await plane.misbehave({ count: 100, status: 503, retryAfter: '30' });
  const errors = [];
  const analytics = await create({ onError: (error, events) => errors.push({ error, events }) });
  const ids = trackMany(analytics, 4);
  const started = Date.now();
  const outcome = await analytics.close({ timeoutMs: 500 });
  assert.ok(Date.now() - started < 3_000, 'close returned soon after its timeout');
  const { lastAttempt, ...counts } = outcome;
  assert.deepEqual(counts, { delivered: 0, failed: 0, unknown: 0, unsent: 4, beaconed: 0, pending: 0, kept: 0 });
  assert.match(lastAttempt, /^HTTP 503/, 'why they were not delivered');
  await waitFor(() => errors.length === 1, 2_000, 'onError');
  assert.equal(errors[0].error.kind, 'unsent_at_shutdown');
  assert.match(errors[0].error.message, /^close\(\)'s timeout passed before these events were delivered/, 'the call it made');
  assert.deepEqual(errors[0].events.map((e) => e.messageId), ids);
  assert.equal(analytics.stats().dropped.unsent_at_shutdown, 4);
});

test('a full queue drops the call, says so and counts it', async () => {
  const warnings = [];
  const logger = { debug() {}, info() {}, warn: (m) => warnings.push(m), error() {} };
  const analytics = await create({ maxQueueSize: 2, uploadIntervalMs: 60_000, logger });
  trackMany(analytics, 2);
  const result = analytics.track({ userId: 'u', event: 'third' });
  assert.equal(result.status, 'queue_full');
  assert.match(result.error, /maxQueueSize 2/);
  analytics.track({ userId: 'u', event: 'fourth' });
  assert.equal(analytics.stats().dropped.queue_full, 2);
  assert.equal(warnings.length, 1, 'one warning per run of drops');
  assert.equal((await analytics.close()).delivered, 2);
});

test('100,000 events tracked in one synchronous loop are all accepted and delivered', async () => {
  // The event loop cannot deliver while the loop runs, so the whole burst waits in the queue:
  // bounded by bytes (maxQueueBytes, 64 MiB), not by a count that would refuse most of it.
  const analytics = await create({ uploadSize: 500 });
  let accepted = 0;
  for (let i = 0; i < 100_000; i++) {
    if (analytics.track({ userId: 'u', event: 'Burst', properties: { i } }).status === 'accepted') accepted++;
  }
  assert.equal(accepted, 100_000);
  const outcome = await analytics.close({ timeoutMs: 120_000 });
  assert.equal(outcome.delivered, 100_000);
  assert.equal((await plane.events()).length, 100_000);
});

test('a queue full by bytes drops the call naming maxQueueBytes', async () => {
  const analytics = await create({ maxQueueBytes: 4096, uploadIntervalMs: 60_000, logger: quiet });
  let result;
  let accepted = 0;
  while ((result = analytics.track({ userId: 'u', event: 'E', properties: { pad: 'x'.repeat(100) } })).status === 'accepted') accepted++;
  assert.ok(accepted > 5 && accepted < 40, `${accepted} accepted`);
  assert.equal(result.status, 'queue_full');
  assert.equal(result.error, 'queue: is full (maxQueueBytes 4096)');
  assert.equal((await analytics.close()).delivered, accepted);
});

test('a failure goes to onError alone; without onError it is logged', async () => {
  const logged = { with: [], without: [] };
  const recorder = (into) => ({ debug() {}, info() {}, warn() {}, error: (m) => into.push(m) });
  const reported = [];
  for (const [key, onError] of [['with', (error) => reported.push(error)], ['without', undefined]]) {
    const analytics = await Analytics.create({ writeKey: 'not-a-known-key', dataPlaneUrl: plane.url, logger: recorder(logged[key]), onError });
    trackMany(analytics, 2);
    assert.equal((await analytics.flush()).failed, 2);
    await analytics.close();
  }
  await waitFor(() => reported.length === 1, 2_000, 'onError');
  assert.deepEqual(logged.with, [], 'the handler owns it: not also logged');
  assert.deepEqual(logged.without, ['[rudder-analytics] could not deliver 2 events: HTTP 401: invalid write key']);
});

test('an exception in onError is logged and delivery goes on', async () => {
  const logged = [];
  const logger = { debug() {}, info() {}, warn() {}, error: (m) => logged.push(m) };
  const analytics = await Analytics.create({
    writeKey: 'not-a-known-key', dataPlaneUrl: plane.url, logger, onError: () => { throw new Error('boom'); },
  });
  trackMany(analytics, 1);
  await analytics.flush();
  await waitFor(() => logged.some((m) => /onError threw: Error: boom/.test(m)), 2_000, 'the log line');
  await analytics.close();
});

test('a logger whose methods throw loses its lines, never the events or the client', async () => {
  const boom = () => { throw new Error('log boom'); };
  const logger = { debug: boom, info: boom, warn: boom, error: boom };
  const told = [];
  const consoleError = console.error;
  console.error = (line) => told.push(line);
  try {
    // debug lines on every request, a warning at the start, an error for a plugin that throws
    const analytics = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, logger, debug: true,
      maxBatchBytes: 5_000_000, plugins: [() => { throw new Error('plugin boom'); }] });
    assert.equal(analytics.track({ userId: 'u', event: 'Logged badly' }).status, 'accepted');
    assert.equal((await analytics.flush({ timeoutMs: 10_000 })).delivered, 1);
    // an error line for a delivery that failed, with no onError
    const failing = await Analytics.create({ writeKey: 'not-a-known-key', dataPlaneUrl: plane.url, logger });
    assert.equal(failing.track({ userId: 'u', event: 'Refused' }).status, 'accepted');
    assert.equal((await failing.flush({ timeoutMs: 10_000 })).failed, 1);
    assert.equal(analytics.track({ userId: 'u', event: 'Still working' }).status, 'accepted');
    assert.equal((await analytics.close({ timeoutMs: 10_000 })).delivered, 1);
    await failing.close();
  } finally {
    console.error = consoleError;
  }
  assert.deepEqual(told, [
    '[rudder-analytics] logger.warn threw: log boom; lines it cannot take are dropped',
    '[rudder-analytics] logger.error threw: log boom; lines it cannot take are dropped',
  ], 'once for each client');
});

// ---- the truth about delivery: redirects, endless answers, stalls past the timeout --------

test('a redirect is a failure reported to onError, never a delivery and never a GET', async () => {
  await plane.misbehave({ count: 1, status: 303, location: `${plane.url}/elsewhere` });
  const errors = [];
  const analytics = await create({ onError: (error) => errors.push(error), logger: quiet });
  trackMany(analytics, 3);
  const outcome = await analytics.flush();
  assert.equal(outcome.delivered, 0);
  assert.equal(outcome.failed, 3);
  await waitFor(() => errors.length === 1, 2_000, 'onError');
  assert.equal(errors[0].kind, 'http_status');
  assert.equal(errors[0].status, 303);
  assert.match(errors[0].message, /redirect to "http:\/\/127\.0\.0\.1:\d+\/elsewhere"/);
  const requests = await plane.requests();
  assert.deepEqual(requests.map((r) => [r.method, r.path]), [['POST', '/v1/batch']], 'no GET followed');
  assert.equal((await plane.events()).length, 0);
  await analytics.close();
});

test('an endless answer is read only up to the cap', async () => {
  await plane.misbehave({ count: 1, status: 400, bodyBytes: 1024 ** 3 });
  const errors = [];
  const analytics = await create({ onError: (error) => errors.push(error), logger: quiet });
  const rssBefore = process.memoryUsage().rss;
  const started = Date.now();
  trackMany(analytics, 1);
  const outcome = await analytics.flush();
  assert.ok(Date.now() - started < 10_000, 'the gigabyte was not read');
  assert.equal(outcome.failed, 1);
  await waitFor(() => errors.length === 1, 2_000, 'onError');
  assert.equal(errors[0].body.length, 64 * 1024, "the core's cap");
  assert.ok(errors[0].message.length < 300, 'a message stays one line');
  assert.ok(process.memoryUsage().rss - rssBefore < 128 * 1024 ** 2, 'memory stayed bounded');
  await new Promise((r) => setTimeout(r, 200));
  const [request] = await plane.requests();
  assert.ok(request.bodyBytesSent < 64 * 1024 ** 2, `stopped reading (${request.bodyBytesSent} bytes sent)`);
  await analytics.close();
});

test('a request stalling on a kept-alive connection is unknown, never "not sent"', { timeout: 30_000 }, async () => {
  // A connection made by an earlier request is connected from the start: a timeout on it may
  // come after the data plane stored the events.
  const errors = [];
  const analytics = await create({ timeoutMs: 400, maxRetries: 0, onError: (error) => errors.push(error), logger: quiet });
  trackMany(analytics, 1, 'warm');
  assert.equal((await analytics.flush()).delivered, 1);
  await plane.misbehave({ count: 1, delayMs: 1500, storeBeforeDelay: true });
  trackMany(analytics, 1, 'stall');
  const { lastAttempt, ...counts } = await analytics.flush();
  assert.deepEqual([counts.unknown, counts.failed], [1, 0]);
  assert.match(lastAttempt, /no answer within 400 ms/);
  await waitFor(() => errors.length === 1, 2_000, 'onError');
  assert.equal(errors[0].kind, 'unknown_outcome');
  await analytics.close();
});

test('requests that stall past the timeout count as unknown, never as lost', { timeout: 30_000 }, async () => {
  await plane.misbehave({ count: 3, delayMs: 1500, storeBeforeDelay: true });
  const errors = [];
  const analytics = await create({ timeoutMs: 400, maxRetries: 2, onError: (error) => errors.push(error), logger: quiet });
  const ids = trackMany(analytics, 10);
  const outcome = await analytics.flush();
  const { lastAttempt, ...counts } = outcome;
  assert.deepEqual(counts, { delivered: 0, failed: 0, unknown: 10, unsent: 0, beaconed: 0, pending: 0, kept: 0 });
  assert.match(lastAttempt, /^network error: no answer within 400 ms$/, 'connected, so it may have arrived');
  assert.equal(analytics.stats().unknown, 10);
  assert.equal(analytics.stats().failed, 0);
  await waitFor(() => errors.length === 1, 2_000, 'onError');
  assert.equal(errors[0].kind, 'unknown_outcome');
  assert.equal(errors[0].attempts, 3);
  const stored = await storedIds();
  assert.equal(stored.length, 30, 'every attempt arrived');
  assert.deepEqual([...new Set(stored)].sort(), [...ids].sort(), 'with the same messageIds');
  await analytics.close();
});

test('a process frozen while its answer arrived (a Lambda between invocations) reads the answer, no false timeout', { timeout: 30_000 }, async () => {
  // After SIGSTOP / SIGCONT, Node runs expired timers before it reads the sockets: the
  // request's timeout fired although its 200 was waiting, and the batch was sent again.
  const script = `
    import { Analytics } from ${JSON.stringify(fileURLToPath(new URL('../dist/node.mjs', import.meta.url)))};
    const analytics = await Analytics.create({ writeKey: process.argv[1], dataPlaneUrl: process.argv[2], timeoutMs: 1000 });
    analytics.track({ userId: 'u', event: 'Before the freeze' });
    const flushed = await analytics.flush();
    console.log(JSON.stringify({ flushed, retried: analytics.stats().retried }));
  `;
  await plane.misbehave({ count: 1, delayMs: 400, storeBeforeDelay: true });
  const child = spawn(process.execPath, ['--input-type=module', '-e', script, WRITE_KEY, plane.url], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d) => { out += d; });
  const ended = new Promise((resolve) => child.on('close', resolve));
  try {
    await waitFor(async () => (await plane.events()).length === 1, 10_000, 'the event stored');
    child.kill('SIGSTOP');  // the answer comes 400 ms after storing, while the process is frozen
    await new Promise((resolve) => setTimeout(resolve, 2_000));
    child.kill('SIGCONT');
  } finally {
    child.kill('SIGCONT');
  }
  await ended;
  const result = JSON.parse(out);
  assert.deepEqual([result.flushed.delivered, result.flushed.unknown, result.retried], [1, 0, 0], out);
  assert.equal((await plane.events()).length, 1, 'sent once');
});
