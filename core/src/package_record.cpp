// SPDX-License-Identifier: Apache-2.0
#include "package_record.hpp"

#include <fstream>
#include <iterator>
#include <toml++/toml.h>

#include "manifest.hpp"

namespace dbridge::detail {

namespace fs = std::filesystem;

package_record read_package_record(const fs::path& folder) noexcept {
  package_record rec;
  try {
    const fs::path path = folder / package_file_name;
    std::ifstream in(path, std::ios::binary);
    if (!in) return rec;
    rec.found = true;
    const std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    if (auto bad = check_toml_text(text)) {
      rec.problem = path.string() + ":" + std::to_string(bad->line) + ":" + std::to_string(bad->column) + ": " +
                    bad->what;
      return rec;
    }
    toml::table doc = toml::parse(text, path.string());
    if (auto from = doc["installed"]["from"].value<std::string>()) rec.installed_from = *from;
    if (const toml::node* files = doc.get("files")) {
      if (!files->is_table()) {
        rec.problem = path.string() + ": [files] must be a table of \"path\" = \"sha256\"";
        return rec;
      }
      for (const auto& [name, hash] : *files->as_table()) {
        if (!hash.is_string()) {
          rec.problem = path.string() + ": [files] \"" + std::string(name.str()) + "\" must be a sha256 string";
          return rec;
        }
        rec.files.emplace_back(std::string(name.str()), std::string(hash.as_string()->get()));
      }
    }
  } catch (const toml::parse_error& e) {
    rec.problem = (folder / package_file_name).string() + ":" + std::to_string(e.source().begin.line) + ":" +
                  std::to_string(e.source().begin.column) + ": TOML syntax error: " + std::string(e.description());
  } catch (const std::exception& e) {
    rec.problem = (folder / package_file_name).string() + ": cannot read: " + e.what();
  }
  return rec;
}

}  // namespace dbridge::detail
