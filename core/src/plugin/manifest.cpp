// SPDX-License-Identifier: Apache-2.0
// Manifest validation. Every error names the manifest, the line:column when
// the TOML gives one, the field, and a fix; all errors of one file are
// collected so an author fixes them in one round.
#include "manifest.hpp"

#include <dbridge/abi.h>

#include <algorithm>
#include <array>
#include <cstdio>
#include <fstream>
#include <sstream>
#include <toml++/toml.h>

namespace dbridge::inline v1::detail {

namespace fs = std::filesystem;

#ifndef DBRIDGE_VERSION
#define DBRIDGE_VERSION "1.0.0"
#endif

std::string_view core_version() noexcept { return DBRIDGE_VERSION; }

// ------------------------------------------------------ codes and names

std::uint32_t kind_code(std::string_view kind) noexcept {
  if (kind == "driver") return DBR_KIND_DRIVER;
  if (kind == "pool") return DBR_KIND_POOL;
  if (kind == "mapper") return DBR_KIND_MAPPER;
  return 0;
}

std::string kind_name(std::uint32_t code) {
  switch (code) {
    case DBR_KIND_DRIVER: return "driver";
    case DBR_KIND_POOL: return "pool";
    case DBR_KIND_MAPPER: return "mapper";
  }
  return "unknown kind " + std::to_string(code);
}

std::uint32_t threading_code(std::string_view t) noexcept {
  if (t == "global_serial") return DBR_THREADING_GLOBAL_SERIAL;
  if (t == "per_connection") return DBR_THREADING_PER_CONNECTION;
  if (t == "free") return DBR_THREADING_FREE;
  return 0;
}

std::string threading_name(std::uint32_t code) {
  switch (code) {
    case DBR_THREADING_GLOBAL_SERIAL: return "global_serial";
    case DBR_THREADING_PER_CONNECTION: return "per_connection";
    case DBR_THREADING_FREE: return "free";
  }
  return "unknown threading level " + std::to_string(code);
}

// ------------------------------------------------------------ manifests

namespace {

constexpr std::size_t max_manifest_bytes = 1 << 20;

std::string type_name(const toml::node& n) {
  switch (n.type()) {
    case toml::node_type::table: return "a table";
    case toml::node_type::array: return "an array";
    case toml::node_type::string: return "a string";
    case toml::node_type::integer: return "an integer";
    case toml::node_type::floating_point: return "a float";
    case toml::node_type::boolean: return "a boolean";
    case toml::node_type::date: return "a date";
    case toml::node_type::time: return "a time";
    case toml::node_type::date_time: return "a date-time";
    default: return "nothing";
  }
}

class validator {
 public:
  explicit validator(const fs::path& path) : path_(path) {}

  void error(const toml::node* at, std::string_view field, std::string what, std::string fix) {
    std::string msg = path_.string();
    if (at != nullptr && at->source().begin.line > 0) {
      msg += ":" + std::to_string(at->source().begin.line) + ":" + std::to_string(at->source().begin.column);
    }
    msg += ": ";
    if (!field.empty()) {
      msg += "field '";
      msg += field;
      msg += "': ";
    }
    msg += what;
    problems_.push_back(plugin_problem{path_, std::move(msg), std::move(fix)});
  }

  const toml::table* table(const toml::table& parent, std::string_view key, std::string_view field, bool required,
                           const std::string& fix) {
    const toml::node* n = parent.get(key);
    if (n == nullptr) {
      if (required) error(&parent, field, "missing table [" + std::string(field) + "]", fix);
      return nullptr;
    }
    if (!n->is_table()) {
      error(n, field, "must be a table, found " + type_name(*n), fix);
      return nullptr;
    }
    return n->as_table();
  }

  std::optional<std::string> string(const toml::table* parent, std::string_view key, std::string_view field,
                                    bool required, const std::string& fix) {
    if (parent == nullptr) return std::nullopt;
    const toml::node* n = parent->get(key);
    if (n == nullptr) {
      if (required) error(parent, field, "missing (required)", fix);
      return std::nullopt;
    }
    if (!n->is_string()) {
      error(n, field, "must be a string, found " + type_name(*n), fix);
      return std::nullopt;
    }
    return std::string(n->as_string()->get());
  }

  std::optional<std::int64_t> integer(const toml::table* parent, std::string_view key, std::string_view field,
                                      bool required, const std::string& fix) {
    if (parent == nullptr) return std::nullopt;
    const toml::node* n = parent->get(key);
    if (n == nullptr) {
      if (required) error(parent, field, "missing (required)", fix);
      return std::nullopt;
    }
    if (!n->is_integer()) {
      error(n, field, "must be an integer, found " + type_name(*n), fix);
      return std::nullopt;
    }
    return n->as_integer()->get();
  }

  std::optional<std::vector<std::pair<std::string, const toml::node*>>> strings(const toml::table* parent,
                                                                                 std::string_view key,
                                                                                 std::string_view field,
                                                                                 bool required,
                                                                                 const std::string& fix) {
    if (parent == nullptr) return std::nullopt;
    const toml::node* n = parent->get(key);
    if (n == nullptr) {
      if (required) error(parent, field, "missing (required)", fix);
      return std::nullopt;
    }
    if (!n->is_array()) {
      error(n, field, "must be an array of strings, found " + type_name(*n), fix);
      return std::nullopt;
    }
    std::vector<std::pair<std::string, const toml::node*>> out;
    for (const toml::node& el : *n->as_array()) {
      if (!el.is_string()) {
        error(&el, field, "must be an array of strings, found an element that is " + type_name(el), fix);
        return std::nullopt;
      }
      out.emplace_back(std::string(el.as_string()->get()), &el);
    }
    return out;
  }

  const toml::node* node(const toml::table* parent, std::string_view key) {
    return parent ? parent->get(key) : nullptr;
  }

  std::vector<plugin_problem>& problems() { return problems_; }

 private:
  fs::path path_;
  std::vector<plugin_problem> problems_;
};

bool valid_id(std::string_view id) {
  return !id.empty() && id.size() <= 64 && std::all_of(id.begin(), id.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-';
  });
}

bool valid_scheme(std::string_view s) {
  if (s.empty() || s.size() > 64 || !(s[0] >= 'a' && s[0] <= 'z')) return false;
  return std::all_of(s.begin(), s.end(), [](char c) {
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '+' || c == '.' || c == '-';
  });
}

bool is_hex64(std::string_view s) {
  return s.size() == 64 && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
         });
}

std::string quoted_list(const std::vector<std::string>& v) {
  std::string out;
  for (std::size_t i = 0; i < v.size(); ++i) {
    if (i) out += ", ";
    out += v[i];
  }
  return out;
}

// [driver] url_style and [[driver.options]] (docs/plugin-toml.md).
void read_driver_url_rules(validator& v, const toml::table& driver, plugin_info& info) {
  const std::string style_fix = "set url_style = \"authority\" (scheme://user@host:port/db) or \"path\" "
                                "(scheme:///abs/path) under [driver]";
  if (auto style = v.string(&driver, "url_style", "driver.url_style", false, style_fix)) {
    if (*style != "authority" && *style != "path") {
      v.error(v.node(&driver, "url_style"), "driver.url_style", "unknown URL style '" + *style + "'", style_fix);
    } else {
      info.url_style = *style;
    }
  }
  const toml::node* list = driver.get("options");
  if (list == nullptr) return;
  const std::string list_fix = "declare each option as [[driver.options]] with name, type and summary";
  if (!list->is_array()) {
    v.error(list, "driver.options", "must be an array of tables, found " + type_name(*list), list_fix);
    return;
  }
  info.options_declared = true;
  static const std::array<std::string_view, 4> types = {"string", "integer", "number", "boolean"};
  for (const toml::node& el : *list->as_array()) {
    if (!el.is_table()) {
      v.error(&el, "driver.options", "must be an array of tables, found an element that is " + type_name(el),
              list_fix);
      continue;
    }
    const toml::table& t = *el.as_table();
    plugin_option o;
    const std::string type_fix = "set type = \"string\", \"integer\", \"number\" or \"boolean\"";
    auto name = v.string(&t, "name", "driver.options.name", true, "add name = \"my_option\" to the option");
    auto type = v.string(&t, "type", "driver.options.type", true, type_fix);
    auto summary = v.string(&t, "summary", "driver.options.summary", true, "add summary = \"what it does\"");
    if (!name || !type || !summary) continue;
    if (name->empty() || std::any_of(info.options.begin(), info.options.end(),
                                     [&](const plugin_option& x) { return x.name == *name; })) {
      v.error(v.node(&t, "name"), "driver.options.name",
              name->empty() ? std::string("is empty") : "'" + *name + "' is declared twice", "declare each option once");
      continue;
    }
    if (std::find(types.begin(), types.end(), *type) == types.end()) {
      v.error(v.node(&t, "type"), "driver.options.type", "unknown type '" + *type + "'", type_fix);
      continue;
    }
    o.name = *name;
    o.type = *type;
    o.summary = *summary;
    if (const toml::node* secret = t.get("secret")) {
      if (!secret->is_boolean()) {
        v.error(secret, "driver.options.secret", "must be a boolean, found " + type_name(*secret),
                "write secret = true or leave it out");
      } else {
        o.secret = secret->as_boolean()->get();
      }
    }
    if (const toml::node* def = t.get("default")) {
      if (def->is_string()) o.default_value = def->as_string()->get();
      else if (def->is_integer()) o.default_value = std::to_string(def->as_integer()->get());
      else if (def->is_boolean()) o.default_value = def->as_boolean()->get() ? "true" : "false";
      else if (def->is_floating_point()) {
        std::ostringstream text;
        text << def->as_floating_point()->get();
        o.default_value = text.str();
      } else {
        v.error(def, "driver.options.default", "must be a string, integer, float or boolean, found " +
                                                   type_name(*def), "write the default as the URL would");
      }
    }
    if (auto values = v.strings(&t, "values", "driver.options.values", false,
                                "write values = [\"a\", \"b\"] (the only values allowed)")) {
      for (auto& [val, at] : *values) o.values.push_back(val);
    }
    info.options.push_back(std::move(o));
  }
}

manifest_result validate(const toml::table& doc, const fs::path& path) {
  validator v(path);
  manifest_result result;
  plugin_info info;
  info.manifest_path = path;

  // manifest_version first: a newer format may mean anything below, so stop.
  if (auto mv = v.integer(&doc, "manifest_version", "manifest_version", true,
                          "add manifest_version = 1 at the top of the file")) {
    if (*mv > manifest_version_supported) {
      v.error(doc.get("manifest_version"), "manifest_version",
              "manifest_version " + std::to_string(*mv) + " is newer than this dbridge " +
                  std::string(core_version()) + " understands (it reads version " +
                  std::to_string(manifest_version_supported) + ")",
              "upgrade dbridge, or install a build of this plugin made for manifest_version 1");
      result.problems = std::move(v.problems());
      return result;
    }
    if (*mv < 1) {
      v.error(doc.get("manifest_version"), "manifest_version", "must be 1 or more, found " + std::to_string(*mv),
              "set manifest_version = 1");
    }
  }

  const toml::table* plugin = v.table(doc, "plugin", "plugin", true,
                                      "add a [plugin] table with id, kind and version");
  if (auto id = v.string(plugin, "id", "plugin.id", true, "add id = \"my-plugin\" under [plugin]")) {
    if (!valid_id(*id)) {
      v.error(v.node(plugin, "id"), "plugin.id",
              "'" + *id + "' is not a valid id (1-64 characters of a-z, 0-9 and '-')",
              "use lowercase letters, digits and dashes, e.g. id = \"postgres\"");
    } else {
      info.id = *id;
    }
  }
  const std::string kind_fix = "set kind = \"driver\", \"pool\" or \"mapper\" under [plugin]";
  if (auto kind = v.string(plugin, "kind", "plugin.kind", true, kind_fix)) {
    if (kind_code(*kind) == 0) {
      v.error(v.node(plugin, "kind"), "plugin.kind", "unknown kind '" + *kind + "' (expected driver, pool or mapper)",
              kind_fix);
    } else {
      info.kind = *kind;
    }
  }
  const std::string version_fix = "set version = \"MAJOR.MINOR.PATCH\" (semver), e.g. \"1.0.0\", under [plugin]";
  if (auto version = v.string(plugin, "version", "plugin.version", true, version_fix)) {
    if (!parse_semver(*version)) {
      v.error(v.node(plugin, "version"), "plugin.version", "'" + *version + "' is not a semantic version",
              version_fix);
    } else {
      info.version = *version;
    }
  }
  if (auto summary = v.string(plugin, "summary", "plugin.summary", false, "make summary a string")) {
    info.summary = *summary;
  }

  const toml::table* abi = v.table(doc, "abi", "abi", true, "add [abi] with major = 1 and min_minor = 0");
  if (auto major = v.integer(abi, "major", "abi.major", true, "add major = 1 under [abi]")) {
    if (*major < 1 || *major > 0xFFFF) {
      v.error(v.node(abi, "major"), "abi.major", "must be 1 to 65535, found " + std::to_string(*major),
              "set major = 1 under [abi]");
    } else {
      info.abi_major = static_cast<std::uint32_t>(*major);
    }
  }
  if (auto minor = v.integer(abi, "min_minor", "abi.min_minor", true,
                             "add min_minor = 0 under [abi] (the oldest core ABI minor the plugin works with)")) {
    if (*minor < 0 || *minor > 0xFFFF) {
      v.error(v.node(abi, "min_minor"), "abi.min_minor", "must be 0 to 65535, found " + std::to_string(*minor),
              "set min_minor = 0 under [abi]");
    } else {
      info.abi_min_minor = static_cast<std::uint32_t>(*minor);
    }
  }

  const toml::table* library = v.table(doc, "library", "library", true,
                                       "add [library] with path and sha256 (dbridge_add_plugin() stamps them)");
  const std::string path_fix = "set path = \"libdbridge_<id>.so\" under [library], relative to the manifest's folder";
  if (auto lib = v.string(library, "path", "library.path", true, path_fix)) {
    fs::path p(*lib);
    bool escapes = std::any_of(p.begin(), p.end(), [](const fs::path& part) { return part == ".."; });
    if (lib->empty()) {
      v.error(v.node(library, "path"), "library.path", "is empty", path_fix);
    } else if (p.is_absolute()) {
      v.error(v.node(library, "path"), "library.path", "'" + *lib + "' is absolute; it must be relative", path_fix);
    } else if (escapes) {
      v.error(v.node(library, "path"), "library.path",
              "'" + *lib + "' leaves the plugin's folder through '..'", path_fix);
    } else {
      info.library_path = (path.parent_path() / p).lexically_normal();
    }
  }
  const std::string sha_fix =
      "set sha256 = \"<64 hex digits>\" under [library] (`sha256sum <library>`; dbridge_add_plugin() stamps it)";
  if (auto sha = v.string(library, "sha256", "library.sha256", true, sha_fix)) {
    if (!is_hex64(*sha)) {
      v.error(v.node(library, "sha256"), "library.sha256", "must be 64 hexadecimal digits", sha_fix);
    } else {
      std::string lower = *sha;
      for (auto& c : lower) c = static_cast<char>((c >= 'A' && c <= 'F') ? c - 'A' + 'a' : c);
      info.sha256 = lower;
    }
  }

  const bool is_driver = info.kind == "driver";
  const toml::table* driver = v.table(doc, "driver", "driver", is_driver,
                                      "add [driver] with schemes = [\"myscheme\"] and capabilities = [...]");
  if (driver != nullptr && !info.kind.empty() && !is_driver) {
    v.error(doc.get("driver"), "driver", "only plugins of kind \"driver\" have a [driver] table (this is a " +
                                            info.kind + ")",
            "remove [driver] or set kind = \"driver\"");
  } else if (driver != nullptr) {
    const std::string scheme_fix = "set schemes = [\"myscheme\"] under [driver] (lowercase, [a-z][a-z0-9+.-]*)";
    if (auto schemes = v.strings(driver, "schemes", "driver.schemes", is_driver, scheme_fix)) {
      if (schemes->empty()) v.error(v.node(driver, "schemes"), "driver.schemes", "is empty", scheme_fix);
      for (const auto& [s, at] : *schemes) {
        if (!valid_scheme(s)) {
          v.error(at, "driver.schemes", "'" + s + "' is not a valid URL scheme", scheme_fix);
        } else if (std::find(info.schemes.begin(), info.schemes.end(), s) != info.schemes.end()) {
          v.error(at, "driver.schemes", "'" + s + "' is listed twice", "list each scheme once");
        } else {
          info.schemes.push_back(s);
        }
      }
    }
    const std::string cap_fix = "use only: " + quoted_list(known_capabilities());
    if (auto capabilities = v.strings(driver, "capabilities", "driver.capabilities", false, cap_fix)) {
      for (const auto& [c, at] : *capabilities) {
        const auto& known = known_capabilities();
        if (std::find(known.begin(), known.end(), c) == known.end()) {
          v.error(at, "driver.capabilities", "unknown capability '" + c + "'", cap_fix);
        } else if (std::find(info.capabilities.begin(), info.capabilities.end(), c) == info.capabilities.end()) {
          info.capabilities.push_back(c);
        }
      }
    }
    read_driver_url_rules(v, *driver, info);
  }

  // A mapper names the connection schemes it works over (graph_store picks it by them).
  if (const toml::table* mapper = info.kind == "mapper" ? v.table(doc, "mapper", "mapper", false, "") : nullptr) {
    const std::string fix = "set schemes = [\"sqlite\", ...] under [mapper]";
    if (auto schemes = v.strings(mapper, "schemes", "mapper.schemes", false, fix)) {
      for (const auto& [s, at] : *schemes) {
        if (!valid_scheme(s)) v.error(at, "mapper.schemes", "'" + s + "' is not a valid URL scheme", fix);
        else if (std::find(info.schemes.begin(), info.schemes.end(), s) == info.schemes.end()) info.schemes.push_back(s);
      }
    }
  }

  const std::string threading_fix =
      "set threading = \"global_serial\", \"per_connection\" or \"free\" under [runtime]";
  const toml::table* runtime = v.table(doc, "runtime", "runtime", true, threading_fix);
  if (auto threading = v.string(runtime, "threading", "runtime.threading", true, threading_fix)) {
    if (threading_code(*threading) == 0) {
      v.error(v.node(runtime, "threading"), "runtime.threading", "unknown threading level '" + *threading + "'",
              threading_fix);
    } else {
      info.threading = *threading;
    }
  }

  const toml::table* requires_table = v.table(doc, "requires", "requires", false, "make [requires] a table");
  const std::string req_fix = "write dbridge = \">=1.0, <2\" under [requires]";
  if (auto req = v.string(requires_table, "dbridge", "requires.dbridge", false, req_fix)) {
    std::string why;
    if (!version_satisfies(core_version(), *req, &why)) {
      v.error(v.node(requires_table, "dbridge"), "requires.dbridge", "cannot read '" + *req + "': " + why, req_fix);
    } else {
      info.requires_dbridge = *req;
    }
  }

  if (!v.problems().empty()) {
    result.problems = std::move(v.problems());
    return result;
  }
  result.info = std::move(info);
  return result;
}

}  // namespace

std::optional<toml_text_problem> check_toml_text(std::string_view text) noexcept {
  enum class in { code, comment, basic, literal, ml_basic, ml_literal } state = in::code;
  bool string_may_start = true;
  std::size_t line = 1, column = 0;
  auto fail = [&](std::string what) -> std::optional<toml_text_problem> {
    try {
      return toml_text_problem{line, column, std::move(what)};
    } catch (...) {
      return toml_text_problem{line, column, {}};
    }
  };
  auto at = [&](std::size_t k, std::string_view s) { return text.substr(k, s.size()) == s; };
  char hex[8];
  for (std::size_t i = 0; i < text.size();) {
    const auto c = static_cast<unsigned char>(text[i]);
    ++column;
    if (c == 0) return fail("a NUL byte");
    if (c >= 0x80) {
      // Strict UTF-8 (RFC 3629): the shortest form, no surrogates, at most U+10FFFF.
      std::size_t n = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 0;
      std::uint32_t cp = n == 4 ? c & 0x07u : n == 3 ? c & 0x0Fu : c & 0x1Fu;
      std::snprintf(hex, sizeof hex, "0x%02X", c);
      if (n == 0 || c > 0xF4 || i + n > text.size()) return fail(std::string("invalid UTF-8 (byte ") + hex + ")");
      for (std::size_t k = 1; k < n; ++k) {
        const auto cc = static_cast<unsigned char>(text[i + k]);
        if ((cc & 0xC0) != 0x80) return fail(std::string("invalid UTF-8 (byte ") + hex + " not followed by enough continuation bytes)");
        cp = (cp << 6) | (cc & 0x3Fu);
      }
      if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) || (n == 4 && cp < 0x10000))
        return fail("invalid UTF-8 (an overlong encoding)");
      if (cp >= 0xD800 && cp <= 0xDFFF) return fail("invalid UTF-8 (an encoded surrogate)");
      if (cp > 0x10FFFF) return fail("invalid UTF-8 (a code point above U+10FFFF)");
      if (state == in::code) return fail("a non-ASCII character outside a quoted string or comment; quote the key");
      i += n;
      continue;
    }
    switch (state) {
      case in::code:
        if (c == '#') {
          state = in::comment;
        } else if ((c == '"' || c == '\'') && !string_may_start) {
          // Part of a bare token (0'x): toml++ scans it as a value, not a string.
        } else if (at(i, "\"\"\"")) {
          state = in::ml_basic;
          i += 2;
          column += 2;
        } else if (at(i, "'''")) {
          state = in::ml_literal;
          i += 2;
          column += 2;
        } else if (c == '"') {
          state = in::basic;
        } else if (c == '\'') {
          state = in::literal;
        }
        if (c == '\n') {
          string_may_start = true;
        } else if (c != ' ' && c != '\t' && c != '\r') {
          // A string starts a key or a value: at a line's start or after '=', '[', ',', '{' or '.'.
          string_may_start = c == '=' || c == '[' || c == ',' || c == '{' || c == '.';
        }
        break;
      case in::comment:
        if (c == '\n') {
          state = in::code;
          string_may_start = true;
        }
        break;
      case in::basic:
      case in::ml_basic:
        if (c == '\\' && i + 1 < text.size() && text[i + 1] != '\n' && static_cast<unsigned char>(text[i + 1]) < 0x80) {
          ++i;  // an escaped quote does not end the string
          ++column;
        } else if (state == in::basic && (c == '"' || c == '\n')) {
          state = in::code;
          string_may_start = c == '\n';
        } else if (state == in::ml_basic && at(i, "\"\"\"")) {
          state = in::code;
          string_may_start = false;
          i += 2;
          column += 2;
        }
        break;
      case in::literal:
        if (c == '\'' || c == '\n') {
          state = in::code;
          string_may_start = c == '\n';
        }
        break;
      case in::ml_literal:
        if (at(i, "'''")) {
          state = in::code;
          string_may_start = false;
          i += 2;
          column += 2;
        }
        break;
    }
    if (text[i] == '\n') {
      ++line;
      column = 0;
    }
    ++i;
  }
  return std::nullopt;
}

manifest_result parse_manifest(std::string_view text, const fs::path& path) noexcept {
  manifest_result result;
  try {
    if (auto bad = check_toml_text(text)) {
      result.problems.push_back(plugin_problem{
          path, path.string() + ":" + std::to_string(bad->line) + ":" + std::to_string(bad->column) + ": " + bad->what,
          "save the manifest as UTF-8 text without NUL bytes; quote keys that are not plain ASCII"});
      return result;
    }
    toml::table doc;
    try {
      doc = toml::parse(text, path.string());
    } catch (const toml::parse_error& e) {
      std::string msg = path.string() + ":" + std::to_string(e.source().begin.line) + ":" +
                        std::to_string(e.source().begin.column) + ": TOML syntax error: " +
                        std::string(e.description());
      result.problems.push_back(plugin_problem{path, std::move(msg),
                                               "fix the TOML syntax at that line and column (see toml.io)"});
      return result;
    }
    return validate(doc, path);
  } catch (const std::exception& e) {
    result.info.reset();
    result.problems.push_back(plugin_problem{path, path.string() + ": cannot read the manifest: " + e.what(),
                                             "reinstall the plugin"});
  } catch (...) {
    result.info.reset();
    result.problems.push_back(plugin_problem{path, path.string() + ": cannot read the manifest", "reinstall the plugin"});
  }
  return result;
}

manifest_result read_manifest(const fs::path& path) noexcept {
  try {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
      manifest_result r;
      r.problems.push_back(plugin_problem{path, path.string() + ": cannot open the manifest for reading",
                                          "check that the file exists and is readable"});
      return r;
    }
    std::string text;
    std::array<char, 8192> buf;
    while (in.read(buf.data(), buf.size()) || in.gcount() > 0) {
      text.append(buf.data(), static_cast<std::size_t>(in.gcount()));
      if (text.size() > max_manifest_bytes) {
        manifest_result r;
        r.problems.push_back(plugin_problem{path, path.string() + ": the manifest is larger than 1 MiB",
                                            "a plugin.toml is a few lines; replace this file"});
        return r;
      }
    }
    return parse_manifest(text, path);
  } catch (...) {
    manifest_result r;
    r.problems.push_back(plugin_problem{path, path.string() + ": cannot read the manifest", "reinstall the plugin"});
    return r;
  }
}

std::optional<plugin_problem> compatibility_problem(const plugin_info& info) {
  const std::string who = "plugin '" + info.id + "' " + info.version;
  if (info.abi_major != DBR_ABI_MAJOR) {
    return plugin_problem{info.manifest_path,
                          who + " is built for plugin ABI major " + std::to_string(info.abi_major) +
                              ", but this dbridge " + std::string(core_version()) + " speaks ABI major " +
                              std::to_string(DBR_ABI_MAJOR),
                          "install a build of '" + info.id + "' made for dbridge " + std::to_string(DBR_ABI_MAJOR) +
                              ".x (abi.major = " + std::to_string(DBR_ABI_MAJOR) + ")"};
  }
  if (info.abi_min_minor > DBR_ABI_MINOR) {
    return plugin_problem{info.manifest_path,
                          who + " needs plugin ABI " + std::to_string(info.abi_major) + "." +
                              std::to_string(info.abi_min_minor) + " or newer, but this dbridge " +
                              std::string(core_version()) + " provides ABI " + std::to_string(DBR_ABI_MAJOR) + "." +
                              std::to_string(DBR_ABI_MINOR),
                          "upgrade dbridge, or install an older version of '" + info.id + "'"};
  }
  if (!info.requires_dbridge.empty()) {
    std::string why;
    auto ok = version_satisfies(core_version(), info.requires_dbridge, &why);
    if (!ok || !*ok) {
      return plugin_problem{info.manifest_path,
                            who + " requires dbridge " + info.requires_dbridge + ", but this is dbridge " +
                                std::string(core_version()),
                            "install a version of '" + info.id + "' that supports dbridge " +
                                std::string(core_version()) + ", or a dbridge matching " + info.requires_dbridge};
    }
  }
  return std::nullopt;
}

}  // namespace dbridge::detail
