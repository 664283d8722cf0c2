# SPDX-License-Identifier: Apache-2.0
# dbridge_add_plugin(NAME <id> SOURCES <src>... MANIFEST <plugin.toml>
#                    [LIBRARIES <lib>...] [OUTPUT_DIR <dir>] [NO_INSTALL])
#
# Builds libdbridge_<id>.so as a MODULE linked only against dbridge::sdk (never
# the core) plus LIBRARIES (PRIVATE), exporting nothing but
# dbridge_plugin_entry_v1. After each link the library's sha256 is stamped into
# a copy of the manifest placed next to it:
#   in the dbridge tree:  ${DBRIDGE_BUILD_PLUGIN_DIR}/<id>/   (the core searches it)
#   out of tree:          ${CMAKE_BINARY_DIR}/plugins/<id>/   (or OUTPUT_DIR)
# Both files install byte-identical to ${DBRIDGE_PLUGIN_INSTALL_DIR}/<id>/.
#
# Unless NO_INSTALL, the `packages` target packs the folder into
# ${CMAKE_BINARY_DIR}/dist/dbridge-<id>-<version>-<platform>.dbrpkg with
# `dbridge plugin pack` (the built one in the dbridge tree, else the installed
# one next to this file's prefix, else DBRIDGE_CLI or the one on PATH).
#
# After each link `dbridge plugin check` loads the library the way the core
# does and compares its descriptor with plugin.toml: a mismatch fails the
# build (and removes the library, so the next build checks again).
#
# The source manifest holds `sha256 = "@SHA256@"` in [library] (or no sha256
# line at all, and one is added after `path`); a literal hash there is an
# error, because it could only ever be stale. The targets get
# DBRIDGE_PLUGIN_ID and DBRIDGE_PLUGIN_VERSION (read from the manifest) so
# the descriptor cannot drift from it.
include_guard(GLOBAL)

set_property(GLOBAL PROPERTY DBRIDGE_PLUGIN_CMAKE_DIR "${CMAKE_CURRENT_LIST_DIR}")

function(dbridge_add_plugin)
  cmake_parse_arguments(PARSE_ARGV 0 arg "NO_INSTALL" "NAME;MANIFEST;OUTPUT_DIR" "SOURCES;LIBRARIES")
  if(arg_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "dbridge_add_plugin: unknown arguments: ${arg_UNPARSED_ARGUMENTS}")
  endif()
  if(NOT arg_NAME MATCHES "^[a-z0-9][a-z0-9-]*$")
    message(FATAL_ERROR "dbridge_add_plugin: NAME '${arg_NAME}' must match [a-z0-9-]+ (it is the plugin id)")
  endif()
  if(NOT arg_SOURCES)
    message(FATAL_ERROR "dbridge_add_plugin(${arg_NAME}): SOURCES is required")
  endif()
  if(NOT arg_MANIFEST)
    message(FATAL_ERROR "dbridge_add_plugin(${arg_NAME}): MANIFEST is required (the plugin.toml)")
  endif()
  get_filename_component(manifest "${arg_MANIFEST}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
  if(NOT EXISTS "${manifest}")
    message(FATAL_ERROR "dbridge_add_plugin(${arg_NAME}): manifest ${manifest} does not exist")
  endif()
  set_property(DIRECTORY APPEND PROPERTY CMAKE_CONFIGURE_DEPENDS "${manifest}")

  # The id and version the descriptor must report come from the manifest.
  file(READ "${manifest}" text)
  if(NOT text MATCHES "\\[plugin\\][^[]*id[ \t]*=[ \t]*\"([^\"]*)\"")
    message(FATAL_ERROR "${manifest}: [plugin] has no id = \"...\"")
  endif()
  set(manifest_id "${CMAKE_MATCH_1}")
  if(NOT manifest_id STREQUAL arg_NAME)
    message(FATAL_ERROR "${manifest}: [plugin] id is \"${manifest_id}\" but dbridge_add_plugin NAME is \"${arg_NAME}\"; make them equal")
  endif()
  if(NOT text MATCHES "\\[plugin\\][^[]*version[ \t]*=[ \t]*\"([^\"]*)\"")
    message(FATAL_ERROR "${manifest}: [plugin] has no version = \"...\"")
  endif()
  set(manifest_version "${CMAKE_MATCH_1}")

  if(arg_OUTPUT_DIR)
    get_filename_component(outdir "${arg_OUTPUT_DIR}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_BINARY_DIR}")
  elseif(DEFINED DBRIDGE_BUILD_PLUGIN_DIR)
    set(outdir "${DBRIDGE_BUILD_PLUGIN_DIR}/${arg_NAME}")
  else()
    set(outdir "${CMAKE_BINARY_DIR}/plugins/${arg_NAME}")
  endif()
  if(DEFINED DBRIDGE_PLUGIN_INSTALL_DIR)
    set(install_dir "${DBRIDGE_PLUGIN_INSTALL_DIR}/${arg_NAME}")
  else()
    set(install_dir "${CMAKE_INSTALL_LIBDIR}/dbridge/plugins/${arg_NAME}")
  endif()

  set(target "dbridge_plugin_${arg_NAME}")
  add_library(${target} MODULE ${arg_SOURCES})
  target_link_libraries(${target} PRIVATE dbridge::sdk ${arg_LIBRARIES})
  target_compile_features(${target} PRIVATE cxx_std_20)
  target_compile_definitions(${target} PRIVATE
    DBRIDGE_PLUGIN_ID="${arg_NAME}" DBRIDGE_PLUGIN_VERSION="${manifest_version}")

  # Export exactly the entry symbol: a version script, hidden visibility, and
  # -z defs so a missing symbol fails the link instead of the first dlopen.
  set(version_script "${CMAKE_CURRENT_BINARY_DIR}/${target}.map")
  file(CONFIGURE OUTPUT "${version_script}" CONTENT "{\n  global: dbridge_plugin_entry_v1;\n  local: *;\n};\n")
  target_link_options(${target} PRIVATE
    "LINKER:--version-script=${version_script}" "LINKER:-z,defs" "LINKER:-z,now")
  set_target_properties(${target} PROPERTIES
    PREFIX "lib"
    OUTPUT_NAME "dbridge_${arg_NAME}"
    SUFFIX ".so"
    LIBRARY_OUTPUT_DIRECTORY "${outdir}"
    C_VISIBILITY_PRESET hidden
    CXX_VISIBILITY_PRESET hidden
    VISIBILITY_INLINES_HIDDEN ON
    # No RPATH, ever: install must not rewrite the file (its hash is in the manifest).
    BUILD_WITH_INSTALL_RPATH ON
    INSTALL_RPATH ""
    SKIP_BUILD_RPATH ON
    # Relink (and so re-stamp) when the script or the source manifest changes.
    LINK_DEPENDS "${version_script};${manifest}")
  foreach(cfg IN ITEMS DEBUG RELEASE RELWITHDEBINFO MINSIZEREL)
    set_target_properties(${target} PROPERTIES LIBRARY_OUTPUT_DIRECTORY_${cfg} "${outdir}")
  endforeach()

  get_property(cmake_dir GLOBAL PROPERTY DBRIDGE_PLUGIN_CMAKE_DIR)
  add_custom_command(TARGET ${target} POST_BUILD
    COMMAND "${CMAKE_COMMAND}" "-DLIBRARY=$<TARGET_FILE:${target}>" "-DMANIFEST_IN=${manifest}"
            "-DMANIFEST_OUT=${outdir}/plugin.toml" "-DPLUGIN_ID=${arg_NAME}"
            -P "${cmake_dir}/dbridge_stamp_manifest.cmake"
    COMMENT "Stamping the sha256 of libdbridge_${arg_NAME}.so into ${outdir}/plugin.toml"
    VERBATIM)

  # The `dbridge` command: it checks each build (below) and packs packages.
  if(DEFINED DBRIDGE_BUILD_PLUGIN_DIR)
    set(cli "$<TARGET_FILE:dbridge-package>")  # what `dbridge plugin ...` runs
  else()
    find_program(DBRIDGE_CLI dbridge HINTS "${cmake_dir}/../../../bin")
    set(cli "${DBRIDGE_CLI}")
  endif()
  # The loader's own checks on the fresh build (`dbridge plugin check`): a
  # descriptor that disagrees with plugin.toml (schemes, capabilities,
  # threading, ABI minimum...) fails the build and the library is removed,
  # instead of failing a user's first connect.
  if(CMAKE_CROSSCOMPILING)
    message(STATUS "dbridge_add_plugin(${arg_NAME}): cross-compiling, so the build-time load check is skipped")
  elseif(NOT cli)
    message(WARNING "dbridge_add_plugin(${arg_NAME}): no `dbridge` command found, so the build cannot check the "
                    "library against plugin.toml (set DBRIDGE_CLI to it)")
  else()
    add_custom_command(TARGET ${target} POST_BUILD
      COMMAND "${CMAKE_COMMAND}" "-DCLI=${cli}" "-DPLUGIN_DIR=${outdir}" "-DLIBRARY=$<TARGET_FILE:${target}>"
              -P "${cmake_dir}/dbridge_check_plugin.cmake"
      COMMENT "Checking libdbridge_${arg_NAME}.so against its plugin.toml (dbridge plugin check)"
      VERBATIM)
    if(DEFINED DBRIDGE_BUILD_PLUGIN_DIR)
      add_dependencies(${target} dbridge-package)
    endif()
  endif()

  # Plain file copies: byte-identical to what was hashed. NO_INSTALL is for
  # test fixtures.
  if(arg_NO_INSTALL)
    return()
  endif()

  if(DEFINED DBRIDGE_BUILD_PLUGIN_DIR)
    set(packer "$<TARGET_FILE:dbridge>")
  else()
    set(packer "${DBRIDGE_CLI}")
  endif()
  if(packer)
    if(NOT TARGET packages)
      add_custom_target(packages)
    endif()
    add_custom_target(dbridge_package_${arg_NAME}
      COMMAND "${packer}" plugin pack "${outdir}" -o "${CMAKE_BINARY_DIR}/dist"
      COMMENT "Packing ${arg_NAME} into ${CMAKE_BINARY_DIR}/dist"
      VERBATIM)
    add_dependencies(dbridge_package_${arg_NAME} ${target})
    if(DEFINED DBRIDGE_BUILD_PLUGIN_DIR)
      add_dependencies(dbridge_package_${arg_NAME} dbridge dbridge-package)
    endif()
    add_dependencies(packages dbridge_package_${arg_NAME})
  endif()
  # One install component per plugin (plugin-<id>): CPack makes each its own
  # Debian package, and `cmake --install --component plugin-<id>` installs one.
  install(FILES "$<TARGET_FILE:${target}>" DESTINATION "${install_dir}" COMPONENT "plugin-${arg_NAME}"
    PERMISSIONS OWNER_READ OWNER_WRITE OWNER_EXECUTE GROUP_READ GROUP_EXECUTE WORLD_READ WORLD_EXECUTE)
  install(FILES "${outdir}/plugin.toml" DESTINATION "${install_dir}" COMPONENT "plugin-${arg_NAME}")
  set_property(GLOBAL APPEND PROPERTY DBRIDGE_PLUGIN_COMPONENTS "plugin-${arg_NAME}")
endfunction()
