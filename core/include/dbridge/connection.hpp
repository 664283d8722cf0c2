// SPDX-License-Identifier: Apache-2.0
// The client API: one connection type for every driver, streamed results,
// prepared statements, transactions with savepoints.
#pragma once

#include "dbridge/export.hpp"

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <initializer_list>
#include <memory>
#include <optional>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "dbridge/cell.hpp"
#include "dbridge/error.hpp"
#include "dbridge/value.hpp"


namespace dbridge::inline v1 {

class result;
struct reply;  // command.hpp

namespace detail {
struct connection_impl;
struct connection_access;
struct cursor_impl;
struct statement_impl;
class pool_core;
struct pooled;
}  // namespace detail

using params = std::span<const value>;

/// A column of a result.
struct column_info {
  std::string name;
  value_type type = value_type::null;
  std::string native_type;  ///< "INTEGER", "int4", "DATETIME"...
  std::optional<bool> nullable;
};

/// One row of a streaming result: a view of borrowed cells, valid until the
/// result advances. Copy what you keep (to_values()).
class DBRIDGE_API row {
 public:
  [[nodiscard]] std::size_t size() const noexcept { return ncols_; }
  [[nodiscard]] bool is_null(std::size_t i) const;
  [[nodiscard]] bool is_null(std::string_view column) const;
  [[nodiscard]] value_type type(std::size_t i) const;
  /// Typed getters; T as in value::as<T>(), plus std::optional<T> (NULL ->
  /// nullopt) and std::string_view (borrowed, text/bytes/decimal/json only).
  /// A NULL read as a non-optional T throws data_error. Out-of-range index or
  /// unknown name throws invalid_argument_error.
  template <class T>
  [[nodiscard]] T get(std::size_t i) const;
  template <class T>
  [[nodiscard]] T get(std::string_view column) const { return get<T>(index_of(column)); }
  [[nodiscard]] value get_value(std::size_t i) const;
  [[nodiscard]] std::size_t index_of(std::string_view column) const;
  [[nodiscard]] std::vector<value> to_values() const;
  /// The borrowed cell itself (bounds-checked), for reading without a copy.
  [[nodiscard]] const cell& raw(std::size_t i) const {
    if (i >= ncols_) [[unlikely]] out_of_range(i);
    return cells_[i];
  }

 private:
  friend class result;
  friend struct detail::connection_impl;
  template <class T>
  T get_plain(std::size_t i) const;
  [[noreturn]] void out_of_range(std::size_t i) const;
  const cell* cells_ = nullptr;
  std::size_t ncols_ = 0;
  const detail::cursor_impl* cur_ = nullptr;
};

namespace detail {
/// The part of a result's cursor that result::next() reads inline, so a row
/// of an already fetched batch costs no call into the library. The rest of
/// the cursor is the core's own (cursor_impl derives from this).
struct cursor_head {
  cell_batch batch{};
  std::uint64_t pos = 0;
  row current;
};

/// An insert id as a driver reports it: MariaDB's are unsigned and may pass
/// INT64_MAX, SQLite's rowids are signed and may be negative. Each reading
/// gives the id only when its type can hold it exactly.
struct insert_id {
  std::int64_t bits = 0;
  bool present = false;
  bool is_unsigned = false;
  std::optional<std::int64_t> as_signed() const noexcept {
    if (!present || (is_unsigned && bits < 0)) return std::nullopt;
    return bits;
  }
  std::optional<std::uint64_t> as_unsigned() const noexcept {
    if (!present || (!is_unsigned && bits < 0)) return std::nullopt;
    return static_cast<std::uint64_t>(bits);
  }
};
}  // namespace detail

template <class T>
struct is_optional : std::false_type {};
template <class T>
struct is_optional<std::optional<T>> : std::true_type {};

template <class T>
T row::get(std::size_t i) const {
  // The cell types hot loops read are answered inline from the borrowed
  // cell; anything else (conversions, NULL, a bad index) goes out of line.
  if constexpr (std::is_same_v<T, std::int64_t>) {
    if (i < ncols_) {
      const cell& v = cells_[i];
      if (v.type == value_type::int64) return v.u.i64;
      // A MariaDB BIGINT UNSIGNED within range (ids, counters).
      if (v.type == value_type::uint64 && v.u.u64 <= static_cast<std::uint64_t>(INT64_MAX))
        return static_cast<std::int64_t>(v.u.u64);
    }
  } else if constexpr (std::is_same_v<T, std::uint64_t>) {
    if (i < ncols_ && cells_[i].type == value_type::uint64) return cells_[i].u.u64;
  } else if constexpr (std::is_same_v<T, double>) {
    if (i < ncols_ && cells_[i].type == value_type::float64) return cells_[i].u.f64;
  } else if constexpr (std::is_same_v<T, std::string_view>) {
    if (i < ncols_) {
      const cell& v = cells_[i];
      if ((v.type == value_type::text || v.type == value_type::decimal || v.type == value_type::json) && v.u.str.ptr != nullptr)
        return std::string_view(v.u.str.ptr, static_cast<std::size_t>(v.u.str.len));
    }
  }
  if constexpr (is_optional<T>::value) {
    if (is_null(i)) return std::nullopt;
    return get_plain<typename T::value_type>(i);
  } else {
    return get_plain<T>(i);
  }
}

/// A streamed result. Holds one fetched batch at a time (for SQLite one row);
/// iterate once. Destroying it early finishes the statement.
class DBRIDGE_API result {
 public:
  result() = default;
  result(result&&) noexcept;
  result& operator=(result&&) noexcept;
  ~result();

  [[nodiscard]] const std::vector<column_info>& columns() const;
  [[nodiscard]] std::size_t column_count() const;
  /// Rows affected for DML (-1 if unknown); last insert id where the driver has one.
  [[nodiscard]] std::int64_t affected_rows() const noexcept { return affected_; }
  /// Empty also when the id does not fit (a MariaDB unsigned id past INT64_MAX).
  [[nodiscard]] std::optional<std::int64_t> last_insert_id() const noexcept { return last_id_.as_signed(); }
  /// The same id as unsigned: every MariaDB id; empty for a negative SQLite rowid.
  [[nodiscard]] std::optional<std::uint64_t> last_insert_id_u64() const noexcept { return last_id_.as_unsigned(); }

  /// The next row, or nullptr at the end. The pointer is valid until the next call.
  const row* next() {
    if (const row* r = next_buffered()) return r;
    return next_batch();
  }
  /// Moves on to the next result set (stored procedures). False when none.
  bool next_result();

  class iterator {
   public:
    using value_type = row;
    using difference_type = std::ptrdiff_t;
    iterator() = default;
    explicit iterator(result* r) : r_(r), cur_(r ? r->next() : nullptr) {}
    const row& operator*() const { return *cur_; }
    const row* operator->() const { return cur_; }
    iterator& operator++() {
      cur_ = r_->next();
      return *this;
    }
    void operator++(int) { ++*this; }
    bool operator==(const iterator& o) const { return cur_ == o.cur_; }

   private:
    result* r_ = nullptr;
    const row* cur_ = nullptr;
  };
  iterator begin() { return iterator(this); }
  iterator end() { return iterator(); }

  /// Drains the rest into owned values (handy for small results).
  [[nodiscard]] std::vector<std::vector<value>> to_vector();

 private:
  friend struct detail::connection_impl;
  friend struct detail::connection_access;
  result(detail::cursor_head* cur, std::int64_t affected, detail::insert_id last_id)
      : cur_(cur), affected_(affected), last_id_(last_id) {}
  /// The next row of those already fetched, or nullptr when none is left
  /// (the end, or a batch to fetch: next() tells which).
  const row* next_buffered() noexcept {
    detail::cursor_head* h = cur_;
    if (h != nullptr && h->pos < h->batch.nrows) {
      h->current.cells_ = h->batch.cells + h->pos * h->batch.ncols;
      ++h->pos;
      return &h->current;
    }
    return nullptr;
  }
  /// Fetches the next batch (or reports why reading stopped).
  const row* next_batch();
  detail::cursor_impl* impl() const noexcept;
  // Raw, not unique_ptr: the connection recycles cursor objects (no allocation per query).
  detail::cursor_head* cur_ = nullptr;
  std::int64_t affected_ = -1;
  // Not an optional: results are returned on every query, and building one
  // field by field avoids copying an optional assembled on the stack.
  detail::insert_id last_id_;
};

/// An owned copy of one row (query_one).
class DBRIDGE_API record {
 public:
  record() = default;
  record(std::vector<column_info> cols, std::vector<value> vals) : cols_(std::move(cols)), vals_(std::move(vals)) {}
  [[nodiscard]] std::size_t size() const noexcept { return vals_.size(); }
  [[nodiscard]] const value& operator[](std::size_t i) const;
  [[nodiscard]] const value& operator[](std::string_view column) const;
  template <class T>
  [[nodiscard]] T get(std::size_t i) const {
    if constexpr (is_optional<T>::value) {
      if ((*this)[i].is_null()) return std::nullopt;
      return (*this)[i].template as<typename T::value_type>();
    } else {
      return (*this)[i].template as<T>();
    }
  }
  template <class T>
  [[nodiscard]] T get(std::string_view column) const { return get<T>(index_of(column)); }
  [[nodiscard]] std::size_t index_of(std::string_view column) const;
  [[nodiscard]] const std::vector<column_info>& columns() const noexcept { return cols_; }
  [[nodiscard]] const std::vector<value>& values() const noexcept { return vals_; }

 private:
  std::vector<column_info> cols_;
  std::vector<value> vals_;
};

/// What execute() reports.
struct exec_result {
  std::int64_t affected_rows = -1;
  /// Empty also when the id does not fit (a MariaDB unsigned id past INT64_MAX).
  std::optional<std::int64_t> last_insert_id;
  /// The same id as unsigned: every MariaDB id; empty for a negative SQLite rowid.
  std::optional<std::uint64_t> last_insert_id_u64;
};

/// An explicitly prepared statement, reusable across executions. Belongs to
/// its connection and must not outlive it.
class DBRIDGE_API statement {
 public:
  statement(statement&&) noexcept;
  statement& operator=(statement&&) noexcept;
  ~statement();
  [[nodiscard]] result query(params p = {});
  [[nodiscard]] result query(std::initializer_list<value> p) { return query(params(p.begin(), p.size())); }
  exec_result execute(params p = {});
  exec_result execute(std::initializer_list<value> p) { return execute(params(p.begin(), p.size())); }
  /// Fast path for benchmarks and hot loops: binds borrowed ABI values as they are.
  exec_result execute_raw(const dbr_value* p, std::uint32_t n);
  /// Runs the statement once per row of `rows` (whole rows of param_count()
  /// values, row-major) in one call: the driver's batch path when it has one
  /// (MariaDB array binding, a PostgreSQL pipeline), else execute per row.
  /// affected_rows is the total (-1 when unknown); the last row runs on its
  /// own, so last_insert_id is that row's, as after execute. A failure throws the
  /// failing row's error, its message starting "row N: " (0-based) when the
  /// row is known; rows before it may have been applied, so wrap the call in
  /// a transaction or savepoint for all or nothing.
  /// When failed_row is given it gets the failing row, or UINT64_MAX.
  exec_result execute_many(std::span<const value> rows, std::uint64_t* failed_row = nullptr);
  /// The same on borrowed ABI values (nrows * param_count() of them).
  exec_result execute_many_raw(const dbr_value* rows, std::uint64_t nrows, std::uint64_t* failed_row = nullptr);
  [[nodiscard]] std::uint32_t param_count() const;
  [[nodiscard]] const std::string& sql() const;

 private:
  friend class connection;
  explicit statement(std::unique_ptr<detail::statement_impl> impl);
  std::unique_ptr<detail::statement_impl> impl_;
};

enum class isolation_level : std::uint32_t { default_level = 0, read_uncommitted, read_committed, repeatable_read, serializable };
struct transaction_options {
  isolation_level isolation = isolation_level::default_level;
  bool read_only = false;
  bool deferrable = false;
  /// How long the transaction may stay open, from begin(). Unset: the pool's
  /// transaction_timeout for a pooled connection, else none; zero: none.
  ///
  /// Past the deadline the transaction is rolled back, never committed:
  /// - the next call into the connection (through the transaction or not)
  ///   rolls it back and throws timeout_error; so does commit();
  /// - a call still running at the deadline is cancelled (drivers that can
  ///   cancel from another thread: PostgreSQL, MariaDB, Redis) and fails
  ///   with that timeout_error, after the rollback;
  /// - afterwards the transaction object keeps refusing work with
  ///   timeout_error (its rollback() and destructor do nothing), while the
  ///   connection itself is usable again, outside any transaction;
  /// - a pooled connection given back with the transaction still open is
  ///   rolled back before anyone else gets it.
  /// If the rollback itself fails, the connection is marked broken (a pool
  /// closes it). A nested savepoint shares its transaction's deadline.
  std::optional<std::chrono::nanoseconds> timeout{};
};

class connection;

/// A transaction or, when nested, a savepoint. Rolls back in its destructor
/// unless committed. Spelled dbridge::transaction (an alias): the class has
/// its own name because C++ forbids a member function named like its class,
/// and nesting reads best as tx.transaction(f).
class DBRIDGE_API transaction_scope {
 public:
  transaction_scope(transaction_scope&&) noexcept;
  transaction_scope& operator=(transaction_scope&&) = delete;
  ~transaction_scope();
  void commit();
  void rollback();
  [[nodiscard]] bool active() const noexcept { return active_; }
  [[nodiscard]] std::size_t depth() const noexcept { return depth_; }  ///< 0 = top level, 1+ = savepoint

  [[nodiscard]] result query(std::string_view sql, params p = {});
  [[nodiscard]] result query(std::string_view sql, std::initializer_list<value> p) { return query(sql, params(p.begin(), p.size())); }
  exec_result execute(std::string_view sql, params p = {});
  exec_result execute(std::string_view sql, std::initializer_list<value> p) {
    return execute(sql, params(p.begin(), p.size()));
  }
  [[nodiscard]] record query_one(std::string_view sql, params p = {});
  [[nodiscard]] record query_one(std::string_view sql, std::initializer_list<value> p) {
    return query_one(sql, params(p.begin(), p.size()));
  }
  /// A nested block: a savepoint released on success, rolled back to when f throws.
  template <class F>
  decltype(auto) transaction(F&& f);
  /// Manual savepoint.
  [[nodiscard]] transaction_scope savepoint();
  connection& conn() noexcept { return *conn_; }

 private:
  friend class connection;
  transaction_scope(connection* c, std::size_t depth, std::string savepoint_name);
  connection* conn_;
  /// Throws unless this level is active and its transaction did not expire.
  detail::connection_impl& live();
  std::size_t depth_;
  std::string savepoint_;
  bool active_ = true;
  std::uint64_t serial_ = 0;  ///< the connection's begin() count when it started
};
using transaction = transaction_scope;

/// Counters of the implicit statement cache (see connect_options).
struct statement_cache_stats {
  std::uint64_t hits = 0;
  std::uint64_t misses = 0;
  std::size_t size = 0;
  std::size_t capacity = 0;
};

/// Options for connect().
struct connect_options {
  std::string opened_by;              ///< label shown in the registry
  std::size_t statement_cache_size = 64;  ///< implicit prepared-statement cache (0 = off)
};

/// A connection to any backend. Move-only; not for concurrent use by two
/// threads (the core reports such use as invalid_state_error rather than
/// corrupting the driver), except cancel(), which any thread may call.
class DBRIDGE_API connection {
 public:
  connection(connection&&) noexcept;
  connection& operator=(connection&&) noexcept;
  ~connection();

  /// Streams rows. Repeated SQL reuses a cached prepared statement.
  ///
  /// Placeholders, on every SQL driver (one style per statement; mixing two
  /// is a syntax_error):
  ///  - `$1`, `?1`: the n-th value of p (1-based); may repeat, in any order;
  ///  - `?`: the next value of p, in order;
  ///  - `:name`: by first appearance: the first distinct name is p[0], the
  ///    next p[1], ...; a repeated name reuses its value (names are
  ///    case-sensitive).
  /// Only code counts: placeholders inside string literals, quoted
  /// identifiers, comments and PostgreSQL dollar-quoted bodies are text.
  /// `::type` casts and MariaDB's `:=` are never placeholders. On PostgreSQL
  /// a statement holding `$n` is sent as written, so `?` there stays the
  /// jsonb operator; `?|`, `?&`, `?#` and `@?` are always operators; a jsonb
  /// `?` in a statement without `$n` needs jsonb_exists(), and a slice
  /// bound written `a[lo:hi]` needs a space (`a[lo: hi]`).
  [[nodiscard]] result query(std::string_view sql, params p = {});
  [[nodiscard]] result query(std::string_view sql, std::initializer_list<value> p) { return query(sql, params(p.begin(), p.size())); }
  /// Exactly one row expected: throws not_found_error when there is none.
  [[nodiscard]] record query_one(std::string_view sql, params p = {});
  [[nodiscard]] record query_one(std::string_view sql, std::initializer_list<value> p) {
    return query_one(sql, params(p.begin(), p.size()));
  }
  exec_result execute(std::string_view sql, params p = {});
  exec_result execute(std::string_view sql, std::initializer_list<value> p) {
    return execute(sql, params(p.begin(), p.size()));
  }
  /// Several statements, no parameters, no results (scripts, ATTACH, PRAGMA).
  void execute_script(std::string_view sql);
  [[nodiscard]] statement prepare(std::string_view sql);

  /// Manual transaction.
  [[nodiscard]] dbridge::transaction begin(const transaction_options& opts = {});
  /// Block form: commits when f returns, rolls back when f throws (and rethrows).
  template <class F>
  decltype(auto) transaction(F&& f, const transaction_options& opts = {});
  [[nodiscard]] bool in_transaction() const;

  /// Command-shaped backends (Redis): argv in, reply tree out (capability
  /// "command"; include dbridge/command.hpp for reply). A server error reply
  /// throws backend_error with info().backend_code set (e.g. "WRONGTYPE").
  reply command(std::span<const std::string_view> argv);
  reply command(std::initializer_list<std::string_view> argv);

  /// Registers fn as a scalar SQL function (capability "functions").
  void create_function(std::string_view name, int nargs, std::function<value(std::span<const value>)> fn,
                       bool deterministic = true);

  /// Schema introspection (capability "introspect"); each returns the
  /// standard columns documented in abi.h (DBR_META_*).
  [[nodiscard]] result databases();
  [[nodiscard]] result schemas();
  [[nodiscard]] result tables(std::string_view schema = {});
  [[nodiscard]] result columns(std::string_view table, std::string_view schema = {});
  [[nodiscard]] result indexes(std::string_view table = {}, std::string_view schema = {});
  [[nodiscard]] result foreign_keys(std::string_view table = {}, std::string_view schema = {});
  [[nodiscard]] result primary_keys(std::string_view table = {}, std::string_view schema = {});
  /// Key/value stores: keys per database (DBR_META_KEYSPACE: name, keys).
  [[nodiscard]] result keyspace();

  /// Round trip to the server; false (not an exception) when it is gone.
  [[nodiscard]] bool ping();
  /// Cancels the running call from another thread (capability "cancel").
  void cancel();
  /// Sets a driver option at run time, e.g. "statement_timeout_ms" (a query
  /// running longer fails with timeout_error; 0 turns it off). Unknown keys
  /// throw invalid_argument_error.
  void set_option(std::string_view key, const value& v);
  /// Closes now; the connection leaves the registry. Idempotent.
  void close();
  [[nodiscard]] bool is_open() const noexcept;

  std::uint64_t id() const noexcept;
  const std::string& scheme() const noexcept;
  const std::string& redacted_url() const noexcept;
  const std::string& database() const noexcept;
  const std::string& plugin_id() const noexcept;
  const std::string& plugin_version() const noexcept;
  [[nodiscard]] bool has_capability(std::string_view name) const noexcept;
  [[nodiscard]] statement_cache_stats cache_stats() const noexcept;

 private:
  friend connection connect(std::string_view, const connect_options&);
  friend class transaction_scope;
  // The core's own files reach the impl through detail::impl_of (connection_impl.hpp).
  friend struct detail::connection_access;
  friend class detail::pool_core;  // until the pool uses detail::impl_of
  friend struct detail::pooled;
  detail::connection_impl& impl() const { return *impl_; }
  explicit connection(std::unique_ptr<detail::connection_impl> impl);
  dbridge::transaction begin_nested(std::size_t depth);
  std::unique_ptr<detail::connection_impl> impl_;
};

/// Opens a connection; the URL's scheme picks the driver plugin, which is
/// loaded on first use.
[[nodiscard]] DBRIDGE_API connection connect(std::string_view url, const connect_options& opts = {});

template <class F>
decltype(auto) connection::transaction(F&& f, const transaction_options& opts) {
  dbridge::transaction tx = begin(opts);
  if constexpr (std::is_void_v<std::invoke_result_t<F, dbridge::transaction&>>) {
    f(tx);
    if (tx.active()) tx.commit();
  } else {
    auto r = f(tx);
    if (tx.active()) tx.commit();
    return r;
  }
}

template <class F>
decltype(auto) transaction_scope::transaction(F&& f) {
  dbridge::transaction sp = savepoint();
  if constexpr (std::is_void_v<std::invoke_result_t<F, dbridge::transaction&>>) {
    f(sp);
    if (sp.active()) sp.commit();
  } else {
    auto r = f(sp);
    if (sp.active()) sp.commit();
    return r;
  }
}

}  // namespace dbridge
