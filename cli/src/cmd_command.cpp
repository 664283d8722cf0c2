// SPDX-License-Identifier: Apache-2.0
// `dbridge command URL ARG...`: one command of a command-shaped backend
// (Redis), its reply printed like redis-cli, or as a JSON tree.
#include <fmt/format.h>

#include <string_view>
#include <vector>

#include "commands.hpp"
#include "dbridge/command.hpp"
#include "dbridge/connection.hpp"

namespace dbridge::cli {
namespace {

/// A bulk string: JSON text when it is valid UTF-8, else {"base64": "..."}.
ojson string_json(const std::string& s) {
  if (valid_utf8(s)) return s;
  return ojson{{"base64", base64(dbridge::bytes(s.begin(), s.end()))}};
}

ojson reply_json(const reply& r) {
  switch (r.type) {
    case reply_type::nil: return nullptr;
    case reply_type::integer: return r.integer;
    case reply_type::boolean: return r.integer != 0;
    case reply_type::float64: return r.number;
    case reply_type::status:
    case reply_type::string:
    case reply_type::verbatim:
    case reply_type::bignum:
    case reply_type::error: return string_json(r.str);
    case reply_type::array:
    case reply_type::set:
    case reply_type::push:
    case reply_type::map: {
      ojson a = ojson::array();
      for (const reply& e : r.elements) a.push_back(reply_json(e));
      return a;
    }
  }
  return nullptr;
}

/// A string as redis-cli shows it inside arrays: quoted, with escapes.
std::string cli_quoted(std::string_view s) {
  std::string o = "\"";
  for (char ch : s) {
    const auto c = static_cast<unsigned char>(ch);
    if (ch == '"' || ch == '\\') {
      o += '\\';
      o += ch;
    } else if (ch == '\n') {
      o += "\\n";
    } else if (ch == '\r') {
      o += "\\r";
    } else if (ch == '\t') {
      o += "\\t";
    } else if (c < 0x20 || c >= 0x7f) {
      o += fmt::format("\\x{:02x}", c);
    } else {
      o += ch;
    }
  }
  return o + "\"";
}

void render(const reply& r, std::string& o, std::size_t indent, bool top) {
  switch (r.type) {
    case reply_type::nil: o += "(nil)\n"; return;
    case reply_type::integer: o += fmt::format("(integer) {}\n", r.integer); return;
    case reply_type::boolean: o += r.integer != 0 ? "(true)\n" : "(false)\n"; return;
    case reply_type::float64: o += fmt::format("(double) {}\n", r.number); return;
    case reply_type::status:
    case reply_type::error: o += r.str + "\n"; return;
    case reply_type::string:
    case reply_type::verbatim:
    case reply_type::bignum:
      // A top-level value prints raw, so `dbridge command URL GET k > file` keeps the bytes.
      o += top ? r.str : cli_quoted(r.str);
      o += "\n";
      return;
    default: break;
  }
  if (r.elements.empty()) {
    o += "(empty array)\n";
    return;
  }
  const std::size_t width = std::to_string(r.elements.size()).size();
  for (std::size_t i = 0; i < r.elements.size(); ++i) {
    const std::string label = fmt::format("{:>{}}) ", i + 1, width);
    if (i > 0) o += std::string(indent, ' ');
    o += label;
    render(r.elements[i], o, indent + label.size(), false);
  }
}

}  // namespace

int run_command(const command_options& o) {
  const dbridge::url u = parse_cli_url(o.url);
  require_known_scheme(u);
  if (o.args.empty()) throw usage_error("no command given", "write e.g. dbridge command redis://host GET key");
  auto conn = connect(o.url, connect_options{.opened_by = "dbridge command"});
  std::vector<std::string_view> argv(o.args.begin(), o.args.end());
  const reply r = conn.command(std::span<const std::string_view>(argv));
  if (o.format == output_format::json) {
    out(json_text(reply_json(r)) + "\n");
  } else {
    std::string text;
    render(r, text, 0, true);
    out(text);
  }
  return exit_ok;
}

}  // namespace dbridge::cli
