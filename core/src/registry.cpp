// SPDX-License-Identifier: Apache-2.0
// The process-wide registry of open connections.
#include "dbridge/registry.hpp"

#include <time.h>

#include <algorithm>
#include <map>
#include <mutex>
#include <dbridge/sdk/datetime_text.hpp>
#include <nlohmann/json.hpp>

#include "registry_slot.hpp"

namespace dbridge::inline v1 {

namespace detail {

namespace {

struct registry_state {
  mutable std::mutex mutex;
  std::map<std::uint64_t, std::shared_ptr<registry_slot>> slots;
  std::uint64_t next_id = 1;
};

// Leaked on purpose: connections held by other statics may close after
// static destruction has begun.
registry_state& state() {
  static auto* s = new registry_state();
  return *s;
}

std::int64_t to_ns(std::chrono::system_clock::time_point t) {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
}

std::chrono::system_clock::time_point from_s(std::int64_t s) {
  return std::chrono::system_clock::time_point(
      std::chrono::duration_cast<std::chrono::system_clock::duration>(std::chrono::seconds(s)));
}

connection_entry snapshot(const registry_slot& s) {
  connection_entry e = s.entry;
  e.state = s.owner != nullptr ? s.derive(s.owner) : s.get_state();
  // The stored second is floored; a connection is never used before it opened.
  e.last_used_at = std::max(e.created_at, from_s(s.last_used_s.load(std::memory_order_relaxed)));
  return e;
}

std::string iso_utc(std::chrono::system_clock::time_point t) {
  const std::int64_t ns = to_ns(t);
  const std::int64_t micros = ns / 1000 - (ns % 1000 < 0 ? 1 : 0);
  char buf[sdk::datetime_text_max];
  return std::string(buf, sdk::format_utc_instant(micros, buf, true));
}

}  // namespace

std::shared_ptr<registry_slot> registry_attach(connection_entry e) {
  auto& st = state();
  auto slot = std::make_shared<registry_slot>();
  const auto now = std::chrono::system_clock::now();
  if (e.created_at == std::chrono::system_clock::time_point{}) e.created_at = now;
  if (e.last_used_at == std::chrono::system_clock::time_point{}) e.last_used_at = e.created_at;
  slot->set_state(e.state);
  slot->last_used_s.store(to_ns(e.last_used_at) / 1'000'000'000, std::memory_order_relaxed);
  std::lock_guard lock(st.mutex);
  e.id = st.next_id++;
  slot->entry = std::move(e);
  st.slots.emplace(slot->entry.id, slot);
  return slot;
}

void registry_set_owner(registry_slot& slot, const void* owner, connection_state (*derive)(const void*) noexcept) {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  slot.derive = derive;
  slot.owner = owner;
}

void registry_set_pool(registry_slot& slot, std::string name, std::shared_ptr<pool_probe> probe) {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  slot.entry.pool = std::move(name);
  slot.probe = std::move(probe);
}

void registry_set_leak(registry_slot& slot, std::string text) {
  auto& st = state();
  std::lock_guard lock(st.mutex);
  slot.entry.leak = std::move(text);
}

}  // namespace detail

std::string_view to_string(connection_state s) noexcept {
  switch (s) {
    case connection_state::connecting: return "connecting";
    case connection_state::idle: return "idle";
    case connection_state::in_use: return "in_use";
    case connection_state::in_transaction: return "in_transaction";
    case connection_state::broken: return "broken";
  }
  return "unknown";
}

registry& registry::global() {
  // Never destroyed: a pool's connect may still be finishing on its own
  // thread while the program exits, and it leaves the registry last.
  static registry* r = new registry();
  return *r;
}

std::vector<connection_entry> registry::list() const {
  return list([](const connection_entry&) { return true; });
}

std::vector<connection_entry> registry::list(const std::function<bool(const connection_entry&)>& filter) const {
  std::vector<std::shared_ptr<detail::registry_slot>> slots;
  {
    auto& st = detail::state();
    std::lock_guard lock(st.mutex);
    slots.reserve(st.slots.size());
    for (const auto& [id, s] : st.slots) slots.push_back(s);
  }
  // The filter is user code: run it without the lock so it may call back in.
  std::vector<connection_entry> out;
  for (const auto& s : slots) {
    connection_entry e;
    std::shared_ptr<detail::pool_probe> probe;
    {
      std::lock_guard lock(detail::state().mutex);
      e = detail::snapshot(*s);
      probe = s->probe;
    }
    // Read outside the registry lock: the pool's figures are its own business.
    if (probe) e.pool_stats = probe->metrics();
    if (filter(e)) out.push_back(std::move(e));
  }
  return out;
}

std::vector<connection_entry> registry::opened_by(std::string_view label) const {
  return list([label](const connection_entry& e) { return e.opened_by == label; });
}

std::size_t registry::size() const {
  auto& st = detail::state();
  std::lock_guard lock(st.mutex);
  return st.slots.size();
}

std::string registry::to_json() const {
  nlohmann::json arr = nlohmann::json::array();
  for (const auto& e : list()) {
    arr.push_back({
        {"id", e.id},
        {"scheme", e.scheme},
        {"driver", e.driver},
        {"driver_version", e.driver_version},
        {"url", e.redacted_url},
        {"database", e.database},
        {"state", std::string(to_string(e.state))},
        {"opened_by", e.opened_by},
        {"created_at", detail::iso_utc(e.created_at)},
        {"last_used_at", detail::iso_utc(e.last_used_at)},
        {"pool", e.pool.empty() ? nlohmann::json(nullptr) : nlohmann::json(e.pool)},
    });
    if (!e.leak.empty()) arr.back()["leak"] = e.leak;
    if (e.pool_stats) {
      const pool_metrics& m = *e.pool_stats;
      arr.back()["pool_stats"] = {
          {"total", m.total}, {"idle", m.idle}, {"in_use", m.in_use}, {"waiting", m.waiting},
          {"min", m.min}, {"max", m.max}, {"exhausted", m.exhausted()},
      };
    }
  }
  return arr.dump(2);
}

std::uint64_t registry::add(connection_entry e) { return detail::registry_attach(std::move(e))->entry.id; }

void registry::set_state(std::uint64_t id, connection_state s) {
  auto& st = detail::state();
  std::lock_guard lock(st.mutex);
  if (auto it = st.slots.find(id); it != st.slots.end()) it->second->set_state(s);
}

void registry::touch(std::uint64_t id) {
  auto& st = detail::state();
  std::lock_guard lock(st.mutex);
  if (auto it = st.slots.find(id); it != st.slots.end()) it->second->touch();
}

void registry::set_pool(std::uint64_t id, std::string pool) {
  auto& st = detail::state();
  std::lock_guard lock(st.mutex);
  if (auto it = st.slots.find(id); it != st.slots.end()) it->second->entry.pool = std::move(pool);
}

void registry::remove(std::uint64_t id) {
  auto& st = detail::state();
  std::lock_guard lock(st.mutex);
  auto it = st.slots.find(id);
  if (it == st.slots.end()) return;
  // A listing may still hold the slot: it must not reach the closed connection.
  it->second->owner = nullptr;
  st.slots.erase(it);
}

}  // namespace dbridge
