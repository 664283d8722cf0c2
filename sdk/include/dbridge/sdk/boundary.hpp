// SPDX-License-Identifier: Apache-2.0
// The exception firewall of the plugin boundary: every SDK thunk runs the
// author's code inside guard(), so no exception ever crosses into the core.
// Also keeps this library's host table and plugin id (one of each per plugin
// library: plugins are built with hidden visibility, so these inline
// variables are never shared between libraries).
#pragma once

#include <dbridge/abi.h>

#include <atomic>
#include <cstdint>
#include <cstring>
#include <exception>
#include <new>
#include <string>
#include <string_view>

#include "dbridge/sdk/error.hpp"

namespace dbridge::sdk {

namespace detail {
inline std::atomic<const dbr_host*> g_host{nullptr};
inline std::atomic<const char*> g_plugin_id{"plugin"};
}  // namespace detail

/// The host table this library was given (valid from the entry call on).
inline const dbr_host* host() noexcept { return detail::g_host.load(std::memory_order_acquire); }
inline const char* plugin_id() noexcept { return detail::g_plugin_id.load(std::memory_order_relaxed); }

/// Logs through the host (DBR_LOG_*). Never pass secrets.
inline void log(std::uint32_t level, std::string_view message) noexcept {
  if (const dbr_host* h = host(); h != nullptr && h->log != nullptr)
    h->log(h->host_ctx, level, plugin_id(), message.data(), message.size());
}

/// Fills err through the host; returns -category.
inline std::int32_t set_error(dbr_error* err, std::uint32_t category, std::string_view message) noexcept {
  const dbr_host* h = host();
  if (h == nullptr) return -static_cast<std::int32_t>(category);
  return h->error_set(err, category, nullptr, message.data(), message.size());
}

namespace detail {

/// Converts the exception being handled into an error record. Call only
/// inside a catch block.
inline std::int32_t report_current_exception(dbr_error* err) noexcept {
  try {
    throw;
  } catch (const error& e) {
    return e.fill(host(), err);
  } catch (const std::bad_alloc&) {
    return set_error(err, DBR_CAT_RESOURCE, std::string_view("out of memory in plugin"));
  } catch (const std::exception& e) {
    try {
      std::string msg = std::string(plugin_id()) + ": unexpected exception: " + e.what();
      return set_error(err, DBR_CAT_INTERNAL, msg);
    } catch (...) {
      return set_error(err, DBR_CAT_INTERNAL, e.what());
    }
  } catch (...) {
    return set_error(err, DBR_CAT_INTERNAL, std::string_view("unexpected non-standard exception in plugin"));
  }
}

/// For slots with no error record (close, finalize, shutdown...): log it.
inline void log_current_exception(const char* slot) noexcept {
  try {
    throw;
  } catch (const std::exception& e) {
    try {
      log(DBR_LOG_ERROR, std::string("exception in ") + slot + " ignored: " + e.what());
    } catch (...) {
    }
  } catch (...) {
    log(DBR_LOG_ERROR, "non-standard exception ignored");
  }
}

/// Copies an input struct from the core into a zero-filled copy of this
/// build's layout (abi.h versioning rule).
template <class T>
inline T widen(const T* in) noexcept {
  T out;
  std::memset(&out, 0, sizeof out);
  if (in != nullptr) {
    std::uint32_t n = in->struct_size;
    std::memcpy(&out, in, n < sizeof out ? n : sizeof out);
  }
  out.struct_size = sizeof out;
  return out;
}

/// Copies an output struct back, as far as the core's layout reaches,
/// keeping the core's struct_size.
template <class T>
inline void narrow(const T& ours, T* theirs) noexcept {
  if (theirs == nullptr) return;
  std::uint32_t n = theirs->struct_size;
  if (n == 0 || n > sizeof ours) n = sizeof ours;
  std::memcpy(theirs, &ours, n);
  theirs->struct_size = n;
}

}  // namespace detail

/// Runs f (returning int32_t) with every exception turned into err.
template <class F>
inline std::int32_t guard(dbr_error* err, F&& f) noexcept {
  try {
    return f();
  } catch (...) {
    return detail::report_current_exception(err);
  }
}

}  // namespace dbridge::sdk
