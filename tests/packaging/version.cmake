# ctest script (cmake -P): the npm package's version is the project's (project(VERSION), which
# rudder/version.h and context.library.version carry).
file(READ ${SOURCE_DIR}/js/package.json package_json)
string(JSON npm_version GET "${package_json}" version)
if(NOT npm_version STREQUAL VERSION)
  message(FATAL_ERROR "js/package.json says ${npm_version}, CMakeLists.txt project(VERSION) ${VERSION}: make them equal")
endif()
file(READ ${SOURCE_DIR}/js/package-lock.json lock_json)
string(JSON lock_version GET "${lock_json}" version)
if(NOT lock_version STREQUAL VERSION)
  message(FATAL_ERROR "js/package-lock.json says ${lock_version}: run npm install in js/ after changing the version")
endif()
