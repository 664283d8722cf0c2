/* dbridge plugin ABI, major 1.  SPDX-License-Identifier: Apache-2.0
 *
 * The only contract between the dbridge core and its plugins (drivers, pool
 * strategies, graph mappers).  Pure C99: fixed-width integers, pointers with
 * lengths, opaque handles and function pointers.  No enum, bool or long in a
 * struct, so every compiler lays the structs out the same way.
 *
 * VERSIONING
 *   - One exported symbol per major: dbridge_plugin_entry_v1.
 *   - The minor grows append-only inside the major.  The core passes its
 *     highest minor in dbr_host.abi_minor; the plugin answers with
 *     min(core, plugin) in dbr_plugin_desc.abi_minor, or returns
 *     DBR_E_INCOMPATIBLE when the core is older than the plugin's minimum.
 *   - The negotiated minor is the only gate for what either side may use.
 *   - Every extensible struct starts with uint32_t struct_size.  A receiver
 *     copies min(struct_size, sizeof own) into a zero-filled copy of its own
 *     latest layout, so fields appended later read as zero / NULL.
 *   - Vtables are append-only; a NULL slot (or a NULL capability table) means
 *     "unsupported".  Every field and slot below is marked with the minor that
 *     added it; a comment opening "1.0:" marks the member it precedes, and a
 *     mark on a slot's comment covers the slots that follow it up to the next
 *     comment.  Fields named reserved* are explicit padding (no compiler may
 *     add its own): the sender zeroes them, the receiver ignores them, and a
 *     later minor may give them a meaning only by appending a new field.
 *   - Names that turned out wrong stay (renaming breaks every plugin's
 *     source); the comment at the field says what it really holds.
 *
 * OWNERSHIP (normative)
 *   1. Whoever allocates frees, each in its own module.  The core never frees
 *      plugin memory and a plugin never frees core memory.
 *   2. Outputs borrowed from a plugin (cells, column info, names, replies) stay
 *      valid until the next call that invalidates them on the same handle
 *      (fetch, execute, reset, close), as in SQLite.  The core copies what it
 *      keeps.
 *   3. Inputs from the core (SQL, parameters, options, URLs) are borrowed for
 *      the duration of the call only; a plugin copies what it keeps.
 *   4. Memory the core frees after a call (error messages and fields) is made
 *      through the host table (dbr_host.error_set*), never by the plugin.
 *   5. Plugin objects are opaque handles released only through their vtable.
 *
 * THREADING
 *   Each plugin declares a level in its descriptor and manifest (they must
 *   agree); the core enforces it:
 *     DBR_THREADING_GLOBAL_SERIAL  the core serialises every call into the plugin
 *     DBR_THREADING_PER_CONNECTION distinct connections may run concurrently; a
 *                                  connection and everything made from it is
 *                                  used by one thread at a time
 *     DBR_THREADING_FREE           any call from any thread at any time
 *   Exceptions to the level are written on the slot ("any thread").
 *
 * ERRORS
 *   Every fallible slot returns an int32_t status (DBR_OK, a positive
 *   informational status, or a negative DBR_E_* category) and fills the
 *   dbr_error* it was given, through dbr_host.error_set.  No exception, longjmp
 *   or C++ object ever crosses this boundary.
 */
#ifndef DBRIDGE_ABI_H
#define DBRIDGE_ABI_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define DBR_ABI_MAJOR 1
#define DBR_ABI_MINOR 4

#if defined(_WIN32)
#define DBR_EXPORT __declspec(dllexport)
#else
#define DBR_EXPORT __attribute__((visibility("default")))
#endif

/* Size checks that are valid C99 (negative array size on failure).  Only
 * checked on LP64, the platforms the layout goldens cover. */
#define DBR_ABI_CHECK_(name, cond) typedef char dbr_abi_check_##name[(cond) ? 1 : -1]
#if UINTPTR_MAX == 0xFFFFFFFFFFFFFFFFu
#define DBR_ABI_CHECK(name, cond) DBR_ABI_CHECK_(name, cond)
#else
#define DBR_ABI_CHECK(name, cond) DBR_ABI_CHECK_(name, 1)
#endif

/* ---------------------------------------------------------------- status */
/* since 1.0 */
#define DBR_OK 0
#define DBR_DONE 1  /* no more rows / results / plugins at this index */
#define DBR_EMPTY 2 /* a wait timed out with nothing to deliver */

/* Error categories.  A failing call returns -category. Append-only; a core
 * treats an unknown category as DBR_CAT_INTERNAL. */
#define DBR_CAT_CONNECTION 1       /* cannot reach / lost the server */
#define DBR_CAT_AUTH 2             /* credentials refused */
#define DBR_CAT_SYNTAX 3           /* statement does not parse */
#define DBR_CAT_CONSTRAINT 4       /* see dbr_error.subcategory */
#define DBR_CAT_TXN_CONFLICT 5     /* serialization failure, deadlock */
#define DBR_CAT_TIMEOUT 6
#define DBR_CAT_CANCELLED 7
#define DBR_CAT_UNSUPPORTED 8      /* driver lacks the capability or feature */
#define DBR_CAT_INVALID_ARGUMENT 9 /* bad URL, option, parameter count... */
#define DBR_CAT_INCOMPATIBLE 10    /* ABI or version mismatch */
#define DBR_CAT_RESOURCE 11        /* out of memory, disk full, pool exhausted */
#define DBR_CAT_INTERNAL 12        /* bug, or an exception caught at the boundary */
#define DBR_CAT_NOT_FOUND 13       /* undefined table/column/object */
#define DBR_CAT_DATA 14            /* bad value: conversion, overflow, invalid UTF-8 */
#define DBR_CAT_INVALID_STATE 15   /* call not valid now (e.g. commit with no transaction) */
#define DBR_CAT_BACKEND 16         /* any other server-side error */

#define DBR_E_CONNECTION (-DBR_CAT_CONNECTION)
#define DBR_E_AUTH (-DBR_CAT_AUTH)
#define DBR_E_SYNTAX (-DBR_CAT_SYNTAX)
#define DBR_E_CONSTRAINT (-DBR_CAT_CONSTRAINT)
#define DBR_E_TXN_CONFLICT (-DBR_CAT_TXN_CONFLICT)
#define DBR_E_TIMEOUT (-DBR_CAT_TIMEOUT)
#define DBR_E_CANCELLED (-DBR_CAT_CANCELLED)
#define DBR_E_UNSUPPORTED (-DBR_CAT_UNSUPPORTED)
#define DBR_E_INVALID_ARGUMENT (-DBR_CAT_INVALID_ARGUMENT)
#define DBR_E_INCOMPATIBLE (-DBR_CAT_INCOMPATIBLE)
#define DBR_E_RESOURCE (-DBR_CAT_RESOURCE)
#define DBR_E_INTERNAL (-DBR_CAT_INTERNAL)
#define DBR_E_NOT_FOUND (-DBR_CAT_NOT_FOUND)
#define DBR_E_DATA (-DBR_CAT_DATA)
#define DBR_E_INVALID_STATE (-DBR_CAT_INVALID_STATE)
#define DBR_E_BACKEND (-DBR_CAT_BACKEND)

/* Subcategories refine a category (0 = none). */
#define DBR_SUB_NONE 0
#define DBR_SUB_UNIQUE_VIOLATION 1
#define DBR_SUB_FOREIGN_KEY_VIOLATION 2
#define DBR_SUB_NOT_NULL_VIOLATION 3
#define DBR_SUB_CHECK_VIOLATION 4
#define DBR_SUB_SERIALIZATION_FAILURE 5
#define DBR_SUB_DEADLOCK 6
#define DBR_SUB_LOCK_TIMEOUT 7
#define DBR_SUB_UNDEFINED_TABLE 8
#define DBR_SUB_UNDEFINED_COLUMN 9
#define DBR_SUB_ADMIN_SHUTDOWN 10
#define DBR_SUB_POOL_EXHAUSTED 11
#define DBR_SUB_INVALID_UTF8 12
#define DBR_SUB_WRONG_TYPE 13 /* e.g. Redis WRONGTYPE */
#define DBR_SUB_NUL_BYTE 14 /* 1.1: a NUL byte in SQL text or a text parameter that cannot carry it */

/* Retry classes, decided by the plugin that knows the native semantics. A
 * connection lost after the request may have reached the server is
 * UNKNOWN_OUTCOME; NEW_CONN only when the plugin knows the server never
 * received it (the connect failed, the request was not written, the
 * connection was found closed before sending). The core relaxes
 * UNKNOWN_OUTCOME to NEW_CONN for statements that only read, or inside an
 * explicit transaction the server has rolled back. */
#define DBR_RETRY_NONE 0
#define DBR_RETRY_SAME_CONN 1      /* transaction rolled back: retry it on this connection */
#define DBR_RETRY_NEW_CONN 2       /* the server never received the request: retry on a new connection */
#define DBR_RETRY_UNKNOWN_OUTCOME 3 /* lost after sending: the effect may or may not exist */

/* Extra text fields of an error, set through dbr_host.error_set_field. */
#define DBR_ERRF_DETAIL 1
#define DBR_ERRF_HINT 2
#define DBR_ERRF_SEVERITY 3
#define DBR_ERRF_CONSTRAINT 4
#define DBR_ERRF_TABLE 5
#define DBR_ERRF_COLUMN 6
#define DBR_ERRF_SCHEMA 7
#define DBR_ERRF_BACKEND_CODE 8 /* textual native code, e.g. "WRONGTYPE" */

/* The error record.  The core zero-fills it and sets struct_size; the plugin
 * fills it with dbr_host.error_set (which allocates the message in core
 * memory) and may then set the scalar fields directly.  The core owns and
 * frees everything the host functions attached. */
typedef struct dbr_error {
  uint32_t struct_size;   /* 1.0 */
  int32_t status;         /* 1.0: the negative status, == -category */
  uint32_t category;      /* 1.0: DBR_CAT_* */
  uint32_t subcategory;   /* 1.0: DBR_SUB_* */
  char sqlstate[6];       /* 1.0: 5 chars + NUL, "" when unknown */
  uint8_t retry;          /* 1.0: DBR_RETRY_* */
  uint8_t conn_broken;    /* 1.0: 1 = the connection is unusable, discard it */
  int64_t native_code;    /* 1.0: backend error number (0 when none) */
  const char* native_domain; /* 1.0: static string: "libpq", "mariadb", "sqlite", "hiredis", ... */
  char* message;          /* 1.0: core-allocated, NUL-terminated, via error_set */
  uint64_t message_len;   /* 1.0 */
  void* host_private;     /* 1.0: the core's extra fields; plugins never touch it */
} dbr_error;
DBR_ABI_CHECK(error_size, sizeof(dbr_error) == 64);

/* ---------------------------------------------------------------- values */
/* Type tags (since 1.0, append-only; a plugin down-converts a tag newer than
 * the negotiated minor; an unknown tag is an error, never garbage). */
#define DBR_TYPE_NULL 0
#define DBR_TYPE_BOOL 1        /* u.i64: 0 or 1 */
#define DBR_TYPE_INT64 2       /* u.i64 */
#define DBR_TYPE_UINT64 3      /* u.u64 */
#define DBR_TYPE_DOUBLE 4      /* u.f64 (Infinity and NaN allowed) */
#define DBR_TYPE_TEXT 5        /* u.str: UTF-8, length-delimited, NUL not required */
#define DBR_TYPE_BYTES 6       /* u.bin */
#define DBR_TYPE_DECIMAL 7     /* u.str: exact decimal text, e.g. "-12.3400", "NaN" */
#define DBR_TYPE_DATE 8        /* u.ts.micros: DAYS (despite the name) since 1970-01-01
                                  (proleptic Gregorian) */
#define DBR_TYPE_TIME 9        /* u.ts.micros: micros since midnight (may be negative or > 24h
                                  for MySQL TIME); DBR_VF_HAS_OFFSET: u.ts.offset_s valid */
#define DBR_TYPE_TIMESTAMP 10  /* u.ts.micros: micros since 1970-01-01T00:00 local, no zone */
#define DBR_TYPE_TIMESTAMPTZ 11 /* u.ts.micros: UTC instant; u.ts.offset_s: offset it was shown in */
#define DBR_TYPE_INTERVAL 12   /* u.iv */
#define DBR_TYPE_UUID 13       /* u.uuid: 16 bytes, network order */
#define DBR_TYPE_JSON 14       /* u.str: JSON text */
#define DBR_TYPE_ARRAY 15      /* u.arr */
#define DBR_TYPE_COUNT_1_0 16  /* number of tags defined in 1.0 */

/* Value flags (unknown bits are ignored). */
#define DBR_VF_POS_INFINITY 0x1u /* DATE/TIMESTAMP/TIMESTAMPTZ: +infinity */
#define DBR_VF_NEG_INFINITY 0x2u /* DATE/TIMESTAMP/TIMESTAMPTZ: -infinity */
#define DBR_VF_HAS_OFFSET 0x4u   /* TIME: u.ts.offset_s holds a zone offset (timetz) */

struct dbr_array;

/* A typed value.  Not extensible (no struct_size): it is the element of every
 * cell and parameter array, so its 24 bytes are fixed for the whole major; a
 * new type reuses the union's members.  u.ts.micros is a misnomer kept for
 * source compatibility: for DBR_TYPE_DATE it holds DAYS since 1970-01-01, not
 * microseconds (see the tags above). */
typedef struct dbr_value {
  uint32_t type;  /* 1.0: DBR_TYPE_* */
  uint32_t flags; /* 1.0: DBR_VF_* */
  union { /* 1.0: the member the tag names */
    int64_t i64;
    uint64_t u64;
    double f64;
    struct { const char* ptr; uint64_t len; } str;
    struct { const uint8_t* ptr; uint64_t len; } bin;
    /* micros: DAYS for DATE, microseconds for TIME, TIMESTAMP(TZ) */
    struct { int64_t micros; int32_t offset_s; int32_t reserved; } ts;
    struct { int32_t months; int32_t days; int64_t micros; } iv;
    uint8_t uuid[16];
    const struct dbr_array* arr;
  } u;
} dbr_value;
DBR_ABI_CHECK(value_size, sizeof(dbr_value) == 24);

/* An array; elements may be DBR_TYPE_NULL whatever elem_type is.  Arrays
 * nest: a multi-dimensional array (PostgreSQL's int4[][]) is an array of
 * arrays, one level per dimension, with elem_type DBR_TYPE_ARRAY on every
 * level but the innermost; a reader must accept DBR_TYPE_ARRAY elements and
 * recurse rather than assume one dimension. */
typedef struct dbr_array {
  uint32_t struct_size;   /* 1.0 */
  uint32_t elem_type;     /* 1.0: DBR_TYPE_* of the non-NULL elements */
  uint64_t count;         /* 1.0 */
  const dbr_value* items; /* 1.0 */
  const char* elem_native_type; /* 1.0: backend element type name, may be NULL */
} dbr_array;

/* A key/value option; arrays of them carry driver-specific settings. */
typedef struct dbr_param {
  const char* key; /* 1.0: NUL-terminated */
  dbr_value value; /* 1.0 */
} dbr_param;

/* Column description, borrowed from the plugin (ownership rule 2). */
#define DBR_NULLABLE_NO 0
#define DBR_NULLABLE_YES 1
#define DBR_NULLABLE_UNKNOWN 2
typedef struct dbr_column {
  uint32_t struct_size;    /* 1.0 */
  uint32_t type;           /* 1.0: DBR_TYPE_* the cells will carry (NULL cells excepted) */
  const char* name;        /* 1.0: NUL-terminated */
  const char* native_type; /* 1.0: backend type name ("int4", "DATETIME", "TEXT") */
  uint32_t nullable;       /* 1.0: DBR_NULLABLE_* */
  int32_t precision;       /* 1.0: -1 unknown */
  int32_t scale;           /* 1.0: -1 unknown */
  int32_t reserved;        /* 1.0: padding */
  int64_t max_length;      /* 1.0: -1 unknown */
} dbr_column;

/* A batch of fetched rows: nrows * ncols cells, row-major, borrowed. */
typedef struct dbr_rows {
  uint32_t struct_size;    /* 1.0 */
  uint32_t ncols;          /* 1.0 */
  uint64_t nrows;          /* 1.0 */
  const dbr_value* cells;  /* 1.0 */
} dbr_rows;

/* ------------------------------------------------------------ handles */
typedef struct dbr_plugin dbr_plugin;         /* a plugin instance made by init */
typedef struct dbr_conn dbr_conn;             /* a driver connection */
typedef struct dbr_stmt dbr_stmt;             /* a prepared statement */
typedef struct dbr_cursor dbr_cursor;         /* a stream of rows */
typedef struct dbr_bulk dbr_bulk;             /* a COPY-style transfer */
typedef struct dbr_pool_strategy dbr_pool_strategy; /* a pool strategy instance */
typedef struct dbr_reply dbr_reply;           /* NOT opaque: a public struct,
                                                 defined with the "command"
                                                 capability below; declared here
                                                 with the handles only because
                                                 dbr_lent_conn uses it first */

/* --------------------------------------------------------- host services */
#define DBR_LOG_ERROR 1
#define DBR_LOG_WARN 2
#define DBR_LOG_INFO 3
#define DBR_LOG_DEBUG 4

/* Host callbacks for SQL functions (capability "functions"). The host fills
 * *result; its memory stays valid until the plugin copies it, i.e. until the
 * function returns to the backend.  Called on the thread running the query. */
typedef int32_t (*dbr_function_cb)(void* user, uint32_t argc, const dbr_value* argv,
                                   dbr_value* result, dbr_error* err);
typedef void (*dbr_destroy_cb)(void* user);

struct dbr_lent_conn;

/* The services the core offers to plugins.  Valid from the entry call until
 * process exit; every function may be called from any thread. */
typedef struct dbr_host {
  uint32_t struct_size; /* 1.0 */
  uint16_t abi_major;   /* 1.0: DBR_ABI_MAJOR of the core */
  uint16_t abi_minor;   /* 1.0: the core's highest minor */
  void* host_ctx;       /* 1.0: pass back to log */
  /* 1.0: memory the core will free (or that a plugin wants from the core heap) */
  void* (*alloc)(uint64_t size);
  void (*free)(void* ptr); /* 1.0 */
  /* 1.0: fill err: category (DBR_CAT_*), sqlstate (NULL or 5 chars), message
   * (UTF-8, copied; invalid UTF-8 is replaced). Returns -category, so a plugin
   * can write `return host->error_set(err, ...)`. err may be NULL (no-op). */
  int32_t (*error_set)(dbr_error* err, uint32_t category, const char* sqlstate,
                       const char* message, uint64_t message_len);
  /* 1.0: attach a DBR_ERRF_* text to err (copied). */
  int32_t (*error_set_field)(dbr_error* err, uint32_t field, const char* text, uint64_t len);
  /* 1.0: log a line (copied); level DBR_LOG_*. Never pass secrets. */
  void (*log)(void* host_ctx, uint32_t level, const char* plugin_id, const char* message,
              uint64_t message_len);
  /* 1.0: release what error_set / error_set_field attached to err and
   * zero it again (struct_size kept). For plugins that receive an error
   * record from a host callback (SQL functions, a mapper's lent connection)
   * and do not hand it back to the core. err may be NULL. */
  void (*error_clear)(dbr_error* err);
} dbr_host;

/* ----------------------------------------------------- the entry symbol */
#define DBR_KIND_DRIVER 1
#define DBR_KIND_POOL 2
#define DBR_KIND_MAPPER 3

#define DBR_THREADING_GLOBAL_SERIAL 1
#define DBR_THREADING_PER_CONNECTION 2
#define DBR_THREADING_FREE 3

#define DBR_PF_CANCEL_ANY_THREAD 0x1u  /* cancel() may run during a blocking call */
#define DBR_PF_NEEDS_GLOBAL_INIT 0x2u  /* init() once, under the loader lock */
#define DBR_PF_THREAD_AFFINE 0x4u      /* objects stay on the thread that made them */
#define DBR_PF_UNLOAD_SAFE 0x8u        /* library may be dlclosed after shutdown */

/* Driver capabilities; the manifest's names are the lowercase suffixes. */
#define DBR_CAP_SQL 0x1u
#define DBR_CAP_TRANSACTIONS 0x2u
#define DBR_CAP_COMMAND 0x4u
#define DBR_CAP_NOTIFY 0x8u
#define DBR_CAP_BULK 0x10u
#define DBR_CAP_BATCH 0x20u
#define DBR_CAP_INTROSPECT 0x40u
#define DBR_CAP_FUNCTIONS 0x80u
#define DBR_CAP_CANCEL 0x100u

/* Filled by the plugin in the entry.  The core zero-fills it and sets
 * struct_size.  Every pointer must stay valid while the library is loaded
 * (static storage). */
typedef struct dbr_plugin_desc {
  uint32_t struct_size;   /* 1.0 */
  uint16_t abi_major;     /* 1.0: DBR_ABI_MAJOR the plugin was built for */
  uint16_t abi_minor;     /* 1.0: negotiated: min(host->abi_minor, plugin's) */
  uint32_t kind;          /* 1.0: DBR_KIND_* */
  uint32_t threading;     /* 1.0: DBR_THREADING_* */
  uint64_t flags;         /* 1.0: DBR_PF_* */
  uint64_t capabilities;  /* 1.0: DBR_CAP_* (drivers) */
  const char* id;         /* 1.0: must equal the manifest's plugin.id */
  const char* version;    /* 1.0: must equal the manifest's plugin.version */
  const char* const* schemes; /* 1.0: drivers: NULL-terminated list; else NULL */
  const void* vtable;     /* 1.0: dbr_driver_vtable / dbr_pool_vtable / dbr_mapper_vtable */
} dbr_plugin_desc;
DBR_ABI_CHECK(desc_size, sizeof(dbr_plugin_desc) == 64);

/* The one exported symbol.  Pure: no I/O, no allocation, idempotent, any
 * thread.  Returns DBR_OK, DBR_DONE (index past the last plugin of this
 * library) or DBR_E_INCOMPATIBLE (core too old / wrong major). */
typedef int32_t (*dbr_plugin_entry_fn)(const dbr_host* host, uint32_t index,
                                       dbr_plugin_desc* out);
#define DBR_ENTRY_SYMBOL "dbridge_plugin_entry_v1"
DBR_EXPORT int32_t dbridge_plugin_entry_v1(const dbr_host* host, uint32_t index,
                                           dbr_plugin_desc* out);

/* ------------------------------------------------- connecting (drivers) */
/* A parsed connection URL, borrowed for the connect call.  All strings are
 * NUL-terminated and percent-decoded; absent parts are NULL (port: 0). */
typedef struct dbr_url {
  uint32_t struct_size;   /* 1.0 */
  uint32_t port;          /* 1.0: first host's port, 0 = default */
  const char* scheme;     /* 1.0 */
  const char* user;       /* 1.0 */
  const char* password;   /* 1.0: never log or copy into errors */
  const char* host;       /* 1.0: first host; IPv6 without brackets */
  const char* database;   /* 1.0: path after the authority without the leading
                             '/', or the file path for file databases
                             ("/abs/x.db", "rel.db", ":memory:") */
  const char* raw;        /* 1.0: the whole URL as given (contains the password) */
  const dbr_param* options; /* 1.0: query parameters as TEXT values, in order */
  uint32_t noptions;      /* 1.0 */
  uint32_t nhosts;        /* 1.0: number of entries in hosts/ports */
  const char* const* hosts; /* 1.0: every host (multi-host URLs) */
  const uint32_t* ports;    /* 1.0 */
} dbr_url;

/* Result of executing a statement. */
typedef struct dbr_exec_info {
  uint32_t struct_size;     /* 1.0 */
  uint32_t has_rows;        /* 1.0: 1 when *cursor was set */
  int64_t affected_rows;    /* 1.0: -1 when not applicable / unknown */
  int64_t last_insert_id;   /* 1.0: valid when has_last_insert_id */
  uint32_t has_last_insert_id; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0, in: when non-zero and execute returns a cursor, the plugin may read
   * the first batch (at most first_max rows) before returning, as a fetch
   * would, and save the caller that call. Plugins may ignore it. */
  uint32_t first_max;
  /* 1.0, out: 1 when `first` holds the first batch (nrows 0: no rows at
   * all); 0 when the caller must fetch as usual. */
  uint32_t has_first;
  /* 1.0, out: borrowed like a fetch's rows, valid until the next fetch or
   * close on the cursor. */
  dbr_rows first;
  /* 1.1, out: 1 when the statement may have changed session state that would
   * outlive it and reach the next user of the connection (settings, temporary
   * objects, session locks, listened channels, SQL-level prepared statements,
   * user variables, the current database...): a pool then calls
   * dbr_conn_vtable.reset_session before handing the connection on. Set it
   * also when the statement fails (a lock may be held all the same); when in
   * doubt, 1. The core reads it only with a negotiated minor >= 1 and otherwise
   * classifies the SQL text itself, conservatively. */
  uint32_t session_changed;
  uint32_t reserved_1_1;    /* 1.1: padding */
  /* 1.1, out: 1 when last_insert_id holds the bits of a uint64_t (cast), as
   * MariaDB's BIGINT UNSIGNED AUTO_INCREMENT can pass INT64_MAX; 0: a signed
   * id (SQLite rowids may be negative). The caller zeroes it, so a plugin
   * built against an older header leaves it 0. */
  uint32_t last_insert_id_unsigned;
  uint32_t reserved_1_1_b;  /* 1.1: padding */
} dbr_exec_info;

/* capability: connection basics (every driver).  Threading: per the level. */
typedef struct dbr_conn_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0: open a connection. url borrowed. */
  int32_t (*connect)(dbr_plugin* plugin, const dbr_url* url, dbr_conn** out, dbr_error* err);
  /* 1.0: close and free; never fails; conn is invalid afterwards. */
  void (*close)(dbr_conn* conn);
  /* 1.0: cheap liveness check (round trip). */
  int32_t (*ping)(dbr_conn* conn, dbr_error* err);
  /* 1.0, optional (capability "cancel"): cancel the running call. With
   * DBR_PF_CANCEL_ANY_THREAD it may run on any thread, concurrently with a
   * blocking call on conn; the cancelled call fails with DBR_E_CANCELLED. */
  int32_t (*cancel)(dbr_conn* conn, dbr_error* err);
  /* 1.0, optional: set a connection option at run time, e.g.
   * "statement_timeout_ms" (DBR_TYPE_INT64). Unknown keys: DBR_E_INVALID_ARGUMENT. */
  int32_t (*set_option)(dbr_conn* conn, const char* key, const dbr_value* value, dbr_error* err);
  /* 1.0, optional: read connection facts ("server_version", "database",
   * "backend_pid"); *out borrowed until the next call on conn. */
  int32_t (*get_info)(dbr_conn* conn, const char* key, dbr_value* out, dbr_error* err);
  /* 1.1, optional (NULL: the driver cannot reset; a pool then closes a
   * connection whose session may have changed instead of reusing it). Only
   * called when the negotiated minor is >= 1 and struct_size covers the slot
   * (a 1.0 plugin's table ends before it; the core's zero-extended copy reads
   * NULL). Returns the session to the state connect(url) left it in, so the
   * next user cannot see what the previous one did: session settings back to
   * the URL's, temporary tables and session-level locks gone, listened
   * channels and open cursors dropped, user variables cleared, the URL's
   * database selected and its login, client name and options re-applied.
   * Never called inside a transaction (the core rolls back first) nor while a
   * result is open on conn.
   * *out_flags (set to 0 by the core) gets DBR_RESET_* bits. With
   * DBR_RESET_STATEMENTS_DROPPED every dbr_stmt of conn lost its server side:
   * the core finalizes the ones it cached (finalize must still work on them)
   * and the plugin fails any other with an error rather than crash.
   * DBR_OK when reset; on failure the core closes the connection. */
  int32_t (*reset_session)(dbr_conn* conn, uint32_t* out_flags, dbr_error* err);
} dbr_conn_vtable;

/* Out flags of dbr_conn_vtable.reset_session (since 1.1). */
#define DBR_RESET_STATEMENTS_DROPPED 0x1u

/* A cursor streams rows.  Borrowed cells/columns stay valid until the next
 * call on the cursor or its statement. */
typedef struct dbr_cursor_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0: column count and descriptions (array of *ncols, borrowed). */
  int32_t (*describe)(dbr_cursor* cur, uint32_t* ncols, const dbr_column** cols, dbr_error* err);
  /* 1.0: up to max_rows rows into *out (the plugin may return fewer, and at
   * least one unless done). Returns DBR_OK with rows, or DBR_DONE with none. */
  int32_t (*fetch)(dbr_cursor* cur, uint32_t max_rows, dbr_rows* out, dbr_error* err);
  /* 1.0, optional: advance to the next result set (stored procedures).
   * DBR_OK when there is one (describe again), DBR_DONE when none. */
  int32_t (*next_result)(dbr_cursor* cur, dbr_error* err);
  /* 1.0: finish early or after DBR_DONE.  A cursor from stmt execute goes back
   * to its statement (which stays prepared); a standalone cursor is freed. */
  void (*close)(dbr_cursor* cur);
} dbr_cursor_vtable;

/* capability "sql". */
#define DBR_PREPARE_PERSISTENT 0x1u /* will be reused many times */
typedef struct dbr_sql_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0: compile one statement.  sql borrowed; placeholders: the driver's
   * native style and $1..$n. */
  int32_t (*prepare)(dbr_conn* conn, const char* sql, uint64_t sql_len, uint32_t flags,
                     dbr_stmt** out, dbr_error* err);
  /* 1.0: number of parameters the statement expects. */
  uint32_t (*param_count)(dbr_stmt* stmt);
  /* 1.0, optional: 1-based index of a named parameter (":name"), 0 if none. */
  uint32_t (*param_index)(dbr_stmt* stmt, const char* name);
  /* 1.0: bind params (borrowed for the call) and run. When the statement
   * yields rows, *cursor is set (owned by the statement, valid until the next
   * execute/finalize on stmt, released by cursor close) and info->has_rows = 1;
   * rows then stream through dbr_driver_vtable.cursor. */
  int32_t (*execute)(dbr_stmt* stmt, const dbr_value* params, uint32_t nparams,
                     dbr_exec_info* info, dbr_cursor** cursor, dbr_error* err);
  /* 1.0: free the statement (closing its cursor). */
  void (*finalize)(dbr_stmt* stmt);
  /* 1.0, optional: run SQL text that may hold several statements, no params,
   * results discarded (scripts, ATTACH, PRAGMA). */
  int32_t (*execute_script)(dbr_conn* conn, const char* sql, uint64_t sql_len, dbr_error* err);
  /* 1.4, optional (NULL: the core runs execute once per row; only called
   * when the negotiated minor is >= 4 and struct_size covers the slot): run
   * the statement once for each of nrows rows of nparams values, by the
   * fastest path the driver has (MariaDB array binding, a PostgreSQL
   * pipeline), as if execute ran per row in order. params: nrows * nparams
   * values, row-major, borrowed for the call; every row has nparams ==
   * param_count(stmt) values. Rows the statement yields are discarded.
   * info (set up by the caller as for execute): affected_rows is the total
   * over the rows (-1 when the driver cannot tell), session_changed as for
   * execute; has_rows stays 0 and last_insert_id is not filled.
   * The driver never ends the caller's transaction; it may run the rows
   * in a savepoint, or outside a transaction in one of its own, that it
   * ends before returning. On failure the rows before the failing one may
   * have been applied, never twice; a caller wanting all or nothing wraps
   * the call in a transaction or savepoint. On failure *failed_row (set to
   * UINT64_MAX by the caller) is the 0-based row the error belongs to when
   * the driver knows it, err describes that row's error (the core names
   * the row in the message). */
  int32_t (*execute_batch)(dbr_stmt* stmt, const dbr_value* params, uint32_t nparams, uint64_t nrows,
                           dbr_exec_info* info, uint64_t* failed_row, dbr_error* err);
} dbr_sql_vtable;

/* capability "transactions". */
#define DBR_ISOLATION_DEFAULT 0
#define DBR_ISOLATION_READ_UNCOMMITTED 1
#define DBR_ISOLATION_READ_COMMITTED 2
#define DBR_ISOLATION_REPEATABLE_READ 3
#define DBR_ISOLATION_SERIALIZABLE 4
typedef struct dbr_txn_options {
  uint32_t struct_size; /* 1.0 */
  uint32_t isolation;   /* 1.0: DBR_ISOLATION_* */
  uint32_t read_only;   /* 1.0: 0/1 */
  uint32_t deferrable;  /* 1.0: 0/1 (PostgreSQL) */
} dbr_txn_options;
typedef struct dbr_txn_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  int32_t (*begin)(dbr_conn* conn, const dbr_txn_options* opts, dbr_error* err); /* 1.0 */
  int32_t (*commit)(dbr_conn* conn, dbr_error* err);                            /* 1.0 */
  int32_t (*rollback)(dbr_conn* conn, dbr_error* err);                          /* 1.0 */
  /* 1.0, optional (NULL: savepoints unsupported). name is a plain identifier
   * made by the core ([a-z0-9_]). */
  int32_t (*savepoint)(dbr_conn* conn, const char* name, dbr_error* err);
  int32_t (*release_savepoint)(dbr_conn* conn, const char* name, dbr_error* err);     /* 1.0 */
  int32_t (*rollback_to_savepoint)(dbr_conn* conn, const char* name, dbr_error* err); /* 1.0 */
  /* 1.0: 1 inside a transaction, 0 outside, negative on error. */
  int32_t (*in_transaction)(dbr_conn* conn);
} dbr_txn_vtable;

/* capability "command": argv in, reply tree out (Redis and alike). */
#define DBR_REPLY_NIL 0
#define DBR_REPLY_INTEGER 1
#define DBR_REPLY_STATUS 2
#define DBR_REPLY_ERROR 3
#define DBR_REPLY_STRING 4
#define DBR_REPLY_ARRAY 5
#define DBR_REPLY_DOUBLE 6
#define DBR_REPLY_BOOL 7
#define DBR_REPLY_MAP 8    /* elements: key, value, key, value... */
#define DBR_REPLY_SET 9
#define DBR_REPLY_PUSH 10
#define DBR_REPLY_VERBATIM 11
#define DBR_REPLY_BIGNUM 12
struct dbr_reply {
  uint32_t struct_size;  /* 1.0 */
  uint32_t type;         /* 1.0: DBR_REPLY_* */
  int64_t integer;       /* 1.0: INTEGER, BOOL */
  double dval;           /* 1.0: DOUBLE */
  const char* str;       /* 1.0: STATUS, ERROR, STRING, VERBATIM, BIGNUM: binary-safe */
  uint64_t len;          /* 1.0 */
  uint64_t elements;     /* 1.0: ARRAY, MAP, SET, PUSH */
  const dbr_reply* const* element; /* 1.0 */
  /* 1.1, out, meaningful on the reply execute returned (not on elements):
   * 1 when the command may have changed connection state that would reach the
   * next user (selected database, client name, authentication, protocol,
   * watched keys, tracking...), as dbr_exec_info.session_changed. The core
   * reads it only with a negotiated minor >= 1 and only when struct_size
   * covers it. */
  uint32_t session_changed;
  uint32_t reserved_1_1; /* 1.1: padding */
};
typedef struct dbr_command_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0: run one command; argv/argv_len borrowed (binary-safe). *reply is
   * borrowed until the next call on conn.  A server error reply is returned
   * as DBR_OK with a DBR_REPLY_ERROR reply; the core raises it. */
  int32_t (*execute)(dbr_conn* conn, uint32_t argc, const char* const* argv,
                     const uint64_t* argv_len, const dbr_reply** reply, dbr_error* err);
} dbr_command_vtable;

/* capability "notify": LISTEN/NOTIFY, SUBSCRIBE. */
#define DBR_LISTEN_PATTERN 0x1u
typedef struct dbr_notification {
  uint32_t struct_size;  /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  const char* channel; uint64_t channel_len; /* 1.0 */
  const char* payload; uint64_t payload_len; /* 1.0 */
  const char* pattern; uint64_t pattern_len; /* 1.0: matching pattern, NULL if none */
  int64_t sender_pid;    /* 1.0: 0 when unknown */
} dbr_notification;
typedef struct dbr_notify_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0: flags DBR_LISTEN_*; channel borrowed */
  int32_t (*listen)(dbr_conn* conn, const char* channel, uint64_t len, uint32_t flags, dbr_error* err);
  int32_t (*unlisten)(dbr_conn* conn, const char* channel, uint64_t len, uint32_t flags, dbr_error* err);
  int32_t (*notify)(dbr_conn* conn, const char* channel, uint64_t channel_len,
                    const char* payload, uint64_t payload_len, dbr_error* err);
  /* 1.0: wait up to timeout_ms (-1 forever) for one notification. DBR_OK with
   * *out filled (borrowed until the next call on conn), or DBR_EMPTY. */
  int32_t (*wait)(dbr_conn* conn, int64_t timeout_ms, dbr_notification* out, dbr_error* err);
} dbr_notify_vtable;

/* capability "bulk": COPY-style ingest and export. */
typedef struct dbr_bulk_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0: start loading table(columns). Names borrowed. */
  int32_t (*copy_in_begin)(dbr_conn* conn, const char* table, const char* const* columns,
                           uint32_t ncols, const dbr_param* options, uint32_t noptions,
                           dbr_bulk** out, dbr_error* err);
  /* 1.0: nrows rows of ncols typed cells, row-major, borrowed. */
  int32_t (*copy_in_rows)(dbr_bulk* bulk, const dbr_value* cells, uint64_t nrows, dbr_error* err);
  /* 1.0: finish; *rows = rows stored. Frees bulk whatever the result. */
  int32_t (*copy_in_end)(dbr_bulk* bulk, int64_t* rows, dbr_error* err);
  /* 1.0: abandon; nothing is stored. Frees bulk. */
  void (*copy_in_abort)(dbr_bulk* bulk);
  /* 1.0: export the result of sql (e.g. COPY ... TO STDOUT) as text chunks. */
  int32_t (*copy_out_begin)(dbr_conn* conn, const char* sql, uint64_t sql_len, dbr_bulk** out,
                            dbr_error* err);
  /* 1.0: next chunk (borrowed until the next call); DBR_DONE at the end. */
  int32_t (*copy_out_next)(dbr_bulk* bulk, const char** data, uint64_t* len, dbr_error* err);
  /* 1.0: frees bulk. */
  void (*copy_out_end)(dbr_bulk* bulk);
} dbr_bulk_vtable;

/* capability "batch": pipelining (the contract core/include/dbridge/batch.hpp
 * and every driver follow).
 *   - Order: begin, then add_sql / add_command to queue (no I/O needed), send
 *     (everything queued, in one write), then next once per item until
 *     DBR_DONE, then end.  Items queued after a send go with the next send.
 *     While a batch is open the core makes no other call on conn.
 *   - Results come back one per item, in the order queued, item->index
 *     counting from 0.  A failing item does not stop the others: next returns
 *     DBR_OK with item->status < 0 and item_err filled (a Redis error reply
 *     too); next itself returns < 0 only when the batch as a whole failed
 *     (connection lost, replies out of step), with err filled as for any
 *     call (conn_broken set when conn is unusable).
 *   - Outside a transaction each item stands alone, as if run by itself
 *     (PostgreSQL: one implicit transaction per statement, so items around a
 *     failure commit).  All-or-nothing needs an explicit transaction around
 *     the batch: PostgreSQL then refuses every item after a failure (25P02)
 *     and the rollback discards them all.
 *   - A sql item with rows sets has_rows and rows: a cursor read through
 *     dbr_driver_vtable.cursor, borrowed until the next call on conn.  The
 *     core reads it to the end before calling next again and never closes it:
 *     it stays the driver's.  reply (command items) is borrowed the same way.
 *   - A driver refuses, at add time, what cannot be pipelined (PostgreSQL:
 *     COPY FROM STDIN / TO STDOUT) with DBR_E_INVALID_ARGUMENT, nothing
 *     sent, rather than risk the connection.
 *   - end discards unread results and leaves conn idle and usable (or, when
 *     that fails, reports it broken: never half-read). */
typedef struct dbr_batch_item {
  uint32_t struct_size;  /* 1.0 */
  uint32_t index;        /* 1.0: 0-based position in the batch */
  int32_t status;        /* 1.0: DBR_OK or the item's error (details in item_err) */
  uint32_t has_rows;     /* 1.0 */
  int64_t affected_rows; /* 1.0 */
  const dbr_reply* reply; /* 1.0: command items */
  dbr_cursor* rows;      /* 1.0: sql items with rows; borrowed until next */
} dbr_batch_item;
typedef struct dbr_batch_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0: enter batch mode; queue items (params borrowed for the call). */
  int32_t (*begin)(dbr_conn* conn, dbr_error* err);
  int32_t (*add_sql)(dbr_conn* conn, const char* sql, uint64_t sql_len, const dbr_value* params,
                     uint32_t nparams, dbr_error* err);
  int32_t (*add_command)(dbr_conn* conn, uint32_t argc, const char* const* argv,
                         const uint64_t* argv_len, dbr_error* err);
  /* 1.0: send everything queued (one write / round trip). */
  int32_t (*send)(dbr_conn* conn, dbr_error* err);
  /* 1.0: next result in order: DBR_OK with *item (item_err filled when
   * item->status < 0), or DBR_DONE. err is for failures of the batch itself. */
  int32_t (*next)(dbr_conn* conn, dbr_batch_item* item, dbr_error* item_err, dbr_error* err);
  /* 1.0: leave batch mode, discarding unread results. */
  int32_t (*end)(dbr_conn* conn, dbr_error* err);
} dbr_batch_vtable;

/* capability "introspect": each call returns a standalone cursor with the
 * columns named below (in this order; extra columns may follow). Types: names,
 * "type", "default" and "columns" are TEXT ("columns": comma-separated, in key
 * order; "default" NULL when none); sizes, "ordinal", "max_length",
 * "row_estimate" and "keys" INT64 (NULL when unknown); "nullable", "unique",
 * "primary" and "primary_key" BOOL. */
#define DBR_META_DATABASES 1   /* name, size_bytes */
#define DBR_META_SCHEMAS 2     /* name */
#define DBR_META_TABLES 3      /* schema, name, type ("table"/"view"), size_bytes, row_estimate */
#define DBR_META_COLUMNS 4     /* schema, table, name, ordinal, type, nullable, default, max_length, primary_key */
#define DBR_META_INDEXES 5     /* schema, table, name, columns, unique, primary */
#define DBR_META_FOREIGN_KEYS 6 /* schema, table, name, columns, ref_schema, ref_table, ref_columns */
#define DBR_META_PRIMARY_KEYS 7 /* schema, table, name, columns */
#define DBR_META_KEYSPACE 8    /* name, keys (key/value stores) */
typedef struct dbr_introspect_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0: schema/table filters borrowed, NULL = all. The cursor is freed by
   * the cursor vtable's close (dbr_driver_vtable.cursor). */
  int32_t (*list)(dbr_conn* conn, uint32_t what, const char* schema, const char* table,
                  dbr_cursor** out, dbr_error* err);
} dbr_introspect_vtable;

/* capability "functions": host callables as SQL functions. */
#define DBR_FN_DETERMINISTIC 0x1u
typedef struct dbr_functions_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0: register a scalar function; nargs -1 = variadic. The plugin calls
   * destroy(user) exactly once when the function is replaced or the
   * connection closes (also when registration fails). */
  int32_t (*create_scalar)(dbr_conn* conn, const char* name, int32_t nargs, uint32_t flags,
                           dbr_function_cb fn, void* user, dbr_destroy_cb destroy, dbr_error* err);
} dbr_functions_vtable;

/* The vtable of a driver plugin (desc.kind == DBR_KIND_DRIVER). */
typedef struct dbr_driver_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0: make the plugin instance; options borrowed. Called once per load. */
  int32_t (*init)(const dbr_host* host, const dbr_param* options, uint32_t noptions,
                  dbr_plugin** out, dbr_error* err);
  /* 1.0: release the instance after every connection is closed. */
  void (*shutdown)(dbr_plugin* plugin);
  /* 1.0, optional: vendor extension tables by reverse-DNS name, or NULL. */
  const void* (*get_extension)(dbr_plugin* plugin, const char* name);
  const dbr_conn_vtable* conn;              /* 1.0: required */
  const dbr_sql_vtable* sql;                /* 1.0: NULL = no "sql" */
  const dbr_txn_vtable* txn;                /* 1.0 */
  const dbr_command_vtable* command;        /* 1.0 */
  const dbr_notify_vtable* notify;          /* 1.0 */
  const dbr_bulk_vtable* bulk;              /* 1.0 */
  const dbr_batch_vtable* batch;            /* 1.0 */
  const dbr_introspect_vtable* introspect;  /* 1.0 */
  const dbr_functions_vtable* functions;    /* 1.0 */
  const dbr_cursor_vtable* cursor;          /* 1.0: every cursor (sql, introspect, batch) */
} dbr_driver_vtable;

/* ------------------------------------------------- pool strategies */
/* What a strategy sees of one idle connection. */
typedef struct dbr_pool_candidate {
  uint32_t struct_size;  /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  uint64_t conn_id;      /* 1.0: registry id */
  int64_t created_ns;    /* 1.0: steady clock */
  int64_t last_used_ns;  /* 1.0: steady clock, when it last went back idle */
  uint64_t use_count;    /* 1.0 */
} dbr_pool_candidate;
typedef struct dbr_pool_stats {
  uint32_t struct_size;  /* 1.0 */
  uint32_t total;        /* 1.0 */
  uint32_t idle;         /* 1.0 */
  uint32_t in_use;       /* 1.0 */
  uint32_t waiting;      /* 1.0 */
  uint32_t min;          /* 1.0 */
  uint32_t max;          /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  int64_t now_ns;        /* 1.0 */
  int64_t idle_timeout_ns; /* 1.0: 0 = none */
} dbr_pool_stats;
/* Threading: a strategy should be DBR_THREADING_FREE; the core serialises
 * calls on one dbr_pool_strategy (it holds the pool lock) but different
 * instances may run concurrently. */
typedef struct dbr_pool_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0: as dbr_driver_vtable's init, shutdown and get_extension. */
  int32_t (*init)(const dbr_host* host, const dbr_param* options, uint32_t noptions,
                  dbr_plugin** out, dbr_error* err);
  void (*shutdown)(dbr_plugin* plugin);
  const void* (*get_extension)(dbr_plugin* plugin, const char* name);
  /* 1.0: one state per pool. */
  int32_t (*create)(dbr_plugin* plugin, const dbr_param* options, uint32_t noptions,
                    dbr_pool_strategy** out, dbr_error* err);
  void (*destroy)(dbr_pool_strategy* s); /* 1.0 */
  /* 1.0: pick one of n (>= 1) idle candidates; returns its index. */
  uint32_t (*choose)(dbr_pool_strategy* s, const dbr_pool_candidate* idle, uint32_t n,
                     const dbr_pool_stats* stats);
  /* 1.0: 1 = open a new connection for a caller rather than wait. Only asked
   * when total < max. */
  int32_t (*should_grow)(dbr_pool_strategy* s, const dbr_pool_stats* stats);
  /* 1.0: 1 = close this idle connection now (total > min is guaranteed). */
  int32_t (*should_evict)(dbr_pool_strategy* s, const dbr_pool_candidate* c,
                          const dbr_pool_stats* stats);
  /* 1.2: asked once, right after create: DBR_POOL_CHOICE_* when choose()
   * always gives the same answer (a pure policy), so the core applies it
   * itself instead of calling choose() on every acquire; should_grow and
   * should_evict are still called. NULL or DBR_POOL_CHOICE_CALL: choose() is
   * called. */
  uint32_t (*fixed_choice)(dbr_pool_strategy* s);
} dbr_pool_vtable;
#define DBR_POOL_CHOICE_CALL 0   /* 1.2: call choose() */
#define DBR_POOL_CHOICE_NEWEST 1 /* 1.2: always the last candidate (returned last: LIFO) */
#define DBR_POOL_CHOICE_OLDEST 2 /* 1.2: always the first candidate (returned first: FIFO) */

/* ------------------------------------------------------ graph mappers */
/* A connection the host lends a mapper for one call. Every function runs on
 * the calling thread; results are borrowed until the next call on it. */
typedef int32_t (*dbr_row_cb)(void* user, uint32_t ncols, const dbr_column* cols,
                              const dbr_value* row, dbr_error* err);
/* One step of a mapper's schema, for dbr_lent_conn.migrate (1.3). */
typedef struct dbr_migration_step {
  uint32_t struct_size; /* 1.3 */
  uint32_t reserved;    /* 1.3: padding */
  int64_t version;      /* 1.3: > 0, unique in the set; steps apply in increasing order */
  const char* name;     /* 1.3: NUL-terminated, 1..255 bytes, e.g. "graph_tables" */
  /* 1.3: the statements for the lent connection's dialect (no parameters);
   * the step's checksum is their SHA-256 */
  const char* sql;
  uint64_t sql_len; /* 1.3 */
} dbr_migration_step;

typedef struct dbr_lent_conn {
  uint32_t struct_size;   /* 1.0 */
  uint32_t capabilities;  /* 1.0: DBR_CAP_* of the lent connection's driver */
  void* ctx;              /* 1.0 */
  const char* scheme;     /* 1.0 */
  /* 1.0: run sql; row_cb called once per row (may be NULL). */
  int32_t (*query)(void* ctx, const char* sql, uint64_t sql_len, const dbr_value* params,
                   uint32_t nparams, dbr_row_cb row_cb, void* user, int64_t* affected_rows,
                   dbr_error* err);
  /* 1.0: run a command (capability "command"); *reply borrowed until the
   * next call. */
  int32_t (*command)(void* ctx, uint32_t argc, const char* const* argv, const uint64_t* argv_len,
                     const dbr_reply** reply, dbr_error* err);
  /* 1.0: transactions on the lent connection. */
  int32_t (*begin)(void* ctx, dbr_error* err);
  int32_t (*commit)(void* ctx, dbr_error* err);
  int32_t (*rollback)(void* ctx, dbr_error* err);
  /* 1.2, NULL when the core's minor is older: insert nrows rows of ncols
   * cells (row-major, borrowed) into table(columns) by the fastest path the
   * driver has (PostgreSQL COPY, MariaDB array binding, a one-row prepared
   * INSERT run as a batch on the others), inside the open transaction if
   * there is one. *rows = rows
   * stored. A failure leaves the open transaction to be rolled back. */
  int32_t (*insert_rows)(void* ctx, const char* table, const char* const* columns, uint32_t ncols,
                         const dbr_value* cells, uint64_t nrows, int64_t* rows, dbr_error* err);
  /* 1.3, NULL when the core's or the mapper's negotiated minor is older:
   * apply the steps not yet recorded in the record table `table` (letters,
   * digits and '_', at most 63; one per mapper, e.g.
   * "dbridge_graph_sql_migrations", so its versions never meet the
   * application's), in version order, each once per database, as the core's
   * migrate does: migrators serialised by a database lock, each step
   * recorded with its checksum, an applied step whose SQL changed an error
   * naming it. steps is an array of nsteps elements step_size bytes apart
   * (the mapper's sizeof(dbr_migration_step)). Not inside the mapper's open
   * transaction. *applied (may be NULL) = steps this call ran. */
  int32_t (*migrate)(void* ctx, const char* table, const dbr_migration_step* steps, uint32_t step_size,
                     uint32_t nsteps, uint32_t* applied, dbr_error* err);
} dbr_lent_conn;

/* The graph model: nodes and edges with labels and properties. */
typedef struct dbr_graph_node {
  uint32_t struct_size;      /* 1.0 */
  uint32_t nlabels;          /* 1.0 */
  const char* id;            /* 1.0: NUL-terminated, unique in the graph */
  const char* const* labels; /* 1.0 */
  const dbr_param* props;    /* 1.0 */
  uint64_t nprops;           /* 1.0 */
  /* 1.2: the node's value as JSON text (NULL: no value, read as JSON null) */
  const char* value;
  uint64_t value_len;        /* 1.2 */
} dbr_graph_node;
typedef struct dbr_graph_edge {
  uint32_t struct_size;   /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  const char* id;         /* 1.0: may be NULL */
  const char* from;       /* 1.0: node id */
  const char* to;         /* 1.0: node id */
  const char* type;       /* 1.0 */
  const dbr_param* props; /* 1.0 */
  uint64_t nprops;        /* 1.0 */
  double weight;          /* 1.2: valid when has_weight */
  uint32_t has_weight;    /* 1.2 */
  uint32_t reserved_1_2;  /* 1.2: padding */
  /* 1.2: the edge's properties as one JSON text (NULL: none) */
  const char* properties;
  uint64_t properties_len; /* 1.2 */
} dbr_graph_edge;
/* nodes and edges are arrays laid out at the element sizes of the minor the
 * mapper negotiated (its own header's sizeof): a mapper may step through them
 * with plain indexing, and each element's struct_size says the same size. */
typedef struct dbr_graph {
  uint32_t struct_size;   /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  const char* name;       /* 1.0 */
  const dbr_graph_node* nodes; uint64_t nnodes; /* 1.0 */
  const dbr_graph_edge* edges; uint64_t nedges; /* 1.0 */
  uint32_t directed;      /* 1.2: 1 directed, 0 undirected (an edge reads both ways) */
  uint32_t reserved_1_2;  /* 1.2: padding */
} dbr_graph;
/* What a stored graph holds (1.2). */
typedef struct dbr_graph_stats {
  uint32_t struct_size; /* 1.2 */
  uint32_t directed;    /* 1.2 */
  uint64_t nnodes;      /* 1.2 */
  uint64_t nedges;      /* 1.2 */
} dbr_graph_stats;
/* A walk from one node (1.2): edges followed out of (from -> to), into, or
 * both ways; an undirected graph always walks both ways. */
#define DBR_WALK_OUT 1  /* 1.2 */
#define DBR_WALK_IN 2   /* 1.2 */
#define DBR_WALK_BOTH 3 /* 1.2 */
typedef struct dbr_graph_walk {
  uint32_t struct_size;  /* 1.2 */
  uint32_t direction;    /* 1.2: DBR_WALK_* */
  uint32_t depth;        /* 1.2: longest walk, >= 1 */
  uint32_t reserved;     /* 1.2: padding */
  const char* edge_type; /* 1.2: follow only edges of this type; NULL = any */
} dbr_graph_walk;
/* One node a walk reached, at the length of its shortest walk (1.2). */
typedef int32_t (*dbr_graph_reach_cb)(void* user, const dbr_graph_node* node, uint32_t depth,
                                      dbr_error* err);
/* One stored graph (1.2). */
typedef int32_t (*dbr_graph_name_cb)(void* user, const char* name, const dbr_graph_stats* stats,
                                     dbr_error* err);
/* Receives a loaded graph; the host copies what it is given. */
typedef struct dbr_graph_sink {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  void* ctx;            /* 1.0 */
  /* 1.0: one node / edge each call; borrowed for the call. */
  int32_t (*node)(void* ctx, const dbr_graph_node* node, dbr_error* err);
  int32_t (*edge)(void* ctx, const dbr_graph_edge* edge, dbr_error* err);
  /* 1.2, may be NULL: called once before the first node with what the
   * stored graph holds (directed, counts). */
  int32_t (*info)(void* ctx, const dbr_graph_stats* stats, dbr_error* err);
} dbr_graph_sink;
typedef struct dbr_mapper_vtable {
  uint32_t struct_size; /* 1.0 */
  uint32_t reserved; /* 1.0: padding */
  /* 1.0: as dbr_driver_vtable's init, shutdown and get_extension. */
  int32_t (*init)(const dbr_host* host, const dbr_param* options, uint32_t noptions,
                  dbr_plugin** out, dbr_error* err);
  void (*shutdown)(dbr_plugin* plugin);
  const void* (*get_extension)(dbr_plugin* plugin, const char* name);
  /* 1.0: the schemes this mapper can work over (NULL-terminated, static). */
  const char* const* (*schemes)(dbr_plugin* plugin);
  /* 1.0: create tables/keys the mapper needs (idempotent). */
  int32_t (*prepare)(dbr_plugin* plugin, const dbr_lent_conn* conn, dbr_error* err);
  /* 1.0: store (replace) a graph under graph->name. */
  int32_t (*store)(dbr_plugin* plugin, const dbr_lent_conn* conn, const dbr_graph* graph,
                   dbr_error* err);
  /* 1.0: load the graph called name into sink. */
  int32_t (*load)(dbr_plugin* plugin, const dbr_lent_conn* conn, const char* name,
                  const dbr_graph_sink* sink, dbr_error* err);
  /* 1.0, optional: nodes matching label and property filters into sink. */
  int32_t (*query)(dbr_plugin* plugin, const dbr_lent_conn* conn, const char* name,
                   const char* label, const dbr_param* filters, uint32_t nfilters,
                   const dbr_graph_sink* sink, dbr_error* err);
  /* 1.0: delete the graph called name. */
  int32_t (*remove)(dbr_plugin* plugin, const dbr_lent_conn* conn, const char* name,
                    dbr_error* err);
  /* 1.2 (the core calls these only with a negotiated minor >= 2): load and
   * remove fail with DBR_E_NOT_FOUND for a graph never stored; store writes
   * graph->directed and is atomic (a reader sees the old or the new graph,
   * a failure leaves the old one). NULL slots are "unsupported".
   * merge: upsert graph's nodes (by id) and edges (by from, to, type) into
   * the graph called graph->name, creating it when missing. An edge may name
   * a node that graph->nodes lacks (edges merged alone, in chunks): that
   * node is stored already, and stays as it is. */
  int32_t (*merge)(dbr_plugin* plugin, const dbr_lent_conn* conn, const dbr_graph* graph,
                   dbr_error* err);
  /* 1.2: every node other than node itself reached from it by 1..walk->depth
   * edges, once each, with the length of its shortest walk. */
  int32_t (*neighbors)(dbr_plugin* plugin, const dbr_lent_conn* conn, const char* name,
                       const char* node, const dbr_graph_walk* walk, dbr_graph_reach_cb cb,
                       void* user, dbr_error* err);
  /* 1.2: every stored graph, by name. */
  int32_t (*list)(dbr_plugin* plugin, const dbr_lent_conn* conn, dbr_graph_name_cb cb, void* user,
                  dbr_error* err);
  /* 1.2: what the graph called name holds; DBR_E_NOT_FOUND when missing. */
  int32_t (*stats)(dbr_plugin* plugin, const dbr_lent_conn* conn, const char* name,
                   dbr_graph_stats* out, dbr_error* err);
} dbr_mapper_vtable;

#ifdef __cplusplus
}
#endif
#endif /* DBRIDGE_ABI_H */
