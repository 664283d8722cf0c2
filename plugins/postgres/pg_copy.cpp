// SPDX-License-Identifier: Apache-2.0
// COPY: typed rows streamed into binary COPY FROM STDIN (the PGCOPY format:
// signature, flags, header extension, then per row a field count and
// length-prefixed binary fields), and COPY ... TO STDOUT streamed out.
#include <cstring>
#include <string>

#include <dbridge/sdk/convert.hpp>

#include "pg_plugin.hpp"

namespace dbridge_postgres {

namespace {

constexpr std::size_t flush_at = 256 * 1024;

void put16(std::string& b, std::uint16_t v) {
  const char c[2] = {static_cast<char>(v >> 8), static_cast<char>(v)};
  b.append(c, 2);
}
void put32(std::string& b, std::uint32_t v) {
  const char c[4] = {static_cast<char>(v >> 24), static_cast<char>(v >> 16), static_cast<char>(v >> 8),
                     static_cast<char>(v)};
  b.append(c, 4);
}
void put64(std::string& b, std::uint64_t v) {
  put32(b, static_cast<std::uint32_t>(v >> 32));
  put32(b, static_cast<std::uint32_t>(v));
}

// The (column type, value type) pairs a graph or table load is made of,
// written without the general encoder's dispatch; any other pair, and any
// value that does not fit its column's fast form, takes encode_binary.
enum class fast_field : std::uint8_t { none, text, jsonb, int8, float8 };

fast_field fast_field_of(Oid t) noexcept {
  switch (t) {
    case oid::text:
    case oid::varchar:
    case oid::bpchar:
    case oid::json: return fast_field::text;
    case oid::jsonb: return fast_field::jsonb;
    case oid::int8: return fast_field::int8;
    case oid::float8: return fast_field::float8;
    default: return fast_field::none;
  }
}

bool is_text_value(const dbr_value& v) noexcept {
  return v.type == DBR_TYPE_TEXT || v.type == DBR_TYPE_JSON || v.type == DBR_TYPE_DECIMAL;
}

class copy_in_transfer final : public sdk::bulk_transfer {
 public:
  copy_in_transfer(pg_connection& c, std::vector<Oid> types, std::vector<std::string> names)
      : c_(c), types_(std::move(types)), names_(std::move(names)) {
    for (Oid t : types_) fast_.push_back(fast_field_of(t));
    static const char signature[] = "PGCOPY\n\377\r\n";
    buf_.append(signature, 11);
    put32(buf_, 0);  // flags: no OIDs
    put32(buf_, 0);  // header extension length
  }
  ~copy_in_transfer() override { abort(); }

  void write_rows(const dbr_value* cells, std::uint64_t nrows) override {
    if (done_) throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: this COPY has already ended");
    const std::size_t nc = types_.size();
    for (std::uint64_t r = 0; r < nrows; ++r) {
      const std::size_t row_start = buf_.size();
      put16(buf_, static_cast<std::uint16_t>(nc));
      for (std::size_t i = 0; i < nc; ++i) {
        const dbr_value& v = cells[r * nc + i];
        if (v.type == DBR_TYPE_NULL) {
          put32(buf_, 0xFFFFFFFFu);
          continue;
        }
        if (write_fast(i, v, row_start)) continue;
        const std::size_t at = buf_.size();
        put32(buf_, 0);
        if (!encode_binary(types_[i], v, buf_)) {
          buf_.resize(row_start);
          throw sdk::error(DBR_CAT_DATA, "postgres: COPY row " + std::to_string(rows_ + 1) + ", column \"" +
                                             names_[i] + "\" (" + c_.type_name(types_[i]) + ") cannot take a " +
                                             sdk::type_name(v.type) + " value")
              .sqlstate("22P03");
        }
        const std::uint32_t len = static_cast<std::uint32_t>(buf_.size() - at - 4);
        for (int k = 0; k < 4; ++k) buf_[at + k] = static_cast<char>(len >> (24 - 8 * k));
      }
      ++rows_;
      if (buf_.size() >= flush_at) send();
    }
  }

  std::int64_t finish() override {
    if (done_) throw sdk::error(DBR_CAT_INVALID_STATE, "postgres: this COPY has already ended");
    put16(buf_, 0xFFFF);  // file trailer
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
  // Writes field i of the current row (length and bytes) when its pair has
  // a fast form; false leaves buf_ untouched for the general encoder.
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
          buf_.resize(row_start);
          throw sdk::error(DBR_CAT_DATA, "postgres: COPY row " + std::to_string(rows_ + 1) + ", column \"" +
                                             names_[i] + "\" holds a NUL byte at offset " +
                                             std::to_string(static_cast<const char*>(nul) - s.data()) +
                                             "; PostgreSQL text cannot store it (nothing was copied)")
              .subcategory(DBR_SUB_NUL_BYTE)
              .field(DBR_ERRF_HINT, "remove the NUL byte, or store the value in a bytea column");
        }
        put32(buf_, static_cast<std::uint32_t>(s.size() + (jsonb ? 1 : 0)));
        if (jsonb) buf_.push_back(1);  // jsonb's binary format version
        buf_.append(s);
        return true;
      }
      case fast_field::int8:
        if (v.type != DBR_TYPE_INT64) return false;
        put32(buf_, 8);
        put64(buf_, static_cast<std::uint64_t>(v.u.i64));
        return true;
      case fast_field::float8: {
        if (v.type != DBR_TYPE_DOUBLE) return false;
        std::uint64_t u;
        std::memcpy(&u, &v.u.f64, 8);
        put32(buf_, 8);
        put64(buf_, u);
        return true;
      }
      case fast_field::none: break;
    }
    return false;
  }

  void send() {
    if (buf_.empty()) return;
    if (PQputCopyData(c_.raw(), buf_.data(), static_cast<int>(buf_.size())) != 1) c_.raise(nullptr, "COPY");
    buf_.clear();
  }

  pg_connection& c_;
  std::vector<Oid> types_;
  std::vector<std::string> names_;
  std::vector<fast_field> fast_;
  std::string buf_;
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
