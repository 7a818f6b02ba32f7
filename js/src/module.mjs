// rudder-analytics js: loads the WebAssembly module and moves strings in and out of it.
// Copyright the rudder-analytics authors. MIT licence.
//
// Nothing here knows about events, batches or retries: that is all in the C++ core. This file
// finds and compiles the .wasm, starts one module instance per client, and passes text across.
import createRudderModule from 'rudder-emscripten-module';  // the Emscripten output (see scripts/build.mjs)

// The build defines RUDDER_WASM_FILE: the size build's file for browsers, the speed build's
// for Node (see scripts/build.mjs).
export const WASM_FILE = RUDDER_WASM_FILE;

export const isNode =
  typeof process === 'object' && typeof process.versions?.node === 'string' &&
  typeof window === 'undefined';

// Hidden from bundlers that would otherwise try to pack Node's modules into a browser build.
export const nodeImport = (name) => import(/* webpackIgnore: true */ /* @vite-ignore */ name);

let defaultCompiled = null;  // Promise<WebAssembly.Module> for the .wasm beside this file

async function compileFrom(location) {
  const href = String(location);
  if (isNode && !/^https?:/i.test(href)) {
    const { readFile } = await nodeImport('node:fs/promises');
    const { fileURLToPath } = await nodeImport('node:url');
    return WebAssembly.compile(await readFile(href.startsWith('file:') ? fileURLToPath(href) : href));
  }
  const response = await fetch(href, { credentials: 'same-origin' });
  if (!response.ok) throw new Error(`rudder-analytics: could not load ${href}: HTTP ${response.status}`);
  if (typeof WebAssembly.compileStreaming === 'function') {
    try {
      return await WebAssembly.compileStreaming(response.clone());
    } catch {
      // e.g. served without Content-Type: application/wasm; compile the bytes instead
    }
  }
  return WebAssembly.compile(await response.arrayBuffer());
}

/**
 * The compiled module, from (in order of preference) options.wasmModule, options.wasmBinary,
 * options.locateFile(WASM_FILE, defaultUrl), or the .wasm next to this file. The default one
 * is compiled once and shared by every client.
 */
export function compiledModule(options) {
  if (options.wasmModule !== undefined) {
    if (!(options.wasmModule instanceof WebAssembly.Module)) {
      return Promise.reject(new TypeError('wasmModule: must be a WebAssembly.Module'));
    }
    return Promise.resolve(options.wasmModule);
  }
  if (options.wasmBinary !== undefined) return WebAssembly.compile(options.wasmBinary);
  const defaultUrl = new URL(WASM_FILE, import.meta.url).href;
  if (options.locateFile !== undefined) {
    if (typeof options.locateFile !== 'function') {
      return Promise.reject(new TypeError('locateFile: must be a function'));
    }
    return compileFrom(options.locateFile(WASM_FILE, defaultUrl));
  }
  if (defaultCompiled === null) {
    defaultCompiled = compileFrom(defaultUrl);
    defaultCompiled.catch(() => { defaultCompiled = null; });  // let a later create() retry
  }
  return defaultCompiled;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** One module instance: its exports, and text in and out of its memory. */
export class Bridge {
  static async start(compiled, host) {
    let failed;
    const instantiateFailed = new Promise((_, reject) => { failed = reject; });
    const started = createRudderModule({
      rudderHost: host,
      instantiateWasm(imports, receive) {
        WebAssembly.instantiate(compiled, imports).then((instance) => receive(instance, compiled), failed);
        return {};
      },
    });
    return new Bridge(await Promise.race([started, instantiateFailed]));
  }

  constructor(module) {
    this.m = module;
    this.buffer = 0;    // a reusable input buffer in the module's memory
    this.capacity = 0;
  }

  /** Writes `text` as UTF-8 into the input buffer; returns its length in bytes. */
  write(text) {
    const worst = text.length * 3;  // UTF-16 code unit -> at most 3 UTF-8 bytes
    if (worst > this.capacity) {
      if (this.buffer !== 0) this.m._free(this.buffer);
      this.capacity = Math.max(worst, 1024);
      this.buffer = this.m._malloc(this.capacity);
    }
    const heap = this.m.HEAPU8;
    // A call's JSON is mostly short ASCII, which a loop writes several times faster than
    // TextEncoder.encodeInto (a fifth of a call's time in Chromium); anything else goes to it.
    if (text.length <= 2048) {
      let i = 0;
      for (let at = this.buffer; i < text.length; i++, at++) {
        const unit = text.charCodeAt(i);
        if (unit > 0x7f) break;
        heap[at] = unit;
      }
      if (i === text.length) return i;
    }
    return encoder.encodeInto(text, heap.subarray(this.buffer, this.buffer + worst)).written;
  }

  /** The NUL-terminated UTF-8 string at `pointer`. */
  read(pointer) {
    const heap = this.m.HEAPU8;
    const end = heap.indexOf(0, pointer);
    // Most answers are a call's outcome ("A" and a messageId): short ASCII, which a loop reads
    // several times faster than TextDecoder (a quarter of a call's time in Chromium).
    if (end - pointer <= 64) {
      let text = '';
      for (let i = pointer; i < end; i++) {
        const byte = heap[i];
        if (byte > 0x7f) return decoder.decode(heap.subarray(pointer, end));
        text += String.fromCharCode(byte);
      }
      return text;
    }
    return decoder.decode(heap.subarray(pointer, end));
  }

  /** `length` bytes of UTF-8 at `pointer`. */
  readLength(pointer, length) {
    return decoder.decode(this.m.HEAPU8.subarray(pointer, pointer + length));
  }

  /** Copies `bytes` into memory the module frees when `use(pointer, length)` returns. */
  withBytes(bytes, use) {
    const pointer = this.m._malloc(Math.max(bytes.byteLength, 1));
    try {
      this.m.HEAPU8.set(bytes, pointer);
      use(pointer, bytes.byteLength);
    } finally {
      this.m._free(pointer);
    }
  }
}
