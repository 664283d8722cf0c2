// SPDX-License-Identifier: Apache-2.0
// `$1..$n` placeholders rewritten to MySQL's `?`, with the parameter order
// kept as a mapping (so `$2 ... $1` and a repeated `$1` bind correctly), and
// every literal and comment left exactly as written.
#include <string>

#include "my_plugin.hpp"

namespace dbridge_mysql {

namespace {

bool ident_char(char c) noexcept {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_' || c == '$' ||
         static_cast<unsigned char>(c) >= 0x80;
}

// Index just past the quoted literal starting at i (quote char q). Both
// doubled quotes and backslash escapes (MySQL's default sql_mode) stay inside.
std::size_t skip_quoted(std::string_view s, std::size_t i) noexcept {
  const char q = s[i];
  for (++i; i < s.size(); ++i) {
    if (s[i] == '\\' && q != '`') {
      ++i;
      continue;
    }
    if (s[i] == q) {
      if (i + 1 < s.size() && s[i + 1] == q) {
        ++i;
        continue;
      }
      return i + 1;
    }
  }
  return s.size();
}

}  // namespace

translated_sql translate_placeholders(std::string_view s) {
  translated_sql out;
  out.text.reserve(s.size());
  std::uint32_t questions = 0;
  std::size_t i = 0;
  while (i < s.size()) {
    const char c = s[i];
    if (c == '\'' || c == '"' || c == '`') {
      const std::size_t end = skip_quoted(s, i);
      out.text.append(s.substr(i, end - i));
      i = end;
      continue;
    }
    // "-- " needs whitespace (or the end) after the dashes in MySQL.
    const bool dash_comment = c == '-' && i + 1 < s.size() && s[i + 1] == '-' &&
                              (i + 2 >= s.size() || s[i + 2] == ' ' || s[i + 2] == '\t' || s[i + 2] == '\n' ||
                               s[i + 2] == '\r');
    if (dash_comment || c == '#') {
      std::size_t end = s.find('\n', i);
      end = end == std::string_view::npos ? s.size() : end;
      out.text.append(s.substr(i, end - i));
      i = end;
      continue;
    }
    if (c == '/' && i + 1 < s.size() && s[i + 1] == '*') {
      std::size_t end = s.find("*/", i + 2);
      end = end == std::string_view::npos ? s.size() : end + 2;
      out.text.append(s.substr(i, end - i));
      i = end;
      continue;
    }
    if (c == '?') {
      ++questions;
      out.text.push_back('?');
      ++i;
      continue;
    }
    if (c == '$' && i + 1 < s.size() && s[i + 1] >= '1' && s[i + 1] <= '9' && (i == 0 || !ident_char(s[i - 1]))) {
      std::size_t j = i + 1;
      std::uint64_t n = 0;
      while (j < s.size() && s[j] >= '0' && s[j] <= '9') {
        n = n * 10 + static_cast<std::uint64_t>(s[j] - '0');
        if (n > 65535)
          throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "mysql: placeholder $" + std::string(s.substr(i + 1, j - i)) +
                                                         " is out of range (at most $65535)");
        ++j;
      }
      if (j < s.size() && ident_char(s[j])) {  // "$1abc" is an identifier, not a placeholder
        out.text.append(s.substr(i, j - i));
        i = j;
        continue;
      }
      out.dollar = true;
      out.order.push_back(static_cast<std::uint32_t>(n - 1));
      if (n > out.nparams) out.nparams = static_cast<std::uint32_t>(n);
      out.text.push_back('?');
      i = j;
      continue;
    }
    out.text.push_back(c);
    ++i;
  }
  if (out.dollar && questions > 0)
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                     "mysql: the statement mixes ? and $N placeholders; use one style (? binds in order, $N by number)");
  if (!out.dollar) {
    out.nparams = questions;
    out.order.resize(questions);
    for (std::uint32_t k = 0; k < questions; ++k) out.order[k] = k;
  }
  return out;
}

}  // namespace dbridge_mysql
