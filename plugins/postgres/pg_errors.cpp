// SPDX-License-Identifier: Apache-2.0
// libpq errors into dbridge error records: category and subcategory from the
// SQLSTATE, the server's fields (detail, hint, constraint...) attached. A
// connection lost once a request was sent has an unknown outcome (the core
// narrows that for reads and open transactions, statement_effect.hpp); one
// found dead before anything was sent is retryable on a new connection
// (unsent_error).
#include <cstring>
#include <string>

#include "pg_plugin.hpp"

namespace dbridge_postgres {

namespace {

struct mapping {
  std::uint32_t category, sub;
  std::uint8_t retry;
  bool broken;
};

mapping classify(std::string_view st) noexcept {
  auto is = [&](const char* s) { return st == s; };
  auto cls = [&](const char* c) { return st.size() == 5 && st.substr(0, 2) == c; };
  if (is("23505")) return {DBR_CAT_CONSTRAINT, DBR_SUB_UNIQUE_VIOLATION, DBR_RETRY_NONE, false};
  if (is("23503")) return {DBR_CAT_CONSTRAINT, DBR_SUB_FOREIGN_KEY_VIOLATION, DBR_RETRY_NONE, false};
  if (is("23502")) return {DBR_CAT_CONSTRAINT, DBR_SUB_NOT_NULL_VIOLATION, DBR_RETRY_NONE, false};
  if (is("23514")) return {DBR_CAT_CONSTRAINT, DBR_SUB_CHECK_VIOLATION, DBR_RETRY_NONE, false};
  if (cls("23")) return {DBR_CAT_CONSTRAINT, DBR_SUB_NONE, DBR_RETRY_NONE, false};
  if (is("40001")) return {DBR_CAT_TXN_CONFLICT, DBR_SUB_SERIALIZATION_FAILURE, DBR_RETRY_SAME_CONN, false};
  if (is("40P01")) return {DBR_CAT_TXN_CONFLICT, DBR_SUB_DEADLOCK, DBR_RETRY_SAME_CONN, false};
  if (is("55P03")) return {DBR_CAT_TXN_CONFLICT, DBR_SUB_LOCK_TIMEOUT, DBR_RETRY_SAME_CONN, false};
  if (is("42P01")) return {DBR_CAT_NOT_FOUND, DBR_SUB_UNDEFINED_TABLE, DBR_RETRY_NONE, false};
  if (is("42703")) return {DBR_CAT_NOT_FOUND, DBR_SUB_UNDEFINED_COLUMN, DBR_RETRY_NONE, false};
  if (is("42883") || is("42704") || is("3F000") || is("3D000") || is("26000") || is("34000"))
    return {DBR_CAT_NOT_FOUND, DBR_SUB_NONE, DBR_RETRY_NONE, false};
  if (is("42501") || cls("28")) return {DBR_CAT_AUTH, DBR_SUB_NONE, DBR_RETRY_NONE, false};
  if (is("42P07") || is("42710") || is("42P06") || is("42723") || is("42P04"))
    return {DBR_CAT_BACKEND, DBR_SUB_NONE, DBR_RETRY_NONE, false};
  if (cls("42")) return {DBR_CAT_SYNTAX, DBR_SUB_NONE, DBR_RETRY_NONE, false};
  // The server's answer to a request we sent: whether it committed first is
  // not known (a crash shutdown can land after the commit record).
  if (is("57P01") || is("57P02") || is("57P03"))
    return {DBR_CAT_CONNECTION, DBR_SUB_ADMIN_SHUTDOWN, DBR_RETRY_UNKNOWN_OUTCOME, true};
  if (cls("08")) return {DBR_CAT_CONNECTION, DBR_SUB_NONE, DBR_RETRY_UNKNOWN_OUTCOME, true};
  if (is("57014")) return {DBR_CAT_CANCELLED, DBR_SUB_NONE, DBR_RETRY_NONE, false};
  if (cls("22")) return {DBR_CAT_DATA, DBR_SUB_NONE, DBR_RETRY_NONE, false};
  if (cls("25") || is("2D000") || is("3B000") || is("3B001"))
    return {DBR_CAT_INVALID_STATE, DBR_SUB_NONE, DBR_RETRY_NONE, false};
  if (cls("53")) return {DBR_CAT_RESOURCE, DBR_SUB_NONE, DBR_RETRY_NONE, false};
  if (is("0A000")) return {DBR_CAT_UNSUPPORTED, DBR_SUB_NONE, DBR_RETRY_NONE, false};
  return {DBR_CAT_BACKEND, DBR_SUB_NONE, DBR_RETRY_NONE, false};
}

std::string trimmed(const char* s) {
  std::string m = s != nullptr ? s : "";
  while (!m.empty() && (m.back() == '\n' || m.back() == ' ')) m.pop_back();
  return m;
}

}  // namespace

sdk::error pg_connection::error_for(const PGresult* r, std::string_view context) {
  // Reported once, by the call that waited; later calls on the closed
  // connection fail as on any lost connection.
  if (read_timed_out_ && !read_timeout_reported_) {
    read_timeout_reported_ = true;
    return sdk::error(DBR_CAT_TIMEOUT, "postgres: " + (context.empty() ? std::string() : std::string(context) + ": ") +
                                           "no reply from the server within read_timeout (" +
                                           sdk::seconds_text(read_timeout_s_) +
                                           "); the statement may or may not have run, so the connection was closed "
                                           "(and a cancel request sent)")
        .sqlstate("08006")
        .retry(DBR_RETRY_UNKNOWN_OUTCOME)
        .connection_broken()
        .native(0, native_domain);
  }
  const char* state = r != nullptr ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : nullptr;
  std::string msg = trimmed(r != nullptr ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : nullptr);
  if (msg.empty()) msg = trimmed(r != nullptr ? PQresultErrorMessage(r) : nullptr);
  if (msg.empty()) msg = trimmed(PQerrorMessage(conn_));
  // libpq failed without saying why: name what it did return.
  if (msg.empty() && r != nullptr)
    msg = std::string("libpq returned ") + PQresStatus(PQresultStatus(r)) + " without an error message";
  if (msg.empty())
    msg = PQstatus(conn_) == CONNECTION_BAD ? "libpq gave no error message, and the connection is lost"
                                            : "libpq gave no error message";
  mapping m = classify(state != nullptr ? state : "");
  std::string sqlstate = state != nullptr ? state : "";
  const bool lost = PQstatus(conn_) == CONNECTION_BAD;
  if (lost) {
    m.broken = true;
    if (m.category != DBR_CAT_CONNECTION) m = {DBR_CAT_CONNECTION, m.sub, DBR_RETRY_UNKNOWN_OUTCOME, true};
    if (sqlstate.empty()) sqlstate = "08006";
  }
  if (sqlstate == "57014" && !cancel_requested_.load(std::memory_order_relaxed) &&
      (timeout_ms_ > 0 || msg.find("statement timeout") != std::string::npos))
    m.category = DBR_CAT_TIMEOUT;
  std::string full = "postgres: ";
  if (!context.empty()) {
    full += context;
    full += ": ";
  }
  full += msg;
  sdk::error e(m.category, std::move(full));
  e.sqlstate(sqlstate).subcategory(m.sub).retry(m.retry).connection_broken(m.broken).native(0, native_domain);
  if (r != nullptr) {
    static constexpr struct {
      int pg;
      std::uint32_t ours;
    } fields[] = {{PG_DIAG_MESSAGE_DETAIL, DBR_ERRF_DETAIL}, {PG_DIAG_MESSAGE_HINT, DBR_ERRF_HINT},
                  {PG_DIAG_SEVERITY_NONLOCALIZED, DBR_ERRF_SEVERITY}, {PG_DIAG_CONSTRAINT_NAME, DBR_ERRF_CONSTRAINT},
                  {PG_DIAG_TABLE_NAME, DBR_ERRF_TABLE}, {PG_DIAG_COLUMN_NAME, DBR_ERRF_COLUMN},
                  {PG_DIAG_SCHEMA_NAME, DBR_ERRF_SCHEMA}};
    for (const auto& f : fields)
      if (const char* v = PQresultErrorField(r, f.pg); v != nullptr && *v != '\0') e.field(f.ours, v);
  }
  return e;
}

sdk::error pg_connection::unsent_error(std::string_view context) {
  // libpq's message says why (e.g. "server closed the connection unexpectedly").
  sdk::error e = error_for(nullptr, context);
  e.retry(DBR_RETRY_NEW_CONN).connection_broken();
  return e;
}

}  // namespace dbridge_postgres
