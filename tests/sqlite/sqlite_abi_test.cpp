// SPDX-License-Identifier: Apache-2.0
// The SQLite plugin driven through the raw ABI (no core): descriptor and
// negotiation, values, parameters, errors, transactions, scripts,
// introspection, functions, cancel, streaming.
#include <atomic>
#include <filesystem>
#include <thread>

#include <dbridge/sdk/convert.hpp>
#include <sqlite3.h>
#include <unistd.h>

#include <algorithm>

#include "abi_harness.hpp"

namespace {

using harness::error;

struct cell {
  uint32_t type = DBR_TYPE_NULL;
  int64_t i = 0;
  double d = 0;
  std::string s;
};
using rows_t = std::vector<std::vector<cell>>;

cell own(const dbr_value& v) {
  cell c;
  c.type = v.type;
  switch (v.type) {
    case DBR_TYPE_BOOL: case DBR_TYPE_INT64: c.i = v.u.i64; break;
    case DBR_TYPE_DOUBLE: c.d = v.u.f64; break;
    case DBR_TYPE_TEXT: case DBR_TYPE_DECIMAL: case DBR_TYPE_JSON: case DBR_TYPE_BYTES: c.s = harness::text_of(v); break;
    case DBR_TYPE_DATE: case DBR_TYPE_TIME: case DBR_TYPE_TIMESTAMP: c.i = v.u.ts.micros; break;
    default: break;
  }
  return c;
}

harness::plugin& sqlite_plugin() {
  static harness::plugin p(DBRIDGE_TEST_SQLITE_PLUGIN);
  return p;
}

struct session {
  harness::plugin& p = sqlite_plugin();
  dbr_conn* conn = nullptr;
  error err;
  explicit session(const char* db = ":memory:", std::vector<dbr_param> opts = {}) {
    harness::url u(db, std::move(opts));
    int32_t rc = p.vt->conn->connect(p.instance, u, &conn, err);
    if (rc != DBR_OK) throw std::runtime_error("connect: " + err.message());
  }
  ~session() {
    if (conn != nullptr) p.vt->conn->close(conn);
  }
  // Runs one statement; returns the status, rows into *out.
  int32_t run(const std::string& sql, std::vector<dbr_value> params = {}, rows_t* out = nullptr,
              dbr_exec_info* info_out = nullptr, std::vector<dbr_column>* cols = nullptr) {
    err.clear();
    dbr_stmt* st = nullptr;
    int32_t rc = p.vt->sql->prepare(conn, sql.data(), sql.size(), 0, &st, err);
    if (rc != DBR_OK) return rc;
    dbr_exec_info info{};
    info.struct_size = sizeof info;
    dbr_cursor* cur = nullptr;
    rc = p.vt->sql->execute(st, params.data(), static_cast<uint32_t>(params.size()), &info, &cur, err);
    if (rc == DBR_OK && cur != nullptr) {
      EXPECT_EQ(info.has_rows, 1u);
      if (cols != nullptr) {
        uint32_t n = 0;
        const dbr_column* c = nullptr;
        EXPECT_EQ(p.vt->cursor->describe(cur, &n, &c, err), DBR_OK);
        cols->assign(c, c + n);
      }
      dbr_rows r{};
      r.struct_size = sizeof r;
      while ((rc = p.vt->cursor->fetch(cur, 64, &r, err)) == DBR_OK) {
        EXPECT_GE(r.nrows, 1u);
        for (uint64_t i = 0; i < r.nrows; ++i) {
          std::vector<cell> row;
          for (uint32_t j = 0; j < r.ncols; ++j) row.push_back(own(r.cells[i * r.ncols + j]));
          if (out != nullptr) out->push_back(std::move(row));
        }
      }
      if (rc == DBR_DONE) rc = DBR_OK;
      p.vt->cursor->close(cur);
    }
    if (info_out != nullptr) *info_out = info;
    p.vt->sql->finalize(st);
    return rc;
  }
  void ok(const std::string& sql, std::vector<dbr_value> params = {}) {
    ASSERT_EQ(run(sql, std::move(params)), DBR_OK) << sql << ": " << err.message();
  }
  rows_t rows(const std::string& sql, std::vector<dbr_value> params = {}) {
    rows_t out;
    int32_t rc = run(sql, std::move(params), &out);
    EXPECT_EQ(rc, DBR_OK) << sql << ": " << err.message();
    return out;
  }
  rows_t list(uint32_t what, const char* schema = nullptr, const char* table = nullptr) {
    err.clear();
    dbr_cursor* cur = nullptr;
    EXPECT_EQ(p.vt->introspect->list(conn, what, schema, table, &cur, err), DBR_OK) << err.message();
    rows_t out;
    if (cur == nullptr) return out;
    dbr_rows r{};
    r.struct_size = sizeof r;
    while (p.vt->cursor->fetch(cur, 2, &r, err) == DBR_OK)
      for (uint64_t i = 0; i < r.nrows; ++i) {
        std::vector<cell> row;
        for (uint32_t j = 0; j < r.ncols; ++j) row.push_back(own(r.cells[i * r.ncols + j]));
        out.push_back(std::move(row));
      }
    p.vt->cursor->close(cur);
    return out;
  }
};

TEST(abi, descriptor_and_negotiation) {
  auto& p = sqlite_plugin();
  EXPECT_STREQ(p.desc.id, "sqlite");
  EXPECT_STREQ(p.desc.version, DBRIDGE_TEST_SQLITE_VERSION);
  EXPECT_EQ(p.desc.kind, static_cast<uint32_t>(DBR_KIND_DRIVER));
  EXPECT_EQ(p.desc.threading, static_cast<uint32_t>(DBR_THREADING_PER_CONNECTION));
  EXPECT_EQ(p.desc.flags, DBR_PF_CANCEL_ANY_THREAD);
  EXPECT_EQ(p.desc.capabilities,
            DBR_CAP_SQL | DBR_CAP_TRANSACTIONS | DBR_CAP_INTROSPECT | DBR_CAP_FUNCTIONS | DBR_CAP_CANCEL);
  ASSERT_NE(p.desc.schemes, nullptr);
  EXPECT_STREQ(p.desc.schemes[0], "sqlite");
  EXPECT_EQ(p.desc.schemes[1], nullptr);
  EXPECT_EQ(p.vt->command, nullptr);
  EXPECT_EQ(p.vt->notify, nullptr);
  ASSERT_NE(p.vt->conn->cancel, nullptr);

  dbr_plugin_desc d{};
  d.struct_size = sizeof d;
  dbr_host newer = harness::make_host(DBR_ABI_MAJOR, 7);
  EXPECT_EQ(p.entry(&newer, 0, &d), DBR_OK);
  EXPECT_EQ(d.abi_minor, DBR_ABI_MINOR);  // min(core 7, plugin's)
  EXPECT_EQ(p.entry(&newer, 1, &d), DBR_DONE);
  dbr_host other_major = harness::make_host(DBR_ABI_MAJOR + 1, 0);
  EXPECT_EQ(p.entry(&other_major, 0, &d), DBR_E_INCOMPATIBLE);
  // A smaller (older) descriptor is written only as far as it reaches.
  unsigned char buf[sizeof(dbr_plugin_desc) + 8];
  std::memset(buf, 0xAB, sizeof buf);
  auto* small = reinterpret_cast<dbr_plugin_desc*>(buf);
  small->struct_size = offsetof(dbr_plugin_desc, id);
  EXPECT_EQ(p.entry(harness::host(), 0, small), DBR_OK);
  EXPECT_EQ(buf[offsetof(dbr_plugin_desc, id)], 0xAB);
  EXPECT_EQ(small->kind, static_cast<uint32_t>(DBR_KIND_DRIVER));
}

TEST(abi, storage_classes_and_done) {
  session s;
  std::vector<dbr_column> cols;
  rows_t out;
  ASSERT_EQ(s.run("SELECT 42, 1.5, 'héllo', x'00ff01', NULL, ''", {}, &out, nullptr, &cols), DBR_OK)
      << s.err.message();
  ASSERT_EQ(out.size(), 1u);
  ASSERT_EQ(cols.size(), 6u);
  // An expression has no declared type: its column reports the first row's
  // (NULL, not known, for a NULL cell).
  EXPECT_EQ(cols[0].type, static_cast<uint32_t>(DBR_TYPE_INT64));
  EXPECT_EQ(cols[3].type, static_cast<uint32_t>(DBR_TYPE_BYTES));
  EXPECT_EQ(cols[4].type, static_cast<uint32_t>(DBR_TYPE_NULL));
  EXPECT_EQ(out[0][0].type, static_cast<uint32_t>(DBR_TYPE_INT64));
  EXPECT_EQ(out[0][0].i, 42);
  EXPECT_EQ(out[0][1].type, static_cast<uint32_t>(DBR_TYPE_DOUBLE));
  EXPECT_EQ(out[0][1].d, 1.5);
  EXPECT_EQ(out[0][2].type, static_cast<uint32_t>(DBR_TYPE_TEXT));
  EXPECT_EQ(out[0][2].s, "héllo");
  EXPECT_EQ(out[0][3].type, static_cast<uint32_t>(DBR_TYPE_BYTES));
  EXPECT_EQ(out[0][3].s, std::string("\x00\xff\x01", 3));
  EXPECT_EQ(out[0][4].type, static_cast<uint32_t>(DBR_TYPE_NULL));
  EXPECT_EQ(out[0][5].type, static_cast<uint32_t>(DBR_TYPE_TEXT));
  EXPECT_EQ(out[0][5].s, "");

  // An empty result: a cursor with columns whose first fetch is DBR_DONE.
  out.clear();
  cols.clear();
  ASSERT_EQ(s.run("SELECT 1 AS a WHERE 0", {}, &out, nullptr, &cols), DBR_OK);
  EXPECT_TRUE(out.empty());
  ASSERT_EQ(cols.size(), 1u);
  EXPECT_STREQ(cols[0].name, "a");
}

TEST(abi, declared_types_convert_and_fall_back_to_text) {
  session s;
  s.ok("CREATE TABLE t(d DATE, ts DATETIME, tm TIME, b BOOLEAN, j JSON, n DECIMAL(10,2), i INTEGER, v VARCHAR(5))");
  s.ok("INSERT INTO t VALUES ('2024-02-29', '2024-02-29 13:45:10.250', '08:30:00', 1, '{\"a\":1}', 12.5, 7, 'x')");
  s.ok("INSERT INTO t VALUES ('not a date', '2024-13-01 00:00:00', 'noon', 0, '[]', 'abc', 8, 'y')");
  // SQLite keeps whatever it is given: a BOOLEAN that is neither 0 nor 1,
  // JSON that does not parse. Neither may become a wrong value.
  s.ok("INSERT INTO t VALUES (NULL, NULL, NULL, 5, '{\"a\": 1', NULL, 9, 'z')");
  std::vector<dbr_column> cols;
  rows_t out;
  ASSERT_EQ(s.run("SELECT * FROM t ORDER BY i", {}, &out, nullptr, &cols), DBR_OK) << s.err.message();
  ASSERT_EQ(out.size(), 3u);
  EXPECT_EQ(cols[0].type, static_cast<uint32_t>(DBR_TYPE_DATE));
  EXPECT_STREQ(cols[0].native_type, "DATE");
  EXPECT_EQ(cols[1].type, static_cast<uint32_t>(DBR_TYPE_TIMESTAMP));
  EXPECT_EQ(cols[2].type, static_cast<uint32_t>(DBR_TYPE_TIME));
  EXPECT_EQ(cols[3].type, static_cast<uint32_t>(DBR_TYPE_BOOL));
  EXPECT_EQ(cols[4].type, static_cast<uint32_t>(DBR_TYPE_JSON));
  EXPECT_EQ(cols[5].type, static_cast<uint32_t>(DBR_TYPE_DECIMAL));
  EXPECT_EQ(cols[6].type, static_cast<uint32_t>(DBR_TYPE_INT64));
  EXPECT_EQ(cols[7].type, static_cast<uint32_t>(DBR_TYPE_TEXT));

  const auto& r = out[0];
  EXPECT_EQ(r[0].type, static_cast<uint32_t>(DBR_TYPE_DATE));
  EXPECT_EQ(r[0].i, dbridge::sdk::days_from_civil(2024, 2, 29));
  EXPECT_EQ(r[1].type, static_cast<uint32_t>(DBR_TYPE_TIMESTAMP));
  EXPECT_EQ(r[1].i, dbridge::sdk::days_from_civil(2024, 2, 29) * 86400000000LL + ((13 * 60 + 45) * 60 + 10) * 1000000LL +
                        250000);
  EXPECT_EQ(r[2].type, static_cast<uint32_t>(DBR_TYPE_TIME));
  EXPECT_EQ(r[2].i, (8 * 60 + 30) * 60 * 1000000LL);
  EXPECT_EQ(r[3].type, static_cast<uint32_t>(DBR_TYPE_BOOL));
  EXPECT_EQ(r[3].i, 1);
  EXPECT_EQ(r[4].type, static_cast<uint32_t>(DBR_TYPE_JSON));
  EXPECT_EQ(r[4].s, "{\"a\":1}");
  EXPECT_EQ(r[5].type, static_cast<uint32_t>(DBR_TYPE_DECIMAL));
  EXPECT_EQ(r[5].s, "12.5");

  const auto& bad = out[1];  // unparseable cells come back as TEXT, never garbage
  EXPECT_EQ(bad[0].type, static_cast<uint32_t>(DBR_TYPE_TEXT));
  EXPECT_EQ(bad[0].s, "not a date");
  EXPECT_EQ(bad[1].type, static_cast<uint32_t>(DBR_TYPE_TEXT));
  EXPECT_EQ(bad[2].type, static_cast<uint32_t>(DBR_TYPE_TEXT));
  EXPECT_EQ(bad[3].type, static_cast<uint32_t>(DBR_TYPE_BOOL));
  EXPECT_EQ(bad[3].i, 0);
  EXPECT_EQ(bad[4].type, static_cast<uint32_t>(DBR_TYPE_JSON));
  EXPECT_EQ(bad[4].s, "[]");
  EXPECT_EQ(bad[5].type, static_cast<uint32_t>(DBR_TYPE_TEXT));
  EXPECT_EQ(bad[5].s, "abc");

  const auto& odd = out[2];
  EXPECT_EQ(odd[3].type, static_cast<uint32_t>(DBR_TYPE_INT64));
  EXPECT_EQ(odd[3].i, 5);
  EXPECT_EQ(odd[4].type, static_cast<uint32_t>(DBR_TYPE_TEXT));
  EXPECT_EQ(odd[4].s, "{\"a\": 1");
}

TEST(abi, placeholder_styles) {
  session s;
  auto r = s.rows("SELECT ?, ?", {harness::int_value(1), harness::int_value(2)});
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].i, 1);
  EXPECT_EQ(r[0][1].i, 2);
  r = s.rows("SELECT ?2, ?1", {harness::int_value(1), harness::int_value(2)});
  EXPECT_EQ(r[0][0].i, 2);
  EXPECT_EQ(r[0][1].i, 1);
  r = s.rows("SELECT :b, :a", {harness::int_value(10), harness::int_value(20)});  // by first appearance
  EXPECT_EQ(r[0][0].i, 10);
  EXPECT_EQ(r[0][1].i, 20);
  // $N binds by N even though SQLite numbers "$2" first.
  r = s.rows("SELECT $2, $1, $2", {harness::int_value(1), harness::int_value(2)});
  EXPECT_EQ(r[0][0].i, 2);
  EXPECT_EQ(r[0][1].i, 1);
  EXPECT_EQ(r[0][2].i, 2);

  error err;
  dbr_stmt* st = nullptr;
  const std::string sql = "SELECT $2 + $1";
  ASSERT_EQ(s.p.vt->sql->prepare(s.conn, sql.data(), sql.size(), 0, &st, err), DBR_OK);
  EXPECT_EQ(s.p.vt->sql->param_count(st), 2u);
  EXPECT_EQ(s.p.vt->sql->param_index(st, "$1"), 1u);
  EXPECT_EQ(s.p.vt->sql->param_index(st, "2"), 2u);
  EXPECT_EQ(s.p.vt->sql->param_index(st, "nope"), 0u);
  // Wrong parameter count is an invalid_argument error, not a silent NULL.
  dbr_value one = harness::int_value(1);
  EXPECT_EQ(s.p.vt->sql->execute(st, &one, 1, nullptr, nullptr, err), DBR_E_INVALID_ARGUMENT);
  EXPECT_NE(err.message().find("2 parameter"), std::string::npos) << err.message();
  s.p.vt->sql->finalize(st);
  err.clear();
  const std::string mixed = "SELECT $1, ?";
  EXPECT_EQ(s.p.vt->sql->prepare(s.conn, mixed.data(), mixed.size(), 0, &st, err), DBR_E_SYNTAX);
}

TEST(abi, every_param_tag_binds) {
  session s;
  dbr_value v[12]{};
  v[0].type = DBR_TYPE_BOOL, v[0].u.i64 = 1;
  v[1].type = DBR_TYPE_UINT64, v[1].u.u64 = 5;
  v[2].type = DBR_TYPE_DATE, v[2].u.ts.micros = dbridge::sdk::days_from_civil(2000, 1, 2);
  v[3].type = DBR_TYPE_TIMESTAMP, v[3].u.ts.micros = 1500000;  // 1970-01-01 00:00:01.5
  v[4].type = DBR_TYPE_TIME, v[4].u.ts.micros = 3600000000LL;
  v[5].type = DBR_TYPE_UUID;
  for (int i = 0; i < 16; ++i) v[5].u.uuid[i] = static_cast<uint8_t>(i);
  std::string dec = "-12.3400", js = "{\"k\":[1,2]}";
  v[6] = harness::text_value(dec, DBR_TYPE_DECIMAL);
  v[7] = harness::text_value(js, DBR_TYPE_JSON);
  v[8].type = DBR_TYPE_BYTES, v[8].u.bin.ptr = nullptr, v[8].u.bin.len = 0;  // empty, not NULL
  v[9].type = DBR_TYPE_DOUBLE, v[9].u.f64 = 0.25;
  v[10].type = DBR_TYPE_NULL;
  v[11].type = DBR_TYPE_TIMESTAMPTZ, v[11].u.ts.micros = 0, v[11].u.ts.offset_s = 3600;
  auto r = s.rows("SELECT ?, ?, ?, ?, ?, ?, ?, ?, typeof(?), ?, ?, ?", std::vector<dbr_value>(v, v + 12));
  ASSERT_EQ(r.size(), 1u);
  EXPECT_EQ(r[0][0].i, 1);
  EXPECT_EQ(r[0][1].i, 5);
  EXPECT_EQ(r[0][2].s, "2000-01-02");
  EXPECT_EQ(r[0][3].s, "1970-01-01 00:00:01.5");  // fractions as psql prints them (datetime_text.hpp)
  EXPECT_EQ(r[0][4].s, "01:00:00");
  EXPECT_EQ(r[0][5].s, "00010203-0405-0607-0809-0a0b0c0d0e0f");
  EXPECT_EQ(r[0][6].s, dec);
  EXPECT_EQ(r[0][7].s, js);
  EXPECT_EQ(r[0][8].s, "blob");
  EXPECT_EQ(r[0][9].d, 0.25);
  EXPECT_EQ(r[0][10].type, static_cast<uint32_t>(DBR_TYPE_NULL));
  EXPECT_EQ(r[0][11].s, "1970-01-01 01:00:00+01:00");

  dbr_value big{};
  big.type = DBR_TYPE_UINT64;
  big.u.u64 = UINT64_MAX;
  EXPECT_EQ(s.run("SELECT ?", {big}), DBR_E_DATA);
  EXPECT_NE(s.err.message().find("18446744073709551615"), std::string::npos);
  dbr_value arr{};
  arr.type = DBR_TYPE_ARRAY;
  EXPECT_EQ(s.run("SELECT ?", {arr}), DBR_E_DATA);
  dbr_value unknown{};
  unknown.type = 999;
  EXPECT_EQ(s.run("SELECT ?", {unknown}), DBR_E_DATA);
}

TEST(abi, affected_rows_and_last_insert_id) {
  session s;
  s.ok("CREATE TABLE t(id INTEGER PRIMARY KEY, v TEXT)");
  dbr_exec_info info{};
  std::string a = "a";
  ASSERT_EQ(s.run("INSERT INTO t(v) VALUES (?), (?)", {harness::text_value(a), harness::text_value(a)}, nullptr, &info),
            DBR_OK);
  EXPECT_EQ(info.has_rows, 0u);
  EXPECT_EQ(info.affected_rows, 2);
  EXPECT_EQ(info.has_last_insert_id, 1u);
  EXPECT_EQ(info.last_insert_id, 2);
  ASSERT_EQ(s.run("UPDATE t SET v = 'b'", {}, nullptr, &info), DBR_OK);
  EXPECT_EQ(info.affected_rows, 2);
  EXPECT_EQ(info.has_last_insert_id, 0u);
}

TEST(abi, error_categories) {
  session s(":memory:", {harness::text_param("foreign_keys", "on")});
  s.ok("CREATE TABLE p(id INTEGER PRIMARY KEY, u TEXT UNIQUE, n TEXT NOT NULL DEFAULT 'x', c INT CHECK (c > 0))");
  s.ok("CREATE TABLE ch(id INTEGER PRIMARY KEY, pid INT REFERENCES p(id))");
  s.ok("INSERT INTO p(id, u, c) VALUES (1, 'a', 1)");

  EXPECT_EQ(s.run("INSERT INTO p(id, u, c) VALUES (2, 'a', 1)"), DBR_E_CONSTRAINT);
  EXPECT_EQ(s.err.e.subcategory, static_cast<uint32_t>(DBR_SUB_UNIQUE_VIOLATION));
  EXPECT_STREQ(s.err.e.sqlstate, "23505");
  EXPECT_EQ(s.err.e.native_code, SQLITE_CONSTRAINT_UNIQUE);
  EXPECT_STREQ(s.err.e.native_domain, "sqlite");
  EXPECT_EQ(s.err.field(DBR_ERRF_TABLE), "p");
  EXPECT_EQ(s.err.field(DBR_ERRF_COLUMN), "u");

  EXPECT_EQ(s.run("INSERT INTO ch(pid) VALUES (99)"), DBR_E_CONSTRAINT);
  EXPECT_EQ(s.err.e.subcategory, static_cast<uint32_t>(DBR_SUB_FOREIGN_KEY_VIOLATION));
  EXPECT_EQ(s.run("INSERT INTO p(id, u, n, c) VALUES (3, 'c', NULL, 1)"), DBR_E_CONSTRAINT);
  EXPECT_EQ(s.err.e.subcategory, static_cast<uint32_t>(DBR_SUB_NOT_NULL_VIOLATION));
  EXPECT_EQ(s.run("INSERT INTO p(id, u, c) VALUES (4, 'd', -1)"), DBR_E_CONSTRAINT);
  EXPECT_EQ(s.err.e.subcategory, static_cast<uint32_t>(DBR_SUB_CHECK_VIOLATION));
  EXPECT_STREQ(s.err.e.sqlstate, "23514");

  EXPECT_EQ(s.run("SELEC 1"), DBR_E_SYNTAX);
  EXPECT_STREQ(s.err.e.sqlstate, "42601");
  EXPECT_EQ(s.run("SELECT * FROM missing_table"), DBR_E_NOT_FOUND);
  EXPECT_EQ(s.err.e.subcategory, static_cast<uint32_t>(DBR_SUB_UNDEFINED_TABLE));
  EXPECT_EQ(s.run("SELECT nope FROM p"), DBR_E_NOT_FOUND);
  EXPECT_EQ(s.err.e.subcategory, static_cast<uint32_t>(DBR_SUB_UNDEFINED_COLUMN));
  EXPECT_EQ(s.run("SELECT 1; SELECT 2"), DBR_E_INVALID_ARGUMENT);
  EXPECT_EQ(s.run("   "), DBR_E_INVALID_ARGUMENT);
  EXPECT_EQ(s.run("SELECT 1; -- trailing comment"), DBR_OK);
}

TEST(abi, url_options) {
  auto& p = sqlite_plugin();
  error err;
  dbr_conn* c = nullptr;
  harness::url bad(":memory:", {harness::text_param("journal_mode", "wal"), harness::text_param("colour", "red")});
  EXPECT_EQ(p.vt->conn->connect(p.instance, bad, &c, err), DBR_E_INVALID_ARGUMENT);
  EXPECT_NE(err.message().find("'colour'"), std::string::npos) << err.message();
  err.clear();
  harness::url bad_mode(":memory:", {harness::text_param("mode", "rx")});
  EXPECT_EQ(p.vt->conn->connect(p.instance, bad_mode, &c, err), DBR_E_INVALID_ARGUMENT);
  err.clear();
  harness::url bad_timeout(":memory:", {harness::text_param("busy_timeout", "soon")});
  EXPECT_EQ(p.vt->conn->connect(p.instance, bad_timeout, &c, err), DBR_E_INVALID_ARGUMENT);
  err.clear();
  harness::url none("");
  EXPECT_EQ(p.vt->conn->connect(p.instance, none, &c, err), DBR_E_INVALID_ARGUMENT);
  err.clear();

  const auto dir = std::filesystem::temp_directory_path() / ("dbridge_sqlite_abi_" + std::to_string(::getpid()));
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  const std::string missing = (dir / "missing.db").string();
  harness::url ro_missing(missing.c_str(), {harness::text_param("mode", "ro")});
  EXPECT_EQ(p.vt->conn->connect(p.instance, ro_missing, &c, err), DBR_E_CONNECTION);
  EXPECT_NE(err.message().find("missing.db"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(missing));

  const std::string file = (dir / "wal.db").string();
  {
    session w(file.c_str(), {harness::text_param("journal_mode", "WAL"), harness::text_param("busy_timeout", "0")});
    auto r = w.rows("PRAGMA journal_mode");
    ASSERT_EQ(r.size(), 1u);
    EXPECT_EQ(r[0][0].s, "wal");
    w.ok("CREATE TABLE t(x)");
    // A second connection holding the write lock makes ours fail fast with a
    // retryable conflict.
    session other(file.c_str(), {harness::text_param("busy_timeout", "0")});
    dbr_txn_options o{};
    o.struct_size = sizeof o;
    o.isolation = DBR_ISOLATION_SERIALIZABLE;
    ASSERT_EQ(other.p.vt->txn->begin(other.conn, &o, other.err), DBR_OK) << other.err.message();
    EXPECT_EQ(w.run("INSERT INTO t VALUES (1)"), DBR_E_TXN_CONFLICT);
    EXPECT_EQ(w.err.e.retry, DBR_RETRY_SAME_CONN);
    EXPECT_EQ(other.p.vt->txn->rollback(other.conn, other.err), DBR_OK);
    w.ok("INSERT INTO t VALUES (1)");
  }
  {
    session ro(file.c_str(), {harness::text_param("mode", "ro")});
    EXPECT_EQ(ro.rows("SELECT count(*) FROM t")[0][0].i, 1);
    EXPECT_EQ(ro.run("INSERT INTO t VALUES (2)"), DBR_E_INVALID_STATE);
    EXPECT_STREQ(ro.err.e.sqlstate, "25006");
  }
  std::filesystem::remove_all(dir);
}

TEST(abi, transactions_and_savepoints) {
  session s;
  auto* t = s.p.vt->txn;
  s.ok("CREATE TABLE t(x INTEGER)");
  EXPECT_EQ(t->in_transaction(s.conn), 0);
  ASSERT_EQ(t->begin(s.conn, nullptr, s.err), DBR_OK);
  EXPECT_EQ(t->in_transaction(s.conn), 1);
  EXPECT_EQ(t->begin(s.conn, nullptr, s.err), DBR_E_INVALID_STATE);
  s.ok("INSERT INTO t VALUES (1)");
  ASSERT_EQ(t->savepoint(s.conn, "sp_1", s.err), DBR_OK);
  s.ok("INSERT INTO t VALUES (2)");
  ASSERT_EQ(t->rollback_to_savepoint(s.conn, "sp_1", s.err), DBR_OK);
  ASSERT_EQ(t->release_savepoint(s.conn, "sp_1", s.err), DBR_OK);
  EXPECT_EQ(t->savepoint(s.conn, "Bad Name", s.err), DBR_E_INVALID_ARGUMENT);
  EXPECT_EQ(t->rollback_to_savepoint(s.conn, "never_made", s.err), DBR_E_INVALID_STATE);
  ASSERT_EQ(t->commit(s.conn, s.err), DBR_OK);
  EXPECT_EQ(s.rows("SELECT count(*), sum(x) FROM t")[0][0].i, 1);

  ASSERT_EQ(t->begin(s.conn, nullptr, s.err), DBR_OK);
  s.ok("INSERT INTO t VALUES (3)");
  ASSERT_EQ(t->rollback(s.conn, s.err), DBR_OK);
  EXPECT_EQ(s.rows("SELECT count(*) FROM t")[0][0].i, 1);
  EXPECT_EQ(t->commit(s.conn, s.err), DBR_E_INVALID_STATE);
  EXPECT_EQ(t->rollback(s.conn, s.err), DBR_E_INVALID_STATE);

  dbr_txn_options ro{};
  ro.struct_size = sizeof ro;
  ro.read_only = 1;
  ASSERT_EQ(t->begin(s.conn, &ro, s.err), DBR_OK);
  EXPECT_NE(s.run("INSERT INTO t VALUES (4)"), DBR_OK);
  ASSERT_EQ(t->rollback(s.conn, s.err), DBR_OK);
  s.ok("INSERT INTO t VALUES (4)");  // read-only ended with the transaction
}

TEST(abi, script_attach_and_introspection) {
  session s;
  const std::string script =
      "ATTACH DATABASE ':memory:' AS aux;"
      "CREATE TABLE parent(id INTEGER PRIMARY KEY, code VARCHAR(8) NOT NULL UNIQUE);"
      "CREATE TABLE child(a INT, b INT, pid INT REFERENCES parent, note TEXT DEFAULT 'n', PRIMARY KEY(a, b));"
      "CREATE INDEX child_note ON child(note, pid);"
      "CREATE VIEW v AS SELECT * FROM parent;"
      "CREATE TABLE aux.other(z);";
  ASSERT_EQ(s.p.vt->sql->execute_script(s.conn, script.data(), script.size(), s.err), DBR_OK) << s.err.message();
  const std::string bad = "CREATE TABLE ok1(x); SELEC nonsense;";
  EXPECT_EQ(s.p.vt->sql->execute_script(s.conn, bad.data(), bad.size(), s.err), DBR_E_SYNTAX);

  auto dbs = s.list(DBR_META_DATABASES);
  std::vector<std::string> names;
  for (auto& r : dbs) names.push_back(r[0].s);
  EXPECT_NE(std::find(names.begin(), names.end(), "main"), names.end());
  EXPECT_NE(std::find(names.begin(), names.end(), "aux"), names.end());
  EXPECT_EQ(dbs[0][1].type, static_cast<uint32_t>(DBR_TYPE_INT64));  // size_bytes

  auto tables = s.list(DBR_META_TABLES, "main");
  ASSERT_EQ(tables.size(), 4u);  // child, ok1, parent, v (sorted)
  EXPECT_EQ(tables[0][1].s, "child");
  EXPECT_EQ(tables[3][1].s, "v");
  EXPECT_EQ(tables[3][2].s, "view");
  EXPECT_EQ(s.list(DBR_META_TABLES, nullptr, "other")[0][0].s, "aux");

  auto cols = s.list(DBR_META_COLUMNS, "main", "parent");
  ASSERT_EQ(cols.size(), 2u);
  EXPECT_EQ(cols[1][2].s, "code");
  EXPECT_EQ(cols[1][3].i, 2);           // ordinal
  EXPECT_EQ(cols[1][4].s, "VARCHAR(8)");
  EXPECT_EQ(cols[1][5].i, 0);           // NOT NULL
  EXPECT_EQ(cols[1][7].i, 8);           // max_length
  EXPECT_EQ(cols[0][8].i, 1);           // id is the primary key
  auto child_cols = s.list(DBR_META_COLUMNS, "main", "child");
  EXPECT_EQ(child_cols[3][6].s, "'n'");  // default

  auto idx = s.list(DBR_META_INDEXES, "main", "child");
  ASSERT_EQ(idx.size(), 2u);
  EXPECT_EQ(idx[0][2].s, "child_note");
  EXPECT_EQ(idx[0][3].s, "note,pid");
  EXPECT_EQ(idx[1][5].i, 1);  // the autoindex of PRIMARY KEY(a, b)
  EXPECT_EQ(idx[1][3].s, "a,b");

  auto fks = s.list(DBR_META_FOREIGN_KEYS, "main", "child");
  ASSERT_EQ(fks.size(), 1u);
  EXPECT_EQ(fks[0][3].s, "pid");
  EXPECT_EQ(fks[0][5].s, "parent");
  EXPECT_EQ(fks[0][6].s, "id");  // implicit: the parent's primary key

  auto pks = s.list(DBR_META_PRIMARY_KEYS, "main");
  ASSERT_EQ(pks.size(), 2u);
  EXPECT_EQ(pks[0][1].s, "child");
  EXPECT_EQ(pks[0][3].s, "a,b");
  EXPECT_EQ(pks[1][3].s, "id");

  dbr_cursor* cur = nullptr;
  EXPECT_EQ(s.p.vt->introspect->list(s.conn, DBR_META_KEYSPACE, nullptr, nullptr, &cur, s.err), DBR_E_UNSUPPORTED);
  EXPECT_EQ(cur, nullptr);
}

struct fn_state {
  std::atomic<int> destroyed{0};
  std::atomic<int> calls{0};
  std::string out;
};

int32_t upper_fn(void* user, uint32_t argc, const dbr_value* argv, dbr_value* result, dbr_error* err) {
  auto* st = static_cast<fn_state*>(user);
  ++st->calls;
  if (argc != 1 || argv[0].type != DBR_TYPE_TEXT)
    return harness::error_set(err, DBR_CAT_DATA, "22023", "my_upper wants text", 19);
  st->out.assign(argv[0].u.str.ptr, argv[0].u.str.len);
  for (char& c : st->out) c = static_cast<char>(std::toupper(static_cast<unsigned char>(c)));
  result->type = DBR_TYPE_TEXT;
  result->u.str.ptr = st->out.data();
  result->u.str.len = st->out.size();
  return DBR_OK;
}
void destroy_fn(void* user) { ++static_cast<fn_state*>(user)->destroyed; }

TEST(abi, functions_call_the_host_and_destroy_once) {
  fn_state a, b, bad;
  {
    session s;
    auto* f = s.p.vt->functions;
    ASSERT_EQ(f->create_scalar(s.conn, "my_upper", 1, DBR_FN_DETERMINISTIC, upper_fn, &a, destroy_fn, s.err), DBR_OK);
    EXPECT_EQ(s.rows("SELECT my_upper('abc')")[0][0].s, "ABC");
    EXPECT_EQ(a.calls.load(), 1);
    // The host's error category survives the trip through SQLite.
    EXPECT_EQ(s.run("SELECT my_upper(1)"), DBR_E_DATA);
    EXPECT_NE(s.err.message().find("my_upper wants text"), std::string::npos);
    // Replacing the function destroys the old user data exactly once.
    ASSERT_EQ(f->create_scalar(s.conn, "my_upper", 1, 0, upper_fn, &b, destroy_fn, s.err), DBR_OK);
    EXPECT_EQ(a.destroyed.load(), 1);
    EXPECT_EQ(b.destroyed.load(), 0);
    // A failed registration still destroys.
    EXPECT_EQ(f->create_scalar(s.conn, "too_many", 1000, 0, upper_fn, &bad, destroy_fn, s.err), DBR_E_INVALID_ARGUMENT);
    EXPECT_EQ(bad.destroyed.load(), 1);
  }
  EXPECT_EQ(a.destroyed.load(), 1);
  EXPECT_EQ(b.destroyed.load(), 1);  // on close
}

TEST(abi, cancel_from_another_thread) {
  session s;
  const std::string sql = "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c) SELECT count(*) FROM c";
  std::atomic<bool> finished{false};
  std::thread canceller([&] {
    error e;
    while (!finished.load()) s.p.vt->conn->cancel(s.conn, e);  // until the query has seen one
  });
  const int32_t rc = s.run(sql);
  finished = true;
  canceller.join();
  EXPECT_EQ(rc, DBR_E_CANCELLED) << s.err.message();
  EXPECT_STREQ(s.err.e.sqlstate, "57014");
  EXPECT_EQ(s.rows("SELECT 1")[0][0].i, 1);  // the connection is still usable
}

TEST(abi, streams_100k_rows_one_fetch_each) {
  session s;
  error& err = s.err;
  const std::string sql =
      "WITH RECURSIVE c(x) AS (SELECT 1 UNION ALL SELECT x + 1 FROM c WHERE x < 100000) SELECT x, 'row' FROM c";
  dbr_stmt* st = nullptr;
  ASSERT_EQ(s.p.vt->sql->prepare(s.conn, sql.data(), sql.size(), DBR_PREPARE_PERSISTENT, &st, err), DBR_OK);
  for (int round = 0; round < 2; ++round) {  // the statement is reusable
    dbr_cursor* cur = nullptr;
    dbr_exec_info info{};
    info.struct_size = sizeof info;
    ASSERT_EQ(s.p.vt->sql->execute(st, nullptr, 0, &info, &cur, err), DBR_OK);
    ASSERT_NE(cur, nullptr);
    dbr_rows r{};
    r.struct_size = sizeof r;
    int64_t n = 0, sum = 0;
    int32_t rc;
    while ((rc = s.p.vt->cursor->fetch(cur, 1000, &r, err)) == DBR_OK) {
      n += static_cast<int64_t>(r.nrows);
      sum += r.cells[0].u.i64;
    }
    EXPECT_EQ(rc, DBR_DONE);
    EXPECT_EQ(n, 100000);
    EXPECT_EQ(sum, 100000LL * 100001 / 2);
    EXPECT_EQ(s.p.vt->cursor->fetch(cur, 1, &r, err), DBR_DONE);  // stays done
    s.p.vt->cursor->close(cur);
  }
  // Closing a cursor early and re-executing works too.
  dbr_cursor* cur = nullptr;
  ASSERT_EQ(s.p.vt->sql->execute(st, nullptr, 0, nullptr, &cur, err), DBR_OK);
  dbr_rows r{};
  r.struct_size = sizeof r;
  ASSERT_EQ(s.p.vt->cursor->fetch(cur, 1, &r, err), DBR_OK);
  s.p.vt->cursor->close(cur);
  s.p.vt->sql->finalize(st);
}

}  // namespace
