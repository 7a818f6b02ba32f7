# libdeflate (Debian's libdeflate-dev) as the imported target rudder::libdeflate. Used by the
# build and, installed beside the package config, by find_package(rudder-analytics) users,
# since the static library needs it at link time. libdeflate ships no CMake package here.
if(NOT TARGET rudder::libdeflate)
  find_path(RUDDER_LIBDEFLATE_INCLUDE_DIR libdeflate.h)
  find_library(RUDDER_LIBDEFLATE_LIBRARY deflate)
  if(NOT RUDDER_LIBDEFLATE_INCLUDE_DIR OR NOT RUDDER_LIBDEFLATE_LIBRARY)
    message(FATAL_ERROR "libdeflate not found: install Debian's libdeflate-dev")
  endif()
  add_library(rudder::libdeflate UNKNOWN IMPORTED)
  set_target_properties(rudder::libdeflate PROPERTIES
    IMPORTED_LOCATION "${RUDDER_LIBDEFLATE_LIBRARY}"
    INTERFACE_INCLUDE_DIRECTORIES "${RUDDER_LIBDEFLATE_INCLUDE_DIR}")
endif()
