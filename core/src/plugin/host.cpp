// SPDX-License-Identifier: Apache-2.0
// Host services: plugins build errors and log through these, so the memory of
// every error message belongs to the core (ownership rule 4 of abi.h).
#include "host.hpp"

#include <cstdlib>
#include <cstring>
#include <new>

#include "logging.hpp"

namespace dbridge::inline v1::detail {

namespace {

struct error_fields {
  std::string detail, hint, severity, constraint, table, column, schema, backend_code;
};

void* host_alloc(uint64_t size) { return std::malloc(size ? size : 1); }
void host_free(void* p) { std::free(p); }

int32_t host_error_set(dbr_error* err, uint32_t category, const char* sqlstate, const char* message,
                       uint64_t message_len) {
  if (category == 0 || category > 0xFFFFu) category = DBR_CAT_INTERNAL;
  const int32_t status = -static_cast<int32_t>(category);
  if (err == nullptr) return status;
  try {
    err->status = status;
    err->category = category;
    std::memset(err->sqlstate, 0, sizeof err->sqlstate);
    if (sqlstate != nullptr) {
      for (int i = 0; i < 5 && sqlstate[i] != '\0'; ++i) err->sqlstate[i] = sqlstate[i];
    }
    std::string text = message != nullptr ? sanitize_utf8(std::string_view(message, message_len)) : std::string();
    char* copy = static_cast<char*>(std::malloc(text.size() + 1));
    if (copy == nullptr) return status;
    std::memcpy(copy, text.data(), text.size());
    copy[text.size()] = '\0';
    std::free(err->message);
    err->message = copy;
    err->message_len = text.size();
  } catch (...) {
    // Out of memory while reporting an error: keep the category, drop the text.
  }
  return status;
}

int32_t host_error_set_field(dbr_error* err, uint32_t field, const char* text, uint64_t len) {
  if (err == nullptr || text == nullptr) return DBR_OK;
  try {
    auto* f = static_cast<error_fields*>(err->host_private);
    if (f == nullptr) {
      f = new error_fields();
      err->host_private = f;
    }
    std::string value = sanitize_utf8(std::string_view(text, len));
    switch (field) {
      case DBR_ERRF_DETAIL: f->detail = std::move(value); break;
      case DBR_ERRF_HINT: f->hint = std::move(value); break;
      case DBR_ERRF_SEVERITY: f->severity = std::move(value); break;
      case DBR_ERRF_CONSTRAINT: f->constraint = std::move(value); break;
      case DBR_ERRF_TABLE: f->table = std::move(value); break;
      case DBR_ERRF_COLUMN: f->column = std::move(value); break;
      case DBR_ERRF_SCHEMA: f->schema = std::move(value); break;
      case DBR_ERRF_BACKEND_CODE: f->backend_code = std::move(value); break;
      default: return DBR_E_INVALID_ARGUMENT;
    }
  } catch (...) {
    return DBR_E_RESOURCE;
  }
  return DBR_OK;
}

void host_log(void*, uint32_t level, const char* plugin_id, const char* message, uint64_t len) {
  try {
    log_line(level, plugin_id != nullptr ? plugin_id : "plugin",
             message != nullptr ? sanitize_utf8(std::string_view(message, len)) : std::string());
  } catch (...) {
  }
}

void host_error_clear(dbr_error* err) {
  if (err == nullptr) return;
  const uint32_t size = err->struct_size;
  std::free(err->message);
  delete static_cast<error_fields*>(err->host_private);
  std::memset(err, 0, size < sizeof(dbr_error) && size != 0 ? size : sizeof(dbr_error));
  err->struct_size = size;
}

const dbr_host the_host = {
    sizeof(dbr_host), DBR_ABI_MAJOR,        DBR_ABI_MINOR, nullptr,          host_alloc,
    host_free,        host_error_set,       host_error_set_field, host_log, host_error_clear,
};

}  // namespace

const dbr_host* host_table() noexcept { return &the_host; }

void abi_error::release() noexcept {
  std::free(err_.message);
  delete static_cast<error_fields*>(err_.host_private);
  std::memset(&err_, 0, sizeof err_);
  err_.struct_size = sizeof err_;
}

error_info abi_error::to_info(int32_t status, std::string_view driver, std::string_view query) const {
  error_info info;
  uint32_t cat = err_.category;
  if (cat == 0) cat = status < 0 ? static_cast<uint32_t>(-status) : DBR_CAT_INTERNAL;
  if (cat > DBR_CAT_BACKEND) cat = DBR_CAT_INTERNAL;  // a newer plugin's category we do not know
  info.category = static_cast<errc>(cat);
  info.subcategory = static_cast<suberrc>(err_.subcategory);
  info.sqlstate.assign(err_.sqlstate, strnlen(err_.sqlstate, 5));
  info.native_code = err_.native_code;
  if (err_.native_domain != nullptr) info.native_domain = err_.native_domain;
  if (err_.message != nullptr) {
    info.message.assign(err_.message, err_.message_len);
  } else {
    info.message = std::string("call failed with status ") + std::to_string(status) + " (" +
                   std::string(to_string(info.category)) + ") and no message from the plugin";
  }
  if (err_.retry <= DBR_RETRY_UNKNOWN_OUTCOME) info.retry = static_cast<retry_class>(err_.retry);
  info.connection_broken = err_.conn_broken != 0;
  if (const auto* f = static_cast<const error_fields*>(err_.host_private)) {
    info.detail = f->detail;
    info.hint = f->hint;
    info.severity = f->severity;
    info.constraint = f->constraint;
    info.table = f->table;
    info.column = f->column;
    info.schema = f->schema;
    info.backend_code = f->backend_code;
  }
  info.driver = driver;
  info.query = query;
  // what() names the driver (error.cpp); plugins that also start their
  // message with it would have it said twice.
  if (!driver.empty() && info.message.size() > driver.size() + 2 && info.message.starts_with(driver) &&
      info.message.compare(driver.size(), 2, ": ") == 0)
    info.message.erase(0, driver.size() + 2);
  return info;
}

void abi_error::raise(int32_t status, std::string_view driver, std::string_view query) const {
  throw_error(to_info(status, driver, query));
}

bool valid_utf8(std::string_view s) noexcept {
  const auto* p = reinterpret_cast<const unsigned char*>(s.data());
  const auto* end = p + s.size();
  while (p < end) {
    unsigned char c = *p;
    if (c < 0x80) {
      ++p;
      continue;
    }
    int n;
    uint32_t cp;
    if ((c & 0xE0) == 0xC0) { n = 1; cp = c & 0x1F; }
    else if ((c & 0xF0) == 0xE0) { n = 2; cp = c & 0x0F; }
    else if ((c & 0xF8) == 0xF0) { n = 3; cp = c & 0x07; }
    else return false;
    if (end - p <= n) return false;
    for (int i = 1; i <= n; ++i) {
      if ((p[i] & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (p[i] & 0x3F);
    }
    if ((n == 1 && cp < 0x80) || (n == 2 && cp < 0x800) || (n == 3 && cp < 0x10000) || cp > 0x10FFFF ||
        (cp >= 0xD800 && cp <= 0xDFFF))
      return false;
    p += n + 1;
  }
  return true;
}

std::string sanitize_utf8(std::string_view in) {
  if (valid_utf8(in)) return std::string(in);
  std::string out;
  out.reserve(in.size() + 8);
  size_t i = 0;
  while (i < in.size()) {
    // Find the longest valid prefix of 1..4 bytes starting at i.
    size_t n = 0;
    for (size_t len = 1; len <= 4 && i + len <= in.size(); ++len) {
      if (valid_utf8(in.substr(i, len))) {
        n = len;
        break;
      }
    }
    if (n == 0) {
      out += "\xEF\xBF\xBD";
      ++i;
    } else {
      out.append(in.substr(i, n));
      i += n;
    }
  }
  return out;
}

}  // namespace dbridge::detail
