// SPDX-License-Identifier: Apache-2.0
// COPY: typed rows streamed into binary COPY FROM STDIN (the PGCOPY format:
// signature, flags, header extension, then per row a field count and
// length-prefixed binary fields), and COPY ... TO STDOUT streamed out.
#include <algorithm>
#include <cstdint>
#include <cstring>
#include <string>

#include <dbridge/sdk/convert.hpp>

#include "pg_plugin.hpp"

namespace dbridge_postgres {

namespace {

constexpr std::size_t flush_at = 256 * 1024;

// Big-endian stores into bytes the caller has made room for.
inline char* store16(char* p, std::uint16_t v) noexcept {
  v = __builtin_bswap16(v);
  std::memcpy(p, &v, 2);
  return p + 2;
}
inline char* store32(char* p, std::uint32_t v) noexcept {
  v = __builtin_bswap32(v);
  std::memcpy(p, &v, 4);
  return p + 4;
}
inline char* store64(char* p, std::uint64_t v) noexcept {
  v = __builtin_bswap64(v);
  std::memcpy(p, &v, 8);
  return p + 8;
}

// The (column type, value type) pairs a graph or table load is made of,
// written without the general encoder's dispatch; any other pair, and any
// value that does not fit its column's fast form, takes encode_binary.
enum class fast_field : std::uint8_t { none, text, jsonb, int4, int8, float8 };

fast_field fast_field_of(Oid t) noexcept {
  switch (t) {
    case oid::text:
    case oid::varchar:
    case oid::bpchar:
    case oid::json: return fast_field::text;
    case oid::jsonb: return fast_field::jsonb;
    case oid::int4: return fast_field::int4;
    case oid::int8: return fast_field::int8;
    case oid::float8: return fast_field::float8;
    default: return fast_field::none;
  }
}

bool is_text_value(const dbr_value& v) noexcept {
  return v.type == DBR_TYPE_TEXT || v.type == DBR_TYPE_JSON || v.type == DBR_TYPE_DECIMAL;
}

// The rows are encoded into buf_, whose first used_ bytes are the data not
// yet sent; its size is only the room it has. Fields are stored through a
// pointer into room made once per field; appending each length and value to
// a std::string checked its capacity per append (a 500k-edge graph store's
// encoding, with int4 ids below: 0.53 -> 0.39 G instructions).
class copy_in_transfer final : public sdk::bulk_transfer {
 public:
  copy_in_transfer(pg_connection& c, std::vector<Oid> types, std::vector<std::string> names)
      : c_(c), types_(std::move(types)), names_(std::move(names)) {
    for (Oid t : types_) fast_.push_back(fast_field_of(t));
    static const char signature[] = "PGCOPY\n\377\r\n";
    char* p = room(19);
    std::memcpy(p, signature, 11);
    p = store32(p + 11, 0);  // flags: no OIDs
    store32(p, 0);           // header extension length
  }
  ~copy_in_transfer() override { abort(); }

  void write_rows(const dbr_value* cells, std::uint64_t nrows) override {
    if (done_) throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: this COPY has already ended");
    const std::size_t nc = types_.size();
    for (std::uint64_t r = 0; r < nrows; ++r) {
      const std::size_t row_start = used_;
      store16(room(2), static_cast<std::uint16_t>(nc));
      for (std::size_t i = 0; i < nc; ++i) {
        const dbr_value& v = cells[r * nc + i];
        if (v.type == DBR_TYPE_NULL) {
          store32(room(4), 0xFFFFFFFFu);
          continue;
        }
        if (write_fast(i, v, row_start)) continue;
        write_general(i, v, row_start);
      }
      ++rows_;
      if (used_ >= flush_at) send();
    }
  }

  std::int64_t finish() override {
    if (done_) throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: this COPY has already ended");
    store16(room(2), 0xFFFF);  // file trailer
    send();
    done_ = true;
    if (PQputCopyEnd(c_.raw(), nullptr) != 1) c_.raise(nullptr, "COPY");
    result_ptr r = c_.finish_command("COPY");
    const char* t = r.get() != nullptr ? PQcmdTuples(r.get()) : "";
    return t != nullptr && *t != '\0' ? std::strtoll(t, nullptr, 10) : rows_;
  }

  void abort() noexcept override {
    if (done_) return;
    done_ = true;
    PQputCopyEnd(c_.raw(), "aborted by the client");
    while (PGresult* r = c_.get_result()) PQclear(r);
  }

 private:
  // n bytes at the end of the data, for the caller to fill.
  char* room(std::size_t n) {
    if (buf_.size() - used_ < n) [[unlikely]]
      grow(n);
    char* p = buf_.data() + used_;
    used_ += n;
    return p;
  }
  // Doubles from a page: a COPY of a few rows need not zero-fill and fault
  // in the ~256 KiB a large one fills before each send.
  [[gnu::noinline]] void grow(std::size_t n) {
    buf_.resize(std::max(used_ + n, std::max<std::size_t>(2 * buf_.size(), 4096)));
  }

  // Writes field i of the current row (length and bytes) when its pair has
  // a fast form; false leaves the data untouched for the general encoder.
  bool write_fast(std::size_t i, const dbr_value& v, std::size_t row_start) {
    switch (fast_[i]) {
      case fast_field::text:
      case fast_field::jsonb: {
        if (!is_text_value(v) || (fast_[i] == fast_field::jsonb && v.type == DBR_TYPE_DECIMAL)) return false;
        const std::string_view s(v.u.str.ptr, static_cast<std::size_t>(v.u.str.len));
        const bool jsonb = fast_[i] == fast_field::jsonb;
        if (s.size() + 1 > 0x7FFFFFFFu) return false;
        // The server would refuse it as an invalid UTF-8 byte; said here, with the row and column.
        if (const void* nul = std::memchr(s.data(), 0, s.size()); nul != nullptr) {
          used_ = row_start;
          throw sdk::error(DBR_CAT_DATA, "postgres: COPY row " + std::to_string(rows_ + 1) + ", column \"" +
                                             names_[i] + "\" holds a NUL byte at offset " +
                                             std::to_string(static_cast<const char*>(nul) - s.data()) +
                                             "; PostgreSQL text cannot store it (nothing was copied)")
              .subcategory(DBR_SUB_NUL_BYTE)
              .field(DBR_ERRF_HINT, "remove the NUL byte, or store the value in a bytea column");
        }
        const std::size_t len = s.size() + (jsonb ? 1 : 0);
        char* p = store32(room(4 + len), static_cast<std::uint32_t>(len));
        if (jsonb) *p++ = 1;  // jsonb's binary format version
        if (!s.empty()) std::memcpy(p, s.data(), s.size());
        return true;
      }
      case fast_field::int4:  // serial keys; values out of range get the general encoder's error
        if (v.type != DBR_TYPE_INT64 || v.u.i64 < INT32_MIN || v.u.i64 > INT32_MAX) return false;
        store32(store32(room(8), 4), static_cast<std::uint32_t>(static_cast<std::int32_t>(v.u.i64)));
        return true;
      case fast_field::int8:
        if (v.type != DBR_TYPE_INT64) return false;
        store64(store32(room(12), 8), static_cast<std::uint64_t>(v.u.i64));
        return true;
      case fast_field::float8: {
        if (v.type != DBR_TYPE_DOUBLE) return false;
        std::uint64_t u;
        std::memcpy(&u, &v.u.f64, 8);
        store64(store32(room(12), 8), u);
        return true;
      }
      case fast_field::none: break;
    }
    return false;
  }

  // Field i through the general encoder, which appends to a std::string.
  void write_general(std::size_t i, const dbr_value& v, std::size_t row_start) {
    scratch_.clear();
    if (!encode_binary(types_[i], v, scratch_)) {
      used_ = row_start;
      throw sdk::error(DBR_CAT_DATA, "postgres: COPY row " + std::to_string(rows_ + 1) + ", column \"" + names_[i] +
                                         "\" (" + c_.type_name(types_[i]) + ") cannot take the " +
                                         sdk::type_name(v.type) + " value given")
          .sqlstate("22P03");
    }
    char* p = store32(room(4 + scratch_.size()), static_cast<std::uint32_t>(scratch_.size()));
    if (!scratch_.empty()) std::memcpy(p, scratch_.data(), scratch_.size());
  }

  void send() {
    if (used_ == 0) return;
    if (PQputCopyData(c_.raw(), buf_.data(), static_cast<int>(used_)) != 1) c_.raise(nullptr, "COPY");
    used_ = 0;
  }

  pg_connection& c_;
  std::vector<Oid> types_;
  std::vector<std::string> names_;
  std::vector<fast_field> fast_;
  std::string buf_;
  std::size_t used_ = 0;
  std::string scratch_;  ///< one field from the general encoder
  std::int64_t rows_ = 0;
  bool done_ = false;
};

class copy_out_transfer final : public sdk::bulk_transfer {
 public:
  explicit copy_out_transfer(pg_connection& c) : c_(c) {}
  ~copy_out_transfer() override {
    release();
    if (!done_) {
      // Drain the rest: the connection is unusable until the COPY ends.
      char* p = nullptr;
      while (c_.get_copy_data(&p) > 0) PQfreemem(p);
      while (PGresult* r = c_.get_result()) PQclear(r);
    }
  }
  bool read_chunk(std::string_view& chunk) override {
    release();
    if (done_) return false;
    const int n = c_.get_copy_data(&data_);
    if (n > 0) {
      chunk = std::string_view(data_, static_cast<std::size_t>(n));
      return true;
    }
    done_ = true;
    if (n == -2) c_.raise(nullptr, "COPY TO");
    c_.finish_command("COPY TO");
    return false;
  }

 private:
  void release() noexcept {
    if (data_ != nullptr) PQfreemem(data_);
    data_ = nullptr;
  }
  pg_connection& c_;
  char* data_ = nullptr;
  bool done_ = false;
};

}  // namespace

std::unique_ptr<sdk::bulk_transfer> pg_connection::copy_in(const char* table, std::span<const char* const> columns,
                                                           const sdk::param_list& options) {
  for (const dbr_param& p : options)
    throw sdk::error(DBR_CAT_INVALID_ARGUMENT, std::string("postgres: unknown COPY option '") +
                                                   (p.key != nullptr ? p.key : "") + "'; binary COPY takes none");
  settle();
  // "schema.table" quotes each part; a name that itself holds a dot must be
  // given pre-split by the caller as it cannot be told apart.
  std::string_view t = table;
  if (t.empty()) throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "postgres: COPY needs a table name");
  const std::string target = sdk::quote_qualified(t, [this](std::string_view part) { return quote_ident(part); });
  std::string cols;
  for (const char* c : columns) {
    if (c == nullptr || *c == '\0') throw sdk::error(DBR_CAT_INVALID_ARGUMENT, "postgres: COPY column name is empty");
    if (!cols.empty()) cols += ", ";
    cols += quote_ident(c);
  }
  // The column types decide each field's binary encoding.
  result_ptr probe = exec(("SELECT " + (cols.empty() ? std::string("*") : cols) + " FROM " + target + " LIMIT 0").c_str());
  std::vector<Oid> types;
  std::vector<std::string> names;
  for (int i = 0; i < PQnfields(probe.get()); ++i) {
    types.push_back(PQftype(probe.get(), i));
    names.emplace_back(PQfname(probe.get(), i));
  }
  std::string sql = "COPY " + target;
  if (!cols.empty()) sql += " (" + cols + ")";
  sql += " FROM STDIN (FORMAT binary)";
  result_ptr r = blocking_exec(sql.c_str());
  if (r.status() != PGRES_COPY_IN) raise(r.get(), "COPY");
  return std::make_unique<copy_in_transfer>(*this, std::move(types), std::move(names));
}

std::unique_ptr<sdk::bulk_transfer> pg_connection::copy_out(std::string_view sql) {
  settle();
  const std::string text(sql);
  result_ptr r = blocking_exec(text.c_str());
  if (r.status() == PGRES_COPY_OUT) return std::make_unique<copy_out_transfer>(*this);
  if (r.status() == PGRES_FATAL_ERROR || r.status() == PGRES_BAD_RESPONSE) raise(r.get(), "COPY TO");
  if (r.status() == PGRES_COPY_IN) {
    PQputCopyEnd(conn_, "not an export");
    while (PGresult* p = get_result()) PQclear(p);
  }
  throw sdk::error(DBR_CAT_INVALID_ARGUMENT,
                   "postgres: copy_out needs a COPY ... TO STDOUT statement, e.g. COPY t TO STDOUT (FORMAT csv)");
}

}  // namespace dbridge_postgres
