// SPDX-License-Identifier: Apache-2.0
// Schema migrations: ordered, versioned steps applied once per database and
// recorded, with a checksum, in the table dbridge_schema_migrations (or
// another record table a set of steps names).
#pragma once

#include "dbridge/export.hpp"
#include <chrono>
#include <cstdint>
#include <filesystem>
#include <functional>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <vector>

namespace dbridge::inline v1 {

class connection;

/// The SQL dialects a migration may carry a variant for. The connection's
/// driver picks one: postgres -> postgresql, mysql (MariaDB) -> mysql,
/// sqlite -> sqlite. Other drivers cannot be migrated (unsupported_error).
enum class sql_dialect : std::uint8_t { postgresql, mysql, sqlite };

/// "postgresql", "mysql", "sqlite".
DBRIDGE_API std::string_view to_string(sql_dialect d) noexcept;

/// The dialect of a connection's driver; unsupported_error for a driver
/// without one (Redis, third-party drivers).
DBRIDGE_API sql_dialect dialect_of(const connection& conn);

/// One step. Either SQL (sql, with optional per-dialect variants that take
/// its place on that dialect) or a callback (run). A step's checksum is the
/// SHA-256 of the SQL it runs on the connection's dialect, or of fingerprint
/// for a callback: change the fingerprint whenever the callback changes.
struct DBRIDGE_API migration {
  std::int64_t version = 0;  ///< > 0; unique in a set; steps apply in increasing order
  std::string name;          ///< shown in status and errors, e.g. "create_users"
  std::string sql;           ///< any number of statements, no parameters
  std::optional<std::string> postgresql_sql, mysql_sql, sqlite_sql;
  /// Runs instead of SQL. On PostgreSQL and SQLite it runs inside the step's
  /// transaction (use conn as usual; a throw rolls the step back).
  std::function<void(connection&)> run;
  std::string fingerprint;   ///< checksum input of a callback step

  /// The SQL this step runs on d (its variant, else sql).
  const std::string& sql_for(sql_dialect d) const noexcept;
  /// Lowercase hex SHA-256 of what the step runs on d.
  std::string checksum(sql_dialect d) const;
  /// "0003_add_index": the version (at least 4 digits) and the name.
  std::string label() const;
};

/// What a migrate() call reports as it goes.
struct DBRIDGE_API migration_event {
  enum class kind : std::uint8_t {
    lock_wait,  ///< another migrator holds the lock; waiting for it
    started,    ///< the step is about to run
    applied,    ///< the step ran and is recorded (elapsed is set)
    planned,    ///< dry run: the step would run
  };
  kind what = kind::started;
  const migration* step = nullptr;  ///< null for lock_wait
  std::size_t index = 0;            ///< 1-based among the steps this call runs
  std::size_t count = 0;            ///< how many steps this call runs
  std::chrono::nanoseconds elapsed{};
};

/// Where migrate() records applied steps unless told otherwise.
inline constexpr std::string_view default_migrations_table = "dbridge_schema_migrations";

struct DBRIDGE_API migrate_options {
  /// Apply steps up to and including this version only.
  std::optional<std::int64_t> to{};
  /// Check and plan (checksums, pending steps) without changing the database.
  bool dry_run = false;
  /// How long to wait for another migrator's lock before timeout_error.
  /// SQLite waits as long as the connection's busy_timeout instead (a URL
  /// option, 5 s unless set).
  std::chrono::milliseconds lock_timeout{30000};
  std::function<void(const migration_event&)> progress{};
  /// The record table. Sets of steps kept apart from the application's own
  /// (a plugin's schema, say) name their own table: versions are unique per
  /// table, and each table has its own lock. An SQL identifier of letters,
  /// digits and '_', at most 63 characters (invalid_argument_error otherwise).
  std::string table = std::string(default_migrations_table);
};

/// A step as the database and the given set see it.
struct DBRIDGE_API migration_status {
  enum class state : std::uint8_t {
    applied,  ///< recorded with the checksum the step has now
    pending,  ///< not recorded yet
    changed,  ///< recorded with another checksum: the step was edited after it ran
    unknown,  ///< recorded, but no step of the set has its version
  };
  std::int64_t version = 0;
  std::string name;
  state st = state::pending;
  std::string checksum;          ///< of the step now (empty when unknown)
  std::string applied_checksum;  ///< recorded (empty when pending)
  std::string applied_at;        ///< recorded, ISO 8601 UTC (empty when pending)
};
DBRIDGE_API std::string_view to_string(migration_status::state s) noexcept;

struct DBRIDGE_API migrate_result {
  std::vector<std::int64_t> applied;  ///< versions this call ran (dry run: would run)
  std::size_t already_applied = 0;    ///< steps of the set found recorded
  std::optional<std::int64_t> current_version;  ///< highest recorded version afterwards
};

/// Applies the pending steps of `steps` (any order; sorted by version) on
/// conn, each once per database, whatever other migrators run at the same
/// time: a database lock serialises them (PostgreSQL advisory lock, MariaDB
/// GET_LOCK, SQLite BEGIN IMMEDIATE). On PostgreSQL and SQLite each step
/// runs in its own transaction together with its record, so a failing step
/// leaves nothing behind; MariaDB commits DDL implicitly, so a step that
/// fails there may be partly applied (and is not recorded).
///
/// Throws before running anything when an applied step's checksum changed
/// (invalid_state_error naming the step), when two steps share a version or
/// one is malformed (invalid_argument_error), or when the lock is not had
/// within lock_timeout (timeout_error). A failing step throws that step's
/// error with the step named in its message; the steps before it stay
/// applied. Running again with nothing pending changes nothing.
DBRIDGE_API migrate_result migrate(connection& conn, std::span<const migration> steps, const migrate_options& opts = {});

/// Every step of the set plus every recorded version the set lacks, by
/// version, as recorded in table. Reads only: a database never migrated shows
/// all steps pending.
DBRIDGE_API std::vector<migration_status> migration_status_of(connection& conn, std::span<const migration> steps,
                                                              std::string_view table = default_migrations_table);

/// Reads a migrations folder: files NNNN_name.sql (any number of digits),
/// with optional variants NNNN_name.postgresql.sql, .mysql.sql and
/// .sqlite.sql. A variant without a generic file is a step for its dialect
/// only (empty elsewhere). Other files are ignored; two names for one version
/// or an unknown dialect suffix are invalid_argument_error; a missing folder
/// is not_found_error.
DBRIDGE_API std::vector<migration> load_migrations(const std::filesystem::path& dir);
/// The same, adding to near_misses each skipped file that looks meant as a
/// migration ("0006-dash.sql", "0007_x.SQL"), as "FILE: why", for the caller
/// to warn about: they are skipped, not errors.
DBRIDGE_API std::vector<migration> load_migrations(const std::filesystem::path& dir,
                                                   std::vector<std::string>& near_misses);

}  // namespace dbridge
