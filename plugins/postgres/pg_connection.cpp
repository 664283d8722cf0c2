// SPDX-License-Identifier: Apache-2.0
// The PostgreSQL connection: connecting with the libpq URI as given,
// transactions, scripts, options, cancel and LISTEN/NOTIFY; and the plugin's
// exported entry.
#include <poll.h>
#include <sys/socket.h>

#include <algorithm>
#include <cerrno>
#include <cmath>
#include <charconv>
#include <chrono>
#include <cstring>
#include <set>
#include <string>
#include <thread>

#include <dbridge/sdk/placeholders.hpp>
#include <dbridge/sdk/session.hpp>

#include "pg_plugin.hpp"

namespace dbridge_postgres {

namespace {

// URL options this driver handles itself; libpq must not see them.
// connect_timeout is libpq's keyword too, but libpq takes whole seconds and
// raises 1 to 2: the driver counts the deadline itself (decimals allowed).
constexpr std::string_view own_options[] = {"statement_timeout", "connect_timeout", "read_timeout"};

std::string percent_decode(std::string_view s) {
  std::string out;
  for (std::size_t i = 0; i < s.size(); ++i) {
    if (s[i] == '%' && i + 2 < s.size()) {
      int v = 0;
      auto r = std::from_chars(s.data() + i + 1, s.data() + i + 3, v, 16);
      if (r.ec == std::errc() && r.ptr == s.data() + i + 3) {
        out.push_back(static_cast<char>(v));
        i += 2;
        continue;
      }
    }
    out.push_back(s[i] == '+' ? ' ' : s[i]);
  }
  return out;
}

// The URL without its query, for libpq, with the user and password the core
// parsed written back fully percent-encoded: libpq ends the userinfo at the
// first '@' where dbridge takes the last, so "u:p@ss@h" would otherwise send
// "ss@h" to the resolver, and echo part of the password in its error.
std::string libpq_base(std::string_view raw, const dbr_url& url) {
  std::string base(raw.substr(0, raw.find('?')));
  const std::size_t sep = base.find("://");
  if (sep == std::string::npos || (url.user == nullptr && url.password == nullptr)) return base;
  const std::size_t slash = base.find('/', sep + 3);
  const std::size_t at = base.substr(0, slash).rfind('@');
  if (at == std::string::npos || at < sep + 3) return base;
  auto encode = [](const char* s) {
    static const char hex[] = "0123456789ABCDEF";
    std::string out;
    for (const char* p = s; p != nullptr && *p != '\0'; ++p) {
      const auto c = static_cast<unsigned char>(*p);
      if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
          c == '_' || c == '~') {
        out.push_back(static_cast<char>(c));
      } else {
        out += {'%', hex[c >> 4], hex[c & 15]};
      }
    }
    return out;
  };
  std::string userinfo = encode(url.user);
  if (url.password != nullptr) userinfo += ":" + encode(url.password);
  return base.substr(0, sep + 3) + userinfo + base.substr(at);
}

std::set<std::string> libpq_keywords() {
  std::set<std::string> keys;
  if (PQconninfoOption* opts = PQconndefaults()) {
    for (PQconninfoOption* o = opts; o->keyword != nullptr; ++o) keys.insert(o->keyword);
    PQconninfoFree(opts);
  }
  return keys;
}

void on_notice(void*, const char* message) {
  std::string_view m = message != nullptr ? message : "";
  while (!m.empty() && m.back() == '\n') m.remove_suffix(1);
  sdk::log(DBR_LOG_INFO, m);
}

std::int64_t parse_ms(std::string_view key, const dbr_value& v) {
  std::int64_t ms = -1;
  if (v.type == DBR_TYPE_INT64) {
    ms = v.u.i64;
  } else if (v.type == DBR_TYPE_TEXT) {
    std::string_view s = sdk::string_of(v);
    auto r = std::from_chars(s.data(), s.data() + s.size(), ms);
    if (r.ec != std::errc() || r.ptr != s.data() + s.size()) ms = -1;
  }
  if (ms < 0 || ms > INT32_MAX)
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "postgres: option " + std::string(key) +
                                                   " must be a whole number of milliseconds (0 = no timeout)");
  return ms;
}

// What leaves a PostgreSQL session alone. Suspect anywhere: set_config()
// (SET by another name), advisory locks (session-level ones outlive the
// statement, even a failed one), temporary objects (CREATE TEMP, SELECT INTO
// TEMP, pg_temp), nextval/setval (currval and lastval are per session).
constexpr std::string_view pg_plain_words[] = {
    "SELECT", "WITH", "VALUES", "TABLE",  "INSERT", "UPDATE",   "DELETE",  "MERGE",   "COPY",  "SHOW",
    "EXPLAIN", "BEGIN", "START", "COMMIT", "END",  "ROLLBACK", "ABORT",   "SAVEPOINT", "RELEASE", "CREATE",
    "ALTER",  "DROP", "TRUNCATE", "COMMENT", "GRANT", "REVOKE",  "ANALYZE", "VACUUM",  "REFRESH"};
constexpr std::string_view pg_suspect_words[] = {"set_config", "advisory", "temp", "nextval", "setval"};
constexpr sdk::session_dialect pg_session_dialect{pg_plain_words, pg_suspect_words};

bool starts_with_prepare(std::string_view sql) noexcept {
  std::size_t i = 0;
  while (i < sql.size() && (sql[i] == ' ' || sql[i] == '\t' || sql[i] == '\n' || sql[i] == '\r')) ++i;
  return sdk::contains_ci(sql.substr(i, 7), "prepare");
}

}  // namespace

// ------------------------------------------------------------ session reset
// Two ways back to a fresh session. DISCARD ALL is the complete one, but its
// DEALLOCATE ALL also drops the statements this driver prepared (and the core
// caches), which then cost a Parse each on the next use. So unless the
// borrower ran a SQL-level PREPARE (only DEALLOCATE ALL removes those), the
// reset runs DISCARD ALL's other parts in one round trip and keeps them:
// CLOSE ALL (cursors), SET SESSION AUTHORIZATION DEFAULT and RESET ALL
// (settings and role: back to the startup packet's, i.e. the URL's),
// UNLISTEN *, pg_advisory_unlock_all(), DISCARD TEMP, DISCARD SEQUENCES.
// DISCARD PLANS is left out: plans hold no user-visible state, and the server
// re-plans by itself when search_path or a table they use changes.
std::uint32_t pg_connection::reset_session() {
  settle();
  std::uint32_t flags = 0;
  if (sql_prepared_) {
    simple("DISCARD ALL", "session reset (DISCARD ALL)");  // refuses to run in a multi-statement string
    ++generation_;
    pending_dealloc_.clear();
    flags |= DBR_RESET_STATEMENTS_DROPPED;
  } else {
    simple("CLOSE ALL; SET SESSION AUTHORIZATION DEFAULT; RESET ALL; UNLISTEN *; "
           "SELECT pg_advisory_unlock_all(); DISCARD TEMP; DISCARD SEQUENCES",
           "session reset");
  }
  sql_prepared_ = false;
  timeout_ms_ = 0;
  if (url_timeout_ms_ >= 0) set_option("statement_timeout_ms", sdk::make_int64(url_timeout_ms_));
  return flags;
}

// ------------------------------------------------------------ connecting
pg_connection::pg_connection(const dbr_url& url) {
  if (url.raw == nullptr || *url.raw == '\0')
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "postgres: the core passed no URL");

  // Options the core already consumed (pool settings...) are in raw but not
  // in url.options: they are dropped quietly. An option neither we nor libpq
  // know, that the core passed on, is the caller's mistake.
  const std::set<std::string> known = libpq_keywords();
  std::set<std::string> passed;
  for (const dbr_param& p : sdk::param_list(url.options, url.noptions))
    if (p.key != nullptr) passed.insert(p.key);
  std::string_view raw = url.raw;
  std::string cleaned = libpq_base(raw, url);
  std::int64_t timeout = -1;
  double connect_timeout = sdk::default_connect_timeout_s;
  if (std::size_t q = raw.find('?'); q != std::string_view::npos) {
    std::string_view rest = raw.substr(q + 1);
    if (std::size_t h = rest.find('#'); h != std::string_view::npos) rest = rest.substr(0, h);
    char sep = '?';
    while (!rest.empty()) {
      std::size_t amp = rest.find('&');
      std::string_view item = rest.substr(0, amp);
      rest = amp == std::string_view::npos ? std::string_view() : rest.substr(amp + 1);
      if (item.empty()) continue;
      const std::string key = percent_decode(item.substr(0, item.find('=')));
      const bool ours = std::find(std::begin(own_options), std::end(own_options), key) != std::end(own_options);
      if (ours) {
        std::string value = item.find('=') == std::string_view::npos ? "" : percent_decode(item.substr(item.find('=') + 1));
        if (key == "connect_timeout")
          connect_timeout = sdk::seconds_option("postgres", key, value);
        else if (key == "read_timeout") {
          read_timeout_s_ = sdk::seconds_option("postgres", key, value);
          awaits_reads_ = read_timeout_s_ > 0;
        } else
          timeout = parse_ms(key, sdk::make_text(value));
        continue;
      }
      if (known.count(key) == 0) {
        if (passed.count(key) != 0)
          throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                           "postgres: unknown URL option '" + key +
                               "'; use a libpq connection parameter (sslmode, connect_timeout, application_name, "
                               "options, target_session_attrs...), connect_timeout, read_timeout or "
                               "statement_timeout");
        continue;
      }
      cleaned.push_back(sep);
      cleaned.append(item);
      sep = '&';
    }
  }

  open(cleaned, connect_timeout);
  PQsetNoticeProcessor(conn_, &on_notice, nullptr);
  cancel_ = PQgetCancel(conn_);
  url_timeout_ms_ = timeout;
  if (timeout >= 0) {
    try {
      set_option("statement_timeout_ms", sdk::make_int64(timeout));
    } catch (...) {
      PQfreeCancel(cancel_);
      PQfinish(conn_);
      throw;
    }
  }
}

void pg_connection::open(const std::string& conninfo, double connect_timeout) {
  // PQconnectStart + PQconnectPoll: the whole connect (TCP, TLS, startup,
  // authentication, every host of a multi-host URL) runs against one
  // deadline, in fractions of a second.
  const sdk::deadline until = sdk::deadline::after(connect_timeout);
  conn_ = PQconnectStart(conninfo.c_str());
  if (conn_ == nullptr) throw sdk::error(DBR_CAT_RESOURCE, "postgres: out of memory creating a connection");
  PostgresPollingStatusType st = PGRES_POLLING_WRITING;
  bool timed_out = false;
  while (PQstatus(conn_) != CONNECTION_BAD && st != PGRES_POLLING_OK && st != PGRES_POLLING_FAILED) {
    pollfd pfd{PQsocket(conn_), static_cast<short>(st == PGRES_POLLING_READING ? POLLIN : POLLOUT), 0};
    if (pfd.fd < 0) break;
    const int rc = ::poll(&pfd, 1, until.poll_ms());
    if (rc == 0) {
      timed_out = true;
      break;
    }
    if (rc < 0) {
      if (errno == EINTR) continue;
      break;
    }
    st = PQconnectPoll(conn_);
  }
  if (!timed_out && PQstatus(conn_) == CONNECTION_OK) return;

  const std::string where = std::string(PQhost(conn_) != nullptr ? PQhost(conn_) : "") + ":" +
                            (PQport(conn_) != nullptr ? PQport(conn_) : "");
  std::string msg = PQerrorMessage(conn_);
  while (!msg.empty() && (msg.back() == '\n' || msg.back() == ' ')) msg.pop_back();
  const bool auth = !timed_out && (PQconnectionNeedsPassword(conn_) || msg.find("authentication failed") != std::string::npos ||
                                   msg.find("no password supplied") != std::string::npos ||
                                   msg.find("role \"") != std::string::npos);
  PQfinish(conn_);
  conn_ = nullptr;
  if (timed_out)
    throw sdk::error(DBR_CAT_TIMEOUT, "postgres: cannot connect: no answer from " + where + " within connect_timeout (" +
                                          sdk::seconds_text(connect_timeout) +
                                          "); is a PostgreSQL server listening there? (raise ?connect_timeout=)")
        .sqlstate("08001")
        .retry(DBR_RETRY_NEW_CONN)
        .connection_broken()
        .native(0, native_domain);
  throw sdk::error(auth ? DBR_CAT_AUTH : DBR_CAT_CONNECTION, "postgres: cannot connect: " + msg)
      .sqlstate(auth ? "28P01" : "08001")
      .retry(auth ? DBR_RETRY_NONE : DBR_RETRY_NEW_CONN)
      .connection_broken()
      .native(0, native_domain);
}

pg_connection::~pg_connection() {
  batch_rows_.reset();
  if (last_notify_ != nullptr) PQfreemem(last_notify_);
  if (cancel_ != nullptr) PQfreeCancel(cancel_);
  PQfinish(conn_);
}

// ------------------------------------------------------------ plumbing
void pg_connection::settle_slow(pg_statement* self) {
  if (!out_of_step_.empty())  // nothing is sent: safe to run again on a new connection
    throw sdk::error(DBR_CAT_CONNECTION, out_of_step_).retry(DBR_RETRY_NEW_CONN).connection_broken().native(0, native_domain);
  if (in_batch_)
    throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: a pipeline (batch) is open on this connection; end it first");
  if (streaming_ != nullptr && streaming_ != self) streaming_->detach();
  clear_cancel_flag();
  if (streaming_ == nullptr) check_alive();
}

void pg_connection::check_alive_slow(int fd) {
  // An idle connection has nothing to read. Bytes or an EOF waiting here mean
  // the server is gone or going (a restart, an idle or admin termination
  // sends FATAL and closes): finding out now, before sending, lets the
  // caller retry on a new connection, where a loss discovered after sending
  // would leave the outcome unknown. check_alive polled once without waiting.
  if (fd < 0) throw unsent_error("the connection is closed");
  // A notification or parameter change is fine; a FATAL then EOF is not.
  if (PQconsumeInput(conn_) != 1 || PQstatus(conn_) == CONNECTION_BAD)
    throw unsent_error("the server closed the connection while it was idle, before the statement was sent");
}

result_ptr pg_connection::send_and_finish(const char* sql, std::string_view context) {
  if (PQsendQuery(conn_, sql) != 1) throw unsent_error(context);
  return finish_command(context);
}

void pg_connection::forget_statement(pg_statement* s, const std::string& name, std::uint64_t generation) noexcept {
  if (streaming_ == s) streaming_ = nullptr;
  if (generation != generation_) return;  // the server dropped it already
  try {
    pending_dealloc_.push_back(name);
  } catch (...) {
    // A leaked server-side statement only costs server memory until close.
  }
}

void pg_connection::flush_deallocations() {
  // Batched: one round trip frees many statements (libpq 15 has no
  // PQclosePrepared).
  if (pending_dealloc_.size() < 16) return;
  std::string sql;
  for (const std::string& n : pending_dealloc_) sql += "DEALLOCATE " + n + ";";
  pending_dealloc_.clear();
  send_and_finish(sql.c_str(), "DEALLOCATE");
}

result_ptr pg_connection::exec(const char* sql, std::span<const char* const> params, int result_format) {
  settle();
  if (PQsendQueryParams(conn_, sql, static_cast<int>(params.size()), nullptr, params.data(), nullptr, nullptr,
                        result_format) != 1)
    throw unsent_error({});
  return finish_command({});
}

void pg_connection::simple(const char* sql, std::string_view context) {
  settle();
  send_and_finish(sql, context);
}

void pg_connection::leave_copy(ExecStatusType st) noexcept {
  if (st == PGRES_COPY_OUT) {
    char* buf = nullptr;
    while (get_copy_data(&buf) > 0) PQfreemem(buf);
    return;
  }
  // COPY IN (or BOTH): the server waits for data; failing the COPY makes it
  // answer with an error, which the caller reads and drops.
  PQputCopyEnd(conn_, "dbridge: COPY ... FROM STDIN runs through dbridge::copy_in, not execute() or query()");
}

result_ptr pg_connection::finish_command(std::string_view context) {
  result_ptr last, failed;
  ExecStatusType copy = PGRES_EMPTY_QUERY;
  while (PGresult* p = get_result()) {
    result_ptr r(p);
    const ExecStatusType st = r.status();
    // libpq answers COPY state on every call until the copy ends: without
    // leaving it, this loop would never end.
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) {
      copy = st;
      leave_copy(st);
      continue;
    }
    if ((st == PGRES_FATAL_ERROR || st == PGRES_BAD_RESPONSE) && failed.get() == nullptr)
      failed = std::move(r);
    else
      last = std::move(r);
    if (PQstatus(conn_) == CONNECTION_BAD) break;
  }
  if (copy != PGRES_EMPTY_QUERY && PQstatus(conn_) == CONNECTION_OK)
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                     copy == PGRES_COPY_OUT
                         ? "postgres: COPY ... TO STDOUT cannot run through execute() or query(): read it with "
                           "dbridge::copy_out (its output was discarded)"
                         : "postgres: COPY ... FROM STDIN cannot run through execute() or query(): send the rows "
                           "with dbridge::copy_in (the COPY was aborted; nothing was copied)")
        .native(0, native_domain);
  if (failed.get() != nullptr) raise(failed.get(), context);
  if (last.get() == nullptr && PQstatus(conn_) == CONNECTION_BAD) raise(nullptr, context);
  return last;
}

// ------------------------------------------------------------ read timeout
void pg_connection::on_read_timeout() noexcept {
  read_timed_out_ = true;
  awaits_reads_ = false;
  // The cancel request is a connection of its own, which a silent server
  // could hold as long as this one: it runs on its own thread, which frees it.
  if (PGcancel* c = PQgetCancel(conn_)) {
    try {
      std::thread([c] {
        char buf[256];
        PQcancel(c, buf, sizeof buf);
        PQfreeCancel(c);
      }).detach();
    } catch (...) {
      PQfreeCancel(c);
    }
  }
  // libpq then reads end-of-file and marks the connection bad.
  ::shutdown(PQsocket(conn_), SHUT_RDWR);
}

void pg_connection::await_input() noexcept {
  const int ms = static_cast<int>(std::ceil(read_timeout_s_ * 1000));
  while (PQisBusy(conn_) == 1 && PQstatus(conn_) == CONNECTION_OK) {
    pollfd pfd{PQsocket(conn_), POLLIN, 0};
    if (pfd.fd < 0) return;
    const int rc = ::poll(&pfd, 1, ms);
    if (rc == 0) {
      on_read_timeout();
      return;
    }
    if (rc < 0 && errno == EINTR) continue;
    if (rc < 0 || PQconsumeInput(conn_) != 1) return;  // PQgetResult reports it
  }
}


result_ptr pg_connection::collect() {
  // As PQexec: the last result, but the first error wins; stops at COPY.
  result_ptr last;
  while (PGresult* p = get_result()) {
    result_ptr r(p);
    const bool failed = last.get() != nullptr && last.status() == PGRES_FATAL_ERROR;
    if (!failed) last = std::move(r);
    const ExecStatusType st = last.status();
    if (st == PGRES_COPY_IN || st == PGRES_COPY_OUT || st == PGRES_COPY_BOTH) break;
    if (PQstatus(conn_) == CONNECTION_BAD) break;
  }
  return last;
}

result_ptr pg_connection::blocking_exec(const char* sql) {
  if (read_timeout_s_ <= 0) return result_ptr(PQexec(conn_, sql));
  if (PQsendQuery(conn_, sql) != 1) return result_ptr();
  return collect();
}

result_ptr pg_connection::blocking_exec(const char* sql, int nparams, const char* const* values, int result_format) {
  if (read_timeout_s_ <= 0)
    return result_ptr(PQexecParams(conn_, sql, nparams, nullptr, values, nullptr, nullptr, result_format));
  if (PQsendQueryParams(conn_, sql, nparams, nullptr, values, nullptr, nullptr, result_format) != 1) return result_ptr();
  return collect();
}

int pg_connection::get_copy_data(char** out) noexcept {
  if (read_timeout_s_ <= 0 || read_timed_out_) return PQgetCopyData(conn_, out, 0);
  const int ms = static_cast<int>(std::ceil(read_timeout_s_ * 1000));
  for (;;) {
    const int n = PQgetCopyData(conn_, out, 1);
    if (n != 0) return n;
    pollfd pfd{PQsocket(conn_), POLLIN, 0};
    const int rc = pfd.fd < 0 ? -1 : ::poll(&pfd, 1, ms);
    if (rc == 0) on_read_timeout();
    if (rc == 0 || (rc < 0 && errno != EINTR) || PQconsumeInput(conn_) != 1) return PQgetCopyData(conn_, out, 0);
  }
}

const pg_connection::type_info& pg_connection::describe_type(Oid t) {
  auto it = types_.find(t);
  if (it != types_.end()) return it->second;
  type_info info;
  if (const char* b = builtin_name(t)) {
    info.name = b;
  } else {
    const std::string s = std::to_string(t);
    const char* params[] = {s.c_str()};
    result_ptr r = blocking_exec(
        "SELECT format_type($1::oid, NULL), p.proname IN ('textsend', 'varcharsend', 'bpcharsend', 'namesend', "
        "'enum_send', 'xml_send', 'citextsend') FROM pg_type t LEFT JOIN pg_proc p ON p.oid = t.typsend "
        "WHERE t.oid = $1::oid",
        1, params, 0);
    const bool found = r.status() == PGRES_TUPLES_OK && PQntuples(r.get()) == 1;
    info.name = found ? PQgetvalue(r.get(), 0, 0) : "oid " + s;
    info.sends_text = found && PQgetvalue(r.get(), 0, 1)[0] == 't';
  }
  return types_.emplace(t, std::move(info)).first->second;
}

const std::string& pg_connection::type_name(Oid t) { return describe_type(t).name; }

bool pg_connection::sends_text(Oid t) { return describe_type(t).sends_text; }

session_zone& pg_connection::zone() {
  zone_.follow(PQparameterStatus(conn_, "TimeZone"));
  return zone_;
}

std::string pg_connection::quote_ident(std::string_view name) {
  // PQescapeIdentifier stops at a NUL: "b\0c" would name "b".
  refuse_nul(name, "the name \"" + std::string(name.substr(0, name.find('\0'))) + "\\0...\"",
             "remove the NUL byte from the name");
  char* q = PQescapeIdentifier(conn_, name.data(), name.size());
  if (q == nullptr)
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "postgres: cannot quote identifier: " + std::string(PQerrorMessage(conn_)));
  std::string out(q);
  PQfreemem(q);
  return out;
}

// ------------------------------------------------------------ connection
void pg_connection::ping() {
  settle();
  send_and_finish("", "ping");
}

void pg_connection::set_option(const char* key, const dbr_value& value) {
  const std::string_view k = key;
  if (k == "statement_timeout_ms" || k == "statement_timeout") {
    const std::int64_t ms = parse_ms(k, value);
    const std::string sql = "SET statement_timeout = " + std::to_string(ms);
    simple(sql.c_str(), "SET statement_timeout");
    timeout_ms_ = ms;
    return;
  }
  throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                   "postgres: unknown connection option '" + std::string(k) + "'; the driver knows statement_timeout_ms");
}

dbr_value pg_connection::get_info(const char* key) {
  const std::string_view k = key;
  if (k == "server_version") {
    const char* v = PQparameterStatus(conn_, "server_version");
    info_buf_ = v != nullptr ? v : std::to_string(PQserverVersion(conn_));
    return sdk::make_text(info_buf_);
  }
  if (k == "database") {
    info_buf_ = PQdb(conn_);
    return sdk::make_text(info_buf_);
  }
  if (k == "user") {
    info_buf_ = PQuser(conn_);
    return sdk::make_text(info_buf_);
  }
  if (k == "backend_pid") return sdk::make_int64(PQbackendPID(conn_));
  return sdk::connection::get_info(key);
}

void pg_connection::cancel_running() {
  cancel_requested_.store(true, std::memory_order_relaxed);
  char buf[256] = {};
  if (cancel_ == nullptr || PQcancel(cancel_, buf, sizeof buf) == 0)
    throw sdk::error(DBR_CAT_CONNECTION, std::string("postgres: cancel request failed: ") + buf)
        .native(0, native_domain);
}

// ------------------------------------------------------------ sql
std::string pg_connection::next_statement_name() { return "dbr_s" + std::to_string(++next_stmt_); }

result_ptr pg_connection::parse(const std::string& name, const std::string& text) {
  // Parse and Describe in one round trip.
  if (PQenterPipelineMode(conn_) != 1) throw unsent_error("prepare");
  const bool sent = PQsendPrepare(conn_, name.c_str(), text.c_str(), 0, nullptr) == 1 &&
                    PQsendDescribePrepared(conn_, name.c_str()) == 1 && PQpipelineSync(conn_) == 1;
  result_ptr prep, desc, failed;
  int nulls = 0;
  if (sent) {
    for (;;) {
      PGresult* p = get_result();
      if (p == nullptr) {
        if (PQstatus(conn_) == CONNECTION_BAD || ++nulls > 2) break;
        continue;
      }
      result_ptr r(p);
      const ExecStatusType st = r.status();
      if (st == PGRES_PIPELINE_SYNC) break;
      if (st == PGRES_FATAL_ERROR && failed.get() == nullptr)
        failed = std::move(r);
      else if (prep.get() == nullptr)
        prep = std::move(r);
      else if (desc.get() == nullptr)
        desc = std::move(r);
    }
  }
  // Still in pipeline mode, the next command would be queued without a Sync and never answered.
  if (PQexitPipelineMode(conn_) != 1 && PQstatus(conn_) != CONNECTION_BAD)
    lose_step("prepare", "libpq would not leave the pipeline of Parse and Describe");
  if (!sent) throw unsent_error("prepare");
  if (failed.get() != nullptr || desc.get() == nullptr || desc.status() != PGRES_COMMAND_OK) {
    sdk::error e = error_for(failed.get(), "prepare");
    // Parse and Describe change no data: lost or not, running them again is safe.
    if (PQstatus(conn_) == CONNECTION_BAD) e.retry(DBR_RETRY_NEW_CONN);
    throw e;
  }
  return desc;
}

std::unique_ptr<sdk::statement> pg_connection::prepare(std::string_view sql, std::uint32_t flags) {
  (void)flags;  // every statement is named: cached or not, it may outlive the next prepare
  // The server would count more parameters than the protocol's 16 bits
  // describe, and the connection would lose its place in the stream.
  const sdk::placeholder_plan plan =
      sdk::translate_placeholders(sql, sdk::postgres_lexis, sdk::native_placeholder::dollar, "postgres");
  check_param_count(plan.nparams, true);
  settle();
  flush_deallocations();
  const std::string text(plan.sql(sql));
  std::string name = next_statement_name();
  result_ptr desc = parse(name, text);
  auto s = std::make_unique<pg_statement>(*this, std::move(name), text, desc.get());
  s->set_session_effect(sdk::sql_changes_session(sql, pg_session_dialect), starts_with_prepare(sql));
  return s;
}

void pg_connection::execute_script(std::string_view sql) {
  settle();
  if (sdk::contains_ci(sql, "prepare")) sql_prepared_ = true;
  const std::string text(sql);
  if (PQsendQuery(conn_, text.c_str()) != 1) throw unsent_error("script");
  finish_command("script");
}

// ------------------------------------------------------------ transactions
void pg_connection::begin(const dbr_txn_options& o) {
  std::string sql = "BEGIN";
  switch (o.isolation) {
    case DBR_ISOLATION_READ_UNCOMMITTED: sql += " ISOLATION LEVEL READ UNCOMMITTED"; break;
    case DBR_ISOLATION_READ_COMMITTED: sql += " ISOLATION LEVEL READ COMMITTED"; break;
    case DBR_ISOLATION_REPEATABLE_READ: sql += " ISOLATION LEVEL REPEATABLE READ"; break;
    case DBR_ISOLATION_SERIALIZABLE: sql += " ISOLATION LEVEL SERIALIZABLE"; break;
    case DBR_ISOLATION_DEFAULT: break;
    default:
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "postgres: unknown isolation level " + std::to_string(o.isolation));
  }
  if (o.read_only) sql += " READ ONLY";
  if (o.deferrable) sql += " DEFERRABLE";
  simple(sql.c_str(), "BEGIN");
}

void pg_connection::commit() {
  settle();
  // Lost once sent, the transaction may or may not have been applied
  // (error_for's rule); lost before, the server rolled it back.
  result_ptr r = send_and_finish("COMMIT", "COMMIT");
  if (r.get() != nullptr && std::strcmp(PQcmdStatus(r.get()), "ROLLBACK") == 0)
    throw sdk::error(DBR_CAT_INVALID_STATE,
                     "postgres: COMMIT rolled the transaction back because an earlier statement in it failed")
        .sqlstate("25P02")
        .native(0, native_domain);
}

void pg_connection::rollback() { simple("ROLLBACK", "ROLLBACK"); }

void pg_connection::savepoint(const char* name) { simple(("SAVEPOINT " + std::string(name)).c_str(), "SAVEPOINT"); }
void pg_connection::release_savepoint(const char* name) {
  simple(("RELEASE SAVEPOINT " + std::string(name)).c_str(), "RELEASE SAVEPOINT");
}
void pg_connection::rollback_to_savepoint(const char* name) {
  simple(("ROLLBACK TO SAVEPOINT " + std::string(name)).c_str(), "ROLLBACK TO SAVEPOINT");
}

bool pg_connection::in_transaction() {
  PGTransactionStatusType st = PQtransactionStatus(conn_);
  if (st == PQTRANS_ACTIVE && streaming_ != nullptr && !in_batch_) {
    // A result is still streaming; the answer is behind it.
    streaming_->detach();
    st = PQtransactionStatus(conn_);
  }
  return st == PQTRANS_INTRANS || st == PQTRANS_INERROR;
}

// ------------------------------------------------------------ notify
void pg_connection::listen(std::string_view channel, std::uint32_t flags) {
  if (flags & DBR_LISTEN_PATTERN) sdk::unsupported("postgres", "pattern subscriptions (LISTEN takes exact channel names)");
  simple(("LISTEN " + quote_ident(channel)).c_str(), "LISTEN");
}

void pg_connection::unlisten(std::string_view channel, std::uint32_t flags) {
  if (flags & DBR_LISTEN_PATTERN) sdk::unsupported("postgres", "pattern subscriptions (LISTEN takes exact channel names)");
  simple(channel.empty() || channel == "*" ? "UNLISTEN *" : ("UNLISTEN " + quote_ident(channel)).c_str(), "UNLISTEN");
}

void pg_connection::notify_channel(std::string_view channel, std::string_view payload) {
  // Both travel as C strings: cut at a NUL, "a\0secret" would notify "a".
  const char* hint = "remove the NUL byte (encode binary payloads, e.g. as base64)";
  refuse_nul(channel, "the channel name", hint);
  refuse_nul(payload, "the payload", hint);
  const std::string ch(channel), pl(payload);
  const char* params[] = {ch.c_str(), pl.c_str()};
  exec("SELECT pg_notify($1, $2)", params);
}

bool pg_connection::wait(std::int64_t timeout_ms, dbr_notification& out) {
  settle();
  if (last_notify_ != nullptr) {
    PQfreemem(last_notify_);
    last_notify_ = nullptr;
  }
  using clock = std::chrono::steady_clock;
  const auto deadline = clock::now() + std::chrono::milliseconds(timeout_ms < 0 ? 0 : timeout_ms);
  for (;;) {
    if (PQconsumeInput(conn_) != 1) throw unsent_error("waiting for notifications");
    if (PGnotify* n = PQnotifies(conn_)) {
      last_notify_ = n;
      out.channel = n->relname;
      out.channel_len = std::strlen(n->relname);
      out.payload = n->extra != nullptr ? n->extra : "";
      out.payload_len = std::strlen(out.payload);
      out.pattern = nullptr;
      out.pattern_len = 0;
      out.sender_pid = n->be_pid;
      return true;
    }
    int wait_ms = -1;
    if (timeout_ms >= 0) {
      const auto left = std::chrono::duration_cast<std::chrono::milliseconds>(deadline - clock::now()).count();
      if (left <= 0) return false;
      wait_ms = static_cast<int>(left > INT32_MAX ? INT32_MAX : left);
    }
    pollfd pfd{PQsocket(conn_), POLLIN, 0};
    if (pfd.fd < 0) throw unsent_error("waiting for notifications");
    const int rc = ::poll(&pfd, 1, wait_ms);
    if (rc < 0 && errno != EINTR)
      throw sdk::error(DBR_CAT_CONNECTION, std::string("postgres: poll failed: ") + std::strerror(errno));
  }
}

}  // namespace dbridge_postgres

