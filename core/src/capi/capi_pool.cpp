// SPDX-License-Identifier: Apache-2.0
// The C API's pools, and the process-wide registry and plugin catalog as JSON.
#include <atomic>
#include <chrono>

#include <nlohmann/json.hpp>

#include "capi_internal.hpp"
#include "dbridge/plugin_catalog.hpp"
#include "dbridge/registry.hpp"

using namespace dbridge;
using namespace dbridge::capi;

struct dbridge_pool {
  std::uint32_t magic = pool_magic;
  std::atomic<bool> open{true};
  std::optional<pool> p;
};

namespace {

int32_t check_pool(const dbridge_pool* p, dbridge_error** err) noexcept {
  if (p == nullptr || p->magic != pool_magic) return bad_argument(err, "not a pool handle");
  if (!p->open.load(std::memory_order_acquire)) return closed(err, "the pool");
  return 0;
}

std::chrono::nanoseconds millis(std::string_view key, std::string_view v) {
  return std::chrono::milliseconds(number_option<std::int64_t>(key, v));
}

void set_pool_option(pool_options& o, std::string_view k, std::string_view v) {
  if (k == "min") o.min = number_option<std::uint32_t>(k, v);
  else if (k == "max") o.max = number_option<std::uint32_t>(k, v);
  else if (k == "acquire_timeout_ms") o.acquire_timeout = millis(k, v);
  else if (k == "idle_timeout_ms") o.idle_timeout = millis(k, v);
  else if (k == "max_lifetime_ms") o.max_lifetime = millis(k, v);
  else if (k == "health_check_period_ms") o.health_check_period = millis(k, v);
  else if (k == "transaction_timeout_ms") o.transaction_timeout = millis(k, v);
  else if (k == "leak_detection_threshold_ms") o.leak_detection_threshold = millis(k, v);
  else if (k == "validate_on_acquire") o.validate_on_acquire = number_option<int>(k, v) != 0;
  else if (k == "strategy") o.strategy = std::string(v);
  else if (k == "name") o.name = std::string(v);
  else if (k == "opened_by") o.opened_by = std::string(v), o.connect.opened_by = std::string(v);
  else if (k == "statement_cache_size") o.connect.statement_cache_size = number_option<std::size_t>(k, v);
  else if (k == "read_url") o.read_urls.emplace_back(v);
  else if (k == "reset_on_release") {
    if (v == "auto") o.reset_on_release = session_reset::automatic;
    else if (v == "always") o.reset_on_release = session_reset::always;
    else if (v == "never") o.reset_on_release = session_reset::never;
    else throw_error(errc::invalid_argument, "reset_on_release is auto, always or never, not '" + std::string(v) + "'");
  } else if (k == "read_strategy") {
    if (v == "round_robin") o.read_strategy = replica_choice::round_robin;
    else if (v == "least_busy") o.read_strategy = replica_choice::least_busy;
    else throw_error(errc::invalid_argument, "read_strategy is round_robin or least_busy, not '" + std::string(v) + "'");
  } else {
    throw_error(errc::invalid_argument, "unknown pool option '" + std::string(k) + "'");
  }
}

int32_t hand_out(pooled_connection pc, dbridge_conn** out) {
  auto h = std::make_unique<dbridge_conn>();
  h->pooled = std::move(pc);
  h->conn = &*h->pooled;
  *out = h.release();
  return DBRIDGE_OK;
}

int32_t json_out(const std::string& j, char** out, uint64_t* len) {
  *out = owned_copy(j, len);
  return DBRIDGE_OK;
}

}  // namespace

int32_t dbridge_pool_open(const char* url, uint64_t url_len, const char* const* option_keys,
                          const char* const* option_values, uint32_t option_count, dbridge_pool** out,
                          dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  if (!text_ok(url, url_len)) return bad_argument(err, "url is NULL");
  return guard(err, [&] {
    pool_options o;
    each_option(option_keys, option_values, option_count,
                [&](std::string_view k, std::string_view v) { set_pool_option(o, k, v); });
    auto h = std::make_unique<dbridge_pool>();
    h->p.emplace(text(url, url_len), o);
    *out = h.release();
    return DBRIDGE_OK;
  });
}

void dbridge_pool_close(dbridge_pool* p) {
  if (p == nullptr || p->magic != pool_magic || !p->open.exchange(false)) return;
  try {
    p->p->close();
  } catch (...) {
    // Closing reports nothing a caller could act on; the handle refuses use either way.
  }
}

void dbridge_pool_free(dbridge_pool* p) {
  if (p == nullptr || p->magic != pool_magic) return;
  p->magic = dead;
  delete p;
}

int32_t dbridge_pool_acquire(dbridge_pool* p, int64_t timeout_ms, dbridge_conn** out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  if (int32_t st = check_pool(p, err)) return st;
  return guard(err, [&] {
    // No source location: the C caller's is not known, and this file's
    // would send a leak report to the wrong place.
    if (timeout_ms < 0) return hand_out(p->p->acquire(std::source_location{}), out);
    return hand_out(p->p->acquire(std::chrono::milliseconds(timeout_ms), std::source_location{}), out);
  });
}

int32_t dbridge_pool_acquire_read(dbridge_pool* p, dbridge_conn** out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  if (int32_t st = check_pool(p, err)) return st;
  return guard(err, [&] { return hand_out(p->p->read(std::source_location{}), out); });
}

void dbridge_pool_release(dbridge_conn* c) { dbridge_conn_free(c); }

void dbridge_pool_discard(dbridge_conn* c) {
  if (c == nullptr || c->magic != conn_magic) return;
  if (refused_silently(c, "discarding the connection")) return;
  if (c->conn != nullptr && c->pooled) {
    close_children(c);
    c->conn = nullptr;
    c->pooled.discard();
  }
  dbridge_conn_free(c);
}

int32_t dbridge_pool_metrics_json(const dbridge_pool* p, char** out, uint64_t* len, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  if (int32_t st = check_pool(p, err)) return st;
  return guard(err, [&] { return json_out(p->p->health().to_json(), out, len); });
}

int32_t dbridge_registry_json(char** out, uint64_t* len, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  return guard(err, [&] { return json_out(registry::global().to_json(), out, len); });
}

int32_t dbridge_plugins_json(char** out, uint64_t* len, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  return guard(err, [&] {
    auto& cat = plugin_catalog::global();
    nlohmann::json j;
    j["search_path"] = nlohmann::json::array();
    for (const auto& d : cat.search_path())
      j["search_path"].push_back(
          {{"path", d.path.string()}, {"origin", d.origin}, {"scope", d.scope}, {"exists", d.exists}});
    j["plugins"] = nlohmann::json::array();
    for (const auto& p : cat.plugins())
      j["plugins"].push_back({{"id", p.id},
                              {"version", p.version},
                              {"kind", p.kind},
                              {"summary", p.summary},
                              {"schemes", p.schemes},
                              {"capabilities", p.capabilities},
                              {"status", p.status},
                              {"problem", p.problem},
                              {"library", p.library_path.string()},
                              {"scope", p.scope}});
    j["problems"] = nlohmann::json::array();
    for (const auto& p : cat.problems())
      j["problems"].push_back({{"manifest", p.manifest_path.string()}, {"message", p.message}, {"fix", p.fix}});
    return json_out(j.dump(), out, len);
  });
}

