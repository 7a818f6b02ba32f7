# ctest script (cmake -P): the shared library in PREFIX exports the public API (what the headers
# mark RUDDER_API) and none of the library's internals: no rudder::core, rudder::native or
# Client::Impl symbol is in its dynamic symbol table.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
file(GLOB_RECURSE library ${PREFIX}/*/librudder_analytics.so)
if(NOT library)
  message(FATAL_ERROR "no librudder_analytics.so under ${PREFIX}")
endif()
run(nm -D --defined-only -C ${library})
string(REPLACE "\n" ";" lines "${run_output}")
set(public "")
set(internal "")
foreach(line IN LISTS lines)
  # "<address> <type> <name>": what matters is the name.
  string(REGEX REPLACE "^[0-9a-f]* *[A-Za-z] " "" name "${line}")
  if(name MATCHES "(^| for )rudder::(core|native)::|^rudder::Client::Impl|(typeinfo|vtable)( name)? for rudder::Client::Impl")
    list(APPEND internal "${name}")
  elseif(name MATCHES "^(rudder::|(typeinfo|vtable)( name)? for rudder::|rudder_)")
    list(APPEND public "${name}")
  endif()
endforeach()
if(internal)
  list(JOIN internal "\n  " shown)
  message(FATAL_ERROR "the shared library exports internals:\n  ${shown}")
endif()
# What must be there: the client, the free functions, and the C API.
foreach(expected "rudder::Client::track(" "rudder::track(" "rudder::to_string(rudder::Status)"
                 "rudder::Config::validate" "typeinfo for rudder::Transport" "rudder_client_new"
                 "rudder_track" "rudder_submit" "rudder_version" "rudder_free")
  string(FIND "${public}" "${expected}" at)
  if(at EQUAL -1)
    message(FATAL_ERROR "the shared library does not export ${expected}; it exports:\n${public}")
  endif()
endforeach()
list(LENGTH public count)
message(STATUS "${library}: ${count} public symbols, no internal one")
