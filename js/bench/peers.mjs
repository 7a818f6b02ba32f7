// rudder-analytics js: this package against the peers' Node SDKs, in one run, against the local
// data plane. Prints, for each, the caller's cost per track() call and the events delivered per
// second; and ours as a multiple of each peer's. A program that prints figures, not a test.
// Copyright the rudder-analytics authors. MIT licence.
//
//   node bench/peers.mjs [events-for-ours]      (npm run bench; build first: ./scripts/build-wasm.sh)
//
// The data plane runs as its own process (--count-only: auth, gunzip, JSON and contract checks,
// events counted, not kept), so it never shares an event loop with the SDK being measured.
// Each SDK gets its default settings but for where to send. Calls go in chunks of 500 with a
// turn of the event loop between them, as in a server handling requests; the caller cost is the
// time spent inside the calls, the rate counts from the first call until the data plane has
// counted every event.
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { Analytics } from 'rudder-analytics-wasm';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';

const WRITE_KEY = 'test-write-key';
const CHUNK = 500;
const ROUNDS = 3;  // each SDK runs this many times; the median round is reported

const require = (await import('node:module')).createRequire(import.meta.url);
const versionOf = (name) => JSON.parse(readFileSync(require.resolve(`${name}/package.json`))).version;

async function startPlane() {
  const server = fileURLToPath(new URL('../../tests/dataplane/server.mjs', import.meta.url));
  const child = spawn(process.execPath, [server, '--port', '0', '--count-only', '--exit-on-stdin-close'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const [line] = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next().then((r) => [r.value]);
  const url = line.replace('dataplane listening on ', '').trim();
  return { url, stop: () => child.stdin.end() };
}

const props = (i) => ({ plan: 'pro', price: 9.99, items: i % 7, tags: ['a', 'b'], referrer: 'newsletter' });

// SDKs behind one shape: make(url), track(client, i), finish(client) pushes out the tail.
const SDKS = [
  {
    name: 'rudder-analytics-wasm (this package)',
    version: versionOf('rudder-analytics-wasm'),
    // A queue as long as the run: the peers' are unbounded (Segment) or 20,000 (RudderStack),
    // and the calls here outrun the local data plane, so the default 10,000 would drop.
    make: (url, events) => Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: url, maxQueueSize: events }),
    track: (c, i) => c.track({ userId: `user-${i % 1000}`, event: 'Order Completed', properties: props(i) }),
    finish: async (c) => { await c.flush(); await c.close(); },
  },
  {
    name: '@segment/analytics-node',
    version: versionOf('@segment/analytics-node'),
    make: (url) => new SegmentAnalytics({ writeKey: WRITE_KEY, host: url, path: '/v1/batch' }),
    track: (c, i) => c.track({ userId: `user-${i % 1000}`, event: 'Order Completed', properties: props(i) }),
    finish: (c) => c.closeAndFlush({ timeout: 60_000 }),
  },
  {
    name: '@rudderstack/rudder-sdk-node',
    version: versionOf('@rudderstack/rudder-sdk-node'),
    make: (url) => new RudderAnalytics(WRITE_KEY, { dataPlaneUrl: url, logLevel: 'error' }),
    track: (c, i) => c.track({ userId: `user-${i % 1000}`, event: 'Order Completed', properties: props(i) }),
    // Its flush() sends one batch of flushAt (20) events; the rest waits for flushInterval
    // (10 s) unless flushed again, which is what a caller wanting everything out has to do.
    finish: async (c, delivered) => { while (!(await delivered())) await c.flush(); },
  },
];

async function counted(url) {
  return (await (await fetch(`${url}/_control/stats`)).json()).events;
}

async function runOnce(sdk, url, events) {
  await fetch(`${url}/_control/reset`, { method: 'POST' });
  const client = await sdk.make(url, events);
  let inCalls = 0n;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < events; i += CHUNK) {
    const t = process.hrtime.bigint();
    for (let j = i; j < Math.min(i + CHUNK, events); j++) sdk.track(client, j);
    inCalls += process.hrtime.bigint() - t;
    await new Promise((r) => setImmediate(r));
  }
  const all = async () => (await counted(url)) >= events;
  await sdk.finish(client, all);
  while (!(await all())) await new Promise((r) => setTimeout(r, 5));
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  const used = process.cpuUsage(cpu);
  return {
    callUs: Number(inCalls) / 1000 / events,
    cpuUs: (used.user + used.system) / events,
    perSecond: events / seconds,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const ours = Number(process.argv[2] ?? 100_000);
const plan = [ours, 20_000, 2_000];  // the peers get fewer events: RudderStack's takes ~10 s for 2,000
const plane = await startPlane();
console.log(`Node ${process.version}, ${ROUNDS} rounds each (median shown), local data plane --count-only at ${plane.url}`);
const results = [];
for (const [k, sdk] of SDKS.entries()) {
  const rounds = [];
  await runOnce(sdk, plane.url, Math.min(plan[k], 1_000));  // warm-up: JIT, connections
  for (let r = 0; r < ROUNDS; r++) rounds.push(await runOnce(sdk, plane.url, plan[k]));
  results.push({
    sdk, events: plan[k],
    callUs: median(rounds.map((x) => x.callUs)),
    cpuUs: median(rounds.map((x) => x.cpuUs)),
    perSecond: median(rounds.map((x) => x.perSecond)),
  });
}
plane.stop();

const pad = (s, n) => String(s).padEnd(n);
console.log('\ncaller us/call: time inside track(); CPU us/event: the process\'s CPU time over the run');
console.log('(calls, batching, serializing, compressing and HTTP), per event; events/s: first call to all counted');
console.log(`\n${pad('sdk', 40)}${pad('version', 9)}${pad('events', 9)}${pad('caller us/call', 16)}${pad('CPU us/event', 14)}delivered events/s`);
for (const r of results) {
  console.log(`${pad(r.sdk.name, 40)}${pad(r.sdk.version, 9)}${pad(r.events, 9)}${pad(r.callUs.toFixed(2), 16)}` +
    `${pad(r.cpuUs.toFixed(1), 14)}${Math.round(r.perSecond).toLocaleString('en-US')}`);
}
const [us, ...peers] = results;
console.log('\nours as a multiple of each peer (goal: at least 10x on both figures)');
for (const p of peers) {
  const cheaper = p.callUs / us.callUs;
  const leaner = p.cpuUs / us.cpuUs;
  const faster = us.perSecond / p.perSecond;
  console.log(`  vs ${pad(p.sdk.name, 30)} caller cost ${cheaper.toFixed(1)}x lower, CPU per event ` +
    `${leaner.toFixed(1)}x lower, delivery ${faster.toFixed(1)}x faster`);
}
