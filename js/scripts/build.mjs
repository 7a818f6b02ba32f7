// rudder-analytics js: builds the npm package's dist/ from src/ and the Emscripten output.
// Copyright the rudder-analytics authors. MIT licence.
//
//   node scripts/build.mjs [path/to/wasm/build/dir]   (default: ../build-wasm/wasm)
//
// Bundles src/index.mjs with the Emscripten module into one minified ES module (browsers and
// Node `import`) and one CommonJS file (Node `require`), copies the .wasm beside them, and the
// hand-written types as .d.mts and .d.cts.
import { copyFile, mkdir, rm } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import * as esbuild from 'esbuild';

const here = dirname(fileURLToPath(import.meta.url));
const pkg = resolve(here, '..');
const wasmDir = resolve(process.argv[2] ?? join(pkg, '..', 'build-wasm', 'wasm'));
const emscriptenModule = join(wasmDir, 'rudder_analytics.mjs');
const wasmFile = join(wasmDir, 'rudder_analytics.wasm');
for (const file of [emscriptenModule, wasmFile]) {
  if (!existsSync(file)) {
    console.error(`build: ${file} is missing; build the wasm target first (./scripts/build-wasm.sh)`);
    process.exit(1);
  }
}

const dist = join(pkg, 'dist');
await rm(dist, { recursive: true, force: true });
await mkdir(dist, { recursive: true });

// src/module.mjs imports the Emscripten output by this name.
const emscriptenAlias = {
  name: 'rudder-emscripten-module',
  setup(build) {
    build.onResolve({ filter: /^rudder-emscripten-module$/ }, () => ({ path: emscriptenModule }));
  },
};

const common = {
  entryPoints: [join(pkg, 'src', 'index.mjs')],
  bundle: true,
  minify: true,
  target: ['es2022', 'node18'],
  platform: 'neutral',
  plugins: [emscriptenAlias],
  legalComments: 'none',
  logLevel: 'warning',
};
await esbuild.build({ ...common, format: 'esm', outfile: join(dist, 'index.mjs') });
await esbuild.build({
  ...common,
  format: 'cjs',
  outfile: join(dist, 'index.cjs'),
  // CommonJS has no import.meta: the module's own URL comes from __filename.
  define: { 'import.meta.url': '__rudderModuleUrl' },
  banner: { js: 'var __rudderModuleUrl=require("node:url").pathToFileURL(__filename).href;' },
});
await copyFile(wasmFile, join(dist, 'rudder_analytics.wasm'));
await copyFile(join(pkg, 'types', 'index.d.ts'), join(dist, 'index.d.mts'));
await copyFile(join(pkg, 'types', 'index.d.ts'), join(dist, 'index.d.cts'));
console.log(`build: ${dist}`);
