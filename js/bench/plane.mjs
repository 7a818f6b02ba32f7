// rudder-analytics js benchmarks: the local data plane in its own process (--count-only: auth,
// gunzip, JSON and contract checks, events counted, not kept), so it never shares an event
// loop with the SDK being measured.
// Copyright the rudder-analytics authors. MIT licence.
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';

/** Starts it on a free port; resolves to its URL and a stop() that ends it. */
export async function startPlane() {
  const server = fileURLToPath(new URL('../../tests/dataplane/server.mjs', import.meta.url));
  const child = spawn(process.execPath, [server, '--port', '0', '--count-only', '--exit-on-stdin-close'],
    { stdio: ['pipe', 'pipe', 'inherit'] });
  const { value: line } = await createInterface({ input: child.stdout })[Symbol.asyncIterator]().next();
  const url = line?.match(/https?:\/\/\S+/)?.[0];
  if (!url) throw new Error(`data plane did not start (first line: ${JSON.stringify(line)})`);
  return { url, stop: () => child.stdin.end() };
}
