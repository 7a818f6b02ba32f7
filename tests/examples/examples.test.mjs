// rudder-analytics tests: the C and Python examples (examples/c, examples/python) deliver the
// six calls to the local data plane through the C API; the Python one as the reference Python
// SDK's document writes them. Run by CTest (tests/packaging/tests.cmake) with
// RUDDER_C_EXAMPLE (the built c_example) and RUDDER_ANALYTICS_LIBRARY (a shared build).
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { startDataPlane } from '../dataplane/server.mjs';

const run = promisify(execFile);
const PYTHON_EXAMPLE = fileURLToPath(new URL('../../examples/python/six_calls.py', import.meta.url));
const KEY = 'test-write-key';

let plane;
before(async () => { plane = await startDataPlane({ port: 0 }); });
after(() => plane.close());

const stored = () => plane.state.events.map((e) => ({ ...e }));

test('the C example sends the six calls', async () => {
  plane.state.events.length = 0;
  const { stdout } = await run(process.env.RUDDER_C_EXAMPLE, [plane.url, KEY]);
  assert.match(stdout, /refused as expected: event: is required/);
  assert.match(stdout, /6 calls accepted; flush: \{"delivered":6,/);
  const events = stored();
  assert.deepEqual(events.map((e) => e.type), ['identify', 'track', 'page', 'screen', 'group', 'alias']);
  assert.deepEqual(events[1].properties, { title: 'The Analytical Engine', words: 1843 });
  assert.equal(events[0].context.library.name, 'rudder-analytics-cpp');
});

test('the Python example sends the reference document\'s six calls', async () => {
  plane.state.events.length = 0;
  const { stdout } = await run('python3', [PYTHON_EXAMPLE, plane.url, KEY], { env: { ...process.env } });
  assert.match(stdout, /refused as expected: track: event: is required/);
  assert.match(stdout, /refused as expected: track: properties\.price: Out of range float values are not JSON compliant/);
  assert.match(stdout, /delivered 6, failed 0, unknown 0, still pending 0/);
  const [identify, track, page, screen, group, alias] = stored();
  assert.deepEqual([identify.type, identify.userId, identify.traits], ['identify', '123456', { email: 'name@surname.com', name: 'John Doe', friends: 16 }]);
  assert.deepEqual([track.event, track.properties.title], ['Article Read', 'The Independence']);
  assert.deepEqual([page.userId, page.category, page.name, page.properties], ['userId', 'Documentation', 'Sample Doc', { url: 'http://rudderstack.com' }]);
  assert.deepEqual([screen.category, screen.name, screen.properties], ['Settings', 'Brightness', { from: 'Settings Screen' }]);
  assert.deepEqual([group.groupId, group.traits], ['groupid', { name: 'Company', domain: 'IT' }]);
  assert.deepEqual([alias.previousId, alias.userId], ['previousid', 'userid']);
});

test('the Python module reads a datetime without a time zone as the reference SDK does', async () => {
  // datetime.now() (within 5 s of the local clock) is local time, any other naive datetime UTC;
  // the module used to read both as UTC, five hours off in New York.
  plane.state.events.length = 0;
  const script = `
import datetime, sys, time
sys.path.insert(0, ${JSON.stringify(fileURLToPath(new URL('../../examples/python/', import.meta.url)))})
import rudder_analytics
rudder_analytics.data_plane_url = sys.argv[1]
rudder_analytics.write_key = sys.argv[2]
now_ms = int(time.time() * 1000)
rudder_analytics.track('u', 'Now', timestamp=datetime.datetime.now())
rudder_analytics.track('u', 'Then', timestamp=datetime.datetime(2020, 1, 2, 3, 4, 5))
rudder_analytics.flush()
print(now_ms)
`;
  const { stdout } = await run('python3', ['-c', script, plane.url, KEY], { env: { ...process.env, TZ: 'America/New_York' } });
  const nowMs = Number(stdout.trim().split('\n').pop());
  const [now, then] = stored();
  assert.equal(now.event, 'Now');
  assert.ok(Math.abs(Date.parse(now.timestamp) - nowMs) < 2000, `${now.timestamp} is now (${new Date(nowMs).toISOString()})`);
  assert.equal(then.timestamp, '2020-01-02T03:04:05.000Z');
});

test('the Python module reports an answer the data plane refused through on_error', async () => {
  plane.state.events.length = 0;
  const failed = await run('python3', [PYTHON_EXAMPLE, plane.url, 'wrong-key']).then(() => null, (e) => e);
  assert.ok(failed, 'exits non-zero when nothing was delivered');
  assert.match(failed.stdout, /Error response: HTTP 401: invalid write key/);
  assert.equal(stored().length, 0);
});
