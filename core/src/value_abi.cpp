// SPDX-License-Identifier: Apache-2.0
#include "value_abi.hpp"

#include <cstring>

namespace dbridge::inline v1::detail {

namespace {
std::uint32_t infinity_flags(std::int8_t inf) noexcept {
  return inf > 0 ? DBR_VF_POS_INFINITY : inf < 0 ? DBR_VF_NEG_INFINITY : 0u;
}
void set_str(dbr_value& out, std::uint32_t type, const std::string& s) noexcept {
  out.type = type;
  out.u.str.ptr = s.data();
  out.u.str.len = s.size();
}
}  // namespace

void to_abi(const value& v, dbr_value& out, abi_scratch& scratch) {
  std::memset(&out, 0, sizeof out);
  const auto& s = v.get_storage();
  switch (static_cast<value_type>(s.index())) {
    case value_type::null: out.type = DBR_TYPE_NULL; break;
    case value_type::boolean:
      out.type = DBR_TYPE_BOOL;
      out.u.i64 = std::get<bool>(s) ? 1 : 0;
      break;
    case value_type::int64:
      out.type = DBR_TYPE_INT64;
      out.u.i64 = std::get<std::int64_t>(s);
      break;
    case value_type::uint64:
      out.type = DBR_TYPE_UINT64;
      out.u.u64 = std::get<std::uint64_t>(s);
      break;
    case value_type::float64:
      out.type = DBR_TYPE_DOUBLE;
      out.u.f64 = std::get<double>(s);
      break;
    case value_type::text: set_str(out, DBR_TYPE_TEXT, std::get<std::string>(s)); break;
    case value_type::bytes: {
      const auto& b = std::get<bytes>(s);
      out.type = DBR_TYPE_BYTES;
      out.u.bin.ptr = b.data();
      out.u.bin.len = b.size();
      break;
    }
    case value_type::decimal: set_str(out, DBR_TYPE_DECIMAL, std::get<decimal>(s).text); break;
    case value_type::json: set_str(out, DBR_TYPE_JSON, std::get<json>(s).text); break;
    case value_type::date: {
      const auto& d = std::get<date>(s);
      out.type = DBR_TYPE_DATE;
      out.flags = infinity_flags(d.infinity);
      out.u.ts.micros = d.days;
      break;
    }
    case value_type::time: {
      const auto& t = std::get<time_of_day>(s);
      out.type = DBR_TYPE_TIME;
      out.u.ts.micros = t.micros;
      if (t.offset_s) {
        out.flags = DBR_VF_HAS_OFFSET;
        out.u.ts.offset_s = *t.offset_s;
      }
      break;
    }
    case value_type::timestamp: {
      const auto& t = std::get<timestamp>(s);
      out.type = DBR_TYPE_TIMESTAMP;
      out.flags = infinity_flags(t.infinity);
      out.u.ts.micros = t.micros;
      break;
    }
    case value_type::timestamptz: {
      const auto& t = std::get<timestamptz>(s);
      out.type = DBR_TYPE_TIMESTAMPTZ;
      out.flags = infinity_flags(t.infinity);
      out.u.ts.micros = t.micros;
      out.u.ts.offset_s = t.offset_s;
      break;
    }
    case value_type::interval: {
      const auto& iv = std::get<interval>(s);
      out.type = DBR_TYPE_INTERVAL;
      out.u.iv.months = iv.months;
      out.u.iv.days = iv.days;
      out.u.iv.micros = iv.micros;
      break;
    }
    case value_type::uuid:
      out.type = DBR_TYPE_UUID;
      std::memcpy(out.u.uuid, std::get<uuid>(s).octets.data(), 16);
      break;
    case value_type::array: {
      const auto& a = std::get<array>(s);
      const std::size_t idx = scratch.used++;
      if (idx == scratch.slots.size()) scratch.slots.push_back(std::make_unique<abi_scratch::slot>());
      abi_scratch::slot& sl = *scratch.slots[idx];
      sl.items.resize(a.size());
      std::uint32_t elem_type = DBR_TYPE_NULL;
      for (std::size_t i = 0; i < a.size(); ++i) {
        to_abi(a[i], sl.items[i], scratch);
        if (elem_type == DBR_TYPE_NULL) elem_type = sl.items[i].type;
      }
      dbr_array& arr = sl.arr;
      std::memset(&arr, 0, sizeof arr);
      arr.struct_size = sizeof arr;
      arr.elem_type = elem_type;
      arr.count = a.size();
      arr.items = sl.items.data();
      out.type = DBR_TYPE_ARRAY;
      out.u.arr = &arr;
      break;
    }
  }
}

}  // namespace dbridge::detail
