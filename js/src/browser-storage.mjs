// rudder-analytics js: storage in browsers. The core writes every accepted event into a segment
// in its memory and says which bytes changed (as for storageDir in Node, see storage.mjs); this
// file keeps those bytes in IndexedDB, so events a tab could not deliver are delivered by the
// next page of the origin, or by another tab that is open when this one goes.
//
// Records: one object store, keyed [queue, owner, segment, offset], where `queue` is the data
// plane and write key, `owner` one client (a random id), offset 0 the segment's 64-byte header
// and the rest runs of records as the core appended them. Reassembled, a segment is the very
// bytes of the core's format (src/core/segment.hpp).
//
// Owners: each client holds a Web Lock named after itself for as long as it lives; the browser
// releases it when the tab goes, however it goes. A client takes over an owner's segments only
// while holding that owner's lock, and moves them to itself in one transaction, so two tabs
// never both deliver them. Clients find owners in the records, in the locks held, and by a
// BroadcastChannel message each client sends when it starts; for every owner alive they wait
// on its lock, and take over when it is granted.
const DB_NAME = 'rudder-analytics';
const STORE = 'records';
const HEADER_BYTES = 64;
const CREATED_AT = 24;  // the header's creation time, i64 little-endian (segment.hpp)
const LAST = [];        // sorts after every number and string: [q, owner, LAST] ends owner's range

const done = (request) => new Promise((resolve, reject) => {
  request.onsuccess = () => resolve(request.result);
  request.onerror = () => reject(request.error);
});
const finished = (tx) => new Promise((resolve, reject) => {
  tx.oncomplete = resolve;
  tx.onerror = tx.onabort = () => reject(tx.error ?? new Error('transaction aborted'));
});
const randomId = () => Array.from(crypto.getRandomValues(new Uint32Array(2)), (n) => n.toString(16).padStart(8, '0')).join('');

/**
 * Opens the queue of `dataPlaneUrl` and `writeKey` and becomes an owner in it. Resolves to
 * null, after a warning, where IndexedDB or Web Locks are missing or refuse (a private window
 * in some browsers, a page that is not a secure context): events are then kept in memory.
 */
export async function openBrowserStorage(dataPlaneUrl, writeKey, warn) {
  const missing = typeof indexedDB === 'undefined' ? 'IndexedDB'
    : typeof navigator === 'undefined' || !navigator.locks ? 'Web Locks (a secure context is needed)' : '';
  if (missing) {
    warn(`storage: ${missing} is not available here; events are kept in memory only`);
    return null;
  }
  let db;
  try {
    const opening = indexedDB.open(DB_NAME, 1);
    opening.onupgradeneeded = () => opening.result.createObjectStore(STORE);
    db = await done(opening);
  } catch (e) {
    warn(`storage: IndexedDB could not be opened (${e?.name ?? e}); events are kept in memory only`);
    return null;
  }
  const storage = new BrowserStorage(db, `${dataPlaneUrl.replace(/\/+$/, '')} ${writeKey}`, warn);
  await storage.announce();
  return storage;
}

class BrowserStorage {
  #db;
  #queue;
  #warn;
  #owner = randomId();
  #next = 1;              // this owner's segment numbers
  #nextTakenId = 1;       // ids for taken-over segments; the core numbers its own from 2^31
  #segments = new Map();  // core id -> { number, header } (the header as last written)
  #ops = [];              // writes not yet handed to IndexedDB, in order
  #appending = new Map(); // core id -> the pending put its next contiguous bytes join
  #committed = Promise.resolve();
  #warned = false;
  #unlock = () => {};
  #stopWatching = new AbortController();
  #watched = new Set();
  #channel = null;
  #adopt = null;          // where segments taken over later go (set by takeOver)

  constructor(db, queue, warn) {
    this.#db = db;
    this.#queue = queue;
    this.#warn = warn;
  }

  #lockName(owner) { return `${DB_NAME} ${this.#queue} ${owner}`; }
  #range(owner, segment) {
    return segment === undefined
      ? IDBKeyRange.bound([this.#queue, owner], [this.#queue, owner, LAST])
      : IDBKeyRange.bound([this.#queue, owner, segment], [this.#queue, owner, segment, LAST]);
  }

  /**
   * Takes this owner's lock (held until release() or the tab goes) and says so to other tabs.
   * What other tabs say is heard from takeOver() on, once there is somewhere to hand what they
   * leave: a tab claimed before that would sit in IndexedDB under this owner, unknown to the
   * core, until this tab went too. (Tabs that announced earlier are found by their locks.)
   */
  async announce() {
    await new Promise((granted) => {
      navigator.locks.request(this.#lockName(this.#owner), () => {
        granted();
        return new Promise((resolve) => { this.#unlock = resolve; });
      });
    });
    if (typeof BroadcastChannel === 'function') {
      this.#channel = new BroadcastChannel(`${DB_NAME} ${this.#queue}`);
      this.#channel.postMessage({ owner: this.#owner });
    }
  }

  // ---- what the core asks for (platform/wasm/host.hpp) ---------------------------------------

  create(id, header) {
    const number = this.#next++;
    const segment = { number, header: header.slice() };
    this.#segments.set(id, segment);
    this.#queueOp({ key: [this.#queue, this.#owner, number, 0], bytes: segment.header });
    return null;  // IndexedDB answers later; a refusal is logged then (see #commit)
  }

  write(id, offset, bytes) {
    const segment = this.#segments.get(id);
    if (!segment) return;
    if (offset < HEADER_BYTES) {  // the resume offset: the header is put again, whole
      segment.header.set(bytes, offset);
      this.#queueOp({ key: [this.#queue, this.#owner, segment.number, 0], bytes: segment.header });
      return;
    }
    let run = this.#appending.get(id);
    if (!run || run.end !== offset) {  // usually the next record goes right after the last
      run = { key: [this.#queue, this.#owner, segment.number, offset], run: new Uint8Array(4096), length: 0, end: offset };
      this.#appending.set(id, run);
      this.#queueOp(run);
    }
    // Copied into one growing buffer per run: an ArrayBuffer per call cost more than the call.
    if (run.length + bytes.byteLength > run.run.byteLength) {
      const larger = new Uint8Array(Math.max(run.run.byteLength * 2, run.length + bytes.byteLength));
      larger.set(run.run.subarray(0, run.length));
      run.run = larger;
    }
    run.run.set(bytes, run.length);
    run.length += bytes.byteLength;
    run.end += bytes.byteLength;
  }

  remove(id) {
    const segment = this.#segments.get(id);
    if (!segment) return;
    this.#segments.delete(id);
    this.#appending.delete(id);
    this.#queueOp({ remove: this.#range(this.#owner, segment.number) });
  }

  close(id) {
    this.#segments.delete(id);
    this.#appending.delete(id);
  }

  /**
   * A segment taken over that the core found no segment: its records move to a queue of
   * their own ("<queue> unknown"), which no client reads, for a person to look at in the
   * browser's tools. Never deleted: what they hold is not known.
   */
  setAside(id) {
    const segment = this.#segments.get(id);
    if (!segment) return;
    this.close(id);
    this.#queueOp({ setAside: this.#range(this.#owner, segment.number) });
  }

  // Writes made during one task go to IndexedDB in one transaction, at the end of the task.
  #queueOp(op) {
    if (this.#ops.length === 0) queueMicrotask(() => this.#commit());
    this.#ops.push(op);
  }

  #commit() {
    const ops = this.#ops;
    this.#ops = [];
    this.#appending.clear();
    if (ops.length === 0) return;
    let tx;
    try {
      tx = this.#db.transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      for (const op of ops) {
        if (op.remove) store.delete(op.remove);
        else if (op.setAside) this.#moveAside(store, op.setAside);
        else store.put(op.run ? op.run.slice(0, op.length) : op.bytes.slice(), op.key);
      }
      // Now, not at the end of the task: the page may be going. (Not when a move aside has
      // requests still to make, which a committing transaction refuses; it commits by itself.)
      if (!ops.some((op) => op.setAside)) tx.commit?.();
    } catch (e) {
      this.#refused(e);
      return;
    }
    this.#committed = finished(tx).then(() => { this.#warned = false; }, (e) => this.#refused(e));
  }

  // Within the transaction of `store`: the records in `range` go to the queue no one reads.
  #moveAside(store, range) {
    const keys = store.getAllKeys(range);
    const values = store.getAll(range);
    values.onsuccess = () => {
      keys.result.forEach((key, i) => store.put(values.result[i], [`${this.#queue} unknown`, ...key.slice(1)]));
      store.delete(range);
    };
  }

  #refused(e) {
    if (this.#warned) return;
    this.#warned = true;
    this.#warn(`storage: IndexedDB refused a write (${e?.name ?? e}); the events stay queued in memory, ` +
      'and are lost if this page goes before they are delivered');
  }

  /**
   * Releases this owner (the client closed): pending writes are finished first, then the lock
   * goes, so another tab may take over what is left.
   */
  async release() {
    this.#commit();
    await this.#committed;
    this.#segments.clear();
    this.#stopWatching.abort();
    this.#channel?.close();
    this.#unlock();
    this.#db.close();
  }

  // ---- taking over what clients that are gone left ---------------------------------------

  /**
   * Takes over, now, the segments of owners that are gone, returned oldest first as
   * { id, bytes } for the core; then waits on the owners still alive and hands what they
   * leave to `adopt` (the same shape) when they go.
   */
  async takeOver(adopt) {
    this.#adopt = adopt;
    if (this.#channel) {
      this.#channel.onmessage = ({ data }) => { if (typeof data?.owner === 'string') this.#watch(data.owner); };
    }
    const owners = new Set(await this.#ownersInRecords());
    const { held = [] } = await navigator.locks.query();
    const prefix = this.#lockName('');
    for (const lock of held) if (lock.name?.startsWith(prefix)) owners.add(lock.name.slice(prefix.length));
    owners.delete(this.#owner);
    const taken = [];
    for (const owner of owners) {
      const segments = await navigator.locks.request(this.#lockName(owner), { ifAvailable: true },
        (lock) => (lock ? this.#claim(owner) : null));
      if (segments) taken.push(...segments);
      else this.#watch(owner);
    }
    return oldestFirst(taken);
  }

  // Waits for `owner`'s lock, which the browser grants once that client is gone. (Claiming
  // twice is harmless: the second finds nothing left.)
  #watch(owner) {
    if (owner === this.#owner || this.#watched.has(owner)) return;
    this.#watched.add(owner);
    navigator.locks.request(this.#lockName(owner), { signal: this.#stopWatching.signal }, async () => {
      const segments = oldestFirst(await this.#claim(owner));
      if (segments.length > 0) this.#adopt?.(segments);
    }).catch(() => {});  // aborted by release(), or the claim failed (logged)
  }

  async #ownersInRecords() {
    const owners = [];
    const tx = this.#db.transaction(STORE, 'readonly');
    const cursor = tx.objectStore(STORE).openKeyCursor(IDBKeyRange.bound([this.#queue], [this.#queue, LAST]));
    await new Promise((resolve, reject) => {
      cursor.onerror = () => reject(cursor.error);
      cursor.onsuccess = () => {
        const at = cursor.result;
        if (!at) return resolve();
        const owner = at.key[1];
        owners.push(owner);
        at.continue([this.#queue, owner, LAST]);  // on to the next owner
      };
    });
    return owners;
  }

  // With `owner`'s lock held: moves its segments to this owner in one transaction and returns
  // them as { id, bytes, created } with ids for the core.
  async #claim(owner) {
    let moved;
    try {
      const tx = this.#db.transaction(STORE, 'readwrite');
      const store = tx.objectStore(STORE);
      const range = this.#range(owner);
      const [keys, values] = await Promise.all([done(store.getAllKeys(range)), done(store.getAll(range))]);
      store.delete(range);
      const segments = new Map();  // their segment number -> [offset, bytes][], in key order
      keys.forEach((key, i) => {
        if (!segments.has(key[2])) segments.set(key[2], []);
        segments.get(key[2]).push([key[3], new Uint8Array(values[i])]);
      });
      moved = [];
      for (const runs of segments.values()) {
        const bytes = assemble(runs);
        if (bytes.byteLength < HEADER_BYTES) continue;  // went before its header was written
        const number = this.#next++;
        store.put(bytes.slice(0, HEADER_BYTES), [this.#queue, this.#owner, number, 0]);
        store.put(bytes.slice(HEADER_BYTES), [this.#queue, this.#owner, number, HEADER_BYTES]);
        moved.push({ number, bytes });
      }
      await finished(tx);
    } catch (e) {
      this.#warn(`storage: could not take over the events another tab left (${e?.name ?? e}); a later page will`);
      return [];
    }
    return moved.map(({ number, bytes }) => {
      const id = this.#nextTakenId++;
      this.#segments.set(id, { number, header: bytes.slice(0, HEADER_BYTES) });
      return { id, bytes, created: new DataView(bytes.buffer).getBigInt64(CREATED_AT, true) };
    });
  }
}

// A segment's bytes from its runs; a gap (a write that never landed) reads as zeros, which the
// core's scan takes as the end of the records.
function assemble(runs) {
  const size = runs.reduce((n, [offset, bytes]) => Math.max(n, offset + bytes.byteLength), 0);
  const all = new Uint8Array(size);
  for (const [offset, bytes] of runs) all.set(bytes, offset);
  return all;
}

const oldestFirst = (segments) => segments.sort((a, b) => (a.created < b.created ? -1 : a.created > b.created ? 1 : 0));
