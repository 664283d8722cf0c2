# SPDX-License-Identifier: Apache-2.0
# cmake -DCLI=<dbridge> -DPLUGIN_DIR=<dir> -DLIBRARY=<lib.so> -P dbridge_check_plugin.cmake
# Runs `dbridge plugin check PLUGIN_DIR`. On failure the library is removed, so
# the build stays failed until the plugin and its plugin.toml agree.
foreach(var CLI PLUGIN_DIR LIBRARY)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "dbridge_check_plugin: -D${var}=... is required")
  endif()
endforeach()
execute_process(COMMAND "${CLI}" plugin check "${PLUGIN_DIR}"
  RESULT_VARIABLE rc OUTPUT_VARIABLE out ERROR_VARIABLE err)
if(NOT rc EQUAL 0)
  file(REMOVE "${LIBRARY}")
  message(FATAL_ERROR "${PLUGIN_DIR}: the built library does not load as its plugin.toml describes it:\n${out}${err}")
endif()
