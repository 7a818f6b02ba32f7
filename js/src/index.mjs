// rudder-analytics js: the package's API, a thin layer over the WebAssembly core.
// Copyright the rudder-analytics authors. MIT licence.
//
// Validation, batching, retries and payloads are the C++ core's (src/core/); this file turns
// JavaScript objects into JSON text, results into return values and exceptions, and hooks
// the browser's page-unload events. See types/index.d.ts for the documented API.
import { loadGzip } from './gzip.mjs';
import { Bridge, compiledModule, isNode, nodeImport } from './module.mjs';
import { openBrowserStorage } from './browser-storage.mjs';
import { identityStore, userOfEarlierSdk } from './identity-store.mjs';
import { openStorage } from './storage.mjs';
import { post as postWithFetch } from './transport.mjs';
import { post as postWithNodeHttp } from './transport-node.mjs';

const CALLS = ['identify', 'track', 'page', 'screen', 'group', 'alias'];  // the core's order
const GLUE_OPTIONS = ['onError', 'logger', 'locateFile', 'wasmBinary', 'wasmModule', 'beaconOnUnload', 'storageDir', 'storage', 'plugins', 'sessionTimeoutMs'];
const DEFAULT_SESSION_TIMEOUT_MS = 30 * 60 * 1000;  // analytics-js's
const MIN_SESSION_TIMEOUT_MS = 10_000;               // analytics-js's least
const STORAGE_KINDS = ['indexedDB', 'memory'];
const DEFAULT_CLOSE_TIMEOUT_MS = 10_000;
const MAX_TIMER_MS = 2_147_483_647;  // setTimeout's longest delay
const LOG_METHODS = ['debug', 'info', 'warn', 'error'];  // the core's levels, in order
const ENCODER = new TextEncoder();
// Only the Node build carries the file code, only the browser build the IndexedDB code
// (scripts/build.mjs defines RUDDER_NODE_BUILD); the other is left out of each bundle.
// eslint-disable-next-line no-undef
const openNodeStorage = RUDDER_NODE_BUILD ? openStorage : null;
// eslint-disable-next-line no-undef
const openIndexedDb = RUDDER_NODE_BUILD ? null : openBrowserStorage;
// Requests: node:http in Node (far less CPU per batch than Node's fetch), fetch elsewhere.
// eslint-disable-next-line no-undef
const post = RUDDER_NODE_BUILD && isNode ? postWithNodeHttp : postWithFetch;

/** Why events were given up on; passed to onError with the events. */
export class DeliveryError extends Error {
  constructor({ kind, status, body, message, attempts, lastAttempt = '' }) {
    super(message);
    this.name = 'DeliveryError';
    this.kind = kind;
    this.status = status;
    this.body = body;
    this.attempts = attempts;
    this.lastAttempt = lastAttempt;
  }
}
// Its own name kept through minification (which renames the class), for whoever prints
// error.constructor.name.
Object.defineProperty(DeliveryError, 'name', { value: 'DeliveryError' });

// JSON.stringify writes a number that is not finite, and an invalid Date, as null, a Map or a
// Set as {}, and a typed array as an object of its indexes: the event would arrive with a
// value the caller never gave, or without the entries the caller gave. A BigInt or a cycle
// makes it throw. Such values are refused, naming the field. Functions and symbols are left
// out, as JSON.stringify does. Finding them walks the whole value, so it only runs when the
// fast text shows a null, an empty object or an object of indexes, or stringify threw.
const COLLECTIONS = [
  [Map, 'is a Map, which JSON writes as {} (pass Object.fromEntries(map))'],
  [Set, 'is a Set, which JSON writes as {} (pass [...set])'],
  [WeakMap, 'is a WeakMap, which JSON cannot carry'],
  [WeakSet, 'is a WeakSet, which JSON cannot carry'],
  [ArrayBuffer, 'is an ArrayBuffer, which JSON writes as {} (pass an array or a base64 string)'],
  [Error, 'is an Error, which JSON writes as {} without its message (pass error.message, or { name, message })'],
  [RegExp, 'is a RegExp, which JSON writes as {} (pass String(regexp))'],
];

// Why `plugin` cannot be one, or ''. Plugins run on the call, which cannot wait: an async
// function returns a Promise, which every call would refuse.
function pluginProblem(plugin) {
  if (typeof plugin !== 'function') return 'must be a function (message, call) => message or null';
  return /^\[object Async/.test(Object.prototype.toString.call(plugin))
    ? 'is an async function; plugins run on the call, so they return the message (or null), not a Promise' : '';
}

// A getter, a Proxy's trap or a toJSON() that throws: JSON.stringify would throw its bare
// error, which names no field.
const threw = (path, what, e) => ({ path, code: 'invalid_value', problem: `${what} threw: ${e?.message ?? e}`, cause: e });

// `ancestors`: the objects `value` is inside, to tell a cycle from an object met twice.
// `depth` and `named`: how deep `value` is, and the path the core names for nesting past its
// limit (a member of properties: "properties.tree"). Input deeper than that is refused here
// by the same words, before JSON.stringify, or this walk, runs out of stack on it.
function unrepresentable(value, path, ancestors = new Set(), depth = 0, named = path) {
  if (depth > MAX_NESTING) return { path: named, code: 'invalid_value', problem: `is nested deeper than ${MAX_NESTING} levels` };
  if (value instanceof Date && Number.isNaN(value.getTime())) {
    return { path, code: 'invalid_value', problem: 'is an invalid Date' };
  }
  if (value !== null && typeof value === 'object' && typeof value.toJSON !== 'function') {
    const collection = COLLECTIONS.find(([type]) => value instanceof type);
    if (collection) return { path, code: 'wrong_type', problem: collection[1] };
    if (ArrayBuffer.isView(value)) {
      return { path, code: 'wrong_type', problem: `is a ${value.constructor.name}, which JSON writes as an object of its indexes (pass Array.from(...))` };
    }
  }
  if (value !== null && typeof value === 'object' && typeof value.toJSON === 'function') {
    try {
      value = value.toJSON();
    } catch (e) {
      return threw(path, 'its toJSON()', e);
    }
  }
  switch (typeof value) {
    case 'number':
      return Number.isFinite(value) ? null : { path, code: 'out_of_range', problem: 'number is not finite' };
    case 'bigint':
      return { path, code: 'wrong_type', problem: 'is a BigInt, which JSON cannot carry (pass a number or a string)' };
    case 'object': {
      if (value === null) return null;
      if (ancestors.has(value)) return { path, code: 'invalid_value', problem: 'refers to an object it is inside (a cycle), which JSON cannot carry' };
      ancestors.add(value);
      const array = Array.isArray(value);
      let keys;
      try {
        keys = array ? value.keys() : Object.keys(value);
      } catch (e) {
        return threw(path, 'reading it', e);
      }
      for (const key of keys) {
        const p = array ? `${path}[${key}]` : path ? `${path}.${key}` : key;
        let item;
        try {
          item = value[key];
        } catch (e) {
          return threw(p, 'reading it', e);
        }
        const found = unrepresentable(item, p, ancestors, depth + 1, depth < 2 ? p : named);
        if (found) return found;
      }
      ancestors.delete(value);
      return null;
    }
    default:
      return null;
  }
}

// The page's UTM parameters as analytics-js sends them in context.campaign: utm_campaign is
// its `name`; utm_source, utm_medium, utm_term, utm_content and any other utm_ keep their
// names. Null when the address has none.
function campaignOf(search) {
  let campaign = null;
  for (const [key, value] of new URLSearchParams(search)) {
    if (!key.startsWith('utm_') || key.length === 4) continue;
    (campaign ??= {})[key === 'utm_campaign' ? 'name' : key.slice(4)] = value;
  }
  return campaign;
}

// The core's limit on nesting (kMaxJsonDepth in core/json_check.hpp).
const MAX_NESTING = 256;

// The core's letters for what is wrong with a field (wasm/exports.cpp), as error codes.
const CODES = { m: 'missing', w: 'wrong_type', i: 'invalid_value', o: 'out_of_range' };

/**
 * The error for refused input: a RangeError for a value out of range, otherwise a TypeError,
 * carrying `call` ("track", "create"), `field` (its path: "properties.price", "" for the whole
 * argument) and `code` (missing, wrong_type, invalid_value, out_of_range).
 */
// `cause`: the error a getter, a Proxy, a toJSON() or JSON.stringify threw, kept for its stack.
function refused(call, field, code, message, cause) {
  const options = cause === undefined ? undefined : { cause };
  const error = code === 'out_of_range' ? new RangeError(message, options) : new TypeError(message, options);
  return Object.assign(error, { call, field, code });
}

// `count` is told of a refusal made here, so stats().dropped.invalid counts it like the core's.
// `call` names the method in errors: the call, or "create" for settings.
function encodeInput(method, input, count = () => {}, call = method) {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    count();
    throw refused(call, '', 'wrong_type', `${method}: expects one object argument, e.g. ${method}({ userId, ... })`);
  }
  let text;
  let failure;
  try {
    text = JSON.stringify(input);
  } catch (e) {
    failure = e;  // a BigInt, a cycle, or a toJSON that threw
  }
  if (failure === undefined && !text.includes('null') && !text.includes('{}') && !text.includes('{"0":')) return text;
  let found;
  try {
    found = unrepresentable(input, '');
  } catch (e) {  // a Proxy whose keys or prototype cannot be read
    found = threw('', 'reading it', e);
  }
  if (!found && failure === undefined) return text;
  count();
  if (!found) throw refused(call, '', 'invalid_value', `${method}: ${failure.message}`, failure);
  throw refused(call, found.path, found.code, `${method}: ${found.path ? `${found.path}: ` : ''}${found.problem}`, found.cause);
}

// flush()'s and close()'s one option, checked as settings are: a misspelled name would
// otherwise be ignored and the default waited out.
function timeoutOption(call, options, fallback) {
  if (options === undefined) return fallback;
  if (options === null || typeof options !== 'object' || Array.isArray(options)) {
    throw refused(call, 'options', 'wrong_type',
      `${call}: expects { timeoutMs } or nothing, not ${options === null ? 'null' : Array.isArray(options) ? 'an array' : typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'timeoutMs') throw refused(call, key, 'invalid_value', `${call}: ${key}: is not an option (its one option is timeoutMs)`);
  }
  const { timeoutMs = fallback } = options;
  checkTimeout(call, timeoutMs);
  return timeoutMs;
}

function checkTimeout(call, timeoutMs) {
  if (typeof timeoutMs !== 'number') {
    throw refused(call, 'timeoutMs', 'wrong_type', `${call}: timeoutMs: must be a number of milliseconds, not ${typeof timeoutMs}`);
  }
  if (!(timeoutMs >= 0)) {
    throw refused(call, 'timeoutMs', 'out_of_range', `${call}: timeoutMs: must be 0 or more milliseconds`);
  }
}

// 64 random bits for the core's generator (messageIds, retry jitter). Node 18 has Web Crypto
// only as node:crypto's webcrypto, not as a global; no global is added for it.
async function randomSeed() {
  const crypto = globalThis.crypto?.getRandomValues ? globalThis.crypto : (await nodeImport('node:crypto')).webcrypto;
  return crypto.getRandomValues(new Uint32Array(2));
}

// A copy of a message's plain objects and arrays for a plugin to edit. Other values (Dates,
// Maps, functions, class instances) are shared, as encodeInput reads them; a cycle stays a
// cycle; nesting deeper than the core takes is shared too, as it is refused anyway.
function copyForPlugins(value, seen = new Map(), depth = 0) {
  if (value === null || typeof value !== 'object' || depth > MAX_NESTING) return value;
  const array = Array.isArray(value);
  const proto = Object.getPrototypeOf(value);
  if (!array && proto !== Object.prototype && proto !== null) return value;
  if (seen.has(value)) return seen.get(value);
  let keys;
  try {
    keys = Object.keys(value);
  } catch {
    return value;  // a Proxy that cannot list its keys: shared, and refused by encodeInput by name
  }
  const copy = array ? new Array(value.length) : {};  // holes stay holes (null in JSON)
  seen.set(value, copy);
  for (const key of keys) {
    let read;
    try {
      read = value[key];
    } catch {
      // A getter that throws stays the getter: encodeInput then refuses the field by name.
      Object.defineProperty(copy, key, Object.getOwnPropertyDescriptor(value, key));
      continue;
    }
    const item = copyForPlugins(read, seen, depth + 1);
    // An own "__proto__" key (JSON.parse makes them) stays a key, not the copy's prototype.
    if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy;
}

// The value at an error's field path ("properties.items[2].price") in a message.
function atPath(message, field) {
  let value = message;
  for (const part of field.split(/\.|\[(\d+)\]/)) {
    if (part === undefined || part === '') continue;
    if (value === null || typeof value !== 'object') return undefined;
    try {
      value = value[part];
    } catch {
      return undefined;  // a getter that throws: the refusal being explained names it already
    }
  }
  return value;
}

function sameValue(a, b) {
  if (a === b) return true;
  // A value JSON cannot carry (a BigInt, a cycle, a toJSON that throws) is the same when it
  // fails the same way: a plugin that passed it on unchanged (in a copy) did not cause it.
  const text = (value) => {
    try {
      return `=${JSON.stringify(value)}`;
    } catch (e) {
      return `!${e?.message}`;
    }
  };
  return text(a) === text(b);
}

// The logger as the client calls it. A method that throws loses its line, never an event: it
// used to throw out of the module's callbacks, wedging the client (flush() never resolved)
// and ending a Node process with an unhandled rejection. Said once, on the console.
function guardedLogger(logger) {
  let told = false;
  const guarded = {};
  for (const method of LOG_METHODS) {
    guarded[method] = (line) => {
      try {
        logger[method](line);
      } catch (e) {
        if (told) return;
        told = true;
        try { console.error(`[rudder-analytics] logger.${method} threw: ${e?.message ?? e}; lines it cannot take are dropped`); } catch {}
      }
    };
  }
  return guarded;
}

// Checks what can be checked before the module loads: the glue's own options, and that the
// core's settings are JSON. Throws an InputError naming the setting; the core checks the rest.
function checkSettings(settings) {
  if (settings === null || typeof settings !== 'object') {
    throw refused('create', '', 'wrong_type', 'settings: expects an object, e.g. { writeKey, dataPlaneUrl }');
  }
  const { onError, logger = console, beaconOnUnload = true, storageDir, plugins = [] } = settings;
  const storage = settings.storage ?? (storageDir !== undefined || isNode ? 'memory' : 'indexedDB');
  const wrong = (field, message) => refused('create', field, 'wrong_type', `${field}: ${message}`);
  if (onError !== undefined && typeof onError !== 'function') throw wrong('onError', 'must be a function');
  if (logger === null || typeof logger !== 'object' || !LOG_METHODS.every((m) => typeof logger[m] === 'function')) {
    throw wrong('logger', 'must have debug, info, warn and error methods');
  }
  if (typeof beaconOnUnload !== 'boolean') throw wrong('beaconOnUnload', 'must be true or false');
  if (!Array.isArray(plugins)) throw wrong('plugins', 'must be an array of functions (message, call) => message or null');
  for (const [i, plugin] of plugins.entries()) {
    const problem = pluginProblem(plugin);
    if (problem) throw wrong(`plugins[${i}]`, problem);
  }
  if (storageDir !== undefined) {
    if (typeof storageDir !== 'string' || storageDir === '') throw wrong('storageDir', 'must be a directory name');
    if (!isNode) throw wrong('storageDir', 'is for Node (files); there is no file system in a browser');
    if (!openNodeStorage) throw wrong('storageDir', "needs the package's Node build (its \"node\" export condition)");
    if (settings.storage !== undefined) throw wrong('storage', 'leave it out with storageDir, which keeps events in files');
  }
  const { sessionTimeoutMs = isNode ? 0 : DEFAULT_SESSION_TIMEOUT_MS } = settings;
  if (isNode && settings.sessionTimeoutMs !== undefined && sessionTimeoutMs !== 0) {
    throw refused('create', 'sessionTimeoutMs', 'invalid_value', 'sessionTimeoutMs: is for browsers; in Node each call gives its ids, and there are no sessions (leave it out, or 0)');
  }
  if (typeof sessionTimeoutMs !== 'number') throw wrong('sessionTimeoutMs', 'must be a number of milliseconds');
  if (sessionTimeoutMs !== 0 && !(Number.isSafeInteger(sessionTimeoutMs) && sessionTimeoutMs >= MIN_SESSION_TIMEOUT_MS)) {
    throw refused('create', 'sessionTimeoutMs', 'out_of_range',
      `sessionTimeoutMs: must be 0 (no sessions) or a whole number of milliseconds from ${MIN_SESSION_TIMEOUT_MS} to ${Number.MAX_SAFE_INTEGER}`);
  }
  if (!STORAGE_KINDS.includes(storage)) throw refused('create', 'storage', 'invalid_value', "storage: must be 'indexedDB' or 'memory'");
  if (storage === 'indexedDB' && !openIndexedDb) {
    throw refused('create', 'storage', 'invalid_value', "storage: 'indexedDB' is for browsers; in Node, storageDir keeps events in files");
  }
  const coreSettings = {};
  for (const [key, value] of Object.entries(settings)) {
    // A function (or symbol) would vanish from the JSON, and a mistyped `onerror` with it,
    // silently: the core sees an object instead, and names the setting as it names any other.
    // NaN and Infinity have no JSON: the core gets a fraction in their place, which it refuses
    // as any number that is not whole, naming the setting and its range (rejecting `ready`,
    // as every value of a core setting is).
    if (!GLUE_OPTIONS.includes(key) && value !== undefined) {
      coreSettings[key] = typeof value === 'function' || typeof value === 'symbol' ? {}
        : typeof value === 'number' && !Number.isFinite(value) ? 0.5 : value;
    }
  }
  // The payload's channel says where events come from, unless the caller says otherwise.
  if (coreSettings.channel === undefined) coreSettings.channel = isNode ? 'server' : 'web';
  const settingsJson = encodeInput('settings', coreSettings, undefined, 'create');
  return { onError, logger: guardedLogger(logger), beaconOnUnload, storageDir, storage, plugins, sessionTimeoutMs, settingsJson };
}

// What a method that needs the module throws before it is ready, or when the client did not
// start (`failed`, the error `ready` rejected with): then it never will be.
function notReady(call, failed) {
  const error = new Error(failed
    ? `${call}: the client did not start (${failed.message ?? failed}); create a new one`
    : `${call}: the module is still loading; await analytics.ready first`);
  return Object.assign(error, { call, field: '', code: 'not_ready' });
}

// Calls made while the module loads wait in order, this many at most; later ones return
// "queue_full" (counted in stats().dropped.queue_full once it is ready). A module loads in tens
// of milliseconds; a server that starts taking traffic at once still fits in this.
const HELD_CALLS_MAX = 10_000;
const REFUSED = { invalid: 0, queue_full: 1, shut_down: 2 };  // rudder_count_refused's reasons
// The core's texts for a plugin's drop and a closed client, for what it cannot answer yet.
const DROPPED_BY_PLUGIN = 'plugins: dropped the event';
const DROPPED = Symbol('dropped by a plugin');  // what #throughPlugins returns for a dropped event
const CLOSED = 'client: is closed (close() was called)';  // the core's words (closed_message in core/driver.cpp)

export class Analytics {
  #bridge = null;         // the module, once loaded (the host's callbacks use it from then)
  #isReady = false;       // the module runs this client: calls go to it, not to #held
  #onError;
  #logger;
  #gzip = null;
  #settling = new Map();  // ticket -> resolve, for flush() and close() promises
  #storage = null;        // the segment files (storageDir, storage.mjs) or IndexedDB (browser-storage.mjs)
  #closing = null;        // close()'s promise
  #removeUnloadHooks = () => {};
  #removeOnlineHook = () => {};
  #browser = !isNode;     // remembers the user and the page (core/identity.hpp); not in Node
  #identity = null;       // where the user is kept between page loads (identity-store.mjs)
  #stopWatchingIdentity = () => {};
  #pageSeen = { href: null, title: null };  // the page set_page() was last told of
  #plugins = [];          // (message, call) => message | null, run in order before each call
  #ready;                 // resolves with this client once the module runs it
  #held = [];             // until then: what waits for the module, (bridge) => void, in order
  #heldCalls = 0;         // how many of those are calls
  #heldRefusals = [0, 0, 0];  // calls refused meanwhile, by REFUSED reason, to count once ready
  #failed = null;         // the error `ready` rejected with
  #logStartFailure = true;  // false under create(), whose caller hears it from the rejection

  /**
   * Starts a client and returns at once: calls made before the module is ready are held in
   * order and made once it is (`ready` resolves then). Throws an InputError for a wrong
   * option of the glue's; `ready` rejects with one for a wrong setting of the core's.
   */
  constructor(settings) {
    const checked = checkSettings(settings);
    this.#onError = checked.onError;
    this.#logger = checked.logger;
    this.#plugins = [...checked.plugins];
    this.#ready = this.#start(settings, checked).then(() => this, (e) => this.#startFailed(e));
    // Marked handled: a page that never awaits `ready` sees the error in the log instead of an
    // unhandled rejection (which ends a Node process).
    this.#ready.catch(() => {});
  }

  /** Resolves with this client once the module is loaded and running; rejects if it cannot start. */
  get ready() { return this.#ready; }

  /** `new Analytics(settings)`, resolved once ready. */
  static async create(settings) {
    const analytics = new Analytics(settings);
    // Its caller awaits the start, so a failure is theirs to see, not the log's: no call can
    // have been made on a client they never got.
    analytics.#logStartFailure = false;
    return analytics.ready;
  }

  async #start(settings, { beaconOnUnload, storageDir, storage, sessionTimeoutMs, settingsJson }) {
    const seed = await randomSeed();
    this.#gzip = await loadGzip();
    const bridge = await Bridge.start(await compiledModule(settings), this.#host());
    this.#bridge = bridge;
    const warn = (line) => this.#logger.warn(`[rudder-analytics] ${line}`);
    const { writeKey, dataPlaneUrl } = settings;
    // Opened before the core starts, which must know whether it stores; a queue is named by
    // data plane and write key, which the core checks (it refuses values that are no strings).
    if (storage === 'indexedDB' && typeof writeKey === 'string' && typeof dataPlaneUrl === 'string') {
      this.#storage = await openIndexedDb(dataPlaneUrl, writeKey, warn);
    }
    const length = bridge.write(settingsJson);
    const stores = storageDir !== undefined || this.#storage !== null;
    const browser = this.#browser;
    // 2: a browser whose fetch has keepalive (a request that outlives the page, which the core
    // then never sends again by beacon at unload); Firefox before 133 has none.
    const keepalive = typeof Request === 'function' && 'keepalive' in Request.prototype;
    const problem = bridge.read(bridge.m._rudder_create(bridge.buffer, length, seed[0], seed[1], stores ? 1 : 0,
      browser ? (keepalive ? 2 : 1) : 0));
    if (problem !== '') {
      await this.#storage?.release();
      const message = problem.slice(2);  // "settingName: problem"
      throw refused('create', message.slice(0, message.indexOf(':')), CODES[problem[1]], message);
    }
    bridge.created();
    if (storageDir) {
      try {
        this.#storage = await openNodeStorage(storageDir, warn);
      } catch (e) {  // "storageDir: cannot use ...": refused like every other setting
        throw refused('create', 'storageDir', 'invalid_value', String(e?.message ?? e));
      }
    }
    // What clients that are gone left goes first, in the order it was accepted; in browsers,
    // what tabs still open leave is handed over when they go.
    const adopt = ({ id, bytes }) => {
      const pointer = bridge.m._rudder_segment_memory(bytes.byteLength);
      bridge.view(pointer, bytes.byteLength).set(bytes);
      bridge.m._rudder_adopt(pointer, bytes.byteLength, id);
    };
    for (const segment of await this.#storage?.takeOver((later) => later.forEach(adopt)) ?? []) adopt(segment);
    if (storageDir) {
      const refusal = bridge.read(bridge.m._rudder_open_storage());  // "storageDir: cannot reserve ..."
      if (refusal !== '') throw refused('create', 'storageDir', 'invalid_value', refusal);
    }
    // From here on, in one go: nothing else runs between the module taking over and the held
    // calls reaching it, so they stay in order with later calls.
    this.#isReady = true;
    if (browser) bridge.m._rudder_identity_session_timeout(sessionTimeoutMs);
    if (beaconOnUnload) this.#hookUnload();
    this.#hookOnline();
    if (browser && storage !== 'memory') this.#rememberUser(writeKey, warn);
    const held = this.#held;
    this.#held = [];
    this.#heldCalls = 0;
    for (const [reason, count] of this.#heldRefusals.entries()) {
      for (let i = 0; i < count; i++) bridge.m._rudder_count_refused(reason);
    }
    for (const run of held) run(bridge);
  }

  // The client could not start: what was held is reported (logged, and to onError) and the
  // error goes to whoever awaits `ready`.
  #startFailed(error) {
    this.#failed = error;
    const calls = this.#held.filter((run) => run.call).map((run) => run.call);
    this.#held = [];
    if (this.#logStartFailure || calls.length > 0) {
      this.#logger.error(`[rudder-analytics] the client did not start: ${error?.message ?? error}` +
        (calls.length > 0 ? `; ${calls.length} call(s) made before were dropped` : ''));
    }
    if (calls.length > 0) {
      this.#report(new DeliveryError({ kind: 'not_started', status: 0, body: '', message: String(error?.message ?? error), attempts: 0 }),
        calls.map(({ type, json }) => ({ type: CALLS[type], ...JSON.parse(json) })));
    }
    throw error;
  }

  // Runs `run(bridge)` now if the module is ready, otherwise once it is.
  #whenReady(run) {
    if (this.#isReady) run(this.#bridge);
    else if (this.#failed === null) this.#held.push(run);
  }

  identify(message) { return this.#call(0, message); }
  track(message) { return this.#call(1, message); }
  page(message) { return this.#call(2, message); }
  screen(message) { return this.#call(3, message); }
  group(message) { return this.#call(4, message); }
  alias(message) { return this.#call(5, message); }

  /**
   * Resolves with what the core says became of everything queued before it; with timeoutMs,
   * after that long at most, what is left counted as pending (and still delivered later).
   * Before the module is ready, it waits for it (within timeoutMs).
   */
  flush(options) {
    const timeoutMs = timeoutOption('flush', options, Infinity);
    if (!this.#isReady) return this.#afterReady(timeoutMs, (left) => this.flush({ timeoutMs: left }));
    const ticket = this.#bridge.m._rudder_flush();
    const settled = this.#settlement(ticket);
    if (timeoutMs === Infinity) return settled;
    // Ended early by the core (Driver::end_flush), unless it settled first.
    const timer = setTimeout(() => {
      const resolve = this.#settling.get(ticket);
      if (!resolve) return;
      this.#settling.delete(ticket);
      resolve(JSON.parse(this.#bridge.read(this.#bridge.m._rudder_flush_end(ticket))));
    }, Math.min(timeoutMs, MAX_TIMER_MS));
    return settled.finally(() => clearTimeout(timer));
  }

  close(options) {
    if (this.#closing) return this.#closing;
    const timeoutMs = timeoutOption('close', options, DEFAULT_CLOSE_TIMEOUT_MS);
    this.#closing = this.#isReady
      ? this.#closeNow(timeoutMs)
      : this.#afterReady(timeoutMs, (left) => this.#closeNow(left));
    return this.#closing;
  }

  #closeNow(timeoutMs) {
    this.#removeUnloadHooks();
    this.#removeOnlineHook();
    this.#stopWatchingIdentity();
    return this.#settlement(this.#bridge.m._rudder_close(Math.min(timeoutMs, MAX_TIMER_MS)))
      .then(async (result) => {
        await this.#storage?.release();  // what is left stays stored for a later run
        return result;
      });
  }

  // `then(msLeft)` once the module is ready, the time spent waiting for it taken from timeoutMs.
  // Rejects with the start's error if it did not start.
  #afterReady(timeoutMs, then) {
    const began = Date.now();
    return this.#ready.then(() => then(Math.max(0, timeoutMs - (Date.now() - began))));
  }

  // The promise for a flush or close ticket. The core may settle it inside the export that
  // returned it (nothing to wait for); settled() defers to a microtask, so it finds this entry.
  #settlement(ticket) {
    return new Promise((resolve) => { this.#settling.set(ticket, resolve); });
  }

  /** The core's counters. Throws (code "not_ready") before the module is ready. */
  stats() {
    if (!this.#isReady) throw notReady('stats', this.#failed);
    return JSON.parse(this.#bridge.read(this.#bridge.m._rudder_stats()));
  }

  // ---- the user, in browsers (the core's Identity; Node gives ids per call) -----------------

  /** The anonymousId calls without one get; made (and kept) on first use. Browsers only. */
  getAnonymousId() { return this.#user('getAnonymousId').anonymousId; }
  /** The userId of the last identify (or alias), or null. Browsers only. */
  getUserId() { return this.#user('getUserId').userId ?? null; }
  /** The traits identify calls gave, merged, or {}. Browsers only. */
  getUserTraits() { return this.#user('getUserTraits').traits ?? {}; }
  /**
   * The session's id (when it started, in ms), or null when there is none: before the first
   * call, after reset(), once it has expired, or with sessionTimeoutMs 0. Browsers only.
   */
  getSessionId() {
    const { session } = this.#user('getSessionId');
    return session && session.expiresAt > Date.now() ? session.id : null;
  }

  /** Another anonymousId for later calls (e.g. one a server session made). Browsers only. */
  setAnonymousId(anonymousId) {
    this.#browserOnly('setAnonymousId');
    // A whole number is its decimal text, as a call's numeric ids are.
    if (Number.isSafeInteger(anonymousId)) anonymousId = String(anonymousId);
    if (typeof anonymousId !== 'string') {
      throw refused('setAnonymousId', 'anonymousId', 'wrong_type', 'setAnonymousId: anonymousId: must be a string (or a whole number)');
    }
    const set = (bridge) => bridge.read(bridge.withText(anonymousId, (p, n) => bridge.m._rudder_identity_set_anonymous_id(p, n)));
    if (!this.#isReady) {
      // Held with the calls, in order; refused then, it is logged (the caller has gone on).
      this.#whenReady((bridge) => {
        const outcome = set(bridge);
        if (outcome !== '') this.#logger.error(`[rudder-analytics] setAnonymousId (made before the module was ready) refused: ${outcome.slice(2)}`);
      });
      return;
    }
    const outcome = set(this.#bridge);
    if (outcome !== '') throw refused('setAnonymousId', 'anonymousId', CODES[outcome[1]], `setAnonymousId: ${outcome.slice(2)}`);
  }

  /** Forgets the user (userId, traits, anonymousId), e.g. at log out. Browsers only. */
  reset() {
    this.#browserOnly('reset');
    this.#whenReady((bridge) => bridge.m._rudder_identity_reset());
  }

  #browserOnly(call) {
    if (!this.#browser) {
      throw refused(call, '', 'invalid_value', `${call}: is for browsers; in Node each call gives its userId or anonymousId`);
    }
  }

  #user(call) {
    this.#browserOnly(call);
    if (!this.#isReady) throw notReady(call, this.#failed);
    return JSON.parse(this.#bridge.read(this.#bridge.m._rudder_identity()));
  }

  // Takes up the user kept by earlier pages, and by other tabs and clients of this page as
  // they change it.
  // Where the page can keep nothing (a sandboxed frame: localStorage and cookies throw), the
  // user is remembered for this page only, as with storage: 'memory', and the client works on.
  #rememberUser(writeKey, warn) {
    const restore = (json) => {
      const bridge = this.#bridge;
      bridge.withText(json, (p, n) => bridge.m._rudder_identity_restore(p, n));
    };
    this.#identity = identityStore(writeKey, restore);
    if (!this.#identity) {
      warn('neither localStorage nor cookies work here: the user is kept for this page only');
      return;
    }
    let kept = this.#identity.read();
    if (!kept) {
      // First time here: the visitor an earlier SDK knew goes on as the same one.
      kept = userOfEarlierSdk();
      if (kept) this.#identity.write(kept);
    }
    if (kept) restore(kept);
    this.#stopWatchingIdentity = () => this.#identity.close();
  }

  // Tells the core the page calls are made on, when it changed (a single-page app navigates
  // without reloading): context.page and the rest, and page()'s default properties.
  // `at`: the page as a held call saw it when it was made (#pageNow), rather than as it is now.
  #notePage(at = this.#pageNow()) {
    if (at === null) return;
    // Compared field by field: a call then builds no string (the referrer is fixed for a
    // document, so a new one means a new page and a new client).
    const { href, title } = at;
    if (href === this.#pageSeen.href && title === this.#pageSeen.title) return;
    this.#pageSeen = { href, title };
    const page = { path: at.path, referrer: document.referrer, search: at.search, title, url: href };
    const context = { page, userAgent: navigator.userAgent, locale: navigator.language };
    const campaign = campaignOf(at.search);
    if (campaign) context.campaign = campaign;
    if (typeof screen === 'object') context.screen = { width: screen.width, height: screen.height, density: globalThis.devicePixelRatio ?? 1 };
    try {
      context.timezone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch {
      // no time zone to tell
    }
    const bridge = this.#bridge;
    const contextLength = bridge.write(JSON.stringify(context));
    bridge.withBytes(ENCODER.encode(JSON.stringify(page)), (p, n) => bridge.m._rudder_set_page(bridge.buffer, contextLength, p, n));
  }

  // The page a call is made on; null outside a document.
  #pageNow() {
    if (typeof document === 'undefined' || typeof location === 'undefined') return null;
    // Without the fragment, as analytics.js sends it: browsers never send one to a server, and
    // sign-in flows put tokens there (#access_token=...).
    const href = location.href;
    const hash = href.indexOf('#');
    return { href: hash < 0 ? href : href.slice(0, hash), title: document.title, path: location.pathname, search: location.search };
  }

  /**
   * Adds a plugin: `plugin(message, call)` sees each later call's object before it is checked
   * and returns it (edited, or another object) to go on, or null to drop the event (status
   * "dropped", counted in stats().dropped.by_plugin). What it returns is checked like the
   * caller's input. An exception it throws is logged; the event goes on as it was.
   */
  addPlugin(plugin) {
    const problem = pluginProblem(plugin);
    if (problem) throw refused('addPlugin', 'plugin', 'wrong_type', `addPlugin: plugin: ${problem}`);
    this.#plugins.push(plugin);
  }

  // The plugins, in order; null when one dropped the event.
  #throughPlugins(method, message) {
    for (const [i, plugin] of this.#plugins.entries()) {
      // Each plugin edits a copy: the caller's object (perhaps reused for the next call) stays
      // as it was, and a plugin that throws halfway through an edit leaves no part of it.
      const copy = copyForPlugins(message);
      let next;
      try {
        next = plugin(copy, method);
      } catch (e) {
        const what = `plugins[${i}]: ${e?.message ?? e}`;
        this.#whenReady((bridge) => bridge.withText(what, (p, n) => bridge.m._rudder_plugin_threw(p, n)));
        continue;
      }
      if (next === null || next === false) return DROPPED;
      if (next === undefined) {  // "leaves it": with what it edited in place
        message = copy;
        continue;
      }
      if (typeof next?.then === 'function') {  // an async plugin: its promise would be sent as {}
        next.then(undefined, () => {});  // what it settles to is not awaited, nor is a rejection left unhandled
        this.#countRefused(REFUSED.invalid);
        throw refused(method, '', 'wrong_type',
          `${method}: plugins[${i}] returned a Promise; plugins run on the call, so return the message (or null to drop it), not a Promise`);
      }
      if (typeof next !== 'object' || Array.isArray(next)) {
        this.#countRefused(REFUSED.invalid);
        throw refused(method, '', 'wrong_type',
          `${method}: plugins[${i}] returned ${Array.isArray(next) ? 'an array' : typeof next}, not the message object (or null to drop it)`);
      }
      message = next;
    }
    return message;
  }

  // Counted now, or once the module is ready (a count per reason, so nothing held grows).
  #countRefused(reason) {
    if (this.#isReady) this.#bridge.m._rudder_count_refused(reason);
    else if (this.#failed === null) this.#heldRefusals[reason]++;
  }

  // A call's input as the plugins see it: page() with nothing is this page.
  #given(method, input) {
    return input === undefined && method === 'page' && this.#browser ? {} : input;
  }

  // What the plugins make of a call's input. Input that is no object is the caller's mistake,
  // which encodeInput() reports: plugins see only messages.
  #plugged(method, input) {
    const message = this.#given(method, input);
    if (this.#plugins.length === 0 || message === null || typeof message !== 'object' || Array.isArray(message)) return message;
    return this.#throughPlugins(method, message);
  }

  #call(type, input) {
    const method = CALLS[type];
    if (!this.#isReady) return this.#hold(type, method, input);
    const bridge = this.#bridge;
    const message = this.#plugged(method, input);
    if (message === DROPPED) return { status: 'dropped', error: bridge.read(bridge.m._rudder_drop_by_plugin()) };
    if (this.#browser) this.#notePage();
    try {
      const json = encodeInput(method, message, () => bridge.m._rudder_count_refused(REFUSED.invalid));
      return this.#outcome(method, bridge.read(bridge.call(type, json, 0)));
    } catch (e) {
      throw this.#pluginsSaid(e, method, input, message);
    }
  }

  // A refusal of what plugins returned says so when they changed the field refused: the
  // caller's object may have been fine there. A mistake of the caller's that they passed on
  // unchanged stays the caller's. (Input that is no object never reaches the plugins.)
  #pluginsSaid(error, method, input, message) {
    if (this.#plugins.length === 0 || typeof message !== 'object' || message === null || typeof error?.field !== 'string') return error;
    if (!sameValue(atPath(this.#given(method, input), error.field), atPath(message, error.field))) {
      error.message += ' (in the message the plugins returned)';
    }
    return error;
  }

  #outcome(method, outcome) {
    const text = outcome.slice(1);
    switch (outcome[0]) {
      case 'A': return { status: 'accepted', messageId: text };
      case 'Q': return { status: 'queue_full', error: text };
      case 'C': return { status: 'closed', error: text };
      default:  // 'T' or 'R', the letter for what is wrong, the message; then the field's path
        throw refused(method, this.#bridge.read(this.#bridge.m._rudder_refused_field()), CODES[outcome[1]], `${method}: ${outcome.slice(2)}`);
    }
  }

  // A call made before the module is ready: the plugins and the JSON checks run now (what they
  // refuse throws now), the core takes it once ready, with the time it was made. What the core
  // refuses then is logged and passed to onError, as the caller has gone on.
  #hold(type, method, input) {
    if (this.#failed !== null) return { status: 'closed', error: `${method}: the client did not start (${this.#failed.message})` };
    if (this.#closing !== null) {
      this.#countRefused(REFUSED.shut_down);
      return { status: 'closed', error: CLOSED };
    }
    if (this.#heldCalls >= HELD_CALLS_MAX) {
      if (this.#heldCalls++ === HELD_CALLS_MAX) {
        this.#logger.warn(`[rudder-analytics] ${HELD_CALLS_MAX} calls are waiting for the module to load; later ones are dropped until it is`);
      }
      this.#countRefused(REFUSED.queue_full);
      return { status: 'queue_full', error: `${HELD_CALLS_MAX} calls are waiting for the module to load` };
    }
    const message = this.#plugged(method, input);
    if (message === DROPPED) {
      this.#whenReady((bridge) => bridge.m._rudder_drop_by_plugin());
      return { status: 'dropped', error: DROPPED_BY_PLUGIN };
    }
    let json;
    try {
      json = encodeInput(method, message, () => this.#countRefused(REFUSED.invalid));
    } catch (e) {
      throw this.#pluginsSaid(e, method, input, message);
    }
    const call = { type, json, at: Date.now() };
    // The page now: a single-page app may navigate before the module is ready.
    const page = this.#browser ? this.#pageNow() : null;
    const run = (bridge) => {
      if (this.#browser) this.#notePage(page);
      const outcome = bridge.read(bridge.call(type, json, call.at));
      if (outcome[0] === 'A') return;
      // 'Q' (the core's queue is full: it counted and logged that) or 'T' / 'R' (refused)
      const full = outcome[0] === 'Q';
      const text = `${method}: ${outcome.slice(full ? 1 : 2)}`;
      const error = new DeliveryError({ kind: full ? 'queue_full' : 'invalid', status: 0, body: '', message: text, attempts: 0 });
      if (!full) {
        Object.assign(error, { call: method, field: bridge.read(bridge.m._rudder_refused_field()), code: CODES[outcome[1]] });
        this.#pluginsSaid(error, method, input, message);
        // Logged only when no onError takes it, as the core does with delivery failures.
        if (!this.#onError) this.#logger.error(`[rudder-analytics] a call made before the module was ready was refused: ${error.message}`);
      }
      this.#report(error, [{ type: method, ...JSON.parse(json) }]);
    };
    run.call = call;
    this.#held.push(run);
    this.#heldCalls++;
    return { status: 'buffered' };
  }

  // onError(error, events), on a later microtask; what it throws is logged.
  #report(error, events) {
    if (!this.#onError) return;
    queueMicrotask(() => {
      try {
        this.#onError(error, events);
      } catch (e) {
        this.#logger.error(`[rudder-analytics] onError threw: ${e?.stack ?? e}`);
      }
    });
  }

  // What the core calls: the module's "rudder" imports, by the names platform/wasm/host.cpp
  // declares them with. Numbers and (pointer, length) pairs come in; what returns a bool gives
  // the module 1 or 0. Decoding and copying happen at once, while the pointers are valid; user
  // code (onError, promise callbacks) runs later, on a microtask.
  #host() {
    const timers = new Map();  // the core's Timer (its address) -> the event loop's timer
    return {
      // keepAlive false (Node): a retry of stored events during an outage, which must not keep
      // a script from ending; the next process with the same storageDir sends them.
      armTimer: (timer, delayMs, keepAlive) => {
        clearTimeout(timers.get(timer));
        const t = setTimeout(() => {
          timers.delete(timer);
          this.#bridge.m._rudder_timer_fired(timer);
        }, delayMs);
        if (!keepAlive) t.unref?.();
        timers.set(timer, t);
      },
      cancelTimer: (timer) => {
        clearTimeout(timers.get(timer));
        timers.delete(timer);
      },
      canGzip: () => this.#gzip !== null,
      hasOnError: () => typeof this.#onError === 'function',
      gzip: (token, pointer, length) => {
        this.#gzip(this.#bridge.view(pointer, length).slice()).then(
          (compressed) => this.#bridge.withBytes(compressed, (p, n) => this.#bridge.m._rudder_gzip_done(token, 1, p, n)),
          () => this.#bridge.m._rudder_gzip_done(token, 0, 0, 0),
        );
      },
      send: (token, urlPointer, urlLength, authPointer, authLength, bodyPointer, bodyLength, flags, timeoutMs, maxAnswerBytes) => {
        const bridge = this.#bridge;
        post({
          url: bridge.readLength(urlPointer, urlLength),
          authorization: bridge.readLength(authPointer, authLength),
          body: bridge.view(bodyPointer, bodyLength).slice(),
          gzipped: (flags & 1) !== 0, keepalive: (flags & 2) !== 0, timeoutMs, maxAnswerBytes,
        }).then((a) => {
          const parts = [a.body, a.retryAfter, a.location, a.error].map((text) => ENCODER.encode(text));
          const all = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0));
          let at = 0;
          for (const p of parts) { all.set(p, at); at += p.byteLength; }
          const flags = (a.notSent ? 1 : 0) | (a.redirected ? 2 : 0) | (a.keepaliveFailed ? 4 : 0);
          bridge.withBytes(all, (pointer) => bridge.m._rudder_answered(
            token, a.status, flags, pointer, parts[0].byteLength, parts[1].byteLength, parts[2].byteLength, parts[3].byteLength));
        });
      },
      beacon: (urlPointer, urlLength, bodyPointer, bodyLength) => navigator.sendBeacon(
        this.#bridge.readLength(urlPointer, urlLength), this.#bridge.readLength(bodyPointer, bodyLength)),
      report: (errorPointer, errorLength, eventsPointer, eventsLength) => {
        const error = new DeliveryError(JSON.parse(this.#bridge.readLength(errorPointer, errorLength)));
        const events = JSON.parse(this.#bridge.readLength(eventsPointer, eventsLength));
        this.#report(error, events);
      },
      settled: (ticket, pointer, length) => {
        const result = JSON.parse(this.#bridge.readLength(pointer, length));
        queueMicrotask(() => {
          const resolve = this.#settling.get(ticket);
          this.#settling.delete(ticket);
          resolve?.(result);
        });
      },
      identity: (pointer, length) => this.#identity?.write(this.#bridge.readLength(pointer, length)),
      // -1, or the length of why it failed, written at `why` for the core to say.
      storageCreate: (id, pointer, length, capacity, why, room) =>
        this.#bridge.writeAt(why, room, this.#storage.create(id, this.#bridge.view(pointer, length), capacity)),
      storageWrite: (id, offset, pointer, length, why, room) =>
        this.#bridge.writeAt(why, room, this.#storage.write(id, offset, this.#bridge.view(pointer, length))),
      storageRemove: (id) => this.#storage.remove(id),
      storageClose: (id) => this.#storage.close(id),
      storageSetAside: (id) => this.#storage.setAside(id),
      log: (level, pointer, length) => {
        this.#logger[LOG_METHODS[level] ?? 'info'](`[rudder-analytics] ${this.#bridge.readLength(pointer, length)}`);
      },
    };
  }

  // The browser's word that the network is back: the core sends a batch that waits out its
  // back-off after no answer now, not up to 30 s later (Driver::network_back).
  #hookOnline() {
    if (!this.#browser || typeof addEventListener !== 'function') return;
    const onOnline = () => this.#bridge.m._rudder_online();
    addEventListener('online', onOnline);
    this.#removeOnlineHook = () => removeEventListener('online', onOnline);
  }

  #hookUnload() {
    if (typeof document === 'undefined' || typeof addEventListener !== 'function' ||
        typeof navigator?.sendBeacon !== 'function') {
      return;
    }
    // The tab may be gone before a request could be answered: the core hands what is queued
    // to the browser's beacon queue, which outlives the page (see Driver::unload).
    // The core decides what goes by beacon; the browser's word that it is offline is an input.
    const unload = () => this.#bridge.m._rudder_unload(navigator.onLine === false ? 1 : 0);
    const onPageHide = unload;
    const onVisibility = () => { if (document.visibilityState === 'hidden') unload(); };
    addEventListener('pagehide', onPageHide);
    document.addEventListener('visibilitychange', onVisibility);
    this.#removeUnloadHooks = () => {
      removeEventListener('pagehide', onPageHide);
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }
}
