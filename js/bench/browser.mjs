// rudder-analytics js benchmark: the package in headless Chromium, with storage in IndexedDB
// (the default) and in memory only, side by side in one run, to the local data plane in
// count-only mode. Prints per-call cost on the page's thread and delivered events per second.
//
//   node bench/browser.mjs [events per round, default 20000] [rounds, default 3]
// Copyright the rudder-analytics authors. MIT licence.
import { openTab, startBrowser } from '../test/chromium.mjs';
import { WRITE_KEY, startPlane } from '../test/helpers.mjs';

const events = Number(process.argv[2] ?? 20_000);
const rounds = Number(process.argv[3] ?? 3);
const plane = await startPlane({ countOnly: true });
const chromium = await startBrowser();

// One round in a fresh profile: `events` track() calls in one loop, then flush().
async function round(storage) {
  const context = await chromium.browser.newContext();
  const { page, problems } = await openTab(context, chromium.site.url);
  const result = await page.evaluate(async ({ settings, events }) => {
    const analytics = await Analytics.create(settings);
    const properties = { plan: 'pro', price: 9.99, tags: ['a', 'b'], nested: { ok: true } };
    const started = performance.now();
    for (let i = 0; i < events; i++) analytics.track({ userId: `user-${i % 100}`, event: 'Benchmark Event', properties });
    const called = performance.now();
    const outcome = await analytics.flush();
    const delivered = performance.now();
    await analytics.close();
    return { callUs: ((called - started) * 1000) / events, perSecond: (outcome.delivered * 1000) / (delivered - started), outcome };
  }, { settings: { writeKey: WRITE_KEY, dataPlaneUrl: plane.url, storage }, events });
  await context.close();
  if (result.outcome.delivered !== events) throw new Error(`${storage}: ${JSON.stringify(result.outcome)} ${problems.join('\n')}`);
  return result;
}

const rows = { indexedDB: [], memory: [] };
for (let r = 0; r < rounds; r++) {
  for (const storage of r % 2 === 0 ? ['memory', 'indexedDB'] : ['indexedDB', 'memory']) rows[storage].push(await round(storage));
}
await chromium.close();
await plane.close();

const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
console.log(`Chromium (headless), ${events} track() calls per round, ${rounds} rounds alternating, medians (min - max)`);
console.log('storage      us per call on the page            delivered events/s');
for (const [storage, results] of Object.entries(rows)) {
  const calls = results.map((x) => x.callUs);
  const rates = results.map((x) => x.perSecond);
  console.log(`${storage.padEnd(12)} ${median(calls).toFixed(2).padStart(6)} (${Math.min(...calls).toFixed(2)} - ${Math.max(...calls).toFixed(2)})` +
    `${''.padEnd(16)}${Math.round(median(rates)).toLocaleString('en-US').padStart(8)} (${Math.round(Math.min(...rates)).toLocaleString('en-US')} - ${Math.round(Math.max(...rates)).toLocaleString('en-US')})`);
}
