/* Uses every type of ABI 1.0 so that `abidw` records its layout: the ABI
 * gate (check_abi_baseline.sh) builds this with -g against the frozen 1.0
 * header (the baseline, abi-1.0.xml) and against the current header, and
 * compares the two with `abidiff`.  Types added after 1.0 need no entry: a new
 * type changes nothing a 1.0 plugin relies on.  The constants come from
 * abi_constants.h, generated from the header being checked. */
#include <dbridge/abi.h>

#include "abi_constants.h"

DBR_EXPORT void dbr_abi_types(
    const dbr_error* error,
    const dbr_value* value,
    const dbr_array* array,
    const dbr_param* param,
    const dbr_column* column,
    const dbr_rows* rows,
    const dbr_host* host,
    const dbr_plugin_desc* plugin_desc,
    const dbr_url* url,
    const dbr_exec_info* exec_info,
    const dbr_conn_vtable* conn_vtable,
    const dbr_cursor_vtable* cursor_vtable,
    const dbr_sql_vtable* sql_vtable,
    const dbr_txn_options* txn_options,
    const dbr_txn_vtable* txn_vtable,
    const dbr_reply* reply,
    const dbr_command_vtable* command_vtable,
    const dbr_notification* notification,
    const dbr_notify_vtable* notify_vtable,
    const dbr_bulk_vtable* bulk_vtable,
    const dbr_batch_item* batch_item,
    const dbr_batch_vtable* batch_vtable,
    const dbr_introspect_vtable* introspect_vtable,
    const dbr_functions_vtable* functions_vtable,
    const dbr_driver_vtable* driver_vtable,
    const dbr_pool_candidate* pool_candidate,
    const dbr_pool_stats* pool_stats,
    const dbr_pool_vtable* pool_vtable,
    const dbr_lent_conn* lent_conn,
    const dbr_graph_node* graph_node,
    const dbr_graph_edge* graph_edge,
    const dbr_graph* graph,
    const dbr_graph_sink* graph_sink,
    const dbr_mapper_vtable* mapper_vtable,
    dbr_plugin_entry_fn entry, dbr_function_cb function_cb, dbr_destroy_cb destroy_cb,
    dbr_row_cb row_cb, enum dbr_abi_constant constant);

void dbr_abi_types(
    const dbr_error* error,
    const dbr_value* value,
    const dbr_array* array,
    const dbr_param* param,
    const dbr_column* column,
    const dbr_rows* rows,
    const dbr_host* host,
    const dbr_plugin_desc* plugin_desc,
    const dbr_url* url,
    const dbr_exec_info* exec_info,
    const dbr_conn_vtable* conn_vtable,
    const dbr_cursor_vtable* cursor_vtable,
    const dbr_sql_vtable* sql_vtable,
    const dbr_txn_options* txn_options,
    const dbr_txn_vtable* txn_vtable,
    const dbr_reply* reply,
    const dbr_command_vtable* command_vtable,
    const dbr_notification* notification,
    const dbr_notify_vtable* notify_vtable,
    const dbr_bulk_vtable* bulk_vtable,
    const dbr_batch_item* batch_item,
    const dbr_batch_vtable* batch_vtable,
    const dbr_introspect_vtable* introspect_vtable,
    const dbr_functions_vtable* functions_vtable,
    const dbr_driver_vtable* driver_vtable,
    const dbr_pool_candidate* pool_candidate,
    const dbr_pool_stats* pool_stats,
    const dbr_pool_vtable* pool_vtable,
    const dbr_lent_conn* lent_conn,
    const dbr_graph_node* graph_node,
    const dbr_graph_edge* graph_edge,
    const dbr_graph* graph,
    const dbr_graph_sink* graph_sink,
    const dbr_mapper_vtable* mapper_vtable,
    dbr_plugin_entry_fn entry, dbr_function_cb function_cb, dbr_destroy_cb destroy_cb,
    dbr_row_cb row_cb, enum dbr_abi_constant constant) {
  (void)entry; (void)function_cb; (void)destroy_cb; (void)row_cb; (void)constant;
  (void)error;
  (void)value;
  (void)array;
  (void)param;
  (void)column;
  (void)rows;
  (void)host;
  (void)plugin_desc;
  (void)url;
  (void)exec_info;
  (void)conn_vtable;
  (void)cursor_vtable;
  (void)sql_vtable;
  (void)txn_options;
  (void)txn_vtable;
  (void)reply;
  (void)command_vtable;
  (void)notification;
  (void)notify_vtable;
  (void)bulk_vtable;
  (void)batch_item;
  (void)batch_vtable;
  (void)introspect_vtable;
  (void)functions_vtable;
  (void)driver_vtable;
  (void)pool_candidate;
  (void)pool_stats;
  (void)pool_vtable;
  (void)lent_conn;
  (void)graph_node;
  (void)graph_edge;
  (void)graph;
  (void)graph_sink;
  (void)mapper_vtable;
}
