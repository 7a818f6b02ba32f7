// rudder-analytics js: storageDir in Node. The core writes every accepted event into a segment
// in its memory and says which bytes changed; this file writes them to the segment's file with
// one synchronous write, so process.exit() or an uncaught exception right after a call loses
// nothing. The file format is the core's (src/core/segment.hpp) and the ownership rules are
// the native client's (platform/native/segment_store.hpp), so a directory written here is
// delivered by the native client or CLI, and the other way round.
import { nodeImport } from './module.mjs';

const HEADER_BYTES = 64;
// Written into a new segment to reserve its room; shared, never changed.
const ZEROS = new Uint8Array(64 * 1024);

// fs.writeSync may write less than it was given; the rest is written after it.
function writeAll(fs, fd, bytes, offset) {
  for (let done = 0; done < bytes.byteLength;) {
    done += fs.writeSync(fd, bytes, done, bytes.byteLength - done, offset + done);
  }
}

/**
 * Opens `dir` (creating it) and announces this process as an owner. Throws an Error that
 * starts with "storageDir: " when the directory cannot be used.
 */
export async function openStorage(dir, warn) {
  const fs = await nodeImport('node:fs');
  const os = await nodeImport('node:os');
  const path = await nodeImport('node:path');
  const owner = (await nodeImport('node:crypto')).randomBytes(8).toString('hex');
  return new Storage(fs, os, path, dir, owner, warn);
}

// From /proc/<pid>/stat: the state (field 3) and start time in clock ticks (field 22), as the
// native client reads them; empty where /proc cannot be read.
function processInfo(fs, pid) {
  try {
    const line = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    const fields = line.slice(line.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', started: fields[19] ?? '' };
  } catch {
    return { state: '', started: '' };
  }
}

// mkdir -p. Not fs.mkdirSync's { recursive: true }, which in Node 20 loops forever, never
// returning, when a parent exists but refuses new entries ("/proc/x" answers ENOENT).
// Each missing parent is made once and the directory tried once more, so this ends.
// Made for the owner alone (0700), as natively: the events hold user data, and a file another
// local user could plant would be delivered under this write key.
function makeDirectory(fs, path, dir) {
  try {
    fs.mkdirSync(dir, 0o700);
    return;
  } catch (e) {
    if (e.code === 'EEXIST') return;
    const parent = path.dirname(dir);
    if (e.code !== 'ENOENT' || parent === dir) throw e;
    makeDirectory(fs, path, parent);
  }
  try {
    fs.mkdirSync(dir, 0o700);
  } catch (e) {
    if (e.code !== 'EEXIST') throw e;
  }
}

class Storage {
  #fs;
  #path;
  #dir;
  #warn;
  #host;
  #owner;
  #next = 1;          // segment number in file names
  #files = new Map(); // id -> { fd, path }
  #nextTakenId = 1;   // ids for taken-over files; the core numbers its own from 2^31

  constructor(fs, os, path, dir, owner, warn) {
    this.#owner = owner;
    this.#fs = fs;
    this.#path = path;
    this.#dir = dir;
    this.#warn = warn;
    this.#host = os.hostname();
    try {
      makeDirectory(fs, path, dir);
      if (!fs.statSync(dir).isDirectory()) throw new Error('not a directory');
      const ownerFile = this.#ownerFile(this.#owner);
      const started = processInfo(fs, process.pid).started;
      // Renamed into place whole, so a reader never sees half an owner file.
      fs.writeFileSync(`${ownerFile}.tmp`, `${this.#host} ${process.pid} ${started}\n`);
      fs.renameSync(`${ownerFile}.tmp`, ownerFile);
    } catch (e) {
      throw new Error(`storageDir: cannot use "${dir}" as a directory: ${e.code ?? e.message}`);
    }
  }

  #ownerFile(owner) { return this.#path.join(this.#dir, `${owner}.owner`); }
  #segmentPath() { return this.#path.join(this.#dir, `${this.#owner}-${String(this.#next++).padStart(8, '0')}.seg`); }

  // ---- what the core asks for (platform/wasm/host.hpp) ---------------------------------------

  create(id, header, capacity) {
    const file = this.#segmentPath();
    let fd;
    try {
      fd = this.#fs.openSync(file, 'wx', 0o600);
      writeAll(this.#fs, fd, header, 0);
      // The segment's room is written now, as zeros (the native client reserves it with
      // posix_fallocate, which Node lacks): a disk that cannot hold it refuses it here, before
      // any event is accepted into it, and never a write of an accepted event later (which
      // used to throw ENOSPC out of track() and leave half a record).
      for (let at = header.byteLength; at < capacity; at += ZEROS.byteLength) {
        writeAll(this.#fs, fd, ZEROS.subarray(0, Math.min(ZEROS.byteLength, capacity - at)), at);
      }
    } catch (e) {  // the core says it, once, and keeps events in memory until this works
      if (fd !== undefined) { this.#fs.closeSync(fd); this.#fs.rmSync(file, { force: true }); }
      return `cannot reserve ${capacity} bytes for "${file}": ${e.code ?? e.message}`;
    }
    this.#files.set(id, { fd, path: file });
    return null;
  }

  write(id, offset, bytes) {
    const file = this.#files.get(id);
    if (!file) return null;
    try {
      writeAll(this.#fs, file.fd, bytes, offset);
      return null;
    } catch (e) {
      // Into room create() reserved, so only a failing disk (EIO) gets here: told to the core,
      // never thrown out of the caller's track(). The core still holds the event and sends it.
      return `cannot write to "${file.path}": ${e.code ?? e.message}`;
    }
  }

  remove(id) {
    const file = this.#files.get(id);
    if (!file) return;
    this.#files.delete(id);
    this.#fs.rmSync(file.path, { force: true });  // first: a crash in between sends nothing twice
    this.#fs.closeSync(file.fd);
  }

  close(id) {
    const file = this.#files.get(id);
    if (!file) return;
    this.#files.delete(id);
    this.#fs.closeSync(file.fd);
  }

  /** A file taken over that the core found no segment: renamed out of the way, never deleted. */
  setAside(id) {
    const file = this.#files.get(id);
    if (!file) return;
    this.close(id);
    try {
      this.#fs.renameSync(file.path, `${file.path}.unknown`);
    } catch (e) {
      this.#warn(`storageDir: cannot rename "${file.path}": ${e.code ?? e.message}`);
    }
  }

  /** Withdraws the owner file (the client closed); files still open stay for a later run. */
  release() {
    for (const id of [...this.#files.keys()]) this.close(id);
    this.#fs.rmSync(this.#ownerFile(this.#owner), { force: true });
  }

  // ---- taking over what processes that are gone left ------------------------------------------

  #ownerAlive(owner) {
    let text;
    try {
      text = this.#fs.readFileSync(this.#ownerFile(owner), 'utf8');
    } catch {
      return false;  // no owner file: it shut down, or is gone; its files are free
    }
    const [host, pidText, started = ''] = text.trim().split(/\s+/);
    // Owner files are renamed into place whole: one that cannot be read was damaged (a power
    // loss before it reached the disk), and leaving its files to it would strand them for ever.
    if (!pidText) return false;
    if (host !== this.#host) return host;  // another machine on a shared directory: cannot tell
    const pid = Number(pidText);
    try {
      process.kill(pid, 0);
    } catch (e) {
      if (e.code === 'ESRCH') return false;
    }
    const now = processInfo(this.#fs, pid);
    if (now.state === 'Z' || now.state === 'X') return false;  // ended, not yet reaped
    return !started || !now.started || now.started === started;
  }

  /**
   * Claims the files of owners that are gone (one atomic rename each: when several processes
   * start at once, every file goes to one of them) and returns them oldest first, as
   * { id, bytes }: the caller hands each to the core, which later removes or closes it by id.
   */
  takeOver() {
    const alive = new Map();  // owner -> false, true, or the other host it names
    const dead = [];
    const claimed = [];
    const elsewhere = new Map();  // owner -> its segment files, left to it
    for (const name of this.#fs.readdirSync(this.#dir).sort()) {
      const unfinished = name.endsWith('.tmp');
      if (!name.endsWith('.seg') && !unfinished) continue;
      const owner = name.slice(0, Math.max(name.indexOf('-'), 0));
      if (owner === '' || owner === this.#owner) continue;
      if (!alive.has(owner)) {
        const isAlive = this.#ownerAlive(owner);
        alive.set(owner, isAlive);
        if (!isAlive) dead.push(owner);
      }
      if (alive.get(owner)) {
        if (typeof alive.get(owner) === 'string' && !unfinished) elsewhere.set(owner, (elsewhere.get(owner) ?? 0) + 1);
        continue;
      }
      const from = this.#path.join(this.#dir, name);
      if (unfinished) {  // a native segment whose header was never written: holds nothing
        this.#fs.rmSync(from, { force: true });
        continue;
      }
      const mine = this.#segmentPath();
      try {
        this.#fs.renameSync(from, mine);
      } catch {
        continue;  // another process claimed it first
      }
      const bytes = this.#fs.readFileSync(mine);
      if (bytes.byteLength < HEADER_BYTES) {
        this.#fs.rmSync(mine, { force: true });  // died while making it: nothing to deliver
        continue;
      }
      // Whether it is a segment at all, and a damaged header's repair, the core decides as it
      // takes the file (EventLog::adopt), as on every platform.
      const created = Number(bytes.readBigInt64LE(24));
      claimed.push({ created, name, path: mine, bytes });
    }
    for (const owner of dead) this.#fs.rmSync(this.#ownerFile(owner), { force: true });
    // Said, not silently left: a container replaced on the same volume has a new host name.
    for (const [owner, files] of elsewhere) {
      this.#warn(`storageDir: ${files} segment file${files === 1 ? '' : 's'} of a client on host "${alive.get(owner)}" are left to it, ` +
        'as this one cannot tell whether it still runs; if that host is gone for good (a container replaced), ' +
        `delete "${this.#ownerFile(owner)}" and the next client started here delivers them`);
    }
    claimed.sort((a, b) => a.created - b.created || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return claimed.map(({ path, bytes }) => {
      const id = this.#nextTakenId++;
      this.#files.set(id, { fd: this.#fs.openSync(path, 'r+'), path });
      return { id, bytes };
    });
  }
}
