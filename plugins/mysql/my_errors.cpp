// SPDX-License-Identifier: Apache-2.0
// MySQL / MariaDB errors into dbridge error records: category, subcategory
// and retry class from the error number (MySQL's SQLSTATEs are too coarse:
// every integrity error is 23000), the error number and the server's own
// SQLSTATE kept as they are: the portable meaning is in category/subcategory,
// and a PostgreSQL code in place of MariaDB's would mislead anyone who looks
// the code up in MariaDB's manual.
// Connection loss: Connector/C reports a request it could not write (or a
// connection already closed) as CR_SERVER_GONE_ERROR, and a reply it could not
// read as CR_SERVER_LOST. Only the first is known not to have reached the
// server (retry on a new connection); once sent, the outcome is unknown (the
// core narrows that for reads and open transactions, statement_effect.hpp).
#include <errmsg.h>
#include <mysqld_error.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "my_plugin.hpp"

namespace dbridge_mysql {

namespace {

struct mapping {
  std::uint32_t category, sub;
  std::uint8_t retry;
  bool broken;
};

// Numbers not in every client's mysqld_error.h (MySQL-only or newer servers).
constexpr unsigned er_check_constraint_violated_mysql = 3819;
constexpr unsigned er_constraint_failed_mariadb = 4025;
constexpr unsigned er_connection_killed = 1927;
constexpr unsigned er_statement_timeout_mariadb = 1969;
constexpr unsigned er_query_timeout_mysql = 3024;
constexpr unsigned er_lock_nowait = 1914;

mapping classify(unsigned e) noexcept {
  switch (e) {
    case ER_DUP_ENTRY:
    case ER_DUP_KEY:
    case ER_DUP_ENTRY_WITH_KEY_NAME:
      return {DBR_CAT_CONSTRAINT, DBR_SUB_UNIQUE_VIOLATION, DBR_RETRY_NONE, false};
    case ER_NO_REFERENCED_ROW:
    case ER_ROW_IS_REFERENCED:
    case ER_NO_REFERENCED_ROW_2:
    case ER_ROW_IS_REFERENCED_2:
      return {DBR_CAT_CONSTRAINT, DBR_SUB_FOREIGN_KEY_VIOLATION, DBR_RETRY_NONE, false};
    case ER_BAD_NULL_ERROR:
      return {DBR_CAT_CONSTRAINT, DBR_SUB_NOT_NULL_VIOLATION, DBR_RETRY_NONE, false};
    case er_check_constraint_violated_mysql:
    case er_constraint_failed_mariadb:
      return {DBR_CAT_CONSTRAINT, DBR_SUB_CHECK_VIOLATION, DBR_RETRY_NONE, false};
    case ER_PARSE_ERROR:
    case ER_SYNTAX_ERROR:
    case ER_EMPTY_QUERY:
      return {DBR_CAT_SYNTAX, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    case ER_NO_SUCH_TABLE:
    case ER_BAD_TABLE_ERROR:
      return {DBR_CAT_NOT_FOUND, DBR_SUB_UNDEFINED_TABLE, DBR_RETRY_NONE, false};
    case ER_BAD_FIELD_ERROR:
      return {DBR_CAT_NOT_FOUND, DBR_SUB_UNDEFINED_COLUMN, DBR_RETRY_NONE, false};
    case ER_BAD_DB_ERROR:
    case ER_SP_DOES_NOT_EXIST:
    case ER_NO_SUCH_USER:
    case ER_SP_NO_RECURSIVE_CREATE:
    case ER_UNKNOWN_SYSTEM_VARIABLE:
      return {DBR_CAT_NOT_FOUND, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    case ER_LOCK_DEADLOCK:
      return {DBR_CAT_TXN_CONFLICT, DBR_SUB_DEADLOCK, DBR_RETRY_SAME_CONN, false};
    case ER_LOCK_WAIT_TIMEOUT:
    case er_lock_nowait:
      return {DBR_CAT_TXN_CONFLICT, DBR_SUB_LOCK_TIMEOUT, DBR_RETRY_SAME_CONN, false};
    case ER_ACCESS_DENIED_ERROR:
    case ER_DBACCESS_DENIED_ERROR:
    case ER_TABLEACCESS_DENIED_ERROR:
    case ER_COLUMNACCESS_DENIED_ERROR:
    case ER_SPECIFIC_ACCESS_DENIED_ERROR:
    case ER_PASSWORD_NO_MATCH:
      return {DBR_CAT_AUTH, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    case ER_QUERY_INTERRUPTED:
      return {DBR_CAT_CANCELLED, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    case er_statement_timeout_mariadb:
    case er_query_timeout_mysql:
      return {DBR_CAT_TIMEOUT, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    case ER_SERVER_SHUTDOWN:
      return {DBR_CAT_CONNECTION, DBR_SUB_ADMIN_SHUTDOWN, DBR_RETRY_UNKNOWN_OUTCOME, true};
    case CR_SERVER_GONE_ERROR:  // the request was not written
    case CR_CONNECTION_ERROR:
    case CR_CONN_HOST_ERROR:
    case CR_UNKNOWN_HOST:
    case CR_SERVER_HANDSHAKE_ERR:
      return {DBR_CAT_CONNECTION, DBR_SUB_NONE, DBR_RETRY_NEW_CONN, true};
    case er_connection_killed:
    case CR_SERVER_LOST:  // sent, then the reply was lost
    case CR_SERVER_LOST_EXTENDED:
      return {DBR_CAT_CONNECTION, DBR_SUB_NONE, DBR_RETRY_UNKNOWN_OUTCOME, true};
    case ER_CON_COUNT_ERROR:
    case ER_TOO_MANY_USER_CONNECTIONS:
      return {DBR_CAT_RESOURCE, DBR_SUB_NONE, DBR_RETRY_NEW_CONN, false};
    case ER_DATA_TOO_LONG:
    case ER_TRUNCATED_WRONG_VALUE:
    case ER_TRUNCATED_WRONG_VALUE_FOR_FIELD:
    case ER_WARN_DATA_OUT_OF_RANGE:
    case ER_DIVISION_BY_ZERO:
    case ER_INVALID_CHARACTER_STRING:
    case ER_CANT_AGGREGATE_2COLLATIONS:
      return {DBR_CAT_DATA, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    case ER_WRONG_ARGUMENTS:
    case ER_WRONG_PARAMCOUNT_TO_PROCEDURE:
      return {DBR_CAT_INVALID_ARGUMENT, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    case ER_CANT_EXECUTE_IN_READ_ONLY_TRANSACTION:
    case ER_CANT_CHANGE_TX_CHARACTERISTICS:
      return {DBR_CAT_INVALID_STATE, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    case CR_COMMANDS_OUT_OF_SYNC:
      // The client lost its place in the protocol: nothing proves the next
      // reply would belong to the next request.
      return {DBR_CAT_INVALID_STATE, DBR_SUB_NONE, DBR_RETRY_NONE, true};
    case CR_OUT_OF_MEMORY:
    case ER_OUTOFMEMORY:
    case ER_OUT_OF_RESOURCES:
    case ER_RECORD_FILE_FULL:
      return {DBR_CAT_RESOURCE, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    case ER_NOT_SUPPORTED_YET:
    case ER_UNSUPPORTED_PS:
      return {DBR_CAT_UNSUPPORTED, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    default:
      break;
  }
  return {DBR_CAT_BACKEND, DBR_SUB_NONE, DBR_RETRY_NONE, false};
}

}  // namespace

sdk::error my_connection::error_for(unsigned err, const char* sqlstate, const char* message, std::string_view context) {
  // Read first: the client leaves ETIMEDOUT behind when read_timeout /
  // write_timeout expired, and the error number alone cannot tell.
  const int os_error = errno;
  mapping m = classify(err);
  const bool timed_out = (read_timeout_ > 0 || write_timeout_ > 0) &&
                         (err == CR_SERVER_LOST || err == CR_SERVER_LOST_EXTENDED) &&
                         (os_error == ETIMEDOUT || os_error == EAGAIN);
  if (timed_out) m = {DBR_CAT_TIMEOUT, DBR_SUB_NONE, DBR_RETRY_UNKNOWN_OUTCOME, true};
  std::string state = sqlstate != nullptr ? sqlstate : "";
  // A server SQLSTATE class the table does not know still says something.
  if (m.category == DBR_CAT_BACKEND && state.size() == 5) {
    const std::string cls = state.substr(0, 2);
    if (cls == "23") m = {DBR_CAT_CONSTRAINT, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    else if (cls == "42") m = {DBR_CAT_SYNTAX, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    else if (cls == "22") m = {DBR_CAT_DATA, DBR_SUB_NONE, DBR_RETRY_NONE, false};
    else if (cls == "08") m = {DBR_CAT_CONNECTION, DBR_SUB_NONE, DBR_RETRY_UNKNOWN_OUTCOME, true};
    else if (cls == "40") m = {DBR_CAT_TXN_CONFLICT, DBR_SUB_NONE, DBR_RETRY_SAME_CONN, false};
  }
  std::string msg = message != nullptr && *message != '\0' ? message : "unknown MySQL error " + std::to_string(err);
  std::string full = "mysql: ";
  if (!context.empty()) {
    full += context;
    full += ": ";
  }
  full += msg;
  full += " (error " + std::to_string(err) + (state.empty() ? "" : ", SQLSTATE " + state) + ")";
  if (timed_out)
    full += "; no reply within read_timeout (" + std::to_string(read_timeout_) +
            " s): the statement may or may not have run, and the connection is closed";
  sdk::error e(m.category, std::move(full));
  e.sqlstate(state)
      .subcategory(m.sub)
      .retry(m.retry)
      .connection_broken(m.broken)
      .native(static_cast<std::int64_t>(err), native_domain);
  return e;
}

void my_connection::raise(std::string_view context) {
  throw error_for(mysql_errno(mysql_), mysql_sqlstate(mysql_), mysql_error(mysql_), context);
}

void my_connection::raise(MYSQL_STMT* stmt, std::string_view context) { throw stmt_error(stmt, context); }

bool my_connection::proven_in_sync() noexcept {
  const std::string nonce = "dbr-sync-" + std::to_string(++sync_checks_);
  const std::string sql = "SELECT '" + nonce + "'";
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) return false;
  MYSQL_RES* r = mysql_store_result(mysql_);
  if (r == nullptr) return false;
  MYSQL_ROW row = mysql_fetch_row(r);
  const bool ok = row != nullptr && row[0] != nullptr && nonce == row[0] && mysql_num_rows(r) == 1 &&
                  !mysql_more_results(mysql_);
  mysql_free_result(r);
  return ok;
}

sdk::error my_connection::stmt_error(MYSQL_STMT* stmt, std::string_view context) {
  // Errors met while reading rows (a killed query, a lost server) are
  // recorded on the connection, not the statement.
  if (mysql_stmt_errno(stmt) == 0 && mysql_errno(mysql_) != 0)
    return error_for(mysql_errno(mysql_), mysql_sqlstate(mysql_), mysql_error(mysql_), context);
  return error_for(mysql_stmt_errno(stmt), mysql_stmt_sqlstate(stmt), mysql_stmt_error(stmt), context);
}

}  // namespace dbridge_mysql
