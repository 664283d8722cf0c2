# SPDX-License-Identifier: Apache-2.0
# cmake -DCLI=<dbridge> -DPLUGIN_DIR=<dir> -DLIBRARY=<lib.so> -P dbridge_check_plugin.cmake
# Runs `dbridge plugin check PLUGIN_DIR` (its report goes to the build log as
# printed). On failure the library is removed, so the build stays failed
# until the plugin and its plugin.toml agree.
foreach(var CLI PLUGIN_DIR LIBRARY)
  if(NOT DEFINED ${var})
    message(FATAL_ERROR "dbridge_check_plugin: -D${var}=... is required")
  endif()
endforeach()
execute_process(COMMAND "${CLI}" plugin check "${PLUGIN_DIR}" RESULT_VARIABLE rc OUTPUT_VARIABLE out)
if(NOT rc EQUAL 0)
  file(REMOVE "${LIBRARY}")
  # Printed as is: message() would re-wrap the report.
  execute_process(COMMAND "${CMAKE_COMMAND}" -E echo "${out}")
  message(FATAL_ERROR "${LIBRARY} does not load as ${PLUGIN_DIR}/plugin.toml describes it (see above); removed")
endif()
