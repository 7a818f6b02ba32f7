// The rudder-analytics CLI, run as a user runs it, against the project's local data plane.
// node --test (Node 20, no npm packages). The binary: $RUDDER_CLI, default build/cli/rudder-analytics.
import { test, before, after, beforeEach } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { startDataPlane } from '../dataplane/server.mjs';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CLI = process.env.RUDDER_CLI
  ? path.resolve(process.env.RUDDER_CLI)
  : path.join(root, 'build/cli/rudder-analytics');
const KEY = 'test-write-key';
const SUMMARY = /^delivered (\d+), failed (\d+), unknown (\d+), dropped (\d+), invalid (\d+)\n$/;

let plane;
let scratch;

before(async () => {
  plane = await startDataPlane({ port: 0 });
  scratch = mkdtempSync(path.join(tmpdir(), 'rudder-cli-test-'));
});
after(async () => {
  await plane?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});
beforeEach(async () => {
  await control('POST', '/_control/reset');
});

async function control(method, route, body) {
  const response = await fetch(plane.url + route, {
    method,
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  assert.equal(response.status, 200, `${method} ${route}: ${await response.clone().text()}`);
  return response.json().catch(() => null);
}

const storedEvents = () => control('GET', '/_control/events');

// Runs the CLI with a clean environment (no RUDDER_* from the caller's shell) plus `env`,
// feeding `input` to its standard input. Never hangs the suite: killed after a minute.
function run(args, { input = '', env = {} } = {}) {
  const base = Object.fromEntries(
    Object.entries(process.env).filter(([name]) => !name.startsWith('RUDDER_')),
  );
  return new Promise((resolve, reject) => {
    const child = spawn(CLI, args, { env: { ...base, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
    child.stdin.on('error', () => {}); // the CLI may exit (usage error) before reading it all
    child.stdin.end(input);
  });
}

// The settings every sending run needs, as flags.
const target = () => ['--write-key', KEY, '--data-plane-url', plane.url, '--upload-interval', '0.05'];

function summary(stdout) {
  const m = SUMMARY.exec(stdout);
  assert.ok(m, `one summary line on stdout, got ${JSON.stringify(stdout)}`);
  const [delivered, failed, unknown, dropped, invalid] = m.slice(1).map(Number);
  // Tests that expect no unknown events need not say so.
  return unknown === 0 ? { delivered, failed, dropped, invalid } : { delivered, failed, unknown, dropped, invalid };
}

function assertDelivered(result, count) {
  assert.equal(result.code, 0, `exit 0 expected; stderr: ${result.stderr}`);
  assert.deepEqual(summary(result.stdout), { delivered: count, failed: 0, dropped: 0, invalid: 0 });
  assert.equal(result.stderr, '', 'nothing on stderr after a clean run');
}

// ---- one call from flags -------------------------------------------------------------------

test('each of the six commands arrives with its fields; --user-id 42 stays the string "42"', async () => {
  const calls = [
    {
      args: ['identify', '--user-id', '42', '--traits', '{"email":"ada@example.com","friends":16}'],
      check: (e) => {
        assert.equal(e.type, 'identify');
        assert.deepEqual(e.traits, { email: 'ada@example.com', friends: 16 });
      },
    },
    {
      args: ['track', '--user-id', '42', '--event', 'Signed Up', '--properties', '{"plan":"pro"}'],
      check: (e) => {
        assert.equal(e.type, 'track');
        assert.equal(e.event, 'Signed Up');
        assert.deepEqual(e.properties, { plan: 'pro' });
      },
    },
    {
      args: ['page', '--user-id', '42', '--name', 'Getting Started', '--category', 'Docs',
        '--properties', '{"url":"https://example.com/start"}'],
      check: (e) => {
        assert.equal(e.type, 'page');
        assert.equal(e.name, 'Getting Started');
        assert.equal(e.category, 'Docs');
        assert.equal(e.properties.url, 'https://example.com/start');
      },
    },
    {
      args: ['screen', '--user-id', '42', '--name', 'Brightness', '--category', 'Settings',
        '--properties', '{"from":"Home"}'],
      check: (e) => {
        assert.equal(e.type, 'screen');
        assert.equal(e.name, 'Brightness');
        assert.equal(e.category, 'Settings');
        assert.equal(e.properties.from, 'Home');
      },
    },
    {
      args: ['group', '--user-id', '42', '--group-id', 'company-7', '--traits', '{"plan":"pro"}'],
      check: (e) => {
        assert.equal(e.type, 'group');
        assert.equal(e.groupId, 'company-7');
        assert.deepEqual(e.traits, { plan: 'pro' });
      },
    },
    {
      args: ['alias', '--previous-id', 'anon-9', '--user-id', '42'],
      check: (e) => {
        assert.equal(e.type, 'alias');
        assert.equal(e.previousId, 'anon-9');
      },
    },
  ];
  for (const { args, check } of calls) {
    await control('POST', '/_control/reset');
    const result = await run([...args, ...target()]);
    assertDelivered(result, 1);
    const events = await storedEvents();
    assert.equal(events.length, 1, `${args[0]}: one event stored`);
    assert.equal(events[0].userId, '42', `${args[0]}: userId is the string "42"`);
    check(events[0]);
  }
});

test('the flags of every call: --anonymous-id --context --integrations --timestamp --message-id', async () => {
  const result = await run([
    'track', '--anonymous-id', 'anon-1', '--event', 'Order Paid',
    '--context', '{"ip":"203.0.113.9"}',
    '--integrations', '{"All":false,"Amplitude":true}',
    '--timestamp', '2023-11-14T22:13:20.123Z',
    '--message-id', 'order-1234-paid',
    ...target(),
  ]);
  assertDelivered(result, 1);
  const [e] = await storedEvents();
  assert.equal(e.anonymousId, 'anon-1');
  assert.ok(!('userId' in e) || e.userId === '' || e.userId === null, 'no user id was given');
  assert.equal(e.context.ip, '203.0.113.9');
  assert.deepEqual(e.integrations, { All: false, Amplitude: true });
  assert.equal(e.timestamp, '2023-11-14T22:13:20.123Z');
  assert.equal(e.messageId, 'order-1234-paid');
});

test('--timestamp also takes milliseconds since 1970; --flag=value works', async () => {
  const result = await run(['track', '--user-id=7', '--event=Ping', '--timestamp=1700000000123', ...target()]);
  assertDelivered(result, 1);
  const [e] = await storedEvents();
  assert.equal(e.userId, '7');
  assert.equal(e.timestamp, '2023-11-14T22:13:20.123Z');
});

// Issue 7: a timestamp is sent exactly for any instant of years 0001-9999 or refused naming
// it, never clamped or wrapped (a nanosecond clock holds only 1677-2262).
test('--timestamp across the years 1 to 9999 arrives exactly; years outside are refused naming timestamp', async () => {
  const given = ['0001-01-01T00:00:00.000Z', '1600-02-29T12:00:00.000Z', '2300-01-01T00:00:00.000Z',
    '9999-12-31T23:59:59.999Z'];
  const arrived = {};
  for (const [i, timestamp] of given.entries()) {
    const result = await run(['track', '--user-id', '1', '--event', 'Then', '--message-id', `then-${i}`,
      '--timestamp', timestamp, ...target()]);
    assertDelivered(result, 1);
  }
  for (const e of await storedEvents()) arrived[e.messageId] = e.timestamp;
  assert.deepEqual(arrived, Object.fromEntries(given.map((t, i) => [`then-${i}`, t])));

  // Milliseconds since 1970 before it too, as NDJSON's numbers are: the first instant of year 1.
  const early = await run(['track', '--user-id', '1', '--event', 'Then', '--message-id', 'then-early',
    '--timestamp', '-62135596800000', ...target()]);
  assertDelivered(early, 1);
  const before1970 = await run(['track', '--user-id', '1', '--event', 'Then', '--message-id', 'then-before',
    '--timestamp=-100000000001', ...target()]);
  assertDelivered(before1970, 1);
  const stored = Object.fromEntries((await storedEvents()).map((e) => [e.messageId, e.timestamp]));
  assert.equal(stored['then-early'], '0001-01-01T00:00:00.000Z');
  assert.equal(stored['then-before'], '1966-10-31T14:13:19.999Z');
  given.push('early', 'before');  // counted below

  for (const timestamp of ['10000-01-01T00:00:00.000Z', '0000-12-31T00:00:00.000Z', '-62135596800001',
    '99999999999999999999']) {
    const result = await run(['track', '--user-id', '1', '--event', 'Then', '--timestamp', timestamp, ...target()]);
    assert.equal(result.code, 2, `${timestamp}: exit 2 (the flag is wrong); stderr: ${result.stderr}`);
    assert.equal(result.stdout, '', timestamp);
    assert.match(result.stderr, /^error: invalid track call: timestamp: .*\(see --timestamp\)$/m, timestamp);
    if (/^-?\d+$/.test(timestamp)) assert.match(result.stderr, /timestamp: is outside the years 1 to 9999/, timestamp);
  }
  // Seconds since 1970 (date +%s) are refused, not sent as a time in January 1970.
  for (const timestamp of ['1700000000', '-1', '0']) {
    const result = await run(['track', '--user-id', '1', '--event', 'Then', '--timestamp', timestamp, ...target()]);
    assert.equal(result.code, 2, `${timestamp}: stderr: ${result.stderr}`);
    assert.match(result.stderr, /^error: invalid track call: timestamp: is milliseconds since 1970 and this is within 3 years of 1970: seconds must be multiplied by 1000/m, timestamp);
  }
  assert.equal((await storedEvents()).length, given.length, 'nothing more was sent');
});

test('a call the library refuses is a usage error: exit 2, the field and its flag named, nothing sent', async () => {
  const result = await run(['track', '--user-id', '42', ...target()]);
  assert.equal(result.code, 2);
  assert.equal(result.stdout, '');
  assert.match(result.stderr, /^error: invalid track call: event: .*\(see --event\)$/m);
  assert.match(result.stderr, /rudder-analytics track --help lists its flags/);
  const props = await run(['track', '--user-id', '42', '--event', 'E', '--properties', '[1,2]', ...target()]);
  assert.equal(props.code, 2);
  assert.match(props.stderr, /properties: must be an object.*--properties/);
  assert.equal((await storedEvents()).length, 0);
});

// ---- many calls: NDJSON --------------------------------------------------------------------

test('ndjson from stdin: 1,000 lines all arrive exactly once, even through a small queue', async () => {
  const lines = [];
  for (let i = 0; i < 1000; i++) {
    lines.push(JSON.stringify({ type: 'track', userId: `u${i % 17}`, event: 'Bulk', properties: { i } }));
  }
  // A queue of 50 fills at once: the CLI must wait and retry, never drop.
  const result = await run(['--ndjson', '-', ...target(), '--max-queue-size', '50', '--upload-size', '25'],
    { input: lines.join('\n') + '\n' });
  assertDelivered(result, 1000);
  const events = await storedEvents();
  assert.equal(events.length, 1000);
  assert.equal(new Set(events.map((e) => e.messageId)).size, 1000, 'unique messageIds');
  const seen = events.map((e) => e.properties.i).sort((a, b) => a - b);
  assert.deepEqual(seen, [...Array(1000).keys()], 'every line once');
});

test('ndjson: an invalid line is named by number, exit 1, the valid lines still delivered', async () => {
  const file = path.join(scratch, 'mixed.ndjson');
  writeFileSync(file, [
    '{"type":"track","userId":"a","event":"One"}',
    '{"type":"track","userId":"b",',                       // 2: not JSON
    '',                                                     // 3: blank, skipped
    '{"type":"identify","userId":"c","traits":{"n":1}}',
    '{"type":"track","userId":"d"}',                         // 5: no event
    '   ',                                                  // 6: blank, skipped
    '{"type":"teleport","userId":"e"}',                      // 7: no such type
    '{"type":"alias","previousId":"x","userId":"f"}\r',     // 8: CRLF is fine
  ].join('\n'));
  const result = await run(['--ndjson', file, ...target()]);
  assert.equal(result.code, 1, result.stderr);
  assert.deepEqual(summary(result.stdout), { delivered: 3, failed: 0, dropped: 0, invalid: 3 });
  assert.match(result.stderr, /^line 2: not valid JSON: /m);
  assert.match(result.stderr, /^line 5: event: /m);
  assert.match(result.stderr, /^line 7: type: /m);
  assert.doesNotMatch(result.stderr, /^line [13468]:/m);
  const events = await storedEvents();
  assert.deepEqual(events.map((e) => e.userId).sort(), ['a', 'c', 'f']);
});

test('ndjson: lines nested too deep are refused by line (and field), unparsed past 1,000 levels; the run survives', async () => {
  const nested = (levels) => '['.repeat(levels) + ']'.repeat(levels);
  // Ten million levels: parsed, a tree of 3.7 GB for a 100 MB line (a security review); now
  // refused by a scan that builds nothing.
  const input = [
    JSON.stringify({ type: 'track', userId: 'a', event: 'Before' }),
    `{"type":"track","userId":"b","event":"Deep","properties":{"x":${nested(300)}}}`,
    `{"type":"track","userId":"b","event":"Deeper","properties":{"x":${nested(10_000_000)}}}`,
    `{"type":"track","userId":"b","event":"Brackets in text","properties":{"x":"${'['.repeat(5_000)}"}}`,
    JSON.stringify({ type: 'track', userId: 'c', event: 'After' }),
  ].join('\n');
  const result = await run(['--ndjson', '-', ...target()], { input });
  assert.equal(result.signal, null, 'no crash');
  assert.equal(result.code, 1, result.stderr);
  assert.deepEqual(summary(result.stdout), { delivered: 3, failed: 0, dropped: 0, invalid: 2 });
  assert.match(result.stderr, /^line 2: properties\.x: is nested deeper than 256 levels$/m, 'the library names the field');
  assert.match(result.stderr, /^line 3: is nested deeper than 1000 levels$/m);
});

test('ndjson: an empty input sends nothing and succeeds', async () => {
  assertDelivered(await run(['--ndjson', '-', ...target()], { input: '\n\n' }), 0);
});

// ---- delivery failures ---------------------------------------------------------------------

test("a wrong write key: exit 1, the server's 401 body on stderr", async () => {
  const result = await run(['track', '--user-id', '1', '--event', 'E',
    '--write-key', 'not-the-key', '--data-plane-url', plane.url]);
  assert.equal(result.code, 1);
  assert.deepEqual(summary(result.stdout), { delivered: 0, failed: 1, dropped: 0, invalid: 0 });
  assert.match(result.stderr, /^error: data plane answered HTTP 401: invalid write key$/m);
  assert.equal((await storedEvents()).length, 0);
});

test('a 5xx is retried and then delivered: exit 0', async () => {
  await control('POST', '/_control/misbehave', { count: 1, status: 503 });
  const result = await run(['track', '--user-id', '1', '--event', 'E', ...target()]);
  assertDelivered(result, 1);
  assert.equal((await storedEvents()).length, 1);
});

test('an unreachable data plane: exit 1 once retries run out, within the flush timeout', async () => {
  const closed = await startDataPlane({ port: 0 });
  const url = closed.url;
  await closed.close();
  const result = await run(['track', '--user-id', '1', '--event', 'E', '--write-key', KEY,
    '--data-plane-url', url, '--max-retries', '0', '--timeout', '2']);
  assert.equal(result.code, 1);
  assert.deepEqual(summary(result.stdout), { delivered: 0, failed: 1, dropped: 0, invalid: 0 });
  assert.match(result.stderr, /^error: could not deliver to the data plane: /m);
});

test('--flush-timeout runs out: the rest is counted as dropped, exit 1', async () => {
  await control('POST', '/_control/misbehave', { count: 1000, status: 503 });
  const started = Date.now();
  const result = await run(['track', '--user-id', '1', '--event', 'E', ...target(),
    '--flush-timeout', '0.5']);
  assert.ok(Date.now() - started < 10_000, 'ends soon after the flush timeout');
  assert.equal(result.code, 1);
  assert.deepEqual(summary(result.stdout), { delivered: 0, failed: 0, dropped: 1, invalid: 0 });
  assert.match(result.stderr, /^error: 1 event was still undelivered when the flush timeout \(0\.5 s\) ran out \(the last attempt got HTTP 503: [^)]*\); see --flush-timeout$/m);
});

test('--flush-timeout runs out against a data plane that is not there: stderr says what the last attempt got', async () => {
  const closed = await startDataPlane({ port: 0 });
  const url = closed.url;
  await closed.close();
  const result = await run(['track', '--user-id', '1', '--event', 'E', '--write-key', KEY,
    '--data-plane-url', url, '--flush-timeout', '1']);
  assert.equal(result.code, 1);
  assert.deepEqual(summary(result.stdout), { delivered: 0, failed: 0, dropped: 1, invalid: 0 });
  assert.match(result.stderr, /^error: 1 event was still undelivered when the flush timeout \(1 s\) ran out \(the last attempt got network error: [^\n]*[Cc]onnect[^\n]*\); see --flush-timeout$/m);
});

// ---- the command line ----------------------------------------------------------------------

test('usage errors exit 2, name the flag, and send nothing', async () => {
  const cases = [
    [['track', '--user-id', '1', '--event', 'E', '--bogus'], /unknown flag --bogus/],
    [['track', '--user-id', '1', '--event'], /--event needs a value/],
    [['track', '--user-id', '--event', 'E'], /--user-id needs a value/],
    [['track', '--user-id', '1', '--event', 'E', '--traits', '{}'], /--traits is not a flag of track/],
    [['alias', '--previous-id', 'a', '--user-id', 'b', '--event', 'E'], /--event is not a flag of alias/],
    [['track', '--user-id', '1', '--event', 'E', '--properties', '{"plan":'], /--properties: not valid JSON/],
    [['track', '--user-id', '1', '--event', 'E', '--timeout', 'soon'], /--timeout: "soon" is not a number of seconds/],
    [['track', '--user-id', '1', '--event', 'E', '--max-retries', '-1'], /--max-retries: must be 0 or more, not "-1"/],
    [['track', '--user-id', '1', '--event', 'E', '--max-retries', '-x'], /--max-retries: "-x" is not a whole number/],
    [['track', '--user-id', '1', '--event', 'E', '--timeout', '-1.5'], /--timeout: must be 0 or more seconds, not "-1.5"/],
    [['track', '--user-id', '1', '--event', 'E', '--upload-size', '0'], /--upload-size: must be at least 1/],
    [['track', '--user-id', '1', '--user-id', '2', '--event', 'E'], /--user-id is given twice/],
    [['--debug=yes', 'track', '--user-id', '1', '--event', 'E'], /--debug takes no value/],
    [['teleport', '--user-id', '1'], /unknown command "teleport"/],
    [['track', 'identify'], /one command per run/],
    [['--ndjson', '-', 'track', '--user-id', '1', '--event', 'E'], /--ndjson .* cannot be combined/],
    [['--ndjson', '-', '--user-id', '1'], /--user-id belongs to a command/],
    [['--ndjson', path.join(root, 'no-such-file.ndjson')], /--ndjson: cannot open .*no-such-file/],
    [[], /Usage:/],
  ];
  for (const [args, expected] of cases) {
    const needsTarget = args.length > 0;
    const result = await run(needsTarget ? [...args, ...target()] : args, { input: '{"type":"track","userId":"1","event":"E"}\n' });
    assert.equal(result.code, 2, `${args.join(' ')}: exit 2; stderr: ${result.stderr}`);
    assert.match(result.stderr, expected, args.join(' '));
    assert.equal(result.stdout, '', `${args.join(' ')}: no summary`);
  }
  assert.equal((await storedEvents()).length, 0, 'nothing was sent');
});

test('missing write key or data plane URL: exit 2 naming the flag and the variable', async () => {
  const noKey = await run(['track', '--user-id', '1', '--event', 'E', '--data-plane-url', plane.url]);
  assert.equal(noKey.code, 2);
  assert.match(noKey.stderr, /--write-key.*RUDDER_WRITE_KEY/);
  const noUrl = await run(['track', '--user-id', '1', '--event', 'E', '--write-key', KEY]);
  assert.equal(noUrl.code, 2);
  assert.match(noUrl.stderr, /--data-plane-url.*RUDDER_DATA_PLANE_URL/);
  const badUrl = await run(['track', '--user-id', '1', '--event', 'E'],
    { env: { RUDDER_WRITE_KEY: KEY, RUDDER_DATA_PLANE_URL: 'ftp://example.com' } });
  assert.equal(badUrl.code, 2);
  assert.match(badUrl.stderr, /RUDDER_DATA_PLANE_URL: must start with http/);
  assert.equal((await storedEvents()).length, 0);
});

test('a data plane URL with a query: exit 2 naming the flag or variable, never printing the password or key', async () => {
  const url = `http://user:s3cret-pw@127.0.0.1:${plane.port}/v1/batch?writeKey=${KEY}`;
  const fromFlag = await run(['track', '--user-id', '1', '--event', 'E', '--write-key', KEY, '--data-plane-url', url]);
  const fromEnv = await run(['track', '--user-id', '1', '--event', 'E'],
    { env: { RUDDER_WRITE_KEY: KEY, RUDDER_DATA_PLANE_URL: url } });
  for (const [result, name] of [[fromFlag, '--data-plane-url'], [fromEnv, 'RUDDER_DATA_PLANE_URL']]) {
    assert.equal(result.code, 2, `${name}: exit 2; stderr: ${result.stderr}`);
    assert.equal(result.stdout, '');
    assert.ok(result.stderr.includes(`${name}: must not have a query ('?')`), result.stderr);
    assert.ok(result.stderr.includes('http://***@127.0.0.1'), `the URL shown, redacted: ${result.stderr}`);
    assert.ok(!result.stderr.includes('s3cret'), `no password: ${result.stderr}`);
    assert.ok(!result.stderr.includes(KEY), `no write key: ${result.stderr}`);
  }
  assert.equal((await control('GET', '/_control/stats')).requests, 0, 'nothing was sent');
});

test('RUDDER_WRITE_KEY and RUDDER_DATA_PLANE_URL work, and flags win over them', async () => {
  const fromEnv = await run(['track', '--user-id', '1', '--event', 'From Env'],
    { env: { RUDDER_WRITE_KEY: KEY, RUDDER_DATA_PLANE_URL: plane.url } });
  assertDelivered(fromEnv, 1);
  const flagsWin = await run(['track', '--user-id', '2', '--event', 'Flags Win', '--write-key', KEY],
    { env: { RUDDER_WRITE_KEY: 'not-the-key', RUDDER_DATA_PLANE_URL: plane.url } });
  assertDelivered(flagsWin, 1);
  const events = await storedEvents();
  assert.deepEqual(events.map((e) => e.event).sort(), ['Flags Win', 'From Env']);
});

test('--help and --version exit 0 on stdout', async () => {
  const help = await run(['--help']);
  assert.equal(help.code, 0);
  assert.match(help.stdout, /^Usage:/);
  for (const flag of ['--write-key', '--data-plane-url', '--no-gzip', '--timeout', '--max-retries',
    '--upload-size', '--upload-interval', '--max-queue-size', '--flush-timeout', '--debug',
    '--ndjson', '--anonymous-id', '--context', '--integrations', '--timestamp', '--message-id']) {
    assert.ok(help.stdout.includes(flag), `--help mentions ${flag}`);
  }
  const version = await run(['--version']);
  assert.equal(version.code, 0);
  assert.match(version.stdout, /^rudder-analytics \d+\.\d+\.\d+\n$/);
});

test('--no-gzip and fractional seconds are accepted and still deliver', async () => {
  const result = await run(['screen', '--user-id', '1', '--name', 'Home', ...target(), '--no-gzip',
    '--timeout', '2.5', '--flush-timeout', '10.25', '--max-retries', '2']);
  assertDelivered(result, 1);
});

test('a redirect: exit 1, stderr names where it pointed and what to change', async () => {
  await control('POST', '/_control/misbehave', { count: 1, status: 303, location: 'http://127.0.0.1:1/elsewhere' });
  const result = await run(['track', '--user-id', '1', '--event', 'E', ...target()]);
  assert.equal(result.code, 1);
  assert.deepEqual(summary(result.stdout), { delivered: 0, failed: 1, dropped: 0, invalid: 0 });
  assert.match(result.stderr, /^error: could not deliver to the data plane: HTTP 303 redirect to "http:\/\/127\.0\.0\.1:1\/elsewhere": redirects are not followed/m);
  const requests = await control('GET', '/_control/requests');
  assert.deepEqual(requests.map((r) => r.method), ['POST'], 'never followed');
});

// ---- storage -------------------------------------------------------------------------------

const STORED_SUMMARY = /^delivered (\d+), failed (\d+), unknown (\d+), dropped (\d+), invalid (\d+), recovered (\d+), kept (\d+)\n$/;

function storedSummary(stdout) {
  const m = STORED_SUMMARY.exec(stdout);
  assert.ok(m, `a summary line with recovered and kept, got ${JSON.stringify(stdout)}`);
  const [delivered, failed, unknown, dropped, invalid, recovered, kept] = m.slice(1).map(Number);
  return { delivered, failed, unknown, dropped, invalid, recovered, kept };
}

test('--storage-dir where no 1 MiB segment fits (a file-size limit) exits 2 naming it, not killed by SIGXFSZ', async () => {
  const dir = mkdtempSync(path.join(scratch, 'limited-'));
  const result = await new Promise((resolve) => {
    const child = spawn('sh', ['-c', 'ulimit -f 64; exec "$0" "$@"', CLI, 'track', '--user-id', 'u', '--event', 'E', ...target(), '--storage-dir', dir],
      { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stderr }));
  });
  assert.deepEqual([result.code, result.signal], [2, null], result.stderr);
  assert.match(result.stderr, /^error: --storage-dir: cannot reserve 1048576 bytes for ".*-00000001\.seg": File too large$/m);
  assert.equal((await storedEvents()).length, 0, 'nothing sent');
});

test('--storage-dir: what the flush timeout left is kept, and `flush --storage-dir` delivers it once', async () => {
  const dir = mkdtempSync(path.join(scratch, 'store-'));
  await control('POST', '/_control/misbehave', { count: 1000, status: 503 });
  const first = await run(['track', '--user-id', '1', '--event', 'Kept', '--message-id', 'kept-1',
    ...target(), '--storage-dir', dir, '--flush-timeout', '0.5', '--max-retries', '0']);
  assert.equal(first.code, 1);
  assert.deepEqual(storedSummary(first.stdout),
    { delivered: 0, failed: 0, unknown: 0, dropped: 0, invalid: 0, recovered: 0, kept: 1 });
  assert.match(first.stderr, /^error: 1 event was not delivered before the flush timeout \(0\.5 s\) ran out: kept in --storage-dir/m);
  // Why, told once: past --max-retries a stored batch is still retried, and the log says so.
  assert.match(first.stderr, /^warning: the data plane has not accepted a batch in 1 attempt \(last: HTTP 503.*\); 1 event is kept in storage and retried until it does$/m);
  assert.equal(first.stderr.match(/^warning:/gm).length, 1, first.stderr);

  await control('POST', '/_control/reset');
  const second = await run(['flush', '--storage-dir', dir, ...target()]);
  assert.equal(second.code, 0, second.stderr);
  assert.deepEqual(storedSummary(second.stdout),
    { delivered: 1, failed: 0, unknown: 0, dropped: 0, invalid: 0, recovered: 1, kept: 0 });
  const events = await storedEvents();
  assert.deepEqual(events.map((e) => e.messageId), ['kept-1']);
  assert.equal(events[0].event, 'Kept');

  const again = await run(['flush', '--storage-dir', dir, ...target()]);
  assert.deepEqual(storedSummary(again.stdout),
    { delivered: 0, failed: 0, unknown: 0, dropped: 0, invalid: 0, recovered: 0, kept: 0 });
  assert.equal((await storedEvents()).length, 1, 'nothing is sent twice');
});

test('`flush --storage-dir` with another write key sends nothing and exits 1, saying the directory still holds events', async () => {
  // It exited 0 with an all-zero summary: a cron job took the directory for drained.
  const dir = mkdtempSync(path.join(scratch, 'store-'));
  await control('POST', '/_control/misbehave', { count: 1000, status: 503 });
  const kept = await run(['track', '--user-id', 'u', '--event', 'Kept', ...target(), '--storage-dir', dir,
    '--flush-timeout', '0.3', '--max-retries', '0']);
  assert.equal(storedSummary(kept.stdout).kept, 1, kept.stderr);
  await control('POST', '/_control/reset');
  const other = await run(['flush', '--storage-dir', dir, '--write-key', 'another-key', '--data-plane-url', plane.url]);
  assert.equal(other.code, 1, other.stderr);
  assert.deepEqual(storedSummary(other.stdout), { delivered: 0, failed: 0, unknown: 0, dropped: 0, invalid: 0, recovered: 0, kept: 0 });
  assert.match(other.stderr, /^error: 1 segment file in --storage-dir holds events of another write key: not sent by this run \(run it with that key to send them\)$/m);
  assert.equal((await storedEvents()).length, 0);
  const right = await run(['flush', '--storage-dir', dir, ...target()]);
  assert.equal(right.code, 0, right.stderr);
  assert.equal((await storedEvents()).length, 1);
});

// Runs the CLI under a file-size limit below a segment's 1 MiB: no new segment fits, as on a
// full disk (the CLI ignores SIGXFSZ, so the reservation fails with EFBIG).
function runLimited(args, input) {
  return new Promise((resolve) => {
    const child = spawn('sh', ['-c', 'ulimit -f 64; exec "$0" "$@"', CLI, ...args], { stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
    child.stdin.on('error', () => {});
    child.stdin.end(input);
  });
}

test('--storage-dir full but holding events left: they are delivered, and each new line is delivered before the next is read', async () => {
  // A full disk used to refuse the directory (exit 2) even to `flush`, stranding what it held;
  // and lines read while the disk was full went on into memory only, lost to a kill -9.
  const dir = mkdtempSync(path.join(scratch, 'full-'));
  const keep = async (id) => {
    await control('POST', '/_control/misbehave', { count: 1000, status: 503 });
    const kept = await run(['track', '--user-id', 'u', '--event', 'Left', '--message-id', id, ...target(),
      '--storage-dir', dir, '--flush-timeout', '0.3', '--max-retries', '0']);
    assert.equal(storedSummary(kept.stdout).kept, 1, kept.stderr);
    await control('POST', '/_control/reset');
  };
  await keep('left-1');
  const lines = Array.from({ length: 5 }, (_, i) => `{"type":"track","userId":"u","event":"New","messageId":"new-${i}"}`);
  const sent = await runLimited(['--ndjson', '-', ...target(), '--storage-dir', dir], lines.join('\n') + '\n');
  assert.equal(sent.code, 0, sent.stderr);
  assert.deepEqual(storedSummary(sent.stdout), { delivered: 6, failed: 0, unknown: 0, dropped: 0, invalid: 0, recovered: 1, kept: 0 });
  assert.match(sent.stderr, /^warning: storage_dir: cannot reserve 1048576 bytes for ".*\.seg": File too large \(delivered all the same, freeing room: 1 event left by earlier runs\)/m);
  assert.match(sent.stderr, /^warning: --storage-dir cannot store events now: each line read is delivered before the next one is read, until it can$/m);
  assert.deepEqual((await storedEvents()).map((e) => e.messageId).sort(), ['left-1', ...lines.map((_, i) => `new-${i}`)].sort());
  // No line was read while another was in memory only: each new line went in its own request
  // (the first perhaps with the event left, if that was still pending when it came).
  const requests = (await control('GET', '/_control/requests')).map((r) => r.events);
  assert.ok(requests.length >= 5 && Math.max(...requests) <= 2, JSON.stringify(requests));

  await keep('left-2');
  const drained = await runLimited(['flush', '--storage-dir', dir, ...target()], '');
  assert.equal(drained.code, 0, drained.stderr);
  assert.deepEqual(storedSummary(drained.stdout), { delivered: 1, failed: 0, unknown: 0, dropped: 0, invalid: 0, recovered: 1, kept: 0 });
  assert.deepEqual((await storedEvents()).map((e) => e.messageId), ['left-2']);
});

test('--storage-dir: the CLI killed with SIGKILL while reading loses none of the lines it read', async () => {
  const dir = mkdtempSync(path.join(scratch, 'store-'));
  await control('POST', '/_control/misbehave', { count: 1_000_000, status: 503 });
  const lines = 100_000;
  let input = '';
  for (let i = 0; i < lines; i += 1) {
    input += `{"type":"track","userId":"u","event":"E","messageId":"line-${i}"}\n`;
  }
  const child = spawn(CLI, ['--ndjson', '-', ...target(), '--storage-dir', dir], { stdio: ['pipe', 'ignore', 'ignore'] });
  child.stdin.on('error', () => {});
  child.stdin.write(input);
  await new Promise((resolve) => setTimeout(resolve, 300));
  child.kill('SIGKILL');
  await new Promise((resolve) => child.on('close', resolve));

  await control('POST', '/_control/reset');
  const result = await run(['flush', '--storage-dir', dir, ...target(), '--flush-timeout', '60']);
  assert.equal(result.code, 0, result.stderr);
  const { delivered, recovered } = storedSummary(result.stdout);
  assert.ok(delivered > 0, 'the CLI had read some lines in 0.3 s');
  assert.equal(recovered, delivered);
  const ids = (await storedEvents()).map((e) => e.messageId);
  assert.equal(ids.length, delivered, 'each once');
  // What the CLI accepted is a prefix of its input: every line up to the last one it read.
  const expected = Array.from({ length: delivered }, (_, i) => `line-${i}`);
  assert.deepEqual([...ids].sort(), expected.sort());
});

test('--storage-dir: an outage past --max-retries is waited out until --flush-timeout, asleep, not spinning', async () => {
  // The library's flush returns at once while stored events ride out an outage; the CLI's wait
  // for --flush-timeout must sleep through it. Measured as the run's CPU time (bash's `times`).
  const dir = mkdtempSync(path.join(scratch, 'store-'));
  await control('POST', '/_control/misbehave', { count: 1000, status: 503 });
  const args = ['track', '--user-id', '1', '--event', 'Kept', ...target(), '--storage-dir', dir,
    '--flush-timeout', '3', '--max-retries', '0'];
  const started = Date.now();
  const timed = await new Promise((resolve, reject) => {
    const child = spawn('bash', ['-c', '"$@" > /dev/null 2>&1; echo "exit $?"; times', 'bash', CLI, ...args],
      { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d) => (out += d));
    child.on('error', reject);
    child.on('close', () => resolve(out));
  });
  const waited = Date.now() - started;
  assert.match(timed, /^exit 1$/m, timed);
  assert.ok(waited >= 2_900, `waited ${waited} ms for the 3 s flush timeout`);
  // `times` prints the shell's user and system time, then its children's: the CLI's.
  const [user, system] = [...timed.trim().split('\n').at(-1).matchAll(/(\d+)m([\d.]+)s/g)]
    .map((m) => Number(m[1]) * 60 + Number(m[2]));
  assert.ok(user + system < 1.5, `the CLI used ${user + system} s of CPU in ${waited} ms: ${timed}`);
});

test('--storage-dir: what the flush timeout keeps comes with what the last attempt got', async () => {
  const dir = mkdtempSync(path.join(scratch, 'store-'));
  await control('POST', '/_control/misbehave', { count: 1000, status: 503 });
  const result = await run(['track', '--user-id', '1', '--event', 'Kept', ...target(),
    '--storage-dir', dir, '--flush-timeout', '0.5']);
  assert.equal(result.code, 1);
  assert.equal(storedSummary(result.stdout).kept, 1);
  // Before --max-retries attempts the outage warning is not due: this line says why instead.
  assert.match(result.stderr, /^warning: 1 event stays in storage for a later run \(the last attempt got HTTP 503: [^)]*\)$/m);
  assert.equal(result.stderr.match(/^warning:/gm).length, 1, result.stderr);
});

test('flush: needs --storage-dir, sends nothing new, and takes no call flags', async () => {
  for (const [args, expected] of [
    [['flush'], /flush delivers what a storage directory holds: give --storage-dir DIR/],
    [['flush', 'track', '--storage-dir', scratch], /flush sends nothing new: it cannot be combined with "track"/],
    [['flush', '--user-id', '1', '--storage-dir', scratch], /--user-id belongs to a command .*not to flush/],
    [['flush', '--ndjson', '-', '--storage-dir', scratch], /cannot be combined with --ndjson/],
    [['track', '--user-id', '1', '--event', 'E', '--storage-dir', path.join(root, 'README.md')],
      /--storage-dir: cannot use ".*README.md" as a directory/],
    // A mistyped directory is no empty queue: flush neither creates it nor reports success.
    [['flush', '--storage-dir', path.join(scratch, 'no-such-dir')], /--storage-dir: ".*no-such-dir" does not exist/],
    [['flush', '--storage-dir', path.join(root, 'README.md')], /--storage-dir: ".*README.md" is not a directory/],
  ]) {
    const result = await run([...args, ...target()]);
    assert.equal(result.code, 2, `${args.join(' ')}: exit 2; stderr: ${result.stderr}`);
    assert.match(result.stderr, expected, args.join(' '));
  }
  assert.equal(existsSync(path.join(scratch, 'no-such-dir')), false, 'not created');
  assert.equal((await storedEvents()).length, 0);
});

test('flush: a stored file it cannot open is an error, and the exit status is 1', async () => {
  const dir = mkdtempSync(path.join(scratch, 'store-'));
  // Left by an owner that is gone, but unreadable here (as a file of another user's would be
  // to a flush run by the wrong user; a directory stands in, since tests may run as root).
  mkdirSync(path.join(dir, '0123456789abcdef-00000001.seg'));
  const result = await run(['flush', '--storage-dir', dir, ...target()]);
  assert.equal(result.code, 1, result.stderr);
  assert.deepEqual(storedSummary(result.stdout),
    { delivered: 0, failed: 0, unknown: 0, dropped: 0, invalid: 0, recovered: 0, kept: 0 });
  assert.match(result.stderr, /^error: storage_dir: cannot open ".*\.seg": /m);
  assert.match(result.stderr, /^error: 1 error was reported above: what they name was not delivered by this run$/m);
});

test('flush: a damaged record is skipped, counted on stderr, and the exit status is 1', async () => {
  const { crc32 } = await import('node:zlib');
  const dir = mkdtempSync(path.join(scratch, 'store-'));
  // A segment as src/core/segment.hpp lays it out, left by an owner that is gone (no owner
  // file): two good records around one whose checksum does not hold.
  const header = Buffer.alloc(64);
  header.write('RUDQSEG1', 0, 'latin1');
  header.writeUInt32LE(64, 8);
  header.writeBigUInt64LE(64n, 16);
  header.writeBigInt64LE(1_700_000_000_000n, 24);
  const record = (id, damaged) => {
    const payload = Buffer.from(`{"type":"track","messageId":"${id}","userId":"u","event":"E",` +
      '"context":{"library":{"name":"t","version":"1"}},"integrations":{"All":true},' +
      '"channel":"server","originalTimestamp":"2023-11-14T22:13:20.000Z"');
    const head = Buffer.alloc(8);
    head.writeUInt32LE(payload.length, 0);
    head.writeUInt32LE((crc32(payload) ^ (damaged ? 1 : 0)) >>> 0, 4);
    return Buffer.concat([head, payload]);
  };
  writeFileSync(path.join(dir, '0123456789abcdef-00000001.seg'),
    Buffer.concat([header, record('good-1'), record('bad', true), record('good-2')]));
  const result = await run(['flush', '--storage-dir', dir, ...target()]);
  assert.equal(result.code, 1, result.stderr);
  assert.deepEqual(storedSummary(result.stdout),
    { delivered: 2, failed: 0, unknown: 0, dropped: 0, invalid: 0, recovered: 2, kept: 0 });
  assert.match(result.stderr, /^error: 1 damaged record in --storage-dir skipped/m);
  assert.deepEqual((await storedEvents()).map((e) => e.messageId).sort(), ['good-1', 'good-2']);
});

// ---- help, suggestions, dry run, proxy, TLS, signals ---------------------------------------

test('COMMAND --help prints that command\'s flags; the global help lists the new settings', async () => {
  for (const args of [['track', '--help'], ['--help', 'track']]) {
    const help = await run(args);
    assert.equal(help.code, 0, args.join(' '));
    assert.match(help.stdout, /^Usage: rudder-analytics \[settings\] track \[flags\]/);
    assert.match(help.stdout, /--event NAME +required/);
    assert.match(help.stdout, /--properties JSON/);
    assert.ok(!help.stdout.includes('--traits'), 'only the flags track takes');
  }
  const group = await run(['group', '--help']);
  assert.match(group.stdout, /--group-id ID +required/);
  assert.ok(!group.stdout.includes('--event'));
  const all = await run(['--help']);
  for (const flag of ['--dry-run', '--proxy', '--ca-file', '--ca-path']) assert.ok(all.stdout.includes(flag), flag);
});

test('a mistyped command or flag gets a suggestion, exit 2', async () => {
  const cases = [
    [['trak', '--user-id', '1'], /unknown command "trak" \(did you mean track\?\)/],
    [['idnetify', '--user-id', '1'], /unknown command "idnetify" \(did you mean identify\?\)/],
    [['track', '--user-id', '1', '--evnt', 'E'], /unknown flag --evnt \(did you mean --event\?\)/],
    [['track', '--user-id', '1', '--event', 'E', '--dryrun'], /unknown flag --dryrun \(did you mean --dry-run\?\)/],
    [['track', '--user-id', '1', '--event', 'E', '--zzzzzz'], /unknown flag --zzzzzz$/m],
  ];
  for (const [args, expected] of cases) {
    const result = await run([...args, ...target()]);
    assert.equal(result.code, 2, args.join(' '));
    assert.match(result.stderr, expected);
  }
});

test('--dry-run prints each event as it would be sent and sends nothing', async () => {
  const one = await run(['--dry-run', 'track', '--user-id', '7', '--event', 'Tried', '--properties', '{"a":1}', ...target()]);
  assert.equal(one.code, 0, one.stderr);
  const [event] = one.stdout.trim().split('\n').map((line) => JSON.parse(line));
  assert.deepEqual([event.type, event.userId, event.event, event.properties], ['track', '7', 'Tried', { a: 1 }]);
  assert.ok(event.messageId && event.originalTimestamp && event.sentAt && event.context.library);
  assert.match(one.stdout, /^\{"type":"track","messageId":"[^"]+","userId":"7","event":"Tried"/, 'keys in the order sent');
  assert.match(one.stderr, /^built 1, invalid 0 \(dry run: nothing was sent\)$/m);
  const input = '{"type":"track","userId":"1","event":"A"}\n{"type":"track","userId":"1"}\n{"type":"page","userId":"1","name":"P"}\n';
  const many = await run(['--dry-run', '--ndjson', '-', ...target()], { input });
  assert.equal(many.code, 1, 'an invalid line: exit 1');
  assert.deepEqual(many.stdout.trim().split('\n').map((line) => JSON.parse(line).type), ['track', 'page']);
  assert.match(many.stderr, /line 2: event: is required/);
  assert.match(many.stderr, /built 2, invalid 1/);
  const refused = await run(['--dry-run', 'track', '--user-id', '1', ...target()]);
  assert.equal(refused.code, 2);
  const withStorage = await run(['--dry-run', '--storage-dir', scratch, 'track', '--user-id', '1', '--event', 'E', ...target()]);
  assert.equal(withStorage.code, 2);
  assert.match(withStorage.stderr, /--dry-run keeps nothing/);
  assert.equal((await control('GET', '/_control/stats')).requests, 0, 'nothing reached the data plane');
});

test('--ndjson: numbers go out as written, digit for digit, and keys in their order', async () => {
  // Read into a tree first, 98765432109876543210987 went out as 9.876543210987654e+22 and the
  // keys sorted. (The local data plane shows events parsed by JavaScript, which rounds such
  // numbers itself: the request as --dry-run prints it is what is checked.)
  const properties = '{"orderId":98765432109876543210987,"price":1.00000000000000000001,"z":1,"a":2}';
  const input = `{"type":"track","userId":"1","event":"Ordered","properties":${properties}}\n{"type":"track",\n`;
  const dry = await run(['--dry-run', '--ndjson', '-', ...target()], { input });
  assert.equal(dry.code, 1, 'the broken line: exit 1');
  assert.ok(dry.stdout.includes(`"properties":${properties},`), dry.stdout);
  assert.match(dry.stderr, /^line 2: not valid JSON: .*syntax error/m, 'a broken line still says where it breaks');
  assert.match(dry.stderr, /built 1, invalid 1/);
});

test('--proxy sends through the proxy', async () => {
  // The data plane serves a request in a forward proxy's form too, so it stands in for the
  // proxy here; the data plane's own host name does not even resolve.
  const result = await run(['track', '--user-id', '1', '--event', 'Proxied', '--write-key', KEY,
    '--data-plane-url', 'http://data-plane.invalid', '--proxy', plane.url, '--upload-interval', '0.05']);
  assertDelivered(result, 1);
  const [request] = await control('GET', '/_control/requests');
  assert.equal(request.proxied, true);
  assert.equal((await storedEvents())[0].event, 'Proxied');
});

test('--ca-file trusts a private CA; without it the certificate is refused; a missing file is a usage error', async () => {
  const certs = mkdtempSync(path.join(scratch, 'certs-'));
  await new Promise((resolve, reject) => {
    const make = spawn(path.join(root, 'tests/dataplane/make-test-certs.sh'), [certs], { stdio: 'inherit' });
    make.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`make-test-certs.sh: ${code}`))));
  });
  const tlsPlane = await startDataPlane({
    port: 0, tls: { cert: readFileSync(path.join(certs, 'server.pem')), key: readFileSync(path.join(certs, 'server-key.pem')) },
  });
  try {
    assert.match(tlsPlane.url, /^https:/);
    const over = ['track', '--user-id', '1', '--event', 'Over TLS', '--write-key', KEY, '--data-plane-url', tlsPlane.url];
    const trusted = await run([...over, '--ca-file', path.join(certs, 'ca.pem')]);
    assertDelivered(trusted, 1);
    const fromEnv = await run(over, { env: { SSL_CERT_FILE: path.join(certs, 'ca.pem') } });
    assertDelivered(fromEnv, 1);
    const untrusted = await run([...over, '--max-retries', '0']);
    assert.equal(untrusted.code, 1);
    assert.match(untrusted.stderr, /certificate/);
    const missing = await run([...over, '--ca-file', path.join(certs, 'nope.pem')]);
    assert.equal(missing.code, 2);
    assert.match(missing.stderr, /^error: --ca-file: cannot read .*nope\.pem: No such file or directory$/m);
    assert.equal(tlsPlane.state.events.length, 2);
  } finally {
    await tlsPlane.close();
  }
});

test('standard error a pipe whose reader went away: the run goes on and delivers every valid line', async () => {
  // `rudder-analytics ... 2>&1 | logger` after the logger died: the first line the CLI wrote
  // to stderr killed it with SIGPIPE, and the events still queued were lost without a word.
  const lines = ['not json', ...Array.from({ length: 300 }, (_, i) => `{"type":"track","userId":"u","event":"Piped ${i}"}`)];
  const child = spawn(CLI, ['--ndjson', '-', ...target()], { stdio: ['pipe', 'pipe', 'pipe'] });
  child.stderr.destroy();  // the reader is gone before the CLI writes its first line there
  let stdout = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  const closed = new Promise((resolve) => child.on('close', (code, signal) => resolve({ code, signal })));
  child.stdin.end(lines.join('\n') + '\n');
  const { code, signal } = await closed;
  assert.equal(signal, null, 'not killed by SIGPIPE');
  assert.equal(code, 1, 'exit 1: one line was invalid');
  assert.deepEqual(summary(stdout), { delivered: 300, failed: 0, dropped: 0, invalid: 1 });
  assert.equal((await storedEvents()).length, 300);
});

// Starts the CLI reading NDJSON from a pipe that stays open, feeds it `lines`, then sends
// `signal` once the data plane has seen `expectRequests` requests.
async function interrupt(signal, extraArgs, lines, expectRequests, settleMs = 0) {
  const child = spawn(CLI, ['--ndjson', '-', ...target(), ...extraArgs], { stdio: ['pipe', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d) => (stderr += d));
  child.stdin.write(lines.join('\n') + '\n');
  const closed = new Promise((resolve) => child.on('close', (code) => resolve(code)));
  const deadline = Date.now() + 10_000;
  while ((await control('GET', '/_control/stats')).requests < expectRequests && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, settleMs));
  const sentAt = Date.now();
  child.kill(signal);
  const timer = setTimeout(() => child.kill('SIGKILL'), 20_000);  // a CLI that ignored it
  const code = await closed;
  clearTimeout(timer);
  return { code, stdout, stderr, took: Date.now() - sentAt };
}

test('SIGINT while reading: what was read is delivered, the summary is printed, exit 130', async () => {
  const lines = [1, 2, 3].map((i) => `{"type":"track","userId":"u","event":"Before Ctrl-C ${i}"}`);
  const result = await interrupt('SIGINT', [], lines, 1);
  assert.equal(result.code, 130, result.stderr);
  assert.deepEqual(summary(result.stdout), { delivered: 3, failed: 0, dropped: 0, invalid: 0 });
  assert.match(result.stderr, /interrupted by SIGINT/);
  assert.equal((await storedEvents()).length, 3);
});

test('SIGTERM while reading waits for room in a full queue: the line is dropped once, never called invalid', async () => {
  // The data plane answers slowly, so a queue of 2 stays full and reading waits. The line
  // being offered was reported as invalid ("queue: is full") and counted twice.
  await control('POST', '/_control/misbehave', { count: 1_000_000, status: 503 });
  const lines = Array.from({ length: 6 }, (_, i) => `{"type":"track","userId":"u","event":"Waiting ${i}"}`);
  // Signalled half a second after the first retry: reading waits by then.
  const result = await interrupt('SIGTERM', ['--max-queue-size', '2', '--upload-size', '1', '--flush-timeout', '1'], lines, 2, 500);
  assert.equal(result.code, 143, result.stderr);
  const counts = summary(result.stdout);
  assert.equal(counts.invalid, 0, result.stderr);
  const offered = /^line (\d+): not sent: interrupted while waiting for room in the queue \(queue: is full/m.exec(result.stderr);
  assert.ok(offered, result.stderr);
  // The lines before it were accepted (how many fit depends on the batches out), that one was
  // not: each counted once.
  assert.equal(counts.delivered + counts.failed + (counts.unknown ?? 0) + counts.dropped, Number(offered[1]), result.stdout);
});

test('SIGTERM with the data plane failing: a bounded flush, the rest counted, exit 143', async () => {
  await control('POST', '/_control/misbehave', { count: 1_000_000, status: 503 });
  const lines = [1, 2].map((i) => `{"type":"track","userId":"u","event":"Unlucky ${i}"}`);
  const result = await interrupt('SIGTERM', ['--flush-timeout', '60'], lines, 1);
  assert.equal(result.code, 143, result.stderr);
  assert.ok(result.took < 8_000, `stopped within the 5 s last flush (took ${result.took} ms), not --flush-timeout's 60 s`);
  assert.deepEqual(summary(result.stdout), { delivered: 0, failed: 0, dropped: 2, invalid: 0 });
  assert.match(result.stderr, /interrupted by SIGTERM/);
  // What ended the flush was the signal, not the 60 s --flush-timeout, and the line says so.
  assert.match(result.stderr, /^error: 2 events were still undelivered when the flush, cut short by the signal, ended \(the last attempt got HTTP 503: [^)]*\)$/m);
  assert.doesNotMatch(result.stderr, /60 s/);
});
