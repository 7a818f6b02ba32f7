// rudder-analytics wasm: runs inside the module's factory, before Emscripten's own code.
// emscripten_fetch builds on XMLHttpRequest. Node and some workers have none, so the package
// passes its own (on fetch) as Module.XMLHttpRequest; this name shadows the global inside the
// module only, so nothing is installed on globalThis.
var XMLHttpRequest = Module['XMLHttpRequest'] || globalThis.XMLHttpRequest;
