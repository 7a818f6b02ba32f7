// rudder-analytics js tests: the hand-written .d.ts files, checked by tsc as users import them
// (ESM and CommonJS, through the package's exports map).
// Copyright the rudder-analytics authors. MIT licence.
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const pkg = fileURLToPath(new URL('..', import.meta.url));

test('the types accept correct use and reject misuse (tsc --strict)', async () => {
  const tsc = `${pkg}node_modules/.bin/tsc`;
  const result = await promisify(execFile)(tsc, ['-p', 'test/types/tsconfig.json'], { cwd: pkg })
    .then(() => ({ code: 0, stdout: '' }), (e) => ({ code: e.code, stdout: e.stdout }));
  assert.equal(result.code, 0, result.stdout);
});
