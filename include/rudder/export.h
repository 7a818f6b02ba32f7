// rudder-analytics: RUDDER_API marks what the library exports. The library is built with hidden
// visibility, so a shared librudder_analytics exports the public API and none of its internals,
// and a program or library that links the static one re-exports nothing of it.
// Copyright the rudder-analytics authors. MIT licence.
#pragma once

// RUDDER_STATIC: the static library (its CMake target and .pc define it for their users).
#if defined(RUDDER_STATIC)
#define RUDDER_API
#elif defined(_WIN32)
#if defined(RUDDER_BUILDING)
#define RUDDER_API __declspec(dllexport)
#else
#define RUDDER_API __declspec(dllimport)
#endif
#else
#define RUDDER_API __attribute__((visibility("default")))
#endif
