# ctest -P script: installs the build into a scratch prefix, then configures, builds and runs
# tests/consumer against it with find_package(rudder-analytics).
set(prefix ${BUILD_DIR}/consumer-test/prefix)
set(work ${BUILD_DIR}/consumer-test/build)
file(REMOVE_RECURSE ${BUILD_DIR}/consumer-test)
foreach(step
    "${CMAKE_COMMAND};--install;${BUILD_DIR};--prefix;${prefix}"
    "${CMAKE_COMMAND};-S;${SOURCE_DIR}/tests/consumer;-B;${work};-DCMAKE_PREFIX_PATH=${prefix}"
    "${CMAKE_COMMAND};--build;${work};-j2"
    "${work}/consumer")
  execute_process(COMMAND ${step} RESULT_VARIABLE result OUTPUT_VARIABLE out ERROR_VARIABLE out)
  if(NOT result EQUAL 0)
    message(FATAL_ERROR "consumer step failed: ${step}\n${out}")
  endif()
endforeach()
message(STATUS "consumer: ${out}")
