// rudder-analytics js: where storageDir's cost per call goes, in Node. A program that prints
// figures, not a test.
// Copyright the rudder-analytics authors. MIT licence.
//
//   node bench/storage-cost.mjs [calls-per-round]   (needs dist/: node scripts/build.mjs)
//
// Three clients against the local data plane (--count-only, its own process), measured in
// alternating rounds of track() calls in one synchronous loop, each round flushed before the next:
//   memory          no storageDir
//   storageDir      every accepted event written to its segment file during the call
//   no write        storageDir with the file write skipped (fs.writeSync replaced by a function
//                   that returns at once): all of storage's work on the call but the system call
// and, apart, a loop of fs.writeSync of one record-sized buffer, appending to a file: the floor
// that writing each event during its call (what makes it survive SIGKILL) cannot go below.
import fs from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { syncBuiltinESMExports } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Analytics } from 'rudder-analytics-wasm';
import { startPlane } from './plane.mjs';

const CALLS = Number(process.argv[2] ?? 20_000);
const ROUNDS = 9;
const props = { title: 'The Independence', author: 'John Doe', words: 1843, rating: 4.5 };

// The package reaches node:fs through import(), whose bindings follow fs's own properties once
// syncBuiltinESMExports() is called.
const realWriteSync = fs.writeSync;
let skipWrites = false;
fs.writeSync = function writeSync(fd, buffer, ...rest) {
  return skipWrites ? buffer.byteLength : realWriteSync.call(fs, fd, buffer, ...rest);
};
syncBuiltinESMExports();

const median = (values) => [...values].sort((a, b) => a - b)[values.length >> 1];
const range = (values) => `${Math.min(...values).toFixed(2)} - ${Math.max(...values).toFixed(2)}`;

const plane = await startPlane();
const root = mkdtempSync(join(tmpdir(), 'rudder-storage-cost-'));
try {
  const settings = { writeKey: 'test-write-key', dataPlaneUrl: plane.url };
  const clients = {
    memory: await Analytics.create(settings),
    storageDir: await Analytics.create({ ...settings, storageDir: join(root, 'a') }),
    'no write': await Analytics.create({ ...settings, storageDir: join(root, 'b') }),
  };
  const perCall = Object.fromEntries(Object.keys(clients).map((name) => [name, []]));
  for (let round = -1; round < ROUNDS; round++) {  // round -1 warms up
    for (const [name, client] of Object.entries(clients)) {
      skipWrites = name === 'no write';
      const start = process.hrtime.bigint();
      for (let i = 0; i < CALLS; i++) {
        if (client.track({ userId: 'user-42', event: 'Article Read', properties: props }).status !== 'accepted') {
          throw new Error(`${name}: a call was not accepted`);
        }
      }
      const us = Number(process.hrtime.bigint() - start) / CALLS / 1000;
      skipWrites = false;
      if (round >= 0) perCall[name].push(us);
      const flushed = await client.flush({ timeoutMs: 60_000 });
      if (flushed.delivered !== CALLS) throw new Error(`${name}: flush failed: ${JSON.stringify(flushed)}`);
    }
  }
  for (const client of Object.values(clients)) await client.close();

  // One record-sized write at a time, appended, as storageDir writes them.
  const record = Buffer.alloc(Buffer.byteLength(JSON.stringify({ type: 'track', event: 'Article Read', properties: props })) + 200, 120);
  const writes = [];
  for (let round = 0; round < ROUNDS; round++) {
    const file = join(root, `writes-${round}`);
    const fd = fs.openSync(file, 'wx');
    const start = process.hrtime.bigint();
    for (let i = 0; i < CALLS; i++) realWriteSync.call(fs, fd, record, 0, record.byteLength, i * record.byteLength);
    writes.push(Number(process.hrtime.bigint() - start) / CALLS / 1000);
    fs.closeSync(fd);
    rmSync(file);
  }

  console.log(`Node ${process.version}, ${CALLS} track() calls a round, ${ROUNDS} rounds; us per call, median (range)`);
  for (const [name, values] of Object.entries(perCall)) {
    console.log(`  ${name.padEnd(11)} ${median(values).toFixed(2)} (${range(values)})`);
  }
  console.log(`  fs.writeSync of ${record.byteLength} bytes alone, in a loop: ${median(writes).toFixed(2)} (${range(writes)})`);
  const m = median(perCall.memory);
  console.log(`storageDir costs ${(median(perCall.storageDir) - m).toFixed(2)} us more a call than memory; ` +
    `without its system call ${(median(perCall['no write']) - m).toFixed(2)} us more`);
} finally {
  plane.stop();
  rmSync(root, { recursive: true, force: true });
}
