// rudder-analytics core: storage kept per calling thread.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

/// Declares a function-local object kept per calling thread (a scratch buffer a call reuses):
/// `RUDDER_PER_THREAD std::string scratch;`.
///
/// Why not thread_local everywhere: the WebAssembly module has one thread, where thread_local
/// only adds the registration of each object's destructor for the thread's exit
/// (__cxa_thread_atexit and its callers, 0.2 KiB of the browser download, gzipped); there
/// the object is a plain function-local static, which is the same thing for one thread.
#if defined(__EMSCRIPTEN__) && !defined(__EMSCRIPTEN_PTHREADS__)
#define RUDDER_PER_THREAD static
#else
#define RUDDER_PER_THREAD thread_local
#endif
