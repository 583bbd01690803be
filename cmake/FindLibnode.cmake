# Finds libnode (Node.js as a shared library, Debian's libnode108 / Node 18).
# Looks, in order, in LIBNODE_ROOT (a CMake or environment variable: a prefix
# holding usr/include/node and usr/lib/<multiarch>/libnode.so*), in pkg-config's
# "libnode", in ./.libnode (where scripts/setup.sh unpacks the Debian packages),
# and in the system's standard places.
set(LIBNODE_ROOT "$ENV{LIBNODE_ROOT}" CACHE PATH "prefix of an unpacked libnode (usr/include/node, usr/lib/...)")
set(_libnode_hints)
foreach(root IN ITEMS "${LIBNODE_ROOT}" "${PROJECT_SOURCE_DIR}/.libnode")
  if(root)
    list(APPEND _libnode_hints "${root}" "${root}/usr")
  endif()
endforeach()

find_package(PkgConfig QUIET)
if(PKG_CONFIG_FOUND)
  pkg_check_modules(PC_LIBNODE QUIET libnode)
endif()

find_path(LIBNODE_INCLUDE_DIR node.h
  HINTS ${_libnode_hints} ${PC_LIBNODE_INCLUDE_DIRS}
  PATH_SUFFIXES include/node include/nodejs/src node
  NO_CACHE)
find_library(LIBNODE_LIBRARY NAMES node libnode.so.108
  HINTS ${_libnode_hints} ${PC_LIBNODE_LIBRARY_DIRS}
  PATH_SUFFIXES lib lib/x86_64-linux-gnu lib/aarch64-linux-gnu
  NO_CACHE)

if(LIBNODE_INCLUDE_DIR AND LIBNODE_LIBRARY)
  set(LIBNODE_FOUND TRUE)
  get_filename_component(LIBNODE_LIBRARY_DIR "${LIBNODE_LIBRARY}" DIRECTORY)
  message(STATUS "zeek-arrow: libnode ${LIBNODE_LIBRARY} (headers ${LIBNODE_INCLUDE_DIR})")
else()
  set(LIBNODE_FOUND FALSE)
endif()
