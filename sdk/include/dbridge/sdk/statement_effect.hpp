// SPDX-License-Identifier: Apache-2.0
// What SQL text may do to durable data, read from its words alone: whether it
// only reads, writes inside a transaction, or may commit. The core uses it to
// decide whether a statement lost in flight may run again (its
// statement_effect.hpp); a plugin uses it where the server ran a statement
// whose result it had to discard (MariaDB's "result set changed") to decide
// whether running it again is safe. One rule for both, so they cannot drift.
// The scans are conservative: a keyword inside a string literal or comment
// counts too, which can only make a statement look like a write, never the
// reverse.
#pragma once

#include <cstddef>
#include <string_view>

namespace dbridge::sdk {

/// What a sent statement may have done to durable data.
enum class statement_effect : unsigned char {
  none,      ///< reads, or applies nothing durable (ROLLBACK, SAVEPOINT, BEGIN outside a transaction)
  tx_write,  ///< writes, but cannot end an open transaction (INSERT, UPDATE, DELETE...)
  other,     ///< may commit (COMMIT, DDL with an implicit commit, CALL, SET...) or is not recognised
};

namespace sql_words {

inline bool word_char(char c) noexcept {
  return (c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

inline bool is(std::string_view word, std::string_view upper) noexcept {
  if (word.size() != upper.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = word[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != upper[i]) return false;
  }
  return true;
}

template <std::size_t N>
bool any_of(std::string_view word, const std::string_view (&list)[N]) noexcept {
  for (std::string_view w : list)
    if (is(word, w)) return true;
  return false;
}

/// Calls f(word) for every word of the text, in order; stops when f returns false.
template <class F>
void each_word(std::string_view sql, F&& f) {
  std::size_t i = 0;
  while (i < sql.size()) {
    if (!word_char(sql[i])) {
      ++i;
      continue;
    }
    const std::size_t start = i;
    while (i < sql.size() && word_char(sql[i])) ++i;
    if (!f(sql.substr(start, i - start))) return;
  }
}

/// Skips blanks, '(' and comments at the start of a statement.
inline std::size_t skip_lead(std::string_view sql, std::size_t i) noexcept {
  for (;;) {
    while (i < sql.size() && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r' || sql[i] == '(' ||
                              sql[i] == ';'))
      ++i;
    if (sql.substr(i, 2) == "--") {
      const std::size_t eol = sql.find('\n', i);
      i = eol == std::string_view::npos ? sql.size() : eol + 1;
    } else if (sql.substr(i, 2) == "/*") {
      const std::size_t end = sql.find("*/", i + 2);
      i = end == std::string_view::npos ? sql.size() : end + 2;
    } else {
      return i;
    }
  }
}

/// Calls f(first word) for the start of the text and after every ';' (a ';'
/// inside a literal only adds a statement start: conservative).
template <class F>
void each_statement_start(std::string_view sql, F&& f) {
  std::size_t at = 0;
  for (;;) {
    const std::size_t i = skip_lead(sql, at);
    std::size_t j = i;
    while (j < sql.size() && word_char(sql[j])) ++j;
    f(sql.substr(i, j - i), i == sql.size());
    const std::size_t semi = sql.find(';', i);
    if (semi == std::string_view::npos) return;
    at = semi + 1;
  }
}

}  // namespace sql_words

/// The effect of SQL text (one statement or a script). in_tx: a transaction
/// was open before it ran (BEGIN inside one implicitly commits on MySQL).
inline statement_effect sql_effect(std::string_view sql, bool in_tx) noexcept {
  using namespace sql_words;
  static constexpr std::string_view reads[] = {"SELECT", "SHOW",     "EXPLAIN", "VALUES",
                                               "TABLE",  "WITH",     "DESCRIBE", "DESC"};
  static constexpr std::string_view nothing_durable[] = {"ROLLBACK", "ABORT", "SAVEPOINT", "RELEASE"};
  static constexpr std::string_view opens[] = {"BEGIN", "START"};
  static constexpr std::string_view writes[] = {"INSERT", "UPDATE", "DELETE", "MERGE", "REPLACE"};
  // In a statement that starts like a read these make it a write: data-
  // modifying CTEs, SELECT ... INTO a table or a file, EXPLAIN ANALYZE of a
  // write, and the functions that write (sequences, notifications).
  static constexpr std::string_view write_words[] = {"INSERT", "UPDATE", "DELETE", "MERGE", "INTO",
                                                     "NEXTVAL", "SETVAL", "PG_NOTIFY", "COMMIT"};
  statement_effect worst = statement_effect::none;
  each_statement_start(sql, [&](std::string_view first, bool at_end) {
    if (first.empty()) {
      if (!at_end) worst = statement_effect::other;  // starts with something we cannot read
      return;
    }
    statement_effect e = statement_effect::other;
    if (any_of(first, reads) || any_of(first, nothing_durable)) e = statement_effect::none;
    else if (any_of(first, opens)) e = in_tx ? statement_effect::other : statement_effect::none;
    else if (any_of(first, writes)) e = statement_effect::tx_write;
    if (e > worst) worst = e;
  });
  if (worst == statement_effect::other) return worst;
  // A whole-text look: a write or COMMIT word anywhere (a CTE, SELECT INTO,
  // EXECUTE IMMEDIATE 'COMMIT') outranks the first words. FOR [NO KEY]
  // UPDATE locks rows and commits nothing.
  bool commits = false, writes_any = false;
  std::string_view prev;
  each_word(sql, [&](std::string_view w) {
    if (is(w, "COMMIT")) commits = true;
    else if (any_of(w, write_words) && !(is(w, "UPDATE") && (is(prev, "FOR") || is(prev, "KEY"))))
      writes_any = true;
    prev = w;
    return !commits;
  });
  if (commits) return statement_effect::other;
  if (writes_any && worst == statement_effect::none) worst = statement_effect::tx_write;
  return worst;
}

/// Whether SQL text may change a table's shape (CREATE, ALTER, DROP, RENAME
/// at a statement start): statements prepared before it may describe columns
/// that are no longer there.
inline bool changes_schema(std::string_view sql) noexcept {
  using namespace sql_words;
  static constexpr std::string_view ddl[] = {"CREATE", "ALTER", "DROP", "RENAME"};
  bool found = false;
  each_statement_start(sql, [&](std::string_view first, bool) { found = found || any_of(first, ddl); });
  return found;
}

/// True when SQL text only reads (or applies nothing durable), so running it
/// again cannot change data.
inline bool sql_only_reads(std::string_view sql) noexcept { return sql_effect(sql, false) == statement_effect::none; }

}  // namespace dbridge::sdk
