// SPDX-License-Identifier: Apache-2.0
// The MySQL / MariaDB connection: URL options, text commands (scripts,
// transactions), run-time options, cancel through KILL QUERY from a second
// connection; and the plugin's exported entry.
#include <errmsg.h>
#include <sys/socket.h>

#include <cerrno>
#include <charconv>
#include <chrono>
#include <cmath>
#include <cstring>
#include <string>

#include "my_plugin.hpp"

namespace dbridge_mysql {

namespace {

std::string_view text_option(const dbr_param& p) {
  if (p.value.type != DBR_TYPE_TEXT)
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT, std::string("mysql: URL option '") + p.key + "' must be text");
  return sdk::string_of(p.value);
}

// The MariaDB client counts these timeouts in whole seconds: a fraction is
// rounded up (0.5 waits 1 s), never down to 0, which would mean no limit.
unsigned seconds_option(std::string_view key, std::string_view v) {
  return static_cast<unsigned>(std::ceil(sdk::seconds_option("mysql", key, v)));
}

bool plain_word(std::string_view s) {
  if (s.empty() || s.size() > 64) return false;
  for (char c : s)
    if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '_')) return false;
  return true;
}

// MariaDB says so in its version string; MySQL servers set CLIENT_MYSQL.
bool is_mariadb(MYSQL* m) {
  const char* v = mysql_get_server_info(m);
  return v != nullptr && std::strstr(v, "MariaDB") != nullptr;
}

}  // namespace

// ------------------------------------------------------------ connecting
my_connection::my_connection(const dbr_url& url) {
  params_.host = url.host != nullptr ? url.host : "";
  params_.user = url.user != nullptr ? url.user : "";
  params_.password = url.password != nullptr ? url.password : "";
  params_.database = url.database != nullptr ? url.database : "";
  params_.port = url.port;

  std::string charset = "utf8mb4", ssl_mode = "preferred", ssl_ca, ssl_cert, ssl_key;
  std::vector<std::string> init_commands;
  for (const dbr_param& p : sdk::param_list(url.options, url.noptions)) {
    if (p.key == nullptr) continue;
    const std::string_view k = p.key;
    const std::string_view v = text_option(p);
    if (k == "charset") {
      if (!plain_word(v))
        throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "mysql: charset '" + std::string(v) + "' is not a charset name (e.g. utf8mb4)");
      charset = v;
    } else if (k == "ssl_mode" || k == "sslmode") {
      std::string m(v);
      for (char& c : m) c = c == '-' ? '_' : static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
      if (m != "disabled" && m != "preferred" && m != "required" && m != "verify_ca" && m != "verify_identity")
        throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "mysql: ssl_mode '" + std::string(v) +
                                                       "' is not one of disabled, preferred, required, verify_ca, "
                                                       "verify_identity");
      ssl_mode = m;
    } else if (k == "ssl_ca") {
      ssl_ca = v;
    } else if (k == "ssl_cert") {
      ssl_cert = v;
    } else if (k == "ssl_key") {
      ssl_key = v;
    } else if (k == "connect_timeout") {
      connect_timeout_ = seconds_option(k, v);
    } else if (k == "read_timeout") {
      read_timeout_ = seconds_option(k, v);
    } else if (k == "write_timeout") {
      write_timeout_ = seconds_option(k, v);
    } else if (k == "socket") {
      params_.socket = v;
    } else if (k == "init_command") {
      init_commands.emplace_back(v);
    } else if (k == "bulk") {
      if (v != "auto" && v != "array" && v != "multirow")
        throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "mysql: bulk '" + std::string(v) + "' is not one of auto, array, multirow");
      bulk_method_ = v;
    } else if (k == "zero_date") {
      if (v == "error") zero_date_ = zero_date_mode::error;
      else if (v == "null") zero_date_ = zero_date_mode::null;
      else if (v == "text") zero_date_ = zero_date_mode::text;
      else
        throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                         "mysql: zero_date '" + std::string(v) + "' is not one of error, null, text");
    } else {
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                       "mysql: unknown URL option '" + std::string(k) +
                           "'; the driver knows charset, ssl_mode, ssl_ca, ssl_cert, ssl_key, connect_timeout, "
                           "read_timeout, write_timeout, socket, init_command, bulk and zero_date");
    }
  }

  mysql_ = mysql_init(nullptr);
  if (mysql_ == nullptr) throw sdk::error(DBR_CAT_RESOURCE, "mysql: out of memory creating a connection");
  my_bool off = 0, on = 1;
  mysql_optionsv(mysql_, MYSQL_OPT_RECONNECT, &off);  // a silent reconnect would lose session state
  mysql_optionsv(mysql_, MYSQL_SET_CHARSET_NAME, charset.c_str());
  mysql_optionsv(mysql_, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout_);
  if (read_timeout_ != 0) mysql_optionsv(mysql_, MYSQL_OPT_READ_TIMEOUT, &read_timeout_);
  if (write_timeout_ != 0) mysql_optionsv(mysql_, MYSQL_OPT_WRITE_TIMEOUT, &write_timeout_);
  // TIMESTAMP columns read as UTC instants (my_plugin.hpp); user commands run after.
  mysql_optionsv(mysql_, MYSQL_INIT_COMMAND, "SET time_zone = '+00:00'");
  for (const std::string& c : init_commands) mysql_optionsv(mysql_, MYSQL_INIT_COMMAND, c.c_str());
  // The charset name was checked above to be a bare name.
  session_setup_ = "SET NAMES " + charset + "; SET time_zone = '+00:00'";
  for (const std::string& c : init_commands) session_setup_ += "; " + c;
  has_init_commands_ = !init_commands.empty();
  if (ssl_mode != "disabled") {
    if (!ssl_ca.empty()) mysql_optionsv(mysql_, MYSQL_OPT_SSL_CA, ssl_ca.c_str());
    if (!ssl_cert.empty()) mysql_optionsv(mysql_, MYSQL_OPT_SSL_CERT, ssl_cert.c_str());
    if (!ssl_key.empty()) mysql_optionsv(mysql_, MYSQL_OPT_SSL_KEY, ssl_key.c_str());
    if (ssl_mode == "required" || ssl_mode == "verify_ca" || ssl_mode == "verify_identity")
      mysql_optionsv(mysql_, MYSQL_OPT_SSL_ENFORCE, &on);
    my_bool verify = ssl_mode == "verify_ca" || ssl_mode == "verify_identity" ? 1 : 0;
    mysql_optionsv(mysql_, MYSQL_OPT_SSL_VERIFY_SERVER_CERT, &verify);
  }

  const char* host = params_.host.empty() ? (params_.socket.empty() ? "127.0.0.1" : "localhost") : params_.host.c_str();
  const unsigned long flags = CLIENT_MULTI_STATEMENTS | CLIENT_MULTI_RESULTS;
  const auto started = std::chrono::steady_clock::now();
  if (mysql_real_connect(mysql_, host, params_.user.empty() ? nullptr : params_.user.c_str(),
                         params_.password.c_str(), params_.database.empty() ? nullptr : params_.database.c_str(),
                         params_.port, params_.socket.empty() ? nullptr : params_.socket.c_str(), flags) == nullptr) {
    sdk::error e = error_for(mysql_errno(mysql_), mysql_sqlstate(mysql_), mysql_error(mysql_), "cannot connect");
    const bool auth = e.category() == DBR_CAT_AUTH;
    if (!auth && e.category() != DBR_CAT_NOT_FOUND) {
      // Whatever the number says, failing to connect is a connection error,
      // or a timeout when the server did not answer within connect_timeout
      // (the client reports that as a lost connection, errno ETIMEDOUT).
      const double waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
      const std::string_view text = mysql_error(mysql_);
      const bool timed_out = (connect_timeout_ > 0 && waited >= connect_timeout_ * 0.9) ||
                             text.find("(110)") != std::string_view::npos ||
                             text.find("timed out") != std::string_view::npos;
      sdk::error c(timed_out ? DBR_CAT_TIMEOUT : DBR_CAT_CONNECTION,
                   timed_out ? std::string(e.what()) + " (no answer within connect_timeout, " +
                                   std::to_string(connect_timeout_) +
                                   " s; is a MariaDB/MySQL server listening there? raise ?connect_timeout=)"
                             : std::string(e.what()));
      c.sqlstate("08001").retry(DBR_RETRY_NEW_CONN).connection_broken().native(mysql_errno(mysql_), native_domain);
      mysql_close(mysql_);
      mysql_ = nullptr;
      throw c;
    }
    mysql_close(mysql_);
    mysql_ = nullptr;
    throw e.connection_broken();
  }
  thread_id_ = mysql_thread_id(mysql_);
  if (has_init_commands_) {
    try {
      read_session_zone();
    } catch (...) {
      mysql_close(mysql_);
      mysql_ = nullptr;
      throw;
    }
  }
}

my_connection::~my_connection() {
  // Statements are finalized by the core before the connection closes.
  if (mysql_ != nullptr) mysql_close(mysql_);
}

// ------------------------------------------------------------ plumbing
void my_connection::settle(my_statement* self) {
  if (streaming_ != nullptr && streaming_ != self) streaming_->detach();
  if (streaming_ == nullptr) check_alive();
}

void my_connection::check_alive() {
  // An idle connection has nothing to read: an EOF, a reset or (without TLS,
  // whose own records may arrive unasked) any byte waiting here means the
  // server closed it (restart, wait_timeout, KILL). Finding out before
  // sending lets the caller retry on a new connection; after sending, the
  // outcome would be unknown. One non-blocking peek.
  const my_socket fd = mysql_get_socket(mysql_);
  if (fd == MARIADB_INVALID_SOCKET) return;  // no socket: Connector/C reports it itself (CR_SERVER_GONE_ERROR)
  char byte = 0;
  const ssize_t n = ::recv(fd, &byte, 1, MSG_PEEK | MSG_DONTWAIT);
  if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR)) return;
  if (n > 0 && mysql_get_ssl_cipher(mysql_) != nullptr) return;
  throw sdk::error(DBR_CAT_CONNECTION,
                   "mysql: the server closed the connection while it was idle; nothing was sent, open a new "
                   "connection")
      .sqlstate("08006")
      .retry(DBR_RETRY_NEW_CONN)
      .connection_broken()
      .native(CR_SERVER_GONE_ERROR, native_domain);
}

void my_connection::track_session_state() noexcept {
  // Name and value alternate in the list of changed system variables.
  const char* data = nullptr;
  std::size_t len = 0;
  if (mysql_session_track_get_first(mysql_, SESSION_TRACK_SYSTEM_VARIABLES, &data, &len) != 0) return;
  do {
    const std::string_view name(data, len);
    if (mysql_session_track_get_next(mysql_, SESSION_TRACK_SYSTEM_VARIABLES, &data, &len) != 0) return;
    if (name == "time_zone") zone_ = session_zone::parse({data, len});
  } while (mysql_session_track_get_next(mysql_, SESSION_TRACK_SYSTEM_VARIABLES, &data, &len) == 0);
}

void my_connection::read_session_zone() {
  const text_rows r = query_text("SELECT @@session.time_zone");
  if (r.nrows == 1 && r.ncols == 1 && r.present[0] != 0) zone_ = session_zone::parse(r.cells[0]);
}

void my_connection::drain_results(std::string_view context) {
  for (;;) {
    track_session_state();
    MYSQL_RES* r = mysql_store_result(mysql_);
    if (r != nullptr)
      mysql_free_result(r);
    else if (mysql_field_count(mysql_) != 0)
      raise(context);
    const int st = mysql_next_result(mysql_);
    if (st > 0) raise(context);
    if (st < 0) return;
  }
}

void my_connection::run(std::string_view sql, std::string_view context) {
  settle();
  clear_cancel();
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) raise(context);
  drain_results(context);
}

my_connection::text_rows my_connection::query_text(const std::string& sql) {
  settle();
  if (mysql_real_query(mysql_, sql.data(), sql.size()) != 0) raise("introspection");
  track_session_state();
  MYSQL_RES* r = mysql_store_result(mysql_);
  if (r == nullptr && mysql_field_count(mysql_) != 0) raise("introspection");
  text_rows out;
  if (r != nullptr) {
    out.ncols = mysql_num_fields(r);
    while (MYSQL_ROW row = mysql_fetch_row(r)) {
      const unsigned long* lens = mysql_fetch_lengths(r);
      for (std::size_t i = 0; i < out.ncols; ++i) {
        out.present.push_back(row[i] != nullptr ? 1 : 0);
        out.cells.emplace_back(row[i] != nullptr ? std::string(row[i], lens[i]) : std::string());
      }
      ++out.nrows;
    }
    mysql_free_result(r);
  }
  for (int st; (st = mysql_next_result(mysql_)) == 0;)
    if (MYSQL_RES* more = mysql_store_result(mysql_)) mysql_free_result(more);
  return out;
}

unsigned long long my_connection::max_allowed_packet() {
  if (max_allowed_packet_ == 0) {
    const text_rows r = query_text("SELECT @@max_allowed_packet");
    unsigned long long v = 0;
    if (r.nrows == 1 && r.ncols == 1 && r.present[0])
      std::from_chars(r.cells[0].data(), r.cells[0].data() + r.cells[0].size(), v);
    max_allowed_packet_ = v != 0 ? v : ~0ULL;  // unknown: let the server judge
  }
  return max_allowed_packet_;
}

std::string my_connection::quote(std::string_view value) {
  std::string out(value.size() * 2 + 3, '\0');
  out[0] = '\'';
  const unsigned long n = mysql_real_escape_string(mysql_, out.data() + 1, value.data(), value.size());
  out.resize(n + 1);
  out.push_back('\'');
  return out;
}

std::string my_connection::quote_ident(std::string_view name) {
  std::string out = "`";
  for (char c : name) {
    if (c == '`') out.push_back('`');
    out.push_back(c);
  }
  out.push_back('`');
  return out;
}

bool my_connection::bulk_supported() const noexcept {
  unsigned long caps = 0, ext = 0;
  mariadb_get_infov(mysql_, MARIADB_CONNECTION_SERVER_CAPABILITIES, &caps);
  mariadb_get_infov(mysql_, MARIADB_CONNECTION_EXTENDED_SERVER_CAPABILITIES, &ext);
  return (caps & CLIENT_MYSQL) == 0 && (ext & (MARIADB_CLIENT_STMT_BULK_OPERATIONS >> 32)) != 0;
}

// ------------------------------------------------------------ connection
void my_connection::ping() {
  settle();
  if (mysql_ping(mysql_) != 0) raise("ping");
}

// COM_RESET_CONNECTION: rolls back, drops temporary tables, releases
// GET_LOCK and table locks, clears user variables and resets session
// variables to the global defaults, and closes every server-side prepared
// statement (libmariadb invalidates the handles, so the core must drop its
// cached ones: DBR_RESET_STATEMENTS_DROPPED). What connect set on top of the
// defaults (charset, time zone, init_command) and the URL's database are then
// applied again.
std::uint32_t my_connection::reset_session() {
  settle();
  if (mysql_reset_connection(mysql_) != 0) raise("session reset (mysql_reset_connection)");
  if (!params_.database.empty() && mysql_select_db(mysql_, params_.database.c_str()) != 0)
    raise("session reset (selecting the URL's database)");
  run(session_setup_, "session reset (re-applying the URL's charset, time zone and init_command)");
  zone_ = session_zone{};
  if (has_init_commands_) read_session_zone();
  return DBR_RESET_STATEMENTS_DROPPED;
}

void my_connection::set_option(const char* key, const dbr_value& value) {
  const std::string_view k = key;
  if (k == "statement_timeout_ms" || k == "statement_timeout") {
    std::int64_t ms = -1;
    if (value.type == DBR_TYPE_INT64) ms = value.u.i64;
    if (value.type == DBR_TYPE_TEXT) {
      const std::string_view s = sdk::string_of(value);
      if (std::from_chars(s.data(), s.data() + s.size(), ms).ptr != s.data() + s.size()) ms = -1;
    }
    if (ms < 0)
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                       "mysql: statement_timeout_ms must be a whole number of milliseconds (0 = no timeout)");
    // MariaDB counts seconds (fractions allowed) for every statement; MySQL
    // milliseconds, for SELECT only.
    const std::string sql = is_mariadb(mysql_) ? "SET SESSION max_statement_time = " + std::to_string(ms / 1000) + "." +
                                                     std::to_string(1000 + ms % 1000).substr(1)
                                               : "SET SESSION max_execution_time = " + std::to_string(ms);
    run(sql, "SET statement timeout");
    return;
  }
  throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                   "mysql: unknown connection option '" + std::string(k) + "'; the driver knows statement_timeout_ms");
}

dbr_value my_connection::get_info(const char* key) {
  const std::string_view k = key;
  if (k == "server_version") {
    info_buf_ = mysql_get_server_info(mysql_);
    return sdk::make_text(info_buf_);
  }
  if (k == "database") {
    const char* db = nullptr;
    mariadb_get_infov(mysql_, MARIADB_CONNECTION_SCHEMA, &db);
    info_buf_ = db != nullptr ? db : "";
    return sdk::make_text(info_buf_);
  }
  if (k == "user") {
    info_buf_ = params_.user;
    return sdk::make_text(info_buf_);
  }
  if (k == "backend_pid" || k == "thread_id") return sdk::make_int64(static_cast<std::int64_t>(mysql_thread_id(mysql_)));
  return sdk::connection::get_info(key);
}

void my_connection::cancel_running() {
  cancel_requested_.store(true, std::memory_order_relaxed);
  // The blocked connection cannot carry the request: a second one kills the
  // query by thread id, which the server checks belongs to the same user.
  MYSQL* k = mysql_init(nullptr);
  if (k == nullptr) throw sdk::error(DBR_CAT_RESOURCE, "mysql: out of memory creating the cancel connection");
  my_bool off = 0;
  mysql_optionsv(k, MYSQL_OPT_RECONNECT, &off);
  mysql_optionsv(k, MYSQL_OPT_CONNECT_TIMEOUT, &connect_timeout_);
  const char* host = params_.host.empty() ? (params_.socket.empty() ? "127.0.0.1" : "localhost") : params_.host.c_str();
  bool ok = mysql_real_connect(k, host, params_.user.empty() ? nullptr : params_.user.c_str(), params_.password.c_str(),
                               nullptr, params_.port, params_.socket.empty() ? nullptr : params_.socket.c_str(), 0) !=
            nullptr;
  if (ok) {
    const std::string sql = "KILL QUERY " + std::to_string(thread_id_);
    ok = mysql_real_query(k, sql.data(), sql.size()) == 0;
  }
  if (!ok) {
    sdk::error e = error_for(mysql_errno(k), mysql_sqlstate(k), mysql_error(k), "cancel");
    mysql_close(k);
    throw e;
  }
  mysql_close(k);
}

// ------------------------------------------------------------ sql
void my_connection::execute_script(std::string_view sql) { run(sql, "script"); }

// ------------------------------------------------------------ transactions
void my_connection::begin(const dbr_txn_options& o) {
  const char* level = nullptr;
  switch (o.isolation) {
    case DBR_ISOLATION_READ_UNCOMMITTED: level = "READ UNCOMMITTED"; break;
    case DBR_ISOLATION_READ_COMMITTED: level = "READ COMMITTED"; break;
    case DBR_ISOLATION_REPEATABLE_READ: level = "REPEATABLE READ"; break;
    case DBR_ISOLATION_SERIALIZABLE: level = "SERIALIZABLE"; break;
    case DBR_ISOLATION_DEFAULT: break;
    default:
      throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "mysql: unknown isolation level " + std::to_string(o.isolation));
  }
  if (o.deferrable)
    throw sdk::error(DBR_CAT_UNSUPPORTED, "mysql: DEFERRABLE transactions are a PostgreSQL feature");
  // SET TRANSACTION (no SESSION) applies to the next transaction only; both
  // go in one round trip.
  std::string sql;
  if (level != nullptr) sql = std::string("SET TRANSACTION ISOLATION LEVEL ") + level + "; ";
  sql += o.read_only ? "START TRANSACTION READ ONLY" : "START TRANSACTION";
  run(sql, "BEGIN");
}

// Lost once sent, the transaction may or may not have been applied
// (CR_SERVER_LOST, my_errors.cpp); not sent, the server rolled it back.
void my_connection::commit() { run("COMMIT", "COMMIT"); }

void my_connection::rollback() { run("ROLLBACK", "ROLLBACK"); }
void my_connection::savepoint(const char* name) { run("SAVEPOINT " + std::string(name), "SAVEPOINT"); }
void my_connection::release_savepoint(const char* name) {
  run("RELEASE SAVEPOINT " + std::string(name), "RELEASE SAVEPOINT");
}
void my_connection::rollback_to_savepoint(const char* name) {
  run("ROLLBACK TO SAVEPOINT " + std::string(name), "ROLLBACK TO SAVEPOINT");
}

bool my_connection::in_transaction() {
  unsigned int status = 0;
  if (mariadb_get_infov(mysql_, MARIADB_CONNECTION_SERVER_STATUS, &status) != 0) raise("transaction status");
  return (status & SERVER_STATUS_IN_TRANS) != 0;
}

// ------------------------------------------------------------ driver
class my_driver final : public sdk::driver<my_connection> {
 public:
  static constexpr const char* schemes[] = {"mysql", "mariadb", nullptr};
  static constexpr sdk::plugin_info info{
      .id = DBRIDGE_PLUGIN_ID,
      .version = DBRIDGE_PLUGIN_VERSION,
      .threading = DBR_THREADING_PER_CONNECTION,
      .flags = DBR_PF_CANCEL_ANY_THREAD,  // cancel opens its own connection
      .schemes = schemes,
  };
  my_driver() {
    // Not thread-safe on its own: run once here, before any connection.
    if (mysql_library_init(0, nullptr, nullptr) != 0)
      throw sdk::error(DBR_CAT_INTERNAL, "mysql: Connector/C failed to initialise");
  }
  std::unique_ptr<my_connection> connect(const dbr_url& url) override { return std::make_unique<my_connection>(url); }
};

}  // namespace dbridge_mysql

DBRIDGE_SDK_DRIVER(dbridge_mysql::my_driver)
