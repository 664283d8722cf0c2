// SPDX-License-Identifier: Apache-2.0
// Edge values, round-tripped on every SQL driver: each one is written as a
// bound parameter and read back through get<T>, through dbridge::value
// (to_string and the typed accessor) and through `dbridge query --format
// json`, and each reading is compared with what the backend's own client
// (psql, mariadb, sqlite3) prints for the same row: the raw client is the
// reference, not a string written here.
//
// ONE table of cases (edge_cases below). Where a backend legitimately
// differs, the case says how, with a one-line reason. A third-party driver
// runs the same cases with the default expectations and without a raw client.
#include <dbridge/url.hpp>
#include <nlohmann/json.hpp>

#include <unistd.h>

#include <charconv>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <functional>
#include <limits>
#include <map>
#include <tuple>

#include "conformance.hpp"
#include "subprocess.hpp"

namespace dbridge_conformance {
namespace {

using dbridge::value;
using nlohmann::json;

// ------------------------------------------------------------- the table

// How a value is written by any of the three readers; both sides of each
// comparison are brought to this one form first.
enum class kind { text, integer, floating, decimal, boolean, date, timestamp, timestamptz, time, bytes, array };

// What a backend does with a case.
enum class outcome {
  round_trip,  ///< reads back equal to what was written
  refused,     ///< the write fails with `error` (a clear error beats a silent change)
  skip,        ///< not applicable to this backend, or a known bug fixed elsewhere
};

struct expectation {
  outcome what = outcome::round_trip;
  dbridge::errc error{};      ///< for refused
  const char* message = "";   ///< for refused: a word the message must hold
  std::optional<value> reads_as;  ///< for round_trip: the typed read differs from what was written
  const char* reason = "";        ///< one line: why this backend differs
};

// One SQL text per backend family.
struct column_types {
  const char* postgres;
  const char* mysql;
  const char* sqlite;
  const char* other;  ///< a third-party driver
};

struct edge_case {
  const char* name;
  kind k;
  column_types type;
  std::function<value()> make;  // built per test: the 10 MB values are not kept alive
  // How the raw client is asked for the column ({} = the column), per backend.
  column_types raw = {"{}", "{}", "{}", "{}"};
  std::map<std::string, expectation> differs = {};  // by scheme family: postgres, mysql, sqlite
  bool via_cli = true;  ///< the big values go through the CLI at a smaller size
  // Selected after the value, per backend ("" = nothing): a neighbour column
  // must not change how the value reads.
  column_types beside = {"", "", "", ""};
};

constexpr std::int64_t micros_per_day = 86'400'000'000LL;

value date_of(int y, unsigned m, unsigned d) { return dbridge::date{dbridge::days_from_civil(y, m, d)}; }
value timestamp_of(int y, unsigned m, unsigned d, std::int64_t h, std::int64_t mi, std::int64_t s, std::int64_t us) {
  return dbridge::timestamp{std::int64_t{dbridge::days_from_civil(y, m, d)} * micros_per_day +
                            ((h * 60 + mi) * 60 + s) * 1'000'000 + us};
}
value instant_of(int y, unsigned m, unsigned d, std::int64_t h, std::int64_t mi, std::int64_t s, std::int64_t us) {
  return dbridge::timestamptz{std::get<dbridge::timestamp>(timestamp_of(y, m, d, h, mi, s, us).get_storage()).micros, 0};
}
value time_of(std::int64_t h, std::int64_t mi, std::int64_t s, std::int64_t us) {
  return dbridge::time_of_day{((h * 60 + mi) * 60 + s) * 1'000'000 + us, std::nullopt};
}

// Text of `n` bytes mixing ASCII, two- to four-byte UTF-8, quotes and
// backslashes (no newline, so a raw client's line ends are the row ends).
std::string big_text(std::size_t n) {
  static const std::string piece = "ab'c\"d\\e,f 😀 é 𝄞 中 ";
  std::string s;
  s.reserve(n + piece.size());
  while (s.size() + piece.size() <= n) s += piece;
  while (s.size() < n) s.push_back('x');
  return s;
}
dbridge::bytes big_bytes(std::size_t n) {
  dbridge::bytes b(n);
  for (std::size_t i = 0; i < n; ++i) b[i] = static_cast<std::uint8_t>(i * 7 + i / 256);
  return b;
}

constexpr std::size_t big = 10 * 1024 * 1024;
constexpr std::size_t cli_size = 64 * 1024;

const column_types text_type = {"TEXT", "LONGTEXT CHARACTER SET utf8mb4 COLLATE utf8mb4_bin", "TEXT", "TEXT"};
const column_types bytes_type = {"BYTEA", "LONGBLOB", "BLOB", "BLOB"};
// psql prints bytea as \x hex; sqlite3 prints hex when asked (its HEX(NULL)
// is ''). MariaDB's HEX() of 10 MB passes max_allowed_packet (16 MB), so
// mariadb -r prints the bytes as they are, behind a marker that keeps NULL apart.
const column_types bytes_raw = {"{}", "CONCAT('b:', {})",
                                "CASE WHEN {} IS NULL THEN NULL ELSE '\\x' || LOWER(HEX({})) END", "{}"};
const column_types bigint_type = {"BIGINT", "BIGINT", "BIGINT", "BIGINT"};
const column_types double_type = {"DOUBLE PRECISION", "DOUBLE", "REAL", "DOUBLE PRECISION"};
// sqlite3 prints 15 digits, too few to tell DBL_MAX from infinity: 20 when asked.
const column_types double_raw = {"{}", "{}", "CASE WHEN {} IS NULL THEN NULL ELSE printf('%!.20e', {}) END", "{}"};
const column_types bool_type = {"BOOLEAN", "BOOLEAN", "BOOLEAN", "BOOLEAN"};
const column_types date_type = {"DATE", "DATE", "DATE", "DATE"};
const column_types timestamp_type = {"TIMESTAMP", "DATETIME(6)", "TIMESTAMP", "TIMESTAMP"};
const column_types time_type = {"TIME", "TIME(6)", "TIME", "TIME"};
const column_types timestamptz_type = {"TIMESTAMPTZ", "TIMESTAMP(6) NULL", "TIMESTAMPTZ", "TIMESTAMPTZ"};
const column_types same = {"{}", "{}", "{}", "{}"};
const expectation no_infinite_dates{outcome::refused, dbridge::errc::data, "infinite", std::nullopt,
                                    "MariaDB has no infinite dates"};
// SQLite's NUMERIC affinity keeps 15 significant digits: exact decimals live in TEXT there.
const column_types decimal_type = {"NUMERIC", "DECIMAL(60,20)", "TEXT", "DECIMAL(60,20)"};

const expectation no_arrays{outcome::refused, dbridge::errc::data, "array",
                            std::nullopt, "no array type on this backend: the driver refuses, never flattens"};
const std::map<std::string, expectation> postgres_only_arrays = {{"mysql", no_arrays}, {"sqlite", no_arrays}};

const std::string decimal_40 = "-12345678901234567890.12345678901234567890";

const std::vector<edge_case>& edge_cases() {
  static const std::vector<edge_case> all = {
      // NULL of every type.
      {"null_bigint", kind::integer, bigint_type, [] { return value(); }},
      {"null_double", kind::floating, double_type, [] { return value(); }, double_raw},
      {"null_text", kind::text, text_type, [] { return value(); }},
      {"null_bytes", kind::bytes, bytes_type, [] { return value(); }, bytes_raw},
      {"null_bool", kind::boolean, bool_type, [] { return value(); }},
      {"null_decimal", kind::decimal, decimal_type, [] { return value(); }},
      {"null_date", kind::date, date_type, [] { return value(); }},
      {"null_timestamp", kind::timestamp, timestamp_type, [] { return value(); }},
      {"null_time", kind::time, time_type, [] { return value(); }},
      {"null_timestamptz", kind::timestamptz, timestamptz_type, [] { return value(); }},
      {"null_json", kind::text, {"JSONB", "JSON", "JSON", "JSON"}, [] { return value(); }},
      {"null_uuid", kind::text, {"UUID", "UUID", "TEXT", "UUID"}, [] { return value(); }},
      {"null_array", kind::array, {"TEXT[]", "TEXT", "TEXT", "TEXT"}, [] { return value(); },
       {"{}", "{}", "{}", "{}"}, {}},
      // Empty is not NULL.
      {"empty_text", kind::text, text_type, [] { return value(""); }},
      {"empty_bytes", kind::bytes, bytes_type, [] { return value(dbridge::bytes{}); }, bytes_raw},
      // Outside the Basic Multilingual Plane: emoji with a skin-tone modifier,
      // a ZWJ family, a musical symbol, a CJK extension B ideograph.
      {"non_bmp_utf8", kind::text, text_type, [] { return value("😀 👍🏽 👩‍👩‍👧 𝄞 𠜎 🧪 end"); }},
      {"quotes_and_backslashes", kind::text, text_type, [] { return value("it's \"q\" \\n \\ , ; -- /*"); }},
      // Integers at the edges.
      {"int64_min", kind::integer, bigint_type, [] { return value(std::numeric_limits<std::int64_t>::min()); }},
      {"int64_max", kind::integer, bigint_type, [] { return value(std::numeric_limits<std::int64_t>::max()); }},
      {"uint64_max", kind::integer, {"NUMERIC(20,0)", "BIGINT UNSIGNED", "INTEGER", "NUMERIC(20,0)"},
       [] { return value(std::numeric_limits<std::uint64_t>::max()); }, {"{}", "{}", "{}", "{}"},
       {{"sqlite", {outcome::refused, dbridge::errc::data, "18446744073709551615", std::nullopt,
                    "SQLite's INTEGER is signed 64-bit: the driver refuses rather than wrap"}}}},
      // Doubles that are not numbers.
      {"double_nan", kind::floating, double_type, [] { return value(std::numeric_limits<double>::quiet_NaN()); },
       double_raw,
       {{"mysql", {outcome::refused, dbridge::errc::data, "NaN", std::nullopt, "MariaDB's DOUBLE has no NaN"}},
        {"sqlite", {outcome::refused, dbridge::errc::data, "NaN", std::nullopt,
                    "SQLite stores a NaN as NULL: the driver refuses rather than lose it"}}}},
      {"double_pos_inf", kind::floating, double_type, [] { return value(std::numeric_limits<double>::infinity()); },
       double_raw,
       {{"mysql", {outcome::refused, dbridge::errc::data, "nfinity", std::nullopt,
                   "MariaDB's DOUBLE has no infinities"}}}},
      {"double_neg_inf", kind::floating, double_type, [] { return value(-std::numeric_limits<double>::infinity()); },
       double_raw,
       {{"mysql", {outcome::refused, dbridge::errc::data, "nfinity", std::nullopt,
                   "MariaDB's DOUBLE has no infinities"}}}},
      {"double_tiny", kind::floating, double_type, [] { return value(-4.9406564584124654e-324); }, double_raw},
      {"double_max", kind::floating, double_type, [] { return value(std::numeric_limits<double>::max()); },
       double_raw},
      // 40 significant digits, exactly.
      {"decimal_40_digits", kind::decimal, decimal_type, [] { return value(dbridge::decimal{decimal_40}); },
       {"{}", "{}", "{}", "{}"},
       {{"sqlite", {outcome::round_trip, {}, "", value(decimal_40), "a TEXT column: SQLite has no exact decimal"}}}},
      // Calendar edges.
      {"date_0001_01_01", kind::date, date_type, [] { return date_of(1, 1, 1); }},
      {"date_9999_12_31", kind::date, date_type, [] { return date_of(9999, 12, 31); }},
      {"timestamp_1969_fraction", kind::timestamp, timestamp_type,
       [] { return timestamp_of(1969, 12, 31, 23, 59, 59, 500000); }},
      {"timestamp_1900", kind::timestamp, timestamp_type, [] { return timestamp_of(1900, 1, 1, 0, 0, 0, 1); }},
      {"timestamp_1001", kind::timestamp, timestamp_type, [] { return timestamp_of(1001, 2, 3, 4, 5, 6, 123456); }},
      {"double_negative_zero", kind::floating, double_type, [] { return value(-0.0); }, double_raw},
      {"date_infinity", kind::date, date_type, [] { return value(dbridge::date{0, 1}); }, same,
       {{"mysql", no_infinite_dates}}},
      {"timestamp_neg_infinity", kind::timestamp, timestamp_type, [] { return value(dbridge::timestamp{0, -1}); },
       same, {{"mysql", no_infinite_dates}}},
      {"timestamptz_utc", kind::timestamptz, timestamptz_type, [] { return instant_of(2001, 2, 3, 4, 5, 6, 789000); }},
      {"timestamptz_1969", kind::timestamptz, timestamptz_type, [] { return instant_of(1969, 7, 20, 20, 17, 40, 5); },
       same,
       {{"mysql", {outcome::refused, dbridge::errc::data, "1969-07-20", std::nullopt,
                   "MariaDB's TIMESTAMP starts in 1970"}}}},
      {"date_beside_point", kind::date, date_type, [] { return date_of(2020, 1, 1); }, same, {},
       true,
       {"'(1,2)'::point", "POINT(1,2)", "'(1,2)'", ""}},
      {"bool_true", kind::boolean, bool_type, [] { return value(true); }},
      {"bool_false", kind::boolean, bool_type, [] { return value(false); }},
      {"time_half_second", kind::time, time_type, [] { return time_of(10, 0, 0, 500000); }},
      {"time_last_micro", kind::time, time_type, [] { return time_of(23, 59, 59, 999999); }},
      {"time_midnight", kind::time, time_type, [] { return time_of(0, 0, 0, 0); }},
      // Big values: fast on every driver, and through the CLI at 64 KiB.
      {"text_10mb", kind::text, text_type, [] { return value(big_text(big)); }, {"{}", "{}", "{}", "{}"}, {},
       false},
      {"bytes_10mb", kind::bytes, bytes_type, [] { return value(big_bytes(big)); }, bytes_raw, {}, false},
      {"text_64k", kind::text, text_type, [] { return value(big_text(cli_size)); }},
      {"bytes_64k", kind::bytes, bytes_type, [] { return value(big_bytes(cli_size)); }, bytes_raw},
      // Arrays: PostgreSQL only. Elements that need quoting in array text.
      {"text_array_quoting", kind::array, {"TEXT[]", "TEXT", "TEXT", "TEXT[]"},
       [] {
         return value(dbridge::array{"a\"b", "c,d", "e\\f", value(), "", "{x}", " lead", "NULLx", "😀"});
       },
       {"unnest({})", "{}", "{}", "{}"}, postgres_only_arrays},
      {"bigint_array_nulls", kind::array, {"BIGINT[]", "TEXT", "TEXT", "BIGINT[]"},
       [] {
         return value(dbridge::array{std::numeric_limits<std::int64_t>::min(), value(), 0,
                                     std::numeric_limits<std::int64_t>::max()});
       },
       {"unnest({})", "{}", "{}", "{}"}, postgres_only_arrays},
      {"bigint_array_2d", kind::array, {"BIGINT[]", "TEXT", "TEXT", "BIGINT[]"},
       [] { return value(dbridge::array{dbridge::array{1, 2}, dbridge::array{value(), 4}}); },
       {"unnest({})", "{}", "{}", "{}"},
       {{"mysql", no_arrays}, {"sqlite", no_arrays}}},
      {"empty_array", kind::array, {"TEXT[]", "TEXT", "TEXT", "TEXT[]"}, [] { return value(dbridge::array{}); },
       {"unnest({})", "{}", "{}", "{}"}, postgres_only_arrays},
  };
  return all;
}

// The family a scheme belongs to, as the table names them.
std::string family(const std::string& scheme) {
  if (scheme == "postgresql" || scheme == "postgres") return "postgres";
  if (scheme == "mysql" || scheme == "mariadb") return "mysql";
  if (scheme == "sqlite" || scheme == "sqlite3") return "sqlite";
  return "other";
}

const char* pick(const column_types& t, const std::string& fam) {
  if (fam == "postgres") return t.postgres;
  if (fam == "mysql") return t.mysql;
  if (fam == "sqlite") return t.sqlite;
  return t.other;
}

std::string substitute(std::string pattern, const std::string& column) {
  for (auto at = pattern.find("{}"); at != std::string::npos; at = pattern.find("{}", at + column.size()))
    pattern.replace(at, 2, column);
  return pattern;
}

// ------------------------------------------------- one form for each kind

std::string trim_fraction(std::string s) {
  // "10:00:00.500000" and "10:00:00.5" are one time; so are ".000000" and none.
  const auto dot = s.rfind('.');
  if (dot == std::string::npos || s.find(':') == std::string::npos) return s;
  while (s.size() > dot + 1 && s.back() == '0') s.pop_back();
  if (s.size() == dot + 1) s.pop_back();
  return s;
}

std::string double_form(const std::string& s) {
  if (s == "NULL") return s;
  const double d = std::strtod(s.c_str(), nullptr);  // reads NaN, Inf, Infinity, -inf...
  if (std::isnan(d)) return "NaN";
  char buf[40];
  const auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

std::string canonical(kind k, std::string s) {
  switch (k) {
    case kind::floating: return double_form(s);
    case kind::boolean:
      if (s == "t" || s == "1" || s == "true") return "true";
      if (s == "f" || s == "0" || s == "false") return "false";
      return s;
    case kind::timestamp: {
      if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
      return trim_fraction(s);
    }
    case kind::timestamptz: {
      // The clients print in their session zone, UTC here (raw_client_for).
      if (s.size() > 10 && s[10] == ' ') s[10] = 'T';
      for (const char* utc : {"Z", "+00:00", "+00"})
        if (s.size() > 19 && s.ends_with(utc)) {
          s.resize(s.size() - std::strlen(utc));
          break;
        }
      return trim_fraction(s);
    }
    case kind::time: return trim_fraction(s);
    case kind::bytes:
      if (s.rfind("b:", 0) == 0) {  // the bytes themselves, behind bytes_raw's marker
        static constexpr char digits[] = "0123456789abcdef";
        std::string hex = "\\x";
        hex.reserve(2 * s.size());
        for (std::size_t i = 2; i < s.size(); ++i) {
          const auto b = static_cast<unsigned char>(s[i]);
          hex.push_back(digits[b >> 4]);
          hex.push_back(digits[b & 0xF]);
        }
        return hex;
      }
      return s;
    default: return s;
  }
}

std::string hex_of_base64(const std::string& b64) {
  static const std::string alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
  static constexpr char digits[] = "0123456789abcdef";
  std::string out = "\\x";
  std::uint32_t acc = 0;
  int bits = 0;
  for (char c : b64) {
    if (c == '=') break;
    const auto v = alphabet.find(c);
    if (v == std::string::npos) return "<not base64: " + b64.substr(0, 40) + ">";
    acc = (acc << 6) | static_cast<std::uint32_t>(v);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      const auto byte = static_cast<std::uint8_t>(acc >> bits);
      out.push_back(digits[byte >> 4]);
      out.push_back(digits[byte & 0xF]);
    }
  }
  return out;
}

// A CLI JSON cell in the same form (bytes come as base64, NULL as null).
std::string json_form(kind k, const json& j) {
  if (j.is_null()) return "NULL";
  if (j.is_string()) {
    const auto& s = j.get_ref<const std::string&>();
    return canonical(k, k == kind::bytes ? hex_of_base64(s) : s);
  }
  if (j.is_boolean()) return j.get<bool>() ? "true" : "false";
  return canonical(k, j.dump());
}

// --------------------------------------------------------- the readers

// Items of a (nested) array in order, as unnest() gives them.
void flatten(const value& v, std::vector<std::string>& out) {
  if (const auto* a = std::get_if<dbridge::array>(&v.get_storage())) {
    for (const auto& item : *a) flatten(item, out);
  } else {
    out.push_back(v.to_string());
  }
}
void flatten(const json& j, std::vector<std::string>& out) {
  if (j.is_array()) {
    for (const auto& item : j) flatten(item, out);
  } else {
    out.push_back(json_form(kind::text, j));
  }
}

std::string first_lines(const std::string& s, std::size_t n = 3) {
  std::string out;
  std::size_t start = 0;
  for (std::size_t i = 0; i < n && start < s.size(); ++i) {
    const auto end = s.find('\n', start);
    out += s.substr(start, std::min<std::size_t>(end - start, 300)) + "\n";
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return out;
}

// A long value in a failure message: its size and where it starts to differ.
std::string describe_difference(const std::string& want, const std::string& got) {
  if (want.size() < 300 && got.size() < 300) return "want [" + want + "]\n got [" + got + "]";
  std::size_t i = 0;
  while (i < want.size() && i < got.size() && want[i] == got[i]) ++i;
  return "sizes " + std::to_string(want.size()) + " / " + std::to_string(got.size()) + ", first difference at " +
         std::to_string(i) + ": want [" + want.substr(i, 40) + "] got [" + got.substr(i, 40) + "]";
}

// The backend's own client, run on the same server: its lines (NULL printed
// as NULL), or nullopt when this backend has none here.
struct raw_client {
  std::string program;
  std::vector<std::string> args;  // the SQL is appended
  std::map<std::string, std::optional<std::string>> env;
};

std::optional<raw_client> raw_client_for(const std::string& fam, const std::string& url_text) {
  if (fam == "postgres") {
    // psql takes the libpq URL as it is; -X ignores ~/.psqlrc.
    return raw_client{"psql", {"-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-P", "null=NULL", "-d", url_text, "-c"},
                      {{"PGCLIENTENCODING", "UTF8"}, {"PGTZ", "UTC"}}};
  }
  const dbridge::url u = dbridge::parse_url(url_text);
  if (fam == "mysql") {
    raw_client c{"mariadb",
                 {"--no-defaults", "-N", "-B", "-r", "--default-character-set=utf8mb4", "--init-command=SET time_zone='+00:00'"},
                 {}};
    if (!u.hosts.empty()) {
      c.args.push_back("--host=" + u.hosts.front().host);
      if (u.hosts.front().port != 0) c.args.push_back("--port=" + std::to_string(u.hosts.front().port));
      c.args.push_back("--protocol=TCP");
    }
    if (u.user) c.args.push_back("--user=" + *u.user);
    // The password goes through the environment, never the command line.
    c.env["MYSQL_PWD"] = u.password.value_or("");
    c.args.push_back("--database=" + u.database);
    c.args.push_back("-e");
    return c;
  }
  if (fam == "sqlite") return raw_client{"sqlite3", {"-batch", "-noheader", "-list", "-nullvalue", "NULL", u.database}, {}};
  return std::nullopt;
}

std::string find_program(const std::string& name) {
  if (name.find('/') != std::string::npos) return name;
  const char* path = std::getenv("PATH");
  std::string_view rest = path != nullptr ? path : "/usr/bin:/bin";
  while (!rest.empty()) {
    const auto colon = rest.find(':');
    const std::filesystem::path candidate = std::filesystem::path(rest.substr(0, colon)) / name;
    if (::access(candidate.c_str(), X_OK) == 0) return candidate.string();
    if (colon == std::string_view::npos) break;
    rest.remove_prefix(colon + 1);
  }
  return {};
}

// The `dbridge` command: the one DBRIDGE_CONFORMANCE_CLI names, else the one
// built in this tree (or found beside an installed dbridge), else PATH's.
std::string cli_program() {
  if (const char* e = std::getenv("DBRIDGE_CONFORMANCE_CLI"); e != nullptr && *e != '\0') return e;
#ifdef DBRIDGE_CONFORMANCE_CLI_PATH
  return DBRIDGE_CONFORMANCE_CLI_PATH;
#else
  return find_program("dbridge");
#endif
}

std::vector<std::string> split_lines(const std::string& s) {
  std::vector<std::string> lines;
  std::size_t start = 0;
  while (start < s.size()) {
    const auto end = s.find('\n', start);
    lines.push_back(s.substr(start, end == std::string::npos ? std::string::npos : end - start));
    if (end == std::string::npos) break;
    start = end + 1;
  }
  return lines;
}

// ------------------------------------------------------------ the test

using edge_param = std::tuple<driver_case, edge_case>;

class edge_values : public driver_fixture, public ::testing::WithParamInterface<edge_param> {
 protected:
  const driver_case& driver() const override { return std::get<0>(GetParam()); }
  const edge_case& the_case() const { return std::get<1>(GetParam()); }

  void SetUp() override {
    driver_fixture::SetUp();
    if (IsSkipped() || HasFatalFailure()) return;
    if (!has("sql")) GTEST_SKIP() << "the " << driver().name << " driver has no 'sql' capability";
    // The raw client and the CLI need the data where they can see it.
    if (family(db().scheme()) == "sqlite" && url_.find(":memory:") != std::string::npos) {
      file_ = std::filesystem::temp_directory_path() / ("dbr_conf_edge_" + std::to_string(::getpid()) + ".db");
      std::filesystem::remove(file_);
      url_ = "sqlite://" + file_.string();
      db_.emplace(dbridge::connect(url_, {.opened_by = "conformance"}));
    }
  }
  void TearDown() override {
    driver_fixture::TearDown();
    if (!file_.empty()) {
      db_.reset();
      std::filesystem::remove(file_);
    }
  }

  std::filesystem::path file_;
};

// get<T> and value::as<T> with T the type that was written.
void expect_typed(const dbridge::row& row, const value& want) {
  std::visit(
      [&](const auto& w) {
        using T = std::decay_t<decltype(w)>;
        if constexpr (std::is_same_v<T, std::monostate>) {
          EXPECT_TRUE(row.is_null(0));
          EXPECT_TRUE(row.get_value(0).is_null());
          EXPECT_FALSE(row.get<std::optional<std::string>>(0).has_value());
        } else {
          const T got = row.get<T>(0);
          const T via_value = row.get_value(0).as<T>();
          if constexpr (std::is_same_v<T, double>) {
            if (std::isnan(w)) {
              EXPECT_TRUE(std::isnan(got)) << got;
              EXPECT_TRUE(std::isnan(via_value)) << via_value;
              return;
            }
          }
          if constexpr (std::is_same_v<T, std::string>) {
            EXPECT_TRUE(got == w) << "get<std::string>: " << describe_difference(w, got);
            EXPECT_TRUE(via_value == w) << "value::as<std::string>: " << describe_difference(w, via_value);
          } else if constexpr (std::is_same_v<T, dbridge::bytes>) {
            EXPECT_TRUE(got == w) << "get<bytes>: sizes " << w.size() << " / " << got.size();
            EXPECT_TRUE(via_value == w) << "value::as<bytes>: sizes " << w.size() << " / " << via_value.size();
          } else {
            EXPECT_TRUE(got == w) << "get<T>: want " << value(w).to_string() << ", got " << value(got).to_string();
            EXPECT_TRUE(via_value == w) << "value::as<T>: want " << value(w).to_string() << ", got "
                                        << value(via_value).to_string();
          }
        }
      },
      want.get_storage());
}

TEST_P(edge_values, round_trip) {
  const edge_case& c = the_case();
  const std::string fam = family(db().scheme());
  const auto differs = c.differs.find(fam);
  const expectation expect = differs != c.differs.end() ? differs->second : expectation{};
  if (expect.what == outcome::skip) GTEST_SKIP() << expect.reason;

  REQUIRE_FEATURE("write");
  const std::string t = table(std::string("edge_") + c.name, std::string("v ") + pick(c.type, fam));
  const value written = c.make();

  const auto started = std::chrono::steady_clock::now();
  if (expect.what == outcome::refused) {
    try {
      db().execute("INSERT INTO " + t + " (v) VALUES ($1)", {written});
      FAIL() << "the " << driver().name << " driver stored the value; expected a refusal (" << expect.reason << ")";
    } catch (const dbridge::error& e) {
      EXPECT_EQ(e.category(), expect.error) << e.what();
      EXPECT_NE(std::string(e.what()).find(expect.message), std::string::npos)
          << "the error should name the value (" << expect.message << "): " << e.what();
    }
    // Nothing stored, and the connection is still usable.
    EXPECT_EQ(db().query_one("SELECT count(*) FROM " + t).get<std::int64_t>(0), 0);
    return;
  }
  db().execute("INSERT INTO " + t + " (v) VALUES ($1)", {written});

  // 1. get<T> and value::as<T>.
  const std::string beside = pick(c.beside, fam);
  const std::string select_sql = "SELECT v" + (beside.empty() ? "" : ", " + beside + " AS n") + " FROM " + t;
  // The streamed row, as most programs read it (query_one copies).
  value read;
  {
    auto result = db().query(select_sql);
    const dbridge::row* row = result.next();
    ASSERT_NE(row, nullptr) << "the row written is not there";
    expect_typed(*row, expect.reads_as.value_or(written));
    read = row->get_value(0);
    EXPECT_EQ(result.next(), nullptr);
  }

  // What value::to_string() gives for the cell, item by item for arrays.
  std::vector<std::string> from_value;
  if (c.k == kind::array && !read.is_null()) {
    flatten(read, from_value);
  } else {
    from_value.push_back(canonical(c.k, read.to_string()));
  }
  const auto api_time = std::chrono::steady_clock::now() - started;
  // Generous for a loaded 2-core CI machine; a copy too many per byte shows.
  EXPECT_LT(std::chrono::duration_cast<std::chrono::milliseconds>(api_time).count(), 5000)
      << "writing and reading " << c.name << " took too long";

  // 2. The raw client: the reference.
  const std::string raw_sql = "SELECT " + substitute(pick(c.raw, fam), "v") + " FROM " + t;
  if (auto client = raw_client_for(fam, url_)) {
    const std::string program = find_program(client->program);
    if (program.empty()) {
      ADD_FAILURE() << client->program << " is not installed: it is the reference for the " << driver().name
                    << " driver (scripts/bootstrap installs it)";
    } else {
      client->args.push_back(raw_sql);
      const auto r = dbridge::test::run_process(program, client->args, client->env);
      ASSERT_EQ(r.exit_code, 0) << client->program << " failed: " << first_lines(r.err);
      // One line per array item (unnest), else the whole output is the one
      // value: bytes may hold line ends.
      std::vector<std::string> from_raw;
      if (c.k == kind::array) {
        for (auto& line : split_lines(r.out)) from_raw.push_back(canonical(c.k, line));
      } else {
        ASSERT_FALSE(r.out.empty() || r.out.back() != '\n') << client->program << " printed no row for " << raw_sql;
        from_raw.push_back(canonical(c.k, r.out.substr(0, r.out.size() - 1)));
      }
      ASSERT_EQ(from_raw.size(), from_value.size()) << client->program << " printed:\n" << first_lines(r.out, 20);
      for (std::size_t i = 0; i < from_raw.size(); ++i)
        EXPECT_TRUE(from_raw[i] == from_value[i])
            << "value::to_string() disagrees with " << client->program << " (item " << i
            << "): " << describe_difference(from_raw[i], from_value[i]);
    }
  }

  // 3. The CLI's JSON, the same comparison.
  if (!c.via_cli) return;
  const std::string cli = cli_program();
  if (cli.empty()) {
    std::printf("note: no dbridge command found (set DBRIDGE_CONFORMANCE_CLI): its JSON output was not checked\n");
    return;
  }
  const auto r = dbridge::test::run_process(cli, {"query", url_, select_sql, "--format", "json"});
  ASSERT_EQ(r.exit_code, 0) << "dbridge query failed: " << first_lines(r.err);
  const json doc = json::parse(r.out, nullptr, false);
  ASSERT_FALSE(doc.is_discarded()) << "not JSON: " << first_lines(r.out);
  ASSERT_TRUE(doc.is_array() && doc.size() == 1 && doc[0].contains("v")) << first_lines(r.out);
  if (!beside.empty()) {
    EXPECT_TRUE(doc[0].contains("n")) << first_lines(r.out);
  }
  const json& cell = doc[0]["v"];
  std::vector<std::string> from_cli;
  if (c.k == kind::array && !cell.is_null()) {
    ASSERT_TRUE(cell.is_array()) << "an array column should be a JSON array: " << cell.dump().substr(0, 200);
    // value::to_string() renders an array as JSON too, the same one (no bytes here).
    EXPECT_EQ(json::parse(read.to_string(), nullptr, false), cell) << read.to_string();
    flatten(cell, from_cli);
  } else {
    from_cli.push_back(json_form(c.k, cell));
  }
  ASSERT_EQ(from_cli.size(), from_value.size()) << cell.dump().substr(0, 200);
  for (std::size_t i = 0; i < from_cli.size(); ++i)
    EXPECT_TRUE(from_cli[i] == from_value[i])
        << "the CLI's JSON disagrees with value::to_string() (item " << i
        << "): " << describe_difference(from_value[i], from_cli[i]);
}

std::string edge_name(const ::testing::TestParamInfo<edge_param>& i) {
  return std::string(std::get<0>(i.param).name) + "_" + std::get<1>(i.param).name;
}

void PrintTo(const edge_param& p, std::ostream* os) { *os << std::get<0>(p).name << "/" << std::get<1>(p).name; }

INSTANTIATE_TEST_SUITE_P(drivers, edge_values,
                         ::testing::Combine(::testing::ValuesIn(cases), ::testing::ValuesIn(edge_cases())),
                         edge_name);

}  // namespace
}  // namespace dbridge_conformance
