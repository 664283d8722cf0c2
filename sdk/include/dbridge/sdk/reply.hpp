// SPDX-License-Identifier: Apache-2.0
// Building dbr_reply trees for the "command" capability. The builder owns
// every node and string; replies stay valid until clear(), which a driver
// calls at the start of the next command (abi.h: borrowed until the next call).
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <deque>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dbridge::sdk {

/// The code word an error reply's text starts with ("ERR", "WRONGTYPE"), or
/// "" when it has none: upper-case letters, digits and '_' up to a space or
/// the end (RESP's convention). The core reads it from DBR_REPLY_ERROR
/// replies; what a code means is the driver's to say.
inline std::string_view error_reply_code(std::string_view text) noexcept {
  std::size_t n = 0;
  while (n < text.size() && ((text[n] >= 'A' && text[n] <= 'Z') || text[n] == '_' || (text[n] >= '0' && text[n] <= '9')))
    ++n;
  return n > 0 && (n == text.size() || text[n] == ' ') ? text.substr(0, n) : std::string_view();
}

class reply_builder {
 public:
  void clear() noexcept {
    nodes_.clear();
    strings_.clear();
    lists_.clear();
  }
  const dbr_reply* nil() { return &node(DBR_REPLY_NIL); }
  const dbr_reply* integer(std::int64_t i) {
    dbr_reply& r = node(DBR_REPLY_INTEGER);
    r.integer = i;
    return &r;
  }
  const dbr_reply* boolean(bool b) {
    dbr_reply& r = node(DBR_REPLY_BOOL);
    r.integer = b ? 1 : 0;
    return &r;
  }
  const dbr_reply* dbl(double d) {
    dbr_reply& r = node(DBR_REPLY_DOUBLE);
    r.dval = d;
    return &r;
  }
  const dbr_reply* status(std::string_view s) { return &text(DBR_REPLY_STATUS, s); }
  const dbr_reply* error(std::string_view s) { return &text(DBR_REPLY_ERROR, s); }
  const dbr_reply* string(std::string_view s) { return &text(DBR_REPLY_STRING, s); }
  /// ARRAY (or MAP/SET/PUSH via type) of already built elements.
  const dbr_reply* array(std::span<const dbr_reply* const> items, std::uint32_t type = DBR_REPLY_ARRAY) {
    auto& list = lists_.emplace_back(items.begin(), items.end());
    dbr_reply& r = node(type);
    r.elements = list.size();
    r.element = list.data();
    return &r;
  }

 private:
  dbr_reply& node(std::uint32_t type) {
    dbr_reply& r = nodes_.emplace_back();
    r.struct_size = sizeof(dbr_reply);
    r.type = type;
    return r;
  }
  dbr_reply& text(std::uint32_t type, std::string_view s) {
    const std::string& kept = strings_.emplace_back(s);
    dbr_reply& r = node(type);
    r.str = kept.data();
    r.len = kept.size();
    return r;
  }
  std::deque<dbr_reply> nodes_;
  std::deque<std::string> strings_;
  std::deque<std::vector<const dbr_reply*>> lists_;
};

}  // namespace dbridge::sdk
