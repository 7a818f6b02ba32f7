# Installs the native library so other projects can use find_package(rudder-analytics) or
# pkg-config, with the same target name as add_subdirectory() gives: rudder::analytics.
include(CMakePackageConfigHelpers)

# The static library's users also link the core's archive; a shared library holds it.
set(installed_targets rudder_analytics)
if(NOT BUILD_SHARED_LIBS)
  list(APPEND installed_targets rudder_core)
endif()
install(TARGETS ${installed_targets} EXPORT rudder-analytics-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR}
  RUNTIME DESTINATION ${CMAKE_INSTALL_BINDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/rudder DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})
install(FILES ${PROJECT_BINARY_DIR}/include/rudder/version.h
  DESTINATION ${CMAKE_INSTALL_INCLUDEDIR}/rudder)
install(FILES ${PROJECT_SOURCE_DIR}/LICENSE DESTINATION ${CMAKE_INSTALL_DOCDIR})

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/rudder-analytics)
install(EXPORT rudder-analytics-targets NAMESPACE rudder:: DESTINATION ${config_dir})
if(BUILD_SHARED_LIBS)
  set(RUDDER_SHARED ON)
else()
  set(RUDDER_SHARED OFF)
endif()
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/rudder-analytics-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/rudder-analytics-config.cmake INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/rudder-analytics-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/rudder-analytics-config.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/rudder-analytics-config-version.cmake
              ${CMAKE_CURRENT_LIST_DIR}/find_libdeflate.cmake
  DESTINATION ${config_dir})

# pkg-config: relocatable (every path from ${pcfiledir}, so a moved prefix still works), with
# Requires: for what the headers include and, for the static library, what it links.
set(pc_dir ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
file(RELATIVE_PATH pc_to_prefix /prefix/${pc_dir} /prefix)
string(REGEX REPLACE "/$" "" pc_to_prefix "${pc_to_prefix}")
if(BUILD_SHARED_LIBS)
  set(pc_requires "nlohmann_json")
  set(pc_cflags "")
  set(pc_libs "-lrudder_analytics")
else()
  set(pc_requires "nlohmann_json libcurl libdeflate")
  set(pc_cflags " -DRUDDER_STATIC")
  # libstdc++ for C programs using the C API (rudder/analytics.h); C++ links it anyway.
  set(pc_libs "-lrudder_analytics -lrudder_core -pthread -lstdc++ -lm")
endif()
configure_file(${CMAKE_CURRENT_LIST_DIR}/rudder-analytics.pc.in
  ${CMAKE_CURRENT_BINARY_DIR}/rudder-analytics.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/rudder-analytics.pc DESTINATION ${pc_dir})
