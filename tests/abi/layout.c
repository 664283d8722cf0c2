/* Prints the size, alignment and field offsets of every struct of abi.h.
 * Built by gcc, clang, g++ and clang++; the outputs must be identical and match
 * tests/abi/layout.golden (append-only within a major). */
#include <dbridge/abi.h>
#include <stdio.h>

#ifdef __cplusplus
#define ALIGN_OF(t) alignof(t)
#else
#define ALIGN_OF(t) _Alignof(t)
#endif

#define S(t) printf("%s size=%u align=%u\n", #t, (unsigned)sizeof(t), (unsigned)ALIGN_OF(t))
#define F(t, f) printf("  %s.%s @%u\n", #t, #f, (unsigned)offsetof(t, f))

int main(void) {
  S(dbr_error);
  F(dbr_error, struct_size);
  F(dbr_error, status);
  F(dbr_error, category);
  F(dbr_error, subcategory);
  F(dbr_error, sqlstate);
  F(dbr_error, retry);
  F(dbr_error, conn_broken);
  F(dbr_error, native_code);
  F(dbr_error, native_domain);
  F(dbr_error, message);
  F(dbr_error, message_len);
  F(dbr_error, host_private);
  S(dbr_value);
  F(dbr_value, type);
  F(dbr_value, flags);
  F(dbr_value, u);
  S(dbr_array);
  F(dbr_array, struct_size);
  F(dbr_array, elem_type);
  F(dbr_array, count);
  F(dbr_array, items);
  F(dbr_array, elem_native_type);
  S(dbr_param);
  F(dbr_param, key);
  F(dbr_param, value);
  S(dbr_column);
  F(dbr_column, struct_size);
  F(dbr_column, type);
  F(dbr_column, name);
  F(dbr_column, native_type);
  F(dbr_column, nullable);
  F(dbr_column, precision);
  F(dbr_column, scale);
  F(dbr_column, reserved);
  F(dbr_column, max_length);
  S(dbr_rows);
  F(dbr_rows, struct_size);
  F(dbr_rows, ncols);
  F(dbr_rows, nrows);
  F(dbr_rows, cells);
  S(dbr_host);
  F(dbr_host, struct_size);
  F(dbr_host, abi_major);
  F(dbr_host, abi_minor);
  F(dbr_host, host_ctx);
  F(dbr_host, alloc);
  F(dbr_host, free);
  F(dbr_host, error_set);
  F(dbr_host, error_set_field);
  F(dbr_host, log);
  F(dbr_host, error_clear);
  S(dbr_plugin_desc);
  F(dbr_plugin_desc, struct_size);
  F(dbr_plugin_desc, abi_major);
  F(dbr_plugin_desc, abi_minor);
  F(dbr_plugin_desc, kind);
  F(dbr_plugin_desc, threading);
  F(dbr_plugin_desc, flags);
  F(dbr_plugin_desc, capabilities);
  F(dbr_plugin_desc, id);
  F(dbr_plugin_desc, version);
  F(dbr_plugin_desc, schemes);
  F(dbr_plugin_desc, vtable);
  S(dbr_url);
  F(dbr_url, struct_size);
  F(dbr_url, port);
  F(dbr_url, scheme);
  F(dbr_url, user);
  F(dbr_url, password);
  F(dbr_url, host);
  F(dbr_url, database);
  F(dbr_url, raw);
  F(dbr_url, options);
  F(dbr_url, noptions);
  F(dbr_url, nhosts);
  F(dbr_url, hosts);
  F(dbr_url, ports);
  S(dbr_exec_info);
  F(dbr_exec_info, struct_size);
  F(dbr_exec_info, has_rows);
  F(dbr_exec_info, affected_rows);
  F(dbr_exec_info, last_insert_id);
  F(dbr_exec_info, has_last_insert_id);
  F(dbr_exec_info, reserved);
  F(dbr_exec_info, first_max);
  F(dbr_exec_info, has_first);
  F(dbr_exec_info, first);
#if DBR_ABI_MINOR >= 1
  F(dbr_exec_info, session_changed);
  F(dbr_exec_info, reserved_1_1);
  F(dbr_exec_info, last_insert_id_unsigned);
  F(dbr_exec_info, reserved_1_1_b);
#endif
  S(dbr_conn_vtable);
  F(dbr_conn_vtable, struct_size);
  F(dbr_conn_vtable, reserved);
  F(dbr_conn_vtable, connect);
  F(dbr_conn_vtable, close);
  F(dbr_conn_vtable, ping);
  F(dbr_conn_vtable, cancel);
  F(dbr_conn_vtable, set_option);
  F(dbr_conn_vtable, get_info);
#if DBR_ABI_MINOR >= 1
  F(dbr_conn_vtable, reset_session);
#endif
  S(dbr_cursor_vtable);
  F(dbr_cursor_vtable, struct_size);
  F(dbr_cursor_vtable, reserved);
  F(dbr_cursor_vtable, describe);
  F(dbr_cursor_vtable, fetch);
  F(dbr_cursor_vtable, next_result);
  F(dbr_cursor_vtable, close);
  S(dbr_sql_vtable);
  F(dbr_sql_vtable, struct_size);
  F(dbr_sql_vtable, reserved);
  F(dbr_sql_vtable, prepare);
  F(dbr_sql_vtable, param_count);
  F(dbr_sql_vtable, param_index);
  F(dbr_sql_vtable, execute);
  F(dbr_sql_vtable, finalize);
  F(dbr_sql_vtable, execute_script);
#if DBR_ABI_MINOR >= 4
  F(dbr_sql_vtable, execute_batch);
#endif
  S(dbr_txn_options);
  F(dbr_txn_options, struct_size);
  F(dbr_txn_options, isolation);
  F(dbr_txn_options, read_only);
  F(dbr_txn_options, deferrable);
  S(dbr_txn_vtable);
  F(dbr_txn_vtable, struct_size);
  F(dbr_txn_vtable, reserved);
  F(dbr_txn_vtable, begin);
  F(dbr_txn_vtable, commit);
  F(dbr_txn_vtable, rollback);
  F(dbr_txn_vtable, savepoint);
  F(dbr_txn_vtable, release_savepoint);
  F(dbr_txn_vtable, rollback_to_savepoint);
  F(dbr_txn_vtable, in_transaction);
  S(struct dbr_reply);
  F(struct dbr_reply, struct_size);
  F(struct dbr_reply, type);
  F(struct dbr_reply, integer);
  F(struct dbr_reply, dval);
  F(struct dbr_reply, str);
  F(struct dbr_reply, len);
  F(struct dbr_reply, elements);
  F(struct dbr_reply, element);
#if DBR_ABI_MINOR >= 1
  F(struct dbr_reply, session_changed);
  F(struct dbr_reply, reserved_1_1);
#endif
  S(dbr_command_vtable);
  F(dbr_command_vtable, struct_size);
  F(dbr_command_vtable, reserved);
  F(dbr_command_vtable, execute);
  S(dbr_notification);
  F(dbr_notification, struct_size);
  F(dbr_notification, reserved);
  F(dbr_notification, channel);
  F(dbr_notification, channel_len);
  F(dbr_notification, payload);
  F(dbr_notification, payload_len);
  F(dbr_notification, pattern);
  F(dbr_notification, pattern_len);
  F(dbr_notification, sender_pid);
  S(dbr_notify_vtable);
  F(dbr_notify_vtable, struct_size);
  F(dbr_notify_vtable, reserved);
  F(dbr_notify_vtable, listen);
  F(dbr_notify_vtable, unlisten);
  F(dbr_notify_vtable, notify);
  F(dbr_notify_vtable, wait);
  S(dbr_bulk_vtable);
  F(dbr_bulk_vtable, struct_size);
  F(dbr_bulk_vtable, reserved);
  F(dbr_bulk_vtable, copy_in_begin);
  F(dbr_bulk_vtable, copy_in_rows);
  F(dbr_bulk_vtable, copy_in_end);
  F(dbr_bulk_vtable, copy_in_abort);
  F(dbr_bulk_vtable, copy_out_begin);
  F(dbr_bulk_vtable, copy_out_next);
  F(dbr_bulk_vtable, copy_out_end);
  S(dbr_batch_item);
  F(dbr_batch_item, struct_size);
  F(dbr_batch_item, index);
  F(dbr_batch_item, status);
  F(dbr_batch_item, has_rows);
  F(dbr_batch_item, affected_rows);
  F(dbr_batch_item, reply);
  F(dbr_batch_item, rows);
  S(dbr_batch_vtable);
  F(dbr_batch_vtable, struct_size);
  F(dbr_batch_vtable, reserved);
  F(dbr_batch_vtable, begin);
  F(dbr_batch_vtable, add_sql);
  F(dbr_batch_vtable, add_command);
  F(dbr_batch_vtable, send);
  F(dbr_batch_vtable, next);
  F(dbr_batch_vtable, end);
  S(dbr_introspect_vtable);
  F(dbr_introspect_vtable, struct_size);
  F(dbr_introspect_vtable, reserved);
  F(dbr_introspect_vtable, list);
  S(dbr_functions_vtable);
  F(dbr_functions_vtable, struct_size);
  F(dbr_functions_vtable, reserved);
  F(dbr_functions_vtable, create_scalar);
  S(dbr_driver_vtable);
  F(dbr_driver_vtable, struct_size);
  F(dbr_driver_vtable, reserved);
  F(dbr_driver_vtable, init);
  F(dbr_driver_vtable, shutdown);
  F(dbr_driver_vtable, get_extension);
  F(dbr_driver_vtable, conn);
  F(dbr_driver_vtable, sql);
  F(dbr_driver_vtable, txn);
  F(dbr_driver_vtable, command);
  F(dbr_driver_vtable, notify);
  F(dbr_driver_vtable, bulk);
  F(dbr_driver_vtable, batch);
  F(dbr_driver_vtable, introspect);
  F(dbr_driver_vtable, functions);
  F(dbr_driver_vtable, cursor);
  S(dbr_pool_candidate);
  F(dbr_pool_candidate, struct_size);
  F(dbr_pool_candidate, reserved);
  F(dbr_pool_candidate, conn_id);
  F(dbr_pool_candidate, created_ns);
  F(dbr_pool_candidate, last_used_ns);
  F(dbr_pool_candidate, use_count);
  S(dbr_pool_stats);
  F(dbr_pool_stats, struct_size);
  F(dbr_pool_stats, total);
  F(dbr_pool_stats, idle);
  F(dbr_pool_stats, in_use);
  F(dbr_pool_stats, waiting);
  F(dbr_pool_stats, min);
  F(dbr_pool_stats, max);
  F(dbr_pool_stats, reserved);
  F(dbr_pool_stats, now_ns);
  F(dbr_pool_stats, idle_timeout_ns);
  S(dbr_pool_vtable);
  F(dbr_pool_vtable, struct_size);
  F(dbr_pool_vtable, reserved);
  F(dbr_pool_vtable, init);
  F(dbr_pool_vtable, shutdown);
  F(dbr_pool_vtable, get_extension);
  F(dbr_pool_vtable, create);
  F(dbr_pool_vtable, destroy);
  F(dbr_pool_vtable, choose);
  F(dbr_pool_vtable, should_grow);
  F(dbr_pool_vtable, should_evict);
#if DBR_ABI_MINOR >= 2
  F(dbr_pool_vtable, fixed_choice);
#endif
  S(dbr_lent_conn);
  F(dbr_lent_conn, struct_size);
  F(dbr_lent_conn, capabilities);
  F(dbr_lent_conn, ctx);
  F(dbr_lent_conn, scheme);
  F(dbr_lent_conn, query);
  F(dbr_lent_conn, command);
  F(dbr_lent_conn, begin);
  F(dbr_lent_conn, commit);
  F(dbr_lent_conn, rollback);
#if DBR_ABI_MINOR >= 2
  F(dbr_lent_conn, insert_rows);
#endif
#if DBR_ABI_MINOR >= 3
  F(dbr_lent_conn, migrate);
  S(dbr_migration_step);
  F(dbr_migration_step, struct_size);
  F(dbr_migration_step, reserved);
  F(dbr_migration_step, version);
  F(dbr_migration_step, name);
  F(dbr_migration_step, sql);
  F(dbr_migration_step, sql_len);
#endif
  S(dbr_graph_node);
  F(dbr_graph_node, struct_size);
  F(dbr_graph_node, nlabels);
  F(dbr_graph_node, id);
  F(dbr_graph_node, labels);
  F(dbr_graph_node, props);
  F(dbr_graph_node, nprops);
#if DBR_ABI_MINOR >= 2
  F(dbr_graph_node, value);
  F(dbr_graph_node, value_len);
#endif
  S(dbr_graph_edge);
  F(dbr_graph_edge, struct_size);
  F(dbr_graph_edge, reserved);
  F(dbr_graph_edge, id);
  F(dbr_graph_edge, from);
  F(dbr_graph_edge, to);
  F(dbr_graph_edge, type);
  F(dbr_graph_edge, props);
  F(dbr_graph_edge, nprops);
#if DBR_ABI_MINOR >= 2
  F(dbr_graph_edge, weight);
  F(dbr_graph_edge, has_weight);
  F(dbr_graph_edge, reserved_1_2);
  F(dbr_graph_edge, properties);
  F(dbr_graph_edge, properties_len);
#endif
  S(dbr_graph);
  F(dbr_graph, struct_size);
  F(dbr_graph, reserved);
  F(dbr_graph, name);
  F(dbr_graph, nodes);
  F(dbr_graph, nnodes);
  F(dbr_graph, edges);
  F(dbr_graph, nedges);
#if DBR_ABI_MINOR >= 2
  F(dbr_graph, directed);
  F(dbr_graph, reserved_1_2);
  S(dbr_graph_stats);
  F(dbr_graph_stats, struct_size);
  F(dbr_graph_stats, directed);
  F(dbr_graph_stats, nnodes);
  F(dbr_graph_stats, nedges);
  S(dbr_graph_walk);
  F(dbr_graph_walk, struct_size);
  F(dbr_graph_walk, direction);
  F(dbr_graph_walk, depth);
  F(dbr_graph_walk, reserved);
  F(dbr_graph_walk, edge_type);
#endif
  S(dbr_graph_sink);
  F(dbr_graph_sink, struct_size);
  F(dbr_graph_sink, reserved);
  F(dbr_graph_sink, ctx);
  F(dbr_graph_sink, node);
  F(dbr_graph_sink, edge);
#if DBR_ABI_MINOR >= 2
  F(dbr_graph_sink, info);
#endif
  S(dbr_mapper_vtable);
  F(dbr_mapper_vtable, struct_size);
  F(dbr_mapper_vtable, reserved);
  F(dbr_mapper_vtable, init);
  F(dbr_mapper_vtable, shutdown);
  F(dbr_mapper_vtable, get_extension);
  F(dbr_mapper_vtable, schemes);
  F(dbr_mapper_vtable, prepare);
  F(dbr_mapper_vtable, store);
  F(dbr_mapper_vtable, load);
  F(dbr_mapper_vtable, query);
  F(dbr_mapper_vtable, remove);
#if DBR_ABI_MINOR >= 2
  F(dbr_mapper_vtable, merge);
  F(dbr_mapper_vtable, neighbors);
  F(dbr_mapper_vtable, list);
  F(dbr_mapper_vtable, stats);
#endif
  return 0;
}
