// rudder-analytics js: `npm pack` / `npm publish` build the package first, then refuse to pack
// a dist/ that is incomplete or older than its sources (without this, a fresh clone packed
// two files and no code).
//   node scripts/prepack.mjs           build (../scripts/build-wasm.sh), then check
//   node scripts/prepack.mjs --check   check only
// Copyright the rudder-analytics authors. MIT licence.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { REPO, distProblem } from './package-files.mjs';

if (!process.argv.includes('--check')) {
  const built = spawnSync(join(REPO, 'scripts', 'build-wasm.sh'), { stdio: 'inherit' });
  if (built.status !== 0) {
    console.error('prepack: the build failed; nothing was packed');
    process.exit(1);
  }
}
const problem = await distProblem();
if (problem) {
  console.error(`prepack: ${problem}`);
  process.exit(1);
}
