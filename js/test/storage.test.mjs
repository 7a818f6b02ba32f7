// rudder-analytics js tests: storageDir in Node. Real child processes that end by SIGKILL,
// process.exit and an uncaught exception right after their calls, while the data plane is
// unreachable; the next process on the same directory delivers exactly what they accepted.
// The directory's format is the native client's: the CLI delivers what Node left, and the
// other way round.
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { after, before, beforeEach, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { Analytics } from 'rudder-analytics-wasm';
import { QUIET as quiet, REPO, WRITE_KEY, startPlane } from './helpers.mjs';

const CHILD = fileURLToPath(new URL('./storage-child.mjs', import.meta.url));
const CLI = process.env.RUDDER_CLI ?? `${REPO}build/cli/rudder-analytics`;

let plane;
let unreachable;  // a loopback URL nothing listens on
let scratch;
before(async () => {
  plane = await startPlane();
  const closed = await startPlane();
  unreachable = closed.url;
  await closed.close();
  scratch = mkdtempSync(path.join(tmpdir(), 'rudder-storage-'));
});
beforeEach(async () => { await fetch(`${plane.url}/_control/reset`, { method: 'POST' }); });
after(async () => {
  await plane.close();
  rmSync(scratch, { recursive: true, force: true });
});

const freshDir = () => mkdtempSync(path.join(scratch, 'dir-'));
const ids = (prefix, n) => Array.from({ length: n }, (_, i) => `${prefix}${i}`).sort();
const storedIds = async () => (await plane.events()).map((e) => e.messageId).sort();

// Runs the child until it has accepted its events; then `end(child)` (or its own ending).
function runChild(dir, count, prefix, ending, maxRetries = 1000) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CHILD, dir, unreachable, String(count), prefix, ending, String(maxRetries)],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (d) => {
      out += d;
      if (ending === 'wait' && /accepted \d+\n/.test(out)) child.kill('SIGKILL');
    });
    child.stderr.setEncoding('utf8').on('data', (d) => { err += d; });
    child.on('error', reject);
    // A child that does not end by itself is a failure to report, not a test that hangs.
    const stuck = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(stuck);
      const m = /accepted (\d+)/.exec(out);
      const flushed = /flushed (.*)\n/.exec(out);
      resolve({ accepted: m ? Number(m[1]) : -1, flushed: flushed && JSON.parse(flushed[1]), code, signal, stderr: err });
    });
  });
}

async function deliverFrom(dir) {
  const analytics = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, storageDir: dir });
  const result = await analytics.flush();
  const stats = analytics.stats();
  await analytics.close();
  return { result, stats };
}

for (const [ending, how] of [['wait', 'SIGKILL'], ['exit', 'process.exit(0)'], ['throw', 'an uncaught exception']]) {
  test(`a Node process ended by ${how} right after 5,000 calls loses none of them`, async () => {
    const dir = freshDir();
    const child = await runChild(dir, 5000, `${ending}-`, ending);
    assert.equal(child.accepted, 5000, child.stderr);
    if (ending === 'wait') assert.equal(child.signal, 'SIGKILL');
    if (ending === 'throw') assert.notEqual(child.code, 0);
    const { result, stats } = await deliverFrom(dir);
    assert.equal(result.delivered, 5000);
    assert.equal(stats.recovered, 5000);
    assert.equal(stats.corruptSkipped, 0);
    assert.deepEqual(await storedIds(), ids(`${ending}-`, 5000), 'each exactly once');
    assert.deepEqual(readdirSync(dir), [], 'delivered segments and the owner file are gone');
  });
}

test('what Node left is delivered by the native CLI, and what the CLI left by Node', async () => {
  assert.ok(existsSync(CLI), `the native CLI is built first (${CLI}); set RUDDER_CLI to use another`);
  const dir = freshDir();
  const child = await runChild(dir, 300, 'node-', 'exit');
  assert.equal(child.accepted, 300);
  const flushed = await new Promise((resolve) => {
    execFile(CLI, ['flush', '--storage-dir', dir, '--write-key', WRITE_KEY, '--data-plane-url', plane.url],
      (error, stdout, stderr) => resolve({ code: error?.code ?? 0, stdout, stderr }));
  });
  assert.equal(flushed.code, 0, flushed.stderr);
  assert.match(flushed.stdout, /^delivered 300, .*recovered 300, kept 0\n$/);
  assert.deepEqual(await storedIds(), ids('node-', 300));

  await fetch(`${plane.url}/_control/reset`, { method: 'POST' });
  const input = ids('cli-', 200).map((id) => JSON.stringify({ type: 'track', userId: 'u', event: 'E', messageId: id })).join('\n');
  const lines = path.join(scratch, 'cli.ndjson');
  writeFileSync(lines, `${input}\n`);
  const left = await new Promise((resolve) => {
    execFile(CLI, ['--ndjson', lines, '--storage-dir', dir, '--write-key', WRITE_KEY,
      '--data-plane-url', unreachable, '--flush-timeout', '0.3'],
    (error, stdout) => resolve({ code: error?.code ?? 0, stdout }));
  });
  assert.equal(left.code, 1);
  assert.match(left.stdout, /kept 200\n$/);
  const { result, stats } = await deliverFrom(dir);
  assert.equal(result.delivered, 200);
  assert.equal(stats.recovered, 200);
  assert.deepEqual(await storedIds(), ids('cli-', 200));
});

test('with storageDir and the data plane down, flush() resolves and a script that ends without close() exits; the next process delivers', async () => {
  // Stored events are retried until delivered, never given up on: neither a flush nor their
  // retry timer may wait for the data plane to come back, or a cron job would never end.
  const dir = freshDir();
  const started = Date.now();
  const child = await runChild(dir, 50, 'ended-', 'end', 1);
  assert.equal(child.accepted, 50, child.stderr);
  assert.equal(child.code, 0, child.stderr);
  assert.ok(Date.now() - started < 20_000, `the script ended after ${Date.now() - started} ms`);
  assert.deepEqual([child.flushed.delivered, child.flushed.failed, child.flushed.pending], [0, 0, 50], JSON.stringify(child.flushed));
  assert.match(child.flushed.lastAttempt, /^network error: /, 'why they are pending');
  const { result, stats } = await deliverFrom(dir);
  assert.equal(result.delivered, 50);
  assert.equal(stats.recovered, 50);
  assert.deepEqual(await storedIds(), ids('ended-', 50));
});

test('close() with events still undelivered keeps them for the next process, unreported', async () => {
  const dir = freshDir();
  const reported = [];
  const first = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: unreachable, storageDir: dir,
    logger: quiet, onError: (e, events) => reported.push(...events) });
  for (const id of ids('kept-', 40)) first.track({ userId: 'u', event: 'E', messageId: id });
  const closed = await first.close({ timeoutMs: 200 });
  assert.equal(closed.kept, 40);
  assert.equal(closed.unsent, 0);
  assert.equal(first.stats().stored, 40);
  await new Promise((r) => setTimeout(r, 10));
  assert.deepEqual(reported, [], 'kept events are not reported lost');
  const { result } = await deliverFrom(dir);
  assert.equal(result.delivered, 40);
  assert.deepEqual(await storedIds(), ids('kept-', 40));
});

test('close() after the retries ran out during an outage counts the stored events as kept, not pending, and stops retrying', async () => {
  // close() used to settle with them "pending" and the closed client went on retrying.
  const dir = freshDir();
  const warnings = [];
  const first = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: unreachable, storageDir: dir, maxRetries: 1,
    logger: { ...quiet, warn: (line) => warnings.push(line) } });
  for (const id of ids('outage-', 5)) first.track({ userId: 'u', event: 'E', messageId: id });
  await first.flush();  // back at once: the retries ran out, the stored events ride out the outage
  assert.ok(warnings.some((line) => line.includes('has not accepted a batch')), warnings.join('\n'));
  const closed = await first.close({ timeoutMs: 5_000 });
  assert.deepEqual([closed.kept, closed.pending, closed.unsent], [5, 0, 0], JSON.stringify(closed));
  const stats = first.stats();
  assert.deepEqual([stats.kept, stats.pending], [5, 0]);
  const attempts = stats.retried;
  await new Promise((r) => setTimeout(r, 1_500));
  assert.equal(first.stats().retried, attempts, 'a closed client sends nothing more');
  const { result } = await deliverFrom(dir);
  assert.equal(result.delivered, 5);
  assert.deepEqual(await storedIds(), ids('outage-', 5));
});

test('a client closed with everything delivered leaves no segment file behind', async () => {
  // Its last segment, all of it delivered, used to stay after close() until the next start.
  const dir = freshDir();
  const client = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, storageDir: dir });
  for (const id of ids('clean-', 20)) client.track({ userId: 'u', event: 'E', messageId: id });
  assert.equal((await client.close()).delivered, 20);
  assert.deepEqual(readdirSync(dir), []);
});

test('events kept for another write key are left for a client with that key, with a warning, never sent with this one', async () => {
  const dir = freshDir();
  const first = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: unreachable, storageDir: dir, logger: quiet });
  for (const id of ids('source-a-', 30)) first.track({ userId: 'u', event: 'E', messageId: id });
  assert.equal((await first.close({ timeoutMs: 200 })).kept, 30);
  const warnings = [];
  const other = await Analytics.create({ writeKey: 'another-source-key', dataPlaneUrl: plane.url, storageDir: dir,
    logger: { ...quiet, warn: (line) => warnings.push(line) } });
  assert.equal(other.stats().recovered, 0);
  assert.equal(other.stats().foreignSegments, 1, 'the directory still holds events');
  assert.equal((await other.close()).delivered, 0);
  assert.ok(warnings.some((line) => /^\[rudder-analytics\] storageDir: \d+ segment files? holds? events accepted for another write key; not sent here/.test(line)),
    warnings.join('\n'));
  assert.deepEqual(await storedIds(), [], 'nothing went out with the other key');
  const { result } = await deliverFrom(dir);
  assert.equal(result.delivered, 30);
  assert.deepEqual(await storedIds(), ids('source-a-', 30));
});

test('an owner file that cannot be read frees its segments; another host\'s are named in a warning with the file to delete', async () => {
  // A client's kept events, its owner file then as a power loss (empty) or a replaced
  // container (another host) would leave it. Returns the owner file's path.
  const leave = async (dir, prefix, ownerText) => {
    const client = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: unreachable, storageDir: dir, logger: quiet });
    for (const id of ids(prefix, 3)) client.track({ userId: 'u', event: 'E', messageId: id });
    const owner = path.join(dir, readdirSync(dir).find((name) => name.endsWith('.owner')));
    assert.equal((await client.close({ timeoutMs: 100 })).kept, 3);
    writeFileSync(owner, ownerText);  // close() withdrew it
    return owner;
  };
  const powerLoss = freshDir();
  await leave(powerLoss, 'empty-owner-', '');
  const { result } = await deliverFrom(powerLoss);
  assert.equal(result.delivered, 3, 'an empty owner file used to keep its files from every client');
  assert.deepEqual(await storedIds(), ids('empty-owner-', 3));

  await fetch(`${plane.url}/_control/reset`, { method: 'POST' });
  const replaced = freshDir();
  const owner = await leave(replaced, 'elsewhere-', 'old-container-7 4242 123456\n');
  const warnings = [];
  const next = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, storageDir: replaced,
    logger: { ...quiet, warn: (line) => warnings.push(line) } });
  assert.equal(next.stats().recovered, 0, 'left to the other host');
  await next.close();
  assert.ok(warnings.some((line) => line.includes('storageDir: 1 segment file of a client on host "old-container-7" are left to it, ' +
    'as this one cannot tell whether it still runs; if that host is gone for good (a container replaced), ' +
    `delete "${owner}" and the next client started here delivers them`)), warnings.join('\n'));
  rmSync(owner);  // as the warning says
  assert.equal((await deliverFrom(replaced)).result.delivered, 3);
  assert.deepEqual(await storedIds(), ids('elsewhere-', 3));
});

test('a damaged segment header is read past; a file that is no segment is set aside, not deleted; an unfinished one is removed', async () => {
  // As the native client does (the core decides, for both): a damaged magic used to set a
  // whole file of events aside here. Another program's file with a segment's name is never
  // handed on as events, nor deleted: it is renamed aside. A dead owner's segment whose header
  // was never written holds nothing and would otherwise stay forever.
  const dir = freshDir();
  const client = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: unreachable, storageDir: dir, logger: quiet });
  for (const id of ids('damaged-', 3)) client.track({ userId: 'u', event: 'E', messageId: id });
  assert.equal((await client.close({ timeoutMs: 100 })).kept, 3);
  const [kept] = readdirSync(dir).filter((name) => name.endsWith('.seg'));
  const bytes = readFileSync(path.join(dir, kept));
  bytes[2] ^= 0x40;  // the magic
  writeFileSync(path.join(dir, kept), bytes);
  const junk = Buffer.alloc(4096, 'j');
  writeFileSync(path.join(dir, 'deadbeef-00000001.seg'), junk);
  writeFileSync(path.join(dir, 'deadbeef-00000002.seg.tmp'), Buffer.alloc(10));
  const warnings = [];
  const analytics = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, storageDir: dir,
    logger: { ...quiet, warn: (line) => warnings.push(line) } });
  assert.equal(analytics.stats().recovered, 3, warnings.join('\n'));
  assert.equal((await analytics.flush()).delivered, 3);
  await analytics.close();
  assert.deepEqual(await storedIds(), ids('damaged-', 3));
  const names = readdirSync(dir);
  assert.ok(!names.includes('deadbeef-00000002.seg.tmp'), names.join(' '));
  const aside = names.filter((name) => name.endsWith('.seg.unknown'));
  assert.equal(aside.length, 1, names.join(' '));
  assert.deepEqual(readFileSync(path.join(dir, aside[0])), junk, 'kept byte for byte');
  assert.ok(warnings.includes('[rudder-analytics] storageDir: 1 segment file has a damaged header; the records after it are read all the same'),
    warnings.join('\n'));
  assert.ok(warnings.includes('[rudder-analytics] storageDir: 1 file named as a segment is not one, and nothing in it reads as an event: ' +
    'set aside unread, marked "unknown"'), warnings.join('\n'));
});

// Runs `source` (an ES module given argv: the data plane's URL, the storage directory) in a
// child under a file-size limit below a segment's 1 MiB, as on a nearly full disk. SIGXFSZ is
// ignored (as a shell's trap passes on through exec), so a write past the limit fails with EFBIG
// instead of killing the process; the limit is 1,000 blocks of 512 or 1,024 bytes.
async function onAFullDisk(name, source, dir) {
  const script = path.join(scratch, name);
  writeFileSync(script, source);
  const out = await new Promise((resolve, reject) => {
    execFile('/bin/sh', ['-c', `trap '' XFSZ; ulimit -f 1000; exec "${process.execPath}" "$@"`, 'sh', script, plane.url, dir],
      (error, stdout, stderr) => (error ? reject(new Error(`${error.message}\n${stderr}`)) : resolve(stdout)));
  });
  return JSON.parse(out);
}

test('a directory that cannot hold a segment is refused when the client starts, naming storageDir, as natively', async () => {
  // It used to be accepted, every event then kept in memory only: not what a user who set
  // storageDir expects (the native client refused it at start; the core now decides for both).
  const dir = freshDir();
  const result = await onAFullDisk('full-disk-start.mjs', `
    import { Analytics } from ${JSON.stringify(`${REPO}js/dist/node.mjs`)};
    const logger = { debug() {}, info() {}, warn() {}, error() {} };
    await Analytics.create({ writeKey: 'test-write-key', dataPlaneUrl: process.argv[2], storageDir: process.argv[3], logger })
      .then(() => console.log(JSON.stringify({ started: true })),
        (e) => console.log(JSON.stringify({ name: e.name, message: e.message, field: e.field, code: e.code })));
  `, dir);
  assert.equal(result.name, 'TypeError', JSON.stringify(result));
  assert.match(result.message, /^storageDir: cannot reserve 1048576 bytes for ".*-00000001\.seg": EFBIG$/);
  assert.deepEqual([result.field, result.code], ['storageDir', 'invalid_value']);
  assert.deepEqual(readdirSync(dir).filter((name) => name.includes('.seg')), [], 'no segment file left');
});

test('a full disk holding events an earlier run left: started, those delivered, new calls accepted into memory with one warning, never a throw', async () => {
  // Refusing such a directory would strand what it holds; delivering it frees room. And a
  // segment's room is reserved when it is made, so a full disk refuses the segment, never a
  // write of an accepted event (track() used to throw EFBIG / ENOSPC and leave half a record).
  const dir = freshDir();
  // The earlier run: its event stays in the directory (the process ends before any upload).
  await new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', `
      import { Analytics } from ${JSON.stringify(`${REPO}js/dist/node.mjs`)};
      const analytics = await Analytics.create({ writeKey: 'test-write-key', dataPlaneUrl: 'http://127.0.0.1:9', storageDir: process.argv[1] });
      analytics.track({ userId: 'u', event: 'Left', messageId: 'left-0' });
      process.exit(0);
    `, dir], (error) => (error ? reject(error) : resolve()));
  });
  const result = await onAFullDisk('full-disk.mjs', `
    import { Analytics } from ${JSON.stringify(`${REPO}js/dist/node.mjs`)};
    const warnings = [];
    const logger = { debug() {}, info() {}, warn: (line) => warnings.push(line), error: (line) => warnings.push(line) };
    const analytics = await Analytics.create({ writeKey: 'test-write-key', dataPlaneUrl: process.argv[2], storageDir: process.argv[3], logger });
    let threw = 0, accepted = 0;
    for (let i = 0; i < 80; i++) {
      try {
        if (analytics.track({ userId: 'u', event: 'Big', messageId: 'full-' + i, properties: { blob: 'x'.repeat(10000) } }).status === 'accepted') accepted++;
      } catch (e) { threw++; warnings.push('threw: ' + e.message); }
    }
    const closed = await analytics.close();
    console.log(JSON.stringify({ threw, accepted, closed, stats: analytics.stats(), warnings }));
  `, dir);
  assert.equal(result.threw, 0, result.warnings.join('\n'));
  assert.equal(result.accepted, 80);
  assert.equal(result.stats.recovered, 1);
  assert.equal(result.stats.stored, 0, 'none of the new ones was stored');
  assert.equal(result.closed.pending, 0);
  assert.deepEqual(result.warnings, [
    result.warnings[0],
  ], 'one warning for the whole run');
  assert.match(result.warnings[0], /^\[rudder-analytics\] storageDir: cannot reserve 1048576 bytes for ".*\.seg": EFBIG \(delivered all the same, freeing room: 1 event left by earlier runs\)$/);
  assert.deepEqual(await storedIds(), ['left-0', ...ids('full-', 80)].sort());
  assert.deepEqual(readdirSync(dir).filter((name) => name.endsWith('.seg')), [], 'no half-written segment left');
});

test('storageDir: refused when it is not a usable directory, naming the option', async () => {
  await assert.rejects(Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, storageDir: '' }),
    { name: 'TypeError', message: 'storageDir: must be a directory name' });
  const file = path.join(scratch, 'a-file');
  writeFileSync(file, 'x');
  await assert.rejects(Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, storageDir: file }), (e) => {
    assert.match(String(e), /^TypeError: storageDir: cannot use ".*a-file" as a directory/);
    assert.deepEqual([e.call, e.field, e.code], ['create', 'storageDir', 'invalid_value']);
    return true;
  });
});

test('storageDir: missing parents are made; a place that refuses new folders is refused, not a hang', async () => {
  const nested = path.join(scratch, 'new', 'deeper', 'events');
  const analytics = await Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: plane.url, storageDir: nested });
  assert.equal(analytics.track({ userId: 'u', event: 'Nested' }).status, 'accepted');
  assert.equal((await analytics.close()).delivered, 1);
  assert.ok(existsSync(nested));
  // For the owner alone, as natively: other local users can neither read the events nor plant one.
  assert.equal(statSync(nested).mode & 0o777, 0o700);
  // /proc answers ENOENT to a new folder although it exists: Node 20's recursive mkdirSync
  // loops on that forever, synchronously, so only a child process can be given a deadline.
  const script = `import { Analytics } from 'rudder-analytics-wasm';
    for (const storageDir of ['/proc/nope', '/proc/nope/deeper']) {
      await Analytics.create({ writeKey: 'k', dataPlaneUrl: 'http://127.0.0.1:9', storageDir })
        .then(() => console.log('created'), (e) => console.log(e.field + ': ' + e.message));
    }`;
  const stdout = await new Promise((resolve, reject) => {
    execFile(process.execPath, ['--input-type=module', '-e', script], { cwd: path.join(REPO, 'js'), timeout: 20_000 },
      (error, out) => (error ? reject(error) : resolve(out)));
  });
  assert.equal(stdout, 'storageDir: storageDir: cannot use "/proc/nope" as a directory: ENOENT\n' +
    'storageDir: storageDir: cannot use "/proc/nope/deeper" as a directory: ENOENT\n');
});

test('storage: browsers\' choice; in Node only "memory", and never beside storageDir', async () => {
  const settings = { writeKey: WRITE_KEY, dataPlaneUrl: plane.url };
  await assert.rejects(Analytics.create({ ...settings, storage: 'indexedDB' }),
    { name: 'TypeError', message: "storage: 'indexedDB' is for browsers; in Node, storageDir keeps events in files" });
  await assert.rejects(Analytics.create({ ...settings, storage: 'disk' }),
    { name: 'TypeError', message: "storage: must be 'indexedDB' or 'memory'" });
  await assert.rejects(Analytics.create({ ...settings, storage: 'memory', storageDir: path.join(scratch, 'both') }),
    { name: 'TypeError', message: 'storage: leave it out with storageDir, which keeps events in files' });
  const analytics = await Analytics.create({ ...settings, storage: 'memory' });
  assert.equal(analytics.track({ userId: 'u', event: 'e' }).status, 'accepted');
  assert.equal((await analytics.close()).delivered, 1);
  assert.equal(analytics.stats().stored, 0);
});
