// SPDX-License-Identifier: Apache-2.0
#include "logging.hpp"

#include <dbridge/abi.h>

#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>

namespace dbridge::inline v1::detail {

namespace {
uint32_t threshold() noexcept {
  static const uint32_t level = [] {
    const char* v = std::getenv("DBRIDGE_LOG");
    if (v == nullptr) return 0u;
    if (std::strcmp(v, "error") == 0) return uint32_t{DBR_LOG_ERROR};
    if (std::strcmp(v, "warn") == 0) return uint32_t{DBR_LOG_WARN};
    if (std::strcmp(v, "info") == 0) return uint32_t{DBR_LOG_INFO};
    if (std::strcmp(v, "debug") == 0) return uint32_t{DBR_LOG_DEBUG};
    return 0u;
  }();
  return level;
}
std::mutex log_mutex;
}  // namespace

void log_line(uint32_t level, std::string_view source, std::string_view message) noexcept {
  if (level == 0 || level > threshold()) return;
  static const char* const names[] = {"", "error", "warn", "info", "debug"};
  std::lock_guard<std::mutex> lock(log_mutex);
  std::fprintf(stderr, "dbridge %s [%.*s] %.*s\n", names[level], static_cast<int>(source.size()), source.data(),
               static_cast<int>(message.size()), message.data());
}

}  // namespace dbridge::detail
