// SPDX-License-Identifier: Apache-2.0
// The C API's connections, statements, transactions, commands and
// notifications.
#include <chrono>


#include <dbridge/abi.h>

#include "../connection_impl.hpp"
#include "../logging.hpp"
#include "capi_internal.hpp"
#include "capi_result.hpp"  // dbridge_result, for freeing a connection's spare

using namespace dbridge;
using namespace dbridge::capi;

struct dbridge_stmt : capi_child {
  std::optional<statement> st;
};
struct dbridge_tx : capi_child {
  std::optional<transaction> tx;
};
struct dbridge_listener : capi_child {
  std::optional<listener> l;
};
struct dbridge_reply {
  std::uint32_t magic = reply_magic;
  bool root = true;
  reply r;
  std::vector<dbridge_reply> elements;  ///< r.elements, mirrored for borrowing
};
struct dbridge_notification {
  std::uint32_t magic = notification_magic;
  notification n;
};

namespace dbridge::inline v1::capi {

void close_children(dbridge_conn* c) noexcept {
  while (c->children != nullptr) {
    capi_child* child = c->children;
    disown(child);
    child->detach(child);
  }
}

int32_t check(const dbridge_conn* c, dbridge_error** err) noexcept {
  if (c == nullptr || c->magic != conn_magic) return bad_argument(err, "not a connection handle");
  if (c->conn == nullptr) return closed(err, "the connection");
  return 0;
}

}  // namespace dbridge::capi

namespace {

[[gnu::cold, gnu::noinline]] int32_t stmt_refused(const dbridge_stmt* s, dbridge_error** err) noexcept {
  if (s == nullptr || s->magic != stmt_magic) return bad_argument(err, "not a statement handle");
  return closed(err, "the statement");
}
// Inline, its failures out of line: it runs on every statement call.
inline int32_t check_stmt(const dbridge_stmt* s, dbridge_error** err) noexcept {
  if (s != nullptr && s->magic == stmt_magic && s->st) [[likely]] return 0;
  return stmt_refused(s, err);
}
int32_t check_tx(const dbridge_tx* t, dbridge_error** err) noexcept {
  if (t == nullptr || t->magic != tx_magic) return bad_argument(err, "not a transaction handle");
  if (!t->tx) return closed(err, "the transaction's connection");
  return 0;
}
int32_t check_listener(const dbridge_listener* l, dbridge_error** err) noexcept {
  if (l == nullptr || l->magic != listener_magic) return bad_argument(err, "not a listener handle");
  if (!l->l) return closed(err, "the listener");
  return 0;
}

void remember(dbridge_conn* c, const exec_result& r) noexcept {
  c->last_id = r.last_insert_id;
  c->last_id_u64 = r.last_insert_id_u64;
}

void mirror(dbridge_reply& node) {
  node.elements.resize(node.r.elements.size());
  for (std::size_t i = 0; i < node.r.elements.size(); ++i) {
    node.elements[i].root = false;
    node.elements[i].r = std::move(node.r.elements[i]);
    mirror(node.elements[i]);
  }
  node.r.elements.clear();
}

bool is_reply(const dbridge_reply* r) noexcept { return r != nullptr && r->magic == reply_magic; }
bool is_notification(const dbridge_notification* n) noexcept { return n != nullptr && n->magic == notification_magic; }

}  // namespace

int32_t dbridge_connect(const char* url, uint64_t url_len, const char* const* option_keys,
                        const char* const* option_values, uint32_t option_count, dbridge_conn** out,
                        dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  if (url == nullptr) return bad_argument(err, "url is NULL");
  return guard(err, [&] {
    connect_options opts;
    each_option(option_keys, option_values, option_count, [&](std::string_view k, std::string_view v) {
      if (k == "opened_by") opts.opened_by = v;
      else if (k == "statement_cache_size") opts.statement_cache_size = number_option<std::size_t>(k, v);
      else throw_error(errc::invalid_argument, "unknown connect option '" + std::string(k) +
                                                   "' (known: opened_by, statement_cache_size; driver settings go in the URL)");
    });
    auto h = std::make_unique<dbridge_conn>();
    h->own.emplace(connect(text(url, url_len), opts));
    h->conn = &*h->own;
    *out = h.release();
    return DBRIDGE_OK;
  });
}

namespace dbridge::inline v1::capi {

/// The thread rule's second thread, for closing: another thread is inside a
/// call on c (a listener's wait, a query) and still reads the connection and
/// its children, so closing them under it would free what it uses. The
/// closer gets the invalid_state error any second call gets (call_guard).
int32_t refuse_during_call(const dbridge_conn* c, dbridge_error** err) noexcept {
  if (c == nullptr || c->conn == nullptr || !c->conn->is_open()) return 0;
  const detail::connection_impl& impl = detail::impl_of(*c->conn);
  if (!impl.busy.load(std::memory_order_acquire)) return 0;
  return guard(err, [&]() -> int32_t { impl.concurrent(); });
}

/// For the close and free functions that cannot report: the refusal is
/// logged, and the connection (or listener) and its handle are left as they
/// are, a leak rather than memory freed under the other thread.
bool refused_silently(const dbridge_conn* c, const char* what) noexcept {
  dbridge_error* e = nullptr;
  if (refuse_during_call(c, &e) == 0) return false;
  try {
    detail::log_line(DBR_LOG_ERROR, "dbridge",
                     std::string(what) + " refused: " + e->info.message +
                         "; it is left open (dbridge_conn_try_close reports this as an error)");
  } catch (...) {
  }
  dbridge_error_free(e);
  return true;
}

}  // namespace dbridge::capi

namespace {

void close_now(dbridge_conn* c) noexcept {
  close_children(c);
  c->conn = nullptr;
  try {
    if (c->own) c->own->close();
  } catch (...) {
    // close() of a broken connection may report; the handle is closed either way.
  }
  c->own.reset();
  c->pooled.release();
  std::string().swap(c->encoded_reply);
}

}  // namespace

int32_t dbridge_conn_try_close(dbridge_conn* c, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (c == nullptr || c->magic != conn_magic) return bad_argument(err, "not a connection handle");
  if (c->conn == nullptr) return DBRIDGE_OK;
  if (int32_t st = refuse_during_call(c, err)) return st;
  close_now(c);
  return DBRIDGE_OK;
}

void dbridge_conn_close(dbridge_conn* c) {
  if (c == nullptr || c->magic != conn_magic || c->conn == nullptr) return;
  if (refused_silently(c, "closing the connection")) return;
  close_now(c);
}

void dbridge_conn_free(dbridge_conn* c) {
  if (c == nullptr || c->magic != conn_magic) return;
  if (refused_silently(c, "freeing the connection")) return;
  dbridge_conn_close(c);
  c->magic = dead;
  delete c->spare_result;
  delete c;
}

int32_t dbridge_conn_is_open(const dbridge_conn* c) {
  return c != nullptr && c->magic == conn_magic && c->conn != nullptr && c->conn->is_open() ? 1 : 0;
}

int32_t dbridge_conn_ping(dbridge_conn* c, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  return guard(err, [&] {
    if (c->conn->ping()) return DBRIDGE_OK;
    return fail(err, errc::connection, "the server did not answer the ping");
  });
}

int32_t dbridge_conn_cancel(dbridge_conn* c, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  return guard(err, [&] {
    c->conn->cancel();
    return DBRIDGE_OK;
  });
}

int32_t dbridge_conn_id(const dbridge_conn* c, uint64_t* out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = c->conn->id();
  return DBRIDGE_OK;
}

int32_t dbridge_conn_scheme(const dbridge_conn* c, const char** ptr, uint64_t* len, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  put_text(c->conn->scheme(), ptr, len);
  return DBRIDGE_OK;
}
int32_t dbridge_conn_plugin_id(const dbridge_conn* c, const char** ptr, uint64_t* len, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  put_text(c->conn->plugin_id(), ptr, len);
  return DBRIDGE_OK;
}
int32_t dbridge_conn_redacted_url(const dbridge_conn* c, const char** ptr, uint64_t* len, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  put_text(c->conn->redacted_url(), ptr, len);
  return DBRIDGE_OK;
}

int32_t dbridge_conn_has_capability(const dbridge_conn* c, const char* name, uint64_t len, int32_t* out,
                                    dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  if (!text_ok(name, len) || out == nullptr) return bad_argument(err, "name or out is NULL");
  *out = c->conn->has_capability(text(name, len)) ? 1 : 0;
  return DBRIDGE_OK;
}

int32_t dbridge_conn_set_option(dbridge_conn* c, const char* key, uint64_t key_len, const dbridge_params* value,
                                dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  if (!text_ok(key, key_len)) return bad_argument(err, "key is NULL");
  dbridge::params p;
  if (int32_t st = params_of(value, p, err)) return st;
  if (p.size() != 1) return bad_argument(err, "an option takes exactly one value");
  return guard(err, [&] {
    c->conn->set_option(text(key, key_len), p[0]);
    return DBRIDGE_OK;
  });
}

int32_t dbridge_query(dbridge_conn* c, const char* sql, uint64_t sql_len, const dbridge_params* params,
                      dbridge_result** out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  if (int32_t st = check(c, err)) return st;
  if (sql == nullptr) return bad_argument(err, "sql is NULL");
  dbridge::params p;
  if (int32_t st = params_of(params, p, err)) return st;
  return guard(err, [&] {
    *out = new_result(c, [&] { return c->conn->query(text(sql, sql_len), p); });
    return DBRIDGE_OK;
  });
}

int32_t dbridge_execute(dbridge_conn* c, const char* sql, uint64_t sql_len, const dbridge_params* params,
                        int64_t* affected_rows, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  if (sql == nullptr) return bad_argument(err, "sql is NULL");
  dbridge::params p;
  if (int32_t st = params_of(params, p, err)) return st;
  return guard(err, [&] {
    exec_result r = c->conn->execute(text(sql, sql_len), p);
    remember(c, r);
    if (affected_rows != nullptr) *affected_rows = r.affected_rows;
    return DBRIDGE_OK;
  });
}

int32_t dbridge_execute_script(dbridge_conn* c, const char* sql, uint64_t sql_len, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  if (sql == nullptr) return bad_argument(err, "sql is NULL");
  return guard(err, [&] {
    c->conn->execute_script(text(sql, sql_len));
    return DBRIDGE_OK;
  });
}

int32_t dbridge_conn_last_insert_id(const dbridge_conn* c, int64_t* out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = c->last_id.value_or(0);
  return c->last_id ? DBRIDGE_OK : DBRIDGE_NULL;
}
int32_t dbridge_conn_last_insert_id_u64(const dbridge_conn* c, uint64_t* out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = c->last_id_u64.value_or(0);
  return c->last_id_u64 ? DBRIDGE_OK : DBRIDGE_NULL;
}

int32_t dbridge_prepare(dbridge_conn* c, const char* sql, uint64_t sql_len, dbridge_stmt** out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  if (int32_t st = check(c, err)) return st;
  if (sql == nullptr) return bad_argument(err, "sql is NULL");
  return guard(err, [&] {
    auto h = std::make_unique<dbridge_stmt>();
    h->magic = stmt_magic;
    h->detach = [](capi_child* self) noexcept { static_cast<dbridge_stmt*>(self)->st.reset(); };
    h->st.emplace(c->conn->prepare(text(sql, sql_len)));
    adopt(c, h.get());
    *out = h.release();
    return DBRIDGE_OK;
  });
}

void dbridge_stmt_close(dbridge_stmt* s) {
  if (s == nullptr || s->magic != stmt_magic) return;
  disown(s);
  s->st.reset();
}
void dbridge_stmt_free(dbridge_stmt* s) {
  if (s == nullptr || s->magic != stmt_magic) return;
  dbridge_stmt_close(s);
  s->magic = dead;
  delete s;
}

int32_t dbridge_stmt_param_count(const dbridge_stmt* s, uint32_t* out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check_stmt(s, err)) return st;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  return guard(err, [&] {
    *out = s->st->param_count();
    return DBRIDGE_OK;
  });
}

namespace {
/// dbridge_stmt_query once err is cleared and out checked (inlined into
/// both callers: it is the point-query path).
[[gnu::always_inline]] inline int32_t stmt_query(dbridge_stmt* s, const dbridge_params* params, dbridge_result** out, dbridge_error** err) {
  *out = nullptr;
  if (int32_t st = check_stmt(s, err)) return st;
  dbridge::params p;
  if (int32_t st = params_of(params, p, err)) return st;
  try {  // guard's work, spelled out so nothing stops the inlining
    *out = new_result(s->parent, [&] { return s->st->query(p); });
    return DBRIDGE_OK;
  } catch (...) {
    return fail_current(err);
  }
}
}  // namespace

DBRIDGE_CAPI_HOT int32_t dbridge_stmt_query(dbridge_stmt* s, const dbridge_params* params, dbridge_result** out,
                                            dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) [[unlikely]] return bad_argument(err, "out is NULL");
  return stmt_query(s, params, out, err);
}

DBRIDGE_CAPI_HOT int32_t dbridge_stmt_requery(dbridge_stmt* s, const dbridge_params* params, dbridge_result** result,
                                              dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (result == nullptr) [[unlikely]] return bad_argument(err, "result is NULL");
  if (dbridge_result* old = *result) {
    if (old->magic != result_magic) [[unlikely]]
      return bad_argument(err, "*result is neither NULL nor a result handle");
    // Freed first, so its handle is the spare the query below takes.
    free_result(old);
  }
  return stmt_query(s, params, result, err);
}

DBRIDGE_CAPI_HOT int32_t dbridge_stmt_execute(dbridge_stmt* s, const dbridge_params* params, int64_t* affected_rows,
                                              dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check_stmt(s, err)) return st;
  dbridge::params p;
  if (int32_t st = params_of(params, p, err)) return st;
  return guard(err, [&] {
    exec_result r = s->st->execute(p);
    remember(s->parent, r);
    if (affected_rows != nullptr) *affected_rows = r.affected_rows;
    return DBRIDGE_OK;
  });
}

namespace {

/// The innermost transaction or savepoint c has open through this API, if any.
dbridge_tx* innermost_tx(dbridge_conn* c) noexcept {
  for (capi_child* ch = c->children; ch != nullptr; ch = ch->next)
    if (ch->magic == tx_magic && static_cast<dbridge_tx*>(ch)->tx) return static_cast<dbridge_tx*>(ch);
  return nullptr;
}

}  // namespace

int32_t dbridge_stmt_execute_many(dbridge_stmt* s, const dbridge_params* params, uint32_t width,
                                  int64_t* affected_rows, uint64_t* failed_row, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (affected_rows != nullptr) *affected_rows = 0;
  if (failed_row != nullptr) *failed_row = UINT64_MAX;
  if (int32_t st = check_stmt(s, err)) return st;
  dbridge::params p;
  if (int32_t st = params_of(params, p, err)) return st;
  if (width == 0 || p.size() % width != 0)
    return bad_argument(err, "the parameter list holds " + std::to_string(p.size()) +
                                 " values, not whole rows of " + std::to_string(width));
  std::uint64_t failed = UINT64_MAX;
  int32_t status = guard(err, [&] {
    if (p.empty()) return DBRIDGE_OK;
    if (s->st->param_count() != width)
      throw_error(errc::invalid_argument, "the statement takes " + std::to_string(s->st->param_count()) +
                                              " parameters, the rows have " + std::to_string(width));
    dbridge_conn* c = s->parent;
    connection& conn = *c->conn;
    // All or nothing: a savepoint inside the caller's transaction, else one of our own.
    std::optional<transaction> tx;
    if (dbridge_tx* outer = innermost_tx(c)) tx.emplace(outer->tx->savepoint());
    else if (!conn.in_transaction()) tx.emplace(conn.begin());
    // The core names the failing row in the message; the driver's batch path
    // (or a row at a time on an older driver) is its business.
    const exec_result total = s->st->execute_many(p, &failed);
    if (tx) tx->commit();
    remember(c, total);
    if (affected_rows != nullptr) *affected_rows = total.affected_rows;
    return DBRIDGE_OK;
  });
  if (failed_row != nullptr) *failed_row = failed;
  return status;
}

namespace {
dbridge_tx* new_tx() {
  auto* h = new dbridge_tx;
  h->magic = tx_magic;
  h->detach = [](capi_child* self) noexcept { static_cast<dbridge_tx*>(self)->tx.reset(); };
  return h;
}
}  // namespace

int32_t dbridge_begin(dbridge_conn* c, uint32_t isolation, uint32_t flags, int64_t timeout_ms, dbridge_tx** out,
                      dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  if (int32_t st = check(c, err)) return st;
  if (isolation > DBRIDGE_ISOLATION_SERIALIZABLE) return bad_argument(err, "unknown isolation level");
  if ((flags & ~(DBRIDGE_TX_READ_ONLY | DBRIDGE_TX_DEFERRABLE)) != 0) return bad_argument(err, "unknown transaction flags");
  return guard(err, [&] {
    transaction_options o;
    o.isolation = static_cast<isolation_level>(isolation);
    o.read_only = (flags & DBRIDGE_TX_READ_ONLY) != 0;
    o.deferrable = (flags & DBRIDGE_TX_DEFERRABLE) != 0;
    if (timeout_ms >= 0) o.timeout = std::chrono::milliseconds(timeout_ms);
    std::unique_ptr<dbridge_tx> h(new_tx());
    h->tx.emplace(c->conn->begin(o));
    adopt(c, h.get());
    *out = h.release();
    return DBRIDGE_OK;
  });
}

int32_t dbridge_tx_savepoint(dbridge_tx* tx, dbridge_tx** out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  if (int32_t st = check_tx(tx, err)) return st;
  return guard(err, [&] {
    std::unique_ptr<dbridge_tx> h(new_tx());
    h->tx.emplace(tx->tx->savepoint());
    adopt(tx->parent, h.get());
    *out = h.release();
    return DBRIDGE_OK;
  });
}

int32_t dbridge_tx_commit(dbridge_tx* tx, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check_tx(tx, err)) return st;
  return guard(err, [&] {
    tx->tx->commit();
    return DBRIDGE_OK;
  });
}
int32_t dbridge_tx_rollback(dbridge_tx* tx, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check_tx(tx, err)) return st;
  return guard(err, [&] {
    tx->tx->rollback();
    return DBRIDGE_OK;
  });
}
int32_t dbridge_tx_depth(const dbridge_tx* tx, uint32_t* out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check_tx(tx, err)) return st;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = static_cast<uint32_t>(tx->tx->depth());
  return DBRIDGE_OK;
}
void dbridge_tx_free(dbridge_tx* tx) {
  if (tx == nullptr || tx->magic != tx_magic) return;
  disown(tx);
  tx->tx.reset();
  tx->magic = dead;
  delete tx;
}
int32_t dbridge_conn_in_transaction(const dbridge_conn* c, int32_t* out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  return guard(err, [&] {
    *out = c->conn->in_transaction() ? 1 : 0;
    return DBRIDGE_OK;
  });
}

namespace {

/// The frame of a command call: checks, then take(reply) inside the firewall.
template <class F>
int32_t run_command(dbridge_conn* c, uint32_t argc, const char* const* argv, const uint64_t* argv_len,
                    dbridge_error** err, F&& take) {
  if (int32_t st = check(c, err)) return st;
  if (argc == 0 || argv == nullptr || argv_len == nullptr) return bad_argument(err, "a command needs at least one argument");
  for (uint32_t i = 0; i < argc; ++i)
    if (!text_ok(argv[i], argv_len[i])) return bad_argument(err, "argument " + std::to_string(i) + " is NULL");
  return guard(err, [&] {
    std::vector<std::string_view> args;
    args.reserve(argc);
    for (uint32_t i = 0; i < argc; ++i) args.push_back(text(argv[i], argv_len[i]));
    take(c->conn->command(std::span<const std::string_view>(args)));
    return DBRIDGE_OK;
  });
}

/// Sizes of a reply tree's encoding: nodes and string bytes.
void measure(const reply& r, std::size_t& nodes, std::size_t& bytes) noexcept {
  ++nodes;
  bytes += r.str.size();
  for (const reply& e : r.elements) measure(e, nodes, bytes);
}

/// Writes r and its elements in preorder from node i on; the next free node.
std::size_t encode(const reply& r, std::size_t i, std::uint8_t* types, std::int64_t* a, std::int64_t* b, char* data,
                   std::size_t& used) noexcept {
  types[i] = static_cast<std::uint8_t>(r.type);
  a[i] = b[i] = 0;
  switch (r.type) {
    case reply_type::integer:
    case reply_type::boolean: a[i] = r.integer; break;
    case reply_type::float64: std::memcpy(&a[i], &r.number, 8); break;
    case reply_type::array:
    case reply_type::map:
    case reply_type::set:
    case reply_type::push: a[i] = static_cast<std::int64_t>(r.elements.size()); break;
    case reply_type::nil: break;
    default:
      std::memcpy(data + used, r.str.data(), r.str.size());
      a[i] = static_cast<std::int64_t>(used);
      used += r.str.size();
      b[i] = static_cast<std::int64_t>(used);
  }
  std::size_t next = i + 1;
  for (const reply& e : r.elements) next = encode(e, next, types, a, b, data, used);
  return next;
}

/// The whole tree in the layout dbridge_command_encoded documents, into out.
void encode_reply(const reply& r, std::string& out) {
  std::size_t nodes = 0, bytes = 0;
  measure(r, nodes, bytes);
  const std::size_t types_len = (nodes + 7) / 8 * 8;
  out.assign(8 + types_len + 16 * nodes + bytes, '\0');
  auto* base = reinterpret_cast<std::uint8_t*>(out.data());
  const std::uint64_t n = nodes;
  std::memcpy(base, &n, 8);
  auto* types = base + 8;
  auto* a = reinterpret_cast<std::int64_t*>(types + types_len);  // 8-aligned: std::string data is
  auto* b = a + nodes;
  std::size_t used = 0;
  encode(r, 0, types, a, b, reinterpret_cast<char*>(b + nodes), used);
}

}  // namespace

int32_t dbridge_command(dbridge_conn* c, uint32_t argc, const char* const* argv, const uint64_t* argv_len,
                        dbridge_reply** out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  return run_command(c, argc, argv, argv_len, err, [&](reply r) {
    auto h = std::make_unique<dbridge_reply>();
    h->r = std::move(r);
    mirror(*h);
    *out = h.release();
  });
}

int32_t dbridge_command_encoded(dbridge_conn* c, uint32_t argc, const char* const* argv, const uint64_t* argv_len,
                                const uint8_t** out, uint64_t* out_len, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr || out_len == nullptr) return bad_argument(err, "out or out_len is NULL");
  *out = nullptr;
  *out_len = 0;
  return run_command(c, argc, argv, argv_len, err, [&](reply r) {
    encode_reply(r, c->encoded_reply);
    *out = reinterpret_cast<const uint8_t*>(c->encoded_reply.data());
    *out_len = c->encoded_reply.size();
  });
}

void dbridge_reply_free(dbridge_reply* r) {
  if (!is_reply(r) || !r->root) return;
  r->magic = dead;
  delete r;
}
uint32_t dbridge_reply_type(const dbridge_reply* r) { return is_reply(r) ? static_cast<uint32_t>(r->r.type) : 0; }
int64_t dbridge_reply_integer(const dbridge_reply* r) {
  if (!is_reply(r) || (r->r.type != reply_type::integer && r->r.type != reply_type::boolean)) return 0;
  return r->r.integer;
}
double dbridge_reply_double(const dbridge_reply* r) {
  return is_reply(r) && r->r.type == reply_type::float64 ? r->r.number : 0;
}
const char* dbridge_reply_string(const dbridge_reply* r, uint64_t* len) {
  if (len != nullptr) *len = 0;
  if (!is_reply(r)) return "";
  if (len != nullptr) *len = r->r.str.size();
  return r->r.str.c_str();
}
uint64_t dbridge_reply_size(const dbridge_reply* r) { return is_reply(r) ? r->elements.size() : 0; }
const dbridge_reply* dbridge_reply_element(const dbridge_reply* r, uint64_t i) {
  if (!is_reply(r) || i >= r->elements.size()) return nullptr;
  return &r->elements[i];
}

int32_t dbridge_listener_new(dbridge_conn* c, dbridge_listener** out, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  if (int32_t st = check(c, err)) return st;
  return guard(err, [&] {
    auto h = std::make_unique<dbridge_listener>();
    h->magic = listener_magic;
    h->detach = [](capi_child* self) noexcept { static_cast<dbridge_listener*>(self)->l.reset(); };
    h->l.emplace(*c->conn);
    adopt(c, h.get());
    *out = h.release();
    return DBRIDGE_OK;
  });
}
void dbridge_listener_close(dbridge_listener* l) {
  if (l == nullptr || l->magic != listener_magic) return;
  if (refused_silently(l->parent, "closing the listener")) return;
  disown(l);
  l->l.reset();
}
void dbridge_listener_free(dbridge_listener* l) {
  if (l == nullptr || l->magic != listener_magic) return;
  if (refused_silently(l->parent, "freeing the listener")) return;
  dbridge_listener_close(l);
  l->magic = dead;
  delete l;
}

namespace {
template <class F>
int32_t on_listener(dbridge_listener* l, const char* name, uint64_t len, dbridge_error** err, F&& f) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check_listener(l, err)) return st;
  if (!text_ok(name, len)) return bad_argument(err, "channel is NULL");
  return guard(err, [&] {
    f(*l->l, text(name, len));
    return DBRIDGE_OK;
  });
}
}  // namespace

int32_t dbridge_listener_listen(dbridge_listener* l, const char* channel, uint64_t len, dbridge_error** err) {
  if (len == 0) return bad_argument(err, "the channel is empty");
  return on_listener(l, channel, len, err, [](listener& x, std::string_view n) { x.listen(n); });
}
int32_t dbridge_listener_listen_pattern(dbridge_listener* l, const char* pattern, uint64_t len, dbridge_error** err) {
  if (len == 0) return bad_argument(err, "the pattern is empty");
  return on_listener(l, pattern, len, err, [](listener& x, std::string_view n) { x.listen_pattern(n); });
}
int32_t dbridge_listener_unlisten(dbridge_listener* l, const char* channel, uint64_t len, dbridge_error** err) {
  return on_listener(l, channel, len, err, [](listener& x, std::string_view n) { x.unlisten(n); });
}
int32_t dbridge_listener_unlisten_pattern(dbridge_listener* l, const char* pattern, uint64_t len,
                                          dbridge_error** err) {
  return on_listener(l, pattern, len, err, [](listener& x, std::string_view n) { x.unlisten_pattern(n); });
}

int32_t dbridge_listener_wait(dbridge_listener* l, int64_t timeout_ms, dbridge_notification** out,
                              dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (out == nullptr) return bad_argument(err, "out is NULL");
  *out = nullptr;
  if (int32_t st = check_listener(l, err)) return st;
  return guard(err, [&] {
    auto timeout = timeout_ms < 0 ? wait_forever : std::chrono::milliseconds(timeout_ms);
    std::optional<notification> n = l->l->wait(timeout);
    if (!n) return DBRIDGE_EMPTY;
    *out = new dbridge_notification{notification_magic, std::move(*n)};
    return DBRIDGE_OK;
  });
}

int32_t dbridge_notify(dbridge_conn* c, const char* channel, uint64_t channel_len, const char* payload,
                       uint64_t payload_len, dbridge_error** err) {
  if (err != nullptr) *err = nullptr;
  if (int32_t st = check(c, err)) return st;
  if (channel == nullptr || channel_len == 0) return bad_argument(err, "the channel is empty");
  if (!text_ok(payload, payload_len)) return bad_argument(err, "payload is NULL");
  return guard(err, [&] {
    notify(*c->conn, text(channel, channel_len), text(payload, payload_len));
    return DBRIDGE_OK;
  });
}

void dbridge_notification_free(dbridge_notification* n) {
  if (!is_notification(n)) return;
  n->magic = dead;
  delete n;
}
const char* dbridge_notification_channel(const dbridge_notification* n, uint64_t* len) {
  if (len != nullptr) *len = 0;
  if (!is_notification(n)) return "";
  if (len != nullptr) *len = n->n.channel.size();
  return n->n.channel.c_str();
}
const char* dbridge_notification_payload(const dbridge_notification* n, uint64_t* len) {
  if (len != nullptr) *len = 0;
  if (!is_notification(n)) return "";
  if (len != nullptr) *len = n->n.payload.size();
  return n->n.payload.c_str();
}
const char* dbridge_notification_pattern(const dbridge_notification* n, uint64_t* len) {
  if (len != nullptr) *len = 0;
  if (!is_notification(n) || !n->n.pattern) return nullptr;
  if (len != nullptr) *len = n->n.pattern->size();
  return n->n.pattern->c_str();
}
int64_t dbridge_notification_sender_pid(const dbridge_notification* n) {
  return is_notification(n) ? n->n.sender_pid : 0;
}

