// SPDX-License-Identifier: Apache-2.0
// `dbridge plugin ...` and `dbridge repo ...` run in `dbridge-package`, so the
// libraries packages need (libarchive, libcurl, libcrypto) stay out of every
// other command's start-up.
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <vector>

#include "commands.hpp"

namespace dbridge::cli {

namespace fs = std::filesystem;

int exec_package_program(int argc, char** argv) {
  std::error_code ec;
  const fs::path self = fs::read_symlink("/proc/self/exe", ec);
  if (ec) {
    return report_failure("not found", "cannot locate this executable (/proc/self/exe): " + ec.message(),
                          "run dbridge-package from <libexecdir>/dbridge directly");
  }
  // The build tree puts it next to dbridge; an install under <libexecdir>/dbridge.
  const fs::path sibling = self.parent_path() / "dbridge-package";
  const fs::path installed = (self.parent_path() / DBRIDGE_PACKAGE_PROGRAM_FROM_BINDIR).lexically_normal();
  const fs::path program = fs::exists(sibling, ec) ? sibling : installed;

  std::vector<char*> args(argv, argv + argc);
  args.push_back(nullptr);
  args[0] = const_cast<char*>(program.c_str());
  std::fflush(stdout);
  ::execv(program.c_str(), args.data());
  const int err = errno;
  if (err == ENOENT) {
    return report_failure("not found",
                          "the plugin and repo commands need " + installed.string() + ", which is missing",
                          "reinstall dbridge (cmake --install installs it), or build the dbridge-package target");
  }
  return report_failure("resource", "cannot run " + program.string() + ": " + std::strerror(err),
                        "make it an executable file");
}

}  // namespace dbridge::cli
