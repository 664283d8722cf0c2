/* dbridge C client API.  SPDX-License-Identifier: Apache-2.0
 *
 * The client side of libdbridge for C and for language runtimes that bind C
 * through an FFI (ctypes, cffi, JNA, a graph language's runtime).  Pure C99,
 * self-contained (it does not include the plugin ABI, abi.h).
 *
 * FFI RULES
 *   Only pointers, fixed-width integers and doubles cross: no struct is
 *   passed or returned by value, no enum, bool or long appears.  Text is
 *   (const char* ptr, uint64_t len) UTF-8 and need not be NUL-terminated on
 *   input; text the library returns is also NUL-terminated (binary values
 *   may hold NUL bytes: use the length).
 *
 * STATUS AND ERRORS
 *   Every fallible function returns an int32_t status: DBRIDGE_OK (0), a
 *   positive informational status (DBRIDGE_DONE, DBRIDGE_EMPTY,
 *   DBRIDGE_NULL), or a negative status == -category (DBRIDGE_E_*).
 *   Its last parameter, `dbridge_error** err`, may be NULL.  Otherwise *err is
 *   set to NULL on entry and, when the status is negative, to a new error
 *   object the caller owns and frees with dbridge_error_free().  No C++
 *   exception, longjmp or abort crosses this API.  Every function accepts
 *   NULL for any pointer argument and answers DBRIDGE_E_INVALID_ARGUMENT
 *   (or does nothing, for *_free and *_close).
 *
 * HANDLES AND OWNERSHIP
 *   Handles are opaque.  Each kind has `_close` and `_free`:
 *     - _close ends what the handle stands for (closes the connection, gives
 *       the pooled connection back, finishes the result) and keeps the
 *       handle, so a later call through it is refused with
 *       DBRIDGE_E_INVALID_STATE instead of crashing;
 *     - _free closes when still open and releases the handle itself; the
 *       pointer must not be used afterwards (like free()).
 *   Closing a connection first closes everything made from it (statements,
 *   results, transactions, listeners); their handles stay valid until freed
 *   and refuse further use.  Outputs marked "borrowed" stay valid until the
 *   call named in the function's comment on the same handle (as abi.h does);
 *   copy what you keep.  Outputs marked "owned" are the caller's and are
 *   freed with the function named.
 *
 * THREADS
 *   A connection and everything made from it (statements, results,
 *   transactions, listeners) is used by one thread at a time; a second thread
 *   inside the same connection is reported as DBRIDGE_E_INVALID_STATE, never
 *   undefined.  Closing is such a call: while another thread is inside a
 *   call on the connection (blocked in dbridge_listener_wait, running a
 *   query), dbridge_conn_try_close fails with DBRIDGE_E_INVALID_STATE and
 *   changes nothing, and the functions that cannot report
 *   (dbridge_conn_close, dbridge_conn_free, dbridge_pool_release,
 *   dbridge_pool_discard, dbridge_listener_close, dbridge_listener_free)
 *   log the refusal and leave the connection open and the handle allocated:
 *   a leak, never memory freed under the other thread.  Let that call return
 *   (a wait's timeout, a notification) before closing.
 *   dbridge_conn_cancel() may be called from any thread.  A pool
 *   handle may be used from any thread at once (acquire, metrics, close),
 *   but it must not be freed while another thread uses it.  Error objects,
 *   replies, notifications and parameter sets are plain data: one thread at
 *   a time.  Process-wide functions (registry, catalog, version) are
 *   thread-safe.
 */
#ifndef DBRIDGE_DBRIDGE_H
#define DBRIDGE_DBRIDGE_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#if defined(_WIN32)
#define DBRIDGE_C_API
#else
#define DBRIDGE_C_API __attribute__((visibility("default")))
#endif

/* The version of this C API: major * 10000 + minor * 100 + patch.  The
 * major changes only when an existing function changes; new functions raise
 * the minor. */
#define DBRIDGE_C_API_VERSION 10000

/* ---------------------------------------------------------------- status */
#define DBRIDGE_OK 0
#define DBRIDGE_DONE 1  /* no more rows / results */
#define DBRIDGE_EMPTY 2 /* a wait timed out with nothing to deliver */
#define DBRIDGE_NULL 3  /* a typed getter found SQL NULL (or no value); its outputs are zeroed */

/* Error categories (same numbers as the plugin ABI's DBR_CAT_*).  A failing
 * call returns -category. */
#define DBRIDGE_CAT_CONNECTION 1
#define DBRIDGE_CAT_AUTH 2
#define DBRIDGE_CAT_SYNTAX 3
#define DBRIDGE_CAT_CONSTRAINT 4
#define DBRIDGE_CAT_TXN_CONFLICT 5
#define DBRIDGE_CAT_TIMEOUT 6
#define DBRIDGE_CAT_CANCELLED 7
#define DBRIDGE_CAT_UNSUPPORTED 8
#define DBRIDGE_CAT_INVALID_ARGUMENT 9
#define DBRIDGE_CAT_INCOMPATIBLE 10
#define DBRIDGE_CAT_RESOURCE 11
#define DBRIDGE_CAT_INTERNAL 12
#define DBRIDGE_CAT_NOT_FOUND 13
#define DBRIDGE_CAT_DATA 14
#define DBRIDGE_CAT_INVALID_STATE 15
#define DBRIDGE_CAT_BACKEND 16

#define DBRIDGE_E_CONNECTION (-DBRIDGE_CAT_CONNECTION)
#define DBRIDGE_E_AUTH (-DBRIDGE_CAT_AUTH)
#define DBRIDGE_E_SYNTAX (-DBRIDGE_CAT_SYNTAX)
#define DBRIDGE_E_CONSTRAINT (-DBRIDGE_CAT_CONSTRAINT)
#define DBRIDGE_E_TXN_CONFLICT (-DBRIDGE_CAT_TXN_CONFLICT)
#define DBRIDGE_E_TIMEOUT (-DBRIDGE_CAT_TIMEOUT)
#define DBRIDGE_E_CANCELLED (-DBRIDGE_CAT_CANCELLED)
#define DBRIDGE_E_UNSUPPORTED (-DBRIDGE_CAT_UNSUPPORTED)
#define DBRIDGE_E_INVALID_ARGUMENT (-DBRIDGE_CAT_INVALID_ARGUMENT)
#define DBRIDGE_E_INCOMPATIBLE (-DBRIDGE_CAT_INCOMPATIBLE)
#define DBRIDGE_E_RESOURCE (-DBRIDGE_CAT_RESOURCE)
#define DBRIDGE_E_INTERNAL (-DBRIDGE_CAT_INTERNAL)
#define DBRIDGE_E_NOT_FOUND (-DBRIDGE_CAT_NOT_FOUND)
#define DBRIDGE_E_DATA (-DBRIDGE_CAT_DATA)
#define DBRIDGE_E_INVALID_STATE (-DBRIDGE_CAT_INVALID_STATE)
#define DBRIDGE_E_BACKEND (-DBRIDGE_CAT_BACKEND)

/* Subcategories (same numbers as DBR_SUB_*). */
#define DBRIDGE_SUB_NONE 0
#define DBRIDGE_SUB_UNIQUE_VIOLATION 1
#define DBRIDGE_SUB_FOREIGN_KEY_VIOLATION 2
#define DBRIDGE_SUB_NOT_NULL_VIOLATION 3
#define DBRIDGE_SUB_CHECK_VIOLATION 4
#define DBRIDGE_SUB_SERIALIZATION_FAILURE 5
#define DBRIDGE_SUB_DEADLOCK 6
#define DBRIDGE_SUB_LOCK_TIMEOUT 7
#define DBRIDGE_SUB_UNDEFINED_TABLE 8
#define DBRIDGE_SUB_UNDEFINED_COLUMN 9
#define DBRIDGE_SUB_ADMIN_SHUTDOWN 10
#define DBRIDGE_SUB_POOL_EXHAUSTED 11
#define DBRIDGE_SUB_INVALID_UTF8 12
#define DBRIDGE_SUB_WRONG_TYPE 13
#define DBRIDGE_SUB_NUL_BYTE 14

/* Retry classes (same numbers as DBR_RETRY_*): what running the failed work
 * again would do.  NONE: fail the same way.  SAME_CONN: the transaction was
 * rolled back, run it again.  NEW_CONN: nothing took effect, run it again on
 * a new connection.  UNKNOWN_OUTCOME: a write may or may not have been
 * applied; only idempotent work may run again blindly. */
#define DBRIDGE_RETRY_NONE 0
#define DBRIDGE_RETRY_SAME_CONN 1
#define DBRIDGE_RETRY_NEW_CONN 2
#define DBRIDGE_RETRY_UNKNOWN_OUTCOME 3

/* Text fields of an error (dbridge_error_field). */
#define DBRIDGE_ERRF_DETAIL 1
#define DBRIDGE_ERRF_HINT 2
#define DBRIDGE_ERRF_SEVERITY 3
#define DBRIDGE_ERRF_CONSTRAINT 4
#define DBRIDGE_ERRF_TABLE 5
#define DBRIDGE_ERRF_COLUMN 6
#define DBRIDGE_ERRF_SCHEMA 7
#define DBRIDGE_ERRF_BACKEND_CODE 8 /* textual native code, e.g. "WRONGTYPE" */
#define DBRIDGE_ERRF_NATIVE_DOMAIN 9 /* "sqlite", "libpq", "mariadb", "hiredis", "dbridge" */
#define DBRIDGE_ERRF_DRIVER 10       /* plugin id, "" for core errors */
#define DBRIDGE_ERRF_QUERY 11        /* the SQL or command at fault, when known */

/* Value types (same numbers as DBR_TYPE_*). */
#define DBRIDGE_TYPE_NULL 0
#define DBRIDGE_TYPE_BOOL 1
#define DBRIDGE_TYPE_INT64 2
#define DBRIDGE_TYPE_UINT64 3
#define DBRIDGE_TYPE_DOUBLE 4
#define DBRIDGE_TYPE_TEXT 5
#define DBRIDGE_TYPE_BYTES 6
#define DBRIDGE_TYPE_DECIMAL 7     /* exact decimal text, e.g. "-12.3400", "NaN" */
#define DBRIDGE_TYPE_DATE 8        /* days since 1970-01-01 (proleptic Gregorian) */
#define DBRIDGE_TYPE_TIME 9        /* microseconds since midnight, optional zone offset */
#define DBRIDGE_TYPE_TIMESTAMP 10  /* microseconds since 1970-01-01T00:00, no zone */
#define DBRIDGE_TYPE_TIMESTAMPTZ 11 /* UTC instant in microseconds, plus the offset it was shown in */
#define DBRIDGE_TYPE_INTERVAL 12   /* months, days, microseconds */
#define DBRIDGE_TYPE_UUID 13       /* 16 bytes, network order */
#define DBRIDGE_TYPE_JSON 14       /* JSON text */
#define DBRIDGE_TYPE_ARRAY 15

/* Infinity of a date or timestamp (PostgreSQL 'infinity' / '-infinity'). */
#define DBRIDGE_INFINITY_NONE 0
#define DBRIDGE_INFINITY_POS 1
#define DBRIDGE_INFINITY_NEG (-1)

/* Redis-style reply types (same numbers as DBR_REPLY_*). */
#define DBRIDGE_REPLY_NIL 0
#define DBRIDGE_REPLY_INTEGER 1
#define DBRIDGE_REPLY_STATUS 2
#define DBRIDGE_REPLY_ERROR 3
#define DBRIDGE_REPLY_STRING 4
#define DBRIDGE_REPLY_ARRAY 5
#define DBRIDGE_REPLY_DOUBLE 6
#define DBRIDGE_REPLY_BOOL 7
#define DBRIDGE_REPLY_MAP 8 /* elements: key, value, key, value... */
#define DBRIDGE_REPLY_SET 9
#define DBRIDGE_REPLY_PUSH 10
#define DBRIDGE_REPLY_VERBATIM 11
#define DBRIDGE_REPLY_BIGNUM 12

/* Transaction isolation levels (dbridge_begin). */
#define DBRIDGE_ISOLATION_DEFAULT 0
#define DBRIDGE_ISOLATION_READ_UNCOMMITTED 1
#define DBRIDGE_ISOLATION_READ_COMMITTED 2
#define DBRIDGE_ISOLATION_REPEATABLE_READ 3
#define DBRIDGE_ISOLATION_SERIALIZABLE 4
/* dbridge_begin flags */
#define DBRIDGE_TX_READ_ONLY 0x1u
#define DBRIDGE_TX_DEFERRABLE 0x2u

/* Timeouts in milliseconds: -1 waits without limit (or, for pool acquire,
 * uses the pool's acquire_timeout). */
#define DBRIDGE_WAIT_FOREVER (-1)

/* ------------------------------------------------------------- handles */
typedef struct dbridge_error dbridge_error;               /* a failure's record */
typedef struct dbridge_conn dbridge_conn;                 /* a connection, direct or pooled */
typedef struct dbridge_params dbridge_params;             /* a list of typed parameters */
typedef struct dbridge_stmt dbridge_stmt;                 /* a prepared statement */
typedef struct dbridge_result dbridge_result;             /* a streamed result */
typedef struct dbridge_value dbridge_value;               /* an owned value tree (arrays) */
typedef struct dbridge_tx dbridge_tx;                     /* a transaction or savepoint */
typedef struct dbridge_pool dbridge_pool;                 /* a connection pool */
typedef struct dbridge_reply dbridge_reply;               /* a command reply tree */
typedef struct dbridge_listener dbridge_listener;         /* a notification listener */
typedef struct dbridge_notification dbridge_notification; /* one delivered message */

/* ------------------------------------------------------------- version */
/* The library's version text, e.g. "1.4.0".  Static storage. */
DBRIDGE_C_API const char* dbridge_version(void);
/* DBRIDGE_C_API_VERSION of the library at run time (may exceed the header's). */
DBRIDGE_C_API uint32_t dbridge_c_api_version(void);
/* The plugin ABI the library speaks: major and highest minor.  Either
 * pointer may be NULL. */
DBRIDGE_C_API void dbridge_abi_version(uint32_t* major, uint32_t* minor);

/* ------------------------------------------------------------- strings */
/* Frees text the library returned as owned (JSON documents, rendered cells
 * marked "owned").  NULL is ignored. */
DBRIDGE_C_API void dbridge_string_free(char* s);

/* ---------------------------------------------------------------- errors */
/* Frees an error object.  NULL is ignored. */
DBRIDGE_C_API void dbridge_error_free(dbridge_error* e);
/* The error's status (== -category); DBRIDGE_E_INVALID_ARGUMENT for NULL. */
DBRIDGE_C_API int32_t dbridge_error_status(const dbridge_error* e);
/* DBRIDGE_CAT_*, 0 for NULL. */
DBRIDGE_C_API uint32_t dbridge_error_category(const dbridge_error* e);
/* DBRIDGE_SUB_*, 0 for NULL. */
DBRIDGE_C_API uint32_t dbridge_error_subcategory(const dbridge_error* e);
/* 5-character SQLSTATE, or "" when unknown.  Borrowed until dbridge_error_free. */
DBRIDGE_C_API const char* dbridge_error_sqlstate(const dbridge_error* e);
/* The backend's error number, 0 when none. */
DBRIDGE_C_API int64_t dbridge_error_native_code(const dbridge_error* e);
/* DBRIDGE_RETRY_*. */
DBRIDGE_C_API uint32_t dbridge_error_retry(const dbridge_error* e);
/* 1 when the connection is unusable (discard it), else 0. */
DBRIDGE_C_API int32_t dbridge_error_connection_broken(const dbridge_error* e);
/* The message (never holds a password).  *len (when len is not NULL) gets
 * its length.  Borrowed until dbridge_error_free; "" for NULL. */
DBRIDGE_C_API const char* dbridge_error_message(const dbridge_error* e, uint64_t* len);
/* A DBRIDGE_ERRF_* text field, "" when unset or unknown.  Borrowed until
 * dbridge_error_free. */
DBRIDGE_C_API const char* dbridge_error_field(const dbridge_error* e, uint32_t field, uint64_t* len);
/* The lowercase name of a category ("connection", "txn_conflict"...), or
 * "unknown".  Static storage. */
DBRIDGE_C_API const char* dbridge_category_name(uint32_t category);

/* ------------------------------------------------------------ parameters */
/* A parameter list for queries and statements: values are appended in order
 * ($1, $2... or ?, ? ...) and copied into the list (inputs are borrowed for
 * the call only).  Reusable: clear and fill again for the next execution.
 * Owned: free with dbridge_params_free. */
DBRIDGE_C_API int32_t dbridge_params_new(dbridge_params** out, dbridge_error** err);
DBRIDGE_C_API void dbridge_params_free(dbridge_params* p);
/* Empties the list (and any open array), keeping its memory. */
DBRIDGE_C_API int32_t dbridge_params_clear(dbridge_params* p, dbridge_error** err);
/* The number of top-level values. */
DBRIDGE_C_API int32_t dbridge_params_count(const dbridge_params* p, uint64_t* out, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_params_add_null(dbridge_params* p, dbridge_error** err);
/* v: 0 false, anything else true. */
DBRIDGE_C_API int32_t dbridge_params_add_bool(dbridge_params* p, int32_t v, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_params_add_int64(dbridge_params* p, int64_t v, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_params_add_uint64(dbridge_params* p, uint64_t v, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_params_add_double(dbridge_params* p, double v, dbridge_error** err);
/* UTF-8 text (a driver refuses invalid UTF-8 or a NUL it cannot carry when
 * the statement runs, as in the C++ API). */
DBRIDGE_C_API int32_t dbridge_params_add_text(dbridge_params* p, const char* s, uint64_t len, dbridge_error** err);
/* ptr may be NULL when len is 0. */
DBRIDGE_C_API int32_t dbridge_params_add_bytes(dbridge_params* p, const uint8_t* ptr, uint64_t len,
                                               dbridge_error** err);
/* An exact decimal as text ("-12.50", "NaN"). */
DBRIDGE_C_API int32_t dbridge_params_add_decimal(dbridge_params* p, const char* s, uint64_t len,
                                                 dbridge_error** err);
/* JSON document text (not validated here; the server does). */
DBRIDGE_C_API int32_t dbridge_params_add_json(dbridge_params* p, const char* s, uint64_t len, dbridge_error** err);
/* days since 1970-01-01; infinity DBRIDGE_INFINITY_* (days ignored unless NONE). */
DBRIDGE_C_API int32_t dbridge_params_add_date(dbridge_params* p, int32_t days, int32_t infinity, dbridge_error** err);
/* micros since midnight; has_offset 1 for a time with zone (offset_s seconds east of UTC). */
DBRIDGE_C_API int32_t dbridge_params_add_time(dbridge_params* p, int64_t micros, int32_t has_offset,
                                              int32_t offset_s, dbridge_error** err);
/* micros since 1970-01-01T00:00 (no zone). */
DBRIDGE_C_API int32_t dbridge_params_add_timestamp(dbridge_params* p, int64_t micros, int32_t infinity,
                                                   dbridge_error** err);
/* micros since the epoch in UTC; offset_s: the zone it is shown in. */
DBRIDGE_C_API int32_t dbridge_params_add_timestamptz(dbridge_params* p, int64_t micros, int32_t offset_s,
                                                     int32_t infinity, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_params_add_interval(dbridge_params* p, int32_t months, int32_t days, int64_t micros,
                                                  dbridge_error** err);
/* 16 bytes, network order. */
DBRIDGE_C_API int32_t dbridge_params_add_uuid(dbridge_params* p, const uint8_t* octets16, dbridge_error** err);
/* Arrays: values added between begin and end become the elements of one
 * array value (arrays nest: begin inside begin makes a multi-dimensional
 * array).  Adding to a list with an open array adds to that array;
 * executing with an open array fails with DBRIDGE_E_INVALID_STATE. */
DBRIDGE_C_API int32_t dbridge_params_begin_array(dbridge_params* p, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_params_end_array(dbridge_params* p, dbridge_error** err);

/* ----------------------------------------------------------- connections */
/* Opens a connection; the URL's scheme picks the driver plugin.  Options
 * are key/value pairs of NUL-terminated UTF-8 (keys and values may be NULL
 * when count is 0):
 *   "opened_by"             label shown in the registry
 *   "statement_cache_size"  implicit prepared-statement cache, decimal (0 = off)
 * Any other key fails with DBRIDGE_E_INVALID_ARGUMENT; driver settings go in
 * the URL's query.  *out: owned, dbridge_conn_free. */
DBRIDGE_C_API int32_t dbridge_connect(const char* url, uint64_t url_len, const char* const* option_keys,
                                      const char* const* option_values, uint32_t option_count, dbridge_conn** out,
                                      dbridge_error** err);
/* Closes the connection (a pooled one goes back to its pool) and everything
 * made from it; the handle stays and refuses use.  Idempotent. */
DBRIDGE_C_API void dbridge_conn_close(dbridge_conn* c);
/* dbridge_conn_close that reports: DBRIDGE_E_INVALID_STATE, with nothing
 * closed, while another thread is inside a call on c (see THREADS);
 * DBRIDGE_OK once closed (also when it already was). */
DBRIDGE_C_API int32_t dbridge_conn_try_close(dbridge_conn* c, dbridge_error** err);
/* Closes when open, then releases the handle. */
DBRIDGE_C_API void dbridge_conn_free(dbridge_conn* c);
/* 1 when open (and not given back), 0 otherwise (also for NULL). */
DBRIDGE_C_API int32_t dbridge_conn_is_open(const dbridge_conn* c);
/* Round trip to the server: DBRIDGE_OK, or DBRIDGE_E_CONNECTION when gone. */
DBRIDGE_C_API int32_t dbridge_conn_ping(dbridge_conn* c, dbridge_error** err);
/* Cancels the call running on c.  Any thread. */
DBRIDGE_C_API int32_t dbridge_conn_cancel(dbridge_conn* c, dbridge_error** err);
/* The connection's id in the registry. */
DBRIDGE_C_API int32_t dbridge_conn_id(const dbridge_conn* c, uint64_t* out, dbridge_error** err);
/* The URL scheme / plugin id / redacted URL.  Borrowed until dbridge_conn_free. */
DBRIDGE_C_API int32_t dbridge_conn_scheme(const dbridge_conn* c, const char** ptr, uint64_t* len, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_conn_plugin_id(const dbridge_conn* c, const char** ptr, uint64_t* len,
                                             dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_conn_redacted_url(const dbridge_conn* c, const char** ptr, uint64_t* len,
                                                dbridge_error** err);
/* *out = 1 when the driver has the capability ("sql", "command", "notify",
 * "transactions", "cancel"...), else 0. */
DBRIDGE_C_API int32_t dbridge_conn_has_capability(const dbridge_conn* c, const char* name, uint64_t len,
                                                  int32_t* out, dbridge_error** err);
/* Sets a driver option at run time, e.g. "statement_timeout_ms"; the value
 * is the first value of params (exactly one). */
DBRIDGE_C_API int32_t dbridge_conn_set_option(dbridge_conn* c, const char* key, uint64_t key_len,
                                              const dbridge_params* value, dbridge_error** err);

/* --------------------------------------------------------- statements */
/* Runs SQL and streams its rows.  params may be NULL (no parameters).  The
 * placeholder rules are the C++ API's (connection::query).  *out: owned,
 * dbridge_result_free; it must be finished (or freed) before the next
 * statement runs on c. */
DBRIDGE_C_API int32_t dbridge_query(dbridge_conn* c, const char* sql, uint64_t sql_len, const dbridge_params* params,
                                    dbridge_result** out, dbridge_error** err);
/* Runs SQL without keeping rows.  *affected_rows (when not NULL): rows
 * affected, -1 when unknown.  The insert id is read afterwards with
 * dbridge_conn_last_insert_id. */
DBRIDGE_C_API int32_t dbridge_execute(dbridge_conn* c, const char* sql, uint64_t sql_len, const dbridge_params* params,
                                      int64_t* affected_rows, dbridge_error** err);
/* Several statements without parameters or results (scripts, PRAGMA). */
DBRIDGE_C_API int32_t dbridge_execute_script(dbridge_conn* c, const char* sql, uint64_t sql_len, dbridge_error** err);
/* The insert id of the last dbridge_execute / dbridge_stmt_execute on c:
 * DBRIDGE_OK, or DBRIDGE_NULL when there was none or it does not fit. */
DBRIDGE_C_API int32_t dbridge_conn_last_insert_id(const dbridge_conn* c, int64_t* out, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_conn_last_insert_id_u64(const dbridge_conn* c, uint64_t* out, dbridge_error** err);

/* Prepares SQL for repeated use.  *out: owned, dbridge_stmt_free; closed
 * with its connection. */
DBRIDGE_C_API int32_t dbridge_prepare(dbridge_conn* c, const char* sql, uint64_t sql_len, dbridge_stmt** out,
                                      dbridge_error** err);
DBRIDGE_C_API void dbridge_stmt_close(dbridge_stmt* s);
DBRIDGE_C_API void dbridge_stmt_free(dbridge_stmt* s);
DBRIDGE_C_API int32_t dbridge_stmt_param_count(const dbridge_stmt* s, uint32_t* out, dbridge_error** err);
/* As dbridge_query / dbridge_execute, with the prepared statement; the insert
 * id is read with dbridge_conn_last_insert_id on the statement's connection. */
DBRIDGE_C_API int32_t dbridge_stmt_query(dbridge_stmt* s, const dbridge_params* params, dbridge_result** out,
                                         dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_stmt_execute(dbridge_stmt* s, const dbridge_params* params, int64_t* affected_rows,
                                           dbridge_error** err);
/* dbridge_stmt_query for a loop of queries (a point lookup per call): on
 * entry *result is NULL or a result the caller is done with, which is freed
 * as dbridge_result_free would (its handle is reused); on return *result is
 * the new result (owned, dbridge_result_free or the next call here), NULL
 * on failure.  The old result is freed even when the query fails; only a
 * NULL result, or a *result that is not a result handle, is refused
 * without freeing anything.  One call instead of dbridge_result_free and
 * dbridge_stmt_query. */
DBRIDGE_C_API int32_t dbridge_stmt_requery(dbridge_stmt* s, const dbridge_params* params, dbridge_result** result,
                                           dbridge_error** err);

/* ------------------------------------------------------------- results */
/* Finishes the statement early; the handle stays and refuses use. */
DBRIDGE_C_API void dbridge_result_close(dbridge_result* r);
DBRIDGE_C_API void dbridge_result_free(dbridge_result* r);
/* Moves to the next row: DBRIDGE_OK (a row is current), DBRIDGE_DONE (no
 * more), or an error.  Invalidates everything borrowed from the previous
 * row and batch. */
DBRIDGE_C_API int32_t dbridge_result_next(dbridge_result* r, dbridge_error** err);
/* Moves to the next result set (stored procedures): DBRIDGE_OK or DBRIDGE_DONE. */
DBRIDGE_C_API int32_t dbridge_result_next_result(dbridge_result* r, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_result_column_count(const dbridge_result* r, uint32_t* out, dbridge_error** err);
/* Column name / native type name ("int4", "TEXT").  Borrowed until the
 * result is closed. */
DBRIDGE_C_API int32_t dbridge_result_column_name(const dbridge_result* r, uint32_t col, const char** ptr,
                                                 uint64_t* len, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_result_column_native_type(const dbridge_result* r, uint32_t col, const char** ptr,
                                                        uint64_t* len, dbridge_error** err);
/* DBRIDGE_TYPE_* the column's cells carry (NULL cells excepted). */
DBRIDGE_C_API int32_t dbridge_result_column_type(const dbridge_result* r, uint32_t col, uint32_t* out,
                                                 dbridge_error** err);
/* Rows affected (-1 unknown) and the insert id (DBRIDGE_NULL when none). */
DBRIDGE_C_API int32_t dbridge_result_affected_rows(const dbridge_result* r, int64_t* out, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_result_last_insert_id(const dbridge_result* r, int64_t* out, dbridge_error** err);

/* Typed getters of the current row's cell `col` (0-based).  DBRIDGE_OK, or
 * DBRIDGE_NULL for SQL NULL (outputs zeroed), or DBRIDGE_E_DATA when the
 * cell cannot be represented (text read as int64...), DBRIDGE_E_INVALID_ARGUMENT
 * for a bad column, DBRIDGE_E_INVALID_STATE without a current row.
 * Conversions are the C++ API's (row::get<T>). */
/* The cell's DBRIDGE_TYPE_* (DBRIDGE_TYPE_NULL for NULL). */
DBRIDGE_C_API int32_t dbridge_result_cell_type(const dbridge_result* r, uint32_t col, uint32_t* out,
                                               dbridge_error** err);
/* *out 1 true, 0 false. */
DBRIDGE_C_API int32_t dbridge_result_get_bool(const dbridge_result* r, uint32_t col, int32_t* out, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_result_get_int64(const dbridge_result* r, uint32_t col, int64_t* out,
                                               dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_result_get_uint64(const dbridge_result* r, uint32_t col, uint64_t* out,
                                                dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_result_get_double(const dbridge_result* r, uint32_t col, double* out,
                                                dbridge_error** err);
/* Text, decimal or JSON cells (and bytes) as they are.  Borrowed until the
 * next dbridge_result_next / fetch / close. */
DBRIDGE_C_API int32_t dbridge_result_get_text(const dbridge_result* r, uint32_t col, const char** ptr, uint64_t* len,
                                              dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_result_get_bytes(const dbridge_result* r, uint32_t col, const uint8_t** ptr,
                                               uint64_t* len, dbridge_error** err);
/* infinity (may be NULL): DBRIDGE_INFINITY_*. */
DBRIDGE_C_API int32_t dbridge_result_get_date(const dbridge_result* r, uint32_t col, int32_t* days, int32_t* infinity,
                                              dbridge_error** err);
/* has_offset / offset_s may be NULL. */
DBRIDGE_C_API int32_t dbridge_result_get_time(const dbridge_result* r, uint32_t col, int64_t* micros,
                                              int32_t* has_offset, int32_t* offset_s, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_result_get_timestamp(const dbridge_result* r, uint32_t col, int64_t* micros,
                                                   int32_t* infinity, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_result_get_timestamptz(const dbridge_result* r, uint32_t col, int64_t* micros,
                                                     int32_t* offset_s, int32_t* infinity, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_result_get_interval(const dbridge_result* r, uint32_t col, int32_t* months,
                                                  int32_t* days, int64_t* micros, dbridge_error** err);
/* Writes 16 bytes (network order) to octets16. */
DBRIDGE_C_API int32_t dbridge_result_get_uuid(const dbridge_result* r, uint32_t col, uint8_t* octets16,
                                              dbridge_error** err);
/* The cell as an owned value tree (dbridge_value_free): what array cells
 * are read with; any other type works too. */
DBRIDGE_C_API int32_t dbridge_result_get_array(const dbridge_result* r, uint32_t col, dbridge_value** out,
                                               dbridge_error** err);
/* Any cell rendered as text (ISO-8601 dates and times, bytes as \x hex,
 * arrays as a JSON array).  DBRIDGE_NULL for NULL.  Borrowed until the next call
 * on r. */
DBRIDGE_C_API int32_t dbridge_result_get_as_text(dbridge_result* r, uint32_t col, const char** ptr, uint64_t* len,
                                                 dbridge_error** err);

/* Batch fetching: one call per batch and one per column instead of one per
 * cell.  Fetches up to max_rows rows (continuing after the current row) into
 * column arrays held by r; *nrows gets the count.  DBRIDGE_OK with *nrows > 0,
 * or DBRIDGE_DONE with *nrows == 0 at the end.  No row is current after it
 * (use the batch, or dbridge_result_next for the rows after it). */
DBRIDGE_C_API int32_t dbridge_result_fetch_batch(dbridge_result* r, uint64_t max_rows, uint64_t* nrows,
                                                 dbridge_error** err);
/* Column col of the last batch; every array has one entry per row, borrowed
 * until the next fetch / next / close on r.  Any output pointer may be NULL.
 *   tags     uint8_t: the cell's DBRIDGE_TYPE_* (NULL cells DBRIDGE_TYPE_NULL)
 *   values   8 bytes per cell; per tag:
 *              BOOL (0/1), INT64, DATE (days), TIME, TIMESTAMP,
 *              TIMESTAMPTZ (micros), INTERVAL (micros): int64_t
 *              UINT64: uint64_t;  DOUBLE: double (read the 8 bytes as double)
 *   aux      int64_t: TIMESTAMPTZ and TIME-with-offset: offset_s;
 *              INTERVAL: months * 2^32 + (uint32_t)days, i.e. months =
 *              aux >> 32 (arithmetic), days = (int32_t)(aux & 0xffffffff);
 *              DATE/TIMESTAMP/TIMESTAMPTZ: DBRIDGE_INFINITY_* in `flags`
 *   flags    uint8_t: bit 0x1 +infinity, 0x2 -infinity, 0x4 TIME has an offset
 *   offsets  uint64_t, nrows + 1 entries: cell i's bytes are
 *            data[offsets[i] .. offsets[i+1]) for TEXT, BYTES, DECIMAL, JSON,
 *            UUID (16 bytes), and ARRAY (rendered as text, as get_as_text);
 *            empty for other tags
 *   data     the bytes of those cells, back to back (not NUL-separated) */
DBRIDGE_C_API int32_t dbridge_result_batch_column(const dbridge_result* r, uint32_t col, const uint8_t** tags,
                                                  const void** values, const int64_t** aux, const uint8_t** flags,
                                                  const uint64_t** offsets, const uint8_t** data, dbridge_error** err);

/* ARRAY cell (row, col) of the last batch as an owned value tree
 * (dbridge_value_free); DBRIDGE_NULL for a cell that is not an array. */
DBRIDGE_C_API int32_t dbridge_result_batch_array(const dbridge_result* r, uint64_t row, uint32_t col,
                                                 dbridge_value** out, dbridge_error** err);

/* --------------------------------------------------------- value trees */
/* An owned value (array cells): free the root with dbridge_value_free;
 * elements are borrowed from their root. */
DBRIDGE_C_API void dbridge_value_free(dbridge_value* v);
/* DBRIDGE_TYPE_*, DBRIDGE_TYPE_NULL for NULL. */
DBRIDGE_C_API uint32_t dbridge_value_type(const dbridge_value* v);
/* Elements of an array (0 for other types). */
DBRIDGE_C_API uint64_t dbridge_value_array_size(const dbridge_value* v);
/* Element i of an array, borrowed from the root; NULL when out of range. */
DBRIDGE_C_API const dbridge_value* dbridge_value_array_item(const dbridge_value* v, uint64_t i);
/* Scalar readers as the result getters: DBRIDGE_OK, DBRIDGE_NULL, DBRIDGE_E_DATA. */
DBRIDGE_C_API int32_t dbridge_value_get_int64(const dbridge_value* v, int64_t* out, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_value_get_double(const dbridge_value* v, double* out, dbridge_error** err);
/* Any scalar in the batch encoding (dbridge_result_batch_column): value8
 * gets 8 bytes, aux and flags as there; any output may be NULL.  DBRIDGE_NULL
 * for NULL; text-like and array values leave the outputs zeroed (read them
 * with dbridge_value_get_text / the array functions). */
DBRIDGE_C_API int32_t dbridge_value_get_fixed(const dbridge_value* v, void* value8, int64_t* aux, uint8_t* flags,
                                              dbridge_error** err);
/* Text/decimal/JSON/bytes, and a UUID's 16 bytes, borrowed from the root. */
DBRIDGE_C_API int32_t dbridge_value_get_text(const dbridge_value* v, const char** ptr, uint64_t* len,
                                             dbridge_error** err);
/* Any value as text; owned, dbridge_string_free. */
DBRIDGE_C_API int32_t dbridge_value_to_text(const dbridge_value* v, char** out, uint64_t* len, dbridge_error** err);

/* ------------------------------------------------------- transactions */
/* Begins a transaction on c.  isolation DBRIDGE_ISOLATION_*, flags
 * DBRIDGE_TX_*; timeout_ms: how long it may stay open (-1: the pool's
 * transaction timeout for a pooled connection, else none; 0: none).  Run
 * statements on c meanwhile.  *out: owned, dbridge_tx_free, which rolls back
 * when neither commit nor rollback was called. */
DBRIDGE_C_API int32_t dbridge_begin(dbridge_conn* c, uint32_t isolation, uint32_t flags, int64_t timeout_ms,
                                    dbridge_tx** out, dbridge_error** err);
/* A savepoint inside tx (nested: *out's depth is tx's + 1).  Owned, dbridge_tx_free. */
DBRIDGE_C_API int32_t dbridge_tx_savepoint(dbridge_tx* tx, dbridge_tx** out, dbridge_error** err);
/* Commits (releases a savepoint) / rolls back (to the savepoint).  After
 * either, the handle refuses further commits with DBRIDGE_E_INVALID_STATE. */
DBRIDGE_C_API int32_t dbridge_tx_commit(dbridge_tx* tx, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_tx_rollback(dbridge_tx* tx, dbridge_error** err);
/* 0 = top level, 1+ = savepoint. */
DBRIDGE_C_API int32_t dbridge_tx_depth(const dbridge_tx* tx, uint32_t* out, dbridge_error** err);
/* Rolls back when still active, then releases the handle. */
DBRIDGE_C_API void dbridge_tx_free(dbridge_tx* tx);
/* *out 1 while c is inside a transaction (dbridge_begin or a raw BEGIN). */
DBRIDGE_C_API int32_t dbridge_conn_in_transaction(const dbridge_conn* c, int32_t* out, dbridge_error** err);

/* --------------------------------------------------------------- pools */
/* Opens a pool (thread-safe handle).  url may be empty: DATABASE_URL.
 * Options (NUL-terminated UTF-8 key/value; durations in milliseconds):
 *   "min", "max", "acquire_timeout_ms", "idle_timeout_ms",
 *   "max_lifetime_ms", "health_check_period_ms", "transaction_timeout_ms",
 *   "leak_detection_threshold_ms", "validate_on_acquire" (0/1), "strategy",
 *   "name", "opened_by", "statement_cache_size",
 *   "reset_on_release" (auto|always|never), "read_url" (repeatable),
 *   "read_strategy" (round_robin|least_busy).
 * The URL's pool_* query settings are honoured as in the C++ API.  *out:
 * owned, dbridge_pool_free. */
DBRIDGE_C_API int32_t dbridge_pool_open(const char* url, uint64_t url_len, const char* const* option_keys,
                                        const char* const* option_values, uint32_t option_count, dbridge_pool** out,
                                        dbridge_error** err);
/* Closes idle connections and refuses new acquires; acquired ones close when
 * given back.  The handle stays and refuses use.  Any thread. */
DBRIDGE_C_API void dbridge_pool_close(dbridge_pool* p);
/* Releases the handle (acquired connections stay usable until given back). */
DBRIDGE_C_API void dbridge_pool_free(dbridge_pool* p);
/* Acquires a connection of the primary, waiting up to timeout_ms
 * (DBRIDGE_WAIT_FOREVER: the pool's acquire_timeout); exhausted:
 * DBRIDGE_E_RESOURCE with DBRIDGE_SUB_POOL_EXHAUSTED.  *out is a connection
 * handle usable with every dbridge_conn function; owned: give it back with
 * dbridge_pool_release (or dbridge_conn_close / dbridge_conn_free).  Any thread. */
DBRIDGE_C_API int32_t dbridge_pool_acquire(dbridge_pool* p, int64_t timeout_ms, dbridge_conn** out,
                                           dbridge_error** err);
/* A connection to a read replica (the primary when there is none or all are down). */
DBRIDGE_C_API int32_t dbridge_pool_acquire_read(dbridge_pool* p, dbridge_conn** out, dbridge_error** err);
/* Gives a pooled connection back and frees the handle (a direct connection
 * is closed and freed).  NULL is ignored. */
DBRIDGE_C_API void dbridge_pool_release(dbridge_conn* c);
/* Closes a pooled connection instead of giving it back, and frees the handle. */
DBRIDGE_C_API void dbridge_pool_discard(dbridge_conn* c);
/* Live figures and health as a JSON object (pool_health::to_json: "healthy",
 * "status", "primary" {"total","idle","in_use","waiting",...}, "replicas").
 * Owned, dbridge_string_free. */
DBRIDGE_C_API int32_t dbridge_pool_metrics_json(const dbridge_pool* p, char** out, uint64_t* len, dbridge_error** err);

/* ------------------------------------------------- registry and catalog */
/* Every open connection as a JSON array (registry::to_json; no passwords).
 * Owned, dbridge_string_free. */
DBRIDGE_C_API int32_t dbridge_registry_json(char** out, uint64_t* len, dbridge_error** err);
/* The plugin catalog as a JSON object: "search_path" [{path, origin, scope,
 * exists}], "plugins" [{id, version, kind, summary, schemes, capabilities,
 * status, problem, library, scope}], "problems" [{manifest, message, fix}].
 * Reads manifests only, loads nothing.  Owned, dbridge_string_free. */
DBRIDGE_C_API int32_t dbridge_plugins_json(char** out, uint64_t* len, dbridge_error** err);

/* ------------------------------------------------ commands (Redis and alike) */
/* Sends argv (argc binary-safe arguments: argv[i] with argv_len[i] bytes)
 * and returns the reply tree.  A server error reply fails with
 * DBRIDGE_E_BACKEND and DBRIDGE_ERRF_BACKEND_CODE set ("WRONGTYPE"...).
 * *out: owned, dbridge_reply_free. */
DBRIDGE_C_API int32_t dbridge_command(dbridge_conn* c, uint32_t argc, const char* const* argv,
                                      const uint64_t* argv_len, dbridge_reply** out, dbridge_error** err);
/* Frees a reply tree (the root only; elements belong to it). */
DBRIDGE_C_API void dbridge_reply_free(dbridge_reply* r);
/* DBRIDGE_REPLY_*; DBRIDGE_REPLY_NIL for NULL. */
DBRIDGE_C_API uint32_t dbridge_reply_type(const dbridge_reply* r);
/* INTEGER and BOOL (0/1); 0 for other types. */
DBRIDGE_C_API int64_t dbridge_reply_integer(const dbridge_reply* r);
/* DOUBLE; 0 for other types. */
DBRIDGE_C_API double dbridge_reply_double(const dbridge_reply* r);
/* STATUS, ERROR (inside arrays), STRING, VERBATIM, BIGNUM bytes; "" for
 * others.  Borrowed from the root. */
DBRIDGE_C_API const char* dbridge_reply_string(const dbridge_reply* r, uint64_t* len);
/* ARRAY, SET, PUSH, MAP (keys and values alternate); 0 for others. */
DBRIDGE_C_API uint64_t dbridge_reply_size(const dbridge_reply* r);
/* Element i, borrowed from the root; NULL when out of range. */
DBRIDGE_C_API const dbridge_reply* dbridge_reply_element(const dbridge_reply* r, uint64_t i);

/* ------------------------------------------------------ notifications */
/* A listener on c (capability "notify": PostgreSQL LISTEN/NOTIFY, Redis
 * SUBSCRIBE/PUBLISH).  c is dedicated to listening while it is subscribed
 * (Redis).  Freeing the listener leaves every channel and pattern it joined.
 * *out: owned, dbridge_listener_free; closed with its connection. */
DBRIDGE_C_API int32_t dbridge_listener_new(dbridge_conn* c, dbridge_listener** out, dbridge_error** err);
DBRIDGE_C_API void dbridge_listener_close(dbridge_listener* l);
DBRIDGE_C_API void dbridge_listener_free(dbridge_listener* l);
DBRIDGE_C_API int32_t dbridge_listener_listen(dbridge_listener* l, const char* channel, uint64_t len,
                                              dbridge_error** err);
/* Glob pattern (Redis PSUBSCRIBE); DBRIDGE_E_UNSUPPORTED elsewhere. */
DBRIDGE_C_API int32_t dbridge_listener_listen_pattern(dbridge_listener* l, const char* pattern, uint64_t len,
                                                      dbridge_error** err);
/* len 0 leaves every channel / pattern. */
DBRIDGE_C_API int32_t dbridge_listener_unlisten(dbridge_listener* l, const char* channel, uint64_t len,
                                                dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_listener_unlisten_pattern(dbridge_listener* l, const char* pattern, uint64_t len,
                                                        dbridge_error** err);
/* Waits up to timeout_ms (DBRIDGE_WAIT_FOREVER: no limit) for one message:
 * DBRIDGE_OK with *out set (owned, dbridge_notification_free), or
 * DBRIDGE_EMPTY with *out NULL when none came in time. */
DBRIDGE_C_API int32_t dbridge_listener_wait(dbridge_listener* l, int64_t timeout_ms, dbridge_notification** out,
                                            dbridge_error** err);
/* Sends payload on channel (NOTIFY / PUBLISH) from c. */
DBRIDGE_C_API int32_t dbridge_notify(dbridge_conn* c, const char* channel, uint64_t channel_len, const char* payload,
                                     uint64_t payload_len, dbridge_error** err);
DBRIDGE_C_API void dbridge_notification_free(dbridge_notification* n);
/* Borrowed until dbridge_notification_free; "" for NULL. */
DBRIDGE_C_API const char* dbridge_notification_channel(const dbridge_notification* n, uint64_t* len);
DBRIDGE_C_API const char* dbridge_notification_payload(const dbridge_notification* n, uint64_t* len);
/* The pattern that matched (listen_pattern), NULL when none. */
DBRIDGE_C_API const char* dbridge_notification_pattern(const dbridge_notification* n, uint64_t* len);
/* The sending backend's process id, 0 when unknown. */
DBRIDGE_C_API int64_t dbridge_notification_sender_pid(const dbridge_notification* n);

/* ---- Many rows in one call (executemany) ---- */

/* Shapes p into `rows` rows of `width` values each, row-major, every value
 * NULL until set (replaces p's content; dbridge_params_clear unshapes it).
 * The column calls below then set one column of every row in one call;
 * dbridge_params_add_* still append, so a list can also be filled row by row
 * from empty (rows 0) and handed to dbridge_stmt_execute_many with its width. */
DBRIDGE_C_API int32_t dbridge_params_set_rows(dbridge_params* p, uint64_t rows, uint32_t width, dbridge_error** err);
/* Sets column col (0-based, < width) of every row of a shaped p from arrays of
 * one entry per row, borrowed for the call (copied).  nulls may be NULL (no
 * NULLs); else nulls[i] != 0 makes row i's value NULL. */
DBRIDGE_C_API int32_t dbridge_params_column_int64(dbridge_params* p, uint32_t col, const int64_t* values,
                                                  const uint8_t* nulls, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_params_column_double(dbridge_params* p, uint32_t col, const double* values,
                                                   const uint8_t* nulls, dbridge_error** err);
/* Row i's value is data[ends[i-1], ends[i]) (ends[-1] taken as 0): the rows'
 * texts (UTF-8) or bytes laid end to end. */
DBRIDGE_C_API int32_t dbridge_params_column_text(dbridge_params* p, uint32_t col, const char* data,
                                                 const uint64_t* ends, const uint8_t* nulls, dbridge_error** err);
DBRIDGE_C_API int32_t dbridge_params_column_bytes(dbridge_params* p, uint32_t col, const uint8_t* data,
                                                  const uint64_t* ends, const uint8_t* nulls, dbridge_error** err);

/* Runs s once per row of params (its values taken `width` at a time,
 * row-major; width is the statement's parameter count) in one call, on the
 * driver's fastest path: MariaDB array binding, a PostgreSQL pipeline, else
 * re-execution of the prepared statement.  Afterwards
 * dbridge_conn_last_insert_id is the last row's, as after dbridge_execute.
 * All or nothing: the rows run in a savepoint of the innermost dbridge_tx open
 * on s's connection, else in a transaction of their own (when the connection
 * is in a transaction begun by SQL text, the rows run in it unguarded).  When
 * a row fails, every row is rolled back, *failed_row is its 0-based index, and
 * the error (the row's own, its message prefixed "row N: ") is returned;
 * otherwise *failed_row is UINT64_MAX.  *affected_rows: the total, -1 when the
 * driver does not know.  affected_rows and failed_row may be NULL.  An empty
 * params runs nothing. */
DBRIDGE_C_API int32_t dbridge_stmt_execute_many(dbridge_stmt* s, const dbridge_params* params, uint32_t width,
                                                int64_t* affected_rows, uint64_t* failed_row, dbridge_error** err);

/* Like dbridge_command, but the whole reply tree comes back encoded in one
 * buffer, so an FFI caller decodes it without a call per element.  *out:
 * borrowed until the next dbridge_command_encoded on c or its close; *out_len
 * bytes.  Layout, in native byte order: uint64 n (the number of nodes); n type
 * bytes (DBRIDGE_REPLY_*) zero-padded to a multiple of 8; int64 a[n]; int64
 * b[n]; then the string bytes.  Nodes are in preorder (an aggregate before its
 * elements, the root first).  INTEGER, BOOL: a is the value.  DOUBLE: a holds
 * the IEEE-754 bits.  STATUS, ERROR, STRING, VERBATIM, BIGNUM: the bytes
 * [a, b) of the string bytes.  ARRAY, MAP, SET, PUSH: a is the number of
 * elements (a map's keys and values alternate).  NIL: a = b = 0. */
DBRIDGE_C_API int32_t dbridge_command_encoded(dbridge_conn* c, uint32_t argc, const char* const* argv,
                                              const uint64_t* argv_len, const uint8_t** out, uint64_t* out_len,
                                              dbridge_error** err);

#ifdef __cplusplus
} /* extern "C" */
#endif

#endif /* DBRIDGE_DBRIDGE_H */
