// SPDX-License-Identifier: Apache-2.0
// Recognises statements and commands that start or end a transaction behind
// the transaction API's back (raw "BEGIN", "COMMIT", Redis MULTI/EXEC), so the
// core asks the plugin afterwards whether a transaction is open and the
// registry can show it.
#pragma once

#include <cstddef>
#include <string_view>

namespace dbridge::inline v1::detail {

inline bool ascii_iequal_prefix(std::string_view text, std::string_view word) noexcept {
  if (text.size() < word.size()) return false;
  for (std::size_t i = 0; i < word.size(); ++i) {
    char c = text[i];
    if (c >= 'a' && c <= 'z') c = static_cast<char>(c - 'a' + 'A');
    if (c != word[i]) return false;
  }
  // A whole word: "BEGINNING" is not BEGIN.
  if (text.size() == word.size()) return true;
  const char next = text[word.size()];
  return !((next >= 'A' && next <= 'Z') || (next >= 'a' && next <= 'z') || (next >= '0' && next <= '9') ||
           next == '_');
}

/// True when the SQL's first keyword can open or close a transaction
/// (BEGIN, START, COMMIT, END, ROLLBACK, ABORT, SAVEPOINT, RELEASE, SET
/// AUTOCOMMIT is left out: it is rare and driver-specific). A handful of
/// instructions for ordinary SQL: most first letters rule it out at once.
inline bool is_transaction_sql(std::string_view sql) noexcept {
  std::size_t i = 0;
  while (i < sql.size() && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r' || sql[i] == '(')) ++i;
  const std::string_view s = sql.substr(i);
  if (s.empty()) return false;
  switch (s[0]) {
    case 'B': case 'b': return ascii_iequal_prefix(s, "BEGIN");
    case 'S': case 's': return ascii_iequal_prefix(s, "START") || ascii_iequal_prefix(s, "SAVEPOINT");
    case 'C': case 'c': return ascii_iequal_prefix(s, "COMMIT");
    case 'E': case 'e': return ascii_iequal_prefix(s, "END");
    case 'R': case 'r': return ascii_iequal_prefix(s, "ROLLBACK") || ascii_iequal_prefix(s, "RELEASE");
    case 'A': case 'a': return ascii_iequal_prefix(s, "ABORT");
    default: return false;
  }
}

/// The same for a command-shaped backend's command name (Redis).
inline bool is_transaction_command(std::string_view name) noexcept {
  // RESET ends a MULTI too.
  return ascii_iequal_prefix(name, "MULTI") || ascii_iequal_prefix(name, "EXEC") ||
         ascii_iequal_prefix(name, "DISCARD") || ascii_iequal_prefix(name, "RESET");
}

}  // namespace dbridge::detail
