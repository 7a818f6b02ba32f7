// The project's local data plane: an HTTP server that answers like RudderStack's gateway
// (see /work/shared/reference/dataplane-contract.md), plus a control API under /_control/ that
// lets tests read what was stored and make the server misbehave. Node 20, no npm packages.
//
// As a module: `const plane = await startDataPlane({ port: 0 }); ... await plane.close();`
// As a CLI:    `node tests/dataplane/server.mjs [--port 0] ...` (see README.md).
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync, realpathSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { gunzip } from 'node:zlib';

const DEFAULTS = {
  host: '127.0.0.1',
  port: 0,
  maxBytes: 4_096_000,
  writeKeys: ['test-write-key'],
  disabledKeys: ['disabled-write-key'],
  countOnly: false,
};

// Hard cap on a body held in memory (raw or decompressed), whatever maxBytes is, so a huge
// upload or a gzip bomb cannot exhaust the process. Beyond it: 413 without parsing.
const READ_CAP = 64 * 1024 * 1024;
const CONTROL_READ_CAP = 1024 * 1024;
// What a `bodyBytes` answer is written from, one chunk at a time, so that a gigabyte-long
// answer costs 64 KiB of memory.
const FILLER = Buffer.alloc(64 * 1024, 'x');
// The gateway's idle timeout: an SDK may keep one connection open and reuse it for long.
const KEEP_ALIVE_MS = 720_000;

// The gateway's answer bodies (each sent with a trailing newline).
const BODY = {
  ok: 'ok',
  noWriteKey: 'failed to read writekey from header',
  noWriteKeyInQuery: 'failed to read writekey from query params',
  invalidWriteKey: 'invalid write key',
  sourceDisabled: 'source is disabled',
  bodyNil: 'request body is nil',
  invalidJson: 'invalid json',
  notRudderEvent: 'event is not a valid rudder event',
  nonIdentifiable: 'request neither has anonymousId nor userId',
  emptyBatch: 'empty batch payload',
  tooLarge: 'request size exceeds max limit',
};
// What a misbehaviour rule answers when it gives a status but no body: the contract's body
// for statuses that have a single meaning, else the standard reason phrase.
const RULE_BODY = {
  404: BODY.sourceDisabled,
  413: BODY.tooLarge,
  429: 'max requests limit reached',
  503: 'Service Unavailable',
  504: 'gateway timeout',
};

const SINGLE_EVENT_TYPES = ['track', 'identify', 'page', 'screen', 'group', 'alias'];
// Data routes: path -> how the body is read and where the write key comes from.
const DATA_ROUTES = new Map([
  ['/v1/batch', { type: 'batch', keyFrom: 'header' }],
  ['/beacon/v1/batch', { type: 'batch', keyFrom: 'query' }],
  ...SINGLE_EVENT_TYPES.map((type) => [`/v1/${type}`, { type, keyFrom: 'header' }]),
]);

/**
 * Starts the data plane. Options (all optional): host, port, maxBytes, writeKeys,
 * disabledKeys, countOnly, onEvent(event) (called for each stored event), tls ({ key, cert }:
 * PEM text; it then serves HTTPS, see make-test-certs.sh).
 * Resolves to { url, port, close(), state }; `state` is the live store the control API reads.
 */
export async function startDataPlane(options = {}) {
  const settings = { ...DEFAULTS, ...options };
  const writeKeys = new Set(settings.writeKeys);
  const disabledKeys = new Set(settings.disabledKeys);
  const initialConfig = { maxBytes: settings.maxBytes, countOnly: settings.countOnly };

  const state = {
    config: { ...initialConfig },
    events: [],
    eventCount: 0, // counts events even in countOnly mode, where `events` stays empty
    requests: [],
    requestCount: 0,
    byStatus: {},
    preflights: [], // {path, origin, requestHeaders} per CORS preflight (OPTIONS)
    rules: [], // misbehaviour rules, FIFO; each has a remaining `count`
  };

  function reset() {
    state.config = { ...initialConfig };
    state.events = [];
    state.eventCount = 0;
    state.requests = [];
    state.requestCount = 0;
    state.byStatus = {};
    state.preflights = [];
    state.rules = [];
  }

  // ---- data requests --------------------------------------------------------------------

  // Runs the contract's checks in its order and returns the answer plus the items to store.
  // Fills `entry` (the request log line) as it learns things.
  async function evaluate(req, route, queryString, entry) {
    const writeKey =
      route.keyFrom === 'query' ? new URLSearchParams(queryString).get('writeKey') : basicAuthUser(req);
    entry.authUser = writeKey || null;
    if (!writeKey) {
      return reject(401, route.keyFrom === 'query' ? BODY.noWriteKeyInQuery : BODY.noWriteKey);
    }
    if (disabledKeys.has(writeKey)) return reject(404, BODY.sourceDisabled);
    if (!writeKeys.has(writeKey)) return reject(401, BODY.invalidWriteKey);

    const raw = await readBody(req, READ_CAP);
    if (raw === null) return reject(413, BODY.tooLarge);
    entry.bytes = raw.length;
    if (raw.length === 0) return reject(400, BODY.bodyNil);
    let body = raw;
    if (entry.gzip) {
      try {
        body = await gunzipCapped(raw, READ_CAP);
      } catch (error) {
        if (error.code === 'ERR_BUFFER_TOO_LARGE') return reject(413, BODY.tooLarge);
        return reject(500, `failed to decompress gzip body: ${error.message}`);
      }
    }
    entry.decompressedBytes = body.length;
    if (body.length === 0) return reject(400, BODY.bodyNil);

    let payload;
    try {
      payload = JSON.parse(body.toString('utf8'));
    } catch {
      return reject(400, BODY.invalidJson);
    }
    // Single-event routes are a batch of one whose type comes from the path, as in the gateway.
    let items;
    if (route.type === 'batch') {
      items = payload !== null && typeof payload === 'object' ? payload.batch : undefined;
      if (!Array.isArray(items) || items.length === 0) return reject(400, BODY.emptyBatch);
    } else {
      items = [payload];
    }
    entry.events = items.length;
    for (const item of items) {
      if (item === null || typeof item !== 'object' || Array.isArray(item)) {
        return reject(400, BODY.notRudderEvent);
      }
      if (idOf(item.anonymousId) === '' && idOf(item.userId) === '') {
        return reject(400, BODY.nonIdentifiable);
      }
    }
    // No rate limiting (off by default in the gateway): a 429 comes only from /_control/misbehave.
    if (body.length > state.config.maxBytes) return reject(413, BODY.tooLarge);
    if (route.type !== 'batch') items[0].type = route.type;
    return { status: 200, text: BODY.ok, items };
  }

  // Enriches and keeps the items the way the gateway (and, for the event time, its processor)
  // does. Only the items are kept, so the batch-level `sentAt` is dropped.
  function store(items, req) {
    state.eventCount += items.length;
    if (state.config.countOnly) return;
    const receivedMs = Date.now();
    const receivedAt = new Date(receivedMs).toISOString();
    const ip = requestIp(req);
    for (const event of items) {
      // As the gateway's fillMessageID: the id it reads, or a new one when that is empty.
      event.messageId = (typeof event.messageId === 'string' ? idOf(event.messageId) : '') || randomUUID();
      event.receivedAt = receivedAt;
      event.request_ip = ip;
      event.rudderId = rudderId(idOf(event.userId), idOf(event.anonymousId));
      event._computedTimestamp = eventTime(event, receivedMs);
      state.events.push(event);
      settings.onEvent?.(event);
    }
  }

  async function handleData(req, res, path, route, queryString) {
    const entry = {
      method: req.method,
      path,
      proxied: req.proxied,
      status: 0, // stays 0 when the connection is dropped without an answer
      bytes: 0,
      decompressedBytes: 0,
      gzip: /\bgzip\b/i.test(req.headers['content-encoding'] ?? ''),
      events: 0,
      authUser: null,
      contentType: req.headers['content-type'] ?? null,
      at: Date.now(),
    };
    const rule = takeRule();
    const storeFirst = rule?.storeBeforeDelay === true;
    if (rule?.delayMs && !storeFirst) await sleep(rule.delayMs);
    // Evaluated even when a rule answers instead, so the log still says what was sent.
    const outcome = await evaluate(req, route, queryString, entry);
    const replaced = rule !== null && (rule.status !== undefined || rule.drop);
    if (!replaced && outcome.items) store(outcome.items, req);
    // Stored, then answered late: what a client that timed out meanwhile never learns.
    if (storeFirst) await sleep(rule.delayMs);

    if (req.socket.destroyed) {
      // The client went away while we waited: nobody to answer (status stays 0).
    } else if (rule?.drop || rule?.dropAfterStore) {
      req.socket.destroy();
    } else if (replaced) {
      const extra = {};
      if (rule.retryAfter !== undefined) extra['retry-after'] = String(rule.retryAfter);
      if (rule.location !== undefined) extra.location = rule.location;
      entry.status = rule.status;
      if (rule.bodyBytes !== undefined) {
        entry.bodyBytesSent = 0;
        streamFiller(req, res, rule.status, rule.bodyBytes, extra, entry);
      } else {
        sendText(req, res, rule.status, rule.body ?? RULE_BODY[rule.status] ?? http.STATUS_CODES[rule.status] ?? 'error', extra);
      }
    } else {
      entry.status = outcome.status;
      sendText(req, res, outcome.status, outcome.text);
    }
    record(entry);
  }

  // A data route asked with another method than POST (GET, PUT, ...): not a data request for
  // the rules, answered 404 as before, but logged with its method so that a test can tell it
  // arrived (an SDK must never turn its POST into a GET, e.g. by following a redirect).
  async function handleOtherMethod(req, res, path) {
    const entry = {
      method: req.method,
      path,
      status: 404,
      bytes: 0,
      decompressedBytes: 0,
      gzip: /\bgzip\b/i.test(req.headers['content-encoding'] ?? ''),
      events: 0,
      authUser: basicAuthUser(req) || null,
      contentType: req.headers['content-type'] ?? null,
      at: Date.now(),
    };
    const raw = await readBody(req, READ_CAP);
    entry.bytes = raw?.length ?? 0;
    sendText(req, res, 404, '404 page not found');
    record(entry);
  }

  function record(entry) {
    state.requestCount += 1;
    state.byStatus[entry.status] = (state.byStatus[entry.status] ?? 0) + 1;
    // countOnly keeps memory flat in benchmarks: no per-request log either.
    if (!state.config.countOnly) state.requests.push(entry);
  }

  function takeRule() {
    const rule = state.rules[0];
    if (!rule) return null;
    if (--rule.count === 0) state.rules.shift();
    return rule;
  }

  // ---- control API ----------------------------------------------------------------------

  async function handleControl(req, res, path) {
    const route = `${req.method} ${path}`;
    switch (route) {
      case 'GET /_control/events':
        return sendJson(req, res, 200, state.events);
      case 'GET /_control/stats':
        return sendJson(req, res, 200, {
          events: state.eventCount,
          requests: state.requestCount,
          byStatus: state.byStatus,
          preflights: state.preflights.length,
        });
      case 'GET /_control/preflights':
        return sendJson(req, res, 200, state.preflights);
      case 'GET /_control/requests':
        return sendJson(req, res, 200, state.requests);
      case 'POST /_control/reset':
        await readBody(req, CONTROL_READ_CAP);
        reset();
        return sendJson(req, res, 200, { ok: true });
      case 'POST /_control/misbehave':
      case 'POST /_control/config': {
        const raw = await readBody(req, CONTROL_READ_CAP);
        let input;
        try {
          input = JSON.parse(raw?.toString('utf8') || 'null');
        } catch {
          return sendJson(req, res, 400, { error: 'body is not JSON' });
        }
        const problem = path === '/_control/misbehave' ? addRule(input) : configure(input);
        if (problem) return sendJson(req, res, 400, { error: problem });
        return sendJson(req, res, 200, path === '/_control/misbehave' ? { ok: true, rules: state.rules } : state.config);
      }
      default:
        return sendJson(req, res, 404, { error: `no control route ${route}` });
    }
  }

  // Validates and queues a misbehaviour rule; returns a problem description or null.
  function addRule(input) {
    if (!isPlainObject(input)) return 'expected a JSON object';
    const known = ['count', 'status', 'body', 'retryAfter', 'delayMs', 'drop', 'dropAfterStore',
      'location', 'bodyBytes', 'storeBeforeDelay'];
    const unknown = Object.keys(input).filter((k) => !known.includes(k));
    if (unknown.length) return `unknown field(s): ${unknown.join(', ')}`;
    const rule = { count: 1, delayMs: 0, drop: false, dropAfterStore: false, storeBeforeDelay: false, ...input };
    if (!Number.isInteger(rule.count) || rule.count < 1) return 'count: a whole number >= 1';
    if (rule.status !== undefined && !(Number.isInteger(rule.status) && rule.status >= 200 && rule.status <= 599)) {
      return 'status: an HTTP status 200-599';
    }
    if (rule.body !== undefined && typeof rule.body !== 'string') return 'body: a string';
    if (rule.retryAfter !== undefined && !['string', 'number'].includes(typeof rule.retryAfter)) {
      return 'retryAfter: a string or a number';
    }
    if (!(Number.isFinite(rule.delayMs) && rule.delayMs >= 0)) return 'delayMs: a number >= 0';
    if (typeof rule.drop !== 'boolean' || typeof rule.dropAfterStore !== 'boolean') {
      return 'drop, dropAfterStore: booleans';
    }
    if (rule.dropAfterStore && (rule.drop || rule.status !== undefined)) {
      return 'dropAfterStore stores normally: it cannot be combined with drop or status';
    }
    if (rule.location !== undefined) {
      if (typeof rule.location !== 'string' || rule.location === '') return 'location: a non-empty string';
      try {
        http.validateHeaderValue('location', rule.location);
      } catch {
        return 'location: must be a valid header value (no line breaks or control characters)';
      }
      if (!(rule.status >= 300 && rule.status <= 399) || rule.drop) {
        return 'location: needs a 3xx status (and no drop)';
      }
    }
    if (rule.bodyBytes !== undefined) {
      if (!Number.isSafeInteger(rule.bodyBytes) || rule.bodyBytes < 0) return 'bodyBytes: a whole number >= 0';
      if (rule.status === undefined || rule.drop) return 'bodyBytes: needs a status (and no drop)';
      if (rule.body !== undefined) return 'bodyBytes: cannot be combined with body';
    }
    if (typeof rule.storeBeforeDelay !== 'boolean') return 'storeBeforeDelay: a boolean';
    if (rule.storeBeforeDelay && !(input.delayMs > 0)) return 'storeBeforeDelay: needs a delayMs above 0';
    if (rule.storeBeforeDelay && (rule.drop || rule.status !== undefined)) {
      return 'storeBeforeDelay stores normally: it cannot be combined with drop or status';
    }
    state.rules.push(rule);
    return null;
  }

  function configure(input) {
    if (!isPlainObject(input)) return 'expected a JSON object';
    for (const [key, value] of Object.entries(input)) {
      if (key === 'maxBytes') {
        if (!Number.isInteger(value) || value < 0) return 'maxBytes: a whole number >= 0';
      } else if (key === 'countOnly') {
        if (typeof value !== 'boolean') return 'countOnly: a boolean';
      } else {
        return `unknown setting: ${key}`;
      }
    }
    Object.assign(state.config, input);
    return null;
  }

  // ---- the server -----------------------------------------------------------------------

  async function handle(req, res) {
    // A request in absolute form ("POST http://host/v1/batch") is what a client sends to a
    // forward proxy: served as if it came direct, and logged as proxied, so a test can point a
    // client's proxy setting here.
    const proxied = !req.url.startsWith('/');
    const [path, queryString = ''] = (proxied ? originForm(req.url) : req.url).split('?', 2);
    req.proxied = proxied;
    if (req.method === 'OPTIONS') {
      state.preflights.push({
        path,
        origin: req.headers.origin ?? null,
        requestHeaders: req.headers['access-control-request-headers'] ?? null,
      });
      return preflight(req, res);
    }
    const route = DATA_ROUTES.get(path);
    if (route) {
      if (req.method === 'POST') return handleData(req, res, path, route, queryString);
      return handleOtherMethod(req, res, path);
    }
    if (path === '/health' && req.method === 'GET') {
      return sendJson(req, res, 200, { server: 'UP' });
    }
    if (path.startsWith('/_control/')) return handleControl(req, res, path);
    sendText(req, res, 404, '404 page not found');
  }

  const listener = (req, res) => {
    handle(req, res).catch((error) => {
      // A client that went away mid-request is normal; anything else is a bug worth seeing.
      if (req.socket.destroyed) return;
      console.error('dataplane: internal error:', error);
      if (!res.headersSent) sendText(req, res, 500, 'internal error');
      else res.destroy();
    });
  };
  const server = settings.tls ? https.createServer(settings.tls, listener) : http.createServer(listener);
  server.keepAliveTimeout = KEEP_ALIVE_MS;
  server.headersTimeout = KEEP_ALIVE_MS + 1000;
  server.requestTimeout = 0; // a slow benchmark upload must not be cut off

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(settings.port, settings.host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const { port } = server.address();
  const hostInUrl = settings.host.includes(':') ? `[${settings.host}]` : settings.host;

  return {
    url: `${settings.tls ? 'https' : 'http'}://${hostInUrl}:${port}`,
    port,
    state,
    close: () =>
      new Promise((resolve) => {
        server.close(() => resolve());
        // Idle keep-alive connections would otherwise hold close() open for 720 s.
        server.closeAllConnections();
      }),
  };
}

// ---- helpers ------------------------------------------------------------------------------

// "/v1/batch?x" of "http://host/v1/batch?x"; what is no URL stays as it is (and finds no route).
function originForm(absolute) {
  try {
    const url = new URL(absolute);
    return url.pathname + url.search;
  } catch {
    return absolute;
  }
}

// Go's Request.BasicAuth: "Basic base64(user:password)"; no colon means no credentials.
function basicAuthUser(req) {
  const header = req.headers.authorization;
  if (!header || header.length < 6 || header.slice(0, 6).toLowerCase() !== 'basic ') return '';
  const decoded = Buffer.from(header.slice(6).trim(), 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? '' : decoded.slice(0, colon);
}

// What the gateway removes from ids before it reads them (rudder-go-kit's sanitize.Unicode):
// every character Go's unicode.IsPrint rejects (the categories C and Z, but the ASCII space)
// and a list of invisible ones. The ASCII space is left for the trim.
const INVISIBLE = /(?! )[\p{C}\p{Z}\u034F\u115F\u1160\u17B4\u17B5\u2800\u3164\uFFA0]/gu;

// Ids as the gateway reads them: missing or null is empty, other values by their text, without
// invisible characters, trimmed (strings.TrimSpace(sanitize.Unicode(id))).
function idOf(value) {
  return value === undefined || value === null ? '' : String(value).replace(INVISIBLE, '').trim();
}

// Reads the whole body, or resolves null as soon as it would exceed `cap` (the rest is then
// read and discarded so the connection stays usable for the next request).
function readBody(req, cap) {
  return new Promise((resolve, reject) => {
    // Gone already (e.g. while a misbehaviour rule delayed us): no 'close' event will come.
    if (req.destroyed) return reject(new Error('request aborted'));
    const declared = Number(req.headers['content-length']);
    if (declared > cap) {
      req.resume();
      return resolve(null);
    }
    const chunks = [];
    let size = 0;
    req.on('data', (chunk) => {
      if (size < 0) return;
      size += chunk.length;
      if (size > cap) {
        size = -1;
        chunks.length = 0;
        resolve(null);
      } else {
        chunks.push(chunk);
      }
    });
    req.on('end', () => resolve(size < 0 ? null : Buffer.concat(chunks, size)));
    req.on('error', reject);
    // A client that goes away mid-body would otherwise leave this promise pending forever.
    req.on('close', () => {
      if (!req.complete) reject(new Error('request aborted'));
    });
  });
}

function gunzipCapped(buffer, cap) {
  return new Promise((resolve, reject) => {
    gunzip(buffer, { maxOutputLength: cap }, (error, result) => (error ? reject(error) : resolve(result)));
  });
}

// The gateway's rudderId: rudder-go-kit's GetMD5UUID("<userId>:<anonymousId>"), the MD5 shaped
// as a version-3 UUID. Memoized, as a run's events mostly share a few ids; bounded, as some
// runs use a new id per event.
const rudderIds = new Map();
function rudderId(userId, anonymousId) {
  const text = `${userId}:${anonymousId}`;
  let id = rudderIds.get(text);
  if (id === undefined) {
    if (rudderIds.size >= 10_000) rudderIds.clear();
    id = md5Uuid(text);
    rudderIds.set(text, id);
  }
  return id;
}

function md5Uuid(text) {
  const b = createHash('md5').update(text).digest();
  b[6] = (b[6] & 0x0f) | 0x30;
  b[8] = (b[8] & 0x3f) | 0x80;
  const hex = b.toString('hex');
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

// The processor's event time: the event's own `timestamp` when it parses; otherwise
// receivedAt - (sentAt - originalTimestamp), a missing or bad one counting as receivedAt.
function eventTime(event, receivedMs) {
  const given = parseTime(event.timestamp);
  if (given !== null) return new Date(given).toISOString();
  const original = parseTime(event.originalTimestamp) ?? receivedMs;
  const sent = parseTime(event.sentAt) ?? receivedMs;
  return new Date(receivedMs - (sent - original)).toISOString();
}

function parseTime(value) {
  if (typeof value !== 'string' || value === '') return null;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

// As the gateway: the first X-Forwarded-For address when a proxy gave one, else the peer.
function requestIp(req) {
  const forwarded = req.headers['x-forwarded-for'];
  if (forwarded) return forwarded.split(',', 1)[0].trim();
  return req.socket.remoteAddress ?? '';
}

function isPlainObject(value) {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

// Every origin is allowed. With an Origin the answer names it and allows credentials, which
// a browser requires for requests that carry credentials.
function corsHeaders(req) {
  const origin = req.headers.origin;
  if (!origin) return { 'access-control-allow-origin': '*' };
  return {
    'access-control-allow-origin': origin,
    'access-control-allow-credentials': 'true',
    // Without this a browser hides Retry-After from the page, and the SDK could not honour it.
    'access-control-expose-headers': 'Retry-After',
    vary: 'Origin',
  };
}

function preflight(req, res) {
  req.resume();
  res.writeHead(204, {
    ...corsHeaders(req),
    'access-control-allow-methods': 'POST, GET, OPTIONS',
    'access-control-allow-headers':
      req.headers['access-control-request-headers'] || 'Authorization, Content-Type, Content-Encoding, AnonymousId',
    'access-control-max-age': '600',
  });
  res.end();
}

// The gateway's answers are text/plain with a trailing newline (Go's http.Error).
function sendText(req, res, status, text, extraHeaders = {}) {
  const body = text.endsWith('\n') ? text : `${text}\n`;
  res.writeHead(status, {
    ...corsHeaders(req),
    ...extraHeaders,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

// `total` bytes of 'x' as the answer body, written a chunk at a time as the client reads
// (`entry.bodyBytesSent` counts them); stops when the client goes away (the pending 'drain'
// then never comes).
function streamFiller(req, res, status, total, extraHeaders, entry) {
  res.writeHead(status, {
    ...corsHeaders(req),
    ...extraHeaders,
    'content-type': 'text/plain; charset=utf-8',
    'content-length': total,
  });
  let left = total;
  const write = () => {
    while (left > 0) {
      if (res.destroyed) return;
      const chunk = left >= FILLER.length ? FILLER : FILLER.subarray(0, left);
      left -= chunk.length;
      entry.bodyBytesSent += chunk.length;
      if (!res.write(chunk)) {
        res.once('drain', write);
        return;
      }
    }
    res.end();
  };
  write();
}

function sendJson(req, res, status, value) {
  const body = JSON.stringify(value);
  res.writeHead(status, {
    ...corsHeaders(req),
    'content-type': 'application/json',
    'content-length': Buffer.byteLength(body),
  });
  res.end(body);
}

function reject(status, text) {
  return { status, text, items: null };
}

// ---- CLI ----------------------------------------------------------------------------------

const USAGE = `Usage: node tests/dataplane/server.mjs [flags]
Answers like RudderStack's data plane on loopback; prints "dataplane listening on URL" first.
  --host H                 address to listen on (default ${DEFAULTS.host})
  --port N                 port, 0 for any free one (default ${DEFAULTS.port})
  --max-bytes N            largest request body accepted, else 413 (default ${DEFAULTS.maxBytes})
  --write-key K            an accepted write key; repeatable (default ${DEFAULTS.writeKeys.join(', ')})
  --disabled-key K         a write key answered 404 "${BODY.sourceDisabled}"; repeatable (default ${DEFAULTS.disabledKeys.join(', ')})
  --count-only             count events without keeping them
  --print-events           print each stored event as a JSON line
  --exit-on-stdin-close    exit when standard input closes
  --tls-cert F --tls-key F serve HTTPS with this certificate and key
  --help, -h               this text
Routes, the control API under /_control/ and examples: tests/dataplane/README.md
`;

async function main() {
  let values;
  try {
    ({ values } = parseArgs({
      options: {
        host: { type: 'string', default: DEFAULTS.host },
        port: { type: 'string', default: String(DEFAULTS.port) },
        'max-bytes': { type: 'string', default: String(DEFAULTS.maxBytes) },
        'write-key': { type: 'string', multiple: true },
        'disabled-key': { type: 'string', multiple: true },
        'count-only': { type: 'boolean', default: false },
        'print-events': { type: 'boolean', default: false },
        'exit-on-stdin-close': { type: 'boolean', default: false },
        'tls-cert': { type: 'string' },
        'tls-key': { type: 'string' },
        help: { type: 'boolean', short: 'h', default: false },
      },
    }));
  } catch (error) {
    process.stderr.write(`dataplane: ${error.message}\n`);
    process.exit(2);
  }
  if (values.help) {
    process.stdout.write(USAGE);
    return;
  }
  const port = Number(values.port);
  const maxBytes = Number(values['max-bytes']);
  if (!Number.isInteger(port) || port < 0 || port > 65535 || !Number.isInteger(maxBytes) || maxBytes < 0) {
    process.stderr.write('dataplane: --port and --max-bytes take whole numbers\n');
    process.exit(2);
  }

  const plane = await startDataPlane({
    host: values.host,
    port,
    maxBytes,
    writeKeys: values['write-key'] ?? DEFAULTS.writeKeys,
    disabledKeys: values['disabled-key'] ?? DEFAULTS.disabledKeys,
    countOnly: values['count-only'],
    onEvent: values['print-events'] ? (event) => process.stdout.write(`${JSON.stringify(event)}\n`) : undefined,
    tls: values['tls-cert'] ? { cert: readFileSync(values['tls-cert']), key: readFileSync(values['tls-key']) } : undefined,
  });
  process.stdout.write(`dataplane listening on ${plane.url}\n`);

  let stopping = false;
  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await plane.close();
    process.exit(0);
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  if (values['exit-on-stdin-close']) {
    // A harness that dies closes our stdin: never outlive it.
    process.stdin.on('end', stop).on('close', stop).on('error', stop).resume();
  }
}

// Run as a CLI only when this file is the entry point (Node gives the module its real path).
if (process.argv[1] && fileURLToPath(import.meta.url) === realpathSync(process.argv[1])) {
  main().catch((error) => {
    process.stderr.write(`dataplane: ${error.message}\n`);
    process.exit(1);
  });
}
