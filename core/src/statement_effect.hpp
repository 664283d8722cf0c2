// SPDX-License-Identifier: Apache-2.0
// What a statement lost in flight may have changed, and so whether running it
// again is safe.
//
// The rule is split where the knowledge is. A plugin knows whether the server
// received the request: it reports DBR_RETRY_NEW_CONN when it did not (the
// connect failed, the request could not be written, the connection was found
// dead before sending) and DBR_RETRY_UNKNOWN_OUTCOME once the request may
// have reached the server. A plugin also knows its backend's command set
// (Redis's read-only commands stay in the Redis plugin). The rules that are
// the same for every SQL driver live here, once, in the core: it sees the
// text of every statement it hands to a plugin and knows whether the
// connection was inside an explicit transaction (transaction API depth, or
// BEGIN/MULTI sent as raw SQL/commands), which no single plugin call does.
// So an unknown outcome becomes "new connection" when
//   - the statement only reads (one SELECT/SHOW/EXPLAIN/VALUES/TABLE/WITH
//     statement without INSERT/UPDATE/DELETE/MERGE/INTO anywhere), or applies
//     nothing durable (ROLLBACK, SAVEPOINT...), or
//   - the connection was inside an explicit transaction and the statement
//     cannot end it: the server rolls the transaction back when the
//     connection drops, so with_retry re-runs the whole transaction.
// Everything else stays unknown: when in doubt, never run a write twice.
// The scans are conservative: a keyword inside a string literal or comment
// counts too, which can only make an outcome unknown, never the reverse.
#pragma once

#include <dbridge/sdk/statement_effect.hpp>

#include <string_view>

#include "dbridge/error.hpp"

namespace dbridge::inline v1::detail {

// The SQL part of the rule is shared with plugins (sdk/statement_effect.hpp).
using sdk::changes_schema;
using sdk::sql_effect;
using sdk::statement_effect;
namespace sql_words = sdk::sql_words;

/// The effect of a command of a command-shaped backend (Redis). Which
/// commands only read is the plugin's knowledge; here only the transaction
/// boundary counts: EXEC applies the queued commands, anything else sent
/// inside MULTI is only queued.
inline statement_effect command_effect(std::string_view name) noexcept {
  using namespace sql_words;
  if (is(name, "DISCARD") || is(name, "MULTI")) return statement_effect::none;
  if (is(name, "EXEC")) return statement_effect::other;
  return statement_effect::tx_write;
}

/// The retry class of an error after the outcome rule (see the top of this file).
inline retry_class retry_after_loss(retry_class reported, statement_effect effect, bool in_tx) noexcept {
  if (reported != retry_class::unknown_outcome) return reported;
  if (effect == statement_effect::none) return retry_class::new_connection;
  if (effect == statement_effect::tx_write && in_tx) return retry_class::new_connection;
  return reported;
}

}  // namespace dbridge::detail
