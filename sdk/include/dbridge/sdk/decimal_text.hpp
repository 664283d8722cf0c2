// SPDX-License-Identifier: Apache-2.0
// What counts as a decimal number written as text, decided once: the SQLite
// driver reads such a cell of a NUMERIC column back as a decimal, and the
// CLI accepts such text for a numeric column. Both must agree, or a value
// the CLI writes would come back as text.
#pragma once

#include <cstddef>
#include <string_view>

namespace dbridge::sdk {

/// [+-]digits[.digits][(e|E)[+-]digits], at least one digit before the
/// exponent and one in it when it is there; nothing else (no spaces, no
/// NaN or Infinity, which callers spell out themselves).
constexpr bool is_decimal_literal(std::string_view s) noexcept {
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++digits;
  }
  if (digits == 0) return false;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exponent = 0;
    while (i < s.size() && s[i] >= '0' && s[i] <= '9') ++i, ++exponent;
    if (exponent == 0) return false;
  }
  return i == s.size();
}

static_assert(is_decimal_literal("-12.50") && is_decimal_literal(".5") && is_decimal_literal("3e-5") &&
              is_decimal_literal("+7."));
static_assert(!is_decimal_literal("") && !is_decimal_literal(".") && !is_decimal_literal("1e") &&
              !is_decimal_literal("1 ") && !is_decimal_literal("NaN") && !is_decimal_literal("e5"));

}  // namespace dbridge::sdk
