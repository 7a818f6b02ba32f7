// rudder-analytics: types of the npm package (hand-written; checked by tsc in the tests).
// Copyright the rudder-analytics authors. MIT licence.

/** JSON-compatible values: what properties, traits, context and integrations may hold. */
export type JsonValue = string | number | boolean | null | Date | JsonValue[] | { [key: string]: JsonValue | undefined };
export type JsonObject = { [key: string]: JsonValue | undefined };

/** Receives log lines; `console` by default. Never sees the write key. */
export interface Logger {
  debug(message: string): void;
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

/** Why events were given up on. */
export declare class DeliveryError extends Error {
  readonly name: 'DeliveryError';
  /**
   * http_status: the data plane answered a final status (4xx other than 408/429, a redirect,
   * or a retryable status after maxRetries); network: no attempt reached it (connection
   * refused, name not resolved) and maxRetries ran out; unknown_outcome: an attempt got no
   * answer (a timeout, a connection lost after sending), so the data plane may have stored
   * these events; unsent_at_shutdown: close()'s timeout passed before they were sent.
   * For calls made before the module was ready (status "buffered"), never sent: invalid: the
   * core refused the call (see call, field and code); queue_full: the queue was full;
   * not_started: the client could not start (the error `ready` rejected with).
   */
  readonly kind: 'http_status' | 'network' | 'unknown_outcome' | 'unsent_at_shutdown' | 'invalid' | 'queue_full' | 'not_started';
  /** HTTP status, 0 when none was received. */
  readonly status: number;
  /** The data plane's answer, e.g. "invalid write key\n". */
  readonly body: string;
  /** How many times the batch was sent. */
  readonly attempts: number;
  /**
   * unsent_at_shutdown and unknown_outcome at close(): what the last attempt to send got
   * ("network error: ...", "HTTP 503: ..."); empty when none failed since the last delivery.
   */
  readonly lastAttempt: string;
  /** kind "invalid": the call, the refused field's path and what is wrong with it, as an InputError has them. */
  readonly call?: CallName;
  readonly field?: string;
  readonly code?: 'missing' | 'wrong_type' | 'invalid_value' | 'out_of_range';
}

export interface Settings {
  /** Required: the source's write key. */
  writeKey: string;
  /** Required: e.g. "https://example.dataplane.rudderstack.com" (the /v1/batch path is added). */
  dataPlaneUrl: string;
  /**
   * Events given up on, as the JSON objects that were (or would have been) sent. Called on a
   * later microtask, never inside a call; an exception it throws is logged and ignored.
   */
  onError?: (error: DeliveryError, events: Array<Record<string, unknown>>) => void;
  /**
   * Bytes (serialized JSON) of events pending in memory at most; a call beyond it returns
   * status "queue_full" (counted in stats().dropped.queue_full). Default 64 MiB.
   */
  maxQueueBytes?: number;
  /** With storage (storageDir, or IndexedDB in browsers): bytes of events pending in storage at most, instead. Default 256 MiB. */
  maxStorageBytes?: number;
  /** An optional bound by count on events waiting. Default 0: none. */
  maxQueueSize?: number;
  /** Events per request at most. Default 100. */
  uploadSize?: number;
  /** Longest an event waits to be batched. Default 500. */
  uploadIntervalMs?: number;
  /** Per request. Default 15000. */
  timeoutMs?: number;
  /** Retries after the first attempt (network errors, 408, 429, 5xx). Default 10. */
  maxRetries?: number;
  /** Compress requests where the runtime has CompressionStream. Default true. */
  gzip?: boolean;
  /** One serialized event at most. Default 32768. */
  maxMessageBytes?: number;
  /** One request body (before gzip) at most; never above 4096000. Default 500000. */
  maxBatchBytes?: number;
  /** The payload's "channel". Default "web" in browsers, "server" in Node. */
  channel?: string;
  /** Log debug lines (sizes, statuses, retries). Default false. */
  debug?: boolean;
  /** false: validate and build events, send nothing (dry run). Default true. */
  send?: boolean;
  /** Default console. */
  logger?: Logger;
  /**
   * Browsers: on pagehide, or when the page becomes hidden, hand what is queued to
   * navigator.sendBeacon, which sends it even after the tab is closed. Browsers cap beacons
   * (Chromium: 64 KiB in flight); what does not fit is sent at once as ordinary requests,
   * which complete if the page lives on. Default true.
   */
  beaconOnUnload?: boolean;
  /**
   * Node: a directory where every accepted event is written (synchronously, during the call)
   * before the call returns, so process.exit(), an uncaught exception or SIGKILL right after
   * it loses nothing; the next client on the same directory delivers what is left first
   * (stats().recovered). Same files as the native library's storage_dir and the CLI's
   * --storage-dir. create() rejects with an Error starting "storageDir: " when the directory
   * cannot be created or written. Not in browsers (TypeError).
   */
  storageDir?: string;
  /**
   * Browsers: "indexedDB" (the default) keeps every accepted event in IndexedDB, per data plane
   * and write key, so what a tab could not deliver (offline, the data plane down, the tab
   * closed first) is delivered by the next page of the origin, or by another open tab when
   * this one goes; tabs share the queue through Web Locks, one owner per event. Where
   * IndexedDB or Web Locks are missing (not a secure context) a warning is logged and events
   * are kept in memory. "memory" turns storage off. In Node leave it out (storageDir there).
   */
  storage?: 'indexedDB' | 'memory';
  /** Run in order on each call before it is checked (see Plugin and addPlugin). */
  plugins?: Plugin[];
  /**
   * Browsers: calls further apart than this are in different sessions (context.sessionId, the
   * time the session started in ms, and context.sessionStart on its first event), as
   * analytics-js's. Default 1,800,000 (30 minutes); at least 10,000; 0: no sessions. Not in Node.
   */
  sessionTimeoutMs?: number;
  /** Where the .wasm is: gets "rudder_analytics.wasm" and the default URL, returns a URL or path. */
  locateFile?: (file: string, defaultUrl: string) => string | URL;
  /** The .wasm's bytes, instead of loading them. */
  wasmBinary?: ArrayBuffer | ArrayBufferView;
  /** The compiled module, instead of loading and compiling it. */
  wasmModule?: WebAssembly.Module;
}

/** Fields every call may carry. One of userId / anonymousId is required (except alias). */
export interface CommonFields {
  userId?: string | number;
  anonymousId?: string | number;
  /** Merged into the payload's context (library is added). */
  context?: JsonObject;
  /** Default { All: true }. */
  integrations?: JsonObject;
  /** When the event happened, if not now: a Date, an RFC 3339 string or epoch milliseconds. */
  timestamp?: Date | string | number;
  /** Default: a random UUID v4. */
  messageId?: string;
}
export interface IdentifyMessage extends CommonFields { traits?: JsonObject }
export interface TrackMessage extends CommonFields { event: string; properties?: JsonObject }
/** name: required in Node; in browsers it may be left out (the page's url, path and title say which page). */
export interface PageMessage extends CommonFields { name?: string; category?: string; properties?: JsonObject }
export interface ScreenMessage extends CommonFields { name: string; category?: string; properties?: JsonObject }
export interface GroupMessage extends CommonFields { groupId: string | number; traits?: JsonObject }
/** previousId: required in Node; in browsers it defaults to the remembered user. */
export interface AliasMessage extends CommonFields { previousId?: string | number; userId: string | number }

/**
 * What a call did. "accepted": queued (or built, with send: false). "buffered": made before
 * the module was ready, held (in order) until it is, then checked and queued; what the core
 * refuses then goes to onError and the log. "queue_full": dropped
 * because maxQueueBytes (or maxQueueSize) was reached. "closed": dropped because close() was called.
 * "dropped": a plugin dropped it.
 * Drops are counted in stats().dropped.
 */
export type CallResult =
  | { status: 'accepted'; messageId: string }
  | { status: 'buffered' }
  | { status: 'queue_full' | 'closed' | 'dropped'; error: string };

/** The six calls' names, as plugins and errors give them. */
export type CallName = 'identify' | 'track' | 'page' | 'screen' | 'group' | 'alias';

/**
 * Sees each call's object before it is checked; returns it (edited, or another object) for
 * the call to go on with, or null to drop the event (status "dropped", counted in
 * stats().dropped.by_plugin); undefined leaves it as it is. What it returns is checked like
 * the caller's input. An exception it throws is logged and the call goes on without it.
 */
export type Plugin = (message: PluginMessage, call: CallName) => JsonObject | null | undefined;

/**
 * A call's object as a plugin gets it (a copy: editing it changes nothing of the caller's).
 * The objects the calls nest are typed as objects, so that they spread:
 * `{ ...message, context: { ...message.context, app: 'web' } }`.
 */
export interface PluginMessage extends JsonObject {
  context?: JsonObject;
  properties?: JsonObject;
  traits?: JsonObject;
  integrations?: JsonObject;
}

/**
 * What happened while flush() or close() waited: counts from the call until it resolved. It
 * resolves once every event queued before the call is delivered or given up on.
 */
export interface DeliveryOutcome {
  delivered: number;
  /** Given up on, certainly not stored (a final error, or no attempt reached the data plane). */
  failed: number;
  /** Given up on, possibly stored: an attempt got no answer. Resending them is safe. */
  unknown: number;
  /** Given up on because close()'s timeout passed. */
  unsent: number;
  /** Handed to navigator.sendBeacon at page unload. */
  beaconed: number;
  /** Still queued or in flight when the promise resolved. */
  pending: number;
  /** With storage: not delivered before close()'s timeout, kept for the next process or page load. */
  kept: number;
  /**
   * When anything was left undelivered: what the last attempt got, if one failed since the last
   * delivery ("network error: ECONNREFUSED", "HTTP 503: ..."); empty otherwise.
   */
  lastAttempt: string;
}

export interface Stats {
  queued: number;
  delivered: number;
  failed: number;
  /** Given up on after an attempt that got no answer: the data plane may have stored them. */
  unknown: number;
  retried: number;
  pending: number;
  beaconed: number;
  /** With storage (storageDir or IndexedDB): events written to it as they were accepted. */
  stored: number;
  /** With storage: events earlier processes (or tabs) left there, taken over by this one (in queued). */
  recovered: number;
  /** With storage: records found damaged there (a write cut short by a crash) and skipped. */
  corruptSkipped: number;
  /** With storage: left there by close() for the next process or page load. */
  kept: number;
  /** With storage: segment files found there holding another write key's events, left alone. */
  foreignSegments: number;
  dropped: { invalid: number; queue_full: number; shut_down: number; unsent_at_shutdown: number; by_plugin: number };
}

/**
 * What bad input throws (and create() rejects with): a RangeError for a value out of range,
 * otherwise a TypeError, whose message names the call and the field, and which carries them:
 * `error.call` ("track", or "create" and "close" for their options), `error.field` (the path:
 * "properties.items[2].price", "" for the whole argument), `error.code`.
 */
export type InputError = (TypeError | RangeError) & {
  call: 'identify' | 'track' | 'page' | 'screen' | 'group' | 'alias' | 'create' | 'close' | 'flush'
    | 'setAnonymousId' | 'getAnonymousId' | 'getUserId' | 'getUserTraits' | 'getSessionId' | 'reset' | 'addPlugin';
  field: string;
  code: 'missing' | 'wrong_type' | 'invalid_value' | 'out_of_range';
};

/**
 * What stats() and the getters of the remembered user throw before the module is ready, or
 * when the client did not start (the message then says why): an Error with `code` "not_ready"
 * and the method as `call`.
 */
export type NotReadyError = Error & { call: string; field: ''; code: 'not_ready' };

export declare class Analytics {
  /**
   * Starts a client and returns at once, while the WebAssembly module loads (compiled once,
   * shared by all clients). Calls made before it is ready return status "buffered": they are
   * held in order (10,000 at most; later ones return "queue_full", counted) and made once it
   * is, each keeping the time it was made as its originalTimestamp. flush() and close() wait
   * for it. Throws an InputError for a wrong option the glue checks (onError, logger, plugins,
   * storage, storageDir...); a setting the core checks (writeKey, dataPlaneUrl, the limits)
   * rejects `ready` instead, is logged, and the held calls go to onError (kind "not_started").
   */
  constructor(settings: Settings);
  /**
   * Resolves with this client once the module runs it; rejects with the InputError naming a
   * wrong setting, or the error loading the module. Rejecting never goes unhandled.
   */
  readonly ready: Promise<Analytics>;
  /** `new Analytics(settings).ready`: resolves once the client is ready, rejects as `ready` does. */
  static create(settings: Settings): Promise<Analytics>;

  /**
   * The six calls. Each validates, builds and queues the event and returns at once; delivery
   * happens in the background. Bad input throws TypeError or RangeError whose message starts
   * with the call and the field ("track: properties.price: number is not finite") and which
   * carries them as `call`, `field` and `code` (an InputError); nothing is queued then. The
   * message object is not kept. Before the module is ready, only what the glue checks throws
   * (a value JSON cannot carry, a plugin's bad return); the call returns "buffered".
   */
  identify(message: IdentifyMessage): CallResult;
  track(message: TrackMessage): CallResult;
  /** In browsers `page()` with no argument records this page. */
  page(message?: PageMessage): CallResult;
  screen(message: ScreenMessage): CallResult;
  group(message: GroupMessage): CallResult;
  alias(message: AliasMessage): CallResult;

  /**
   * Browsers remember the user, as analytics-js does: calls that give no userId or
   * anonymousId get the remembered ones (a caller's own always win), identify's userId and
   * traits are kept (its traits go with later events as context.traits; another userId drops
   * the earlier user's traits), alias's userId becomes the user and its previousId defaults to
   * the user. Kept in localStorage (a cookie where there is none) per write key, so reloads
   * and other tabs share it; with storage "memory", for the page only. Every event also gets
   * context.page (path, referrer, search, title, url), userAgent, locale, screen and timezone
   * under the caller's context, and page() those page fields in its properties under the
   * caller's. In Node these five methods throw (an InputError): each call gives its own ids.
   * Before the module is ready the getters throw a NotReadyError; setAnonymousId and reset
   * are held with the calls, in order.
   */
  /** Adds a plugin after those given in settings (see Plugin). */
  addPlugin(plugin: Plugin): void;

  /** The anonymousId calls without ids get; made (and kept) on first use. */
  getAnonymousId(): string;
  /** The remembered userId, or null. */
  getUserId(): string | null;
  /** The remembered traits, or {}. */
  getUserTraits(): JsonObject;
  /** The session's id (when it started, in ms), or null: none yet, after reset(), expired. */
  getSessionId(): number | null;
  /** Another anonymousId for later calls (a whole number: its decimal text); throws an
   * InputError for a blank one. */
  setAnonymousId(anonymousId: string | number): void;
  /** Forgets the user: userId, traits, anonymousId and session (new ones on next use). */
  reset(): void;

  /** Sends what is queued without waiting for uploadIntervalMs; resolves once everything
   * queued before the call is delivered or given up on (retries included), with what became
   * of it; with storageDir or IndexedDB, stored events waiting out an outage (past maxRetries)
   * count as pending and it does not wait for them. Rejects only if the client did not start
   * (as `ready` does). */
  flush(options?: {
    /** Resolve after this long at most, what is left counted as pending (it is still sent). Default: no limit. */
    timeoutMs?: number;
  }): Promise<DeliveryOutcome>;

  /**
   * Refuses further calls, delivers what is queued for at most timeoutMs (default 10000), then
   * reports the rest to onError: a request still out as "unknown_outcome" (it may arrive), the
   * rest as "unsent_at_shutdown". Calls made after it are refused ("closed"), also while the
   * module loads. Rejects only if the client did not start; calling it again returns the same
   * promise. Throws RangeError for a negative timeoutMs, TypeError for one that is no number
   * (as flush() does).
   */
  close(options?: { timeoutMs?: number }): Promise<DeliveryOutcome>;

  /** The counters. Throws a NotReadyError before the module is ready. */
  stats(): Stats;
}
