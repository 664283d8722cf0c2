// SPDX-License-Identifier: Apache-2.0
#include "installer.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <fstream>
#include <set>

#include "dbridge/plugin_catalog.hpp"
#include "dbridge/sdk/datetime_text.hpp"
#include "plugin/manifest.hpp"
#include "package_error.hpp"

namespace dbridge::package {

namespace fs = std::filesystem;

namespace {

[[noreturn]] void io_failure(const fs::path& path, const std::string& doing, int err) {
  throw package_error(package_errc::io, path.string() + ": " + doing + ": " + std::strerror(err),
                      err == EACCES || err == EPERM || err == EROFS
                          ? "run as a user who may write there, or install with --user"
                          : "check the file system");
}

void fsync_path(const fs::path& p, int flags) {
  int fd = ::open(p.c_str(), flags | O_CLOEXEC);
  if (fd < 0) io_failure(p, "open for fsync", errno);
  int r = ::fsync(fd);
  int err = errno;
  ::close(fd);
  if (r != 0) io_failure(p, "fsync", err);
}

// Holds <scope>/.lock exclusively: one install or removal per scope at a time.
class scope_lock {
 public:
  explicit scope_lock(const fs::path& scope) {
    std::error_code ec;
    fs::create_directories(scope, ec);
    if (ec) io_failure(scope, "create", ec.value());
    const fs::path lock = scope / ".lock";
    fd_ = ::open(lock.c_str(), O_RDWR | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0644);
    if (fd_ < 0) io_failure(lock, "open", errno);
    while (::flock(fd_, LOCK_EX) != 0) {
      if (errno != EINTR) io_failure(lock, "lock", errno);
    }
    // Holding the lock, nothing else is staging: whatever is left there was
    // interrupted (killed) and is removed.
    fs::remove_all(scope / ".staging", ec);
    fs::create_directories(scope / ".staging", ec);
    if (ec) io_failure(scope / ".staging", "create", ec.value());
  }
  ~scope_lock() { ::close(fd_); }
  scope_lock(const scope_lock&) = delete;
  scope_lock& operator=(const scope_lock&) = delete;

 private:
  int fd_ = -1;
};

std::string utc_now() {
  const std::int64_t secs = std::chrono::system_clock::to_time_t(std::chrono::system_clock::now());
  char buf[dbridge::sdk::datetime_text_max];
  return std::string(buf, dbridge::sdk::format_utc_instant(secs * 1000000, buf));
}

fs::path staging_folder(const fs::path& scope, const std::string& what) {
  std::string templ = (scope / ".staging" / (what + "-XXXXXX")).string();
  if (::mkdtemp(templ.data()) == nullptr) io_failure(templ, "mkdtemp", errno);
  ::chmod(templ.c_str(), 0755);
  return templ;
}

}  // namespace

const char* scope_name(scope_kind scope) { return scope == scope_kind::user ? "user" : "system"; }

// The scopes are the core's own search folders, so an install lands where
// discovery looks.
fs::path scope_dir(scope_kind scope) {
  if (scope == scope_kind::user) {
    fs::path dir = plugin_catalog::scope_folder("user");
    if (dir.empty()) {
      throw package_error(package_errc::not_found, "neither XDG_DATA_HOME nor HOME is set to an absolute path",
                          "set HOME, or install with --system");
    }
    return dir;
  }
  fs::path dir = plugin_catalog::scope_folder("system");
  if (dir.empty()) {
    throw package_error(package_errc::not_found, "cannot find where libdbridge is loaded from", "install with --user");
  }
  return dir;
}

std::string describe_missing(const std::vector<std::string>& sonames, const package_info& info) {
  std::string out;
  for (const auto& s : sonames) {
    if (!out.empty()) out += ", ";
    out += s;
    for (const auto& n : info.needs)
      if (n.soname == s && !n.debian.empty()) out += " (apt-get install " + n.debian + ")";
  }
  return out;
}

std::vector<installed_package> list_installed(const fs::path& scope) {
  std::vector<installed_package> out;
  std::error_code ec;
  for (fs::directory_iterator it(scope, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string name = it->path().filename().string();
    std::error_code e2;
    if (name.empty() || name[0] == '.' || !it->is_directory(e2)) continue;
    const fs::path toml = it->path() / package_file_name;
    if (!fs::is_regular_file(toml, e2)) continue;
    try {
      out.push_back({it->path(), read_package_toml(toml)});
    } catch (const package_error&) {
      continue;  // not ours to judge here; `verify` reports it
    }
  }
  std::sort(out.begin(), out.end(), [](const installed_package& a, const installed_package& b) {
    if (a.info.id != b.info.id) return a.info.id < b.info.id;
    return detail::compare_versions(a.info.version, b.info.version) < 0;
  });
  return out;
}

install_result install_archive(const fs::path& archive, const install_request& request) {
  const std::string archive_sha = file_sha256(archive);
  if (!request.expected_archive_sha256.empty() && archive_sha != request.expected_archive_sha256) {
    throw package_error(package_errc::checksum_mismatch,
                        archive.string() + ": sha256 " + archive_sha + " differs from the " +
                            request.expected_archive_sha256 + " the repository index (or lock file) names",
                        "the package was altered or damaged; fetch it again, or tell the repository's maintainer");
  }
  const package_info head = peek_package(archive);
  const fs::path scope = scope_dir(request.scope);
  scope_lock lock(scope);

  install_result result;
  result.id = head.id;
  result.version = head.version;
  result.folder = scope / (head.id + "-" + head.version);
  std::string newest;
  std::optional<installed_package> same;
  for (auto& p : list_installed(scope)) {
    if (p.info.id != head.id) continue;
    if (p.info.version == head.version) {
      same = std::move(p);
      continue;
    }
    result.other_versions.push_back(p.info.version);
    if (detail::compare_versions(p.info.version, newest) > 0 || newest.empty()) newest = p.info.version;
  }

  const fs::path staging = staging_folder(scope, head.id + "-" + head.version);
  try {
    extracted_package x = extract_package(archive, staging, request.expected);
    if (!x.missing_libraries.empty()) {
      throw package_error(package_errc::missing_library,
                          x.info.id + " " + x.info.version + " needs " +
                              describe_missing(x.missing_libraries, x.info) + ", not found on this machine",
                          "install the system package named above, then run the install again");
    }
    // Only now, with the archive checked like any other: what is installed
    // must not decide the answer for a hostile archive, nor keep a copy
    // that came from other bytes than the ones the user (or the index) asked for.
    if (!same && !newest.empty() && detail::compare_versions(head.version, newest) < 0 && !request.allow_downgrade) {
      throw package_error(package_errc::already_installed,
                          head.id + " " + newest + " is installed (" + scope_name(request.scope) + "), newer than " +
                              head.version,
                          "pass --allow-downgrade to install the older version beside it");
    }
    if (same) {
      const std::string recorded = same->info.installed ? same->info.installed->archive_sha256 : "";
      if (recorded != archive_sha) {
        throw package_error(
            package_errc::already_installed,
            head.id + " " + head.version + " is already installed (" + scope_name(request.scope) + ") in " +
                same->folder.string() + ", but from a different package: " +
                (recorded.empty() ? "the installed copy records no archive sha256"
                                  : "the installed copy's archive sha256 is " + recorded) +
                ", the package " + archive.filename().string() + " has " + archive_sha + "; nothing was changed",
            std::string("to replace it, run `dbridge plugin remove ") +
                (request.scope == scope_kind::system ? "--system " : "") + head.id + "@" + head.version +
                "`, then install again");
      }
      result.already_installed = true;
      std::error_code ec;
      fs::remove_all(staging, ec);
      return result;
    }
    x.info.installed = installed_from{redact_url(request.from), archive_sha, utc_now()};
    const fs::path toml = staging / package_file_name;
    {
      fs::remove(toml);
      std::ofstream o(toml, std::ios::binary);
      o << format_package_toml(x.info);
      o.close();
      if (!o) io_failure(toml, "write", errno);
    }
    fsync_path(toml, O_RDONLY);
    fsync_path(staging, O_RDONLY | O_DIRECTORY);
    if (::rename(staging.c_str(), result.folder.c_str()) != 0) io_failure(result.folder, "rename into place", errno);
    fsync_path(scope, O_RDONLY | O_DIRECTORY);
  } catch (...) {
    std::error_code ec;
    fs::remove_all(staging, ec);
    throw;
  }
  return result;
}

std::vector<fs::path> remove_installed(scope_kind scope, const std::string& id, const std::string& version) {
  const fs::path dir = scope_dir(scope);
  std::error_code ec;
  if (!fs::is_directory(dir, ec)) {
    throw package_error(package_errc::not_found, std::string("no plugin is installed in the ") + scope_name(scope) +
                                                     " scope (" + dir.string() + ")",
                        "see `dbridge plugins` for what is installed where");
  }
  scope_lock lock(dir);
  std::vector<fs::path> removed;
  std::vector<std::string> have;
  for (const auto& p : list_installed(dir)) {
    if (p.info.id != id) continue;
    have.push_back(p.info.version);
    if (!version.empty() && p.info.version != version) continue;
    // Renamed out of sight first: the catalog never sees a half-removed folder.
    const fs::path doomed = staging_folder(dir, "removing-" + id);
    fs::rename(p.folder, doomed / "pkg", ec);
    if (ec) io_failure(p.folder, "rename out of place", ec.value());
    fs::remove_all(doomed, ec);
    removed.push_back(p.folder);
  }
  if (removed.empty()) {
    std::string what = version.empty() ? id : id + "@" + version;
    std::string fix = have.empty() ? "see `dbridge plugins` for what is installed where"
                                   : "installed versions: " + [&] {
                                       std::string s;
                                       for (const auto& v : have) s += (s.empty() ? "" : ", ") + v;
                                       return s;
                                     }();
    throw package_error(package_errc::not_found,
                        what + " is not installed in the " + scope_name(scope) + " scope (" + dir.string() + ")", fix);
  }
  fsync_path(dir, O_RDONLY | O_DIRECTORY);
  return removed;
}

std::vector<std::string> verify_installed(const installed_package& pkg) {
  std::vector<std::string> problems;
  auto m = detail::read_manifest(pkg.folder / "plugin.toml");
  if (!m.info) {
    problems.push_back((pkg.folder / "plugin.toml").string() + ": " +
                       (m.problems.empty() ? "invalid" : m.problems.front().message));
    return problems;
  }
  // The same re-hash as `dbridge plugins --verify`.
  const plugin_verification v = verify_plugin(*m.info);
  if (!v.problem.empty()) problems.push_back(v.problem);
  std::set<fs::path> reported;  // the library is checked against the manifest and [files]: say it once
  for (const auto& f : v.files)
    if (!f.ok && reported.insert(f.path).second) problems.push_back(f.problem);
  std::error_code ec;
  if (!fs::exists(m.info->library_path, ec)) return problems;  // already reported by the re-hash
  try {
    auto missing = unresolved_libraries(m.info->library_path);
    if (!missing.empty()) {
      problems.push_back(m.info->library_path.string() + " needs " + describe_missing(missing, pkg.info) +
                         ", not found on this machine");
    }
  } catch (const package_error& e) {
    problems.push_back(e.what());
  }
  return problems;
}

}  // namespace dbridge::package
