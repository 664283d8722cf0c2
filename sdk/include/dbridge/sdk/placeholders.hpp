// SPDX-License-Identifier: Apache-2.0
// The four placeholder styles the client API promises on every SQL driver
// ($1, ?1, ?, :name), rewritten to the one a backend understands ($n or ?).
// Placeholders are recognised only in code: string literals, quoted
// identifiers, comments and (for PostgreSQL) dollar-quoted bodies are copied
// as written, as the backend's lexer would skip them. One lexer for every
// driver, so what counts as a placeholder cannot differ between backends.
#pragma once

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "error.hpp"

namespace dbridge::sdk {

/// What the backend's lexer treats as something other than code.
struct sql_lexis {
  bool backslash_escapes = false;      ///< '...' and "..." take \x escapes (MariaDB's default sql_mode)
  bool escape_string_prefix = false;   ///< E'...' takes \x escapes (PostgreSQL)
  bool backtick_identifiers = false;   ///< `...` (MariaDB)
  bool dollar_quoting = false;         ///< $tag$...$tag$ (PostgreSQL)
  bool nested_comments = false;        ///< /* /* */ */ (PostgreSQL)
  bool hash_comments = false;          ///< # to end of line (MariaDB)
  bool dash_comment_needs_space = false;  ///< "-- " needs whitespace after the dashes (MariaDB)
  bool question_operators = false;     ///< ?| ?& ?# @? are operators (PostgreSQL jsonb, geometry)
};

inline constexpr sql_lexis postgres_lexis{.escape_string_prefix = true,
                                          .dollar_quoting = true,
                                          .nested_comments = true,
                                          .question_operators = true};
inline constexpr sql_lexis mariadb_lexis{.backslash_escapes = true,
                                         .backtick_identifiers = true,
                                         .hash_comments = true,
                                         .dash_comment_needs_space = true};

/// The placeholder the backend itself binds.
enum class native_placeholder : unsigned char {
  dollar,    ///< $n by number (PostgreSQL)
  question,  ///< ? in order (MariaDB)
};

enum class placeholder_style : unsigned char { none, dollar, numbered_question, question, named };

/// A statement ready for the backend. When `rewritten` is false the caller's
/// text is sent as written and nothing was allocated.
struct placeholder_plan {
  placeholder_style style = placeholder_style::none;
  bool rewritten = false;
  std::string text;             ///< the rewritten SQL when `rewritten`
  std::uint32_t nparams = 0;    ///< values the caller passes
  /// native_placeholder::question only: order[k] is the caller's 0-based value
  /// bound to the k-th `?`. Empty means in order (k -> k).
  std::vector<std::uint32_t> order;
  /// placeholder_style::named: names[i] is the name bound to value i.
  std::vector<std::string> names;

  std::string_view sql(std::string_view original) const noexcept {
    return rewritten ? std::string_view(text) : original;
  }
  std::uint32_t source(std::size_t k) const noexcept {
    return order.empty() ? static_cast<std::uint32_t>(k) : order[k];
  }
};

namespace placeholder_detail {

inline bool ident_start(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || static_cast<unsigned char>(c) >= 0x80;
}
inline bool digit(char c) noexcept { return c >= '0' && c <= '9'; }
inline bool ident_char(char c) noexcept { return ident_start(c) || digit(c) || c == '$'; }

struct token {
  placeholder_style style;
  std::size_t pos, len;
  std::uint32_t number;   ///< $n / ?n
  std::string_view name;  ///< :name, without the colon
};

inline std::uint32_t read_number(std::string_view s, std::size_t& j) noexcept {
  std::uint64_t n = 0;  // saturates: the driver refuses numbers past its limit
  for (; j < s.size() && digit(s[j]); ++j) {
    n = n * 10 + static_cast<std::uint64_t>(s[j] - '0');
    if (n > UINT32_MAX) n = UINT32_MAX;
  }
  return static_cast<std::uint32_t>(n);
}

/// Index just past the literal or identifier quoted by s[i].
inline std::size_t skip_quoted(std::string_view s, std::size_t i, bool escapes) noexcept {
  const char q = s[i];
  for (++i; i < s.size(); ++i) {
    if (escapes && s[i] == '\\') {
      ++i;
    } else if (s[i] == q) {
      if (i + 1 < s.size() && s[i + 1] == q) {
        ++i;
      } else {
        return i + 1;
      }
    }
  }
  return s.size();
}

/// Calls f(token) for every placeholder in code, in order.
template <class F>
void scan(std::string_view s, const sql_lexis& lx, F&& f) {
  const std::size_t n = s.size();
  std::size_t i = 0;
  while (i < n) {
    const char c = s[i];
    if (c == '\'' || c == '"') {
      const bool e_prefix = lx.escape_string_prefix && c == '\'' && i > 0 && (s[i - 1] == 'e' || s[i - 1] == 'E') &&
                            (i < 2 || !ident_char(s[i - 2]));
      i = skip_quoted(s, i, lx.backslash_escapes || e_prefix);
    } else if (c == '`' && lx.backtick_identifiers) {
      i = skip_quoted(s, i, false);
    } else if (c == '-' && i + 1 < n && s[i + 1] == '-' &&
               (!lx.dash_comment_needs_space || i + 2 >= n || s[i + 2] == ' ' || s[i + 2] == '\t' ||
                s[i + 2] == '\n' || s[i + 2] == '\r')) {
      while (i < n && s[i] != '\n') ++i;
    } else if (c == '#' && lx.hash_comments) {
      while (i < n && s[i] != '\n') ++i;
    } else if (c == '/' && i + 1 < n && s[i + 1] == '*') {
      int depth = 1;
      for (i += 2; i < n && depth > 0; ++i) {
        if (lx.nested_comments && s[i] == '/' && i + 1 < n && s[i + 1] == '*') {
          ++depth;
          ++i;
        } else if (s[i] == '*' && i + 1 < n && s[i + 1] == '/') {
          --depth;
          ++i;
        }
      }
    } else if (ident_start(c)) {
      while (i < n && ident_char(s[i])) ++i;  // foo$1 and a:b's "a" are words
    } else if (digit(c)) {
      while (i < n && (ident_char(s[i]) || s[i] == '.')) ++i;  // 1e5, 2.5
    } else if (c == '$' && i + 1 < n && digit(s[i + 1])) {
      std::size_t j = i + 1;
      const std::uint32_t num = read_number(s, j);
      if (j < n && ident_char(s[j])) {  // "$1abc" is a word, not a placeholder
        while (j < n && ident_char(s[j])) ++j;
      } else {
        f(token{placeholder_style::dollar, i, j - i, num, {}});
      }
      i = j;
    } else if (c == '$' && lx.dollar_quoting) {
      // $tag$ ... $tag$ (the tag may be empty)
      std::size_t e = i + 1;
      while (e < n && ident_char(s[e]) && s[e] != '$') ++e;
      if (e < n && s[e] == '$' && (e == i + 1 || ident_start(s[i + 1]))) {
        const std::string_view tag = s.substr(i, e - i + 1);
        const std::size_t close = s.find(tag, e + 1);
        i = close == std::string_view::npos ? n : close + tag.size();
      } else {
        ++i;
      }
    } else if (c == '?') {
      const char next = i + 1 < n ? s[i + 1] : '\0';
      if (lx.question_operators && i > 0 && s[i - 1] == '@') {
        ++i;  // the operator @?
      } else if (lx.question_operators && (next == '|' || next == '&' || next == '#')) {
        i += 2;  // the operators ?| ?& ?#
      } else if (digit(next)) {
        std::size_t j = i + 1;
        const std::uint32_t num = read_number(s, j);
        f(token{placeholder_style::numbered_question, i, j - i, num, {}});
        i = j;
      } else {
        f(token{placeholder_style::question, i, 1, 0, {}});
        ++i;
      }
    } else if (c == ':') {
      if (i + 1 < n && s[i + 1] == ':') {
        i += 2;  // a cast, ::type
      } else if (i + 1 < n && ident_start(s[i + 1])) {
        std::size_t j = i + 1;
        while (j < n && (ident_start(s[j]) || digit(s[j]))) ++j;
        f(token{placeholder_style::named, i, j - i, 0, s.substr(i + 1, j - i - 1)});
        i = j;
      } else {
        ++i;  // := and a bare colon
      }
    } else {
      ++i;
    }
  }
}

inline const char* spelled(placeholder_style s) noexcept {
  switch (s) {
    case placeholder_style::dollar: return "$1";
    case placeholder_style::numbered_question: return "?1";
    case placeholder_style::question: return "?";
    case placeholder_style::named: return ":name";
    default: return "none";
  }
}

}  // namespace placeholder_detail

/// Rewrites sql's placeholders to the backend's native ones.
///
/// Rules (documented for users in connection.hpp):
///  - $n and ?n bind the caller's n-th value (1-based); ? binds the next value
///    in order; :name binds by first appearance (the first distinct name is
///    value 1, the next value 2, ...; a repeated name reuses its value;
///    names are case-sensitive).
///  - one style per statement: mixing is a syntax error (SQLSTATE 42601).
///  - with a native_placeholder::dollar backend, a statement holding $n is
///    sent as written: ? and :name in it stay operators and slices.
/// `driver` prefixes the error messages ("postgres", "mysql").
inline placeholder_plan translate_placeholders(std::string_view sql, const sql_lexis& lx, native_placeholder native,
                                               std::string_view driver) {
  using placeholder_detail::token;
  placeholder_plan plan;
  bool seen[5] = {};
  std::uint32_t highest = 0, questions = 0;
  bool zero = false;
  placeholder_detail::scan(sql, lx, [&](const token& t) {
    seen[static_cast<int>(t.style)] = true;
    if (t.style == placeholder_style::question) ++questions;
    if (t.style == placeholder_style::dollar || t.style == placeholder_style::numbered_question) {
      if (t.number == 0) zero = true;
      if (t.number > highest) highest = t.number;
    }
  });
  const auto fail = [&](std::string what) {
    error e(DBR_CAT_SYNTAX, std::string(driver) + ": " + std::move(what));
    e.sqlstate("42601");
    return e;
  };
  if (native == native_placeholder::dollar && seen[static_cast<int>(placeholder_style::dollar)]) {
    if (zero) throw fail("placeholders count from $1 ($0 was written)");
    plan.style = placeholder_style::dollar;
    plan.nparams = highest;
    return plan;
  }
  int styles = 0;
  for (int k = 1; k < 5; ++k)
    if (seen[k]) {
      ++styles;
      plan.style = static_cast<placeholder_style>(k);
    }
  if (styles > 1) {
    std::string list;
    for (int k = 1; k < 5; ++k)
      if (seen[k]) list += std::string(list.empty() ? "" : " and ") + placeholder_detail::spelled(static_cast<placeholder_style>(k));
    throw fail("the statement mixes " + list +
               " placeholders; use one style ($1 or ?1 by number, ? in order, :name by name)");
  }
  if (zero) throw fail("placeholders count from 1 ($0 or ?0 was written)");
  if (plan.style == placeholder_style::none) return plan;
  if (native == native_placeholder::question && plan.style == placeholder_style::question) {
    plan.nparams = questions;
    return plan;  // native: sent as written, bound in order
  }

  plan.rewritten = true;
  plan.text.reserve(sql.size() + 16);
  std::size_t copied = 0;
  std::uint32_t next = 0;
  placeholder_detail::scan(sql, lx, [&](const token& t) {
    std::uint32_t value = 0;  // 0-based caller value
    if (t.style == placeholder_style::question) {
      value = next++;
    } else if (t.style == placeholder_style::named) {
      std::size_t k = 0;
      while (k < plan.names.size() && plan.names[k] != t.name) ++k;
      if (k == plan.names.size()) plan.names.emplace_back(t.name);
      value = static_cast<std::uint32_t>(k);
    } else {
      value = t.number - 1;
    }
    plan.text.append(sql.substr(copied, t.pos - copied));
    copied = t.pos + t.len;
    if (native == native_placeholder::dollar) {
      plan.text.push_back('$');
      plan.text.append(std::to_string(value + 1));
    } else {
      plan.text.push_back('?');
      plan.order.push_back(value);
    }
  });
  plan.text.append(sql.substr(copied));
  plan.nparams = plan.style == placeholder_style::question ? questions
                 : plan.style == placeholder_style::named  ? static_cast<std::uint32_t>(plan.names.size())
                                                           : highest;
  return plan;
}

}  // namespace dbridge::sdk
