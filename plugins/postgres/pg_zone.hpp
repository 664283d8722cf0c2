// SPDX-License-Identifier: Apache-2.0
// The session's TimeZone, so a timestamptz carries the offset PostgreSQL
// shows it in (the binary form is a bare UTC instant).
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <string>

namespace date {
class time_zone;
}

namespace dbridge_postgres {

class session_zone {
 public:
  /// Follows the server's reported TimeZone (an IANA name, or a POSIX fixed
  /// offset such as "<+05:30>-05:30" after SET TIME ZONE INTERVAL ...).
  /// A zone neither the system tz database nor the fixed form describes
  /// shows instants in UTC (offset 0); the instant is right either way.
  void follow(const char* name);
  /// Seconds east of UTC at the instant (micros since 1970 UTC).
  std::int32_t offset_at(std::int64_t utc_micros);
  /// Sets the offset of every finite timestamptz in v (arrays included).
  void apply(dbr_value& v);

 private:
  std::string name_;
  bool known_ = false;
  const date::time_zone* tz_ = nullptr;
  std::int32_t fixed_ = 0;
  // The span [begin_, end_) of the last rule looked up, and its offset.
  std::int64_t begin_ = 1, end_ = 0;
  std::int32_t offset_ = 0;
};

}  // namespace dbridge_postgres
