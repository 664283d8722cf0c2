// SPDX-License-Identifier: Apache-2.0
// connection::command: argv in, an owned reply tree out.
#include "dbridge/command.hpp"

#include <dbridge/abi.h>

#include <charconv>
#include <cstddef>
#include <vector>

#include "connection_impl.hpp"
#include "dbridge/sdk/reply.hpp"

namespace dbridge::inline v1 {

std::string_view to_string(reply_type t) noexcept {
  switch (t) {
    case reply_type::nil: return "nil";
    case reply_type::integer: return "integer";
    case reply_type::status: return "status";
    case reply_type::error: return "error";
    case reply_type::string: return "string";
    case reply_type::array: return "array";
    case reply_type::float64: return "double";
    case reply_type::boolean: return "bool";
    case reply_type::map: return "map";
    case reply_type::set: return "set";
    case reply_type::push: return "push";
    case reply_type::verbatim: return "verbatim";
    case reply_type::bignum: return "bignum";
  }
  return "unknown";
}

const std::string& reply::as_string() const {
  switch (type) {
    case reply_type::string:
    case reply_type::status:
    case reply_type::verbatim:
    case reply_type::bignum: return str;
    default: break;
  }
  throw_error(errc::data, "expected a string reply but got " + std::string(to_string(type)));
}

std::int64_t reply::as_integer() const {
  if (type == reply_type::integer || type == reply_type::boolean) return integer;
  if (type == reply_type::string || type == reply_type::status || type == reply_type::bignum) {
    std::int64_t v = 0;
    auto r = std::from_chars(str.data(), str.data() + str.size(), v);
    if (r.ec == std::errc() && r.ptr == str.data() + str.size()) return v;
    throw_error(errc::data, "the reply '" + str.substr(0, 64) + "' is not an integer");
  }
  throw_error(errc::data, "expected an integer reply but got " + std::string(to_string(type)));
}

namespace {

constexpr int max_depth = 64;

reply copy_reply(const dbr_reply* r, int depth) {
  reply out;
  if (r == nullptr) return out;
  if (depth > max_depth) throw_error(errc::data, "the reply nests deeper than 64 levels");
  if (r->type > DBR_REPLY_BIGNUM) {
    throw_error(errc::data, "the driver returned a reply with unknown type " + std::to_string(r->type));
  }
  out.type = static_cast<reply_type>(r->type);
  out.integer = r->integer;
  out.number = r->dval;
  if (r->str != nullptr) out.str.assign(r->str, r->len);
  if (r->elements > 0 && r->element != nullptr) {
    out.elements.reserve(r->elements);
    for (std::uint64_t i = 0; i < r->elements; ++i) out.elements.push_back(copy_reply(r->element[i], depth + 1));
  }
  return out;
}

[[noreturn]] void raise_error_reply(const detail::connection_impl& c, const dbr_reply& r, std::string_view cmd) {
  error_info info;
  info.category = errc::backend;
  info.driver = c.rec->id;
  info.native_domain = c.rec->id;
  info.message.assign(r.str ? r.str : "", r.str ? r.len : 0);
  // What a code means (a subcategory, a retry) is the driver's to say, with
  // a typed error instead of an error reply.
  info.backend_code = std::string(sdk::error_reply_code(info.message));
  info.query = std::string(cmd);
  throw_error(std::move(info));
}

}  // namespace

reply connection::command(std::span<const std::string_view> argv) {
  if (!impl_) throw_error(errc::invalid_state, "this connection object was moved from");
  auto& c = *impl_;
  c.require(DBR_CAP_COMMAND, reinterpret_cast<const void*>(c.rec->command.execute), "command");
  if (argv.empty()) throw_error(errc::invalid_argument, "command() needs at least the command name");
  if (argv.size() > UINT32_MAX) throw_error(errc::invalid_argument, "too many command arguments");
  std::vector<const char*> ptrs(argv.size());
  std::vector<std::uint64_t> lens(argv.size());
  for (std::size_t i = 0; i < argv.size(); ++i) {
    ptrs[i] = argv[i].data();
    lens[i] = argv[i].size();
  }
  detail::call_guard g(c);
  c.slot->touch();
  detail::abi_error err;
  const dbr_reply* r = nullptr;
  const bool was_in_tx = c.in_explicit_tx();
  const int32_t rc =
      c.rec->command.execute(c.conn, static_cast<std::uint32_t>(argv.size()), ptrs.data(), lens.data(), &r, err);
  if (detail::is_transaction_command(argv[0])) c.refresh_raw_tx();
  // A 1.1 plugin says on the reply whether the command changed the session;
  // without a reply (a failure) or from a 1.0 plugin, the generic list decides.
  if (c.plugin_reports_session && rc >= 0 && r != nullptr &&
      r->struct_size >= offsetof(dbr_reply, reserved_1_1)) {
    if (r->session_changed != 0) c.session_dirty = true;
  } else if (sdk::command_changes_session(argv[0], sdk::generic_session_commands)) {
    c.session_dirty = true;
  }
  if (rc < 0) c.fail_sent(rc, err, argv[0], detail::command_effect(argv[0]), was_in_tx);
  if (r != nullptr && r->type == DBR_REPLY_ERROR) raise_error_reply(c, *r, argv[0]);
  return copy_reply(r, 0);
}

reply connection::command(std::initializer_list<std::string_view> argv) {
  return command(std::span<const std::string_view>(argv.begin(), argv.size()));
}

}  // namespace dbridge
