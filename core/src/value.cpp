// SPDX-License-Identifier: Apache-2.0
// dbridge::value: strict conversions, deep copies of ABI values, text rendering.
#include "dbridge/value.hpp"

#include <dbridge/abi.h>
#include <dbridge/sdk/datetime_text.hpp>

#include <charconv>
#include <cmath>
#include <cstdio>
#include <limits>
#include <string_view>
#include <type_traits>

#include <nlohmann/json.hpp>

#include "dbridge/error.hpp"
#include "value_abi.hpp"

namespace dbridge::inline v1 {

std::string_view to_string(value_type t) noexcept {
  switch (t) {
    case value_type::null: return "null";
    case value_type::boolean: return "bool";
    case value_type::int64: return "int64";
    case value_type::uint64: return "uint64";
    case value_type::float64: return "double";
    case value_type::text: return "text";
    case value_type::bytes: return "bytes";
    case value_type::decimal: return "decimal";
    case value_type::date: return "date";
    case value_type::time: return "time";
    case value_type::timestamp: return "timestamp";
    case value_type::timestamptz: return "timestamptz";
    case value_type::interval: return "interval";
    case value_type::uuid: return "uuid";
    case value_type::json: return "json";
    case value_type::array: return "array";
  }
  return "unknown";
}

// The calendar of datetime_text.hpp, the one every date text uses.
std::int32_t days_from_civil(int y, unsigned m, unsigned d) noexcept {
  return static_cast<std::int32_t>(sdk::days_from_civil(y, m, d));
}

void civil_from_days(std::int32_t days, int& y, unsigned& m, unsigned& d) noexcept {
  std::int64_t year = 0;
  sdk::civil_from_days(days, year, m, d);
  y = static_cast<int>(year);
}

namespace {

int hex_digit(char c) noexcept {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

std::string double_text(double d) {
  if (std::isnan(d)) return "NaN";
  if (std::isinf(d)) return d > 0 ? "Infinity" : "-Infinity";
  char buf[32];
  auto r = std::to_chars(buf, buf + sizeof buf, d);
  return std::string(buf, r.ptr);
}

// An array as a JSON array: items that hold commas, quotes, brackets or the
// word NULL stay apart from their neighbours and from a real NULL. Items
// JSON has no form for are strings in value::to_string()'s form.
nlohmann::json array_json(const array& items) {
  nlohmann::json out = nlohmann::json::array();
  for (const auto& item : items) {
    const auto& s = item.get_storage();
    if (item.is_null()) out.push_back(nullptr);
    else if (const auto* b = std::get_if<bool>(&s)) out.push_back(*b);
    else if (const auto* i = std::get_if<std::int64_t>(&s)) out.push_back(*i);
    else if (const auto* u = std::get_if<std::uint64_t>(&s)) out.push_back(*u);
    else if (const auto* d = std::get_if<double>(&s); d != nullptr && std::isfinite(*d)) out.push_back(*d);
    else if (const auto* a = std::get_if<array>(&s)) out.push_back(array_json(*a));
    else if (const auto* j = std::get_if<json>(&s)) {
      nlohmann::json parsed = nlohmann::json::parse(j->text, nullptr, false);
      out.push_back(parsed.is_discarded() ? nlohmann::json(j->text) : std::move(parsed));
    } else out.push_back(item.to_string());
  }
  return out;
}

[[noreturn]] void cannot_convert(const value& v, std::string_view target, std::string_view why = {}) {
  std::string msg = "cannot read a ";
  msg += to_string(v.type());
  msg += " value as ";
  msg += target;
  if (!why.empty()) {
    msg += ": ";
    msg += why;
  } else {
    msg += "; read it as its own type or convert it in the query";
  }
  throw_error(errc::data, std::move(msg));
}

template <class I>
I checked_integer(const value& v, std::string_view target) {
  const auto& s = v.get_storage();
  constexpr auto lo = std::numeric_limits<I>::min();
  constexpr auto hi = std::numeric_limits<I>::max();
  if (const auto* b = std::get_if<bool>(&s)) return static_cast<I>(*b ? 1 : 0);
  if (const auto* i = std::get_if<std::int64_t>(&s)) {
    if (!std::in_range<I>(*i)) cannot_convert(v, target, std::to_string(*i) + " is out of range");
    return static_cast<I>(*i);
  }
  if (const auto* u = std::get_if<std::uint64_t>(&s)) {
    if (!std::in_range<I>(*u)) cannot_convert(v, target, std::to_string(*u) + " is out of range");
    return static_cast<I>(*u);
  }
  if (const auto* d = std::get_if<double>(&s)) {
    // Only integral doubles inside the range convert, so nothing is silently truncated.
    // hi + 1 is a power of two, exact in a double even where hi is not.
    const double upper = 2.0 * static_cast<double>(hi / 2 + 1);
    if (std::isfinite(*d) && std::trunc(*d) == *d && *d >= static_cast<double>(lo) && *d < upper)
      return static_cast<I>(*d);
    cannot_convert(v, target, double_text(*d) + " is not an integer in range");
  }
  if (const auto* dec = std::get_if<decimal>(&s)) {
    // Exact only: SUM() of integers is a DECIMAL on MariaDB and PostgreSQL,
    // and "6" or "6.00" is 6; "1.5", NaN or a value out of range is not.
    const std::string_view text = dec->text;
    std::string_view whole = text;
    if (!whole.empty() && whole.front() == '+') whole.remove_prefix(1);
    std::string_view fraction;
    if (const auto dot = whole.find('.'); dot != std::string_view::npos) {
      fraction = whole.substr(dot + 1);
      whole = whole.substr(0, dot);
    }
    const bool negative = !whole.empty() && whole.front() == '-';
    const std::string_view magnitude = negative ? whole.substr(1) : whole;
    const bool digits = !magnitude.empty() && magnitude.find_first_not_of("0123456789") == std::string_view::npos &&
                        fraction.find_first_not_of("0123456789") == std::string_view::npos;
    if (!digits || fraction.find_first_not_of('0') != std::string_view::npos)
      cannot_convert(v, target, "'" + dec->text + "' is not an integer");
    if (negative && std::is_unsigned_v<I>) {
      if (magnitude.find_first_not_of('0') == std::string_view::npos) return 0;  // -0
      cannot_convert(v, target, dec->text + " is out of range");
    }
    I out{};
    const auto r = std::from_chars(whole.data(), whole.data() + whole.size(), out);
    if (r.ec != std::errc() || r.ptr != whole.data() + whole.size())
      cannot_convert(v, target, dec->text + " is out of range");
    return out;
  }
  cannot_convert(v, target);
}

}  // namespace

value_type value::type() const noexcept { return static_cast<value_type>(v_.index()); }

namespace {

template <class T>
struct tag {};

bool as_impl(const value& self, tag<bool>) {
  if (const auto* b = std::get_if<bool>(&self.get_storage())) return *b;
  if (const auto* i = std::get_if<std::int64_t>(&self.get_storage())) {
    if (*i == 0 || *i == 1) return *i == 1;
    cannot_convert(self, "bool", std::to_string(*i) + " is neither 0 nor 1");
  }
  if (const auto* u = std::get_if<std::uint64_t>(&self.get_storage())) {
    if (*u <= 1) return *u == 1;
    cannot_convert(self, "bool", std::to_string(*u) + " is neither 0 nor 1");
  }
  cannot_convert(self, "bool");
}

std::int32_t as_impl(const value& self, tag<std::int32_t>) { return checked_integer<std::int32_t>(self, "int32"); }
std::int64_t as_impl(const value& self, tag<std::int64_t>) { return checked_integer<std::int64_t>(self, "int64"); }
std::uint64_t as_impl(const value& self, tag<std::uint64_t>) { return checked_integer<std::uint64_t>(self, "uint64"); }

double as_impl(const value& self, tag<double>) {
  if (const auto* d = std::get_if<double>(&self.get_storage())) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&self.get_storage())) return static_cast<double>(*i);
  if (const auto* u = std::get_if<std::uint64_t>(&self.get_storage())) return static_cast<double>(*u);
  if (const auto* dec = std::get_if<decimal>(&self.get_storage())) {
    double out = 0;
    const char* b = dec->text.data();
    const char* e = b + dec->text.size();
    auto r = std::from_chars(b, e, out);
    if (r.ec == std::errc() && r.ptr == e) return out;
    if (dec->text == "NaN") return std::numeric_limits<double>::quiet_NaN();
    cannot_convert(self, "double", "'" + dec->text + "' is not a number");
  }
  cannot_convert(self, "double");
}

std::string as_impl(const value& self, tag<std::string>) {
  if (const auto* s = std::get_if<std::string>(&self.get_storage())) return *s;
  if (const auto* d = std::get_if<decimal>(&self.get_storage())) return d->text;
  if (const auto* j = std::get_if<json>(&self.get_storage())) return j->text;
  cannot_convert(self, "string", "use to_string() for a text rendering");
}

bytes as_impl(const value& self, tag<bytes>) {
  if (const auto* b = std::get_if<bytes>(&self.get_storage())) return *b;
  if (const auto* s = std::get_if<std::string>(&self.get_storage())) return bytes(s->begin(), s->end());
  cannot_convert(self, "bytes");
}

decimal as_impl(const value& self, tag<decimal>) {
  if (const auto* d = std::get_if<decimal>(&self.get_storage())) return *d;
  if (const auto* i = std::get_if<std::int64_t>(&self.get_storage())) return decimal{std::to_string(*i)};
  if (const auto* u = std::get_if<std::uint64_t>(&self.get_storage())) return decimal{std::to_string(*u)};
  cannot_convert(self, "decimal");
}

date as_impl(const value& self, tag<date>) {
  if (const auto* d = std::get_if<date>(&self.get_storage())) return *d;
  cannot_convert(self, "date");
}
time_of_day as_impl(const value& self, tag<time_of_day>) {
  if (const auto* t = std::get_if<time_of_day>(&self.get_storage())) return *t;
  cannot_convert(self, "time");
}
timestamp as_impl(const value& self, tag<timestamp>) {
  if (const auto* t = std::get_if<timestamp>(&self.get_storage())) return *t;
  cannot_convert(self, "timestamp");
}
timestamptz as_impl(const value& self, tag<timestamptz>) {
  if (const auto* t = std::get_if<timestamptz>(&self.get_storage())) return *t;
  cannot_convert(self, "timestamptz");
}
interval as_impl(const value& self, tag<interval>) {
  if (const auto* i = std::get_if<interval>(&self.get_storage())) return *i;
  cannot_convert(self, "interval");
}

uuid as_impl(const value& self, tag<uuid>) {
  if (const auto* u = std::get_if<uuid>(&self.get_storage())) return *u;
  if (const auto* s = std::get_if<std::string>(&self.get_storage())) return uuid::parse(*s);
  if (const auto* b = std::get_if<bytes>(&self.get_storage())) {
    if (b->size() != 16) cannot_convert(self, "uuid", std::to_string(b->size()) + " bytes instead of 16");
    uuid u;
    std::copy(b->begin(), b->end(), u.octets.begin());
    return u;
  }
  cannot_convert(self, "uuid");
}

json as_impl(const value& self, tag<json>) {
  if (const auto* j = std::get_if<json>(&self.get_storage())) return *j;
  if (const auto* s = std::get_if<std::string>(&self.get_storage())) {
    // Text becomes JSON only when it is a valid document, never by quoting it.
    if (!nlohmann::json::accept(*s)) cannot_convert(self, "json", "the text is not a valid JSON document");
    return json{*s};
  }
  cannot_convert(self, "json");
}

array as_impl(const value& self, tag<array>) {
  if (const auto* a = std::get_if<array>(&self.get_storage())) return *a;
  cannot_convert(self, "array");
}

}  // namespace

template <class T>
T value::as() const {
  return as_impl(*this, tag<T>{});
}

template bool value::as<bool>() const;
template std::int32_t value::as<std::int32_t>() const;
template std::int64_t value::as<std::int64_t>() const;
template std::uint64_t value::as<std::uint64_t>() const;
template double value::as<double>() const;
template std::string value::as<std::string>() const;
template bytes value::as<bytes>() const;
template decimal value::as<decimal>() const;
template date value::as<date>() const;
template time_of_day value::as<time_of_day>() const;
template timestamp value::as<timestamp>() const;
template timestamptz value::as<timestamptz>() const;
template interval value::as<interval>() const;
template uuid value::as<uuid>() const;
template json value::as<json>() const;
template array value::as<array>() const;

std::string uuid::to_string() const {
  static constexpr char digits[] = "0123456789abcdef";
  std::string out;
  out.reserve(36);
  for (std::size_t i = 0; i < 16; ++i) {
    if (i == 4 || i == 6 || i == 8 || i == 10) out.push_back('-');
    out.push_back(digits[octets[i] >> 4]);
    out.push_back(digits[octets[i] & 0xF]);
  }
  return out;
}

uuid uuid::parse(std::string_view text) {
  std::string_view t = text;
  if (t.size() == 38 && t.front() == '{' && t.back() == '}') t = t.substr(1, 36);
  const bool hyphenated = t.size() == 36;
  if (!hyphenated && t.size() != 32) {
    throw_error(errc::invalid_argument, "'" + std::string(text.substr(0, 64)) +
                                            "' is not a UUID: expected 32 hex digits, as "
                                            "xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx");
  }
  uuid u;
  std::size_t pos = 0;
  for (std::size_t i = 0; i < 16; ++i) {
    if (hyphenated && (pos == 8 || pos == 13 || pos == 18 || pos == 23)) {
      if (t[pos] != '-') {
        throw_error(errc::invalid_argument, "'" + std::string(text) + "' is not a UUID: expected '-' at position " +
                                                std::to_string(pos + 1));
      }
      ++pos;
    }
    const int hi = hex_digit(t[pos]);
    const int lo = hex_digit(t[pos + 1]);
    if (hi < 0 || lo < 0) {
      throw_error(errc::invalid_argument,
                  "'" + std::string(text) + "' is not a UUID: non-hex digit near position " + std::to_string(pos + 1));
    }
    u.octets[i] = static_cast<std::uint8_t>(hi << 4 | lo);
    pos += 2;
  }
  return u;
}

value value::from_abi(const dbr_value& v) {
  switch (v.type) {
    case DBR_TYPE_NULL: return value();
    case DBR_TYPE_BOOL: return value(v.u.i64 != 0);
    case DBR_TYPE_INT64: return value(static_cast<long long>(v.u.i64));
    case DBR_TYPE_UINT64: return value(static_cast<unsigned long long>(v.u.u64));
    case DBR_TYPE_DOUBLE: return value(v.u.f64);
    case DBR_TYPE_TEXT: return value(std::string(v.u.str.ptr ? v.u.str.ptr : "", v.u.str.len));
    case DBR_TYPE_BYTES:
      return value(v.u.bin.ptr ? bytes(v.u.bin.ptr, v.u.bin.ptr + v.u.bin.len) : bytes());
    case DBR_TYPE_DECIMAL: return value(decimal{std::string(v.u.str.ptr ? v.u.str.ptr : "", v.u.str.len)});
    case DBR_TYPE_JSON: return value(json{std::string(v.u.str.ptr ? v.u.str.ptr : "", v.u.str.len)});
    case DBR_TYPE_DATE:
      return value(date{static_cast<std::int32_t>(v.u.ts.micros), detail::infinity_of(v.flags)});
    case DBR_TYPE_TIME: {
      time_of_day t{v.u.ts.micros, std::nullopt};
      if (v.flags & DBR_VF_HAS_OFFSET) t.offset_s = v.u.ts.offset_s;
      return value(t);
    }
    case DBR_TYPE_TIMESTAMP: return value(timestamp{v.u.ts.micros, detail::infinity_of(v.flags)});
    case DBR_TYPE_TIMESTAMPTZ:
      return value(timestamptz{v.u.ts.micros, v.u.ts.offset_s, detail::infinity_of(v.flags)});
    case DBR_TYPE_INTERVAL: return value(interval{v.u.iv.months, v.u.iv.days, v.u.iv.micros});
    case DBR_TYPE_UUID: {
      uuid u;
      std::copy(v.u.uuid, v.u.uuid + 16, u.octets.begin());
      return value(u);
    }
    case DBR_TYPE_ARRAY: {
      array items;
      if (v.u.arr != nullptr && v.u.arr->items != nullptr) {
        items.reserve(v.u.arr->count);
        for (std::uint64_t i = 0; i < v.u.arr->count; ++i) items.push_back(from_abi(v.u.arr->items[i]));
      }
      return value(std::move(items));
    }
    default: break;
  }
  throw_error(errc::data, "the driver returned a value with unknown type tag " + std::to_string(v.type) +
                              "; upgrade dbridge or the plugin so they agree on the ABI minor");
}

std::string value::to_string() const {
  struct visitor {
    std::string operator()(std::monostate) const { return "NULL"; }
    std::string operator()(bool b) const { return b ? "true" : "false"; }
    std::string operator()(std::int64_t i) const { return std::to_string(i); }
    std::string operator()(std::uint64_t u) const { return std::to_string(u); }
    std::string operator()(double d) const { return double_text(d); }
    std::string operator()(const std::string& s) const { return s; }
    std::string operator()(const bytes& b) const {
      static constexpr char digits[] = "0123456789abcdef";
      std::string out = "\\x";
      out.reserve(2 + b.size() * 2);
      for (auto c : b) {
        out.push_back(digits[c >> 4]);
        out.push_back(digits[c & 0xF]);
      }
      return out;
    }
    std::string operator()(const decimal& d) const { return d.text; }
    std::string operator()(const date& d) const {
      if (d.infinity != 0) return d.infinity > 0 ? "infinity" : "-infinity";
      std::string out;
      sdk::append_datetime(out, [&](char* b) { return sdk::format_date(d.days, b); });
      return out;
    }
    std::string operator()(const time_of_day& t) const {
      std::string out;
      sdk::append_datetime(out, [&](char* b) { return sdk::format_time(t.micros, b); });
      if (t.offset_s) sdk::append_datetime(out, [&](char* b) { return sdk::format_offset(*t.offset_s, b, true); });
      return out;
    }
    std::string operator()(const timestamp& t) const {
      if (t.infinity != 0) return t.infinity > 0 ? "infinity" : "-infinity";
      std::string out;
      sdk::append_datetime(out, [&](char* b) { return sdk::format_timestamp(t.micros, b, 'T'); });
      return out;
    }
    std::string operator()(const timestamptz& t) const {
      if (t.infinity != 0) return t.infinity > 0 ? "infinity" : "-infinity";
      // Shown in the offset it was read with: local time = UTC + offset.
      std::string out;
      sdk::append_datetime(
          out, [&](char* b) { return sdk::format_timestamp(t.micros + std::int64_t{t.offset_s} * 1'000'000, b, 'T'); });
      sdk::append_datetime(out, [&](char* b) { return sdk::format_offset(t.offset_s, b, true); });
      return out;
    }
    std::string operator()(const interval& iv) const {
      std::string out;
      sdk::append_datetime(out, [&](char* b) { return sdk::format_interval(iv.months, iv.days, iv.micros, b); });
      return out;
    }
    std::string operator()(const uuid& u) const { return u.to_string(); }
    std::string operator()(const json& j) const { return j.text; }
    std::string operator()(const array& a) const {
      // Text from a backend may hold invalid UTF-8; replacing it beats a throw.
      return array_json(a).dump(-1, ' ', false, nlohmann::json::error_handler_t::replace);
    }
  };
  return std::visit(visitor{}, v_);
}

}  // namespace dbridge
