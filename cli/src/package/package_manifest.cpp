// SPDX-License-Identifier: Apache-2.0
#include "package_manifest.hpp"

#include <fstream>
#include <iterator>
#include <sstream>
#include <toml++/toml.h>

#include "dbridge/abi.h"
#include "plugin/manifest.hpp"
#include "plugin/package_record.hpp"
#include "package_error.hpp"

#ifndef DBRIDGE_PLATFORM
#error "DBRIDGE_PLATFORM must be defined (the target triple, e.g. x86_64-linux-gnu)"
#endif

namespace dbridge::package {

std::string host_platform() { return DBRIDGE_PLATFORM; }

std::string archive_file_name(const package_info& p) {
  return "dbridge-" + p.id + "-" + p.version + "-" + p.platform + ".dbrpkg";
}

bool valid_id(std::string_view id) {
  if (id.empty() || id.size() > 64 || id[0] == '-') return false;
  for (char c : id)
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-')) return false;
  return true;
}

namespace {

bool is_sha256_hex(std::string_view s) {
  if (s.size() != 64) return false;
  for (char c : s)
    if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f'))) return false;
  return true;
}

[[noreturn]] void bad(const std::string& where, const std::string& what) {
  throw package_error(package_errc::bad_manifest, where + ": " + what,
                      "rebuild the package with `dbridge plugin pack` (package.toml is written by it)");
}

}  // namespace

package_info parse_package_toml(std::string_view text, const std::string& where) {
  // The core reads the file (package_record.hpp); a package must also have
  // every field an installer needs, of the right shape.
  const detail::package_record r = detail::parse_package_record(text, where);
  if (r.problem_line != 0) bad(where, "line " + std::to_string(r.problem_line) + ": " + r.problem_what);
  if (!r.problem.empty()) bad(where, r.problem_what);
  if (!r.package_version) bad(where, "package_version is missing");
  if (*r.package_version != package_format_version) {
    bad(where, "package_version " + std::to_string(*r.package_version) + " is not understood by this dbridge (it reads " +
                   std::to_string(package_format_version) + ")");
  }
  package_info p;
  auto str = [&](const std::optional<std::string>& v, const char* key) {
    if (!v) bad(where, std::string("[package] ") + key + " is missing or not a string");
    return *v;
  };
  auto num = [&](const std::optional<std::int64_t>& v, const char* key) {
    if (!v || *v < 0) bad(where, std::string("[package] ") + key + " is missing or not a non-negative integer");
    return *v;
  };
  p.id = str(r.id, "id");
  if (!valid_id(p.id)) bad(where, "[package] id '" + p.id + "' must match [a-z0-9][a-z0-9-]*");
  p.version = str(r.version, "version");
  if (!detail::parse_semver(p.version)) bad(where, "[package] version '" + p.version + "' is not a semantic version");
  p.platform = str(r.platform, "platform");
  p.abi_major = num(r.abi_major, "abi_major");
  p.abi_min_minor = num(r.abi_min_minor, "abi_min_minor");
  p.summary = r.summary.value_or(std::string());
  p.unpacked_size = static_cast<std::uint64_t>(num(r.unpacked_size, "unpacked_size"));
  for (const auto& n : r.needs) {
    if (!n.soname || n.soname->empty() || n.soname->find('/') != std::string::npos) {
      bad(where, "every [[needs]] must have soname = \"libx.so.N\"");
    }
    p.needs.push_back({*n.soname, n.debian});
  }
  if (r.files.empty()) bad(where, "[files] is missing or empty");
  for (const auto& [k, h] : r.files) {
    if (!is_sha256_hex(h)) bad(where, "[files] \"" + k + "\" must be a lowercase sha256 hex");
    p.files[k] = h;
  }
  if (r.installed_table) {
    p.installed = installed_from{r.installed_table->from, r.installed_table->archive_sha256, r.installed_table->at};
  }
  return p;
}

package_info read_package_toml(const std::filesystem::path& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) throw package_error(package_errc::not_found, path.string() + ": cannot open", "check the path");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  return parse_package_toml(text, path.string());
}

std::string format_package_toml(const package_info& p) {
  toml::table pkg{{"id", p.id},
                  {"version", p.version},
                  {"platform", p.platform},
                  {"abi_major", p.abi_major},
                  {"abi_min_minor", p.abi_min_minor},
                  {"summary", p.summary},
                  {"unpacked_size", static_cast<std::int64_t>(p.unpacked_size)}};
  toml::array needs;
  for (const auto& n : p.needs) {
    toml::table t{{"soname", n.soname}};
    if (!n.debian.empty()) t.insert("debian", n.debian);
    needs.push_back(std::move(t));
  }
  toml::table files;
  for (const auto& [k, v] : p.files) files.insert(k, v);
  std::ostringstream o;
  o << "package_version = " << package_format_version << "\n\n";
  o << "[package]\n" << pkg << "\n";
  if (!needs.empty()) o << "\n" << toml::table{{"needs", needs}} << "\n";
  o << "\n[files]\n" << files << "\n";
  if (p.installed) {
    toml::table inst{{"from", p.installed->from}, {"archive_sha256", p.installed->archive_sha256}};
    o << "\n[installed]\n" << inst << "\n";
    // An RFC 3339 time we wrote ourselves: a TOML offset date-time as is.
    if (!p.installed->at.empty()) o << "at = " << p.installed->at << "\n";
  }
  return o.str();
}

std::optional<std::string> abi_problem(std::int64_t abi_major, std::int64_t abi_min_minor) {
  if (abi_major != DBR_ABI_MAJOR) {
    return "it needs plugin ABI " + std::to_string(abi_major) + ".x; this dbridge speaks " +
           std::to_string(DBR_ABI_MAJOR) + "." + std::to_string(DBR_ABI_MINOR);
  }
  if (abi_min_minor > DBR_ABI_MINOR) {
    return "it needs plugin ABI " + std::to_string(abi_major) + "." + std::to_string(abi_min_minor) +
           " or newer; this dbridge speaks " + std::to_string(DBR_ABI_MAJOR) + "." + std::to_string(DBR_ABI_MINOR);
  }
  return std::nullopt;
}

}  // namespace dbridge::package
