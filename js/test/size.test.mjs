// rudder-analytics js tests: what a browser downloads stays under its ceiling, so the package
// never grows by accident while the size work brings it down to the goal (issue 9).
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CEILING_BYTES, GOAL_BYTES, measureDownload } from '../scripts/download-size.mjs';
import { distProblem } from '../scripts/package-files.mjs';

test('the browser download (index.mjs + rudder_analytics.wasm, gzip -9) is at most its ceiling', async () => {
  const problem = await distProblem();
  assert.equal(problem, null, problem);  // measuring a stale dist/ would prove nothing
  const files = measureDownload(new URL('../dist/', import.meta.url));
  const total = files.reduce((sum, f) => sum + f.gzip, 0);
  const each = files.map((f) => `${f.name} ${f.gzip}`).join(', ');
  assert.ok(total <= CEILING_BYTES,
    `the download is ${total} bytes gzipped (${each}), over its ceiling of ${CEILING_BYTES} ` +
    `(the goal is ${GOAL_BYTES}): find what grew with npm run size, or raise CEILING_BYTES in ` +
    'scripts/download-size.mjs for a feature worth its bytes and say so in the README');
  // The ceiling only comes down to the goal; one above the total by far would hold nothing.
  assert.ok(CEILING_BYTES - total < 1024,
    `the download shrank to ${total} bytes gzipped: lower CEILING_BYTES (${CEILING_BYTES}) in scripts/download-size.mjs to keep the gain`);
});
