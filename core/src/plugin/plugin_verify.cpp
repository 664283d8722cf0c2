// SPDX-License-Identifier: Apache-2.0
// verify_plugin(): the one re-hash of an installed plugin that `dbridge
// plugins --verify` and `dbridge plugin verify` share.
#include <algorithm>
#include <map>
#include <set>

#include "dbridge/plugin_catalog.hpp"
#include "package_record.hpp"
#include "sha256.hpp"

namespace dbridge::inline v1 {

namespace fs = std::filesystem;

namespace {

// Hashes each path once (the library is usually listed in [files] too).
class hasher {
 public:
  const std::string& operator()(const fs::path& p, std::string& error) {
    auto it = done_.find(p);
    if (it == done_.end()) {
      std::string hex, err;
      std::error_code ec;
      if (!fs::exists(p, ec)) {
        err = "missing";
      } else {
        try {
          hex = detail::sha256_hex_file(p);
        } catch (const std::exception& e) {
          err = std::string("cannot read: ") + e.what();
        }
      }
      it = done_.emplace(p, std::make_pair(hex, err)).first;
    }
    error = it->second.second;
    return it->second.first;
  }

 private:
  std::map<fs::path, std::pair<std::string, std::string>> done_;
};

file_check check_file(hasher& hash, const fs::path& path, const std::string& expected, const std::string& listed_in) {
  file_check c;
  c.path = path;
  c.expected = expected;
  std::string error;
  c.actual = hash(path, error);
  if (!error.empty()) {
    c.problem = path.string() + ": " + error + " (listed in " + listed_in + ")";
  } else if (c.actual != expected) {
    c.problem = path.string() + " has sha256 " + c.actual + ", " + listed_in + " says " + expected +
                ": the file was changed after it was installed";
  } else {
    c.ok = true;
  }
  return c;
}

bool stays_inside(const fs::path& rel) {
  if (rel.empty() || rel.is_absolute()) return false;
  return std::none_of(rel.begin(), rel.end(), [](const fs::path& part) { return part == ".."; });
}

}  // namespace

plugin_verification verify_plugin(const plugin_info& plugin) {
  plugin_verification v;
  v.plugin = plugin;
  try {
    hasher hash;
    v.files.push_back(check_file(hash, plugin.library_path, plugin.sha256,
                                 plugin.manifest_path.string() + " [library] sha256"));
    const fs::path folder = plugin.manifest_path.parent_path();
    const detail::package_record pkg = detail::read_package_record(folder);
    if (!pkg.problem.empty()) v.problem = pkg.problem;
    if (pkg.found && pkg.problem.empty()) {
      const std::string listed_in = (folder / detail::package_file_name).string() + " [files]";
      std::set<fs::path> listed{folder / detail::package_file_name};
      for (const auto& [name, expected] : pkg.files) {
        const fs::path rel(name);
        if (!stays_inside(rel)) {
          v.files.push_back(file_check{rel, expected, "", false,
                                       listed_in + " names '" + name + "', which is outside the plugin folder"});
          continue;
        }
        listed.insert(folder / rel);
        v.files.push_back(check_file(hash, folder / rel, expected, listed_in));
      }
      // A file dropped into an installed package is as suspicious as a changed one.
      std::error_code ec;
      for (fs::recursive_directory_iterator it(folder, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code e2;
        if (it->is_directory(e2) || listed.count(it->path())) continue;
        v.files.push_back(file_check{it->path(), "", "", false,
                                     it->path().string() + " is not part of the package (not in " + listed_in + ")"});
      }
    }
    v.ok = v.problem.empty() &&
           std::all_of(v.files.begin(), v.files.end(), [](const file_check& c) { return c.ok; });
  } catch (const std::exception& e) {
    v.problem = std::string("cannot verify: ") + e.what();
    v.ok = false;
  }
  return v;
}

}  // namespace dbridge
