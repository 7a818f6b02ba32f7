// rudder-analytics js tests: the local data plane (tests/dataplane/server.mjs) and small waits.
// Copyright the rudder-analytics authors. MIT licence.
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));
export const WRITE_KEY = 'test-write-key';

const { startDataPlane } = await import(new URL('../../tests/dataplane/server.mjs', import.meta.url));
/** The data plane itself, for a test that needs its own (TLS) or its in-process state. */
export { startDataPlane };

/** A data plane on a free loopback port, with its control API. Close it with `await plane.close()`. */
export async function startPlane(options = {}) {
  const plane = await startDataPlane({ port: 0, ...options });
  const control = async (path, body) => {
    const init = body === undefined ? {} : { method: 'POST', body: JSON.stringify(body), headers: { 'content-type': 'application/json' } };
    const res = await fetch(`${plane.url}/_control/${path}`, init);
    return res.json();
  };
  return {
    url: plane.url,
    events: () => control('events'),
    requests: () => control('requests'),
    misbehave: (rule) => control('misbehave', rule),
    config: (settings) => control('config', settings),
    close: () => plane.close(),
  };
}

/** Resolves once `check()` is truthy (polled), or rejects after `timeoutMs`. */
export async function waitFor(check, timeoutMs = 10_000, what = 'condition') {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

// A logger that drops every line, for tests whose failures are meant to be quiet.
export const QUIET = Object.freeze({ debug() {}, info() {}, warn() {}, error() {} });

export const ISO_MS = /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/;
export const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
