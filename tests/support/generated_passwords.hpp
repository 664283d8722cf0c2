// SPDX-License-Identifier: Apache-2.0
// Passwords made of every printable ASCII byte, for redaction tests: each
// holds its byte twice among letters, so it is long enough to look for in
// any text without matching by chance.
#pragma once

#include <string>
#include <vector>

namespace dbridge::test {

struct generated_password {
  char byte = 0;
  std::string plain;    ///< the password itself
  std::string minimal;  ///< as written in a URL's userinfo, only what parse_url needs escaped
  std::string encoded;  ///< the same with its special byte always percent-encoded
};

inline std::string percent_byte(char c) {
  static const char hex[] = "0123456789ABCDEF";
  const auto u = static_cast<unsigned char>(c);
  return std::string{'%', hex[u >> 4], hex[u & 15]};
}

/// One password per byte 0x20..0x7E; with `punctuation_only`, only the bytes
/// that are neither letters nor digits (the ones URL syntax cares about), for
/// tests that spend a process or a server round trip per password.
inline std::vector<generated_password> printable_passwords(bool punctuation_only = false) {
  std::vector<generated_password> out;
  for (int b = 0x20; b <= 0x7E; ++b) {
    const char c = static_cast<char>(b);
    const bool alnum = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
    if (punctuation_only && alnum) continue;
    generated_password p;
    p.byte = c;
    const std::string s(1, c);
    p.plain = "Xy" + s + "Zw9" + s + "Qv";
    // parse_url needs '%', '#', '?', '/' and ' ' escaped in userinfo and, for
    // query values, '&' too; everything else may stand as it is.
    const bool must = c == '%' || c == '#' || c == '?' || c == '/' || c == ' ' || c == '&';
    const std::string m = must ? percent_byte(c) : s;
    p.minimal = "Xy" + m + "Zw9" + m + "Qv";
    p.encoded = "Xy" + percent_byte(c) + "Zw9" + percent_byte(c) + "Qv";
    out.push_back(std::move(p));
  }
  return out;
}

}  // namespace dbridge::test
