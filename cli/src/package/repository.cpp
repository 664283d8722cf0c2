// SPDX-License-Identifier: Apache-2.0
#include "repository.hpp"

#include <curl/curl.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <memory>
#include <sstream>
#include <toml++/toml.h>

#include "plugin/manifest.hpp"
#include "package_archive.hpp"
#include "package_error.hpp"
#include "package_manifest.hpp"
#include "plugin/user_config.hpp"

namespace dbridge::package {

namespace fs = std::filesystem;

namespace {

constexpr std::uint64_t max_index_bytes = 16u << 20;
constexpr std::uint64_t max_signature_bytes = 4096;
constexpr std::int64_t index_format_version = 1;

std::string env(const char* name) {
  const char* v = ::secure_getenv(name);
  return v != nullptr ? std::string(v) : std::string();
}

fs::path config_home() {
  std::string v = env("XDG_CONFIG_HOME");
  if (!v.empty() && v[0] == '/') return v;
  std::string home = env("HOME");
  if (home.empty() || home[0] != '/') {
    throw package_error(package_errc::not_found, "neither XDG_CONFIG_HOME nor HOME is set to an absolute path",
                        "set HOME");
  }
  return fs::path(home) / ".config";
}

std::string read_file(const fs::path& p, std::uint64_t max) {
  std::error_code ec;
  auto size = fs::file_size(p, ec);
  if (ec) {
    throw package_error(package_errc::not_found, p.string() + ": " + ec.message(),
                        "check the repository location (a folder, file:// or http(s):// URL)");
  }
  if (size > max) {
    throw package_error(package_errc::too_large,
                        p.string() + ": " + std::to_string(size) + " bytes, more than the " + std::to_string(max) +
                            " allowed",
                        "check the repository");
  }
  std::ifstream in(p, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
}

void write_file_atomic(const fs::path& p, const std::string& data, mode_t mode) {
  const fs::path tmp = p.string() + ".part";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC | O_NOFOLLOW, mode);
  if (fd < 0) throw package_error(package_errc::io, tmp.string() + ": " + std::strerror(errno));
  bool ok = ::write(fd, data.data(), data.size()) == static_cast<ssize_t>(data.size()) && ::fsync(fd) == 0;
  ::close(fd);
  if (!ok || ::rename(tmp.c_str(), p.c_str()) != 0) {
    throw package_error(package_errc::io, p.string() + ": cannot write: " + std::strerror(errno));
  }
}

struct curl_sink {
  std::string* text = nullptr;  // either into memory
  FILE* file = nullptr;         // or into a file
  std::uint64_t written = 0, max = 0;
  bool over = false;
};

size_t curl_write(char* data, size_t size, size_t n, void* user) {
  auto* s = static_cast<curl_sink*>(user);
  const size_t len = size * n;
  if (s->written + len > s->max) {
    s->over = true;
    return 0;  // aborts the transfer
  }
  s->written += len;
  if (s->text != nullptr) s->text->append(data, len);
  if (s->file != nullptr && std::fwrite(data, 1, len, s->file) != len) return 0;
  return len;
}

void curl_fetch(const std::string& url, curl_sink& sink) {
  static const bool initialized = curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
  (void)initialized;
  std::unique_ptr<CURL, void (*)(CURL*)> c(curl_easy_init(), curl_easy_cleanup);
  if (!c) throw package_error(package_errc::io, "libcurl could not start");
  char err[CURL_ERROR_SIZE] = {};
  curl_easy_setopt(c.get(), CURLOPT_URL, url.c_str());
  curl_easy_setopt(c.get(), CURLOPT_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.get(), CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
  curl_easy_setopt(c.get(), CURLOPT_FOLLOWLOCATION, 1L);
  curl_easy_setopt(c.get(), CURLOPT_MAXREDIRS, 5L);
  curl_easy_setopt(c.get(), CURLOPT_FAILONERROR, 1L);
  curl_easy_setopt(c.get(), CURLOPT_NOSIGNAL, 1L);
  curl_easy_setopt(c.get(), CURLOPT_CONNECTTIMEOUT, 10L);
  curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_LIMIT, 1L);
  curl_easy_setopt(c.get(), CURLOPT_LOW_SPEED_TIME, 30L);
  curl_easy_setopt(c.get(), CURLOPT_MAXFILESIZE_LARGE, static_cast<curl_off_t>(sink.max));
  curl_easy_setopt(c.get(), CURLOPT_WRITEFUNCTION, curl_write);
  curl_easy_setopt(c.get(), CURLOPT_WRITEDATA, &sink);
  curl_easy_setopt(c.get(), CURLOPT_ERRORBUFFER, err);
  CURLcode rc = curl_easy_perform(c.get());
  if (sink.over || rc == CURLE_FILESIZE_EXCEEDED) {
    throw package_error(package_errc::too_large, url + ": more than the " + std::to_string(sink.max) + " bytes expected",
                        "the repository serves something else than its index says; tell its maintainer");
  }
  if (rc != CURLE_OK) {
    long status = 0;
    curl_easy_getinfo(c.get(), CURLINFO_RESPONSE_CODE, &status);
    throw package_error(status == 404 ? package_errc::not_found : package_errc::io,
                        url + ": " + (err[0] != '\0' ? err : curl_easy_strerror(rc)),
                        "check the repository URL and that the server is reachable");
  }
}

std::string fetch_text(const repository& repo, const std::string& name, std::uint64_t max) {
  if (!repo.remote) return read_file(fs::path(repo.base) / name, max);
  std::string text;
  curl_sink sink;
  sink.text = &text;
  sink.max = max;
  curl_fetch(repo.base + "/" + name, sink);
  return text;
}

bool is_hex(std::string_view s, std::size_t len) {
  return s.size() == len && std::all_of(s.begin(), s.end(), [](char c) {
           return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f');
         });
}

std::string to_hex(const unsigned char* p, std::size_t n) {
  static const char* d = "0123456789abcdef";
  std::string s;
  for (std::size_t i = 0; i < n; ++i) {
    s += d[p[i] >> 4];
    s += d[p[i] & 15];
  }
  return s;
}

std::string from_hex(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i + 1 < s.size(); i += 2) {
    auto v = [](char c) { return c <= '9' ? c - '0' : c - 'a' + 10; };
    out += static_cast<char>(v(s[i]) * 16 + v(s[i + 1]));
  }
  return out;
}

using pkey_ptr = std::unique_ptr<EVP_PKEY, void (*)(EVP_PKEY*)>;

pkey_ptr read_key(const fs::path& p, bool private_key) {
  std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(p.c_str(), "re"), std::fclose);
  if (!f) {
    throw package_error(package_errc::not_found, p.string() + ": cannot open: " + std::strerror(errno),
                        "give the key file `dbridge repo keygen` wrote");
  }
  EVP_PKEY* k = private_key ? PEM_read_PrivateKey(f.get(), nullptr, nullptr, nullptr)
                            : PEM_read_PUBKEY(f.get(), nullptr, nullptr, nullptr);
  if (k == nullptr || EVP_PKEY_get_id(k) != EVP_PKEY_ED25519) {
    EVP_PKEY_free(k);
    throw package_error(package_errc::bad_signature,
                        p.string() + ": not an Ed25519 " + (private_key ? "private" : "public") + " key in PEM form",
                        private_key ? "sign with the private key `dbridge repo keygen OUT` wrote to OUT"
                                    : "trust the public key `dbridge repo keygen OUT` wrote to OUT.pub");
  }
  return pkey_ptr(k, EVP_PKEY_free);
}

bool signature_valid(EVP_PKEY* key, const std::string& data, const std::string& sig) {
  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  if (!ctx || EVP_DigestVerifyInit(ctx.get(), nullptr, nullptr, nullptr, key) != 1) return false;
  return EVP_DigestVerify(ctx.get(), reinterpret_cast<const unsigned char*>(sig.data()), sig.size(),
                          reinterpret_cast<const unsigned char*>(data.data()), data.size()) == 1;
}

std::vector<index_entry> parse_index(const std::string& text, const std::string& where) {
  auto bad = [&](const std::string& what) -> void {
    throw package_error(package_errc::bad_manifest, where + ": " + what,
                        "rebuild the index with `dbridge repo index DIR --sign KEY`");
  };
  if (auto problem = detail::check_toml_text(text)) bad("line " + std::to_string(problem->line) + ": " + problem->what);
  toml::table doc;
  try {
    doc = toml::parse(text, where);
  } catch (const toml::parse_error& e) {
    bad("TOML syntax error: " + std::string(e.description()));
  }
  if (doc["index_version"].value<std::int64_t>() != index_format_version) bad("index_version is not 1");
  std::vector<index_entry> out;
  if (const auto* arr = doc["package"].as_array()) {
    for (const auto& n : *arr) {
      const auto* t = n.as_table();
      if (t == nullptr) bad("[[package]] must be tables");
      index_entry e;
      auto s = [&](const char* k) {
        auto v = (*t)[k].value<std::string>();
        if (!v) bad(std::string("a [[package]] has no ") + k);
        return *v;
      };
      auto i = [&](const char* k) {
        auto v = (*t)[k].value<std::int64_t>();
        if (!v || *v < 0) bad(std::string("a [[package]] has no ") + k);
        return *v;
      };
      e.id = s("id");
      e.version = s("version");
      e.platform = s("platform");
      e.file = s("file");
      e.sha256 = s("sha256");
      e.summary = (*t)["summary"].value_or(std::string());
      e.abi_major = i("abi_major");
      e.abi_min_minor = i("abi_min_minor");
      e.size = static_cast<std::uint64_t>(i("size"));
      if (!valid_id(e.id) || !detail::parse_semver(e.version)) bad("package '" + e.id + "' has a bad id or version");
      if (e.file.empty() || e.file.find('/') != std::string::npos || e.file[0] == '.' ||
          e.file.size() < 7 || e.file.compare(e.file.size() - 7, 7, ".dbrpkg") != 0) {
        bad("package " + e.id + " " + e.version + ": file '" + e.file + "' must be a plain *.dbrpkg name");
      }
      if (!is_hex(e.sha256, 64)) bad("package " + e.id + " " + e.version + ": sha256 is not 64 lowercase hex digits");
      out.push_back(std::move(e));
    }
  }
  return out;
}

}  // namespace

fs::path user_config_path() { return config_home() / "dbridge" / "dbridge.toml"; }
fs::path trusted_keys_dir() { return config_home() / "dbridge" / "trusted-keys"; }

void generate_key_pair(const fs::path& out) {
  EVP_PKEY* raw = nullptr;
  std::unique_ptr<EVP_PKEY_CTX, void (*)(EVP_PKEY_CTX*)> ctx(EVP_PKEY_CTX_new_id(EVP_PKEY_ED25519, nullptr),
                                                            EVP_PKEY_CTX_free);
  if (!ctx || EVP_PKEY_keygen_init(ctx.get()) != 1 || EVP_PKEY_keygen(ctx.get(), &raw) != 1) {
    throw package_error(package_errc::io, "OpenSSL could not generate an Ed25519 key");
  }
  pkey_ptr key(raw, EVP_PKEY_free);
  auto write_pem = [&](const fs::path& p, bool priv) {
    std::unique_ptr<BIO, int (*)(BIO*)> bio(BIO_new(BIO_s_mem()), BIO_free);
    int ok = priv ? PEM_write_bio_PrivateKey(bio.get(), key.get(), nullptr, nullptr, 0, nullptr, nullptr)
                  : PEM_write_bio_PUBKEY(bio.get(), key.get());
    if (ok != 1) throw package_error(package_errc::io, "OpenSSL could not encode the key");
    char* data = nullptr;
    long len = BIO_get_mem_data(bio.get(), &data);
    std::error_code ec;
    if (fs::exists(p, ec)) {
      throw package_error(package_errc::io, p.string() + " exists; refusing to overwrite a key",
                          "choose another name or remove the old key first");
    }
    write_file_atomic(p, std::string(data, static_cast<std::size_t>(len)), priv ? 0600 : 0644);
  };
  const fs::path pub = out.string() + ".pub";
  write_pem(out, true);
  write_pem(pub, false);
}

fs::path trust_key(const fs::path& public_key) {
  pkey_ptr key = read_key(public_key, false);
  unsigned char raw[32];
  size_t len = sizeof raw;
  if (EVP_PKEY_get_raw_public_key(key.get(), raw, &len) != 1) {
    throw package_error(package_errc::bad_signature, public_key.string() + ": cannot read the public key");
  }
  const fs::path dir = trusted_keys_dir();
  std::error_code ec;
  fs::create_directories(dir, ec);
  if (ec) throw package_error(package_errc::io, dir.string() + ": " + ec.message());
  // Named by the key itself: trusting the same key twice is one file.
  const fs::path dest = dir / ("ed25519-" + to_hex(raw, 16) + ".pem");
  write_file_atomic(dest, read_file(public_key, 64 * 1024), 0644);
  return dest;
}

std::size_t write_repository_index(const fs::path& dir, const fs::path& private_key) {
  pkey_ptr key = read_key(private_key, true);
  std::vector<fs::path> archives;
  std::error_code ec;
  for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
    if (it->path().extension() == ".dbrpkg" && it->is_regular_file()) archives.push_back(it->path());
  }
  if (ec) throw package_error(package_errc::not_found, dir.string() + ": " + ec.message(), "give a folder of packages");
  std::sort(archives.begin(), archives.end());
  toml::array entries;
  for (const auto& a : archives) {
    package_info p = peek_package(a);
    entries.push_back(toml::table{{"id", p.id},
                                  {"version", p.version},
                                  {"platform", p.platform},
                                  {"abi_major", p.abi_major},
                                  {"abi_min_minor", p.abi_min_minor},
                                  {"file", a.filename().string()},
                                  {"size", static_cast<std::int64_t>(fs::file_size(a))},
                                  {"sha256", file_sha256(a)},
                                  {"summary", p.summary}});
  }
  std::ostringstream o;
  o << "index_version = " << index_format_version << "\n\n";
  if (!entries.empty()) o << toml::table{{"package", entries}} << "\n";
  const std::string text = o.str();

  std::unique_ptr<EVP_MD_CTX, void (*)(EVP_MD_CTX*)> ctx(EVP_MD_CTX_new(), EVP_MD_CTX_free);
  unsigned char sig[64];
  size_t sig_len = sizeof sig;
  if (!ctx || EVP_DigestSignInit(ctx.get(), nullptr, nullptr, nullptr, key.get()) != 1 ||
      EVP_DigestSign(ctx.get(), sig, &sig_len, reinterpret_cast<const unsigned char*>(text.data()), text.size()) != 1) {
    throw package_error(package_errc::io, "OpenSSL could not sign the index");
  }
  write_file_atomic(dir / "index.toml", text, 0644);
  write_file_atomic(dir / "index.toml.sig", to_hex(sig, sig_len) + "\n", 0644);
  return archives.size();
}

repository open_repository(const std::string& location, bool allow_unsigned) {
  repository repo;
  repo.location = location;
  if (location.rfind("http://", 0) == 0 || location.rfind("https://", 0) == 0) {
    repo.remote = true;
    repo.base = location;
    while (!repo.base.empty() && repo.base.back() == '/') repo.base.pop_back();
  } else {
    std::string path = location;
    if (location.rfind("file://", 0) == 0) {
      path = location.substr(7);
      if (path.empty() || path[0] != '/') {
        throw package_error(package_errc::not_found, "'" + location + "' is not a file:// URL of an absolute path",
                            "write file:///absolute/folder");
      }
    } else if (location.find("://") != std::string::npos) {
      throw package_error(package_errc::not_found, "'" + location + "': only folders, file://, http:// and https:// "
                                                   "repositories are supported",
                          "give a folder or an http(s) URL");
    }
    std::error_code ec;
    repo.base = fs::absolute(path, ec).lexically_normal().string();
    while (repo.base.size() > 1 && repo.base.back() == '/') repo.base.pop_back();
  }
  const std::string where = location + "/index.toml";
  const std::string text = fetch_text(repo, "index.toml", max_index_bytes);
  std::string sig_hex;
  bool has_sig = true;
  try {
    sig_hex = fetch_text(repo, "index.toml.sig", max_signature_bytes);
  } catch (const package_error& e) {
    if (e.kind() != package_errc::not_found) throw;
    has_sig = false;
  }
  while (!sig_hex.empty() && (sig_hex.back() == '\n' || sig_hex.back() == '\r')) sig_hex.pop_back();
  bool verified = false;
  if (has_sig && is_hex(sig_hex, 128)) {
    const std::string sig = from_hex(sig_hex);
    std::error_code ec;
    std::vector<fs::path> keys;
    for (fs::directory_iterator it(trusted_keys_dir(), ec), end; !ec && it != end; it.increment(ec))
      if (it->path().extension() == ".pem") keys.push_back(it->path());
    std::sort(keys.begin(), keys.end());
    for (const auto& k : keys) {
      try {
        pkey_ptr key = read_key(k, false);
        if (signature_valid(key.get(), text, sig)) {
          verified = true;
          repo.signed_by = k.string();
          break;
        }
      } catch (const package_error&) {
        continue;  // a broken key file trusts nothing
      }
    }
  }
  if (!verified && !allow_unsigned) {
    std::string why = !has_sig                 ? "has no signature (index.toml.sig)"
                      : !is_hex(sig_hex, 128) ? "has a malformed signature (index.toml.sig)"
                                               : "is not signed by any trusted key (the index or its signature was "
                                                 "changed, or the key is not trusted)";
    throw package_error(package_errc::bad_signature, "repository " + location + ": index.toml " + why,
                        "trust the repository's public key with `dbridge plugin trust KEYFILE`, or pass "
                        "--allow-unsigned if you trust this source anyway");
  }
  repo.entries = parse_index(text, where);
  return repo;
}

fs::path fetch_package(const repository& repo, const index_entry& entry, const fs::path& scratch) {
  fs::path file;
  if (!repo.remote) {
    file = fs::path(repo.base) / entry.file;
  } else {
    file = scratch / entry.file;
    std::unique_ptr<FILE, int (*)(FILE*)> f(std::fopen(file.c_str(), "wbxe"), std::fclose);
    if (!f) throw package_error(package_errc::io, file.string() + ": " + std::strerror(errno));
    curl_sink sink;
    sink.file = f.get();
    sink.max = entry.size;
    curl_fetch(repo.base + "/" + entry.file, sink);
    if (std::fflush(f.get()) != 0) throw package_error(package_errc::io, file.string() + ": " + std::strerror(errno));
  }
  std::error_code ec;
  auto size = fs::file_size(file, ec);
  if (ec) {
    throw package_error(package_errc::not_found, repo.location + ": " + entry.file + ": " + ec.message(),
                        "the repository index names a file it does not hold; tell its maintainer");
  }
  if (size != entry.size) {
    throw package_error(size > entry.size ? package_errc::too_large : package_errc::checksum_mismatch,
                        repo.location + ": " + entry.file + " is " + std::to_string(size) + " bytes, the index says " +
                            std::to_string(entry.size),
                        "the package was altered or damaged; tell the repository's maintainer");
  }
  const std::string sha = file_sha256(file);
  if (sha != entry.sha256) {
    throw package_error(package_errc::checksum_mismatch,
                        repo.location + ": " + entry.file + " has sha256 " + sha + ", the signed index says " +
                            entry.sha256,
                        "the package was altered or damaged; do not install it, tell the repository's maintainer");
  }
  return file;
}

std::pair<const repository*, const index_entry*> resolve(const std::vector<repository>& repos, const std::string& id,
                                                         const std::string& spec) {
  const repository* best_repo = nullptr;
  const index_entry* best = nullptr;
  std::vector<std::string> passed_over;
  for (const auto& r : repos) {
    for (const auto& e : r.entries) {
      if (e.id != id) continue;
      const std::string name = e.id + " " + e.version + " (" + e.platform + ")";
      if (e.platform != host_platform()) {
        passed_over.push_back(name + ": built for " + e.platform + ", this machine is " + host_platform());
        continue;
      }
      if (auto why = abi_problem(e.abi_major, e.abi_min_minor)) {
        passed_over.push_back(name + ": " + *why);
        continue;
      }
      if (!spec.empty()) {
        std::string err;
        auto ok = detail::version_satisfies(e.version, spec, &err);
        if (!ok) {
          throw package_error(package_errc::bad_manifest, "version spec '" + spec + "': " + err,
                              "write e.g. postgres@1.2.0, postgres@^1.2 or postgres@'>=1.0, <2'");
        }
        if (!*ok) {
          passed_over.push_back(name + ": does not match " + spec);
          continue;
        }
      }
      if (best == nullptr || detail::compare_versions(e.version, best->version) > 0) {
        best = &e;
        best_repo = &r;
      }
    }
  }
  if (best == nullptr) {
    std::string where;
    for (const auto& r : repos) where += (where.empty() ? "" : ", ") + r.location;
    std::string msg = "no package " + id + (spec.empty() ? "" : "@" + spec) + " for this machine in " +
                      (where.empty() ? "no repository" : where);
    for (const auto& p : passed_over) msg += "\n  passed over " + p;
    throw package_error(package_errc::not_found, msg,
                        repos.empty() ? "give --repo URL or add [[repository]] url = \"...\" to " +
                                            user_config_path().string()
                                      : "see `dbridge plugin search` for what the repositories hold");
  }
  return {best_repo, best};
}

std::vector<std::string> configured_repositories() {
  std::vector<std::string> out;
  const fs::path p = user_config_path();
  std::error_code ec;
  if (!fs::exists(p, ec)) return out;
  toml::table doc;
  try {
    const std::string text = read_file(p, max_index_bytes);
    if (detail::check_toml_text(text)) return out;  // reported by `dbridge doctor`
    doc = toml::parse(text, p.string());
  } catch (const toml::parse_error&) {
    return out;
  }
  if (const auto* arr = doc["repository"].as_array()) {
    for (const auto& n : *arr) {
      if (const auto* t = n.as_table()) {
        if (auto url = (*t)["url"].value<std::string>()) out.push_back(*url);
      }
    }
  }
  return out;
}

std::map<std::string, std::string> read_pins() {
  std::vector<plugin_problem> problems;
  return detail::read_user_config(user_config_path(), problems).pins;
}

void write_pin(const std::string& id, const std::string& version) {
  const fs::path p = user_config_path();
  std::string text;
  std::error_code ec;
  if (fs::exists(p, ec)) text = read_file(p, max_index_bytes);
  std::vector<std::string> lines;
  {
    std::istringstream in(text);
    for (std::string l; std::getline(in, l);) lines.push_back(l);
  }
  auto trimmed = [](const std::string& s) {
    auto b = s.find_first_not_of(" \t");
    return b == std::string::npos ? std::string() : s.substr(b, s.find_last_not_of(" \t\r") - b + 1);
  };
  auto key_of = [&](const std::string& l) {
    std::string t = trimmed(l);
    auto eq = t.find('=');
    if (eq == std::string::npos) return std::string();
    std::string k = trimmed(t.substr(0, eq));
    if (k.size() >= 2 && (k.front() == '"' || k.front() == '\'') && k.back() == k.front()) k = k.substr(1, k.size() - 2);
    return k;
  };
  // The [pins] table: from its header to the next table header.
  std::size_t start = lines.size(), end = lines.size();
  for (std::size_t i = 0; i < lines.size(); ++i) {
    std::string t = trimmed(lines[i]);
    if (start == lines.size()) {
      if (t.rfind("[pins]", 0) == 0) start = i;
    } else if (!t.empty() && t[0] == '[') {
      end = i;
      break;
    }
  }
  const std::string entry = id + " = \"" + version + "\"";
  if (start == lines.size()) {
    if (version.empty()) return;
    if (!lines.empty() && !trimmed(lines.back()).empty()) lines.emplace_back();
    lines.emplace_back("[pins]");
    lines.push_back(entry);
  } else {
    bool done = false;
    for (std::size_t i = start + 1; i < end; ++i) {
      if (key_of(lines[i]) != id) continue;
      if (version.empty()) {
        lines.erase(lines.begin() + static_cast<std::ptrdiff_t>(i));
      } else {
        lines[i] = entry;
      }
      done = true;
      break;
    }
    if (!done && !version.empty()) {
      // After the last non-empty line of the table.
      std::size_t at = end;
      while (at > start + 1 && trimmed(lines[at - 1]).empty()) --at;
      lines.insert(lines.begin() + static_cast<std::ptrdiff_t>(at), entry);
    }
  }
  std::string out;
  for (const auto& l : lines) out += l + "\n";
  fs::create_directories(p.parent_path(), ec);
  write_file_atomic(p, out, 0644);
}

}  // namespace dbridge::package
