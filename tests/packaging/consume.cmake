# ctest script (cmake -P): builds and runs tests/packaging/consumer (a C++ and a C program) with
# the compilers CXX and CC, the way HOW says, in WORK:
#   find_package      against the install in PREFIX (and a C-only project too);
#   add_subdirectory  of SOURCE_DIR;
#   FetchContent      of SOURCE_DIR (FETCHCONTENT_SOURCE_DIR_*: no clone);
#   pkg-config        against a copy of PREFIX, then again after that copy is moved.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
set(consumer ${SOURCE_DIR}/tests/packaging/consumer)
file(REMOVE_RECURSE ${WORK})

if(HOW STREQUAL "pkg-config")
  # pkg-config cannot carry a language standard, so C++17 is asked for here (gcc's default
  # already; clang's is C++14), as a pkg-config user must.
  function(build_against prefix)
    file(GLOB_RECURSE pc_file ${prefix}/*/rudder-analytics.pc)
    get_filename_component(pc_dir ${pc_file} DIRECTORY)
    set(ENV{PKG_CONFIG_PATH} ${pc_dir})
    run(pkg-config --cflags --libs rudder-analytics)
    string(STRIP "${run_output}" flags)
    separate_arguments(flags UNIX_COMMAND "${flags}")
    string(FIND "${flags}" "${prefix}/" at)
    if(at EQUAL -1)
      message(FATAL_ERROR "pkg-config's flags do not point into ${prefix}: ${flags}")
    endif()
    run(${CXX} -std=c++17 -Wall -Wextra -Wpedantic -Werror ${consumer}/main.cpp ${flags} -o ${WORK}/consumer)
    run(${WORK}/consumer)
    message(STATUS "consumer (${prefix}): ${run_output}")
    run(${CC} -std=c99 -Wall -Wextra -Wpedantic -Werror ${consumer}/main.c ${flags} -o ${WORK}/consumer_c)
    run(${WORK}/consumer_c)
    message(STATUS "C consumer (${prefix}): ${run_output}")
  endfunction()
  file(MAKE_DIRECTORY ${WORK})
  file(COPY ${PREFIX}/ DESTINATION ${WORK}/prefix)
  build_against(${WORK}/prefix)
  file(RENAME ${WORK}/prefix ${WORK}/moved)
  build_against(${WORK}/moved)
  return()
endif()

set(configure ${CMAKE_COMMAND} -S ${consumer} -B ${WORK} -DCMAKE_CXX_COMPILER=${CXX} -DCMAKE_C_COMPILER=${CC}
    -DRUDDER_HOW=${HOW})
if(HOW STREQUAL "find_package")
  list(APPEND configure -DCMAKE_PREFIX_PATH=${PREFIX})
elseif(HOW STREQUAL "add_subdirectory")
  list(APPEND configure -DRUDDER_SOURCE_DIR=${SOURCE_DIR})
elseif(HOW STREQUAL "FetchContent")
  list(APPEND configure -DRUDDER_SOURCE_DIR=${SOURCE_DIR} -DFETCHCONTENT_SOURCE_DIR_RUDDER_ANALYTICS=${SOURCE_DIR})
endif()
run(${configure})
run(${CMAKE_COMMAND} --build ${WORK} -j2)
run(${WORK}/consumer)
message(STATUS "consumer: ${run_output}")
run(${WORK}/consumer_c)
message(STATUS "C consumer: ${run_output}")

if(HOW STREQUAL "find_package")
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR}/tests/packaging/consumer_c -B ${WORK}/c-only
      -DCMAKE_C_COMPILER=${CC} -DCMAKE_PREFIX_PATH=${PREFIX})
  run(${CMAKE_COMMAND} --build ${WORK}/c-only -j2)
  run(${WORK}/c-only/consumer_c_only)
  message(STATUS "C-only project: ${run_output}")
endif()
