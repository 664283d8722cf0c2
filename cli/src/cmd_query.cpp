// SPDX-License-Identifier: Apache-2.0
// `dbridge query URL SQL [PARAM...]`: one statement, streamed to stdout.
#include <fmt/format.h>

#include <charconv>
#include <cmath>
#include <cstdlib>

#include "commands.hpp"
#include "dbridge/connection.hpp"

namespace dbridge::cli {
namespace {

[[noreturn]] void bad_param(std::size_t n, std::string_view what, std::string_view fix) {
  throw usage_error(fmt::format("parameter {}: {}", n, what), std::string(fix));
}

int hex_value(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

bytes decode_hex(std::size_t n, std::string_view s) {
  if (s.starts_with("\\x") || s.starts_with("0x") || s.starts_with("0X")) s.remove_prefix(2);
  if (s.size() % 2 != 0) bad_param(n, "hex: needs an even number of hex digits", "write bytes as hex:DEADBEEF");
  bytes b;
  b.reserve(s.size() / 2);
  for (std::size_t i = 0; i < s.size(); i += 2) {
    const int hi = hex_value(s[i]), lo = hex_value(s[i + 1]);
    if (hi < 0 || lo < 0)
      bad_param(n, fmt::format("hex: '{}' is not a hex digit", hi < 0 ? s[i] : s[i + 1]), "write bytes as hex:DEADBEEF");
    b.push_back(static_cast<std::uint8_t>(hi * 16 + lo));
  }
  return b;
}

bytes decode_base64(std::size_t n, std::string_view s) {
  auto sextet = [](char c) -> int {
    if (c >= 'A' && c <= 'Z') return c - 'A';
    if (c >= 'a' && c <= 'z') return c - 'a' + 26;
    if (c >= '0' && c <= '9') return c - '0' + 52;
    if (c == '+' || c == '-') return 62;  // '-' and '_': the URL-safe alphabet
    if (c == '/' || c == '_') return 63;
    return -1;
  };
  while (!s.empty() && s.back() == '=') s.remove_suffix(1);
  if (s.size() % 4 == 1) bad_param(n, "base64: truncated input", "write bytes as base64:3q2+7w==");
  bytes b;
  b.reserve(s.size() * 3 / 4);
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : s) {
    const int v = sextet(c);
    if (v < 0) bad_param(n, fmt::format("base64: '{}' is not a base64 character", c), "write bytes as base64:3q2+7w==");
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      b.push_back(static_cast<std::uint8_t>((acc >> bits) & 0xff));
    }
  }
  return b;
}

/// A command-line parameter: text unless written TYPE:VALUE with a known TYPE
/// (documented in `dbridge query --help`). n is 1-based, for messages.
value parse_param(std::size_t n, const std::string& arg) {
  const std::size_t colon = arg.find(':');
  if (colon == std::string::npos) return value(arg);
  const std::string_view type = std::string_view(arg).substr(0, colon);
  const std::string_view v = std::string_view(arg).substr(colon + 1);
  if (type == "text") return value(std::string(v));
  if (type == "null") {
    if (!v.empty()) bad_param(n, fmt::format("null: takes no value, got '{}'", v), "write NULL as null:");
    return value(nullptr);
  }
  if (type == "int") {
    std::int64_t i = 0;
    auto [end, ec] = std::from_chars(v.data(), v.data() + v.size(), i);
    if (ec == std::errc() && end == v.data() + v.size()) return value(i);
    std::uint64_t u = 0;
    auto [uend, uec] = std::from_chars(v.data(), v.data() + v.size(), u);
    if (uec == std::errc() && uend == v.data() + v.size()) return value(u);
    bad_param(n, fmt::format("int: '{}' is not a 64-bit integer", v),
              "write int:42; use text:int:... to pass the text itself");
  }
  if (type == "float") {
    const std::string s(v);
    char* end = nullptr;
    const double d = s.empty() ? 0.0 : std::strtod(s.c_str(), &end);
    if (s.empty() || end != s.c_str() + s.size())
      bad_param(n, fmt::format("float: '{}' is not a number", v), "write float:1.5 (or float:nan, float:inf)");
    return value(d);
  }
  if (type == "bool") {
    if (v == "true" || v == "1") return value(true);
    if (v == "false" || v == "0") return value(false);
    bad_param(n, fmt::format("bool: '{}' is not true or false", v), "write bool:true or bool:false");
  }
  if (type == "hex") return value(decode_hex(n, v));
  if (type == "base64") return value(decode_base64(n, v));
  if (type == "decimal") {
    const bool numeric = !v.empty() && v.find_first_not_of("+-0123456789.eE") == std::string_view::npos;
    if (!numeric && v != "NaN")
      bad_param(n, fmt::format("decimal: '{}' is not a decimal number", v), "write decimal:12.50");
    return value(decimal{std::string(v)});
  }
  if (type == "json") {
    if (!nlohmann::json::accept(v))
      bad_param(n, "json: the value is not valid JSON", "write json:{\"key\":1} (quote it for the shell)");
    return value(json{std::string(v)});
  }
  // Not one of our types ("http://...", "a:b"): the whole thing is text.
  return value(arg);
}

}  // namespace

int run_query(const query_options& o) {
  // A malformed URL is a usage error, and an unknown scheme is reported before
  // parameters are looked at or any plugin is loaded.
  require_known_scheme(parse_cli_url(o.url));
  std::vector<value> vals;
  vals.reserve(o.params.size());
  for (std::size_t i = 0; i < o.params.size(); ++i) vals.push_back(parse_param(i + 1, o.params[i]));

  connection conn = connect(o.url, connect_options{.opened_by = "dbridge query"});
  result res = conn.query(o.sql, params(vals));

  if (res.column_count() > 0) {
    print_result(res, o.format);
    return exit_ok;
  }

  // No result columns: DML or DDL. Drain so the statement has surely run.
  while (res.next() != nullptr) {
  }
  const std::int64_t affected = res.affected_rows();
  // Unsigned reads every MariaDB id; signed keeps SQLite's negative rowids.
  const std::optional<std::uint64_t> last_id_u64 = res.last_insert_id_u64();
  const std::optional<std::int64_t> last_id_s64 = res.last_insert_id();
  const std::optional<std::string> last_id = last_id_u64   ? std::optional(std::to_string(*last_id_u64))
                                             : last_id_s64 ? std::optional(std::to_string(*last_id_s64))
                                                           : std::nullopt;
  switch (o.format) {
    case output_format::json: {
      ojson j = ojson::object();
      j["affected_rows"] = affected >= 0 ? ojson(affected) : ojson(nullptr);
      j["last_insert_id"] = last_id_u64 ? ojson(*last_id_u64) : last_id_s64 ? ojson(*last_id_s64) : ojson(nullptr);
      out(json_text(j) + "\n");
      break;
    }
    case output_format::csv:
      out(fmt::format("affected_rows,last_insert_id\r\n{},{}\r\n", affected >= 0 ? std::to_string(affected) : "",
                      last_id.value_or("")));
      break;
    case output_format::table:
      if (affected < 0)
        out("OK (rows affected unknown)\n");
      else
        out(fmt::format("{} {} affected\n", affected, affected == 1 ? "row" : "rows"));
      if (last_id && affected > 0) out(fmt::format("last insert id: {}\n", *last_id));
      break;
  }
  return exit_ok;
}

}  // namespace dbridge::cli
