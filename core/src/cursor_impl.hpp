// SPDX-License-Identifier: Apache-2.0
// The core side of one streamed result: the plugin cursor, the batch of
// borrowed cells being read, and who owns the statement behind it.
#pragma once

#include <dbridge/abi.h>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "cell_abi.hpp"
#include "dbridge/connection.hpp"

namespace dbridge::inline v1::detail {

struct connection_impl;
struct cached_stmt;
struct statement_impl;

enum class stmt_owner : std::uint8_t {
  none,       ///< standalone cursor (introspection): close frees it
  cached,     ///< statement from the connection's cache, handed back on close
  owned,      ///< one-off statement, finalized on close
  statement,  ///< an explicit dbridge::statement's
};

struct cursor_impl : cursor_head {
  connection_impl* conn = nullptr;  ///< nullptr once the connection closed under us
  dbr_cursor* cur = nullptr;
  stmt_owner owner = stmt_owner::none;
  cached_stmt* entry = nullptr;
  dbr_stmt* owned_stmt = nullptr;
  statement_impl* stmt_impl = nullptr;

  bool done = false;
  /// Why reading stopped early (connection closed, statement re-executed).
  const char* invalid_reason = nullptr;

  bool described = false;
  std::vector<column_info> columns;

  // Links in the connection's list of live cursors.
  cursor_impl* prev = nullptr;
  cursor_impl* next = nullptr;

  /// Reads column descriptions once (throws like any plugin call).
  void describe();
  std::size_t index_of(std::string_view name);
};

}  // namespace dbridge::detail
