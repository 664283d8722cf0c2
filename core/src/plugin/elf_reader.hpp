// SPDX-License-Identifier: Apache-2.0
// Reading a library's ELF dynamic section: what it needs and whether ld.so
// will find it, before dlopen fails with a less helpful message.
#pragma once

#include <filesystem>
#include <string>
#include <vector>

namespace dbridge::inline v1::detail {

/// What the ELF dynamic section of a library says about its dependencies.
struct elf_dependencies {
  bool ok = false;                    ///< a shared object for this machine
  std::string problem;                ///< why not, when !ok
  std::vector<std::string> needed;    ///< DT_NEEDED
  std::vector<std::string> missing;   ///< needed ones not found where ld.so looks
};
/// Reads the library open on fd (real_path for $ORIGIN and messages).
elf_dependencies read_elf_dependencies(int fd, const std::filesystem::path& real_path);

/// A fix-it line for a missing shared library ("apt-get install libpq5").
std::string missing_library_fix(const std::vector<std::string>& sonames);

}  // namespace dbridge::detail
