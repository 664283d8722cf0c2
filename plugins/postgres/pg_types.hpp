// SPDX-License-Identifier: Apache-2.0
// PostgreSQL type codecs: the binary wire formats (send/recv) of the built-in
// types both ways, plus the text fallback for types we do not decode.
#pragma once

#include <dbridge/abi.h>
#include <dbridge/sdk/arena.hpp>
#include <libpq-fe.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace dbridge_postgres {

// Built-in type OIDs (pg_type.dat; stable across server versions).
namespace oid {
inline constexpr Oid unspecified = 0, bool_ = 16, bytea = 17, char_ = 18, name = 19, int8 = 20, int2 = 21,
                     int4 = 23, text = 25, oid_ = 26, json = 114, xml = 142, float4 = 700, float8 = 701,
                     unknown = 705, cidr = 650, inet = 869, bpchar = 1042, varchar = 1043, date = 1082,
                     time = 1083, timestamp = 1114, timestamptz = 1184, interval = 1186, timetz = 1266,
                     numeric = 1700, uuid = 2950, jsonb = 3802, point = 600, macaddr8 = 774, money = 790,
                     macaddr = 829, bit = 1560, varbit = 1562, int4range = 3904, numrange = 3906,
                     tsrange = 3908, tstzrange = 3910, daterange = 3912, int8range = 3926;
}

/// How one column (or array element) is decoded.
enum class codec : std::uint8_t {
  text_raw,   // bytes are the text (text, varchar, name, xml, unknown, anything in text mode)
  bool_, int2, int4, int8, oid_, float4, float8, numeric, bytea, date, time, timetz, timestamp,
  timestamptz, interval, uuid, json, jsonb, inet,
  array,      // binary array; element codec looked up per value
  // binary forms decoded into psql's text (decode_extra)
  point, macaddr, bit, range_int4, range_int8, range_num, range_date, range_ts,
  // text-format decoders (the statement fell back to text results)
  t_bool, t_int, t_float, t_numeric, t_json, t_uuid, t_bytea,
  // text forms parsed into typed values (decode_text_typed), in this order
  t_date, t_time, t_timetz, t_timestamp, t_timestamptz, t_interval, t_array,
};

/// The dbridge tag a codec produces.
std::uint32_t codec_type(codec c) noexcept;
/// The binary codec of a type, or false when we have none (then the result
/// is requested in text).
bool binary_codec(Oid type, codec& out) noexcept;
/// The text-mode codec of a type (always succeeds; text_raw by default).
codec text_codec(Oid type) noexcept;
/// Element type of a built-in array type, 0 if not one.
Oid array_element(Oid array_type) noexcept;
/// Array type of a built-in element type, 0 if none.
Oid array_of(Oid elem_type) noexcept;
/// Name of a built-in type, nullptr when not built in.
const char* builtin_name(Oid type) noexcept;

/// Memory the cells of a batch borrow (SDK).
using arena = dbridge::sdk::arena;

/// Decodes one non-NULL cell. Throws sdk::error (DBR_CAT_DATA) on malformed
/// input. elem: the element codec of a text-format array (t_array).
void decode_cell(codec c, const char* p, int len, dbr_value& out, arena& a, codec elem = codec::text_raw);
/// psql's text of a point, macaddr(8), bit string or range from its binary form.
void decode_extra(codec c, const char* p, int len, dbr_value& out, arena& a);
/// A date/time/interval/array column's text form as its typed value.
void decode_text_typed(codec c, codec elem, const char* p, int len, dbr_value& out, arena& a);
/// Throws the data error for an array whose lower bounds (e.g. "[0:1]") are
/// not 1: dbridge arrays have no lower bound, and re-basing would move elements.
[[noreturn]] void refuse_lower_bound(std::string_view bounds);
/// The data error for a malformed binary value of `type`.
[[noreturn]] void malformed(const char* type, int len);
/// Throws a data error (22008) for a timestamp PostgreSQL holds but dbridge's
/// int64 microseconds since 1970 cannot: its last ~30 years. The first form
/// takes PostgreSQL's own count (micros since 2000), the second its text.
[[noreturn]] void timestamp_past_range(std::int64_t pg_micros);
[[noreturn]] void timestamp_past_range(std::string_view shown);
/// "YYYY-MM-DD HH:MM:SS[.ffffff][ BC]" of a day since 1970 and a time of day.
void append_timestamp_at(std::int64_t days, std::int64_t micros_of_day, std::string& b);

/// Reusable storage for PQexecPrepared's parameter arrays.
struct param_buffers {
  std::vector<std::string> data;
  /// Integer parameters in network order, in place: no string to size.
  std::vector<std::uint64_t> ints;
  std::vector<const char*> values;
  std::vector<int> lengths, formats;
  std::vector<Oid> types;
  void resize(std::size_t n);
};

/// Encodes v for a parameter of type target into buf (binary when we have
/// an exact binary encoding, else text the server parses). Returns the
/// format (1 binary, 0 text). index is 1-based, for messages.
int encode_param(Oid target, const dbr_value& v, std::string& buf, std::size_t index);
/// The most parameters one statement may carry: the protocol counts them in
/// 16 bits, and a larger count desynchronizes the connection.
inline constexpr std::size_t max_params = 65535;
/// The most parameters a prepared statement may have here: prepare reads the
/// server's parameter description, and libpq (up to 16 at least) drops the
/// connection as out of sync on one longer than 30000 bytes (4 per
/// parameter plus 6).
inline constexpr std::size_t max_described_params = (30000 - 6) / 4;
/// Throws invalid_argument naming the limit: n is the count of parameters
/// given (limit max_params), or with `placeholder` the highest $n of a
/// statement to prepare (limit max_described_params).
void check_param_count(std::uint64_t n, bool placeholder = false);
/// Throws a data error (DBR_SUB_NUL_BYTE) naming parameter `index` (1-based)
/// when a text-format parameter holds a NUL byte: libpq sends text
/// parameters as C strings, so the server would get only the part before it.
void check_text_param(std::string_view text, std::size_t index);
/// Throws a data error (22008) naming parameter `index` when a timestamp for
/// a timestamp(tz) parameter lies before PostgreSQL's first: no binary form
/// holds it, and its text (year -290278) reads as a zone displacement.
void check_timestamp_param(Oid target, const dbr_value& v, std::size_t index);
/// The same refusal for any text libpq would cut at a NUL (identifiers,
/// channel names, payloads): `what` names it in the message.
void refuse_nul(std::string_view text, std::string_view what, const char* hint);
/// Binary encoding only (COPY BINARY); false when there is none for the pair.
bool encode_binary(Oid target, const dbr_value& v, std::string& buf);
/// The parameter type to declare for a value when the server has not told
/// us one (pipelines): a built-in OID, or 0 to let the server infer it.
Oid natural_type(const dbr_value& v) noexcept;
/// Text rendering the server's input functions accept.
void render_text(const dbr_value& v, std::string& buf);

}  // namespace dbridge_postgres
