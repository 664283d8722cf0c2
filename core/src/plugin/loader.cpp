// SPDX-License-Identifier: Apache-2.0
// The plugin loader (docs/architecture.md, "Discovery and manifests" and "Lifetime").
//
// TOCTOU: the library is opened once, hashed through that descriptor and then
// loaded as /proc/self/fd/N, so the bytes that were checked are the bytes that
// run. The descriptor stays open for the life of the process: glibc matches
// dlopen names against loaded objects, and a reused fd number would otherwise
// hand back a different, already loaded library.
#include "loader.hpp"

#include <dlfcn.h>
#include <fcntl.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <boost/dll/shared_library.hpp>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <set>

#include "host.hpp"
#include "join.hpp"
#include "manifest.hpp"
#include "sha256.hpp"

namespace dbridge::inline v1::detail {

namespace fs = std::filesystem;

// ------------------------------------------------------------ plugin_record

plugin_record::~plugin_record() {
  if (instance == nullptr) return;
  void (*shutdown)(dbr_plugin*) = nullptr;
  if (kind_code == DBR_KIND_DRIVER) shutdown = driver.shutdown;
  else if (kind_code == DBR_KIND_POOL) shutdown = pool.shutdown;
  else if (kind_code == DBR_KIND_MAPPER) shutdown = mapper.shutdown;
  if (shutdown == nullptr) return;
  if (threading == DBR_THREADING_GLOBAL_SERIAL) {
    std::lock_guard<std::mutex> lock(serial_mutex);
    shutdown(instance);
  } else {
    shutdown(instance);
  }
  instance = nullptr;
}

// ------------------------------------------------------------- loader state

namespace {

struct loader_state {
  std::mutex mu;
  std::map<std::string, std::shared_ptr<plugin_record>> records;  // by record_key
  std::map<std::string, std::string> failures;                   // by manifest path
  // Never destroyed: dlclose would run (or unmap) plugin code at an arbitrary
  // point, and STB_GNU_UNIQUE / thread_local symbols pin libraries anyway.
  std::vector<std::shared_ptr<boost::dll::shared_library>> parked;
  std::vector<int> parked_fds;
};

loader_state& state() {
  static loader_state* s = new loader_state();  // leaked on purpose: outlives static destructors
  return *s;
}

std::string record_key(const plugin_info& info) {
  std::error_code ec;
  fs::path lib = fs::weakly_canonical(info.library_path, ec);
  if (ec) lib = info.library_path;
  return lib.string() + '\n' + info.id + '\n' + info.version;
}

std::string who(const plugin_info& info) {
  return "plugin '" + info.id + "' " + info.version + " (" + info.manifest_path.string() + ")";
}

std::string bounded(const char* p, std::size_t max = 256) {
  if (p == nullptr) return {};
  return std::string(p, strnlen(p, max));
}

struct fd_guard {
  int fd = -1;
  ~fd_guard() {
    if (fd >= 0) ::close(fd);
  }
  int release() {
    int f = fd;
    fd = -1;
    return f;
  }
};

}  // namespace

// --------------------------------------------------------------- loading

namespace {

template <typename T>
void copy_table(const void* src, T& dst) {
  dst = T{};
  if (src == nullptr) return;
  std::uint32_t size = 0;
  std::memcpy(&size, src, sizeof size);
  // Never read past what the plugin says it has; fields it lacks stay zero.
  std::memcpy(static_cast<void*>(&dst), src, std::min<std::size_t>(size, sizeof(T)));
}

class loader_run {
 public:
  loader_run(const plugin_info& info, const load_policy& policy) : info_(info), policy_(policy) {}

  load_outcome run();

 private:
  bool step_ok(const char* name, std::string detail) {
    out_.steps.push_back(load_step{name, true, std::move(detail), {}});
    return true;
  }
  bool step_fail(const char* name, errc category, std::string detail, std::string fix) {
    out_.steps.push_back(load_step{name, false, detail, fix});
    out_.category = category;
    out_.message = who(info_) + ": " + detail;
    out_.fix = fix;
    if (!fix.empty()) out_.message += "; fix: " + fix;
    return false;
  }
  // The steps of run(), in order; each records itself and returns false (or
  // null) when it failed.
  bool check_abi_range();
  bool open_library(fd_guard& fd, struct stat& sb);
  bool check_permissions();
  bool check_checksum(int fd);
  bool read_dependencies(int fd, elf_dependencies& deps);
  std::shared_ptr<boost::dll::shared_library> load_library(fd_guard& fd, const struct stat& sb,
                                                           const elf_dependencies& deps);
  bool call_entry(const boost::dll::shared_library& lib, dbr_plugin_desc& desc);
  bool check_descriptor(const dbr_plugin_desc& desc, plugin_record& rec);
  bool check_slots(plugin_record& rec);
  bool start_instance(plugin_record& rec);

  const plugin_info& info_;
  const load_policy& policy_;
  load_outcome out_;
};

bool loader_run::check_descriptor(const dbr_plugin_desc& desc, plugin_record& rec) {
  std::vector<std::string> diffs;
  const std::string m = "manifest " + info_.manifest_path.filename().string();
  if (desc.abi_major != DBR_ABI_MAJOR) {
    return step_fail("descriptor", errc::incompatible,
                     "the library is built for plugin ABI major " + std::to_string(desc.abi_major) +
                         ", but its manifest says " + std::to_string(info_.abi_major) + " and this core speaks " +
                         std::to_string(DBR_ABI_MAJOR),
                     "rebuild the plugin against this dbridge SDK, or install the build matching this dbridge");
  }
  if (desc.abi_minor > DBR_ABI_MINOR) {
    return step_fail("descriptor", errc::incompatible,
                     "the plugin negotiated ABI minor " + std::to_string(desc.abi_minor) +
                         ", above this core's minor " + std::to_string(DBR_ABI_MINOR) +
                         " (the entry must answer min(core, plugin))",
                     "report this to the plugin's author; install another version meanwhile");
  }
  if (desc.abi_minor < info_.abi_min_minor) {
    return step_fail("descriptor", errc::incompatible,
                     "the plugin negotiated ABI minor " + std::to_string(desc.abi_minor) +
                         ", below its manifest's abi.min_minor " + std::to_string(info_.abi_min_minor),
                     "make the manifest's abi.min_minor match the library (rebuild with dbridge_add_plugin())");
  }
  std::string id = bounded(desc.id), version = bounded(desc.version);
  if (desc.id == nullptr || id != info_.id) {
    diffs.push_back("id: library says '" + id + "', " + m + " says '" + info_.id + "'");
  }
  if (desc.version == nullptr || version != info_.version) {
    diffs.push_back("version: library says '" + version + "', " + m + " says '" + info_.version + "'");
  }
  if (desc.kind != kind_code(info_.kind)) {
    diffs.push_back("kind: library says " + kind_name(desc.kind) + ", " + m + " says " + info_.kind);
  }
  if (desc.threading != threading_code(info_.threading)) {
    diffs.push_back("threading: library says " + threading_name(desc.threading) + ", " + m + " says " +
                    info_.threading);
  }
  if (desc.kind == DBR_KIND_DRIVER) {
    std::uint64_t manifest_caps = capability_bits(info_.capabilities);
    if (desc.capabilities != manifest_caps) {
      diffs.push_back("capabilities: library says [" + join(capability_names(desc.capabilities)) + "], " + m +
                      " says [" + join(capability_names(manifest_caps)) + "]");
    }
    std::vector<std::string> schemes;
    if (desc.schemes != nullptr) {
      for (std::size_t i = 0; i < 64 && desc.schemes[i] != nullptr; ++i) schemes.push_back(bounded(desc.schemes[i]));
    }
    std::vector<std::string> a = schemes, b = info_.schemes;
    std::sort(a.begin(), a.end());
    std::sort(b.begin(), b.end());
    if (a != b) {
      diffs.push_back("schemes: library says [" + join(schemes) + "], " + m + " says [" + join(info_.schemes) + "]");
    }
  }
  if (!diffs.empty()) {
    return step_fail("descriptor", errc::incompatible, "the library disagrees with its manifest: " + join(diffs, "; "),
                     "reinstall the plugin so library and manifest come from the same build; its author "
                     "must make plugin.toml and the plugin's descriptor agree (dbridge_add_plugin() checks "
                     "them at build time)");
  }
  if (desc.vtable == nullptr) {
    return step_fail("descriptor", errc::incompatible, "the descriptor has no vtable",
                     "report this to the plugin's author");
  }
  rec.id = id;
  rec.version = version;
  rec.kind = info_.kind;
  rec.kind_code = desc.kind;
  rec.negotiated_minor = desc.abi_minor;
  rec.threading = desc.threading;
  rec.flags = desc.flags;
  rec.capabilities = desc.capabilities;
  rec.schemes = info_.schemes;
  rec.manifest_path = info_.manifest_path;
  rec.library_path = info_.library_path;
  rec.url_path_style = info_.url_style == "path";
  rec.options = info_.options;
  rec.options_declared = info_.options_declared;
  if (desc.kind == DBR_KIND_DRIVER) {
    copy_table(desc.vtable, rec.driver);
    copy_table(rec.driver.conn, rec.conn);
    copy_table(rec.driver.sql, rec.sql);
    copy_table(rec.driver.txn, rec.txn);
    copy_table(rec.driver.command, rec.command);
    copy_table(rec.driver.notify, rec.notify);
    copy_table(rec.driver.bulk, rec.bulk);
    copy_table(rec.driver.batch, rec.batch);
    copy_table(rec.driver.introspect, rec.introspect);
    copy_table(rec.driver.functions, rec.functions);
    copy_table(rec.driver.cursor, rec.cursor);
    // Slots newer than the negotiated minor are never called, whatever the
    // table holds (abi.h: the negotiated minor is the only gate).
    if (rec.negotiated_minor < 1) rec.conn.reset_session = nullptr;
    if (rec.negotiated_minor < 4) rec.sql.execute_batch = nullptr;
  } else if (desc.kind == DBR_KIND_POOL) {
    copy_table(desc.vtable, rec.pool);
  } else {
    copy_table(desc.vtable, rec.mapper);
    if (rec.negotiated_minor < 2) {
      rec.mapper.merge = nullptr;
      rec.mapper.neighbors = nullptr;
      rec.mapper.list = nullptr;
      rec.mapper.stats = nullptr;
    }
  }
  return check_slots(rec);
}

// The capabilities a driver declares must be backed by the tables and slots
// the core will call (docs/architecture.md, "Capabilities").
bool loader_run::check_slots(plugin_record& rec) {
  std::vector<std::string> missing;
  auto need = [&](bool present, const char* what) {
    if (!present) missing.push_back(what);
  };
  if (rec.kind_code == DBR_KIND_DRIVER) {
    need(rec.driver.init != nullptr, "init");
    need(rec.driver.conn != nullptr && rec.conn.connect != nullptr && rec.conn.close != nullptr,
         "conn table (connect, close)");
    if (rec.has(DBR_CAP_SQL)) {
      need(rec.driver.sql != nullptr && rec.sql.prepare && rec.sql.execute && rec.sql.finalize,
           "sql table (capability sql)");
    }
    if (rec.has(DBR_CAP_SQL) || rec.has(DBR_CAP_INTROSPECT) || rec.has(DBR_CAP_BATCH)) {
      need(rec.driver.cursor != nullptr && rec.cursor.fetch && rec.cursor.close, "cursor table");
    }
    if (rec.has(DBR_CAP_TRANSACTIONS)) {
      need(rec.driver.txn != nullptr && rec.txn.begin && rec.txn.commit && rec.txn.rollback,
           "txn table (capability transactions)");
    }
    if (rec.has(DBR_CAP_COMMAND)) need(rec.driver.command != nullptr && rec.command.execute, "command table");
    if (rec.has(DBR_CAP_NOTIFY)) need(rec.driver.notify != nullptr, "notify table");
    if (rec.has(DBR_CAP_BULK)) need(rec.driver.bulk != nullptr, "bulk table");
    if (rec.has(DBR_CAP_BATCH)) need(rec.driver.batch != nullptr, "batch table");
    if (rec.has(DBR_CAP_INTROSPECT)) need(rec.driver.introspect != nullptr && rec.introspect.list, "introspect table");
    if (rec.has(DBR_CAP_FUNCTIONS)) {
      need(rec.driver.functions != nullptr && rec.functions.create_scalar, "functions table");
    }
    if (rec.has(DBR_CAP_CANCEL)) need(rec.conn.cancel != nullptr, "conn.cancel (capability cancel)");
  } else if (rec.kind_code == DBR_KIND_POOL) {
    need(rec.pool.init != nullptr, "init");
    need(rec.pool.create && rec.pool.destroy && rec.pool.choose, "create/destroy/choose");
  } else {
    need(rec.mapper.init != nullptr, "init");
    need(rec.mapper.store && rec.mapper.load, "store/load");
  }
  if (!missing.empty()) {
    return step_fail("descriptor", errc::incompatible,
                     "the vtable lacks what the plugin declares: " + join(missing),
                     "report this to the plugin's author: fill these slots or drop the capability");
  }
  return step_ok("descriptor", "ABI " + std::to_string(DBR_ABI_MAJOR) + "." + std::to_string(rec.negotiated_minor) +
                                   ", " + rec.kind + " '" + rec.id + "' " + rec.version + ", threading " +
                                   threading_name(rec.threading) + " match the manifest");
}

load_outcome loader_run::run() {
  step_ok("manifest", info_.manifest_path.string() + " is valid (" + info_.id + " " + info_.version + ")");
  if (!check_abi_range()) return std::move(out_);
  auto& st = state();
  const std::string key = record_key(info_);
  if (auto it = st.records.find(key); it != st.records.end()) {
    step_ok("load", "already loaded from " + info_.library_path.string());
    out_.record = it->second;
    return std::move(out_);
  }
  fd_guard fd;
  struct stat sb {};
  elf_dependencies deps;
  if (!open_library(fd, sb) || !check_permissions() || !check_checksum(fd.fd) || !read_dependencies(fd.fd, deps))
    return std::move(out_);
  std::shared_ptr<boost::dll::shared_library> lib = load_library(fd, sb, deps);
  if (lib == nullptr) return std::move(out_);
  dbr_plugin_desc desc;
  if (!call_entry(*lib, desc)) return std::move(out_);
  auto rec = std::make_shared<plugin_record>();
  rec->library = lib;
  if (!check_descriptor(desc, *rec) || !start_instance(*rec)) return std::move(out_);
  st.records.emplace(key, rec);
  out_.record = std::move(rec);
  return std::move(out_);
}

bool loader_run::check_abi_range() {
  if (auto problem = compatibility_problem(info_)) {
    step_fail("abi range", errc::incompatible, problem->message, problem->fix);
    out_.message = problem->message + " (" + info_.manifest_path.string() + "); fix: " + problem->fix;
    return false;
  }
  return step_ok("abi range", "needs ABI " + std::to_string(info_.abi_major) + "." +
                                  std::to_string(info_.abi_min_minor) + "+, core provides " +
                                  std::to_string(DBR_ABI_MAJOR) + "." + std::to_string(DBR_ABI_MINOR) +
                                  (info_.requires_dbridge.empty() ? std::string()
                                                                  : "; dbridge " + std::string(core_version()) +
                                                                        " satisfies " + info_.requires_dbridge));
}

bool loader_run::open_library(fd_guard& fd, struct stat& sb) {
  fd.fd = ::open(info_.library_path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd.fd < 0) {
    int e = errno;
    return step_fail("library file", e == ENOENT ? errc::not_found : errc::resource,
                     "cannot open the library " + info_.library_path.string() + ": " + std::strerror(e),
                     "reinstall the plugin, or correct library.path in " + info_.manifest_path.string());
  }
  if (::fstat(fd.fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
    return step_fail("library file", errc::not_found,
                     "the library " + info_.library_path.string() + " is not a regular file", "reinstall the plugin");
  }
  return step_ok("library file", info_.library_path.string() + " (" + std::to_string(sb.st_size) + " bytes)");
}

// Who else may change the code about to run in this process.
bool loader_run::check_permissions() {
  std::vector<std::string> warnings;
  for (const file_finding& f : check_plugin_files(info_)) {
    if (f.refuse && !policy_.allow_writable) {
      const std::string cfg = policy_.config_path.empty() ? std::string("$XDG_CONFIG_HOME/dbridge/dbridge.toml")
                                                          : policy_.config_path.string();
      return step_fail("permissions", errc::incompatible, f.message + ", so any user could replace the code it runs",
                       f.fix + "; or, if this is intended, set [security] allow_writable_plugins = true in " + cfg);
    }
    warnings.push_back(f.message + " (fix: " + f.fix + ")");
  }
  return step_ok("permissions", warnings.empty() ? std::string("only their owners may write to the library and its folders")
                                                 : "warning: " + join(warnings, "; warning: "));
}

// The checksum of the very file that will be loaded.
bool loader_run::check_checksum(int fd) {
  std::string actual;
  try {
    actual = sha256_hex_fd(fd);
  } catch (const std::exception& e) {
    return step_fail("checksum", errc::resource, std::string("cannot hash the library: ") + e.what(), "check the file");
  }
  if (actual != info_.sha256) {
    return step_fail("checksum", errc::incompatible,
                     "checksum mismatch: the library " + info_.library_path.string() + " has sha256 " + actual +
                         ", the manifest says " + info_.sha256,
                     "reinstall the plugin (the library was changed or replaced after its manifest was stamped); "
                     "if you built it yourself, rebuild with dbridge_add_plugin() so the manifest is stamped again");
  }
  return step_ok("checksum", "sha256 " + actual + " matches the manifest");
}

// Read from the same descriptor; nothing runs. The step is recorded once the
// load shows whether the dynamic loader agrees.
bool loader_run::read_dependencies(int fd, elf_dependencies& deps) {
  deps = read_elf_dependencies(fd, info_.library_path);
  if (deps.ok) return true;
  return step_fail("dependencies", errc::incompatible, "the library " + info_.library_path.string() + " " + deps.problem,
                   "reinstall the plugin; library.path must name the plugin's compiled .so for this machine");
}

// Loads /proc/self/fd/N: the hashed bytes are the loaded bytes. Null when
// the dynamic loader refused.
std::shared_ptr<boost::dll::shared_library> loader_run::load_library(fd_guard& fd, const struct stat& sb,
                                                                     const elf_dependencies& deps) {
  auto& st = state();
  std::string load_path = "/proc/self/fd/" + std::to_string(fd.fd);
  std::error_code access_ec;
  if (!fs::exists(load_path, access_ec)) {
    // No procfs: fall back to the path, re-checking it is still the hashed file.
    load_path = info_.library_path.string();
  }
  auto lib = std::make_shared<boost::dll::shared_library>();
  boost::dll::fs::error_code ec;
  ::dlerror();
  lib->load(boost::dll::fs::path(load_path),
            boost::dll::load_mode::rtld_now | boost::dll::load_mode::rtld_local, ec);
  if (ec || !lib->is_loaded()) {
    const char* dl = ::dlerror();
    std::string why = dl != nullptr ? std::string(dl) : ec.message();
    for (auto pos = why.find(load_path); pos != std::string::npos && load_path != info_.library_path.string();
         pos = why.find(load_path)) {
      why.replace(pos, load_path.size(), info_.library_path.string());
    }
    // glibc: "<soname>: cannot open shared object file: No such file or directory"
    std::vector<std::string> missing = deps.missing;
    if (auto p = why.find(": cannot open shared object file"); p != std::string::npos) {
      std::string head = why.substr(0, p);
      auto colon = head.rfind(": ");
      std::string so = colon == std::string::npos ? head : head.substr(colon + 2);
      if (so != info_.library_path.string() && std::find(missing.begin(), missing.end(), so) == missing.end()) {
        missing.push_back(so);
      }
    }
    if (!missing.empty()) {
      step_fail("dependencies", errc::not_found,
                "the library needs shared libraries that are not installed: " + join(missing) +
                    " (the dynamic loader said: " + why + ")",
                missing_library_fix(missing));
      out_.steps.push_back(load_step{"load", false, "dlopen failed: " + why, missing_library_fix(missing)});
    } else {
      step_ok("dependencies", deps.needed.empty() ? "none" : "found: " + join(deps.needed));
      step_fail("load", errc::incompatible, "the dynamic loader refused " + info_.library_path.string() + ": " + why,
                "reinstall the plugin; if it was built on another system, rebuild it here");
    }
    return nullptr;
  }
  if (load_path == info_.library_path.string()) {
    struct stat now {};
    if (::stat(load_path.c_str(), &now) != 0 || now.st_ino != sb.st_ino || now.st_dev != sb.st_dev) {
      st.parked.push_back(lib);
      step_fail("load", errc::incompatible, "the library file was replaced while it was being verified",
                "retry; if it happens again, check what rewrites " + info_.library_path.string());
      return nullptr;
    }
  }
  // From here on the library stays mapped for good, and so does its fd
  // (its number names the loaded object).
  st.parked.push_back(lib);
  if (load_path != info_.library_path.string()) st.parked_fds.push_back(fd.release());
  step_ok("dependencies", deps.needed.empty() ? "none" : "found: " + join(deps.needed));
  step_ok("load", "loaded " + info_.library_path.string() + " (RTLD_NOW | RTLD_LOCAL)");
  return lib;
}

// Finds the entry symbol and asks it for the descriptor of plugin 0.
bool loader_run::call_entry(const boost::dll::shared_library& lib, dbr_plugin_desc& desc) {
  if (!lib.has(DBR_ENTRY_SYMBOL)) {
    std::string detail = "the library does not export " + std::string(DBR_ENTRY_SYMBOL);
    for (int major = 2; major <= 9; ++major) {
      std::string other = "dbridge_plugin_entry_v" + std::to_string(major);
      if (lib.has(other)) {
        detail += "; it exports " + other + ", i.e. it is built for plugin ABI major " + std::to_string(major);
        break;
      }
    }
    return step_fail("entry symbol", errc::incompatible, detail,
                     "is it a dbridge plugin? build it with the dbridge SDK (dbridge_add_plugin() and the export macro "
                     "keep " + std::string(DBR_ENTRY_SYMBOL) + " visible)");
  }
  auto entry = lib.get<std::int32_t(const dbr_host*, std::uint32_t, dbr_plugin_desc*)>(DBR_ENTRY_SYMBOL);
  step_ok("entry symbol", std::string(DBR_ENTRY_SYMBOL) + " found");

  std::memset(&desc, 0, sizeof desc);
  desc.struct_size = sizeof desc;
  const std::int32_t status = entry(host_table(), 0, &desc);
  if (status == DBR_E_INCOMPATIBLE) {
    return step_fail("descriptor", errc::incompatible,
                     "the plugin refused this core: its entry answered DBR_E_INCOMPATIBLE for core ABI " +
                         std::to_string(DBR_ABI_MAJOR) + "." + std::to_string(DBR_ABI_MINOR) +
                         " (it needs another ABI major or a newer minor than its manifest's abi.min_minor " +
                         std::to_string(info_.abi_min_minor) + " says)",
                     "upgrade dbridge or install a version of '" + info_.id + "' built for dbridge " +
                         std::string(core_version()));
  }
  if (status == DBR_DONE) {
    return step_fail("descriptor", errc::incompatible,
                     "the library holds no plugin (its entry answered DBR_DONE for index 0)",
                     "report this to the plugin's author");
  }
  if (status != DBR_OK) {
    return step_fail("descriptor", errc::internal, "the entry failed with status " + std::to_string(status),
                     "report this to the plugin's author");
  }
  return true;
}

// The plugin's init: its instance, or its refusal.
bool loader_run::start_instance(plugin_record& rec) {
  int32_t (*init)(const dbr_host*, const dbr_param*, uint32_t, dbr_plugin**, dbr_error*) =
      rec.kind_code == DBR_KIND_DRIVER ? rec.driver.init
      : rec.kind_code == DBR_KIND_POOL ? rec.pool.init
                                       : rec.mapper.init;
  abi_error err;
  dbr_plugin* instance = nullptr;
  const std::int32_t rc = init(host_table(), nullptr, 0, &instance, err);
  if (rc != DBR_OK) {
    error_info ei = err.to_info(rc < 0 ? rc : DBR_E_INTERNAL, rec.id);
    return step_fail("init", ei.category, "the plugin refused to start (init failed): " + ei.message,
                     "see the plugin's message above; check its installation and the libraries it needs");
  }
  rec.instance = instance;
  return step_ok("init", "plugin instance created");
}

}  // namespace

namespace {
// realpath(3) for a path that exists: one readlink per component, where
// std::filesystem::weakly_canonical stats and reads each several times (a
// listing resolves two paths per plugin).
fs::path resolved(const fs::path& p, std::error_code& ec) {
  if (char* r = ::realpath(p.c_str(), nullptr)) {
    fs::path out(r);
    std::free(r);
    ec.clear();
    return out;
  }
  return fs::weakly_canonical(p, ec);
}
}  // namespace

std::vector<file_finding> check_plugin_files(const plugin_info& info) noexcept {
  std::vector<file_finding> out;
  try {
    std::error_code ec;
    const fs::path package = resolved(info.manifest_path.parent_path(), ec);
    if (ec) return out;
    auto mode_of = [](const fs::path& p, struct stat& sb) { return ::stat(p.c_str(), &sb) == 0; };
    auto writable = [&](const fs::path& p, const char* what) {
      struct stat sb {};
      if (!mode_of(p, sb)) return;
      char octal[8];
      std::snprintf(octal, sizeof octal, "%04o", static_cast<unsigned>(sb.st_mode & 07777));
      if (sb.st_mode & S_IWOTH) {
        out.push_back({p, std::string("the ") + what + " " + p.string() + " is writable by every user (mode " + octal + ")",
                       "chmod go-w " + p.string(), true});
      } else if (sb.st_mode & S_IWGRP) {
        out.push_back({p, std::string("the ") + what + " " + p.string() + " is writable by its group (mode " + octal + ")",
                       "chmod g-w " + p.string(), false});
      }
    };
    writable(package, "plugin folder");
    struct stat link {};
    const bool is_link = ::lstat(info.library_path.c_str(), &link) == 0 && S_ISLNK(link.st_mode);
    const fs::path real = resolved(info.library_path, ec);
    if (ec) return out;
    if (real.parent_path() != package) writable(real.parent_path(), "library folder");
    writable(real, "library");
    if (is_link) {
      auto [p, r] = std::mismatch(package.begin(), package.end(), real.begin(), real.end());
      if (p != package.end()) {
        out.push_back({info.library_path,
                       "the library " + info.library_path.string() + " is a symlink to " + real.string() +
                           ", outside its package folder " + package.string(),
                       "put the library itself into " + package.string() + " (cp --remove-destination " +
                           real.string() + " " + info.library_path.string() + ")",
                       false});
      }
    }
  } catch (...) {
    // Out of memory while describing a finding: the load steps report the rest.
  }
  return out;
}

load_outcome load_plugin(const plugin_info& info, const load_policy& policy) noexcept {
  auto& st = state();
  try {
    std::lock_guard<std::mutex> lock(st.mu);
    load_outcome out = loader_run(info, policy).run();
    if (out.record) {
      st.failures.erase(info.manifest_path.string());
    } else {
      st.failures[info.manifest_path.string()] = out.message;
    }
    return out;
  } catch (const std::exception& e) {
    load_outcome out;
    out.category = errc::internal;
    out.message = who(info) + ": loading failed: " + e.what();
    out.steps.push_back(load_step{"load", false, e.what(), "report this as a dbridge bug"});
    return out;
  } catch (...) {
    load_outcome out;
    out.category = errc::internal;
    out.message = who(info) + ": loading failed";
    out.steps.push_back(load_step{"load", false, "unknown failure", "report this as a dbridge bug"});
    return out;
  }
}

std::shared_ptr<plugin_record> loaded_record(const plugin_info& info) {
  auto& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  // A listing asks this for every plugin; record_key resolves symlinks.
  if (st.records.empty()) return nullptr;
  auto it = st.records.find(record_key(info));
  return it == st.records.end() ? nullptr : it->second;
}

std::shared_ptr<plugin_record> loaded_driver_for_scheme(std::string_view scheme) {
  auto& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  for (const auto& [key, rec] : st.records)
    if (rec->kind == "driver" && std::find(rec->schemes.begin(), rec->schemes.end(), scheme) != rec->schemes.end())
      return rec;
  return nullptr;
}

std::string load_failure(const plugin_info& info) {
  auto& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  auto it = st.failures.find(info.manifest_path.string());
  return it == st.failures.end() ? std::string() : it->second;
}

void forget_load_failures() {
  auto& st = state();
  std::lock_guard<std::mutex> lock(st.mu);
  st.failures.clear();
}

}  // namespace dbridge::detail
