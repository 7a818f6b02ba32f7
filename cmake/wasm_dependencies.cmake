# Dependencies of the Emscripten build, taken from Debian's packages without their host
# headers: putting /usr/include on a wasm include path pulls in glibc's headers and breaks
# the build, so nlohmann/json is reached through a folder that holds only `nlohmann/`.
set(RUDDER_NLOHMANN_DIR "/usr/include/nlohmann" CACHE PATH "nlohmann/json's header folder")
set(_rudder_json_root "${CMAKE_BINARY_DIR}/third_party/json")
file(MAKE_DIRECTORY "${_rudder_json_root}")
file(CREATE_LINK "${RUDDER_NLOHMANN_DIR}" "${_rudder_json_root}/nlohmann" SYMBOLIC)
add_library(nlohmann_json INTERFACE)
add_library(nlohmann_json::nlohmann_json ALIAS nlohmann_json)
target_include_directories(nlohmann_json SYSTEM INTERFACE "${_rudder_json_root}")

if(RUDDER_BUILD_TESTS)
  # GoogleTest from Debian's sources, built with em++ (no threads in this build).
  set(RUDDER_GOOGLETEST_SOURCE "/usr/src/googletest" CACHE PATH "GoogleTest's source tree")
  set(gtest_disable_pthreads ON CACHE BOOL "" FORCE)
  set(BUILD_GMOCK OFF CACHE BOOL "" FORCE)
  set(INSTALL_GTEST OFF CACHE BOOL "" FORCE)
  add_subdirectory("${RUDDER_GOOGLETEST_SOURCE}" "${CMAKE_BINARY_DIR}/third_party/googletest"
                   EXCLUDE_FROM_ALL)
endif()
