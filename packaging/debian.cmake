# SPDX-License-Identifier: Apache-2.0
# CPack Debian packages, one per install component:
#   runtime        -> libdbridge1           the core library
#   dev            -> libdbridge-dev        headers, CMake package, SDK
#   cli            -> dbridge               the command
#   plugin-<id>    -> dbridge-plugin-<id>   one per plugin (dbridge_add_plugin)
# Each package's Depends come from dpkg-shlibdeps on the ELF files it holds
# (libpq5 for postgres, libmariadb3 for mysql, ...), plus libdbridge1 for what
# needs the core. Build them with: cpack --config <build>/CPackConfig.cmake -G DEB
set(CPACK_GENERATOR DEB)
set(CPACK_PACKAGE_NAME dbridge)
set(CPACK_PACKAGE_VENDOR "dbridge")
set(CPACK_PACKAGE_CONTACT "dbridge maintainers <dbridge@localhost>")
set(CPACK_PACKAGE_VERSION "${PROJECT_VERSION}")
set(CPACK_PACKAGE_DESCRIPTION_SUMMARY "${PROJECT_DESCRIPTION}")
set(CPACK_PACKAGING_INSTALL_PREFIX /usr)
set(CPACK_DEB_COMPONENT_INSTALL ON)
set(CPACK_DEBIAN_FILE_NAME DEB-DEFAULT)
set(CPACK_DEBIAN_PACKAGE_SECTION libs)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS ON)
set(CPACK_DEBIAN_ENABLE_COMPONENT_DEPENDS ON)
# The CLI links libdbridge.so.1, which is in no installed Debian package while
# packaging: dpkg-shlibdeps finds it in the build tree, and the component
# dependency below names its package.
get_target_property(_dbridge_core_dir dbridge_core BINARY_DIR)
set(CPACK_DEBIAN_PACKAGE_SHLIBDEPS_PRIVATE_DIRS "${_dbridge_core_dir}")

set(CPACK_DEBIAN_RUNTIME_PACKAGE_NAME libdbridge1)
set(CPACK_COMPONENT_RUNTIME_DESCRIPTION "dbridge core library (plugin host, client API)")

set(CPACK_DEBIAN_DEV_PACKAGE_NAME libdbridge-dev)
set(CPACK_DEBIAN_DEV_PACKAGE_SECTION libdevel)
set(CPACK_COMPONENT_DEV_DESCRIPTION "dbridge development files: headers, CMake package, plugin SDK")
set(CPACK_COMPONENT_DEV_DEPENDS runtime)

set(CPACK_DEBIAN_CLI_PACKAGE_NAME dbridge)
set(CPACK_DEBIAN_CLI_PACKAGE_SECTION database)
set(CPACK_COMPONENT_CLI_DESCRIPTION "dbridge command: list and verify plugins, run queries")
set(CPACK_COMPONENT_CLI_DEPENDS runtime)

get_property(_dbridge_plugin_components GLOBAL PROPERTY DBRIDGE_PLUGIN_COMPONENTS)
foreach(_component IN LISTS _dbridge_plugin_components)
  string(TOUPPER "${_component}" _upper)
  string(REPLACE "plugin-" "" _id "${_component}")
  set(CPACK_DEBIAN_${_upper}_PACKAGE_NAME "dbridge-${_component}")
  set(CPACK_DEBIAN_${_upper}_PACKAGE_SECTION database)
  set(CPACK_COMPONENT_${_upper}_DESCRIPTION "dbridge plugin '${_id}'")
  # Loaded by the core, never linked to it: the package still needs a host.
  set(CPACK_COMPONENT_${_upper}_DEPENDS runtime)
endforeach()
set(CPACK_COMPONENTS_ALL runtime dev cli ${_dbridge_plugin_components})
include(CPack)
