// SPDX-License-Identifier: Apache-2.0
// Runs a program with arguments and environment changes, capturing stdout,
// stderr and the exit status (no shell involved, so no quoting issues).
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

namespace dbridge::test {

struct process_result {
  int exit_code = -1;   ///< exit status, or -1 when killed by a signal
  int signal = 0;       ///< the signal that ended it, 0 if it exited
  std::string out;
  std::string err;
};

/// env: name -> value to set, or nullopt to remove from the inherited environment.
process_result run_process(const std::string& program, const std::vector<std::string>& args,
                           const std::map<std::string, std::optional<std::string>>& env = {});

}  // namespace dbridge::test
