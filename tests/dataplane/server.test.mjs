// The local data plane against the gateway's contract, over real HTTP on loopback.
// node --test tests/dataplane/   (Node 20, no npm packages)
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

import { startDataPlane } from './server.mjs';

const SERVER = fileURLToPath(new URL('./server.mjs', import.meta.url));
const KEY = 'test-write-key';
const basic = (user, password = '') => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

let plane;
before(async () => {
  plane = await startDataPlane({ port: 0 });
});
after(() => plane.close());
beforeEach(() => control('POST', '/_control/reset'));

// A data request. `body`: a string or Buffer sent as is, anything else as JSON.
async function send(path, body, { auth = basic(KEY), headers = {}, gzip = false, base = plane.url } = {}) {
  let payload = typeof body === 'string' || Buffer.isBuffer(body) ? body : JSON.stringify(body);
  if (gzip) payload = gzipSync(payload);
  const response = await fetch(base + path, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...(auth ? { authorization: auth } : {}),
      ...(gzip ? { 'content-encoding': 'gzip' } : {}),
      ...headers,
    },
    body: payload,
  });
  return { status: response.status, text: await response.text(), headers: response.headers };
}

async function control(method, path, body, base = plane.url) {
  const response = await fetch(base + path, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const json = await response.json();
  assert.equal(response.status, 200, `${method} ${path}: ${JSON.stringify(json)}`);
  return json;
}
const events = () => control('GET', '/_control/events');
const requests = () => control('GET', '/_control/requests');
const stats = () => control('GET', '/_control/stats');

const track = (fields = {}) => ({ type: 'track', event: 'E', userId: 'u1', ...fields });
const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

// ---- the happy path ---------------------------------------------------------------------

test('GET /health answers that the server is up', async () => {
  const response = await fetch(`${plane.url}/health`);
  assert.equal(response.status, 200);
  assert.deepEqual(await response.json(), { server: 'UP' });
});

test('a batch is stored in arrival order, enriched, its own fields unchanged', async () => {
  const start = Date.now();
  const first = track({ messageId: 'm-1', properties: { n: 1 }, context: { library: { name: 'x' } } });
  const second = track({ messageId: '  ', userId: 7, anonymousId: 'a-1' });
  const third = { type: 'identify', anonymousId: 'a-2', messageId: ' \u200Bm-3\uFEFF' };
  for (const body of [{ batch: [first, second], sentAt: '2024-01-01T00:00:00.000Z' }, { batch: [third] }]) {
    const answer = await send('/v1/batch', body);
    assert.deepEqual([answer.status, answer.text], [200, 'ok\n']);
  }
  const stored = await events();
  assert.equal(stored.length, 3);
  assert.deepEqual(stored.map((e) => e.type), ['track', 'track', 'identify']);

  const [e1, e2, e3] = stored;
  for (const [k, v] of Object.entries(first)) assert.deepEqual(e1[k], v, k);
  assert.equal(e1.messageId, 'm-1', 'a given messageId is kept');
  assert.match(e2.messageId, /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/, 'a blank one is filled');
  assert.equal(e3.messageId, 'm-3', 'kept without its invisible characters, trimmed, as the gateway keeps it');
  assert.equal(e2.userId, 7, 'a non-string id is kept as sent');
  for (const e of stored) {
    assert.equal(e.request_ip, '127.0.0.1');
    assert.ok(Date.parse(e.receivedAt) >= start - 1 && Date.parse(e.receivedAt) <= Date.now() + 1);
    assert.equal(e.receivedAt, new Date(Date.parse(e.receivedAt)).toISOString());
    assert.match(e.rudderId, /^[0-9a-f]{8}-[0-9a-f]{4}-3[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    assert.equal(e.sentAt, undefined, 'the batch-level sentAt is dropped');
  }
  // The gateway's rudderId: the MD5 UUID of "<userId>:<anonymousId>", so the same pair maps alike.
  await send('/v1/batch', { batch: [track({ anonymousId: 'a-1', userId: '7' })] });
  assert.equal((await events())[3].rudderId, e2.rudderId);
});

test('single-event routes store one event typed by the path', async () => {
  const types = ['track', 'identify', 'page', 'screen', 'group', 'alias'];
  for (const type of types) {
    assert.equal((await send(`/v1/${type}`, { userId: 'u', type: 'other', event: 'E' })).status, 200);
  }
  const stored = await events();
  assert.deepEqual(stored.map((e) => e.type), types);
  assert.deepEqual((await requests()).map((r) => r.events), [1, 1, 1, 1, 1, 1]);
});

test('the event time: timestamp kept, else receivedAt - (sentAt - originalTimestamp)', async () => {
  await send('/v1/batch', {
    batch: [
      track({ timestamp: '2023-11-14T22:13:20.123Z', originalTimestamp: '2020-01-01T00:00:00Z', sentAt: '2030-01-01T00:00:00Z' }),
      // The client's clock is an hour behind; the call happened 10 s before the request left.
      track({ originalTimestamp: '2024-05-01T10:00:00.000Z', sentAt: '2024-05-01T10:00:10.000Z' }),
      track({ originalTimestamp: '2024-05-01T10:00:00.000Z' }),
      track(),
    ],
  });
  const [given, skewed, onlyOriginal, none] = await events();
  assert.equal(given.timestamp, '2023-11-14T22:13:20.123Z');
  assert.equal(given._computedTimestamp, '2023-11-14T22:13:20.123Z');
  assert.equal(skewed.timestamp, undefined, 'the event itself is left as sent');
  assert.equal(Date.parse(skewed._computedTimestamp), Date.parse(skewed.receivedAt) - 10_000);
  assert.equal(skewed.sentAt, '2024-05-01T10:00:10.000Z', "the event's own sentAt is kept");
  assert.equal(onlyOriginal._computedTimestamp, '2024-05-01T10:00:00.000Z');
  assert.equal(none._computedTimestamp, none.receivedAt);
});

// ---- auth ---------------------------------------------------------------------------------

test('auth: missing, empty, unknown and disabled write keys', async () => {
  const cases = [
    [null, 401, 'failed to read writekey from header'],
    ['Bearer test-write-key', 401, 'failed to read writekey from header'],
    [basic(''), 401, 'failed to read writekey from header'],
    [`Basic ${Buffer.from(KEY).toString('base64')}`, 401, 'failed to read writekey from header'], // no colon
    [basic('nope'), 401, 'invalid write key'],
    [basic('disabled-write-key'), 404, 'source is disabled'],
    [basic(KEY, 'ignored-password'), 200, 'ok'],
  ];
  for (const [auth, status, text] of cases) {
    const answer = await send('/v1/batch', { batch: [track()] }, { auth });
    assert.equal(answer.status, status, String(auth));
    assert.equal(answer.text, `${text}\n`);
    assert.match(answer.headers.get('content-type'), /^text\/plain/);
  }
  assert.equal((await events()).length, 1);
  const log = await requests();
  assert.deepEqual(log.map((r) => r.authUser), [null, null, null, null, 'nope', 'disabled-write-key', KEY]);
  assert.deepEqual((await stats()).byStatus, { 401: 5, 404: 1, 200: 1 });
});

test('beacon: the write key comes from the query, any content type is accepted', async () => {
  const body = JSON.stringify({ batch: [track()] });
  const beacon = (query) =>
    send(`/beacon/v1/batch${query}`, body, { auth: null, headers: { 'content-type': 'text/plain;charset=UTF-8' } });
  assert.deepEqual(await beacon(`?writeKey=${KEY}`).then((a) => [a.status, a.text]), [200, 'ok\n']);
  assert.deepEqual(await beacon('').then((a) => [a.status, a.text]), [401, 'failed to read writekey from query params\n']);
  assert.deepEqual(await beacon('?writeKey=').then((a) => a.status), 401);
  assert.deepEqual(await beacon('?writeKey=nope').then((a) => [a.status, a.text]), [401, 'invalid write key\n']);
  assert.deepEqual(await beacon('?writeKey=disabled-write-key').then((a) => a.status), 404);
  assert.equal((await events()).length, 1);
  assert.equal((await requests())[0].contentType, 'text/plain;charset=UTF-8');
});

// ---- bodies -------------------------------------------------------------------------------

test('gzip bodies are decompressed; a corrupt one is a 500', async () => {
  const batch = { batch: [track(), track()] };
  assert.equal((await send('/v1/batch', batch, { gzip: true })).status, 200);
  const corrupt = await send('/v1/batch', 'not gzip at all', { headers: { 'content-encoding': 'gzip' } });
  assert.equal(corrupt.status, 500);
  assert.ok(corrupt.text.length > 1 && corrupt.text.endsWith('\n'));
  assert.equal((await events()).length, 2);
  const [ok, bad] = await requests();
  assert.equal(ok.gzip, true);
  assert.equal(ok.decompressedBytes, JSON.stringify(batch).length);
  assert.equal(ok.bytes, gzipSync(JSON.stringify(batch)).length);
  assert.equal(ok.events, 2);
  assert.equal(bad.status, 500);
});

test('bad bodies: each answer of the contract', async () => {
  const cases = [
    ['', 'request body is nil'],
    [gzipSync(''), 'request body is nil', true],
    ['{"batch": [', 'invalid json'],
    ['not json', 'invalid json'],
    [{ batch: [track(), 1] }, 'event is not a valid rudder event'],
    [{ batch: [null] }, 'event is not a valid rudder event'],
    [{ batch: [[track()]] }, 'event is not a valid rudder event'],
    [{ batch: [track(), track({ userId: '  ' })] }, 'request neither has anonymousId nor userId'],
    [{ batch: [{ type: 'track', userId: null, anonymousId: '' }] }, 'request neither has anonymousId nor userId'],
    [{ batch: [{ type: 'track' }] }, 'request neither has anonymousId nor userId'],
    // The gateway removes invisible characters before it trims (sanitize.Unicode).
    [{ batch: [track(), track({ userId: '\uFEFF' })] }, 'request neither has anonymousId nor userId'],
    [{ batch: [track({ userId: '\u200B \u2800', anonymousId: '\u3164\u0000\uE000' })] }, 'request neither has anonymousId nor userId'],
    [{ sentAt: 'x' }, 'empty batch payload'],
    [{ batch: [] }, 'empty batch payload'],
    [{ batch: {} }, 'empty batch payload'],
    [[track()], 'empty batch payload'],
  ];
  for (const [body, text, gzipped] of cases) {
    const headers = gzipped ? { 'content-encoding': 'gzip' } : {};
    const answer = await send('/v1/batch', body, { headers });
    assert.deepEqual([answer.status, answer.text], [400, `${text}\n`], JSON.stringify(body));
  }
  const single = await send('/v1/track', [track()]);
  assert.deepEqual([single.status, single.text], [400, 'event is not a valid rudder event\n']);
  // Ids are read as text: 0 and false are ids; so is one printable character among invisible ones.
  assert.equal((await send('/v1/batch', { batch: [{ userId: 0 }, { anonymousId: false }, { userId: '\u200Bx' }] })).status, 200);
  assert.equal((await events()).length, 3);
});

test('413 above maxBytes, counted decompressed; checked after the items, as the gateway does', async () => {
  await control('POST', '/_control/config', { maxBytes: 1000 });
  const fits = { batch: [track({ pad: '' })] };
  fits.batch[0].pad = 'x'.repeat(1000 - JSON.stringify(fits).length);
  assert.equal(JSON.stringify(fits).length, 1000);
  assert.equal((await send('/v1/batch', fits)).status, 200, 'exactly maxBytes fits');

  const big = { batch: [track({ pad: 'x'.repeat(5000) })] };
  const gz = gzipSync(JSON.stringify(big));
  assert.ok(gz.length < 1000, 'small on the wire');
  const answer = await send('/v1/batch', big, { gzip: true });
  assert.deepEqual([answer.status, answer.text], [413, 'request size exceeds max limit\n']);
  const badItem = await send('/v1/batch', { batch: [track({ pad: 'x'.repeat(5000) }), 1] });
  assert.equal(badItem.status, 400, 'an item error wins over the size');
  const badKey = await send('/v1/batch', 'not json', { auth: basic('nope') });
  assert.equal(badKey.status, 401, 'auth comes first');
  assert.equal((await events()).length, 1);

  // A reset restores the default (4,096,000).
  await control('POST', '/_control/reset');
  assert.equal((await send('/v1/batch', big)).status, 200);
  const over = { batch: [track({ pad: 'x'.repeat(4_096_000) })] };
  assert.equal((await send('/v1/batch', over)).status, 413);
});

test('a body beyond the 64 MiB read cap or a gzip bomb is a 413, not an out-of-memory', async () => {
  // Declared too large: answered before the body is sent.
  const status = await new Promise((resolve, reject) => {
    const req = http.request(`${plane.url}/v1/batch`, {
      method: 'POST',
      headers: { authorization: basic(KEY), 'content-length': String(100 * 1024 * 1024) },
    });
    req.on('response', (res) => {
      resolve(res.statusCode);
      req.destroy();
    });
    req.on('error', reject);
    req.write('{"batch":[');
  });
  assert.equal(status, 413);
  // Chunked (no length): cut off once past the cap.
  const chunk = Buffer.alloc(1024 * 1024, 0x20);
  async function* endless() {
    for (let i = 0; i < 80; i++) yield chunk;
  }
  const streamed = await fetch(`${plane.url}/v1/batch`, {
    method: 'POST', headers: { authorization: basic(KEY) }, body: endless(), duplex: 'half',
  });
  assert.equal(streamed.status, 413);
  const bomb = gzipSync(Buffer.alloc(70 * 1024 * 1024, 0x20));
  assert.equal((await send('/v1/batch', bomb, { headers: { 'content-encoding': 'gzip' } })).status, 413);
  assert.deepEqual((await requests()).map((r) => r.status), [413, 413, 413]);
});

// ---- HTTP ---------------------------------------------------------------------------------

test('CORS: preflight on any path, and the origin allowed on every answer', async () => {
  const preflight = await fetch(`${plane.url}/v1/batch`, {
    method: 'OPTIONS',
    headers: {
      origin: 'http://app.test',
      'access-control-request-method': 'POST',
      'access-control-request-headers': 'authorization,content-type,anonymousid',
    },
  });
  assert.equal(preflight.status, 204);
  assert.equal(preflight.headers.get('access-control-allow-origin'), 'http://app.test');
  assert.equal(preflight.headers.get('access-control-allow-credentials'), 'true');
  assert.equal(preflight.headers.get('access-control-allow-methods'), 'POST, GET, OPTIONS');
  assert.equal(preflight.headers.get('access-control-allow-headers'), 'authorization,content-type,anonymousid');
  assert.ok(Number(preflight.headers.get('access-control-max-age')) > 0);

  const bare = await fetch(`${plane.url}/anything`, { method: 'OPTIONS' });
  assert.equal(bare.status, 204);
  assert.equal(bare.headers.get('access-control-allow-origin'), '*');
  assert.equal(bare.headers.get('access-control-allow-credentials'), null);
  assert.equal(bare.headers.get('access-control-allow-headers'), 'Authorization, Content-Type, Content-Encoding, AnonymousId');

  const ok = await send('/v1/batch', { batch: [track()] }, { headers: { origin: 'http://app.test' } });
  assert.equal(ok.headers.get('access-control-allow-origin'), 'http://app.test');
  const denied = await send('/v1/batch', { batch: [track()] }, { auth: null });
  assert.equal(denied.headers.get('access-control-allow-origin'), '*');
  assert.equal(ok.headers.get('access-control-expose-headers'), 'Retry-After',
    'a page may read Retry-After');
  assert.equal((await requests()).length, 2, 'preflights are not data requests');
  const seen = await (await fetch(`${plane.url}/_control/preflights`)).json();
  assert.deepEqual(seen, [
    { path: '/v1/batch', origin: 'http://app.test', requestHeaders: 'authorization,content-type,anonymousid' },
    { path: '/anything', origin: null, requestHeaders: null },
  ]);
});

test('keep-alive: one connection serves many requests, whatever their answers', async () => {
  const agent = new http.Agent({ keepAlive: true, maxSockets: 1 });
  const post = (body, auth = basic(KEY)) =>
    new Promise((resolve, reject) => {
      const req = http.request(`${plane.url}/v1/batch`, { method: 'POST', agent, headers: { authorization: auth } }, (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode, reused: req.reusedSocket, keepAlive: res.headers['keep-alive'] }));
      });
      req.on('error', reject);
      req.end(body);
    });
  const answers = [];
  answers.push(await post(JSON.stringify({ batch: [track()] })));
  answers.push(await post(JSON.stringify({ batch: [track()] }), basic('nope'))); // body left unread
  answers.push(await post('not json'));
  answers.push(await post(JSON.stringify({ batch: [track()] })));
  agent.destroy();
  assert.deepEqual(answers.map((a) => a.status), [200, 401, 400, 200]);
  assert.deepEqual(answers.map((a) => a.reused), [false, true, true, true]);
  assert.equal(answers[0].keepAlive, 'timeout=720');
});

test('unknown paths are 404s and not data requests', async () => {
  assert.equal((await send('/v2/batch', { batch: [track()] })).status, 404);
  assert.equal((await fetch(`${plane.url}/v1/nothing`)).status, 404);
  assert.equal((await fetch(`${plane.url}/_control/nothing`)).status, 404);
  assert.equal((await stats()).requests, 0);
});

test('another method than POST on a data route: 404, logged with its method, no rule used', async () => {
  await control('POST', '/_control/misbehave', { status: 503 });
  const asked = [
    ['GET', '/v1/batch'], ['HEAD', '/v1/batch'], ['PUT', '/v1/batch'], ['DELETE', '/v1/track'],
    ['GET', '/beacon/v1/batch?writeKey=k'],
  ];
  for (const [method, path] of asked) {
    const response = await fetch(plane.url + path, {
      method,
      headers: { authorization: basic(KEY) },
      body: method === 'PUT' ? JSON.stringify({ batch: [track()] }) : undefined,
    });
    await response.arrayBuffer();
    assert.equal(response.status, 404, `${method} ${path}`);
  }
  assert.equal((await send('/v1/batch', { batch: [track()] })).status, 503, 'the rule waited for a POST');
  assert.equal((await send('/v1/batch', { batch: [track()] })).status, 200);
  const log = await requests();
  assert.deepEqual(log.map((r) => [r.method, r.path, r.status]), [
    ['GET', '/v1/batch', 404], ['HEAD', '/v1/batch', 404], ['PUT', '/v1/batch', 404],
    ['DELETE', '/v1/track', 404], ['GET', '/beacon/v1/batch', 404],
    ['POST', '/v1/batch', 503], ['POST', '/v1/batch', 200],
  ]);
  assert.equal(log[0].authUser, KEY);
  assert.ok(log[2].bytes > 0, 'the PUT body was read');
  assert.equal(log.filter((r) => r.method === 'GET').length, 2, 'what a test asserts is zero');
  assert.deepEqual((await stats()).byStatus, { 404: 5, 503: 1, 200: 1 });
  assert.equal((await events()).length, 1);
});

// ---- misbehaviour -------------------------------------------------------------------------

test('misbehave: a status with the contract body and Retry-After, for the next N requests', async () => {
  await control('POST', '/_control/misbehave', { count: 2, status: 503, retryAfter: '2' });
  // Control, preflight and health requests do not use up a rule.
  await stats();
  await fetch(`${plane.url}/v1/batch`, { method: 'OPTIONS' });
  await fetch(`${plane.url}/health`);
  for (let i = 0; i < 2; i++) {
    const answer = await send('/v1/batch', { batch: [track()] });
    assert.deepEqual([answer.status, answer.text, answer.headers.get('retry-after')], [503, 'Service Unavailable\n', '2']);
  }
  const third = await send('/v1/batch', { batch: [track()] });
  assert.equal(third.status, 200);
  assert.equal(third.headers.get('retry-after'), null);
  assert.equal((await events()).length, 1);
  const s = await stats();
  assert.deepEqual(s, { events: 1, requests: 3, byStatus: { 503: 2, 200: 1 }, preflights: 1 });
  assert.deepEqual((await requests()).map((r) => [r.status, r.events]), [[503, 1], [503, 1], [200, 1]]);
});

test('misbehave: rules queue in order; default and given bodies', async () => {
  const rules = [
    { status: 429 }, { status: 504 }, { status: 500 }, { status: 413 },
    { status: 400, body: 'invalid json\n' }, { status: 401, body: 'invalid write key' },
  ];
  for (const rule of rules) await control('POST', '/_control/misbehave', rule);
  const seen = [];
  for (let i = 0; i <= rules.length; i++) {
    const a = await send('/v1/batch', { batch: [track()] });
    seen.push([a.status, a.text]);
  }
  assert.deepEqual(seen, [
    [429, 'max requests limit reached\n'],
    [504, 'gateway timeout\n'],
    [500, 'Internal Server Error\n'],
    [413, 'request size exceeds max limit\n'],
    [400, 'invalid json\n'],
    [401, 'invalid write key\n'],
    [200, 'ok\n'],
  ]);
  assert.equal((await events()).length, 1);
});

test('misbehave: delayMs delays normal handling, or the given status', async () => {
  await control('POST', '/_control/misbehave', { delayMs: 200 });
  await control('POST', '/_control/misbehave', { delayMs: 100, status: 503 });
  let start = Date.now();
  assert.equal((await send('/v1/batch', { batch: [track()] })).status, 200);
  assert.ok(Date.now() - start >= 190);
  start = Date.now();
  assert.equal((await send('/v1/batch', { batch: [track()] })).status, 503);
  assert.ok(Date.now() - start >= 90);
  assert.equal((await events()).length, 1);
});

test('misbehave: drop loses the request; dropAfterStore stores it and loses the answer', async () => {
  await control('POST', '/_control/misbehave', { drop: true });
  await control('POST', '/_control/misbehave', { dropAfterStore: true });
  await assert.rejects(send('/v1/batch', { batch: [track({ messageId: 'a' })] }), TypeError);
  assert.equal((await events()).length, 0);
  await assert.rejects(send('/v1/batch', { batch: [track({ messageId: 'b' })] }), TypeError);
  assert.deepEqual((await events()).map((e) => e.messageId), ['b']);
  assert.equal((await send('/v1/batch', { batch: [track({ messageId: 'b' })] })).status, 200);
  assert.deepEqual((await requests()).map((r) => r.status), [0, 0, 200]);
  assert.deepEqual((await stats()).byStatus, { 0: 2, 200: 1 });
});

test('misbehave: location answers a 3xx with that Location header, storing nothing', async () => {
  await control('POST', '/_control/misbehave', { status: 303, location: 'http://127.0.0.1:1/elsewhere' });
  await control('POST', '/_control/misbehave', { status: 307, location: '/v1/batch', body: 'moved' });
  const seen = [];
  for (let i = 0; i < 2; i++) {
    const response = await fetch(`${plane.url}/v1/batch`, {
      method: 'POST',
      redirect: 'manual',
      headers: { authorization: basic(KEY), 'content-type': 'application/json' },
      body: JSON.stringify({ batch: [track()] }),
    });
    seen.push([response.status, response.headers.get('location'), await response.text()]);
  }
  assert.deepEqual(seen, [
    [303, 'http://127.0.0.1:1/elsewhere', 'See Other\n'],
    [307, '/v1/batch', 'moved\n'],
  ]);
  assert.equal((await events()).length, 0);
  assert.deepEqual((await requests()).map((r) => [r.method, r.status, r.events]), [['POST', 303, 1], ['POST', 307, 1]]);
});

// Reads a streamed answer up to `limit` bytes, then goes away; resolves with what it saw.
function readAnswer(path, body, limit) {
  return new Promise((resolve, reject) => {
    const req = http.request(plane.url + path, { method: 'POST', headers: { authorization: basic(KEY) } }, (res) => {
      let received = 0;
      let allX = true;
      res.on('data', (chunk) => {
        received += chunk.length;
        if (allX && chunk.some((byte) => byte !== 0x78)) allX = false;
        if (received >= limit) {
          req.destroy();
          resolve({ status: res.statusCode, length: res.headers['content-length'], received, allX, complete: false });
        }
      });
      res.on('end', () => resolve({ status: res.statusCode, length: res.headers['content-length'], received, allX, complete: true }));
      res.on('error', () => {});
    });
    req.on('error', (error) => (req.destroyed ? undefined : reject(error)));
    req.end(JSON.stringify(body));
  });
}

test('misbehave: bodyBytes streams an answer that long; the server stops when the client goes away', async () => {
  await control('POST', '/_control/misbehave', { status: 200, bodyBytes: 200_000 });
  const small = await readAnswer('/v1/batch', { batch: [track()] }, Infinity);
  assert.deepEqual(small, { status: 200, length: '200000', received: 200_000, allX: true, complete: true });
  assert.equal((await events()).length, 0, 'a status rule stores nothing');

  const GiB = 1024 ** 3;
  await control('POST', '/_control/misbehave', { status: 500, bodyBytes: GiB });
  const rssBefore = process.memoryUsage().rss;
  const big = await readAnswer('/v1/batch', { batch: [track()] }, 4 * 1024 * 1024);
  assert.equal(big.status, 500);
  assert.equal(big.length, String(GiB), 'the whole length is announced');
  assert.ok(big.allX && !big.complete);
  // The client is gone: the server stops writing (the count stays put), and it never held
  // the gigabyte (this test runs the server in its own process).
  await sleep(200);
  const [, streamed] = await requests();
  await sleep(200);
  const [, later] = await requests();
  assert.equal(later.bodyBytesSent, streamed.bodyBytesSent, 'writing stopped');
  assert.ok(streamed.bodyBytesSent < 64 * 1024 * 1024, `${streamed.bodyBytesSent} bytes written`);
  assert.ok(process.memoryUsage().rss - rssBefore < 256 * 1024 * 1024, 'no gigabyte allocated');
  assert.deepEqual((await requests()).map((r) => [r.method, r.status]), [['POST', 200], ['POST', 500]]);
  assert.equal((await send('/v1/batch', { batch: [track()] })).status, 200, 'the server carries on');
});

test('misbehave: storeBeforeDelay stores at once and answers after delayMs', async () => {
  await control('POST', '/_control/misbehave', { delayMs: 400, storeBeforeDelay: true });
  const start = Date.now();
  const answer = send('/v1/batch', { batch: [track({ messageId: 'early' }), track()] });
  await sleep(150);
  assert.deepEqual((await events()).map((e) => e.messageId).slice(0, 1), ['early'], 'stored before the answer');
  assert.equal((await requests()).length, 0, 'logged once answered');
  const { status, text } = await answer;
  assert.deepEqual([status, text], [200, 'ok\n']);
  assert.ok(Date.now() - start >= 390);
  assert.deepEqual((await requests()).map((r) => [r.status, r.events]), [[200, 2]]);
  assert.equal((await stats()).events, 2);
});

test('misbehave: storeBeforeDelay with a client that times out: stored, counted, the server unharmed', async () => {
  await control('POST', '/_control/misbehave', { delayMs: 300, storeBeforeDelay: true });
  const timedOut = fetch(`${plane.url}/v1/batch`, {
    method: 'POST',
    headers: { authorization: basic(KEY), 'content-type': 'application/json' },
    body: JSON.stringify({ batch: [track({ messageId: 'late' })] }),
    signal: AbortSignal.timeout(100),
  });
  await assert.rejects(timedOut, /TimeoutError|aborted/i);
  await sleep(350); // past the delay: the server would answer now, to nobody
  assert.equal((await fetch(`${plane.url}/health`)).status, 200);
  assert.deepEqual((await events()).map((e) => e.messageId), ['late']);
  assert.deepEqual((await requests()).map((r) => [r.method, r.status, r.events]), [['POST', 0, 1]]);
  assert.deepEqual(await stats(), { events: 1, requests: 1, byStatus: { 0: 1 }, preflights: 0 });
  assert.equal((await send('/v1/batch', { batch: [track()] })).status, 200);
});

test('misbehave and config reject what they do not understand; reset clears rules', async () => {
  for (const bad of [{ count: 0 }, { status: 'x' }, { sttaus: 503 }, { dropAfterStore: true, status: 503 }, [1],
    { location: '/x' }, { status: 200, location: '/x' }, { status: 303, location: '' },
    { status: 303, location: 'a\r\nb' }, { status: 303, location: 7 }, { status: 303, location: '/x', drop: true },
    { bodyBytes: 10 }, { status: 200, bodyBytes: -1 }, { status: 200, bodyBytes: 1.5 },
    { status: 200, bodyBytes: '10' }, { status: 200, bodyBytes: 10, body: 'x' },
    { storeBeforeDelay: true }, { storeBeforeDelay: true, delayMs: 0 }, { storeBeforeDelay: 'yes', delayMs: 5 },
    { storeBeforeDelay: true, delayMs: 5, status: 503 }, { storeBeforeDelay: true, delayMs: 5, drop: true },
    { stroeBeforeDelay: true, delayMs: 5 }]) {
    const response = await fetch(`${plane.url}/_control/misbehave`, { method: 'POST', body: JSON.stringify(bad) });
    assert.equal(response.status, 400, JSON.stringify(bad));
  }
  for (const bad of [{ maxBytes: -1 }, { countOnly: 'yes' }, { writeKey: 'k' }]) {
    const response = await fetch(`${plane.url}/_control/config`, { method: 'POST', body: JSON.stringify(bad) });
    assert.equal(response.status, 400, JSON.stringify(bad));
  }
  await control('POST', '/_control/misbehave', { count: 5, status: 503 });
  await control('POST', '/_control/reset');
  assert.equal((await send('/v1/batch', { batch: [track()] })).status, 200);
});

// ---- count-only ---------------------------------------------------------------------------

test('countOnly (option or config) counts events without keeping them', async () => {
  const counting = await startDataPlane({ port: 0, countOnly: true });
  try {
    assert.equal((await send('/v1/batch', { batch: [track(), track()] }, { base: counting.url })).status, 200);
    assert.equal((await send('/v1/batch', 'bad', { base: counting.url })).status, 400, 'still validates');
    assert.deepEqual(await control('GET', '/_control/events', undefined, counting.url), []);
    assert.deepEqual(await control('GET', '/_control/stats', undefined, counting.url),
      { events: 2, requests: 2, byStatus: { 200: 1, 400: 1 }, preflights: 0 });
    assert.deepEqual(await control('GET', '/_control/requests', undefined, counting.url), []);
  } finally {
    await counting.close();
  }
  assert.deepEqual(await control('POST', '/_control/config', { countOnly: true }), { maxBytes: 4_096_000, countOnly: true });
  await send('/v1/batch', { batch: [track()] });
  assert.equal((await events()).length, 0);
  assert.equal((await stats()).events, 1);
});

// ---- the CLI ------------------------------------------------------------------------------

// Starts the CLI; resolves once it printed its first line, with the URL and a line reader.
async function startCli(args) {
  const child = spawn(process.execPath, [SERVER, '--port', '0', ...args], { stdio: ['pipe', 'pipe', 'inherit'] });
  const lines = createInterface({ input: child.stdout })[Symbol.asyncIterator]();
  const first = await lines.next();
  const match = /^dataplane listening on (http:\/\/127\.0\.0\.1:\d+)$/.exec(first.value);
  assert.ok(match, `first line: ${first.value}`);
  return { child, url: match[1], nextLine: async () => (await lines.next()).value };
}

test('CLI: flags, the first line, --print-events, and a clean exit on SIGTERM', async () => {
  const cli = await startCli(['--write-key', 'k1', '--write-key', 'k2', '--disabled-key', 'off',
    '--max-bytes', '200', '--print-events']);
  const post = (key, body) => send('/v1/batch', body, { auth: basic(key), base: cli.url });
  assert.equal((await post('k1', { batch: [track({ messageId: 'one' })] })).status, 200);
  assert.equal((await post('k2', { batch: [track({ messageId: 'two' })] })).status, 200);
  assert.equal((await post(KEY, { batch: [track()] })).status, 401, 'the given keys replace the default');
  assert.equal((await post('off', { batch: [track()] })).status, 404);
  assert.equal((await post('k1', { batch: [track({ pad: 'x'.repeat(200) })] })).status, 413);
  assert.equal(JSON.parse(await cli.nextLine()).messageId, 'one');
  assert.equal(JSON.parse(await cli.nextLine()).messageId, 'two');
  cli.child.kill('SIGTERM');
  const [code, signal] = await once(cli.child, 'exit');
  assert.deepEqual([code, signal], [0, null]);
  assert.equal(await cli.nextLine(), undefined, 'nothing more was printed');
});

test('CLI: --exit-on-stdin-close exits when its stdin closes; bad flags exit 2', async () => {
  const cli = await startCli(['--exit-on-stdin-close']);
  assert.equal((await fetch(`${cli.url}/health`)).status, 200);
  cli.child.stdin.end();
  assert.deepEqual(await once(cli.child, 'exit'), [0, null]);

  const bad = spawn(process.execPath, [SERVER, '--bogus'], { stdio: 'ignore' });
  assert.deepEqual(await once(bad, 'exit'), [2, null]);
});

test('CLI: --help prints every flag and exits 0 without listening', async () => {
  const help = spawn(process.execPath, [SERVER, '--help'], { stdio: ['ignore', 'pipe', 'inherit'] });
  let out = '';
  help.stdout.on('data', (chunk) => { out += chunk; });
  assert.deepEqual(await once(help, 'exit'), [0, null]);
  assert.match(out, /^Usage: /);
  for (const flag of ['--host', '--port', '--max-bytes', '--write-key', '--disabled-key', '--count-only',
    '--print-events', '--exit-on-stdin-close', '--tls-cert', '--tls-key']) {
    assert.ok(out.includes(flag), `--help names ${flag}`);
  }
  assert.doesNotMatch(out, /listening on http/);
});
