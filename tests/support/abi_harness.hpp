// SPDX-License-Identifier: Apache-2.0
// A minimal host for driving plugins through the raw ABI, without the core:
// dlopen the module, call the entry, and use the C tables directly. This is
// the permanent test of the contract itself (ownership, DBR_DONE, errors
// built through the host).
#pragma once

#include <dbridge/abi.h>
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace harness {

struct fields {
  std::map<uint32_t, std::string> by_id;
};

inline std::mutex log_mu;
inline std::vector<std::string> log_lines;

inline int32_t error_set(dbr_error* err, uint32_t category, const char* sqlstate, const char* msg, uint64_t len) {
  const int32_t st = -static_cast<int32_t>(category);
  if (err == nullptr) return st;
  err->status = st;
  err->category = category;
  std::memset(err->sqlstate, 0, sizeof err->sqlstate);
  for (int i = 0; sqlstate != nullptr && i < 5 && sqlstate[i] != '\0'; ++i) err->sqlstate[i] = sqlstate[i];
  std::free(err->message);
  err->message = static_cast<char*>(std::malloc(len + 1));
  std::memcpy(err->message, msg, len);
  err->message[len] = '\0';
  err->message_len = len;
  return st;
}
inline int32_t error_set_field(dbr_error* err, uint32_t field, const char* text, uint64_t len) {
  if (err->host_private == nullptr) err->host_private = new fields();
  static_cast<fields*>(err->host_private)->by_id[field] = std::string(text, len);
  return DBR_OK;
}
inline void log(void*, uint32_t, const char* id, const char* msg, uint64_t len) {
  std::lock_guard lock(log_mu);
  log_lines.push_back(std::string(id) + ": " + std::string(msg, len));
}
inline void* alloc(uint64_t n) { return std::malloc(n ? n : 1); }
inline void release(void* p) { std::free(p); }

inline void error_clear(dbr_error* err) {
  if (err == nullptr) return;
  std::free(err->message);
  delete static_cast<fields*>(err->host_private);
  const uint32_t size = err->struct_size;
  std::memset(err, 0, sizeof *err);
  err->struct_size = size;
}

inline dbr_host make_host(uint16_t major = DBR_ABI_MAJOR, uint16_t minor = DBR_ABI_MINOR) {
  return dbr_host{sizeof(dbr_host), major, minor, nullptr, alloc, release, error_set, error_set_field, log, error_clear};
}
inline const dbr_host* host() {
  static const dbr_host h = make_host();
  return &h;
}

/// An owned error record, as the core would keep it.
struct error {
  dbr_error e{};
  error() { reset(); }
  ~error() { clear(); }
  error(const error&) = delete;
  void clear() {
    std::free(e.message);
    delete static_cast<fields*>(e.host_private);
    reset();
  }
  void reset() {
    std::memset(&e, 0, sizeof e);
    e.struct_size = sizeof e;
  }
  operator dbr_error*() { return &e; }
  std::string message() const { return e.message != nullptr ? std::string(e.message, e.message_len) : ""; }
  std::string field(uint32_t id) const {
    auto* f = static_cast<fields*>(e.host_private);
    if (f == nullptr || !f->by_id.count(id)) return "";
    return f->by_id.at(id);
  }
};

/// A plugin library loaded as the core would (RTLD_NOW | RTLD_LOCAL).
struct plugin {
  void* lib = nullptr;
  dbr_plugin_entry_fn entry = nullptr;
  dbr_plugin_desc desc{};
  const dbr_driver_vtable* vt = nullptr;
  dbr_plugin* instance = nullptr;

  explicit plugin(const char* path, bool do_init = true, const dbr_param* opts = nullptr, uint32_t nopts = 0) {
    lib = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (lib == nullptr) throw std::runtime_error(std::string("dlopen failed: ") + dlerror());
    entry = reinterpret_cast<dbr_plugin_entry_fn>(dlsym(lib, DBR_ENTRY_SYMBOL));
    if (entry == nullptr) throw std::runtime_error("no entry symbol");
    desc.struct_size = sizeof desc;
    if (entry(host(), 0, &desc) != DBR_OK) throw std::runtime_error("entry refused");
    vt = static_cast<const dbr_driver_vtable*>(desc.vtable);
    if (do_init) {
      error err;
      if (vt->init(host(), opts, nopts, &instance, err) != DBR_OK)
        throw std::runtime_error("init failed: " + err.message());
    }
  }
  ~plugin() {
    if (instance != nullptr) vt->shutdown(instance);
    // Never dlclose (docs/architecture.md, Lifetime).
  }
};

inline dbr_param text_param(const char* key, const char* value) {
  dbr_param p{};
  p.key = key;
  p.value.type = DBR_TYPE_TEXT;
  p.value.u.str.ptr = value;
  p.value.u.str.len = std::strlen(value);
  return p;
}

/// A dbr_url for a database name plus TEXT options.
struct url {
  std::vector<dbr_param> opts;
  dbr_url u{};
  explicit url(const char* database, std::vector<dbr_param> options = {}, const char* scheme = "sqlite")
      : opts(std::move(options)) {
    u.struct_size = sizeof u;
    u.scheme = scheme;
    u.database = database;
    u.raw = database;
    u.options = opts.empty() ? nullptr : opts.data();
    u.noptions = static_cast<uint32_t>(opts.size());
  }
  operator const dbr_url*() const { return &u; }
};

inline dbr_value int_value(int64_t i) {
  dbr_value v{};
  v.type = DBR_TYPE_INT64;
  v.u.i64 = i;
  return v;
}
inline dbr_value text_value(const std::string& s, uint32_t tag = DBR_TYPE_TEXT) {
  dbr_value v{};
  v.type = tag;
  v.u.str.ptr = s.data();
  v.u.str.len = s.size();
  return v;
}
inline std::string text_of(const dbr_value& v) {
  if (v.type == DBR_TYPE_BYTES) return std::string(reinterpret_cast<const char*>(v.u.bin.ptr), v.u.bin.len);
  return std::string(v.u.str.ptr, v.u.str.len);
}

}  // namespace harness
