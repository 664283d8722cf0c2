// SPDX-License-Identifier: Apache-2.0
#include "package_record.hpp"

#include <fstream>
#include <iterator>
#include <sstream>
#include <toml++/toml.h>

#include "manifest.hpp"

namespace dbridge::inline v1::detail {

namespace fs = std::filesystem;

namespace {

void set_problem(package_record& rec, const std::string& where, std::size_t line, std::size_t column,
                 std::string what) {
  rec.problem = where;
  if (line != 0) rec.problem += ":" + std::to_string(line) + ":" + std::to_string(column);
  rec.problem += ": " + what;
  rec.problem_line = line;
  rec.problem_what = std::move(what);
}

void read_document(const toml::table& doc, package_record& rec, const std::string& where) {
  rec.package_version = doc["package_version"].value<std::int64_t>();
  const auto pkg = doc["package"];
  rec.id = pkg["id"].value<std::string>();
  rec.version = pkg["version"].value<std::string>();
  rec.platform = pkg["platform"].value<std::string>();
  rec.summary = pkg["summary"].value<std::string>();
  rec.abi_major = pkg["abi_major"].value<std::int64_t>();
  rec.abi_min_minor = pkg["abi_min_minor"].value<std::int64_t>();
  rec.unpacked_size = pkg["unpacked_size"].value<std::int64_t>();
  if (const auto* needs = doc["needs"].as_array()) {
    for (const auto& n : *needs) {
      const auto* t = n.as_table();
      rec.needs.push_back({t ? (*t)["soname"].value<std::string>() : std::nullopt,
                           t ? (*t)["debian"].value_or(std::string()) : std::string()});
    }
  }
  if (const auto* inst = doc["installed"].as_table()) {
    package_record::installed i;
    i.from = (*inst)["from"].value_or(std::string());
    i.archive_sha256 = (*inst)["archive_sha256"].value_or(std::string());
    if (const auto* at = (*inst)["at"].as_date_time()) {
      std::ostringstream o;
      o << *at;
      i.at = o.str();
    }
    rec.installed_table = std::move(i);
  }
  if (auto from = doc["installed"]["from"].value<std::string>()) rec.installed_from = *from;
  if (const toml::node* files = doc.get("files")) {
    if (!files->is_table()) return set_problem(rec, where, 0, 0, "[files] must be a table of \"path\" = \"sha256\"");
    for (const auto& [name, hash] : *files->as_table()) {
      if (!hash.is_string())
        return set_problem(rec, where, 0, 0, "[files] \"" + std::string(name.str()) + "\" must be a sha256 string");
      rec.files.emplace_back(std::string(name.str()), std::string(hash.as_string()->get()));
    }
  }
}

}  // namespace

package_record parse_package_record(std::string_view text, const std::string& where) noexcept {
  package_record rec;
  try {
    if (auto bad = check_toml_text(text)) {
      set_problem(rec, where, bad->line, bad->column, bad->what);
      return rec;
    }
    const toml::table doc = toml::parse(text, where);
    read_document(doc, rec, where);
  } catch (const toml::parse_error& e) {
    set_problem(rec, where, e.source().begin.line, e.source().begin.column,
                "TOML syntax error: " + std::string(e.description()));
  } catch (const std::exception& e) {
    set_problem(rec, where, 0, 0, std::string("cannot read: ") + e.what());
  }
  return rec;
}

package_record read_package_record(const fs::path& folder) noexcept {
  package_record rec;
  try {
    const fs::path path = folder / package_file_name;
    std::ifstream in(path, std::ios::binary);
    if (!in) return rec;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    rec = parse_package_record(text, path.string());
  } catch (const std::exception& e) {
    set_problem(rec, (folder / package_file_name).string(), 0, 0, std::string("cannot read: ") + e.what());
  }
  rec.found = true;
  return rec;
}

}  // namespace dbridge::detail
