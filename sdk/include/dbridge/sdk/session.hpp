// SPDX-License-Identifier: Apache-2.0
// Deciding whether a statement or command may have changed session state that
// would reach the next user of a pooled connection (dbr_exec_info and
// dbr_reply .session_changed, ABI 1.1).
//
// The rule is a conservative first-keyword test: a statement is "plain" only
// when its first keyword is one the dialect lists as leaving the session
// alone, it holds no second statement, and no word the dialect calls suspect
// (set_config, advisory locks, temporary objects, user variables...) appears
// anywhere in it. Anything else counts as a change: a needless session reset
// costs a round trip, a missed one leaks state to another caller. A server
// function that changes the session itself (a user function calling
// set_config) is not seen.
//
// Drivers pass their own dialect; the core uses generic_sql_dialect for
// plugins built against ABI 1.0, which cannot report it.
#pragma once

#include <cstddef>
#include <initializer_list>
#include <span>
#include <string_view>

namespace dbridge::sdk {

struct session_dialect {
  /// First keywords (upper case) of statements that leave the session alone.
  std::span<const std::string_view> plain;
  /// Lower-case fragments that make any statement suspect wherever they occur.
  std::span<const std::string_view> suspect;
};

namespace session_detail {

inline char upper(char c) noexcept { return c >= 'a' && c <= 'z' ? static_cast<char>(c - 'a' + 'A') : c; }
inline char lower(char c) noexcept { return c >= 'A' && c <= 'Z' ? static_cast<char>(c - 'A' + 'a') : c; }
inline bool word_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_';
}
inline bool space(char c) noexcept { return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f'; }

/// Index of the first character after blanks and comments from i.
inline std::size_t skip_blank(std::string_view s, std::size_t i, bool parens) noexcept {
  for (;;) {
    while (i < s.size() && (space(s[i]) || (parens && s[i] == '('))) ++i;
    if (i + 1 < s.size() && s[i] == '-' && s[i + 1] == '-') {
      while (i < s.size() && s[i] != '\n') ++i;
    } else if (i + 1 < s.size() && s[i] == '/' && s[i + 1] == '*') {
      const std::size_t end = s.find("*/", i + 2);
      i = end == std::string_view::npos ? s.size() : end + 2;
    } else {
      return i;
    }
  }
}

}  // namespace session_detail

/// needle (lower case) occurs in hay, ignoring ASCII case.
inline bool contains_ci(std::string_view hay, std::string_view needle) noexcept {
  if (needle.empty() || hay.size() < needle.size()) return false;
  for (std::size_t i = 0; i + needle.size() <= hay.size(); ++i) {
    if (session_detail::lower(hay[i]) != needle[0]) continue;
    std::size_t k = 1;
    while (k < needle.size() && session_detail::lower(hay[i + k]) == needle[k]) ++k;
    if (k == needle.size()) return true;
  }
  return false;
}

/// True when running sql may leave state in the session (see above).
inline bool sql_changes_session(std::string_view sql, const session_dialect& d) noexcept {
  using namespace session_detail;
  const std::size_t start = skip_blank(sql, 0, true);
  std::size_t end = start;
  while (end < sql.size() && word_char(sql[end])) ++end;
  const std::string_view first = sql.substr(start, end - start);
  if (first.empty()) return true;
  bool plain = false;
  for (std::string_view w : d.plain) {
    if (w.size() != first.size()) continue;
    std::size_t k = 0;
    while (k < w.size() && upper(first[k]) == w[k]) ++k;
    if (k == w.size()) {
      plain = true;
      break;
    }
  }
  if (!plain) return true;
  // A second statement after a ';' is not looked at: suspect as a whole.
  for (std::size_t semi = sql.find(';', end); semi != std::string_view::npos; semi = sql.find(';', semi + 1))
    if (skip_blank(sql, semi + 1, false) < sql.size()) return true;
  for (std::string_view w : d.suspect)
    if (contains_ci(sql, w)) return true;
  return false;
}

/// True when a command (argv[0], case-insensitive) is one of `names` (upper case).
inline bool command_changes_session(std::string_view name, std::span<const std::string_view> names) noexcept {
  using namespace session_detail;
  for (std::string_view w : names) {
    if (w.size() != name.size()) continue;
    std::size_t k = 0;
    while (k < w.size() && upper(name[k]) == w[k]) ++k;
    if (k == w.size()) return true;
  }
  return false;
}

/// Every dialect's plain keywords that mean the same everywhere, with every
/// dialect's suspects: what the core assumes of a driver that cannot tell.
inline constexpr std::string_view generic_plain_words[] = {
    "SELECT", "WITH",  "VALUES", "TABLE",  "INSERT", "UPDATE",    "DELETE",  "MERGE",    "REPLACE",
    "SHOW",   "EXPLAIN", "DESCRIBE", "DESC", "BEGIN", "START",   "COMMIT",  "END",      "ROLLBACK",
    "ABORT",  "SAVEPOINT", "RELEASE", "CREATE", "ALTER", "DROP", "TRUNCATE"};
inline constexpr std::string_view generic_suspect_words[] = {"set_config", "advisory", "temp", "nextval", "setval",
                                                             "@",          "get_lock"};
inline constexpr session_dialect generic_sql_dialect{generic_plain_words, generic_suspect_words};

/// Commands of command-shaped backends (Redis and alike) that change what the
/// connection is: the database, the login, the protocol, watched keys,
/// tracking, the client's name, read-only routing.
inline constexpr std::string_view generic_session_commands[] = {
    "SELECT", "CLIENT", "AUTH", "HELLO", "WATCH", "SUBSCRIBE", "PSUBSCRIBE", "SSUBSCRIBE",
    "READONLY", "READWRITE", "ASKING", "RESET", "MONITOR", "MULTI"};

}  // namespace dbridge::sdk
