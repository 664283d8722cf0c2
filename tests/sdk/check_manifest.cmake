# cmake -DLIBRARY=<plugin.so> -DMANIFEST=<plugin.toml> -P check_manifest.cmake:
# the stamped manifest must hold the library's sha256 and no placeholder.
file(SHA256 "${LIBRARY}" hash)
file(READ "${MANIFEST}" text)
if(text MATCHES "@SHA256@")
  message(FATAL_ERROR "${MANIFEST} still holds the @SHA256@ placeholder")
endif()
if(NOT text MATCHES "sha256 = \"${hash}\"")
  message(FATAL_ERROR "${MANIFEST} does not hold the sha256 of ${LIBRARY} (${hash})")
endif()
