// SPDX-License-Identifier: Apache-2.0
// SQLite result codes -> dbridge error categories.
#include <cstring>
#include <string>

#include "sqlite_plugin.hpp"

namespace dbridge_sqlite {

namespace {

// "UNIQUE constraint failed: t.a, t.b" -> table "t", column "a" (the first).
void add_constraint_fields(sdk::error& e, std::string_view msg) {
  auto colon = msg.find(": ");
  if (colon == msg.npos) return;
  std::string_view target = msg.substr(colon + 2);
  target = target.substr(0, target.find(','));
  auto dot = target.find('.');
  if (dot == target.npos) return;
  e.field(DBR_ERRF_TABLE, std::string(target.substr(0, dot)));
  e.field(DBR_ERRF_COLUMN, std::string(target.substr(dot + 1)));
}

}  // namespace

sdk::error make_error(sqlite3* db, int rc) {
  const int ext = db != nullptr ? sqlite3_extended_errcode(db) : rc;
  // sqlite3_errmsg describes the most recent failure on db; when rc is not
  // that failure (rare: a code from sqlite3_reset), fall back to errstr.
  const bool same = db != nullptr && (ext & 0xFF) == (rc & 0xFF);
  const int code = same ? ext : rc;
  std::string msg = same ? sqlite3_errmsg(db) : sqlite3_errstr(rc);
  std::uint32_t cat = DBR_CAT_BACKEND;
  std::uint32_t sub = DBR_SUB_NONE;
  const char* state = nullptr;
  std::uint8_t retry = DBR_RETRY_NONE;
  bool broken = false;

  switch (code & 0xFF) {
    case SQLITE_CONSTRAINT:
      cat = DBR_CAT_CONSTRAINT;
      state = "23000";
      switch (code) {
        case SQLITE_CONSTRAINT_UNIQUE:
        case SQLITE_CONSTRAINT_PRIMARYKEY:
        case SQLITE_CONSTRAINT_ROWID:
          sub = DBR_SUB_UNIQUE_VIOLATION;
          state = "23505";
          break;
        case SQLITE_CONSTRAINT_FOREIGNKEY:
          sub = DBR_SUB_FOREIGN_KEY_VIOLATION;
          state = "23503";
          break;
        case SQLITE_CONSTRAINT_NOTNULL:
          sub = DBR_SUB_NOT_NULL_VIOLATION;
          state = "23502";
          break;
        case SQLITE_CONSTRAINT_CHECK:
          sub = DBR_SUB_CHECK_VIOLATION;
          state = "23514";
          break;
        default:
          break;
      }
      break;
    case SQLITE_ERROR:
      // Plain SQLITE_ERROR covers parse and name-resolution failures; only
      // the message tells them apart.
      if (contains(msg, "syntax error") || contains(msg, "incomplete input") || contains(msg, "unrecognized token")) {
        cat = DBR_CAT_SYNTAX;
        state = "42601";
      } else if (contains(msg, "no such table") || contains(msg, "no such view")) {
        cat = DBR_CAT_NOT_FOUND;
        sub = DBR_SUB_UNDEFINED_TABLE;
        state = "42P01";
      } else if (contains(msg, "no such column") || contains(msg, "has no column named")) {
        cat = DBR_CAT_NOT_FOUND;
        sub = DBR_SUB_UNDEFINED_COLUMN;
        state = "42703";
      } else if (contains(msg, "no such function")) {
        cat = DBR_CAT_NOT_FOUND;
        state = "42883";
      } else if (contains(msg, "no such savepoint")) {
        cat = DBR_CAT_INVALID_STATE;
        state = "3B001";
      } else if (contains(msg, "within a transaction") || contains(msg, "no transaction is active")) {
        cat = DBR_CAT_INVALID_STATE;
        state = "25000";
      } else if (contains(msg, "already exists")) {
        state = "42P07";
      } else if (contains(msg, "wrong number of arguments")) {
        cat = DBR_CAT_SYNTAX;
        state = "42883";
      }
      break;
    case SQLITE_BUSY:
    case SQLITE_LOCKED:
      cat = DBR_CAT_TXN_CONFLICT;
      retry = DBR_RETRY_SAME_CONN;
      if (code == SQLITE_BUSY_SNAPSHOT) {
        sub = DBR_SUB_SERIALIZATION_FAILURE;
        state = "40001";
      } else {
        sub = DBR_SUB_LOCK_TIMEOUT;
        state = "55P03";
      }
      break;
    case SQLITE_CANTOPEN:
      cat = DBR_CAT_CONNECTION;
      state = "08001";
      broken = true;
      break;
    case SQLITE_NOTADB:
      cat = DBR_CAT_CONNECTION;
      state = "08001";
      broken = true;
      break;
    case SQLITE_READONLY:
      cat = DBR_CAT_INVALID_STATE;
      state = "25006";
      break;
    case SQLITE_INTERRUPT:
      cat = DBR_CAT_CANCELLED;
      state = "57014";
      break;
    case SQLITE_NOMEM:
      cat = DBR_CAT_RESOURCE;
      state = "53200";
      break;
    case SQLITE_FULL:
      cat = DBR_CAT_RESOURCE;
      state = "53100";
      break;
    case SQLITE_TOOBIG:
      cat = DBR_CAT_DATA;
      state = "54000";
      break;
    case SQLITE_MISMATCH:
      cat = DBR_CAT_DATA;
      state = "42804";
      break;
    case SQLITE_RANGE:
      cat = DBR_CAT_INVALID_ARGUMENT;
      state = "07009";
      break;
    case SQLITE_AUTH:
    case SQLITE_PERM:
      cat = DBR_CAT_AUTH;
      state = "42501";
      break;
    case SQLITE_MISUSE:
      cat = DBR_CAT_INVALID_STATE;
      break;
    case SQLITE_CORRUPT:
      state = "XX001";
      broken = true;
      break;
    case SQLITE_IOERR:
      state = "58030";
      break;
    default:
      break;
  }
  sdk::error e(cat, std::move(msg));
  e.native(code, native_domain).subcategory(sub).retry(retry).connection_broken(broken);
  if (state != nullptr) e.sqlstate(state);
  if (cat == DBR_CAT_CONSTRAINT) add_constraint_fields(e, e.what());
  return e;
}

}  // namespace dbridge_sqlite
