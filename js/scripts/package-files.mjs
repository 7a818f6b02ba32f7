// rudder-analytics js: what the npm tarball holds, and whether dist/ is fresh. Shared by the
// build (which records what it built from), prepack (which checks before packing) and the
// tests (package.test.mjs).
// Copyright the rudder-analytics authors. MIT licence.
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { readFile, readdir } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PKG = resolve(fileURLToPath(new URL('..', import.meta.url)));
export const REPO = resolve(PKG, '..');

/** Every file of the tarball, beside package.json, README.md and LICENSE. */
export const DIST_FILES = [
  'dist/index.mjs', 'dist/index.cjs', 'dist/rudder_analytics.wasm', 'dist/index.d.mts', 'dist/index.d.cts',
  'dist/node.mjs', 'dist/node.cjs', 'dist/rudder_analytics_node.wasm',
];
export const TARBALL_FILES = ['LICENSE', 'README.md', 'package.json', ...DIST_FILES].sort();

/** Where the build records what dist/ was built from (not in the tarball). */
export const INPUTS_RECORD = join(PKG, '.dist-inputs');

/** Where the two builds of the .wasm are, by default. */
export const DEFAULT_WASM_DIRS = [join(REPO, 'build-wasm', 'wasm'), join(REPO, 'build-wasm-node', 'wasm')];

/**
 * A digest of everything dist/ is made of: the glue's sources, the types, the build script,
 * package.json, the licence and the two builds of the .wasm. Equal digests: dist/ is what a
 * build would make now.
 */
export async function inputsDigest(wasmDirs = DEFAULT_WASM_DIRS) {
  const files = [
    ...(await readdir(join(PKG, 'src'))).filter((f) => f.endsWith('.mjs')).sort().map((f) => join(PKG, 'src', f)),
    join(PKG, 'types', 'index.d.ts'), join(PKG, 'scripts', 'build.mjs'), join(PKG, 'package.json'), join(REPO, 'LICENSE'),
    ...wasmDirs.map((dir, i) => join(dir, `${i === 0 ? 'rudder_analytics' : 'rudder_analytics_node'}.wasm`)),
  ];
  const hash = createHash('sha256');
  for (const file of files) {
    hash.update(file.slice(REPO.length)).update('\0');
    hash.update(existsSync(file) ? await readFile(file) : 'missing').update('\0');
  }
  return hash.digest('hex');
}

/** Why dist/ cannot be packed as it is, or null when it is complete and fresh. */
export async function distProblem() {
  const missing = DIST_FILES.filter((f) => !existsSync(join(PKG, f)));
  if (missing.length > 0) return `dist/ lacks ${missing.join(', ')}: run ./scripts/build-wasm.sh`;
  if (!existsSync(join(PKG, 'LICENSE'))) return 'js/LICENSE is missing: run ./scripts/build-wasm.sh';
  const recorded = existsSync(INPUTS_RECORD) ? (await readFile(INPUTS_RECORD, 'utf8')).trim() : '';
  if (recorded !== await inputsDigest()) {
    return 'dist/ is stale: its sources (js/src, js/types, the wasm builds) changed since it was built; run ./scripts/build-wasm.sh';
  }
  return null;
}
