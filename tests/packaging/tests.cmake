# The ways a user consumes the library, each built as a separate project (a C++ program and a
# C99 one using the C API) with gcc and with clang at their default standards and -Werror (see tests/packaging/consumer): find_package
# against a static and a shared install, add_subdirectory, FetchContent, and pkg-config after an
# install to a prefix and after that prefix is moved; the shared library's exported symbols; the
# version beside js/package.json. Not in sanitizer builds: the consumers are compiled without
# the sanitizers the library would then need.
if(RUDDER_SANITIZE)
  return()
endif()

set(packaging ${CMAKE_CURRENT_SOURCE_DIR}/packaging)
set(work ${PROJECT_BINARY_DIR}/packaging)
set(static_prefix ${work}/static-prefix)
set(shared_prefix ${work}/shared-prefix)

add_test(NAME Packaging.VersionMatchesThePackageJson
  COMMAND ${CMAKE_COMMAND} -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DVERSION=${PROJECT_VERSION}
          -P ${packaging}/version.cmake)

add_test(NAME Packaging.InstallStatic
  COMMAND ${CMAKE_COMMAND} -DKIND=static -DBUILD_DIR=${PROJECT_BINARY_DIR} -DPREFIX=${static_prefix}
          -P ${packaging}/install.cmake)
set_tests_properties(Packaging.InstallStatic PROPERTIES FIXTURES_SETUP static_install)
add_test(NAME Packaging.InstallShared
  COMMAND ${CMAKE_COMMAND} -DKIND=shared -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DWORK=${work}/shared-build
          -DPREFIX=${shared_prefix} -P ${packaging}/install.cmake)
set_tests_properties(Packaging.InstallShared PROPERTIES FIXTURES_SETUP shared_install TIMEOUT 900)

add_test(NAME Packaging.SharedLibraryExportsOnlyThePublicApi
  COMMAND ${CMAKE_COMMAND} -DPREFIX=${shared_prefix} -P ${packaging}/exports.cmake)
set_tests_properties(Packaging.SharedLibraryExportsOnlyThePublicApi PROPERTIES FIXTURES_REQUIRED shared_install)

find_program(RUDDER_GCC NAMES gcc REQUIRED)
find_program(RUDDER_GXX NAMES g++ REQUIRED)
find_program(RUDDER_CLANG NAMES clang REQUIRED)
find_program(RUDDER_CLANGXX NAMES clang++ REQUIRED)
foreach(compiler gcc clang)
  if(compiler STREQUAL "gcc")
    set(cc ${RUDDER_GCC})
    set(cxx ${RUDDER_GXX})
  else()
    set(cc ${RUDDER_CLANG})
    set(cxx ${RUDDER_CLANGXX})
  endif()
  foreach(way FindPackageStatic FindPackageShared AddSubdirectory FetchContent PkgConfigMovedPrefix)
    set(args -DSOURCE_DIR=${PROJECT_SOURCE_DIR} -DCC=${cc} -DCXX=${cxx} -DWORK=${work}/${way}-${compiler})
    set(fixture "")
    if(way STREQUAL "FindPackageStatic")
      list(APPEND args -DHOW=find_package -DPREFIX=${static_prefix})
      set(fixture static_install)
    elseif(way STREQUAL "FindPackageShared")
      list(APPEND args -DHOW=find_package -DPREFIX=${shared_prefix})
      set(fixture shared_install)
    elseif(way STREQUAL "AddSubdirectory")
      list(APPEND args -DHOW=add_subdirectory)
    elseif(way STREQUAL "FetchContent")
      list(APPEND args -DHOW=FetchContent)
    else()
      list(APPEND args -DHOW=pkg-config -DPREFIX=${static_prefix})
      set(fixture static_install)
    endif()
    add_test(NAME Packaging.${way}.${compiler} COMMAND ${CMAKE_COMMAND} ${args} -P ${packaging}/consume.cmake)
    set_tests_properties(Packaging.${way}.${compiler} PROPERTIES TIMEOUT 900 FIXTURES_REQUIRED "${fixture}")
  endforeach()
endforeach()

# The C and Python examples deliver through the C API (the Python one through ctypes, from the
# shared library).
if(RUDDER_BUILD_TOOLS)
  find_program(RUDDER_NODE NAMES node REQUIRED)
  add_test(NAME Examples.CAndPythonDeliverTheSixCalls
    COMMAND ${RUDDER_NODE} --test ${CMAKE_CURRENT_SOURCE_DIR}/examples/examples.test.mjs)
  set_tests_properties(Examples.CAndPythonDeliverTheSixCalls PROPERTIES
    FIXTURES_REQUIRED shared_install
    ENVIRONMENT "RUDDER_C_EXAMPLE=$<TARGET_FILE:c_example>;RUDDER_ANALYTICS_LIBRARY=${shared_prefix}/${CMAKE_INSTALL_LIBDIR}/librudder_analytics.so")
endif()
