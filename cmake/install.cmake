# Installs the native library so other projects can use find_package(rudder-analytics) or
# pkg-config, with the same target name as add_subdirectory() gives: rudder::analytics.
include(CMakePackageConfigHelpers)

install(TARGETS rudder_analytics rudder_core EXPORT rudder-analytics-targets
  ARCHIVE DESTINATION ${CMAKE_INSTALL_LIBDIR}
  LIBRARY DESTINATION ${CMAKE_INSTALL_LIBDIR})
install(DIRECTORY ${PROJECT_SOURCE_DIR}/include/rudder DESTINATION ${CMAKE_INSTALL_INCLUDEDIR})

set(config_dir ${CMAKE_INSTALL_LIBDIR}/cmake/rudder-analytics)
install(EXPORT rudder-analytics-targets NAMESPACE rudder:: DESTINATION ${config_dir})
configure_package_config_file(${CMAKE_CURRENT_LIST_DIR}/rudder-analytics-config.cmake.in
  ${CMAKE_CURRENT_BINARY_DIR}/rudder-analytics-config.cmake INSTALL_DESTINATION ${config_dir})
write_basic_package_version_file(${CMAKE_CURRENT_BINARY_DIR}/rudder-analytics-config-version.cmake
  COMPATIBILITY SameMinorVersion)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/rudder-analytics-config.cmake
              ${CMAKE_CURRENT_BINARY_DIR}/rudder-analytics-config-version.cmake
              ${CMAKE_CURRENT_LIST_DIR}/find_libdeflate.cmake
  DESTINATION ${config_dir})

configure_file(${CMAKE_CURRENT_LIST_DIR}/rudder-analytics.pc.in
  ${CMAKE_CURRENT_BINARY_DIR}/rudder-analytics.pc @ONLY)
install(FILES ${CMAKE_CURRENT_BINARY_DIR}/rudder-analytics.pc
  DESTINATION ${CMAKE_INSTALL_LIBDIR}/pkgconfig)
