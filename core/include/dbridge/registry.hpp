// SPDX-License-Identifier: Apache-2.0
// The registry of every open connection (the seed's universe:connections),
// readable while the program runs.
#pragma once

#include "dbridge/export.hpp"

#include <chrono>
#include <cstdint>
#include <functional>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbridge/pool_metrics.hpp"

namespace dbridge::inline v1 {

enum class connection_state { connecting, idle, in_use, in_transaction, broken };
DBRIDGE_API std::string_view to_string(connection_state s) noexcept;

/// A snapshot of one open connection. Never holds a password.
struct connection_entry {
  std::uint64_t id = 0;
  std::string scheme;
  std::string driver;          ///< plugin id
  std::string driver_version;  ///< plugin version
  std::string redacted_url;
  std::string database;
  connection_state state = connection_state::idle;
  std::string opened_by;
  std::chrono::system_clock::time_point created_at;
  std::chrono::system_clock::time_point last_used_at;
  std::string pool;            ///< pool name, empty when not pooled
  std::optional<pool_metrics> pool_stats;  ///< that pool's live figures when listed
  /// Set while a pooled connection is held past its pool's
  /// leak_detection_threshold: where, by which thread and since when.
  std::string leak;
};

/// Process-wide; every function is thread-safe.
class DBRIDGE_API registry {
 public:
  static registry& global();
  std::vector<connection_entry> list() const;
  std::vector<connection_entry> list(const std::function<bool(const connection_entry&)>& filter) const;
  std::vector<connection_entry> opened_by(std::string_view label) const;
  std::size_t size() const;
  /// JSON array of entries (ISO-8601 UTC times).
  std::string to_json() const;

  // Entries of other connections (an application's own, a bridge's). The
  // core's connections register themselves, and their state is read from the
  // connection when listed, so set_state does not apply to them.
  std::uint64_t add(connection_entry e);
  void set_state(std::uint64_t id, connection_state s);
  void touch(std::uint64_t id);
  void set_pool(std::uint64_t id, std::string pool);
  void remove(std::uint64_t id);

 private:
  registry() = default;
};

}  // namespace dbridge
