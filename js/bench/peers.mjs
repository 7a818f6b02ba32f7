// rudder-analytics js: this package against the peers' Node SDKs, in one run, against the local
// data plane. Prints, for each, the caller's cost per track() call and the events delivered per
// second; and ours as a multiple of each peer's. A program that prints figures, not a test.
// Copyright the rudder-analytics authors. MIT licence.
//
//   node bench/peers.mjs [events-for-ours]      (npm run bench; needs dist/: node scripts/build.mjs)
//
// The data plane runs as its own process (--count-only: auth, gunzip, JSON and contract checks,
// events counted, not kept), so it never shares an event loop with the SDK being measured.
// Each SDK gets its default settings but for where to send (exceptions noted at each SDK). Calls
// go in chunks of 500 with a turn of the event loop between them, as in a server handling
// requests; the caller cost is the time spent inside the calls, the rate counts from the first
// call until the data plane has counted every event. Every round is checked: exactly N events
// counted, every request answered 200, nothing refused by the SDK.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Analytics } from 'rudder-analytics-wasm';
import { startPlane } from './plane.mjs';
import { Analytics as SegmentAnalytics } from '@segment/analytics-node';
import RudderAnalytics from '@rudderstack/rudder-sdk-node';

const WRITE_KEY = 'test-write-key';
const CHUNK = 500;
const ROUNDS = 5;          // each SDK runs this many times after a warm-up; the median is reported
// Warm-up: full rounds until this long has passed (at least one), for every SDK alike. V8 keeps
// optimizing the SDK's code and Node's HTTP and zlib code for seconds: measured after a
// 1,000-event warm-up, our CPU per event fell from 15 to 8.3 us over the first four rounds of
// 100,000 and then held, so a short warm-up measured the JIT rather than the SDK.
const WARM_UP_MS = 5_000;
const GOAL = 10;           // ours at least 10x each peer, on both figures
const DEADLINE_MS = 120_000;  // per round: a round that cannot deliver fails instead of hanging

const require = createRequire(import.meta.url);
const versionOf = (name) => JSON.parse(readFileSync(require.resolve(`${name}/package.json`))).version;

// Small, realistic properties; a fresh object per call, as a caller would build it.
const props = (i) => ({ plan: 'pro', price: 9.99, items: i % 7, tags: ['a', 'b'], referrer: 'newsletter' });
const message = (i) => ({ userId: `user-${i % 1000}`, event: 'Order Completed', properties: props(i) });

// SDKs behind one shape: make(url, events), track(client, i) returns true unless the SDK refused
// the event, finish(client, allCounted) pushes out the tail.
const SDKS = [
  {
    name: 'rudder-analytics-wasm (this package)',
    short: 'ours',
    pkg: 'rudder-analytics-wasm',
    // Defaults throughout: the queue is bounded by bytes (64 MiB), so the calls may outrun the
    // data plane without a refusal; batching is uploadSize 100, uploadIntervalMs 500.
    make: (url) => Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: url }),
    track: (c, i) => c.track(message(i)).status === 'accepted',
    finish: async (c) => { await c.flush(); await c.close(); },
  },
  {
    name: '@segment/analytics-node',
    short: 'Segment',
    pkg: '@segment/analytics-node',
    // Defaults: flushAt 15 events, flushInterval 10 s, each full batch sent at once (no cap on
    // requests in flight). host + path point it at the data plane; its Basic auth (write key as
    // user) is what the data plane expects. closeAndFlush() sends the last partial batch and
    // resolves once every event has been answered. Seen here: when closeAndFlush() is called
    // while earlier batches are still in flight, the last partial batch (20,000 = 1,333 x 15 + 5)
    // is not sent at once but waits for the 10 s flushInterval timer, in some rounds and not in
    // others; the per-round lines show each round's flush time.
    make: (url) => new SegmentAnalytics({ writeKey: WRITE_KEY, host: url, path: '/v1/batch' }),
    track: (c, i) => { c.track(message(i)); return true; },
    finish: (c) => c.closeAndFlush(),
  },
  {
    name: '@rudderstack/rudder-sdk-node',
    short: 'RudderStack',
    pkg: '@rudderstack/rudder-sdk-node',
    // Defaults: flushAt 20, flushInterval 10 s, gzip, logLevel 'info' (it logs nothing at that
    // level for events under 32 KB). Its flush() sends one batch of flushAt events and
    // nothing more; the rest of the queue waits for the next call or the 10 s timer. A caller
    // who wants everything out has to call flush() until the queue is empty, so we do.
    make: (url) => new RudderAnalytics(WRITE_KEY, { dataPlaneUrl: url }),
    track: (c, i) => { c.track(message(i)); return true; },
    finish: async (c, allCounted) => { while (!(await allCounted())) await c.flush(); },
  },
];

// Ours again with storageDir (every accepted event written to a file during the call), to
// show what durability costs; compared with ours without it, not with the peers.
const storageRoot = (await import('node:fs')).mkdtempSync(`${(await import('node:os')).tmpdir()}/rudder-bench-`);
let storageRuns = 0;
const OURS_STORED = {
  ...SDKS[0],
  name: 'rudder-analytics-wasm, storageDir',
  make: (url) => Analytics.create({ writeKey: WRITE_KEY, dataPlaneUrl: url, storageDir: `${storageRoot}/${storageRuns++}` }),
};

const control = async (url, path, method = 'GET') => (await fetch(`${url}/_control/${path}`, { method })).json();
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

async function runOnce(sdk, url, events) {
  await control(url, 'reset', 'POST');
  const client = await sdk.make(url, events);
  let inCalls = 0n;
  let refused = 0;
  const cpu = process.cpuUsage();
  const started = process.hrtime.bigint();
  for (let i = 0; i < events; i += CHUNK) {
    const end = Math.min(i + CHUNK, events);
    const t = process.hrtime.bigint();
    for (let j = i; j < end; j++) if (!sdk.track(client, j)) refused++;
    inCalls += process.hrtime.bigint() - t;
    await new Promise((r) => setImmediate(r));
  }
  if (refused) throw new Error(`${sdk.name}: refused ${refused} of ${events} events`);
  const deadline = Date.now() + DEADLINE_MS;
  const allCounted = async () => {
    if (Date.now() > deadline) throw new Error(`${sdk.name}: not all ${events} events counted in ${DEADLINE_MS / 1000} s`);
    return (await control(url, 'stats')).events >= events;
  };
  const flushed = process.hrtime.bigint();
  await sdk.finish(client, allCounted);
  while (!(await allCounted())) await sleep(5);
  const now = process.hrtime.bigint();
  const seconds = Number(now - started) / 1e9;
  const used = process.cpuUsage(cpu);
  await sleep(50);  // anything sent twice (a retry) would arrive now
  const stats = await control(url, 'stats');
  const statuses = Object.keys(stats.byStatus);
  if (stats.events !== events || statuses.some((s) => s !== '200')) {
    throw new Error(`${sdk.name}: data plane counted ${stats.events} of ${events} events, statuses ${JSON.stringify(stats.byStatus)}`);
  }
  return {
    callUs: Number(inCalls) / 1000 / events,
    cpuUs: (used.user + used.system) / events,
    perSecond: events / seconds,
    tailMs: Number(now - flushed) / 1e6,  // from the flush call until all counted
    // As if the flush had cost nothing: used only to show what a peer's stalled flush hides.
    perSecondToFlush: events / (Number(flushed - started) / 1e9),
    requests: stats.requests,
  };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const ours = Number(process.argv[2] ?? 100_000);
// The peers get fewer events so the run ends in about a minute: Segment's delivers a few
// thousand a second, RudderStack's under a thousand, and its per-call cost grows with its queue
// (every call re-serializes the whole queue to check its size), so its figure depends on N.
const plan = [ours, 20_000, 2_000];
const plane = await startPlane();
const startedAll = Date.now();
console.log(`Node ${process.version}, ${(await import('node:os')).cpus().length} cores; local data plane (--count-only, own process) at ${plane.url}`);
console.log(`${ROUNDS} rounds per SDK after ${WARM_UP_MS / 1000} s of warm-up rounds, median shown; calls in chunks of ${CHUNK}, a turn of the event loop between chunks`);
console.log(`events per round: ours ${plan[0].toLocaleString('en-US')}, Segment ${plan[1].toLocaleString('en-US')}, ` +
  `RudderStack ${plan[2].toLocaleString('en-US')} (fewer for the peers, so the run ends in reasonable time)`);
const results = [];
try {
  for (const [k, sdk] of [...SDKS, OURS_STORED].entries()) {
    const t = Date.now();
    const events = plan[k] ?? plan[0];
    for (const warmUpEnds = Date.now() + WARM_UP_MS; Date.now() < warmUpEnds;) await runOnce(sdk, plane.url, events);
    const rounds = [];
    for (let r = 0; r < ROUNDS; r++) rounds.push(await runOnce(sdk, plane.url, events));
    results.push({
      sdk, events, version: versionOf(sdk.pkg),
      callUs: median(rounds.map((x) => x.callUs)),
      cpuUs: median(rounds.map((x) => x.cpuUs)),
      perSecond: median(rounds.map((x) => x.perSecond)),
      bestPerSecond: Math.max(...rounds.map((x) => x.perSecond)),
      tailMs: median(rounds.map((x) => x.tailMs)),
      stalled: rounds.filter((x) => x.tailMs > 1_000),
      requests: median(rounds.map((x) => x.requests)),
    });
    console.log(`  ${sdk.name}: ${((Date.now() - t) / 1000).toFixed(1)} s; rounds: ` +
      rounds.map((x) => `${x.callUs.toFixed(2)} us/call ${Math.round(x.perSecond).toLocaleString('en-US')}/s ` +
        `(flush ${Math.round(x.tailMs).toLocaleString('en-US')} ms)`).join(', '));
  }
} finally {
  plane.stop();
  (await import('node:fs')).rmSync(storageRoot, { recursive: true, force: true });
}

const num = (n) => Math.round(n).toLocaleString('en-US');
const row = (cells, widths) => cells.map((c, i) => (i === 0 ? String(c).padEnd(widths[i]) : String(c).padStart(widths[i]))).join('');
const widths = [38, 9, 10, 9, 9, 13, 12, 10];
console.log('\nversions: ' + results.map((r) => `${r.sdk.pkg} ${r.version}`).join(', '));
console.log('caller us/call: time spent inside track(), per call (median round)');
console.log('CPU us/ev:      this process\'s CPU time over the round (calls plus the SDK\'s background');
console.log('                batching, serializing, compressing and HTTP), per event');
console.log('delivered/s:    events / (first call .. data plane has counted all of them); median and best round');
console.log('flush ms:       from the flush call after the last track() until all were counted (median)\n');
console.log(row(['sdk', 'events', 'requests', 'caller', 'CPU', 'delivered/s', 'delivered/s', 'flush'], widths));
console.log(row(['', '', '', 'us/call', 'us/ev', 'median', 'best', 'ms'], widths));
for (const r of results) {
  console.log(row([r.sdk.name, num(r.events), num(r.requests), r.callUs.toFixed(2), r.cpuUs.toFixed(1),
    num(r.perSecond), num(r.bestPerSecond), num(r.tailMs)], widths));
}

const stored = results.pop();  // OURS_STORED, last
const [us, ...peers] = results;
console.log(`\nwith storageDir: caller ${stored.callUs.toFixed(2)} us/call (${(stored.callUs - us.callUs).toFixed(2)} us more ` +
  `than without; goal at most 2 us more: ${stored.callUs - us.callUs <= 2 ? 'met' : 'NOT met'}), ` +
  `${num(stored.perSecond)} delivered/s, CPU ${stored.cpuUs.toFixed(1)} us/event`);
console.log(`\nours / peer (goal: at least ${GOAL}x each peer on both figures; medians)`);
let met = true;
for (const p of peers) {
  const cheaper = p.callUs / us.callUs;   // how many times less time a call takes
  const faster = us.perSecond / p.perSecond;
  const ok = (x) => (x >= GOAL ? 'met' : 'NOT met');
  met &&= cheaper >= GOAL && faster >= GOAL;
  console.log(`  vs ${p.sdk.short.padEnd(12)} caller cost ${cheaper.toFixed(1).padStart(6)}x lower (${ok(cheaper)}), ` +
    `delivered/s ${faster.toFixed(1).padStart(5)}x higher (${ok(faster)}; best rounds: ` +
    `${(us.bestPerSecond / p.bestPerSecond).toFixed(1)}x); CPU per event ${(p.cpuUs / us.cpuUs).toFixed(1)}x lower`);
  if (p.stalled.length) {
    const without = median(p.stalled.map((x) => x.perSecondToFlush));
    console.log(`     note: in ${p.stalled.length} of ${ROUNDS} rounds ${p.sdk.short}'s flush waited over a second ` +
      `(median ${num(median(p.stalled.map((x) => x.tailMs)))} ms, see the rounds above), so its delivered/s swings with it.`);
    console.log(`           Counting those rounds only up to the flush call: ${num(without)}/s, ours ` +
      `${(us.perSecond / without).toFixed(1)}x that (${us.perSecond / without >= GOAL ? 'met' : 'NOT met'}).`);
  }
}
console.log(`goal (>= ${GOAL}x both peers on both figures): ${met ? 'MET' : 'NOT MET'}`);
console.log(`(whole run ${((Date.now() - startedAll) / 1000).toFixed(0)} s)`);
