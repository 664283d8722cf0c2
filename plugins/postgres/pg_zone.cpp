// SPDX-License-Identifier: Apache-2.0
#include "pg_zone.hpp"

#include <date/tz.h>

#include <charconv>
#include <limits>
#include <string_view>

namespace dbridge_postgres {

namespace {

// "<+05:30>-05:30", "FOO-3", "+02": a POSIX zone without DST rules, whose
// offset counts hours west of Greenwich. False for anything else.
bool posix_fixed(std::string_view s, std::int32_t& east) {
  std::size_t i = 0;
  if (!s.empty() && s[0] == '<') {
    i = s.find('>');
    if (i == std::string_view::npos) return false;
    ++i;
  } else {
    while (i < s.size() && ((s[i] >= 'A' && s[i] <= 'Z') || (s[i] >= 'a' && s[i] <= 'z'))) ++i;
  }
  int sign = 1;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) sign = s[i++] == '-' ? -1 : 1;
  int part[3] = {0, 0, 0};
  for (int k = 0; k < 3; ++k) {
    auto r = std::from_chars(s.data() + i, s.data() + s.size(), part[k]);
    if (r.ec != std::errc() || part[k] < 0 || part[k] > 167) return false;
    i = static_cast<std::size_t>(r.ptr - s.data());
    if (i == s.size()) break;
    if (s[i] != ':' || k == 2) return false;
    ++i;
  }
  east = -sign * (part[0] * 3600 + part[1] * 60 + part[2]);
  return i == s.size();
}

std::int64_t to_micros(date::sys_seconds t) noexcept {
  constexpr std::int64_t limit = std::numeric_limits<std::int64_t>::max() / 1000000;
  const std::int64_t s = t.time_since_epoch().count();
  return s >= limit ? std::numeric_limits<std::int64_t>::max()
         : s <= -limit ? std::numeric_limits<std::int64_t>::min()
                       : s * 1000000;
}

}  // namespace

void session_zone::follow(const char* name) {
  if (name == nullptr) name = "";
  if (known_ && name_ == name) return;
  name_ = name;
  known_ = true;
  tz_ = nullptr;
  fixed_ = 0;
  begin_ = 1;
  end_ = 0;
  if (posix_fixed(name_, fixed_)) return;
  try {
    tz_ = date::locate_zone(name_);
  } catch (const std::exception&) {
    tz_ = nullptr;  // not in the system tz database: UTC
  }
}

std::int32_t session_zone::offset_at(std::int64_t utc_micros) {
  if (tz_ == nullptr) return fixed_;
  if (utc_micros >= begin_ && utc_micros < end_) return offset_;
  std::int64_t sec = utc_micros / 1000000;
  if (utc_micros % 1000000 < 0) --sec;
  const date::sys_info info = tz_->get_info(date::sys_seconds{std::chrono::seconds{sec}});
  begin_ = to_micros(info.begin);
  end_ = to_micros(info.end);
  offset_ = static_cast<std::int32_t>(info.offset.count());
  return offset_;
}

void session_zone::apply(dbr_value& v) {
  if (v.type == DBR_TYPE_TIMESTAMPTZ) {
    if ((v.flags & (DBR_VF_POS_INFINITY | DBR_VF_NEG_INFINITY)) == 0) v.u.ts.offset_s = offset_at(v.u.ts.micros);
  } else if (v.type == DBR_TYPE_ARRAY && v.u.arr != nullptr && v.u.arr->items != nullptr) {
    // The items live in the statement's arena, written by this plugin.
    auto* items = const_cast<dbr_value*>(v.u.arr->items);
    for (std::uint64_t i = 0; i < v.u.arr->count; ++i) apply(items[i]);
  }
}

}  // namespace dbridge_postgres
