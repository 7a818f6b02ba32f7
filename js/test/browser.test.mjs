// rudder-analytics js tests: the package in headless Chromium, served from another origin than
// the data plane: the six calls over CORS with gzip, Retry-After, and beacons at page close.
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserTests, closeTab } from './chromium.mjs';
import { WRITE_KEY, waitFor } from './helpers.mjs';

// A fresh context per test: own cookies, preflight cache, beacon queue and IndexedDB.
const browser = browserTests();
const openPage = () => browser.openPage();

const settingsFor = (extra = {}) => ({ writeKey: WRITE_KEY, dataPlaneUrl: browser.plane.url, ...extra });
const storedIds = async () => (await browser.plane.events()).map((e) => e.messageId);
const counts = (ids) => ids.reduce((m, id) => m.set(id, (m.get(id) ?? 0) + 1), new Map());

test('the six calls from a page arrive cross-origin', { timeout: 15_000 }, async () => {
  const { page, problems } = await openPage();
  const { ids, outcome } = await page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    const ids = [
      analytics.identify({ userId: 'u1', traits: { email: 'a@example.com' } }),
      analytics.track({ userId: 'u1', event: 'Order Completed', properties: { revenue: 9.5 } }),
      analytics.page({ anonymousId: 'anon-1', name: 'Pricing', category: 'Docs' }),
      analytics.screen({ userId: 'u1', name: 'Home' }),
      analytics.group({ userId: 'u1', groupId: 'g1', traits: { seats: 10 } }),
      analytics.alias({ previousId: 'anon-1', userId: 'u1' }),
    ].map((r) => r.messageId);
    const outcome = await analytics.flush();
    await analytics.close();
    return { ids, outcome };
  }, settingsFor());
  assert.deepEqual(outcome, { delivered: 6, failed: 0, unknown: 0, unsent: 0, beaconed: 0, pending: 0, kept: 0, lastAttempt: '' }, problems.join('\n'));

  const events = await browser.plane.events();
  assert.deepEqual(events.map((e) => e.messageId), ids, 'each once, in order');
  const [identify, track, pageEvent, screen, group, alias] = events;
  assert.deepEqual(events.map((e) => e.type), ['identify', 'track', 'page', 'screen', 'group', 'alias']);
  assert.deepEqual(identify.traits, { email: 'a@example.com' });
  assert.deepEqual([track.event, track.properties], ['Order Completed', { revenue: 9.5 }]);
  assert.deepEqual([pageEvent.anonymousId, pageEvent.name, pageEvent.category], ['anon-1', 'Pricing', 'Docs']);
  assert.equal(screen.name, 'Home');
  assert.deepEqual([group.groupId, group.traits], ['g1', { seats: 10 }]);
  assert.deepEqual([alias.previousId, alias.userId], ['anon-1', 'u1']);
  for (const e of events) {
    assert.equal(e.channel, 'web', 'a page reports the web channel');
    assert.equal(e.context.library.name, 'rudder-analytics-wasm');
  }

  const requests = await browser.plane.requests();
  assert.deepEqual(requests.map((r) => [r.path, r.status, r.gzip, r.authUser]), [['/v1/batch', 200, true, WRITE_KEY]],
    'one gzipped batch (CompressionStream exists in Chromium)');
  // Authorization is not a CORS-safelisted header, so the browser must have asked first.
  const preflights = await (await fetch(`${browser.plane.url}/_control/preflights`)).json();
  const preflight = preflights.find((p) => p.path === '/v1/batch');
  assert.ok(preflight, `a preflight for /v1/batch (got ${JSON.stringify(preflights)})`);
  assert.equal(preflight.origin, browser.siteUrl);
  assert.ok(preflight.requestHeaders.split(',').map((h) => h.trim().toLowerCase()).includes('authorization'),
    `requestHeaders: ${preflight.requestHeaders}`);
});

// In the page: a client with `settings` tracks three events and flushes; their ids, the flush's
// result and stats().retried, after close().
const trackThreeAndFlush = (page, settings) => page.evaluate(async (settings) => {
  const analytics = await Analytics.create(settings);
  const ids = [1, 2, 3].map((i) => analytics.track({ userId: 'u', event: `e${i}` }).messageId);
  const outcome = await analytics.flush();
  const { retried } = analytics.stats();
  await analytics.close();
  return { ids, outcome, retried };
}, settings);

test('Retry-After is honoured in the browser', { timeout: 15_000 }, async () => {
  await browser.plane.misbehave({ count: 1, status: 503, retryAfter: '1' });
  const { page, problems } = await openPage();
  const { ids, outcome, retried } = await trackThreeAndFlush(page, settingsFor());
  assert.equal(outcome.delivered, 3, problems.join('\n'));
  assert.equal(retried, 1);
  assert.deepEqual(await storedIds(), ids, 'delivered exactly once');
  const requests = await browser.plane.requests();
  assert.deepEqual(requests.map((r) => r.status), [503, 200]);
  // Only possible if the page could read Retry-After (the plane exposes it to CORS callers);
  // the default first back-off is well under a second.
  assert.ok(requests[1].at - requests[0].at >= 950, `waited ${requests[1].at - requests[0].at} ms`);
});

test('closing the page with events still queued sends them by beacon', { timeout: 20_000 }, async () => {
  const { page } = await openPage();
  const texts = ['Grüße 👋', '日本語のイベント', 'plain', 'ça va? "quoted" \\ back\nslash', 'Ελληνικά'];
  const ids = await page.evaluate(async ({ settings, texts }) => {
    // Kept on window so nothing is collected before the page goes.
    window.analytics = await Analytics.create(settings);
    return texts.map((t) => window.analytics.track({ userId: 'ü-1', event: t, properties: { t } }).messageId);
  }, { settings: settingsFor({ uploadIntervalMs: 60_000 }), texts });
  await page.close({ runBeforeUnload: true });

  await waitFor(async () => {
    const stored = counts(await storedIds());
    return ids.every((id) => stored.has(id));
  }, 10_000, 'the beacon');
  await new Promise((r) => setTimeout(r, 300));  // room for a duplicate to show up
  const stored = counts(await storedIds());
  for (const id of ids) assert.equal(stored.get(id), 1, `${id} arrived exactly once`);
  const events = await browser.plane.events();
  assert.deepEqual(ids.map((id) => events.find((e) => e.messageId === id).event), texts, 'text intact');
  const requests = await browser.plane.requests();
  assert.ok(requests.length >= 1);
  for (const r of requests) {
    assert.equal(r.path, '/beacon/v1/batch');
    assert.equal(r.status, 200);
    assert.equal(r.authUser, WRITE_KEY, 'the write key came from the query');
    // A string body goes as text/plain, a CORS-safelisted type: no preflight, which a closing
    // page could not wait for.
    assert.match(r.contentType, /^text\/plain/);
  }
});

test('a page that becomes hidden hands its queue to the beacon', { timeout: 15_000 }, async () => {
  const { page, problems } = await openPage();
  const hidden = await page.evaluate(async (settings) => {
    window.analytics = await Analytics.create(settings);
    const ids = ['a', 'b', 'c'].map((e) => window.analytics.track({ userId: 'u', event: e }).messageId);
    // Headless pages stay "visible"; this is what a tab switch looks like to the page.
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    return { ids, stats: window.analytics.stats() };
  }, settingsFor({ uploadIntervalMs: 60_000, storage: 'memory' }));  // the beacon is their only way (browser-storage.test.mjs: with storage)
  assert.equal(hidden.stats.beaconed, 3, problems.join('\n'));
  assert.equal(hidden.stats.pending, 0, 'nothing left in the core');
  await waitFor(async () => (await browser.plane.events()).length >= 3, 10_000, 'the beacon');

  // Back to visible; the client keeps working over the normal path.
  const later = await page.evaluate(async () => {
    delete document.visibilityState;  // the own property goes, Document.prototype's getter is back
    document.dispatchEvent(new Event('visibilitychange'));
    const id = window.analytics.track({ userId: 'u', event: 'later' }).messageId;
    const outcome = await window.analytics.flush();
    return { id, outcome, stats: window.analytics.stats() };
  });
  assert.deepEqual(later.outcome, { delivered: 1, failed: 0, unknown: 0, unsent: 0, beaconed: 0, pending: 0, kept: 0, lastAttempt: '' });
  assert.equal(later.stats.beaconed, 3);
  assert.deepEqual(await storedIds(), [...hidden.ids, later.id], 'each once');
  assert.deepEqual((await browser.plane.requests()).map((r) => [r.path, r.events]),
    [['/beacon/v1/batch', 3], ['/v1/batch', 1]]);
});

test('what the beacon quota refuses goes out as ordinary requests while the page lives', { timeout: 20_000 }, async () => {
  const { page, problems } = await openPage();
  const result = await page.evaluate(async (settings) => {
    window.analytics = await Analytics.create(settings);
    const filler = 'x'.repeat(1_000);
    const ids = [];
    for (let i = 0; i < 200; i++) ids.push(window.analytics.track({ userId: 'u', event: `e${i}`, properties: { filler } }).messageId);
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    return { ids, stats: window.analytics.stats() };
  }, settingsFor({ uploadIntervalMs: 60_000, storage: 'memory' }));
  // Chromium takes one ~64 KB piece (about 60 of these events), then refuses until it is sent.
  assert.ok(result.stats.beaconed > 0 && result.stats.beaconed < 200, `${JSON.stringify(result.stats)} ${problems.join('\n')}`);
  await waitFor(async () => (await browser.plane.events()).length >= 200, 15_000, 'all 200 events');
  const stored = await storedIds();
  assert.equal(stored.length, 200, 'none twice');
  assert.deepEqual([...new Set(stored)].sort(), [...result.ids].sort());
  const paths = new Set((await browser.plane.requests()).map((r) => r.path));
  assert.deepEqual([...paths].sort(), ['/beacon/v1/batch', '/v1/batch']);
});

test('pagehide alone (a page closed while visible) hands the queue to the beacon', { timeout: 15_000 }, async () => {
  const { page, problems } = await openPage();
  const result = await page.evaluate(async (settings) => {
    window.analytics = await Analytics.create(settings);
    const ids = ['a', 'b'].map((e) => window.analytics.track({ userId: 'u', event: e }).messageId);
    // What a browser fires when a visible page is unloaded or put in the back/forward cache,
    // without any visibilitychange first.
    window.dispatchEvent(new PageTransitionEvent('pagehide', { persisted: false }));
    return { ids, visibility: document.visibilityState, stats: window.analytics.stats() };
  }, settingsFor({ uploadIntervalMs: 60_000, storage: 'memory' }));
  assert.equal(result.visibility, 'visible');
  assert.equal(result.stats.beaconed, 2, problems.join('\n'));
  await waitFor(async () => (await browser.plane.events()).length >= 2, 10_000, 'the beacon');
  assert.deepEqual(await storedIds(), result.ids);
});

test('a redirect from the data plane is a failure in the browser too, never followed', { timeout: 15_000 }, async () => {
  await browser.plane.misbehave({ count: 1, status: 303, location: `${browser.plane.url}/elsewhere` });
  const { page } = await openPage();
  const result = await page.evaluate(async (settings) => {
    const errors = [];
    const quiet = { debug() {}, info() {}, warn() {}, error() {} };
    const analytics = await Analytics.create({ ...settings, logger: quiet, onError: (e) => errors.push({ kind: e.kind, message: e.message }) });
    analytics.track({ userId: 'u', event: 'moved' });
    const outcome = await analytics.flush();
    await new Promise((r) => setTimeout(r, 50));
    return { outcome, errors };
  }, settingsFor());
  const { lastAttempt, ...counts } = result.outcome;
  assert.deepEqual(counts, { delivered: 0, failed: 1, unknown: 0, unsent: 0, beaconed: 0, pending: 0, kept: 0 });
  assert.match(lastAttempt, /^a redirect: redirects are not followed/, "a browser sees no status: the redirect is opaque");
  assert.equal(result.errors.length, 1);
  assert.equal(result.errors[0].kind, 'http_status');
  assert.match(result.errors[0].message, /redirect/);
  const requests = await browser.plane.requests();
  assert.deepEqual(requests.map((r) => [r.method, r.path]), [['POST', '/v1/batch']], 'no GET followed');
  assert.equal((await browser.plane.events()).length, 0);
});

// ---- the user and the page, as a browser SDK keeps them ----------------------------------------

test('the anonymousId survives a reload, identify is remembered, reset forgets', { timeout: 20_000 }, async () => {
  const { page, problems } = await openPage();
  const first = await page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    analytics.track({ event: 'Landed' });  // no ids: the browser's own
    analytics.identify({ userId: 'u-42', traits: { plan: 'pro' } });
    analytics.track({ event: 'Upgraded' });
    await analytics.close();
    return { anonymousId: analytics.getAnonymousId(), userId: analytics.getUserId(), traits: analytics.getUserTraits() };
  }, settingsFor());
  assert.equal(first.userId, 'u-42', problems.join('\n'));
  assert.deepEqual(first.traits, { plan: 'pro' });
  await page.reload();
  await page.waitForFunction(() => typeof window.Analytics === 'function');
  const second = await page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    analytics.track({ event: 'Came Back' });
    const before = { anonymousId: analytics.getAnonymousId(), userId: analytics.getUserId() };
    analytics.reset();
    analytics.track({ event: 'Logged Out' });
    await analytics.close();
    return { before, after: { anonymousId: analytics.getAnonymousId(), userId: analytics.getUserId(), traits: analytics.getUserTraits() } };
  }, settingsFor());
  assert.deepEqual(second.before, { anonymousId: first.anonymousId, userId: 'u-42' }, 'kept across the reload');
  assert.equal(second.after.userId, null);
  assert.deepEqual(second.after.traits, {});
  assert.notEqual(second.after.anonymousId, first.anonymousId, 'a new visitor after reset');

  const events = await browser.plane.events();
  assert.deepEqual(events.map((e) => [e.event ?? e.type, e.userId ?? null, e.anonymousId]), [
    ['Landed', null, first.anonymousId],
    ['identify', 'u-42', first.anonymousId],
    ['Upgraded', 'u-42', first.anonymousId],
    ['Came Back', 'u-42', first.anonymousId],
    ['Logged Out', null, second.after.anonymousId],
  ]);
  assert.deepEqual(events[2].context.traits, { plan: 'pro' }, 'the traits go with later events');
  assert.deepEqual(events[3].context.traits, { plan: 'pro' });
  assert.equal(events[4].context.traits, undefined);
});

test('events carry the session, which a reload keeps and reset() ends', { timeout: 20_000 }, async () => {
  const { page, problems } = await openPage();
  const first = await page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    const before = analytics.getSessionId();
    const startedAfter = Date.now();
    analytics.track({ event: 'One' });
    analytics.track({ event: 'Two' });
    await analytics.close();
    return { before, startedAfter, session: analytics.getSessionId() };
  }, settingsFor());
  assert.equal(first.before, null, problems.join('\n'));
  assert.ok(first.session >= first.startedAfter, 'its id is the time it started');
  await page.reload();
  await page.waitForFunction(() => typeof window.Analytics === 'function');
  const second = await page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    analytics.track({ event: 'Three' });
    const kept = analytics.getSessionId();
    analytics.reset();
    analytics.track({ event: 'Four' });
    await analytics.close();
    return { kept, after: analytics.getSessionId() };
  }, settingsFor());
  assert.equal(second.kept, first.session, 'a reload is the same session');
  assert.ok(second.after > first.session, 'reset() starts another');
  const events = await browser.plane.events();
  assert.deepEqual(events.map((e) => [e.event, e.context.sessionId, e.context.sessionStart ?? false]), [
    ['One', first.session, true],
    ['Two', first.session, false],
    ['Three', first.session, false],
    ['Four', second.after, true],
  ]);
});

test('a page\'s session and id settings are checked: the timeout\'s range, mistyped names, numeric ids', { timeout: 15_000 }, async () => {
  const { page, problems } = await openPage();
  const seen = await page.evaluate(async (settings) => {
    const outcome = async (extra) => {
      try {
        const analytics = await Analytics.create({ ...settings, ...extra });
        await analytics.close({ timeoutMs: 0 });
        return 'created';
      } catch (e) {
        return `${e.constructor.name} ${e.field} ${e.message}`;
      }
    };
    const analytics = await Analytics.create(settings);
    analytics.setAnonymousId(42);
    const id = analytics.getAnonymousId();
    await analytics.close({ timeoutMs: 0 });
    return {
      id,
      short: await outcome({ sessionTimeoutMs: 5_000 }),
      huge: await outcome({ sessionTimeoutMs: 1e19 }),
      text: await outcome({ sessionTimeoutMs: '30m' }),
      longest: await outcome({ sessionTimeoutMs: Number.MAX_SAFE_INTEGER }),
      lowerCase: await outcome({ sessiontimeoutms: 60_000 }),
      handler: await outcome({ onerror: () => {} }),
    };
  }, settingsFor());
  assert.equal(seen.id, '42', problems.join('\n'));
  assert.equal(seen.short, 'RangeError sessionTimeoutMs sessionTimeoutMs: must be 0 (no sessions) or a whole number of milliseconds from 10000 to 9007199254740991');
  assert.match(seen.huge, /^RangeError sessionTimeoutMs /, 'not an overflow that turns sessions off');
  assert.match(seen.text, /^TypeError sessionTimeoutMs sessionTimeoutMs: must be a number/);
  assert.equal(seen.longest, 'created');
  assert.equal(seen.lowerCase, 'TypeError sessiontimeoutms sessiontimeoutms: is not a setting (here it is spelled sessionTimeoutMs)');
  assert.equal(seen.handler, 'TypeError onerror onerror: is not a setting (here it is spelled onError)');
});

test('a visitor analytics-js or analytics.js knew goes on as the same one, and is kept once taken up', { timeout: 20_000 }, async () => {
  const { page, problems } = await openPage();
  const first = await page.evaluate(async (settings) => {
    // What RudderStack's analytics-js (v3) leaves: each value "RS_ENC_v3_" + base64 of its JSON.
    const v3 = (value) => encodeURIComponent(`RS_ENC_v3_${btoa(JSON.stringify(value))}`);
    document.cookie = `rl_anonymous_id=${v3('anon-from-analytics-js')}; path=/`;
    document.cookie = `rl_user_id=${v3('user-7')}; path=/`;
    document.cookie = `rl_trait=${v3({ plan: 'team', seats: 3 })}; path=/`;
    const analytics = await Analytics.create(settings);
    analytics.track({ event: 'Came Over' });
    await analytics.close();
    // The old SDK removed: what was taken up stays.
    for (const name of ['rl_anonymous_id', 'rl_user_id', 'rl_trait']) document.cookie = `${name}=; path=/; max-age=0`;
    return { anonymousId: analytics.getAnonymousId(), userId: analytics.getUserId(), traits: analytics.getUserTraits() };
  }, settingsFor());
  assert.deepEqual(first, { anonymousId: 'anon-from-analytics-js', userId: 'user-7', traits: { plan: 'team', seats: 3 } },
    problems.join('\n'));
  await page.reload();
  await page.waitForFunction(() => typeof window.Analytics === 'function');
  const second = await page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    analytics.track({ event: 'Came Back' });
    await analytics.close();
    return analytics.getAnonymousId();
  }, settingsFor());
  assert.equal(second, 'anon-from-analytics-js', 'kept by this package after the old cookies went');

  // Segment's analytics.js keeps JSON in localStorage (and cookies); a browser with nothing of
  // RudderStack's takes that visitor. Another write key's client is a first visit of its own.
  const segment = await page.evaluate(async (settings) => {
    localStorage.setItem('ajs_anonymous_id', JSON.stringify('anon-from-segment'));
    localStorage.setItem('ajs_user_traits', JSON.stringify({ role: 'admin' }));
    const analytics = await Analytics.create({ ...settings, writeKey: 'another-write-key' });
    const user = { anonymousId: analytics.getAnonymousId(), userId: analytics.getUserId(), traits: analytics.getUserTraits() };
    await analytics.close({ timeoutMs: 0 });
    return user;
  }, settingsFor());
  assert.deepEqual(segment, { anonymousId: 'anon-from-segment', userId: null, traits: { role: 'admin' } });

  const events = await browser.plane.events();
  assert.deepEqual(events.map((e) => [e.event, e.anonymousId, e.userId]), [
    ['Came Over', 'anon-from-analytics-js', 'user-7'],
    ['Came Back', 'anon-from-analytics-js', 'user-7'],
  ]);
  assert.deepEqual(events[0].context.traits, { plan: 'team', seats: 3 });
});

test('calls made before the module is ready are held and sent once it is, with the user and the page', { timeout: 20_000 }, async () => {
  const { page, problems } = await openPage();
  const result = await page.evaluate(async (settings) => {
    const analytics = new Analytics(settings);  // returns at once; the module loads meanwhile
    const early = [
      analytics.identify({ userId: 'u-7', traits: { plan: 'pro' } }),
      analytics.track({ event: 'Early' }),
      analytics.page({ name: 'Home' }),
    ];
    history.pushState({}, '', '/app/second?tab=2');  // a router moves on before the module is ready
    early.push(analytics.page({ name: 'Second' }));
    let stats = '';
    try { analytics.stats(); } catch (e) { stats = e.code; }
    await analytics.ready;
    const late = analytics.track({ event: 'Late' });
    await analytics.close();
    return { early, late: late.status, stats, anonymousId: analytics.getAnonymousId() };
  }, settingsFor());
  assert.deepEqual(result.early, [{ status: 'buffered' }, { status: 'buffered' }, { status: 'buffered' }, { status: 'buffered' }], problems.join('\n'));
  assert.equal(result.stats, 'not_ready');
  assert.equal(result.late, 'accepted');
  const events = await browser.plane.events();
  assert.deepEqual(events.map((e) => [e.event ?? e.type, e.userId, e.anonymousId]), [
    ['identify', 'u-7', result.anonymousId],
    ['Early', 'u-7', result.anonymousId],
    ['page', 'u-7', result.anonymousId],
    ['page', 'u-7', result.anonymousId],
    ['Late', 'u-7', result.anonymousId],
  ], 'in order, the held identify remembered for the calls after it');
  // Each held call carries the page it was made on, not the one the module found when ready.
  assert.deepEqual(events.map((e) => e.context.page.path), ['/test.html', '/test.html', '/test.html', '/app/second', '/app/second']);
  assert.deepEqual([events[2].properties.path, events[3].properties.path, events[3].properties.search], ['/test.html', '/app/second', '?tab=2']);
  assert.deepEqual(events[1].context.traits, { plan: 'pro' });
  assert.equal(events[2].properties.path, '/test.html', 'page() fills its properties');
  assert.equal(events[1].context.page.url, `${browser.siteUrl}/test.html`);
});

test('two clients of one page share the user; an identify that switches users carries none of the last one\'s traits', { timeout: 20_000 }, async () => {
  const { page, problems } = await openPage();
  const seen = await page.evaluate(async (settings) => {
    // Two modules of one app, or a framework mounting twice: one visitor, one user.
    const one = await Analytics.create(settings);
    const two = await Analytics.create(settings);
    const ids = [one.getAnonymousId(), two.getAnonymousId()];
    one.identify({ userId: 'alice', traits: { email: 'alice@example.com' } });
    const twoUser = two.getUserId();
    two.identify({ userId: 'bob', traits: { plan: 'free' } });
    one.track({ event: 'After Switch' });
    await Promise.all([one.close(), two.close()]);
    return { ids, twoUser, oneUser: one.getUserId(), oneTraits: one.getUserTraits() };
  }, settingsFor());
  assert.equal(seen.ids[0], seen.ids[1], `one anonymousId for both clients ${problems.join('\n')}`);
  assert.equal(seen.twoUser, 'alice', 'the other client follows an identify at once');
  assert.equal(seen.oneUser, 'bob');
  assert.deepEqual(seen.oneTraits, { plan: 'free' });
  // Each client sends its own batches, so the data plane may get bob's identify before alice's.
  const events = await browser.plane.events();
  assert.equal(events.length, 3, JSON.stringify(events.map((e) => [e.type, e.userId])));
  const identified = (userId) => events.find((e) => e.type === 'identify' && e.userId === userId);
  const [alice, bob, after] = [identified('alice'), identified('bob'), events.find((e) => e.event === 'After Switch')];
  assert.deepEqual([alice?.userId, bob?.userId, after?.userId, after?.anonymousId], ['alice', 'bob', 'bob', seen.ids[0]]);
  assert.deepEqual(bob.context.traits, { plan: 'free' }, 'bob\'s identify carries no trait of alice\'s');
  assert.deepEqual(after.context.traits, { plan: 'free' });
});

test('page() with no name, or no argument, is this page; a call given no object throws and is no plugin\'s drop', { timeout: 20_000 }, async () => {
  const { page, problems } = await openPage();
  const seen = await page.evaluate(async (settings) => {
    document.title = 'Home';
    const analytics = await Analytics.create(settings);
    const outcomes = [analytics.page(), analytics.page({ category: 'Docs' })];
    const thrown = [];
    for (const bad of [null, 'x', undefined]) {
      try { analytics.track(bad); } catch (e) { thrown.push([e.name, e.call, e.code]); }
    }
    await analytics.close();
    return { statuses: outcomes.map((o) => o.status), thrown, dropped: analytics.stats().dropped };
  }, settingsFor());
  assert.deepEqual(seen.statuses, ['accepted', 'accepted'], problems.join('\n'));
  assert.deepEqual(seen.thrown, [['TypeError', 'track', 'wrong_type'], ['TypeError', 'track', 'wrong_type'], ['TypeError', 'track', 'wrong_type']]);
  assert.equal(seen.dropped.by_plugin, 0);
  assert.equal(seen.dropped.invalid, 3);
  const [plain, docs] = await browser.plane.events();
  assert.equal(plain.type, 'page');
  assert.equal(plain.name, undefined, 'no name is made up');
  assert.equal(plain.properties.title, 'Home');
  assert.equal(plain.properties.path, '/test.html');
  assert.equal(docs.category, 'Docs');
});

test('events carry the page, campaign, user agent, locale, screen and time zone; page() fills its properties', { timeout: 20_000 }, async () => {
  const { page, problems } = await openPage();
  await page.goto(`${browser.siteUrl}/test.html?utm_source=news&utm_campaign=spring%20sale&utm_medium=email&utm_id=42#top`, { referer: 'https://referrer.example/post' });
  await page.waitForFunction(() => typeof window.Analytics === 'function');
  const seen = await page.evaluate(async (settings) => {
    document.title = 'Pricing';
    const analytics = await Analytics.create(settings);
    analytics.page({ name: 'Pricing', properties: { title: 'Own title' } });
    history.pushState({}, '', '/plans?x=1');  // a single-page app navigates
    document.title = 'Plans';
    analytics.track({ event: 'Viewed Plans', context: { locale: 'fr-FR' } });
    document.title = 'Plans (2 new)';  // the title alone changes
    analytics.track({ event: 'Saw Badge' });
    await analytics.close();
    return { userAgent: navigator.userAgent, language: navigator.language, width: screen.width, zone: Intl.DateTimeFormat().resolvedOptions().timeZone };
  }, settingsFor());
  const [pageEvent, track, badge] = await browser.plane.events();
  assert.ok(pageEvent, problems.join('\n'));
  // The page's address was ...#top: a fragment is never sent (sign-in flows put tokens there).
  const url = `${browser.siteUrl}/test.html?utm_source=news&utm_campaign=spring%20sale&utm_medium=email&utm_id=42`;
  assert.deepEqual(pageEvent.properties, { path: '/test.html', referrer: 'https://referrer.example/post', search: '?utm_source=news&utm_campaign=spring%20sale&utm_medium=email&utm_id=42', title: 'Own title', url },
    'the caller\'s title wins; the rest from the page');
  assert.deepEqual(pageEvent.context.page, { path: '/test.html', referrer: 'https://referrer.example/post', search: '?utm_source=news&utm_campaign=spring%20sale&utm_medium=email&utm_id=42', title: 'Pricing', url });
  assert.deepEqual(pageEvent.context.campaign, { source: 'news', name: 'spring sale', medium: 'email', id: '42' },
    'UTM parameters, named as analytics-js names them');
  assert.equal(pageEvent.context.userAgent, seen.userAgent);
  assert.equal(pageEvent.context.locale, seen.language);
  assert.equal(pageEvent.context.screen.width, seen.width);
  assert.equal(typeof pageEvent.context.screen.density, 'number');
  assert.equal(pageEvent.context.timezone, seen.zone);
  assert.equal(pageEvent.context.library.name, 'rudder-analytics-wasm');
  assert.deepEqual([track.context.page.path, track.context.page.title, track.context.page.search], ['/plans', 'Plans', '?x=1'], 'the page as it is now');
  assert.equal(track.context.campaign, undefined, 'no UTM parameters on this address');
  assert.equal(track.context.locale, 'fr-FR', 'the caller\'s context wins');
  assert.deepEqual([badge.context.page.path, badge.context.page.title], ['/plans', 'Plans (2 new)'], 'a new title alone is seen');
});

test('storage: "memory" remembers the user for the page only', { timeout: 20_000 }, async () => {
  const { page } = await openPage();
  const first = await page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    analytics.identify({ userId: 'u-1' });
    await analytics.close();
    return { anonymousId: analytics.getAnonymousId(), kept: Object.keys(localStorage), cookies: document.cookie };
  }, settingsFor({ storage: 'memory' }));
  assert.deepEqual([first.kept, first.cookies], [[], '']);
  await page.reload();
  await page.waitForFunction(() => typeof window.Analytics === 'function');
  const second = await page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    return { anonymousId: analytics.getAnonymousId(), userId: analytics.getUserId() };
  }, settingsFor({ storage: 'memory' }));
  assert.equal(second.userId, null);
  assert.notEqual(second.anonymousId, first.anonymousId);
});

test('where localStorage refuses, the user is kept in a cookie and survives a reload', { timeout: 20_000 }, async () => {
  // A private window or storage disabled: localStorage throws, cookies work.
  await browser.context.addInitScript(() => {
    Object.defineProperty(window, 'localStorage', { get() { throw new DOMException('denied', 'SecurityError'); } });
  });
  const { page } = await openPage();
  const first = await page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    analytics.identify({ userId: 'u-7', traits: { plan: 'team' } });
    await analytics.close();
    return { anonymousId: analytics.getAnonymousId(), cookies: document.cookie };
  }, settingsFor());
  assert.match(first.cookies, /(^|; )rudder_analytics_identity_[^=]+=/, 'kept in a cookie');
  assert.doesNotMatch(first.cookies, /rudder_analytics_probe/, 'the probe cookie is gone');
  await page.reload();
  await page.waitForFunction(() => typeof window.Analytics === 'function');
  const second = await page.evaluate(async (settings) => {
    const analytics = await Analytics.create(settings);
    return { anonymousId: analytics.getAnonymousId(), userId: analytics.getUserId(), traits: analytics.getUserTraits() };
  }, settingsFor());
  assert.deepEqual(second, { anonymousId: first.anonymousId, userId: 'u-7', traits: { plan: 'team' } });
});

test('in a sandboxed frame, where nothing can be kept, the client starts, warns once and hands its queue to the beacon', { timeout: 20_000 }, async () => {
  // localStorage, IndexedDB and document.cookie all throw a SecurityError there. The client
  // used to reject `ready` after it had started and leave the page's end unhooked, so its
  // accepted events were lost without a word when the page went.
  const page = await browser.context.newPage();
  await page.goto(`${browser.siteUrl}/sandboxed.html`);
  await waitFor(async () => page.frames()[1]?.evaluate(() => typeof window.Analytics === 'function').catch(() => false),
    5_000, 'the sandboxed frame to load the package');
  const frame = page.frames()[1];
  const seen = await frame.evaluate(async (settings) => {
    const warnings = [];
    const logger = { debug() {}, info() {}, warn: (line) => warnings.push(line), error: (line) => warnings.push(`error: ${line}`) };
    let cookieThrows = false;
    try { void document.cookie; } catch { cookieThrows = true; }
    window.analytics = new Analytics({ ...settings, logger });
    window.analytics.track({ event: 'made before ready' });
    await window.analytics.ready;
    const ids = ['a', 'b'].map((event) => window.analytics.track({ event }).messageId);
    // What a tab switch or the page's end looks like to it (closing the tab races Chromium's
    // teardown of the frame, beacon or not); the page's end is hooked as for any page.
    Object.defineProperty(document, 'visibilityState', { value: 'hidden', configurable: true });
    document.dispatchEvent(new Event('visibilitychange'));
    return { cookieThrows, warnings, ids, anonymousId: window.analytics.getAnonymousId(), stats: window.analytics.stats() };
  }, settingsFor({ uploadIntervalMs: 60_000 }));
  assert.ok(seen.cookieThrows, 'the frame really is sandboxed');
  assert.equal(seen.ids.filter((id) => typeof id === 'string').length, 2, 'both calls accepted');
  assert.deepEqual(seen.warnings.filter((w) => /localStorage nor cookies/.test(w)),
    ['[rudder-analytics] neither localStorage nor cookies work here: the user is kept for this page only']);
  assert.deepEqual(seen.warnings.filter((w) => w.startsWith('error')), [], 'no error: the client started');
  assert.equal(seen.stats.beaconed, 3, 'the three calls went to the beacon');
  await waitFor(async () => (await browser.plane.events()).length >= 3, 10_000, 'the beacon from the sandboxed frame');
  const events = await browser.plane.events();
  assert.deepEqual(events.map((e) => e.event), ['made before ready', 'a', 'b']);
  for (const e of events) assert.equal(e.anonymousId, seen.anonymousId, 'one visitor for the page');
  await closeTab(page);
});

test('plugins edit, drop and survive a throwing plugin in the browser', { timeout: 15_000 }, async () => {
  const { page, problems } = await openPage();
  const result = await page.evaluate(async (settings) => {
    const errors = [];
    const logger = { debug() {}, info() {}, warn() {}, error: (line) => errors.push(line) };
    const analytics = await Analytics.create({ ...settings, logger });
    analytics.addPlugin((message) => (message.event === 'Private' ? null : message));
    analytics.addPlugin((message) => {
      if (message.event === 'Boom') throw new Error('nope');
      message.properties = { ...message.properties, plan: 'pro' };  // edits the object in place
      return undefined;  // as it is
    });
    const outcomes = ['Kept', 'Private', 'Boom'].map((event) => analytics.track({ userId: 'u', event }).status);
    await analytics.close();
    return { outcomes, errors, dropped: analytics.stats().dropped.by_plugin };
  }, settingsFor());
  assert.deepEqual(result.outcomes, ['accepted', 'dropped', 'accepted'], problems.join('\n'));
  assert.equal(result.dropped, 1);
  assert.equal(result.errors.length, 1);
  const events = await browser.plane.events();
  assert.deepEqual(events.map((e) => [e.event, e.properties]), [['Kept', { plan: 'pro' }], ['Boom', {}]]);
});

test('a request whose connection the data plane drops is one attempt, counted, never sent again by the page at once', { timeout: 30_000 }, async () => {
  // The glue used to send a failed keepalive fetch again at once without keepalive: two sends
  // an attempt, the second uncounted (a copy whenever the first had been stored). Chromium
  // itself sends a request again once when a reused connection closes without an answer (the
  // first attempt reuses the preflight's): at most that one send is not counted now.
  await browser.plane.misbehave({ count: 3, drop: true });
  const { page, problems } = await openPage();
  const result = await trackThreeAndFlush(page, settingsFor({ storage: 'memory', maxRetries: 5 }));
  await page.close();
  assert.equal(result.outcome.delivered, 3, problems.join('\n'));
  const posts = (await browser.plane.requests()).filter((r) => r.method === 'POST');
  assert.equal(posts.length, 4, 'three dropped, then delivered');
  assert.ok(result.retried >= 2, `each failed attempt counted (retried ${result.retried})`);
  assert.ok(posts.length - (result.retried + 1) <= 1, `sends nobody counted: ${posts.length - (result.retried + 1)}`);
  assert.deepEqual((await storedIds()).sort(), [...result.ids].sort(), 'each once');
});

test('the browser\'s online event sends a batch waiting out its back-off after no answer, at once', { timeout: 40_000 }, async () => {
  // Back-offs double up to 30 s: a page whose network came back waited that long to send.
  await browser.plane.misbehave({ count: 100_000, drop: true });  // no answer, until reset
  const { page, problems } = await openPage();
  await page.evaluate(async (settings) => {
    window.analytics = await Analytics.create(settings);
    window.analytics.track({ userId: 'u', event: 'After the outage' });
    while (window.analytics.stats().retried < 5) await new Promise((r) => setTimeout(r, 10));
  }, settingsFor({ uploadIntervalMs: 50, maxRetries: 10, storage: 'memory' }));
  // The next attempt waits up to 8 s now (full jitter). The network is back:
  await fetch(`${browser.plane.url}/_control/reset`, { method: 'POST' });
  const result = await page.evaluate(async () => {
    const backAt = performance.now();
    window.dispatchEvent(new Event('online'));
    while (window.analytics.stats().delivered < 1) await new Promise((r) => setTimeout(r, 5));
    return { tookMs: performance.now() - backAt, stats: window.analytics.stats() };
  });
  assert.equal(result.stats.delivered, 1, problems.join('\n'));
  assert.ok(result.tookMs < 600, `delivered ${Math.round(result.tookMs)} ms after the online event`);
});
