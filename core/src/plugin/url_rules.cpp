// SPDX-License-Identifier: Apache-2.0
#include "url_rules.hpp"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "dbridge/error.hpp"
#include "dbridge/plugin_catalog.hpp"

namespace dbridge::inline v1::detail {

namespace {

std::string lower(std::string_view s) {
  std::string out(s);
  for (char& c : out) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  return out;
}

bool is_integer(std::string_view v) {
  if (!v.empty() && (v[0] == '-' || v[0] == '+')) v.remove_prefix(1);
  return !v.empty() && std::all_of(v.begin(), v.end(), [](char c) { return c >= '0' && c <= '9'; });
}

bool is_number(const std::string& v) {
  if (v.empty() || std::isspace(static_cast<unsigned char>(v[0]))) return false;
  char* end = nullptr;
  errno = 0;
  const double d = std::strtod(v.c_str(), &end);
  return end == v.c_str() + v.size() && errno == 0 && std::isfinite(d);
}

bool is_boolean(std::string_view v) {
  const std::string l = lower(v);
  for (const char* w : {"true", "false", "on", "off", "yes", "no", "1", "0"})
    if (l == w) return true;
  return false;
}

std::string join_names(const std::vector<plugin_option>& options) {
  std::string out;
  for (const auto& o : options) out += (out.empty() ? "" : ", ") + o.name;
  return out.empty() ? std::string("none") : out;
}

// The scheme of a URL, lowercased, or "" when it has none.
std::string scheme_part(std::string_view text) {
  const std::size_t sep = text.find("://");
  if (sep == std::string_view::npos || sep == 0 || sep > 64) return {};
  return lower(text.substr(0, sep));
}

}  // namespace

void check_declared_options(const url& u, const plugin_record& driver) {
  if (!driver.options_declared) return;
  const std::string who = "driver '" + driver.id + "' (scheme " + u.scheme + ")";
  const std::string listing = "`dbridge which --options " + u.scheme + "` lists them";
  for (const auto& [key, value] : u.options) {
    auto it = std::find_if(driver.options.begin(), driver.options.end(),
                           [&](const plugin_option& o) { return o.name == key; });
    if (it == driver.options.end()) {
      std::vector<std::string> names;
      for (const auto& o : driver.options) names.push_back(o.name);
      const auto near = nearest_schemes(key, names, 1);
      std::string msg = who + " has no URL option '" + key + "'";
      if (!near.empty()) msg += "; did you mean '" + near.front() + "'?";
      throw_error(errc::invalid_argument,
                  msg + " It takes: " + join_names(driver.options) + " (" + listing + ")");
    }
    const plugin_option& o = *it;
    // A secret's value is never quoted back.
    const std::string shown = o.secret ? std::string("the value given") : "'" + value + "'";
    std::string wrong;
    if (!o.values.empty()) {
      if (std::find(o.values.begin(), o.values.end(), value) == o.values.end()) {
        std::string allowed;
        for (const auto& v : o.values) allowed += (allowed.empty() ? "" : ", ") + v;
        wrong = "is not one of " + allowed;
      }
    } else if (o.type == "integer" && !is_integer(value)) {
      wrong = "is not an integer";
    } else if (o.type == "number" && !is_number(value)) {
      wrong = "is not a number";
    } else if (o.type == "boolean" && !is_boolean(value)) {
      wrong = "is not a boolean (true/false, on/off, yes/no, 1/0)";
    }
    if (!wrong.empty()) {
      throw_error(errc::invalid_argument, who + ": option " + key + "=" + shown + " " + wrong + " (" + o.summary +
                                              "; " + listing + ")");
    }
  }
}

driver_url resolve_driver_url(std::string_view text) {
  driver_url out;
  try {
    out.parsed = parse_url(text, false);
  } catch (const invalid_argument_error&) {
    // A file path need not parse as host:port; a path-style driver reads it
    // as a path. Any other URL keeps its own error.
    const std::string scheme = scheme_part(text);
    std::shared_ptr<plugin_record> rec;
    if (!scheme.empty()) {
      try {
        rec = driver_for_scheme(scheme);
      } catch (const error&) {
      }
    }
    if (!rec || !rec->url_path_style) throw;
    out.parsed = parse_url(text, true);
    out.driver = std::move(rec);
  }
  if (!out.driver) out.driver = driver_for_scheme(out.parsed.scheme);
  if (out.driver->url_path_style && !out.parsed.path_style) out.parsed = parse_url(text, true);
  check_declared_options(out.parsed, *out.driver);
  for (const auto& o : out.driver->options) {
    if (!o.secret) continue;
    for (const auto& [k, v] : out.parsed.options)
      if (k == o.name && !v.empty()) out.secrets.push_back(v);
  }
  return out;
}

}  // namespace dbridge::detail
