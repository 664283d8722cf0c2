// SPDX-License-Identifier: Apache-2.0
// The C API's handles and its exception firewall: every entry point runs its
// body through guard(), so nothing thrown by the C++ API crosses into C.
// The definitions in capi/*.cpp take their C linkage from dbridge.h's
// declarations, so helpers beside them may be templates.
#pragma once

#include <charconv>
#include <cstdint>
#include <cstring>
#include <new>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"
#include "dbridge/dbridge.h"
#include "dbridge/error.hpp"
#include "dbridge/notify.hpp"
#include "dbridge/pool.hpp"
#include "dbridge/value.hpp"

/// On the C API's per-query and per-row entry points. A point query calls
/// six of them; spread over the library's text they cost the C caller more
/// instruction-cache lines and pages than the instructions they run (a
/// point query's code barely fits in L1i as it is). A section of their own,
/// which the linker places after .text, keeps them on a few adjacent lines
/// and leaves the C++ API's code where it was.
#define DBRIDGE_CAPI_HOT [[gnu::section("dbridge_capi_hot")]]

namespace dbridge::inline v1::capi {

// A handle's first member; a different number per kind, zero once freed, so a
// wrong or stale pointer is refused while its memory is still mapped.
enum magic : std::uint32_t {
  dead = 0,
  error_magic = 0xDB0E7707,
  conn_magic = 0xDB0C0221,
  params_magic = 0xDB0BA7A5,
  stmt_magic = 0xDB057177,
  result_magic = 0xDB07E5C7,
  value_magic = 0xDB07A1E0,
  tx_magic = 0xDB0707C5,
  pool_magic = 0xDB0B0001,
  reply_magic = 0xDB0E9CC7,
  listener_magic = 0xDB0C1573,
  notification_magic = 0xDB0A071F,
};

/// Fills *err (when err is not NULL) and returns -category.
int32_t fail(dbridge_error** err, const error_info& info) noexcept;
int32_t fail(dbridge_error** err, errc category, std::string_view message) noexcept;
inline int32_t bad_argument(dbridge_error** err, std::string_view message) noexcept {
  return fail(err, errc::invalid_argument, message);
}
inline int32_t closed(dbridge_error** err, std::string_view what) noexcept {
  return fail(err, errc::invalid_state, std::string(what) + " is closed");
}

/// The exception being handled as a status and an error object; called
/// only from a catch block.
[[gnu::cold]] int32_t fail_current(dbridge_error** err) noexcept;

/// Runs body, turning every exception into a status and an error object.
/// One handler calling out of line, so the guard adds no frame to a short
/// body and inlines where it is used.
template <class F>
int32_t guard(dbridge_error** err, F&& body) noexcept {
  try {
    return body();
  } catch (...) {
    return fail_current(err);
  }
}

/// Text from C: NULL is allowed only with length 0.
inline bool text_ok(const char* p, std::uint64_t len) noexcept { return p != nullptr || len == 0; }
inline std::string_view text(const char* p, std::uint64_t len) noexcept {
  return p == nullptr ? std::string_view() : std::string_view(p, static_cast<std::size_t>(len));
}
/// Writes (ptr, len) outputs of borrowed text.
inline void put_text(std::string_view s, const char** ptr, std::uint64_t* len) noexcept {
  if (ptr != nullptr) *ptr = s.data();
  if (len != nullptr) *len = s.size();
}
/// Owned text for dbridge_string_free.
char* owned_copy(std::string_view s, std::uint64_t* len);

/// A decimal option value; invalid_argument_error naming the option.
template <class T>
T number_option(std::string_view key, std::string_view v) {
  T out{};
  auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), out);
  if (ec != std::errc() || end != v.data() + v.size())
    throw_error(errc::invalid_argument, "option " + std::string(key) + " needs a number, not '" + std::string(v) + "'");
  return out;
}

/// Calls set(key, value) for each of n option pairs (connect and pool_open).
template <class F>
void each_option(const char* const* keys, const char* const* values, std::uint32_t n, F&& set) {
  for (std::uint32_t i = 0; i < n; ++i) {
    if (keys == nullptr || values == nullptr || keys[i] == nullptr || values[i] == nullptr)
      throw_error(errc::invalid_argument, "option " + std::to_string(i) + " has a NULL key or value");
    set(std::string_view(keys[i]), std::string_view(values[i]));
  }
}

}  // namespace dbridge::capi

struct dbridge_error {
  std::uint32_t magic = dbridge::capi::error_magic;
  dbridge::error_info info;
};

/// What a connection made (results, statements, transactions, listeners):
/// closed before the connection is, so none outlives the C++ object it uses.
struct capi_child {
  std::uint32_t magic;
  dbridge_conn* parent = nullptr;
  capi_child* prev = nullptr;
  capi_child* next = nullptr;
  /// Ends the C++ object (never throws); the handle stays, refusing use.
  void (*detach)(capi_child*) noexcept = nullptr;
};

struct dbridge_conn {
  std::uint32_t magic = dbridge::capi::conn_magic;
  std::optional<dbridge::connection> own;
  dbridge::pooled_connection pooled;
  dbridge::connection* conn = nullptr;  ///< nullptr once closed
  capi_child* children = nullptr;       ///< newest first, so savepoints end before their transaction
  /// One freed result handle kept for the next query, so a point query
  /// allocates nothing here (the C++ API recycles its cursors the same way).
  /// It stays where it was in children (closing it is a no-op) and moves to
  /// the front only when reused behind a newer child, so a point-query loop
  /// neither unlinks nor relinks it; close_children unlinks it, the
  /// connection's free deletes it.
  dbridge_result* spare_result = nullptr;
  std::string encoded_reply;  ///< the last dbridge_command_encoded answer
  std::optional<std::int64_t> last_id;
  std::optional<std::uint64_t> last_id_u64;
};

namespace dbridge::inline v1::capi {
// Inline: every query adopts its result and every free disowns it.
inline void adopt(dbridge_conn* c, capi_child* child) noexcept {
  child->parent = c;
  child->prev = nullptr;
  child->next = c->children;
  if (c->children != nullptr) c->children->prev = child;
  c->children = child;
}
inline void disown(capi_child* child) noexcept {
  dbridge_conn* c = child->parent;
  if (c == nullptr) return;
  if (child->prev != nullptr) child->prev->next = child->next;
  else c->children = child->next;
  if (child->next != nullptr) child->next->prev = child->prev;
  child->parent = nullptr;
  child->prev = child->next = nullptr;
}
/// DBRIDGE_E_INVALID_STATE (filling *err) while another thread is inside a
/// call on c, else 0: closing under that call would free what it uses.
int32_t refuse_during_call(const dbridge_conn* c, dbridge_error** err) noexcept;
/// The same for the close and free functions that return nothing: true
/// (logged) when they must leave c alone.
bool refused_silently(const dbridge_conn* c, const char* what) noexcept;
/// Closes every child of c (newest first).
void close_children(dbridge_conn* c) noexcept;
/// 0 when c is a live connection, else the failure status.
int32_t check(const dbridge_conn* c, dbridge_error** err) noexcept;
}  // namespace dbridge::capi

struct dbridge_params {
  std::uint32_t magic = dbridge::capi::params_magic;
  /// The list is values[0, count); later slots are kept from before the last
  /// clear so the next adds overwrite them in place rather than destroying and
  /// rebuilding every value per execution (the prepared point-query path).
  std::vector<dbridge::value> values;
  std::size_t count = 0;
  /// No slot owns memory (text, bytes, decimal, JSON, array): only then may a
  /// clear keep the slots, so a cleared list never holds stale text.
  bool scalars_only = true;
  std::vector<dbridge::array> open;  ///< arrays begun and not yet ended, innermost last
  std::uint32_t width = 0;           ///< values per row once shaped by dbridge_params_set_rows
};

namespace dbridge::inline v1::capi {
/// Why params_of refused p.
[[gnu::cold]] int32_t params_refused(const dbridge_params* p, dbridge_error** err) noexcept;
/// The values of p (empty for NULL); fails while an array is open. Inline:
/// every statement call runs it.
inline int32_t params_of(const dbridge_params* p, dbridge::params& out, dbridge_error** err) noexcept {
  if (p == nullptr) {
    out = {};
    return 0;
  }
  if (p->magic != params_magic || !p->open.empty()) [[unlikely]]
    return params_refused(p, err);
  out = dbridge::params(p->values.data(), p->count);
  return 0;
}
}  // namespace dbridge::capi

struct dbridge_value {
  std::uint32_t magic = dbridge::capi::value_magic;
  bool root = true;
  dbridge::value v;
  std::vector<dbridge_value> items;  ///< an array's elements, mirrored for borrowing
};

namespace dbridge::inline v1::capi {
dbridge_value* new_value_tree(dbridge::value v);
}  // namespace dbridge::capi
