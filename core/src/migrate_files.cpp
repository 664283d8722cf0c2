// SPDX-License-Identifier: Apache-2.0
// Which dialect a connection speaks, and migration folders of NNNN_name.sql
// files with per-dialect variants.
#include <fmt/format.h>

#include <cctype>
#include <charconv>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <system_error>

#include "dbridge/connection.hpp"
#include "dbridge/error.hpp"
#include "dbridge/migrate.hpp"

namespace dbridge::inline v1 {
namespace {

std::optional<sql_dialect> dialect_named(std::string_view name) {
  if (name == "postgresql") return sql_dialect::postgresql;
  if (name == "mysql") return sql_dialect::mysql;
  if (name == "sqlite") return sql_dialect::sqlite;
  return std::nullopt;
}

std::string read_whole(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  std::ostringstream text;
  text << in.rdbuf();
  if (!in && !in.eof()) throw_error(errc::resource, "cannot read migration " + p.string());
  std::string all = text.str();
  // Editors on Windows start UTF-8 files with a byte order mark, which no
  // SQL parser takes as the start of a statement.
  if (all.starts_with("\xEF\xBB\xBF")) all.erase(0, 3);
  return all;
}

/// A migration file's parts: NNNN_name[.dialect].sql. Empty version when the
/// file is not a migration (other files may live in the folder).
struct file_name_parts {
  std::int64_t version = 0;
  std::string name;
  std::optional<sql_dialect> dialect;
};

std::optional<file_name_parts> parse_file_name(const std::string& file) {
  if (file.size() < 4 || file.compare(file.size() - 4, 4, ".sql") != 0) return std::nullopt;
  const std::size_t digits = file.find_first_not_of("0123456789");
  if (digits == 0 || digits == std::string::npos || file[digits] != '_') return std::nullopt;
  file_name_parts parts;
  const auto [end, ec] = std::from_chars(file.data(), file.data() + digits, parts.version);
  if (ec != std::errc() || parts.version <= 0)
    throw_error(errc::invalid_argument,
                fmt::format("migration file {}: the version must be a positive number below 2^63", file));
  const std::string stem = file.substr(digits + 1, file.size() - 4 - digits - 1);
  const std::size_t dot = stem.find('.');
  parts.name = stem.substr(0, dot);
  if (parts.name.empty())
    throw_error(errc::invalid_argument, fmt::format("migration file {} has no name after the version", file));
  if (dot != std::string::npos) {
    const std::string suffix = stem.substr(dot + 1);
    parts.dialect = dialect_named(suffix);
    if (!parts.dialect)
      throw_error(errc::invalid_argument,
                  fmt::format("migration file {}: unknown dialect '{}'; variants end in .postgresql.sql, .mysql.sql "
                              "or .sqlite.sql, and names have no dots",
                              file, suffix));
  }
  return parts;
}

/// Why a file that parse_file_name skipped looks meant as a migration, or
/// empty when it does not (README.md, seed data...).
std::string near_miss(const std::string& file) {
  std::string lower = file;
  for (char& c : lower) c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
  if (!lower.ends_with(".sql")) return {};
  if (!file.ends_with(".sql")) return "the extension must be .sql in lower case";
  const std::size_t digits = file.find_first_not_of("0123456789");
  if (digits == 0) return "the name must start with its version number (NNNN_name.sql)";
  return "the version number must be followed by '_' and a name (NNNN_name.sql)";
}

}  // namespace

sql_dialect dialect_of(const connection& conn) {
  const std::string& s = conn.scheme();
  if (s == "postgresql" || s == "postgres") return sql_dialect::postgresql;
  if (s == "mysql" || s == "mariadb") return sql_dialect::mysql;
  if (s == "sqlite") return sql_dialect::sqlite;
  throw_error(errc::unsupported, fmt::format("schema migrations run on PostgreSQL, MariaDB and SQLite; {} (driver {}) "
                                             "has no SQL dialect dbridge knows",
                                             conn.redacted_url(), conn.plugin_id()));
}

std::vector<migration> load_migrations(const std::filesystem::path& dir) {
  std::vector<std::string> ignored;
  return load_migrations(dir, ignored);
}

std::vector<migration> load_migrations(const std::filesystem::path& dir, std::vector<std::string>& near_misses) {
  std::error_code ec;
  if (!std::filesystem::is_directory(dir, ec))
    throw_error(errc::not_found, "migration folder " + dir.string() + " does not exist or is not a folder");
  std::map<std::int64_t, migration> by_version;
  std::map<std::int64_t, std::string> first_file;  // for the error naming both files
  // "0001_a.sql" and "01_a.sql" are one version twice.
  std::set<std::pair<std::int64_t, int>> seen;
  auto slot_of = [](std::optional<sql_dialect> d) { return d ? static_cast<int>(*d) : -1; };
  for (const auto& entry : std::filesystem::directory_iterator(dir)) {
    if (!entry.is_regular_file()) continue;
    const std::string file = entry.path().filename().string();
    const std::optional<file_name_parts> parts = parse_file_name(file);
    if (!parts) {
      if (std::string why = near_miss(file); !why.empty()) near_misses.push_back(file + ": " + why);
      continue;
    }
    auto [it, fresh] = by_version.try_emplace(parts->version);
    migration& m = it->second;
    if (fresh) {
      seen.emplace(parts->version, slot_of(parts->dialect));
      m.version = parts->version;
      m.name = parts->name;
      first_file[parts->version] = file;
    } else if (m.name != parts->name || !seen.emplace(parts->version, slot_of(parts->dialect)).second) {
      throw_error(errc::invalid_argument,
                  fmt::format("migrations {} and {} in {} share version {}; give each its own",
                              first_file[parts->version], file, dir.string(), parts->version));
    }
    std::string text = read_whole(entry.path());
    if (!parts->dialect) m.sql = std::move(text);
    else if (*parts->dialect == sql_dialect::postgresql) m.postgresql_sql = std::move(text);
    else if (*parts->dialect == sql_dialect::mysql) m.mysql_sql = std::move(text);
    else m.sqlite_sql = std::move(text);
  }
  std::vector<migration> out;
  out.reserve(by_version.size());
  for (auto& [version, m] : by_version) out.push_back(std::move(m));
  return out;
}

}  // namespace dbridge
