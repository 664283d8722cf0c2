# SPDX-License-Identifier: Apache-2.0
# cmake -DLIBRARY=<lib.so> -DMANIFEST_IN=<plugin.toml> -DMANIFEST_OUT=<dir/plugin.toml>
#       -DPLUGIN_ID=<id> -P dbridge_stamp_manifest.cmake
# Writes MANIFEST_IN with the library's sha256 to MANIFEST_OUT (see
# dbridge_plugin.cmake for the rules of the source manifest).
foreach(var LIBRARY MANIFEST_IN MANIFEST_OUT PLUGIN_ID)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "dbridge_stamp_manifest: -D${var}=... is required")
  endif()
endforeach()
file(SHA256 "${LIBRARY}" hash)
file(READ "${MANIFEST_IN}" text)
get_filename_component(libname "${LIBRARY}" NAME)

if(NOT text MATCHES "\\[library\\]")
  message(FATAL_ERROR "${MANIFEST_IN}: no [library] table; add one with path = \"${libname}\"")
endif()
if(NOT text MATCHES "\\[library\\][^[]*path[ \t]*=[ \t]*\"${libname}\"")
  message(FATAL_ERROR "${MANIFEST_IN}: [library] path must be \"${libname}\" (the file dbridge_add_plugin builds)")
endif()

if(text MATCHES "@SHA256@")
  string(REPLACE "@SHA256@" "${hash}" text "${text}")
elseif(text MATCHES "\\[library\\][^[]*sha256[ \t]*=")
  message(FATAL_ERROR "${MANIFEST_IN}: [library] sha256 must be \"@SHA256@\" (stamped at build time), not a literal hash")
else()
  string(REGEX REPLACE "(\\[library\\][^[]*path[ \t]*=[ \t]*\"[^\"]*\"[^\n]*\n)" "\\1sha256 = \"${hash}\"\n"
         text "${text}")
endif()

set(old "")
if(EXISTS "${MANIFEST_OUT}")
  file(READ "${MANIFEST_OUT}" old)
endif()
if(NOT old STREQUAL text)
  file(WRITE "${MANIFEST_OUT}" "${text}")
endif()
