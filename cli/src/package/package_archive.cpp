// SPDX-License-Identifier: Apache-2.0
#include "package_archive.hpp"

#include <archive.h>
#include <archive_entry.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <array>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>
#include <fstream>
#include <set>

#include "plugin/loader.hpp"
#include "plugin/manifest.hpp"
#include "package_error.hpp"
#include "plugin/sha256.hpp"

namespace dbridge::package {

namespace fs = std::filesystem;

namespace {

// package.toml is read into memory before anything is trusted: bound it.
constexpr std::uint64_t max_package_toml = 1u << 20;
// Whatever package.toml declares, no plugin needs more than this unpacked.
constexpr std::uint64_t max_unpacked = 1ull << 30;

struct archive_reader_deleter {
  void operator()(archive* a) const noexcept { archive_read_free(a); }
};
struct archive_writer_deleter {
  void operator()(archive* a) const noexcept { archive_write_free(a); }
};
struct entry_deleter {
  void operator()(archive_entry* e) const noexcept { archive_entry_free(e); }
};
using reader_ptr = std::unique_ptr<archive, archive_reader_deleter>;
using writer_ptr = std::unique_ptr<archive, archive_writer_deleter>;

struct fd_closer {
  int fd = -1;
  ~fd_closer() {
    if (fd >= 0) ::close(fd);
  }
};

class sha256_stream {
 public:
  sha256_stream() : ctx_(EVP_MD_CTX_new()) {
    if (ctx_ == nullptr || EVP_DigestInit_ex(ctx_, EVP_sha256(), nullptr) != 1) {
      throw package_error(package_errc::io, "OpenSSL could not start a SHA-256 digest");
    }
  }
  ~sha256_stream() { EVP_MD_CTX_free(ctx_); }
  sha256_stream(const sha256_stream&) = delete;
  sha256_stream& operator=(const sha256_stream&) = delete;
  void update(const void* data, std::size_t n) { EVP_DigestUpdate(ctx_, data, n); }
  std::string hex() {
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;
    EVP_DigestFinal_ex(ctx_, md, &len);
    static const char* digits = "0123456789abcdef";
    std::string out;
    for (unsigned int i = 0; i < len; ++i) {
      out += digits[md[i] >> 4];
      out += digits[md[i] & 15];
    }
    return out;
  }

 private:
  EVP_MD_CTX* ctx_;
};

[[noreturn]] void archive_failure(archive* a, const fs::path& path, const std::string& doing) {
  const char* why = archive_error_string(a);
  throw package_error(package_errc::io,
                      path.string() + ": " + doing + ": " + (why != nullptr ? why : "libarchive error"),
                      "check that the file is a complete .dbrpkg (a tar.gz written by `dbridge plugin pack`)");
}

// Libraries every plugin gets from the toolchain itself; not worth a hint.
bool is_toolchain_library(const std::string& soname) {
  for (const char* prefix : {"libc.so", "libm.so", "libstdc++.so", "libgcc_s.so", "ld-linux", "libpthread.so",
                             "libdl.so", "librt.so"})
    if (soname.rfind(prefix, 0) == 0) return true;
  return false;
}

// The Debian package that ships a soname, from `dpkg -S` (a hint: "" when
// dpkg is not there or does not know it).
std::string debian_package_of(const std::string& soname) {
  if (soname.find_first_not_of("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789._+-") !=
      std::string::npos) {
    return {};
  }
  std::string cmd = "dpkg -S '*/" + soname + "' 2>/dev/null";
  std::unique_ptr<FILE, int (*)(FILE*)> p(::popen(cmd.c_str(), "r"), ::pclose);
  if (!p) return {};
  char line[512];
  if (std::fgets(line, sizeof line, p.get()) == nullptr) return {};
  std::string s(line);
  auto colon = s.find(':');
  if (colon == std::string::npos) return {};
  s.resize(colon);  // "libpq5:amd64: /usr/lib/..." -> "libpq5"
  if (s.find(',') != std::string::npos || s.find(' ') != std::string::npos) return {};
  return s;
}


detail::elf_dependencies read_library(const fs::path& library) {
  fd_closer fd{::open(library.c_str(), O_RDONLY | O_CLOEXEC | O_NOFOLLOW)};
  if (fd.fd < 0) {
    throw package_error(package_errc::missing_file, library.string() + ": cannot open: " + std::strerror(errno),
                        "check the plugin folder");
  }
  return detail::read_elf_dependencies(fd.fd, library);
}

// What an archive entry name must be: one plain file name (optionally "./name").
std::string checked_entry_name(const char* raw, const fs::path& archive_path) {
  std::string name = raw != nullptr ? raw : "";
  auto refuse = [&](const std::string& why) -> std::string {
    throw package_error(package_errc::unsafe_path,
                        archive_path.string() + ": entry '" + name + "' " + why + "; nothing was installed",
                        "a package holds plain files at its root only; do not install this archive");
  };
  if (name.empty()) refuse("has an empty name");
  if (name[0] == '/') refuse("is an absolute path");
  std::string rest = name.rfind("./", 0) == 0 ? name.substr(2) : name;
  for (std::size_t i = 0; i <= rest.size();) {
    std::size_t e = rest.find('/', i);
    if (e == std::string::npos) e = rest.size();
    if (rest.compare(i, e - i, "..") == 0 && e - i == 2) refuse("leads out of the package ('..')");
    i = e + 1;
  }
  if (rest.empty() || rest.find('/') != std::string::npos) refuse("is in a subfolder (packages hold no folders)");
  for (unsigned char c : rest)
    if (c < 0x20 || c == 0x7f) refuse("has a control character in its name");
  if (rest == "." ) refuse("is a folder");
  return rest;
}

void write_all(int fd, const char* p, std::size_t n, const fs::path& path) {
  while (n > 0) {
    ssize_t w = ::write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) throw package_error(package_errc::io, path.string() + ": write failed: " + std::strerror(errno));
    p += w;
    n -= static_cast<std::size_t>(w);
  }
}

reader_ptr open_archive(const fs::path& path) {
  reader_ptr a(archive_read_new());
  if (!a) throw package_error(package_errc::io, "libarchive: out of memory");
  archive_read_support_filter_gzip(a.get());
  archive_read_support_filter_zstd(a.get());
  archive_read_support_filter_xz(a.get());
  archive_read_support_format_tar(a.get());
  if (archive_read_open_filename(a.get(), path.c_str(), 64 * 1024) != ARCHIVE_OK) {
    const char* why = archive_error_string(a.get());
    throw package_error(errno == ENOENT ? package_errc::not_found : package_errc::io,
                        path.string() + ": cannot open the package: " + (why != nullptr ? why : "unknown error"),
                        "check the path of the .dbrpkg");
  }
  return a;
}

// Reads the first entry, which must be package.toml, into memory.
package_info read_first_entry(archive* a, const fs::path& path) {
  archive_entry* e = nullptr;
  int r = archive_read_next_header(a, &e);
  if (r == ARCHIVE_EOF) {
    throw package_error(package_errc::bad_manifest, path.string() + ": the archive is empty",
                        "pack the plugin folder with `dbridge plugin pack`");
  }
  if (r != ARCHIVE_OK) archive_failure(a, path, "reading the first entry");
  std::string name = checked_entry_name(archive_entry_pathname(e), path);
  if (name != package_file_name || archive_entry_filetype(e) != AE_IFREG || archive_entry_hardlink(e) != nullptr) {
    throw package_error(package_errc::bad_manifest,
                        path.string() + ": the first entry is '" + name + "', not a plain package.toml",
                        "pack the plugin folder with `dbridge plugin pack` (it writes package.toml first)");
  }
  std::string text;
  char buf[16384];
  for (;;) {
    la_ssize_t n = archive_read_data(a, buf, sizeof buf);
    if (n < 0) archive_failure(a, path, "reading package.toml");
    if (n == 0) break;
    text.append(buf, static_cast<std::size_t>(n));
    if (text.size() > max_package_toml) {
      throw package_error(package_errc::too_large,
                          path.string() + ": entry 'package.toml' is larger than " +
                              std::to_string(max_package_toml) + " bytes",
                          "do not install this archive");
    }
  }
  return parse_package_toml(text, path.string() + ": package.toml");
}

}  // namespace

std::string file_sha256(const fs::path& path) {
  try {
    return detail::sha256_hex_file(path);
  } catch (const std::exception& e) {
    throw package_error(package_errc::io, path.string() + ": " + e.what());
  }
}

std::vector<std::string> unresolved_libraries(const fs::path& library) {
  auto deps = read_library(library);
  if (!deps.ok) {
    throw package_error(package_errc::wrong_platform,
                        library.string() + " " + deps.problem + " (this machine is " + host_platform() + ")",
                        "install the package built for " + host_platform());
  }
  return deps.missing;
}

fs::path pack_plugin(const fs::path& dir, const fs::path& outdir) {
  const fs::path manifest_path = dir / "plugin.toml";
  auto m = detail::read_manifest(manifest_path);
  if (!m.info) {
    std::string why = m.problems.empty() ? "invalid manifest" : m.problems.front().message;
    std::string fix = m.problems.empty() ? "" : m.problems.front().fix;
    throw package_error(package_errc::bad_manifest, why, fix);
  }
  const plugin_info& info = *m.info;
  std::error_code ec;
  const fs::path real_dir = fs::canonical(dir, ec);
  if (ec || fs::canonical(info.library_path.parent_path(), ec) != real_dir) {
    throw package_error(package_errc::unsafe_path,
                        manifest_path.string() + ": [library] path must name a file in the plugin folder itself",
                        "put the library next to plugin.toml and set path = \"libdbridge_<id>.so\"");
  }
  if (!fs::is_regular_file(info.library_path, ec)) {
    throw package_error(package_errc::missing_file, info.library_path.string() + ": no such library",
                        "build the plugin first");
  }
  if (file_sha256(info.library_path) != info.sha256) {
    throw package_error(package_errc::checksum_mismatch,
                        manifest_path.string() + ": [library] sha256 does not match " + info.library_path.string(),
                        "rebuild the plugin so the manifest is stamped again (dbridge_add_plugin does it)");
  }
  auto deps = read_library(info.library_path);
  if (!deps.ok) {
    throw package_error(package_errc::wrong_platform, info.library_path.string() + " " + deps.problem,
                        "pack on the platform the library was built for");
  }

  package_info p;
  p.id = info.id;
  p.version = info.version;
  p.platform = host_platform();
  p.abi_major = info.abi_major;
  p.abi_min_minor = info.abi_min_minor;
  p.summary = info.summary;
  for (const auto& soname : deps.needed)
    if (!is_toolchain_library(soname)) p.needs.push_back({soname, debian_package_of(soname)});

  std::vector<fs::path> members{manifest_path, info.library_path};
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    const std::string n = it->path().filename().string();
    if ((n.rfind("README", 0) == 0 || n.rfind("LICENSE", 0) == 0) && it->is_regular_file()) members.push_back(it->path());
  }
  std::sort(members.begin() + 2, members.end());
  for (const auto& f : members) {
    p.files[f.filename().string()] = file_sha256(f);
    p.unpacked_size += fs::file_size(f);
  }
  const std::string toml_text = format_package_toml(p);

  fs::create_directories(outdir, ec);
  const fs::path out = outdir / archive_file_name(p);
  const fs::path tmp = out.string() + ".part";
  writer_ptr w(archive_write_new());
  archive_write_set_format_pax_restricted(w.get());
  archive_write_add_filter_gzip(w.get());
  // Reproducible bytes: no timestamp in the gzip header.
  archive_write_set_filter_option(w.get(), "gzip", "timestamp", nullptr);
  if (archive_write_open_filename(w.get(), tmp.c_str()) != ARCHIVE_OK) archive_failure(w.get(), tmp, "creating");
  auto header = [&](const std::string& name, std::uint64_t size, int mode) {
    std::unique_ptr<archive_entry, entry_deleter> e(archive_entry_new());
    archive_entry_set_pathname(e.get(), name.c_str());
    archive_entry_set_filetype(e.get(), AE_IFREG);
    archive_entry_set_perm(e.get(), mode);
    archive_entry_set_size(e.get(), static_cast<la_int64_t>(size));
    archive_entry_set_mtime(e.get(), 0, 0);
    if (archive_write_header(w.get(), e.get()) != ARCHIVE_OK) archive_failure(w.get(), tmp, "writing " + name);
  };
  auto data = [&](const std::string& name, const char* bytes, std::size_t n) {
    if (n > 0 && archive_write_data(w.get(), bytes, n) != static_cast<la_ssize_t>(n)) {
      archive_failure(w.get(), tmp, "writing " + name);
    }
  };
  header(std::string(package_file_name), toml_text.size(), 0644);
  data(std::string(package_file_name), toml_text.data(), toml_text.size());
  std::vector<char> buf(256 * 1024);
  for (const auto& f : members) {
    const std::string name = f.filename().string();
    header(name, fs::file_size(f), f == info.library_path ? 0755 : 0644);
    std::ifstream in(f, std::ios::binary);
    while (in) {
      in.read(buf.data(), static_cast<std::streamsize>(buf.size()));
      data(name, buf.data(), static_cast<std::size_t>(in.gcount()));
    }
  }
  if (archive_write_close(w.get()) != ARCHIVE_OK) archive_failure(w.get(), tmp, "finishing");
  fs::rename(tmp, out, ec);
  if (ec) throw package_error(package_errc::io, out.string() + ": " + ec.message());
  return out;
}

package_info peek_package(const fs::path& archive_path) {
  reader_ptr a = open_archive(archive_path);
  return read_first_entry(a.get(), archive_path);
}

extracted_package extract_package(const fs::path& archive_path, const fs::path& target,
                                  const expected_identity& expected) {
  reader_ptr a = open_archive(archive_path);
  extracted_package out;
  package_info& p = out.info;
  p = read_first_entry(a.get(), archive_path);
  const std::string where = archive_path.string();

  if ((!expected.id.empty() && p.id != expected.id) || (!expected.version.empty() && p.version != expected.version)) {
    throw package_error(package_errc::identity_mismatch,
                        where + ": package.toml says " + p.id + " " + p.version + ", but the repository index says " +
                            expected.id + " " + expected.version,
                        "the repository is inconsistent; tell its maintainer to rebuild the index");
  }
  if (p.platform != host_platform()) {
    throw package_error(package_errc::wrong_platform,
                        where + ": the package is built for " + p.platform + ", this machine is " + host_platform(),
                        "install the package built for " + host_platform());
  }
  if (auto why = abi_problem(p.abi_major, p.abi_min_minor)) {
    throw package_error(package_errc::abi_incompatible, where + ": " + p.id + " " + p.version + " cannot be used: " + *why,
                        "install a version of " + p.id + " built for this dbridge, or upgrade dbridge");
  }
  if (p.unpacked_size > max_unpacked) {
    throw package_error(package_errc::too_large,
                        where + ": package.toml declares " + std::to_string(p.unpacked_size) + " bytes unpacked",
                        "do not install this archive");
  }

  std::uint64_t budget = p.unpacked_size;
  std::set<std::string> seen;
  char buf[64 * 1024];
  for (;;) {
    archive_entry* e = nullptr;
    int r = archive_read_next_header(a.get(), &e);
    if (r == ARCHIVE_EOF) break;
    if (r != ARCHIVE_OK) archive_failure(a.get(), archive_path, "reading the next entry");
    const char* raw = archive_entry_pathname(e);
    const std::string shown = raw != nullptr ? raw : "";
    if (archive_entry_hardlink(e) != nullptr || archive_entry_filetype(e) == AE_IFLNK) {
      throw package_error(package_errc::link_entry,
                          where + ": entry '" + shown + "' is a " +
                              (archive_entry_filetype(e) == AE_IFLNK ? "symbolic" : "hard") +
                              " link; packages hold plain files only, nothing was installed",
                          "do not install this archive");
    }
    const std::string name = checked_entry_name(raw, archive_path);
    if (archive_entry_filetype(e) != AE_IFREG) {
      throw package_error(package_errc::special_file,
                          where + ": entry '" + shown + "' is not a plain file (a folder, device, fifo or socket)",
                          "do not install this archive");
    }
    auto listed = p.files.find(name);
    if (listed == p.files.end()) {
      throw package_error(package_errc::unlisted_file,
                          where + ": entry '" + name + "' is not listed in package.toml [files]",
                          "do not install this archive; a package lists every file it holds");
    }
    if (!seen.insert(name).second) {
      throw package_error(package_errc::unsafe_path, where + ": entry '" + name + "' appears twice",
                          "do not install this archive");
    }
    if (archive_entry_size_is_set(e) && static_cast<std::uint64_t>(archive_entry_size(e)) > budget) {
      throw package_error(package_errc::too_large,
                          where + ": entry '" + name + "' holds " + std::to_string(archive_entry_size(e)) +
                              " bytes, more than the " + std::to_string(p.unpacked_size) +
                              " package.toml declares for the whole package",
                          "do not install this archive");
    }
    const fs::path dest = target / name;
    const mode_t mode = (archive_entry_perm(e) & 0111) != 0 ? 0755 : 0644;
    fd_closer fd{::open(dest.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, mode)};
    if (fd.fd < 0) throw package_error(package_errc::io, dest.string() + ": cannot create: " + std::strerror(errno));
    sha256_stream h;
    for (;;) {
      la_ssize_t n = archive_read_data(a.get(), buf, sizeof buf);
      if (n < 0) archive_failure(a.get(), archive_path, "reading entry '" + name + "'");
      if (n == 0) break;
      if (static_cast<std::uint64_t>(n) > budget) {
        throw package_error(package_errc::too_large,
                            where + ": entry '" + name + "' unpacks to more than the " +
                                std::to_string(p.unpacked_size) + " bytes package.toml declares",
                            "do not install this archive");
      }
      budget -= static_cast<std::uint64_t>(n);
      h.update(buf, static_cast<std::size_t>(n));
      write_all(fd.fd, buf, static_cast<std::size_t>(n), dest);
    }
    if (::fsync(fd.fd) != 0) throw package_error(package_errc::io, dest.string() + ": fsync: " + std::strerror(errno));
    const std::string got = h.hex();
    if (got != listed->second) {
      throw package_error(package_errc::checksum_mismatch,
                          where + ": entry '" + name + "' has sha256 " + got + ", package.toml [files] says " +
                              listed->second,
                          "the archive was altered or damaged; download it again from a trusted source");
    }
  }
  for (const auto& [name, sha] : p.files) {
    if (!seen.count(name)) {
      throw package_error(package_errc::missing_file,
                          where + ": '" + name + "' is listed in package.toml [files] but not in the archive",
                          "the archive is incomplete; download it again");
    }
  }
  if (!p.files.count("plugin.toml")) {
    throw package_error(package_errc::missing_file, where + ": the package holds no plugin.toml",
                        "pack the plugin folder with `dbridge plugin pack`");
  }
  auto m = detail::read_manifest(target / "plugin.toml");
  if (!m.info) {
    throw package_error(package_errc::bad_manifest,
                        where + ": plugin.toml: " + (m.problems.empty() ? "invalid" : m.problems.front().message),
                        "the package is broken; tell its maintainer");
  }
  if (m.info->id != p.id || m.info->version != p.version) {
    throw package_error(package_errc::identity_mismatch,
                        where + ": plugin.toml says " + m.info->id + " " + m.info->version + ", package.toml says " +
                            p.id + " " + p.version,
                        "the package is inconsistent; do not install it");
  }
  const fs::path lib = m.info->library_path;
  if (lib.parent_path() != target.lexically_normal() || !p.files.count(lib.filename().string())) {
    throw package_error(package_errc::unsafe_path,
                        where + ": plugin.toml [library] path '" + lib.string() + "' is not a file of the package",
                        "do not install this archive");
  }
  // The library's bytes were checked against package.toml [files] above; the
  // loader checks them against plugin.toml [library] sha256, so an archive
  // where the two disagree would install and then never load.
  const std::string& lib_sha = p.files.at(lib.filename().string());
  if (m.info->sha256 != lib_sha) {
    throw package_error(package_errc::checksum_mismatch,
                        where + ": plugin.toml [library] sha256 is " + m.info->sha256 + ", but '" +
                            lib.filename().string() + "' in the package has sha256 " + lib_sha +
                            "; nothing was installed",
                        "the package is inconsistent (its library and manifest come from different builds); "
                        "do not install it, and tell its maintainer to pack it again with `dbridge plugin pack`");
  }
  out.missing_libraries = unresolved_libraries(lib);
  return out;
}

}  // namespace dbridge::package
