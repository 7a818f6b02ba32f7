# ctest fixture (cmake -P): installs the library into PREFIX as a user would.
#   KIND=static: the test build's own library (BUILD_DIR), with `cmake --install --prefix`.
#   KIND=shared: a build of SOURCE_DIR with BUILD_SHARED_LIBS=ON in WORK, then installed.
include(${CMAKE_CURRENT_LIST_DIR}/common.cmake)
file(REMOVE_RECURSE ${PREFIX})
if(KIND STREQUAL "shared")
  file(REMOVE_RECURSE ${WORK})
  run(${CMAKE_COMMAND} -S ${SOURCE_DIR} -B ${WORK} -DBUILD_SHARED_LIBS=ON -DCMAKE_BUILD_TYPE=Release
      -DRUDDER_BUILD_TESTS=OFF -DRUDDER_BUILD_TOOLS=OFF)
  run(${CMAKE_COMMAND} --build ${WORK} -j2)
  run(${CMAKE_COMMAND} --install ${WORK} --prefix ${PREFIX})
else()
  run(${CMAKE_COMMAND} --install ${BUILD_DIR} --prefix ${PREFIX})
endif()
file(GLOB_RECURSE license ${PREFIX}/share/doc/*/LICENSE)
if(NOT license)
  message(FATAL_ERROR "the install has no LICENSE under ${PREFIX}/share/doc")
endif()
