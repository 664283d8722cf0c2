// SPDX-License-Identifier: Apache-2.0
#include "sync.hpp"

#include <stdlib.h>

#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <toml++/toml.h>

#include "plugin/manifest.hpp"
#include "package_error.hpp"

namespace dbridge::package {

namespace fs = std::filesystem;

namespace {

// A scratch folder for downloads, removed when done.
class scratch_dir {
 public:
  scratch_dir() {
    const char* t = ::secure_getenv("TMPDIR");
    std::string templ = std::string(t != nullptr && t[0] == '/' ? t : "/tmp") + "/dbridge-fetch-XXXXXX";
    if (::mkdtemp(templ.data()) == nullptr) throw package_error(package_errc::io, templ + ": cannot create");
    path_ = templ;
  }
  ~scratch_dir() {
    std::error_code ec;
    fs::remove_all(path_, ec);
  }
  scratch_dir(const scratch_dir&) = delete;
  scratch_dir& operator=(const scratch_dir&) = delete;
  const fs::path& path() const { return path_; }

 private:
  fs::path path_;
};

toml::table parse_toml_file(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  if (!in) throw package_error(package_errc::not_found, p.string() + ": cannot open", "check the path");
  std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (auto bad = detail::check_toml_text(text)) {
    throw package_error(package_errc::bad_manifest, p.string() + ":" + std::to_string(bad->line) + ": " + bad->what);
  }
  try {
    return toml::parse(text, p.string());
  } catch (const toml::parse_error& e) {
    throw package_error(package_errc::bad_manifest, p.string() + ":" + std::to_string(e.source().begin.line) +
                                                        ": TOML syntax error: " + std::string(e.description()));
  }
}

struct list_entry {
  std::string id, spec, repository;
};
struct lock_entry {
  std::string id, version, sha256, repository;
};

}  // namespace

repo_install install_from_repositories(const std::vector<repository>& repos, const std::string& id,
                                       const std::string& spec, install_request request,
                                       const std::string& exact_sha256) {
  auto [repo, entry] = resolve(repos, id, spec);
  scratch_dir scratch;
  const fs::path file = fetch_package(*repo, *entry, scratch.path());
  request.from = repo->location;
  request.expected = {entry->id, entry->version};
  request.expected_archive_sha256 = exact_sha256.empty() ? entry->sha256 : exact_sha256;
  repo_install out;
  out.result = install_archive(file, request);
  out.repository = repo->location;
  out.archive_sha256 = entry->sha256;
  return out;
}

std::vector<repo_install> sync_from_list(const sync_options& o) {
  const toml::table list_doc = parse_toml_file(o.list);
  const fs::path base = fs::absolute(o.list).parent_path();
  std::vector<list_entry> wanted;
  const auto* arr = list_doc["plugin"].as_array();
  if (arr == nullptr) {
    throw package_error(package_errc::bad_manifest, o.list.string() + ": no [[plugin]] entries",
                        "write [[plugin]] id = \"postgres\" version = \"^1.0\" (repository = \"...\" optional)");
  }
  for (const auto& n : *arr) {
    const auto* t = n.as_table();
    auto id = t ? (*t)["id"].value<std::string>() : std::nullopt;
    if (!id || !valid_id(*id)) {
      throw package_error(package_errc::bad_manifest, o.list.string() + ": a [[plugin]] has no valid id",
                          "write [[plugin]] id = \"postgres\"");
    }
    list_entry e{*id, (*t)["version"].value_or(std::string()), (*t)["repository"].value_or(std::string())};
    // A relative repository folder is relative to the list file.
    if (!e.repository.empty() && e.repository.find("://") == std::string::npos && e.repository[0] != '/') {
      e.repository = (base / e.repository).lexically_normal().string();
    }
    wanted.push_back(std::move(e));
  }

  const fs::path lock_path = o.list.parent_path() / "dbridge-plugins.lock";
  std::map<std::string, lock_entry> locked;
  std::error_code ec;
  if (fs::exists(lock_path, ec)) {
    const toml::table lock_doc = parse_toml_file(lock_path);
    if (const auto* la = lock_doc["plugin"].as_array()) {
      for (const auto& n : *la) {
        const auto* t = n.as_table();
        if (t == nullptr) continue;
        lock_entry l{(*t)["id"].value_or(std::string()), (*t)["version"].value_or(std::string()),
                     (*t)["sha256"].value_or(std::string()), (*t)["repository"].value_or(std::string())};
        if (!l.id.empty()) locked[l.id] = l;
      }
    }
  }

  std::map<std::string, repository> opened;
  auto repos_for = [&](const std::string& named) {
    std::vector<std::string> where;
    if (!named.empty()) where.push_back(named);
    else if (!o.repositories.empty()) where = o.repositories;
    else where = configured_repositories();
    std::vector<repository> out;
    for (const auto& w : where) {
      auto it = opened.find(w);
      if (it == opened.end()) it = opened.emplace(w, open_repository(w, o.allow_unsigned)).first;
      out.push_back(it->second);
    }
    return out;
  };

  std::vector<repo_install> done;
  std::vector<lock_entry> new_lock;
  for (const auto& w : wanted) {
    install_request req;
    req.scope = o.scope;
    auto l = locked.find(w.id);
    bool use_lock = l != locked.end() && (w.repository.empty() || w.repository == l->second.repository);
    if (use_lock && !w.spec.empty()) {
      auto ok = detail::version_satisfies(l->second.version, w.spec, nullptr);
      use_lock = ok && *ok;
    }
    repo_install r;
    if (use_lock) {
      // The lock names exact bytes: only that version, only that sha256.
      std::vector<repository> repos = repos_for(!l->second.repository.empty() ? l->second.repository : w.repository);
      r = install_from_repositories(repos, w.id, "=" + l->second.version, req, l->second.sha256);
    } else {
      r = install_from_repositories(repos_for(w.repository), w.id, w.spec, req);
    }
    new_lock.push_back({w.id, r.result.version, r.archive_sha256, r.repository});
    done.push_back(std::move(r));
  }

  std::ostringstream lock_text;
  lock_text << "# Written by `dbridge plugin sync`: the exact packages " << o.list.filename().string()
            << " resolved to.\nlock_version = 1\n";
  for (const auto& l : new_lock) {
    toml::table t{{"id", l.id}, {"version", l.version}, {"sha256", l.sha256}, {"repository", l.repository}};
    lock_text << "\n[[plugin]]\n" << t << "\n";
  }
  std::string old;
  {
    std::ifstream in(lock_path, std::ios::binary);
    if (in) old.assign((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  }
  if (old != lock_text.str()) {
    const fs::path tmp = lock_path.string() + ".part";
    {
      std::ofstream out(tmp, std::ios::binary);
      out << lock_text.str();
      if (!out) throw package_error(package_errc::io, tmp.string() + ": cannot write");
    }
    fs::rename(tmp, lock_path, ec);
    if (ec) throw package_error(package_errc::io, lock_path.string() + ": " + ec.message());
  }
  return done;
}

}  // namespace dbridge::package
