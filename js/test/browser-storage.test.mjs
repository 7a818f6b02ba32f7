// rudder-analytics js tests: storage in a real Chromium. Events a tab could not deliver stay in
// IndexedDB and are delivered by the next page load, or by another open tab once their tab is
// gone; tabs never send the same event twice; `storage: 'memory'` keeps nothing.
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserTests, closeTab } from './chromium.mjs';
import { WRITE_KEY, waitFor } from './helpers.mjs';

// One context (profile) per test: its tabs share IndexedDB and locks.
const browser = browserTests();
const settingsFor = (extra = {}) => ({ writeKey: WRITE_KEY, dataPlaneUrl: browser.plane.url, ...extra });
const openPage = () => browser.openPage();
// The data plane down: every connection is cut before an answer (until reset).
const takeDown = () => browser.plane.misbehave({ count: 100_000, drop: true });

const bringUp = () => fetch(`${browser.plane.url}/_control/reset`, { method: 'POST' });
const counts = (ids) => ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map());

// In the page: a client on window.analytics that tracked `count` events while the data plane
// was down, returned once a delivery attempt has failed (so the client knows it is down).
async function trackWhileDown(page, settings, count, prefix) {
  return page.evaluate(async ({ settings, count, prefix }) => {
    window.analytics = await Analytics.create(settings);
    const ids = [];
    for (let i = 0; i < count; i++) ids.push(window.analytics.track({ userId: 'u', event: `${prefix}${i}` }).messageId);
    while (window.analytics.stats().retried === 0) await new Promise((r) => setTimeout(r, 20));
    return { ids, stats: window.analytics.stats() };
  }, { settings, count, prefix });
}

// The site's next page load, once the closed tab's lock (and with it the tab) is gone: its
// client takes over in create() what that tab left, and flushes.
async function nextPageLoad() {
  const { page, problems } = await openPage();
  const seen = await page.evaluate(async (settings) => {
    while ((await navigator.locks.query()).held.length > 0) await new Promise((r) => setTimeout(r, 20));
    const analytics = await Analytics.create(settings);
    const outcome = await analytics.flush();
    return { recovered: analytics.stats().recovered, outcome };
  }, settingsFor());
  return { ...seen, problems };
}

test('a page closed while the data plane is down delivers on the next page load, each event once', { timeout: 30_000 }, async () => {
  await takeDown();
  const first = await openPage();
  const { ids, stats } = await trackWhileDown(first.page, settingsFor(), 20, 'e');
  assert.equal(stats.stored, 20, first.problems.join('\n'));
  await closeTab(first.page);
  const beacons = (await browser.plane.requests()).filter((r) => r.path.startsWith('/beacon'));
  assert.equal(beacons.length, 0, 'no beacon to a data plane that is down: they stay stored instead');
  // Up again only once the closed page's lock is gone, and with it the page: a retry it sent
  // as it closed would otherwise reach the data plane too (see the next test).
  const second = await openPage();
  await second.page.evaluate(async () => {
    while ((await navigator.locks.query()).held.length > 0) await new Promise((r) => setTimeout(r, 20));
  });
  await bringUp();
  const later = await second.page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    // The closed page's lock is gone: taken over in create() (the wait is for safety).
    const deadline = Date.now() + 5_000;
    while (analytics.stats().recovered === 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    const recovered = analytics.stats().recovered;
    const id = analytics.track({ userId: 'u', event: 'second page' }).messageId;
    const outcome = await analytics.flush();
    await analytics.close();
    return { recovered, id, outcome };
  }, settingsFor());
  assert.equal(later.recovered, 20, second.problems.join('\n'));
  assert.equal(later.outcome.delivered, 21);
  const events = await browser.plane.events();
  assert.deepEqual(events.map((e) => e.messageId), [...ids, later.id], 'each once, the old page first, in order');
  assert.deepEqual(events.slice(0, 20).map((e) => e.event), ids.map((_, i) => `e${i}`));

  // Delivered events left storage: a third page finds nothing, and nothing is left behind.
  const third = await openPage();
  const again = await third.page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    const { recovered } = analytics.stats();
    await analytics.close();
    const db = await new Promise((resolve, reject) => {
      const opening = indexedDB.open('rudder-analytics');
      opening.onsuccess = () => resolve(opening.result);
      opening.onerror = () => reject(opening.error);
    });
    const records = await new Promise((resolve) => {
      const counting = db.transaction('records').objectStore('records').count();
      counting.onsuccess = () => resolve(counting.result);
    });
    return { recovered, records };
  }, settingsFor());
  assert.deepEqual(again, { recovered: 0, records: 0 });
  assert.equal((await browser.plane.events()).length, 21);
});

test('open tabs take over a closed tab\'s events, and no event is sent twice', { timeout: 40_000 }, async () => {
  // Two tabs open first, then the one that tracks: each learns of the others.
  const watchers = [await openPage(), await openPage()];
  for (const { page } of watchers) {
    await page.evaluate(async (settings) => { window.analytics = await Analytics.create(settings); }, settingsFor());
  }
  await takeDown();
  const leaving = await openPage();
  const { ids } = await trackWhileDown(leaving.page, settingsFor(), 30, 't');
  await closeTab(leaving.page);
  // Up again only once a watcher has taken the events over and failed to send them itself. A
  // request the closing tab had out is then long settled: sent while the data plane was down,
  // it is lost; had it reached the data plane after it came back, the events would arrive
  // twice, from it and from the tab that took over. (A request out when a tab dies may always
  // arrive: messageIds let a data plane drop such copies, and no storage can prevent them.)
  await waitFor(async () => {
    const stats = await Promise.all(watchers.map(({ page }) => page.evaluate(() => window.analytics.stats())));
    return stats.some((s) => s.recovered === 30 && s.retried > 0);
  }, 20_000, 'a watcher taking over and trying once');
  await bringUp();

  await waitFor(async () => (await browser.plane.events()).length >= 30, 20_000, 'the closed tab\'s events');
  await new Promise((r) => setTimeout(r, 1_000));  // room for a duplicate to show up
  const delivered = counts((await browser.plane.events()).map((e) => e.messageId));
  for (const id of ids) assert.equal(delivered.get(id), 1, `${id} arrived exactly once`);
  assert.equal(delivered.size, 30);
  const recovered = [];
  for (const { page } of watchers) recovered.push(await page.evaluate(() => window.analytics.stats().recovered));
  assert.deepEqual(recovered.sort(), [0, 30], 'one tab took them all over');
});

test('a tab that stays open delivers its own stored events once the data plane is back', { timeout: 30_000 }, async () => {
  await takeDown();
  const tab = await openPage();
  const { ids } = await trackWhileDown(tab.page, settingsFor(), 5, 's');
  // Hidden while down: nothing goes by beacon, the events stay queued and stored.
  const hidden = await tab.page.evaluate(() => {
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    return window.analytics.stats();
  });
  assert.equal(hidden.beaconed, 0);
  assert.equal(hidden.pending, 5);
  await bringUp();
  await waitFor(async () => (await browser.plane.events()).length >= 5, 20_000, 'the retries');
  assert.deepEqual((await browser.plane.events()).map((e) => e.messageId), ids);
});

test('storage: "memory" keeps nothing in IndexedDB', { timeout: 30_000 }, async () => {
  await takeDown();
  const first = await openPage();
  await trackWhileDown(first.page, settingsFor({ storage: 'memory' }), 3, 'm');
  const stored = await first.page.evaluate(() => window.analytics.stats().stored);
  assert.equal(stored, 0);
  await closeTab(first.page);
  await bringUp();
  const second = await openPage();
  const found = await second.page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    const databases = (await indexedDB.databases()).map((d) => d.name);
    return { recovered: analytics.stats().recovered, databases };
  }, settingsFor({ storage: 'memory' }));
  assert.deepEqual(found, { recovered: 0, databases: [] });
});

test('events a beacon took at page close are not sent again by the next page', { timeout: 30_000 }, async () => {
  const first = await openPage();
  const ids = await first.page.evaluate(async (settings) => {
    window.analytics = await Analytics.create(settings);
    // The data plane has answered this page: a beacon is then trusted with what it takes.
    const reached = window.analytics.track({ userId: 'u', event: 'reached' }).messageId;
    await window.analytics.flush();
    return [reached, ...['a', 'b', 'c'].map((e) => window.analytics.track({ userId: 'u', event: e }).messageId)];
  }, settingsFor({ uploadIntervalMs: 60_000 }));
  await closeTab(first.page);
  await waitFor(async () => (await browser.plane.events()).length >= 4, 10_000, 'the beacon');

  const { recovered } = await nextPageLoad();
  assert.equal(recovered, 0, 'forgotten from storage once beaconed');
  await new Promise((r) => setTimeout(r, 300));
  assert.deepEqual((await browser.plane.events()).map((e) => e.messageId), ids, 'each once');
  assert.deepEqual((await browser.plane.requests()).map((r) => r.path), ['/v1/batch', '/beacon/v1/batch']);
});

test('a page closed while the browser is offline keeps its events for the next load, even after deliveries', { timeout: 30_000 }, async () => {
  const first = await openPage();
  const ids = await first.page.evaluate(async (settings) => {
    window.analytics = await Analytics.create(settings);
    window.analytics.track({ userId: 'u', event: 'reached' });
    await window.analytics.flush();  // the data plane has answered: beacons are trusted now
    return null;
  }, settingsFor({ uploadIntervalMs: 60_000 }));
  const context = first.page.context();  // the tabs' profile
  await context.setOffline(true);
  const offline = await first.page.evaluate(() => ({
    onLine: navigator.onLine,
    ids: ['a', 'b'].map((e) => window.analytics.track({ userId: 'u', event: e }).messageId),
  }));
  assert.equal(offline.onLine, false);
  await closeTab(first.page);
  await context.setOffline(false);
  const later = await nextPageLoad();
  assert.equal(ids, null);
  assert.equal(later.recovered, 2, `a beacon while offline is lost: they stayed stored ${later.problems.join('\n')}`);
  const events = (await browser.plane.events()).map((e) => e.messageId);
  for (const id of offline.ids) assert.equal(events.filter((e) => e === id).length, 1, `${id} once`);
});

test('a page closed before its first upload was answered, while the data plane is down, loses nothing', { timeout: 30_000 }, async () => {
  // The beacon at close would go to a data plane that is down, and be lost without a word:
  // before the data plane has answered a page, what the beacon carries stays stored as well.
  await browser.plane.misbehave({ count: 100_000, status: 503 });  // beacons get 503 too
  const first = await openPage();
  const ids = await first.page.evaluate(async (settings) => {
    window.analytics = await Analytics.create(settings);
    return ['a', 'b', 'c'].map((e) => window.analytics.track({ userId: 'u', event: e }).messageId);
  }, settingsFor({ uploadIntervalMs: 60_000 }));
  await closeTab(first.page);
  await waitFor(async () => (await browser.plane.requests()).some((r) => r.path === '/beacon/v1/batch'), 10_000, 'the beacon');
  assert.equal((await browser.plane.events()).length, 0, 'the beacon was refused');
  await bringUp();
  const later = await nextPageLoad();
  assert.equal(later.recovered, 3, later.problems.join('\n'));
  assert.equal(later.outcome.delivered, 3);
  assert.deepEqual((await browser.plane.events()).map((e) => e.messageId), ids, 'each once, in order');
});

test('a stored segment whose header is damaged is read past; one that is no segment is moved aside, not deleted', { timeout: 30_000 }, async () => {
  // The core decides for every platform; here the records move to a queue no client reads.
  await takeDown();
  const first = await openPage();
  const { ids } = await trackWhileDown(first.page, settingsFor(), 4, 'd');
  await closeTab(first.page);
  await bringUp();
  const { page, problems } = await openPage();
  const seen = await page.evaluate(async (settings) => {
    while ((await navigator.locks.query()).held.length > 0) await new Promise((r) => setTimeout(r, 20));
    const queue = `${settings.dataPlaneUrl.replace(/\/+$/, '')} ${settings.writeKey}`;
    const db = await new Promise((resolve, reject) => {
      const opening = indexedDB.open('rudder-analytics');
      opening.onsuccess = () => resolve(opening.result);
      opening.onerror = () => reject(opening.error);
    });
    const done = (request) => new Promise((resolve) => { request.onsuccess = () => resolve(request.result); });
    const all = (store) => Promise.all([done(store.getAllKeys()), done(store.getAll())]);
    {
      const tx = db.transaction('records', 'readwrite');
      const store = tx.objectStore('records');
      const [keys, values] = await all(store);
      const header = keys.findIndex((key) => key[0] === queue && key[3] === 0);
      const damaged = new Uint8Array(values[header]);
      damaged[2] ^= 0x40;  // the magic
      store.put(damaged, keys[header]);
      store.put(new Uint8Array(64).fill(106), [queue, 'deadbeefdeadbeef', 1, 0]);
      store.put(new Uint8Array(4032).fill(106), [queue, 'deadbeefdeadbeef', 1, 64]);
      await new Promise((resolve) => { tx.oncomplete = resolve; });
    }
    const warnings = [];
    const analytics = await Analytics.create({ ...settings, logger: { ...console, warn: (line) => warnings.push(line) } });
    const outcome = await analytics.flush();
    const { recovered } = analytics.stats();
    await analytics.close();
    const [keys, values] = await all(db.transaction('records').objectStore('records'));
    const aside = keys.map((key, i) => [key, values[i].byteLength]).filter(([key]) => key[0] !== queue);
    return { recovered, delivered: outcome.delivered, warnings, aside, left: keys.length - aside.length };
  }, settingsFor());
  assert.equal(seen.recovered, 4, problems.join('\n'));
  assert.equal(seen.delivered, 4);
  assert.deepEqual((await browser.plane.events()).map((e) => e.messageId), ids);
  assert.ok(seen.warnings.includes('[rudder-analytics] storage: 1 segment file has a damaged header; the records after it are read all the same'),
    seen.warnings.join('\n'));
  assert.ok(seen.warnings.some((line) => line.includes('1 file named as a segment is not one')), seen.warnings.join('\n'));
  const queue = `${browser.plane.url.replace(/\/+$/, '')} ${WRITE_KEY}`;
  assert.equal(seen.aside.length, 2, 'its header and its records');
  for (const [key] of seen.aside) assert.equal(key[0], `${queue} unknown`);
  assert.deepEqual(seen.aside.map(([, size]) => size).sort((a, b) => a - b), [64, 4032], 'kept byte for byte');
  assert.equal(seen.left, 0, 'nothing else is left behind');
});

// The request is sent with fetch's keepalive, which completes after the page is gone; it was
// also sent again by beacon (two copies whenever the request landed too).
for (const storage of ['indexedDB', 'memory']) {
  test(`${storage}: a page closed while a request is out: that batch arrives once, not again by beacon or by the next page`, { timeout: 30_000 }, async () => {
    const first = await openPage();
    // The data plane has answered this page once (before that, a closing page keeps its events
    // stored whatever it sends: the data plane may be down).
    const reached = await first.page.evaluate(async (settings) => {
      window.analytics = await Analytics.create(settings);
      const id = window.analytics.track({ userId: 'u', event: 'reached' }).messageId;
      await window.analytics.flush();
      return id;
    }, settingsFor({ uploadIntervalMs: 60_000, storage }));
    // Then it stores the next batch at once and answers only after the page has closed.
    await browser.plane.misbehave({ count: 1, delayMs: 1_500, storeBeforeDelay: true });
    const ids = [reached, ...await first.page.evaluate(() => {
      const out = ['a', 'b'].map((e) => window.analytics.track({ userId: 'u', event: e }).messageId);
      window.analytics.flush();  // the request goes; its answer is 1.5 s away
      return out;
    })];
    await waitFor(async () => (await browser.plane.events()).length >= 3, 10_000, 'the request stored');
    await closeTab(first.page);
    await new Promise((r) => setTimeout(r, 2_000));  // the answer, and room for a copy to show up
    const { recovered } = await nextPageLoad();
    assert.equal(recovered, 0, `${storage}: nothing left in storage to send again`);
    await new Promise((r) => setTimeout(r, 300));
    assert.deepEqual((await browser.plane.events()).map((e) => e.messageId), ids, `${storage}: each once`);
    assert.deepEqual((await browser.plane.requests()).map((r) => [r.path, r.status]), [['/v1/batch', 200], ['/v1/batch', 200]],
      `${storage}: the request completed although the page was gone; no beacon`);
  });
}
