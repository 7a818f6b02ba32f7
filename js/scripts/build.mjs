// rudder-analytics js: builds the npm package's dist/ from src/ and the two Emscripten builds.
// Copyright the rudder-analytics authors. MIT licence.
//
//   node scripts/build.mjs [size-build-dir] [speed-build-dir]
//     (defaults: ../build-wasm/wasm and ../build-wasm-node/wasm)
//
// Bundles src/index.mjs into minified files, each beside its build of the .wasm (the glue loads
// the .wasm itself; Emscripten's JavaScript output is not used):
//   index.mjs, index.cjs  + rudder_analytics.wasm       the size build (browsers, bundlers)
//   node.mjs, node.cjs    + rudder_analytics_node.wasm  the speed build (Node)
// package.json's exports send Node to node.*, everything else to index.*. The hand-written
// types go beside them as .d.mts and .d.cts.
import { copyFile, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';
import { INPUTS_RECORD, REPO, inputsDigest } from './package-files.mjs';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const flavours = [
  { dir: resolve(process.argv[2] ?? join(pkg, '..', 'build-wasm', 'wasm')), name: 'rudder_analytics', out: 'index' },
  { dir: resolve(process.argv[3] ?? join(pkg, '..', 'build-wasm-node', 'wasm')), name: 'rudder_analytics_node', out: 'node' },
];
for (const { dir, name } of flavours) {
  const file = join(dir, `${name}.wasm`);
  if (!existsSync(file)) {
    console.error(`build: ${file} is missing; build the wasm target first (./scripts/build-wasm.sh)`);
    process.exit(1);
  }
}

const dist = join(pkg, 'dist');
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

for (const { dir, name, out } of flavours) {
  const common = {
    entryPoints: [join(pkg, 'src', 'index.mjs')],
    bundle: true,
    minify: true,
    target: ['es2022', 'node18'],
    platform: 'neutral',
    // RUDDER_WASM_FILE names the .wasm src/module.mjs loads; RUDDER_NODE_BUILD: only the Node
    // build carries what needs node:fs (storageDir).
    define: { RUDDER_WASM_FILE: JSON.stringify(`${name}.wasm`), RUDDER_NODE_BUILD: String(out === 'node') },
    legalComments: 'none',
    // The Node build in lines of at most 500 characters: Node prints the whole source line of
    // an uncaught error's origin, which was the entire minified bundle (about 30 KB). Not the
    // browser build, which it would make 0.2 KiB larger gzipped, and whose errors no one
    // prints that way.
    lineLimit: out === 'node' ? 500 : undefined,
    logLevel: 'warning',
  };
  await esbuild.build({ ...common, format: 'esm', outfile: join(dist, `${out}.mjs`) });
  await esbuild.build({
    ...common,
    format: 'cjs',
    outfile: join(dist, `${out}.cjs`),
    // CommonJS has no import.meta: Node's build takes the module's own URL from __filename;
    // the browser's must not name node:url, which bundlers cannot resolve for a page, and
    // leaves it undefined, so that src/module.mjs looks beside the script that loaded it.
    define: { ...common.define, 'import.meta.url': '__rudderModuleUrl' },
    banner: {
      js: out === 'node' ? 'var __rudderModuleUrl=require("node:url").pathToFileURL(__filename).href;' : 'var __rudderModuleUrl;',
    },
  });
  await copyFile(join(dir, `${name}.wasm`), join(dist, `${name}.wasm`));
  for (const file of [`${out}.mjs`, `${out}.cjs`]) await markNodeImports(join(dist, file));
}

// src/module.mjs's nodeImport() loads Node's modules with import(name), which bundlers must
// leave alone (webpack warns "Critical dependency" otherwise, Vite that it cannot analyze
// it). esbuild's minifier drops the comments that say so; they are put back here, on the one
// dynamic import each file has.
async function markNodeImports(file) {
  const text = await readFile(file, 'utf8');
  const found = text.match(/\bimport\((?=[A-Za-z_$][\w$]*\))/g) ?? [];
  if (found.length !== 1) throw new Error(`build: ${file} has ${found.length} dynamic imports of a name; expected 1 (nodeImport)`);
  await writeFile(file, text.replace(/\bimport\((?=[A-Za-z_$][\w$]*\))/, 'import(/* webpackIgnore: true */ /* @vite-ignore */ '));
}
await copyFile(join(pkg, 'types', 'index.d.ts'), join(dist, 'index.d.mts'));
await copyFile(join(pkg, 'types', 'index.d.ts'), join(dist, 'index.d.cts'));
// The licence goes into the tarball (npm packs a LICENSE beside package.json).
await copyFile(join(REPO, 'LICENSE'), join(pkg, 'LICENSE'));
// What dist/ was made of, for prepack and the tests to tell a stale dist/ (package-files.mjs).
await writeFile(INPUTS_RECORD, `${await inputsDigest(flavours.map((f) => f.dir))}\n`);
console.log(`build: ${dist}`);
