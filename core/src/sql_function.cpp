// SPDX-License-Identifier: Apache-2.0
// Scalar SQL functions written in C++ (capability "functions"): the thunk
// the plugin calls and the holder it owns.
#include <dbridge/abi.h>

#include "connection_impl.hpp"
#include "dbridge/connection.hpp"

namespace dbridge::inline v1 {

namespace detail {

namespace {

struct function_holder {
  std::function<value(std::span<const value>)> fn;
  std::vector<value> args;
  value result;  // lives until the next call, so the plugin can copy it
  abi_scratch scratch;
};

int32_t report(dbr_error* err, errc cat, const std::string& sqlstate, const std::string& msg) noexcept {
  return host_table()->error_set(err, static_cast<std::uint32_t>(cat), sqlstate.size() == 5 ? sqlstate.c_str() : nullptr,
                                 msg.data(), msg.size());
}

int32_t function_thunk(void* user, uint32_t argc, const dbr_value* argv, dbr_value* out, dbr_error* err) noexcept {
  auto* h = static_cast<function_holder*>(user);
  try {
    h->args.clear();
    for (uint32_t i = 0; i < argc; ++i) h->args.push_back(value::from_abi(argv[i]));
    h->result = h->fn(std::span<const value>(h->args));
    h->scratch.reset();
    to_abi(h->result, *out, h->scratch);
    return DBR_OK;
  } catch (const error& e) {
    return report(err, e.category(), e.info().sqlstate, e.info().message);
  } catch (const std::exception& e) {
    return report(err, errc::internal, {}, std::string("the SQL function threw: ") + e.what());
  } catch (...) {
    return report(err, errc::internal, {}, "the SQL function threw an exception that is not a std::exception");
  }
}

void function_destroy(void* user) noexcept { delete static_cast<function_holder*>(user); }

}  // namespace

}  // namespace detail

void connection::create_function(std::string_view name, int nargs, std::function<value(std::span<const value>)> fn,
                                 bool deterministic) {
  auto& c = live(impl_);
  c.require(DBR_CAP_FUNCTIONS, reinterpret_cast<const void*>(c.rec->functions.create_scalar), "functions");
  if (!fn) throw_error(errc::invalid_argument, "create_function('" + std::string(name) + "') was given an empty function");
  const std::string fname(name);
  auto holder = std::make_unique<detail::function_holder>();
  holder->fn = std::move(fn);
  detail::call_guard g(c);
  detail::abi_error err;
  // The plugin owns the holder from here on, even when registration fails.
  c.session_dirty = true;  // the function stays registered on this connection
  const int32_t rc = c.rec->functions.create_scalar(c.conn, fname.c_str(), nargs,
                                                    deterministic ? DBR_FN_DETERMINISTIC : 0u,
                                                    detail::function_thunk, holder.release(),
                                                    detail::function_destroy, err);
  if (rc < 0) c.fail(rc, err);
}

}  // namespace dbridge
