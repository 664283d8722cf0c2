// SPDX-License-Identifier: Apache-2.0
// The migration engine: the record table, the database lock, checksums and
// one transaction per step where the dialect allows DDL in transactions.
#include "dbridge/migrate.hpp"

#include <dbridge/sdk/datetime_text.hpp>
#include <fmt/format.h>

#include <algorithm>
#include <cctype>
#include <ctime>
#include <map>
#include <set>
#include <string_view>

#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "plugin/sha256.hpp"

namespace dbridge::inline v1 {
namespace {

/// The record table's SQL in one dialect. applied_at is read back as Unix
/// seconds, the one form all three agree on.
struct migration_sql {
  std::string table;
  std::string create_table;
  std::string select_records;
  std::string insert_record;
  bool transactional_ddl;
};

/// A record table's name goes into SQL text: only plain identifiers.
void check_table_name(std::string_view t) {
  const bool ok = !t.empty() && t.size() <= 63 && (std::isalpha(static_cast<unsigned char>(t[0])) || t[0] == '_') &&
                  std::all_of(t.begin(), t.end(), [](char c) {
                    return std::isalnum(static_cast<unsigned char>(c)) || c == '_';
                  });
  if (!ok)
    throw_error(errc::invalid_argument,
                fmt::format("'{}' cannot name a migrations table: use 1 to 63 letters, digits and '_', "
                            "not starting with a digit",
                            t));
}

migration_sql migration_sql_for(sql_dialect d, std::string_view table) {
  check_table_name(table);
  constexpr std::string_view columns = "(version {} PRIMARY KEY, name VARCHAR(255) NOT NULL, checksum CHAR(64) NOT NULL, ";
  migration_sql q;
  q.table = std::string(table);
  q.insert_record =
      fmt::format("INSERT INTO {} (version, name, checksum, execution_ms) VALUES ($1, $2, $3, $4)", table);
  const std::string head = fmt::format("CREATE TABLE IF NOT EXISTS {} ", table);
  switch (d) {
    case sql_dialect::postgresql:
      q.create_table = head + fmt::format(fmt::runtime(columns), "BIGINT") +
                       "applied_at TIMESTAMPTZ NOT NULL DEFAULT now(), execution_ms BIGINT NOT NULL)";
      q.select_records = fmt::format(
          "SELECT version, name, checksum, CAST(extract(epoch FROM applied_at) AS BIGINT) FROM {} ORDER BY version",
          table);
      q.transactional_ddl = true;
      break;
    case sql_dialect::mysql:
      q.create_table = head + fmt::format(fmt::runtime(columns), "BIGINT") +
                       "applied_at TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP, execution_ms BIGINT NOT NULL)";
      q.select_records = fmt::format(
          "SELECT version, name, checksum, CAST(UNIX_TIMESTAMP(applied_at) AS SIGNED) FROM {} ORDER BY version", table);
      q.transactional_ddl = false;
      break;
    case sql_dialect::sqlite:
      q.create_table = head + fmt::format(fmt::runtime(columns), "INTEGER") +
                       "applied_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%SZ', 'now')), "
                       "execution_ms INTEGER NOT NULL)";
      q.select_records = fmt::format(
          "SELECT version, name, checksum, CAST(strftime('%s', applied_at) AS INTEGER) FROM {} ORDER BY version",
          table);
      q.transactional_ddl = true;
      break;
  }
  return q;
}

struct applied_record {
  std::string name;
  std::string checksum;
  std::string applied_at;
};
using applied_map = std::map<std::int64_t, applied_record>;

std::string iso_utc(std::int64_t epoch_s) {
  char buf[sdk::datetime_text_max];
  return std::string(buf, sdk::format_utc_instant(epoch_s * 1000000, buf));
}

applied_map read_records(connection& conn, const migration_sql& q) {
  applied_map out;
  for (const row& r : conn.query(q.select_records)) {
    const auto at = r.get<std::optional<std::int64_t>>(3);
    out.emplace(r.get<std::int64_t>(0),
                applied_record{r.get<std::string>(1), r.get<std::string>(2), at ? iso_utc(*at) : std::string()});
  }
  return out;
}

/// The records, or none when the table does not exist yet (reads only).
applied_map read_records_if_any(connection& conn, const migration_sql& q) {
  try {
    return read_records(conn, q);
  } catch (const not_found_error& e) {
    if (e.subcategory() != suberrc::undefined_table) throw;
    return {};
  }
}

/// The steps sorted by version; malformed sets are refused before anything runs.
std::vector<const migration*> checked_order(std::span<const migration> steps) {
  std::vector<const migration*> order;
  order.reserve(steps.size());
  for (const migration& m : steps) {
    if (m.version <= 0)
      throw_error(errc::invalid_argument,
                  fmt::format("migration '{}' has version {}; versions are positive integers", m.name, m.version));
    if (m.name.empty() || m.name.size() > 255)
      throw_error(errc::invalid_argument,
                  fmt::format("migration {} needs a name of 1 to 255 characters", m.version));
    const bool has_sql = !m.sql.empty() || m.postgresql_sql || m.mysql_sql || m.sqlite_sql;
    if (m.run && has_sql)
      throw_error(errc::invalid_argument,
                  fmt::format("migration {} has both SQL and a callback; give it one of them", m.label()));
    order.push_back(&m);
  }
  std::sort(order.begin(), order.end(), [](const migration* a, const migration* b) { return a->version < b->version; });
  for (std::size_t i = 1; i < order.size(); ++i) {
    if (order[i]->version == order[i - 1]->version)
      throw_error(errc::invalid_argument, fmt::format("migrations {} and {} share version {}; give each its own",
                                                      order[i - 1]->label(), order[i]->label(), order[i]->version));
  }
  return order;
}

std::string short_sum(const std::string& sum) { return sum.substr(0, 12); }

/// Every applied step of the set must still be what ran: an edited step
/// would leave databases migrated before and after the edit different.
void refuse_changed(const std::vector<const migration*>& order, const applied_map& done, sql_dialect d) {
  std::string changed;
  for (const migration* m : order) {
    auto it = done.find(m->version);
    if (it == done.end()) continue;
    const std::string now = m->checksum(d);
    if (now == it->second.checksum) continue;
    if (!changed.empty()) changed += "; ";
    changed += fmt::format("{} (applied {} with checksum {}, now {})", m->label(), it->second.applied_at,
                           short_sum(it->second.checksum), short_sum(now));
  }
  if (!changed.empty())
    throw_error(errc::invalid_state,
                "migration changed after it was applied: " + changed +
                    ". Restore the applied version and put the change in a new migration");
}

/// The session-level lock of PostgreSQL and MariaDB, released on scope exit.
/// SQLite has none: each step's BEGIN IMMEDIATE is its lock.
class migration_lock {
 public:
  migration_lock(connection& conn, sql_dialect d, const migration_sql& q, const migrate_options& opts)
      : conn_(conn), d_(d), pg_key_(pg_lock_key_of(q.table)) {
    if (d == sql_dialect::sqlite) return;
    if (d == sql_dialect::mysql) {
      // GET_LOCK names are server-wide: one lock per database and record
      // table, within the 64 characters a name may have.
      const bool default_table = q.table == default_migrations_table;
      const record db = default_table ? conn.query_one("SELECT SHA1(DATABASE())")
                                      : conn.query_one("SELECT SHA1(CONCAT(DATABASE(), '.', $1))", {q.table});
      if (db[0].is_null())
        throw_error(errc::invalid_argument, "cannot migrate " + conn.redacted_url() +
                                                ": it names no database; add one to the URL (mysql://host/DATABASE)");
      mysql_lock_name_ = "dbridge_migrate." + db[0].as<std::string>();
    }
    if (!try_acquire()) {
      if (opts.progress) opts.progress(migration_event{.what = migration_event::kind::lock_wait});
      if (!acquire(opts.lock_timeout))
        throw_error(errc::timeout, fmt::format("another migrator held the migration lock of {} for more than {} ms; "
                                               "wait for it to finish, or raise lock_timeout",
                                               conn.redacted_url(), opts.lock_timeout.count()));
    }
    held_ = true;
  }
  ~migration_lock() {
    if (!held_) return;
    // A connection that broke lost its session lock with it.
    try {
      if (d_ == sql_dialect::postgresql)
        (void)conn_.query_one(fmt::format("SELECT pg_advisory_unlock({})", pg_key_));
      else
        (void)conn_.query_one("SELECT RELEASE_LOCK($1)", {mysql_lock_name_});
    } catch (const error&) {
    }
  }
  migration_lock(const migration_lock&) = delete;
  migration_lock& operator=(const migration_lock&) = delete;

 private:
  // "dbrmigr" in ASCII: the advisory-lock key of this table in every
  // PostgreSQL database (advisory locks are per database).
  static constexpr std::int64_t pg_lock_key = 0x6462726d696772;
  // Another record table: 60 bits of its name's SHA-256 (within int64).
  static std::int64_t pg_lock_key_of(const std::string& table) {
    if (table == default_migrations_table) return pg_lock_key;
    return static_cast<std::int64_t>(std::stoull(detail::sha256_hex(table).substr(0, 15), nullptr, 16));
  }

  bool try_acquire() {
    if (d_ == sql_dialect::postgresql)
      return conn_.query_one(fmt::format("SELECT pg_try_advisory_lock({})", pg_key_))[0].as<bool>();
    const record r = conn_.query_one("SELECT GET_LOCK($1, 0)", {mysql_lock_name_});
    return !r[0].is_null() && r[0].as<std::int64_t>() == 1;
  }

  bool acquire(std::chrono::milliseconds wait) {
    if (d_ == sql_dialect::mysql) {
      const record r = conn_.query_one("SELECT GET_LOCK($1, $2)",
                                       {mysql_lock_name_, static_cast<double>(wait.count()) / 1000.0});
      return !r[0].is_null() && r[0].as<std::int64_t>() == 1;
    }
    // lock_timeout set for this transaction only; the advisory lock taken
    // in it is the session's and outlives it.
    try {
      dbridge::transaction tx = conn_.begin();
      (void)tx.query_one("SELECT set_config('lock_timeout', $1, true)",
                   {fmt::format("{}ms", std::max<std::int64_t>(wait.count(), 1))});
      (void)tx.query_one(fmt::format("SELECT pg_advisory_lock({})::text", pg_key_));
      tx.commit();
      return true;
    } catch (const error& e) {
      if (e.category() == errc::timeout || e.subcategory() == suberrc::lock_timeout) return false;
      throw;
    }
  }

  connection& conn_;
  sql_dialect d_;
  std::int64_t pg_key_;
  std::string mysql_lock_name_;
  bool held_ = false;
};

/// BEGIN IMMEDIATE: SQLite's migration lock, waited for as long as the
/// connection's busy_timeout.
dbridge::transaction begin_sqlite_locked(connection& conn) {
  try {
    return conn.begin({.isolation = isolation_level::serializable});
  } catch (const transaction_conflict& e) {
    if (e.subcategory() != suberrc::lock_timeout) throw;
    throw_error(errc::timeout, "another migrator or writer held the write lock of " + conn.redacted_url() +
                                   " for longer than the connection's busy_timeout; wait for it to finish, or "
                                   "raise busy_timeout in the URL");
  }
}

// A step that commits or rolls back its own transaction leaves whatever it
// ran before that point (and after it, outside any transaction) applied,
// and the engine can no longer roll the step back as one.
constexpr const char* ended_own_transaction =
    "the step ended its own transaction (COMMIT, ROLLBACK or BEGIN in it), so what it ran may be partly applied; "
    "the step is not recorded. Remove COMMIT/ROLLBACK/BEGIN from the migration (the engine runs each step in a "
    "transaction of its own), check what it left in the database, and run migrate again";

/// Whether the step's transaction is still open after its body ran. A lost
/// connection answers no; its failure keeps its own message.
bool step_transaction_open(connection& conn) {
  try {
    return conn.in_transaction();
  } catch (const error&) {
    return true;
  }
}

[[noreturn]] void rethrow_step_failure(const error& e, const migration& m, sql_dialect d, bool tx_open) {
  error_info info = e.info();
  info.message = fmt::format("migration {} failed: {}", m.label(), info.message);
  if (d == sql_dialect::mysql)
    info.message += " (MariaDB commits DDL at once: statements of this step before the failing one stay applied; "
                    "the step is not recorded)";
  else if (!tx_open)
    info.message += fmt::format(" ({})", ended_own_transaction);
  else
    info.message += " (the step was rolled back and is not recorded)";
  throw_error(std::move(info));
}

void run_body(connection& conn, const migration& m, sql_dialect d) {
  if (m.run) {
    m.run(conn);
    return;
  }
  const std::string& sql = m.sql_for(d);
  // A step with SQL for other dialects only is recorded here as done.
  if (sql.find_first_not_of(" \t\r\n;") != std::string::npos) conn.execute_script(sql);
}

void record_step(connection& conn, const migration_sql& q, const migration& m, sql_dialect d,
                 std::chrono::nanoseconds took) {
  conn.execute(q.insert_record,
               {m.version, m.name, m.checksum(d),
                static_cast<std::int64_t>(std::chrono::duration_cast<std::chrono::milliseconds>(took).count())});
}

/// Runs one step with its record. Returns false when SQLite found it already
/// applied by a concurrent migrator once the step's lock was had.
bool apply_step(connection& conn, const migration_sql& q, const migration& m, sql_dialect d) {
  const auto start = std::chrono::steady_clock::now();
  if (!q.transactional_ddl) {
    try {
      run_body(conn, m, d);
      record_step(conn, q, m, d, std::chrono::steady_clock::now() - start);
    } catch (const error& e) {
      rethrow_step_failure(e, m, d, true);
    }
    return true;
  }
  dbridge::transaction tx = d == sql_dialect::sqlite ? begin_sqlite_locked(conn) : conn.begin();
  if (d == sql_dialect::sqlite) {
    conn.execute_script(q.create_table);
    const applied_map now = read_records(conn, q);
    if (now.count(m.version) != 0) {
      refuse_changed({&m}, now, d);
      tx.commit();
      return false;
    }
  }
  try {
    run_body(conn, m, d);
  } catch (const error& e) {
    rethrow_step_failure(e, m, d, e.connection_broken() || step_transaction_open(conn));
  }
  // Recorded outside the step's transaction, the record would stand for
  // work that may be partly applied, and a rerun could not be told apart.
  if (!step_transaction_open(conn))
    throw_error(errc::invalid_state, fmt::format("migration {}: {}", m.label(), ended_own_transaction));
  try {
    record_step(conn, q, m, d, std::chrono::steady_clock::now() - start);
    tx.commit();
  } catch (const error& e) {
    rethrow_step_failure(e, m, d, true);
  }
  return true;
}

/// The steps to run, in order (up to opts.to); counts the applied ones in res.
std::vector<const migration*> pending(const std::vector<const migration*>& order, const applied_map& done,
                                      const migrate_options& opts, migrate_result& res) {
  std::vector<const migration*> plan;
  for (const migration* m : order) {
    if (done.count(m->version) != 0) ++res.already_applied;
    else if (!opts.to || m->version <= *opts.to) plan.push_back(m);
  }
  return plan;
}

std::optional<std::int64_t> highest(const applied_map& done) {
  if (done.empty()) return std::nullopt;
  return done.rbegin()->first;
}

}  // namespace

std::string_view to_string(sql_dialect d) noexcept {
  switch (d) {
    case sql_dialect::postgresql: return "postgresql";
    case sql_dialect::mysql: return "mysql";
    case sql_dialect::sqlite: return "sqlite";
  }
  return "unknown";
}

std::string_view to_string(migration_status::state s) noexcept {
  switch (s) {
    case migration_status::state::applied: return "applied";
    case migration_status::state::pending: return "pending";
    case migration_status::state::changed: return "changed";
    case migration_status::state::unknown: return "unknown";
  }
  return "unknown";
}

const std::string& migration::sql_for(sql_dialect d) const noexcept {
  const std::optional<std::string>& variant =
      d == sql_dialect::postgresql ? postgresql_sql : d == sql_dialect::mysql ? mysql_sql : sqlite_sql;
  return variant ? *variant : sql;
}

std::string migration::checksum(sql_dialect d) const { return detail::sha256_hex(run ? fingerprint : sql_for(d)); }

std::string migration::label() const { return fmt::format("{:04}_{}", version, name); }

migrate_result migrate(connection& conn, std::span<const migration> steps, const migrate_options& opts) {
  const sql_dialect d = dialect_of(conn);
  const migration_sql q = migration_sql_for(d, opts.table);
  const std::vector<const migration*> order = checked_order(steps);

  migrate_result res;
  if (!opts.dry_run) {
    // Records are only ever added: a set found applied without the lock
    // stays applied, so a re-run (every plugin open, say) takes no lock.
    const applied_map seen = read_records_if_any(conn, q);
    refuse_changed(order, seen, d);
    if (!order.empty() &&
        std::all_of(order.begin(), order.end(), [&](const migration* m) { return seen.count(m->version) != 0; })) {
      res.already_applied = order.size();
      res.current_version = highest(seen);
      return res;
    }
  }
  if (opts.dry_run) {
    const applied_map done = read_records_if_any(conn, q);
    refuse_changed(order, done, d);
    const std::vector<const migration*> plan = pending(order, done, opts, res);
    for (std::size_t i = 0; i < plan.size(); ++i) {
      if (opts.progress)
        opts.progress({.what = migration_event::kind::planned, .step = plan[i], .index = i + 1, .count = plan.size()});
      res.applied.push_back(plan[i]->version);
    }
    res.current_version = highest(done);
    return res;
  }

  migration_lock lock(conn, d, q, opts);
  applied_map done;
  if (d == sql_dialect::sqlite) {
    // SQLite: look under the write lock once to refuse edited steps before
    // running any; each step looks again under its own lock.
    dbridge::transaction tx = begin_sqlite_locked(conn);
    conn.execute_script(q.create_table);
    done = read_records(conn, q);
    tx.commit();
  } else {
    conn.execute_script(q.create_table);
    done = read_records(conn, q);
  }
  refuse_changed(order, done, d);
  const std::vector<const migration*> plan = pending(order, done, opts, res);
  for (std::size_t i = 0; i < plan.size(); ++i) {
    const migration& m = *plan[i];
    migration_event ev{.what = migration_event::kind::started, .step = &m, .index = i + 1, .count = plan.size()};
    if (opts.progress) opts.progress(ev);
    const auto start = std::chrono::steady_clock::now();
    if (!apply_step(conn, q, m, d)) {
      ++res.already_applied;
      continue;
    }
    res.applied.push_back(m.version);
    ev.what = migration_event::kind::applied;
    ev.elapsed = std::chrono::steady_clock::now() - start;
    if (opts.progress) opts.progress(ev);
  }
  res.current_version = highest(read_records(conn, q));
  return res;
}

std::vector<migration_status> migration_status_of(connection& conn, std::span<const migration> steps,
                                                  std::string_view table) {
  const sql_dialect d = dialect_of(conn);
  const std::vector<const migration*> order = checked_order(steps);
  applied_map done = read_records_if_any(conn, migration_sql_for(d, table));
  std::vector<migration_status> out;
  for (const migration* m : order) {
    migration_status s;
    s.version = m->version;
    s.name = m->name;
    s.checksum = m->checksum(d);
    if (auto it = done.find(m->version); it != done.end()) {
      s.applied_checksum = it->second.checksum;
      s.applied_at = it->second.applied_at;
      s.st = s.applied_checksum == s.checksum ? migration_status::state::applied : migration_status::state::changed;
      done.erase(it);
    }
    out.push_back(std::move(s));
  }
  for (auto& [version, rec] : done) {
    migration_status s;
    s.version = version;
    s.name = rec.name;
    s.st = migration_status::state::unknown;
    s.applied_checksum = rec.checksum;
    s.applied_at = rec.applied_at;
    out.push_back(std::move(s));
  }
  std::sort(out.begin(), out.end(), [](const auto& a, const auto& b) { return a.version < b.version; });
  return out;
}

}  // namespace dbridge
