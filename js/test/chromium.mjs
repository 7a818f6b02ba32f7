// rudder-analytics js tests: headless Chromium (Debian's, driven by playwright-core) and a page
// that loads the package from a static server on another origin than the data plane.
// Copyright the rudder-analytics authors. MIT licence.
import { after, afterEach, before, beforeEach } from 'node:test';
import { chromium } from 'playwright-core';
import { REPO, startPlane } from './helpers.mjs';
import { startStaticServer } from './static-server.mjs';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = [
  '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--no-first-run',
];
// The page only loads the package; each test drives it through page.evaluate. The empty icon
// saves a favicon request (a 404 in the console otherwise).
const PAGE = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>browser test</title>
<script type="module">
  import { Analytics } from '/dist/index.mjs';
  window.Analytics = Analytics;
</script>`;

// The same page in a frame sandboxed as ad and widget hosts do: scripts run, but its origin is
// opaque, so localStorage, IndexedDB and document.cookie all throw a SecurityError.
const SANDBOXED = `<!doctype html><meta charset="utf-8"><link rel="icon" href="data:,"><title>sandbox</title>
<iframe sandbox="allow-scripts" src="/test.html"></iframe>`;

/** Chromium and the site serving js/dist. Close both with `await close()`. */
export async function startBrowser() {
  const site = await startStaticServer({ dir: `${REPO}js/dist`, pages: { '/test.html': PAGE, '/sandboxed.html': SANDBOXED } });
  let browser;
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, timeout: 15_000 });
  } catch (error) {
    await site.close();
    // A failure, not a skip: a browser test that silently does not run proves nothing.
    throw new Error(`could not start Chromium at ${CHROMIUM}: ${error.message}`);
  }
  return {
    site,
    browser,
    close: async () => { await browser.close(); await site.close(); },
  };
}

/**
 * A new tab in `context` (a browser profile: its IndexedDB, locks and beacon queue are shared
 * by its tabs) with the page loaded. `problems` collects page errors and console errors.
 */
export async function openTab(context, siteUrl) {
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (m) => { if (m.type() === 'error') problems.push(`console: ${m.text()}`); });
  await page.goto(`${siteUrl}/test.html`);
  try {
    await page.waitForFunction(() => typeof window.Analytics === 'function', null, { timeout: 5_000 });
  } catch (error) {
    throw new Error(`the page did not load /dist/index.mjs: ${problems.join('; ') || error.message}`);
  }
  return { page, problems };
}

/**
 * Closes `page` as a user closing the tab would (pagehide and the rest run), and waits until
 * it is gone: page.close() with runBeforeUnload returns before the page has closed, while its
 * timers may still send.
 */
export async function closeTab(page) {
  const gone = page.waitForEvent('close');
  await page.close({ runBeforeUnload: true });
  await gone;
}

/**
 * Hooks for a test file of browser tests: a data plane and Chromium for the whole file, the
 * plane reset and a fresh context (profile) for each test, closed after it. Returns an object
 * whose `plane`, `context` and `siteUrl` are current once a test runs, and `openPage()`, a new
 * tab in the test's context.
 */
export function browserTests() {
  const state = {
    plane: null,
    context: null,
    siteUrl: '',
    openPage: () => openTab(state.context, state.siteUrl),
  };
  let running = null;
  before(async () => {
    state.plane = await startPlane();
    running = await startBrowser();
    state.siteUrl = running.site.url;
  });
  beforeEach(async () => {
    await fetch(`${state.plane.url}/_control/reset`, { method: 'POST' });
    state.context = await running.browser.newContext();
  });
  afterEach(async () => { await state.context?.close(); state.context = null; });
  after(async () => {
    await running?.close();
    await state.plane?.close();
  });
  return state;
}
