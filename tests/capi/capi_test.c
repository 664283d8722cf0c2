/* SPDX-License-Identifier: Apache-2.0
 * The C client API (dbridge.h) used from C, as an FFI user would: every
 * function group against SQLite and the real PostgreSQL, MariaDB and Redis
 * servers, the error paths, NULL arguments and use after close.
 * Usage: capi_tests basics|sqlite|postgres|mysql|redis
 * A server group whose DBRIDGE_TEST_*_URL is unset exits 77 (skipped), or
 * fails under CI=true. */
#include <dbridge/dbridge.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures;
static dbridge_error* err;

#define CHECK(cond) check((cond) ? 1 : 0, #cond, __FILE__, __LINE__)
/* A call that must return `want`; err is reported and freed. */
/* The previous call's error is freed first, so its fields stay readable
 * until the next EXPECT. */
#define EXPECT(want, call) (clear_error(), expect((want), (call), #call, __FILE__, __LINE__))
#define OK(call) EXPECT(DBRIDGE_OK, call)
#define S(lit) lit, (uint64_t)(sizeof(lit) - 1)

static void check(int ok, const char* what, const char* file, int line) {
  if (!ok) {
    fprintf(stderr, "%s:%d: CHECK failed: %s\n", file, line, what);
    ++failures;
  }
}

/* Frees the error of the last call (after its fields were checked). */
static void clear_error(void) {
  dbridge_error_free(err);
  err = NULL;
}

static int32_t expect(int32_t want, int32_t got, const char* what, const char* file, int line) {
  if (got != want) {
    fprintf(stderr, "%s:%d: %s returned %d, expected %d: %s\n", file, line, what, (int)got, (int)want,
            dbridge_error_message(err, NULL));
    ++failures;
  } else if (got < 0 && err == NULL && strstr(what, "&err") != NULL) {
    fprintf(stderr, "%s:%d: %s failed without an error object\n", file, line, what);
    ++failures;
  }
  return got;
}


static int text_is(const char* p, uint64_t n, const char* want) {
  return p != NULL && n == strlen(want) && memcmp(p, want, n) == 0;
}

static const char* server_url(const char* var) {
  const char* v = getenv(var);
  if (v != NULL && *v != '\0') return v;
  fprintf(stderr, "%s is not set: run `source scripts/servers && servers_start`\n", var);
  if (getenv("CI") != NULL && strcmp(getenv("CI"), "true") == 0) {
    fprintf(stderr, "CI=true: a missing server fails the run\n");
    exit(1);
  }
  exit(77);
}

static dbridge_conn* connect_to(const char* url) {
  dbridge_conn* c = NULL;
  const char* keys[] = {"opened_by"};
  const char* values[] = {"capi_tests"};
  OK(dbridge_connect(url, strlen(url), keys, values, 1, &c, &err));
  clear_error();
  if (c == NULL) {
    fprintf(stderr, "cannot go on without a connection\n");
    exit(1);
  }
  return c;
}

static void exec(dbridge_conn* c, const char* sql) {
  OK(dbridge_execute(c, sql, strlen(sql), NULL, NULL, &err));
  clear_error();
}

/* The single int64 of a one-row query. */
static int64_t scalar(dbridge_conn* c, const char* sql) {
  dbridge_result* r = NULL;
  int64_t v = -999;
  OK(dbridge_query(c, sql, strlen(sql), NULL, &r, &err));
  clear_error();
  OK(dbridge_result_next(r, &err));
  OK(dbridge_result_get_int64(r, 0, &v, &err));
  EXPECT(DBRIDGE_DONE, dbridge_result_next(r, &err));
  dbridge_result_free(r);
  return v;
}

/* ------------------------------------------------------------- basics */

static void test_version(void) {
  uint32_t major = 0, minor = 99;
  CHECK(strlen(dbridge_version()) >= 5);
  CHECK(dbridge_c_api_version() >= DBRIDGE_C_API_VERSION);
  dbridge_abi_version(&major, &minor);
  CHECK(major == 1);
  CHECK(minor >= 1 && minor < 99);
  dbridge_abi_version(NULL, NULL);
  CHECK(strcmp(dbridge_category_name(DBRIDGE_CAT_TXN_CONFLICT), "txn_conflict") == 0);
  CHECK(strcmp(dbridge_category_name(999), "unknown") == 0);
}

/* Every entry point given NULL answers instead of crashing. */
static void test_null_arguments(void) {
  uint64_t n = 0;
  uint32_t u = 0;
  int32_t i = 0;
  int64_t l = 0;
  double d = 0;
  const char* p = NULL;
  char* owned = NULL;
  dbridge_conn* c = NULL;
  dbridge_result* r = NULL;
  dbridge_stmt* s = NULL;
  dbridge_tx* tx = NULL;
  dbridge_pool* pool = NULL;
  dbridge_reply* reply = NULL;
  dbridge_listener* l2 = NULL;
  dbridge_notification* note = NULL;
  dbridge_value* v = NULL;
  dbridge_params* params = NULL;
  uint8_t uuid[16];

  /* Error accessors on NULL. */
  CHECK(dbridge_error_status(NULL) == DBRIDGE_E_INVALID_ARGUMENT);
  CHECK(dbridge_error_category(NULL) == 0);
  CHECK(strcmp(dbridge_error_sqlstate(NULL), "") == 0);
  CHECK(strcmp(dbridge_error_message(NULL, &n), "") == 0 && n == 0);
  CHECK(strcmp(dbridge_error_field(NULL, DBRIDGE_ERRF_DETAIL, &n), "") == 0);
  CHECK(dbridge_error_native_code(NULL) == 0 && dbridge_error_retry(NULL) == 0);
  CHECK(dbridge_error_connection_broken(NULL) == 0 && dbridge_error_subcategory(NULL) == 0);

  /* Constructors and calls with NULL handles or outputs. */
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_connect(NULL, 0, NULL, NULL, 0, &c, &err));
  CHECK(dbridge_error_category(err) == DBRIDGE_CAT_INVALID_ARGUMENT);
  CHECK(strlen(dbridge_error_message(err, NULL)) > 0);
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_connect(S("sqlite://:memory:"), NULL, NULL, 0, NULL, &err));
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_connect(S("sqlite://:memory:"), NULL, NULL, 2, &c, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_new(NULL, &err));
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_add_int64(NULL, 1, &err));
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_add_text(NULL, S("x"), NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_clear(NULL, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_count(NULL, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_begin_array(NULL, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_end_array(NULL, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_add_uuid(NULL, uuid, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_query(NULL, S("SELECT 1"), NULL, &r, &err));
  CHECK(r == NULL);
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_execute(NULL, S("SELECT 1"), NULL, NULL, &err));
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_execute_script(NULL, S("SELECT 1"), NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_prepare(NULL, S("SELECT 1"), &s, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_stmt_query(NULL, NULL, &r, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_stmt_execute(NULL, NULL, &l, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_stmt_param_count(NULL, &u, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_next(NULL, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_next_result(NULL, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_column_count(NULL, &u, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_column_name(NULL, 0, &p, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_column_type(NULL, 0, &u, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_column_native_type(NULL, 0, &p, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_cell_type(NULL, 0, &u, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_get_int64(NULL, 0, &l, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_get_double(NULL, 0, &d, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_get_bool(NULL, 0, &i, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_get_text(NULL, 0, &p, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_get_uuid(NULL, 0, uuid, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_get_as_text(NULL, 0, &p, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_get_array(NULL, 0, &v, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_fetch_batch(NULL, 10, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_batch_column(NULL, 0, NULL, NULL, NULL, NULL, NULL, NULL, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_batch_array(NULL, 0, 0, &v, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_affected_rows(NULL, &l, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_last_insert_id(NULL, &l, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_begin(NULL, 0, 0, -1, &tx, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_tx_commit(NULL, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_tx_rollback(NULL, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_tx_savepoint(NULL, &tx, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_tx_depth(NULL, &u, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_in_transaction(NULL, &i, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_ping(NULL, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_cancel(NULL, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_id(NULL, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_scheme(NULL, &p, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_plugin_id(NULL, &p, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_redacted_url(NULL, &p, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_has_capability(NULL, S("sql"), &i, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_set_option(NULL, S("x"), NULL, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_last_insert_id(NULL, &l, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_last_insert_id_u64(NULL, (uint64_t*)&l, NULL));
  CHECK(dbridge_conn_is_open(NULL) == 0);
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_pool_open(NULL, 3, NULL, NULL, 0, &pool, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_pool_acquire(NULL, 10, &c, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_pool_acquire_read(NULL, &c, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_pool_metrics_json(NULL, &owned, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_registry_json(NULL, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_plugins_json(NULL, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_command(NULL, 0, NULL, NULL, &reply, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_listener_new(NULL, &l2, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_listener_listen(NULL, S("ch"), NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_listener_listen_pattern(NULL, S("ch*"), NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_listener_unlisten(NULL, S("ch"), NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_listener_unlisten_pattern(NULL, S("ch"), NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_listener_wait(NULL, 10, &note, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_notify(NULL, S("ch"), S("x"), NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_value_get_int64(NULL, &l, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_value_get_double(NULL, &d, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_value_get_text(NULL, &p, &n, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_value_get_fixed(NULL, &l, NULL, NULL, NULL));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_value_to_text(NULL, &owned, &n, NULL));
  CHECK(dbridge_value_type(NULL) == DBRIDGE_TYPE_NULL && dbridge_value_array_size(NULL) == 0);
  CHECK(dbridge_value_array_item(NULL, 0) == NULL);
  CHECK(dbridge_reply_type(NULL) == DBRIDGE_REPLY_NIL && dbridge_reply_integer(NULL) == 0);
  CHECK(dbridge_reply_double(NULL) == 0 && dbridge_reply_size(NULL) == 0 && dbridge_reply_element(NULL, 0) == NULL);
  CHECK(strcmp(dbridge_reply_string(NULL, &n), "") == 0 && n == 0);
  CHECK(strcmp(dbridge_notification_channel(NULL, &n), "") == 0);
  CHECK(strcmp(dbridge_notification_payload(NULL, &n), "") == 0);
  CHECK(dbridge_notification_pattern(NULL, &n) == NULL && dbridge_notification_sender_pid(NULL) == 0);

  /* Destructors accept NULL. */
  dbridge_error_free(NULL);
  dbridge_string_free(NULL);
  dbridge_params_free(NULL);
  dbridge_conn_close(NULL);
  dbridge_conn_free(NULL);
  dbridge_stmt_close(NULL);
  dbridge_stmt_free(NULL);
  dbridge_result_close(NULL);
  dbridge_result_free(NULL);
  dbridge_tx_free(NULL);
  dbridge_pool_close(NULL);
  dbridge_pool_free(NULL);
  dbridge_pool_release(NULL);
  dbridge_pool_discard(NULL);
  dbridge_reply_free(NULL);
  dbridge_listener_close(NULL);
  dbridge_listener_free(NULL);
  dbridge_notification_free(NULL);
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_try_close(NULL, NULL));
  dbridge_value_free(NULL);

  /* A handle of the wrong kind is refused, not misread. */
  OK(dbridge_params_new(&params, &err));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_query((dbridge_conn*)params, S("SELECT 1"), NULL, &r, &err));
  CHECK(strstr(dbridge_error_message(err, NULL), "not a connection") != NULL);
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_next((dbridge_result*)params, NULL));
  dbridge_conn_free((dbridge_conn*)params); /* ignored: not a connection */
  OK(dbridge_params_count(params, &n, &err));
  dbridge_params_free(params);
}

static void test_params(void) {
  dbridge_params* p = NULL;
  uint64_t n = 99;
  uint8_t u[16] = {0};
  OK(dbridge_params_new(&p, &err));
  OK(dbridge_params_add_null(p, &err));
  OK(dbridge_params_add_bool(p, 1, &err));
  OK(dbridge_params_add_int64(p, -5, &err));
  OK(dbridge_params_add_uint64(p, 18446744073709551615u, &err));
  OK(dbridge_params_add_double(p, 1.5, &err));
  OK(dbridge_params_add_text(p, S("héllo"), &err));
  OK(dbridge_params_add_bytes(p, (const uint8_t*)"\0\1", 2, &err));
  OK(dbridge_params_add_bytes(p, NULL, 0, &err));
  OK(dbridge_params_add_decimal(p, S("12.50"), &err));
  OK(dbridge_params_add_json(p, S("{\"a\":1}"), &err));
  OK(dbridge_params_add_date(p, 19000, DBRIDGE_INFINITY_NONE, &err));
  OK(dbridge_params_add_time(p, 3600000000, 1, 7200, &err));
  OK(dbridge_params_add_timestamp(p, 0, DBRIDGE_INFINITY_POS, &err));
  OK(dbridge_params_add_timestamptz(p, 0, 0, DBRIDGE_INFINITY_NONE, &err));
  OK(dbridge_params_add_interval(p, 1, 2, 3, &err));
  OK(dbridge_params_add_uuid(p, u, &err));
  OK(dbridge_params_begin_array(p, &err));
  OK(dbridge_params_add_int64(p, 1, &err));
  OK(dbridge_params_begin_array(p, &err));
  OK(dbridge_params_add_int64(p, 2, &err));
  OK(dbridge_params_end_array(p, &err));
  OK(dbridge_params_end_array(p, &err));
  OK(dbridge_params_count(p, &n, &err));
  CHECK(n == 17);
  /* Errors: NULL text with a length, an end without a begin. */
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_add_text(p, NULL, 3, &err));
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_add_bytes(p, NULL, 3, &err));
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_add_uuid(p, NULL, &err));
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_params_end_array(p, &err));
  CHECK(dbridge_error_category(err) == DBRIDGE_CAT_INVALID_STATE);
  clear_error();
  OK(dbridge_params_clear(p, &err));
  OK(dbridge_params_count(p, &n, &err));
  CHECK(n == 0);
  dbridge_params_free(p);
}

/* A cleared list reuses its slots: each refill (fewer, more, other types)
 * binds exactly the new values. */
static void test_params_reuse(void) {
  static const char sql[] = "SELECT typeof(?1) || ':' || coalesce(?1, '') || '|' || coalesce(?2, '-')";
  dbridge_conn* c = connect_to("sqlite://:memory:");
  dbridge_stmt* s = NULL;
  dbridge_params* p = NULL;
  dbridge_result* r = NULL;
  const char* text = NULL;
  uint64_t len = 0;
  int round;
  OK(dbridge_prepare(c, S(sql), &s, &err));
  OK(dbridge_params_new(&p, &err));
  for (round = 0; round < 4; ++round) {
    static const char* const want[] = {"integer:7|8", "text:abc|-", "integer:9|-", "null:|x"};
    OK(dbridge_params_clear(p, &err));
    if (round == 0) OK(dbridge_params_add_int64(p, 7, &err)), OK(dbridge_params_add_int64(p, 8, &err));
    if (round == 1) OK(dbridge_params_add_text(p, S("abc"), &err)), OK(dbridge_params_add_null(p, &err));
    if (round == 2) OK(dbridge_params_add_int64(p, 9, &err)), OK(dbridge_params_add_null(p, &err));
    if (round == 3) OK(dbridge_params_add_null(p, &err)), OK(dbridge_params_add_text(p, S("x"), &err));
    OK(dbridge_stmt_query(s, p, &r, &err));
    CHECK(dbridge_result_next(r, &err) == DBRIDGE_OK);
    OK(dbridge_result_get_text(r, 0, &text, &len, &err));
    CHECK(text_is(text, len, want[round]));
    dbridge_result_free(r);
  }
  /* Fewer values than the last fill: the count shows only the new ones. */
  OK(dbridge_params_clear(p, &err));
  OK(dbridge_params_add_int64(p, 1, &err));
  OK(dbridge_params_count(p, &len, &err));
  CHECK(len == 1);
  dbridge_params_free(p);
  dbridge_stmt_free(s);
  dbridge_conn_free(c);
}

static void test_catalog_and_registry(void) {
  char* json = NULL;
  uint64_t n = 0;
  dbridge_conn* c = connect_to("sqlite://:memory:");
  OK(dbridge_plugins_json(&json, &n, &err));
  CHECK(json != NULL && n == strlen(json));
  CHECK(json != NULL && strstr(json, "\"id\":\"sqlite\"") != NULL);
  CHECK(json != NULL && strstr(json, "\"search_path\"") != NULL);
  dbridge_string_free(json);
  OK(dbridge_registry_json(&json, &n, &err));
  CHECK(json != NULL && strstr(json, "capi_tests") != NULL);
  dbridge_string_free(json);
  dbridge_conn_free(c);
  /* An unknown scheme names the problem. */
  EXPECT(DBRIDGE_E_NOT_FOUND, dbridge_connect(S("nosuchdb://x"), NULL, NULL, 0, &c, &err));
  CHECK(c == NULL);
  CHECK(strstr(dbridge_error_message(err, NULL), "nosuchdb") != NULL);
  clear_error();
}

/* ------------------------------------------------------ SQL, any driver */

struct flavor {
  const char* name;
  const char* url;
  const char* create;        /* CREATE TABLE capi_t (id <int> PRIMARY KEY, name <text>, score <float>) */
  const char* insert;        /* INSERT ... VALUES (p1, p2, p3) */
  const char* select_by_id;  /* SELECT id, name, score FROM capi_t WHERE id = p1 */
  const char* series;        /* 2500 rows: (int, text, double or NULL) */
  int has_insert_id;
  const char* constraint_sqlstate;
};

static void test_sql(const struct flavor* f) {
  dbridge_conn* c = connect_to(f->url);
  dbridge_params* p = NULL;
  dbridge_result* r = NULL;
  dbridge_stmt* s = NULL;
  dbridge_tx* tx = NULL;
  dbridge_tx* sp = NULL;
  const char* text = NULL;
  uint64_t len = 0, n = 0, total = 0;
  int64_t affected = 0, id = 0, v = 0;
  uint32_t u = 0, type = 0;
  int32_t flag = -1;
  double d = 0;
  int batches = 0;

  OK(dbridge_conn_scheme(c, &text, &len, &err));
  CHECK(len > 0 && text[len] == '\0');
  OK(dbridge_conn_plugin_id(c, &text, &len, &err));
  CHECK(len > 0);
  OK(dbridge_conn_redacted_url(c, &text, &len, &err));
  CHECK(strstr(text, "secret") == NULL || strstr(text, "***") != NULL);
  OK(dbridge_conn_id(c, &n, &err));
  CHECK(n > 0);
  OK(dbridge_conn_has_capability(c, S("sql"), &flag, &err));
  CHECK(flag == 1);
  OK(dbridge_conn_has_capability(c, S("no-such-capability"), &flag, &err));
  CHECK(flag == 0);
  OK(dbridge_conn_ping(c, &err));
  CHECK(dbridge_conn_is_open(c) == 1);

  exec(c, "DROP TABLE IF EXISTS capi_t");
  exec(c, f->create);

  /* execute with parameters, affected rows, insert id. */
  OK(dbridge_params_new(&p, &err));
  OK(dbridge_params_add_int64(p, 1, &err));
  OK(dbridge_params_add_text(p, S("one"), &err));
  OK(dbridge_params_add_double(p, 1.5, &err));
  OK(dbridge_execute(c, f->insert, strlen(f->insert), p, &affected, &err));
  CHECK(affected == 1);
  EXPECT(f->has_insert_id ? DBRIDGE_OK : DBRIDGE_NULL, dbridge_conn_last_insert_id(c, &id, &err));
  if (f->has_insert_id) CHECK(id == 1);

  /* A prepared statement, run several times with fresh parameters. */
  OK(dbridge_prepare(c, f->insert, strlen(f->insert), &s, &err));
  OK(dbridge_stmt_param_count(s, &u, &err));
  CHECK(u == 3);
  for (v = 2; v <= 4; ++v) {
    OK(dbridge_params_clear(p, &err));
    OK(dbridge_params_add_int64(p, v, &err));
    if (v == 3) OK(dbridge_params_add_null(p, &err));
    else OK(dbridge_params_add_text(p, S("many"), &err));
    OK(dbridge_params_add_double(p, (double)v / 2, &err));
    OK(dbridge_stmt_execute(s, p, &affected, &err));
    CHECK(affected == 1);
  }
  dbridge_stmt_free(s);
  CHECK(scalar(c, "SELECT count(*) FROM capi_t") == 4);

  /* Query with typed getters, column metadata. */
  OK(dbridge_params_clear(p, &err));
  OK(dbridge_params_add_int64(p, 3, &err));
  OK(dbridge_query(c, f->select_by_id, strlen(f->select_by_id), p, &r, &err));
  OK(dbridge_result_column_count(r, &u, &err));
  CHECK(u == 3);
  OK(dbridge_result_column_name(r, 1, &text, &len, &err));
  CHECK(text_is(text, len, "name"));
  OK(dbridge_result_column_native_type(r, 1, &text, &len, &err));
  CHECK(len > 0);
  OK(dbridge_result_column_type(r, 0, &type, &err));
  CHECK(type == DBRIDGE_TYPE_INT64);
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_column_name(r, 7, &text, &len, &err));
  clear_error();
  /* No current row yet. */
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_result_get_int64(r, 0, &v, &err));
  clear_error();
  OK(dbridge_result_next(r, &err));
  OK(dbridge_result_get_int64(r, 0, &v, &err));
  CHECK(v == 3);
  EXPECT(DBRIDGE_NULL, dbridge_result_get_text(r, 1, &text, &len, &err));
  CHECK(len == 0);
  OK(dbridge_result_cell_type(r, 1, &type, &err));
  CHECK(type == DBRIDGE_TYPE_NULL);
  OK(dbridge_result_get_double(r, 2, &d, &err));
  CHECK(d == 1.5);
  OK(dbridge_result_get_as_text(r, 0, &text, &len, &err));
  CHECK(text_is(text, len, "3"));
  /* Error paths of getters: bad column, a conversion that cannot work. */
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_get_int64(r, 3, &v, &err));
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_get_int64(r, 0, NULL, &err));
  clear_error();
  EXPECT(DBRIDGE_DONE, dbridge_result_next(r, &err));
  dbridge_result_free(r);

  /* get_int64 of text fails with a data error. */
  OK(dbridge_query(c, S("SELECT name FROM capi_t WHERE id = 1"), NULL, &r, &err));
  OK(dbridge_result_next(r, &err));
  EXPECT(DBRIDGE_E_DATA, dbridge_result_get_int64(r, 0, &v, &err));
  CHECK(dbridge_error_category(err) == DBRIDGE_CAT_DATA);
  clear_error();
  OK(dbridge_result_get_text(r, 0, &text, &len, &err));
  CHECK(text_is(text, len, "one"));
  dbridge_result_free(r);

  /* Transactions and savepoints. */
  OK(dbridge_begin(c, DBRIDGE_ISOLATION_DEFAULT, 0, -1, &tx, &err));
  OK(dbridge_conn_in_transaction(c, &flag, &err));
  CHECK(flag == 1);
  exec(c, "DELETE FROM capi_t WHERE id = 4");
  OK(dbridge_tx_savepoint(tx, &sp, &err));
  OK(dbridge_tx_depth(sp, &u, &err));
  CHECK(u == 1);
  exec(c, "DELETE FROM capi_t WHERE id = 3");
  OK(dbridge_tx_rollback(sp, &err));
  dbridge_tx_free(sp);
  OK(dbridge_tx_commit(tx, &err));
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_tx_commit(tx, &err));
  clear_error();
  dbridge_tx_free(tx);
  CHECK(scalar(c, "SELECT count(*) FROM capi_t") == 3);
  /* A transaction freed without commit rolls back. */
  OK(dbridge_begin(c, DBRIDGE_ISOLATION_DEFAULT, 0, 0, &tx, &err));
  exec(c, "DELETE FROM capi_t");
  dbridge_tx_free(tx);
  CHECK(scalar(c, "SELECT count(*) FROM capi_t") == 3);
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_begin(c, 42, 0, -1, &tx, &err));
  clear_error();

  /* Errors: syntax, constraint with its SQLSTATE and subcategory. */
  EXPECT(DBRIDGE_E_SYNTAX, dbridge_execute(c, S("SELEC nonsense"), NULL, NULL, &err));
  CHECK(dbridge_error_status(err) == DBRIDGE_E_SYNTAX);
  CHECK(dbridge_error_retry(err) == DBRIDGE_RETRY_NONE);
  CHECK(strlen(dbridge_error_field(err, DBRIDGE_ERRF_NATIVE_DOMAIN, NULL)) > 0);
  clear_error();
  OK(dbridge_params_clear(p, &err));
  OK(dbridge_params_add_int64(p, 1, &err));
  OK(dbridge_params_add_text(p, S("dup"), &err));
  OK(dbridge_params_add_double(p, 0, &err));
  EXPECT(DBRIDGE_E_CONSTRAINT, dbridge_execute(c, f->insert, strlen(f->insert), p, NULL, &err));
  CHECK(dbridge_error_subcategory(err) == DBRIDGE_SUB_UNIQUE_VIOLATION);
  if (f->constraint_sqlstate != NULL) CHECK(strcmp(dbridge_error_sqlstate(err), f->constraint_sqlstate) == 0);
  CHECK(dbridge_error_native_code(err) != 0 || strlen(dbridge_error_sqlstate(err)) == 5);
  clear_error();
  EXPECT(DBRIDGE_E_NOT_FOUND, dbridge_query(c, S("SELECT * FROM capi_no_such_table"), NULL, &r, &err));
  CHECK(r == NULL);
  clear_error();
  /* An open parameter array cannot be executed. */
  OK(dbridge_params_begin_array(p, &err));
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_execute(c, S("SELECT 1"), p, NULL, &err));
  clear_error();
  dbridge_params_free(p);

  /* Batches: 2500 rows in batches of 1000 (NULL every 7th score). */
  OK(dbridge_query(c, f->series, strlen(f->series), NULL, &r, &err));
  for (;;) {
    const uint8_t *tags = NULL, *data = NULL;
    const void* values = NULL;
    const int64_t* ints = NULL;
    const uint64_t* offsets = NULL;
    uint64_t i;
    int32_t st = dbridge_result_fetch_batch(r, 1000, &n, &err);
    if (st == DBRIDGE_DONE) {
      CHECK(n == 0);
      break;
    }
    if (EXPECT(DBRIDGE_OK, st) != DBRIDGE_OK) break;
    ++batches;
    CHECK(n == (batches < 3 ? 1000u : 500u));
    OK(dbridge_result_batch_column(r, 0, &tags, &values, NULL, NULL, NULL, NULL, &err));
    ints = (const int64_t*)values;
    for (i = 0; i < n; ++i) CHECK(tags[i] == DBRIDGE_TYPE_INT64 && ints[i] == (int64_t)(total + i + 1));
    OK(dbridge_result_batch_column(r, 1, &tags, NULL, NULL, NULL, &offsets, &data, &err));
    CHECK(tags[0] == DBRIDGE_TYPE_TEXT && offsets[0] == 0);
    {
      char want[32];
      sprintf(want, "row%d", (int)(total + 1));
      CHECK(offsets[1] - offsets[0] == strlen(want) && memcmp(data, want, strlen(want)) == 0);
    }
    OK(dbridge_result_batch_column(r, 2, &tags, &values, NULL, NULL, NULL, NULL, &err));
    for (i = 0; i < n; ++i) {
      int64_t row = (int64_t)(total + i + 1);
      if (row % 7 == 0) CHECK(tags[i] == DBRIDGE_TYPE_NULL);
      else {
        double x;
        memcpy(&x, (const char*)values + 8 * i, 8);
        CHECK(tags[i] == DBRIDGE_TYPE_DOUBLE && x == (double)row / 4);
      }
    }
    total += n;
  }
  CHECK(batches == 3 && total == 2500);
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_batch_column(r, 9, NULL, NULL, NULL, NULL, NULL, NULL, &err));
  clear_error();
  dbridge_result_free(r);

  /* execute_script, then use after close: the children refuse. */
  exec(c, "DROP TABLE capi_t");
  OK(dbridge_begin(c, DBRIDGE_ISOLATION_DEFAULT, 0, -1, &tx, &err));
  OK(dbridge_prepare(c, S("SELECT 2"), &s, &err));
  OK(dbridge_query(c, S("SELECT 1"), NULL, &r, &err));
  dbridge_conn_close(c);
  CHECK(dbridge_conn_is_open(c) == 0);
  {
    dbridge_result* refused = NULL;
    EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_query(c, S("SELECT 1"), NULL, &refused, &err));
    CHECK(refused == NULL && strstr(dbridge_error_message(err, NULL), "closed") != NULL);
  }
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_result_next(r, &err));
  clear_error();
  {
    dbridge_result* refused = NULL;
    EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_stmt_query(s, NULL, &refused, &err));
    CHECK(refused == NULL);
  }
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_tx_commit(tx, &err));
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_conn_ping(c, &err));
  clear_error();
  dbridge_conn_close(c); /* idempotent */
  dbridge_result_free(r);
  dbridge_stmt_free(s);
  dbridge_tx_free(tx);
  dbridge_conn_free(c);
}

/* ---------------------------------------------- many rows in one call */

/* Rows (id, name, score) of ids[] into a shaped p, score NULL where nulls[i]. */
static void shape_rows(dbridge_params* p, uint64_t rows, const int64_t* ids, const uint8_t* nulls) {
  static const char names[] = "abbcccddddeeeee";
  static const uint64_t ends[] = {1, 3, 6, 10, 15};
  static const double scores[] = {0.5, 1.5, 2.5, 3.5, 4.5};
  OK(dbridge_params_set_rows(p, rows, 3, &err));
  OK(dbridge_params_column_int64(p, 0, ids, NULL, &err));
  OK(dbridge_params_column_text(p, 1, names, ends, NULL, &err));
  OK(dbridge_params_column_double(p, 2, scores, nulls, &err));
}

static void test_execute_many(const struct flavor* f) {
  dbridge_conn* c = connect_to(f->url);
  dbridge_params* p = NULL;
  dbridge_stmt* s = NULL;
  dbridge_tx* tx = NULL;
  static const int64_t ids[] = {1, 2, 3, 4, 5};
  static const int64_t clash[] = {10, 11, 5, 12}; /* row 2 repeats id 5 */
  static const uint8_t nulls[] = {0, 0, 1, 0, 0};
  static const uint64_t bad_ends[] = {2, 1, 3};
  uint64_t failed = 0;
  int64_t affected = 0;
  int i;

  exec(c, "DROP TABLE IF EXISTS capi_t");
  exec(c, f->create);
  OK(dbridge_prepare(c, f->insert, strlen(f->insert), &s, &err));
  OK(dbridge_params_new(&p, &err));
  shape_rows(p, 5, ids, nulls);
  OK(dbridge_stmt_execute_many(s, p, 3, &affected, &failed, &err));
  CHECK(affected == 5 && failed == UINT64_MAX);
  CHECK(scalar(c, "SELECT count(*) FROM capi_t") == 5);
  CHECK(scalar(c, "SELECT id FROM capi_t WHERE score IS NULL") == 3);
  CHECK(scalar(c, "SELECT length(name) FROM capi_t WHERE id = 5") == 5);

  /* A failing row in its own transaction: it is named, and no row stays. */
  shape_rows(p, 4, clash, NULL);
  EXPECT(DBRIDGE_E_CONSTRAINT, dbridge_stmt_execute_many(s, p, 3, &affected, &failed, &err));
  CHECK(failed == 2);
  CHECK(strncmp(dbridge_error_message(err, NULL), "row 2: ", 7) == 0);
  if (f->constraint_sqlstate != NULL) CHECK(strcmp(dbridge_error_sqlstate(err), f->constraint_sqlstate) == 0);
  clear_error();
  CHECK(scalar(c, "SELECT count(*) FROM capi_t") == 5);

  /* Inside the caller's transaction: only the batch rolls back (a savepoint). */
  OK(dbridge_begin(c, DBRIDGE_ISOLATION_DEFAULT, 0, -1, &tx, &err));
  exec(c, "INSERT INTO capi_t (id, name, score) VALUES (100, 'tx', 1)");
  EXPECT(DBRIDGE_E_CONSTRAINT, dbridge_stmt_execute_many(s, p, 3, &affected, &failed, &err));
  CHECK(failed == 2);
  clear_error();
  CHECK(scalar(c, "SELECT count(*) FROM capi_t") == 6);
  OK(dbridge_tx_commit(tx, &err));
  dbridge_tx_free(tx);
  CHECK(scalar(c, "SELECT count(*) FROM capi_t") == 6);

  /* Filled value by value from empty. */
  OK(dbridge_params_clear(p, &err));
  for (i = 0; i < 3; ++i) {
    OK(dbridge_params_add_int64(p, 200 + i, &err));
    OK(dbridge_params_add_text(p, S("r"), &err));
    OK(dbridge_params_add_null(p, &err));
  }
  OK(dbridge_stmt_execute_many(s, p, 3, &affected, NULL, &err));
  CHECK(affected == 3);
  CHECK(scalar(c, "SELECT count(*) FROM capi_t WHERE name = 'r'") == 3);

  /* Refused shapes and arguments. */
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_stmt_execute_many(s, p, 2, &affected, &failed, &err));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_stmt_execute_many(s, p, 0, &affected, &failed, &err));
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_params_column_int64(p, 0, ids, NULL, &err));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_stmt_execute_many(NULL, p, 3, &affected, &failed, &err));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_set_rows(NULL, 1, 1, &err));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_set_rows(p, 1, 0, &err));
  OK(dbridge_params_set_rows(p, 3, 1, &err));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_column_int64(p, 1, ids, NULL, &err));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_column_int64(p, 0, NULL, NULL, &err));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_column_text(p, 0, "abc", bad_ends, NULL, &err));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_params_column_bytes(p, 0, NULL, bad_ends, NULL, &err));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_stmt_execute_many(s, p, 1, &affected, &failed, &err));
  CHECK(failed == UINT64_MAX);
  OK(dbridge_params_set_rows(p, 0, 3, &err));
  OK(dbridge_stmt_execute_many(s, p, 3, &affected, &failed, &err));
  CHECK(affected == 0);
  dbridge_stmt_close(s);
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_stmt_execute_many(s, p, 3, &affected, &failed, &err));
  clear_error();
  dbridge_stmt_free(s);
  dbridge_params_free(p);
  dbridge_conn_free(c);
}

static void test_sqlite(void) {
  struct flavor f = {
      "sqlite",
      "sqlite://:memory:",
      "CREATE TABLE capi_t (id INTEGER PRIMARY KEY, name TEXT, score REAL)",
      "INSERT INTO capi_t (id, name, score) VALUES (?, ?, ?)",
      "SELECT id, name, score FROM capi_t WHERE id = ?",
      "WITH RECURSIVE s(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM s WHERE i < 2500) "
      "SELECT i, 'row' || i, CASE WHEN i % 7 = 0 THEN NULL ELSE i / 4.0 END FROM s",
      1,
      NULL,
  };
  dbridge_conn* c;
  dbridge_result* r = NULL;
  dbridge_result* r2 = NULL;
  dbridge_params* p = NULL;
  const char* t = NULL;
  uint64_t n = 0;
  int64_t v = 0;
  test_sql(&f);
  test_execute_many(&f);

  /* Connect options: unknown keys are refused, numbers checked. */
  {
    dbridge_conn* bad = NULL;
    const char* k1[] = {"nope"};
    const char* v1[] = {"1"};
    const char* k2[] = {"statement_cache_size"};
    const char* v2[] = {"many"};
    EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_connect(S("sqlite://:memory:"), k1, v1, 1, &bad, &err));
    CHECK(strstr(dbridge_error_message(err, NULL), "nope") != NULL);
    clear_error();
    EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_connect(S("sqlite://:memory:"), k2, v2, 1, &bad, &err));
    clear_error();
    CHECK(bad == NULL);
  }

  c = connect_to("sqlite://:memory:");
  OK(dbridge_execute_script(c, S("CREATE TABLE a (x); INSERT INTO a VALUES (1); INSERT INTO a VALUES (2);"), &err));
  CHECK(scalar(c, "SELECT sum(x) FROM a") == 3);
  /* Bytes and text round trip, NUL bytes kept. */
  OK(dbridge_params_new(&p, &err));
  OK(dbridge_params_add_bytes(p, (const uint8_t*)"a\0b", 3, &err));
  OK(dbridge_params_add_text(p, S("héllo"), &err));
  OK(dbridge_query(c, S("SELECT ?, ?, NULL, 1.5, 7"), p, &r, &err));
  OK(dbridge_result_next(r, &err));
  {
    const uint8_t* b = NULL;
    double d = 0;
    int32_t flag = 0;
    uint64_t u = 0;
    OK(dbridge_result_get_bytes(r, 0, &b, &n, &err));
    CHECK(n == 3 && memcmp(b, "a\0b", 3) == 0);
    OK(dbridge_result_get_as_text(r, 0, &t, &n, &err));
    CHECK(text_is(t, n, "\\x610062"));
    OK(dbridge_result_get_text(r, 1, &t, &n, &err));
    CHECK(text_is(t, n, "héllo"));
    EXPECT(DBRIDGE_NULL, dbridge_result_get_double(r, 2, &d, &err));
    EXPECT(DBRIDGE_NULL, dbridge_result_get_as_text(r, 2, &t, &n, &err));
    OK(dbridge_result_get_double(r, 3, &d, &err));
    CHECK(d == 1.5);
    OK(dbridge_result_get_uint64(r, 4, &u, &err));
    CHECK(u == 7);
    EXPECT(DBRIDGE_E_DATA, dbridge_result_get_bool(r, 4, &flag, &err));
    clear_error();
  }
  dbridge_result_free(r);
  /* Result closed early refuses; a second result on the same connection. */
  OK(dbridge_query(c, S("SELECT x FROM a ORDER BY x"), NULL, &r, &err));
  OK(dbridge_result_next(r, &err));
  dbridge_result_close(r);
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_result_next(r, &err));
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_result_get_int64(r, 0, &v, &err));
  clear_error();
  OK(dbridge_query(c, S("SELECT x FROM a ORDER BY x"), NULL, &r2, &err));
  OK(dbridge_result_next(r2, &err));
  OK(dbridge_result_get_int64(r2, 0, &v, &err));
  CHECK(v == 1);
  dbridge_result_free(r2);
  dbridge_result_free(r);
  /* set_option needs exactly one value. */
  OK(dbridge_params_clear(p, &err));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_conn_set_option(c, S("busy_timeout_ms"), p, &err));
  clear_error();
  /* A command on SQL-only driver is unsupported. */
  {
    const char* argv[] = {"PING"};
    uint64_t lens[] = {4};
    dbridge_reply* reply = NULL;
    EXPECT(DBRIDGE_E_UNSUPPORTED, dbridge_command(c, 1, argv, lens, &reply, &err));
    CHECK(reply == NULL);
    clear_error();
  }
  dbridge_params_free(p);
  dbridge_conn_free(c);
}

/* A freed result's handle is kept for the connection's next query and stays
 * in its list of children: reused behind newer children (a transaction, a
 * savepoint, a statement) it must still be closed with the connection, the
 * others exactly once, and every handle must refuse use after the close
 * (ASan checks the frees). */
static int64_t point_query(dbridge_stmt* s, dbridge_params* p, int64_t id, dbridge_result** out) {
  const char* t = NULL;
  uint64_t n = 0;
  OK(dbridge_params_clear(p, &err));
  OK(dbridge_params_add_int64(p, id, &err));
  OK(dbridge_stmt_query(s, p, out, &err));
  OK(dbridge_result_next(*out, &err));
  OK(dbridge_result_get_text(*out, 0, &t, &n, &err));
  return (int64_t)n;
}

static void test_result_handle_reuse(void) {
  dbridge_conn* c = connect_to("sqlite://:memory:");
  dbridge_stmt* s = NULL;
  dbridge_params* p = NULL;
  dbridge_result* r = NULL;
  dbridge_result* r2 = NULL;
  dbridge_tx* tx = NULL;
  dbridge_tx* sp = NULL;
  int64_t v = 0;
  int i;
  OK(dbridge_execute_script(c, S("CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT);"
                                 "INSERT INTO u VALUES (1, 'a'), (2, 'bb'), (3, 'ccc');"), &err));
  OK(dbridge_prepare(c, S("SELECT name FROM u WHERE id = ?"), &s, &err));
  OK(dbridge_params_new(&p, &err));
  for (i = 1; i <= 3; ++i) {
    CHECK(point_query(s, p, i, &r) == i);
    dbridge_result_free(r);
  }
  /* The kept handle now sits behind a transaction, a savepoint and a second
   * statement; reused, it comes first again. */
  OK(dbridge_begin(c, DBRIDGE_ISOLATION_DEFAULT, 0, -1, &tx, &err));
  OK(dbridge_tx_savepoint(tx, &sp, &err));
  CHECK(point_query(s, p, 2, &r) == 2);
  OK(dbridge_query(c, S("SELECT count(*) FROM u"), NULL, &r2, &err));
  OK(dbridge_result_next(r2, &err));
  OK(dbridge_result_get_int64(r2, 0, &v, &err));
  CHECK(v == 3);
  dbridge_result_free(r);  /* kept */
  dbridge_result_free(r2); /* not kept: one spare per connection */
  OK(dbridge_tx_commit(sp, &err));
  /* A live reused result and a kept one behind the transaction at close. */
  CHECK(point_query(s, p, 3, &r) == 3);
  OK(dbridge_query(c, S("SELECT 1"), NULL, &r2, &err));
  dbridge_result_free(r2);
  dbridge_conn_close(c);
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_result_next(r, &err));
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_result_get_int64(r, 0, &v, &err));
  clear_error();
  {
    dbridge_result* refused = NULL;
    EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_stmt_query(s, p, &refused, &err));
    CHECK(refused == NULL);
  }
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_tx_commit(tx, &err));
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_tx_commit(sp, &err));
  clear_error();
  dbridge_result_free(r);
  dbridge_tx_free(sp);
  dbridge_tx_free(tx);
  dbridge_stmt_free(s);
  dbridge_conn_free(c);

  /* Freed before the connection closes, with the kept handle between them. */
  c = connect_to("sqlite://:memory:");
  OK(dbridge_query(c, S("SELECT 1"), NULL, &r, &err));
  dbridge_result_free(r);
  OK(dbridge_begin(c, DBRIDGE_ISOLATION_DEFAULT, 0, -1, &tx, &err));
  OK(dbridge_prepare(c, S("SELECT 2"), &s, &err));
  dbridge_tx_free(tx);
  OK(dbridge_stmt_query(s, NULL, &r, &err));
  OK(dbridge_result_next(r, &err));
  OK(dbridge_result_get_int64(r, 0, &v, &err));
  CHECK(v == 2);
  dbridge_stmt_free(s);
  dbridge_result_free(r);
  dbridge_conn_free(c);
  dbridge_params_free(p);
}

/* dbridge_stmt_requery frees the last result and runs the next query in one
 * call; the old result is freed even when the query fails (ASan's leak check
 * sees a miss), and only a bad `result` argument is refused untouched. */
static void test_stmt_requery(void) {
  dbridge_conn* c = connect_to("sqlite://:memory:");
  dbridge_conn* other = connect_to("sqlite://:memory:");
  dbridge_stmt* s = NULL;
  dbridge_params* p = NULL;
  dbridge_result* r = NULL;
  const char* t = NULL;
  uint64_t n = 0;
  int64_t i;
  OK(dbridge_execute_script(c, S("CREATE TABLE u (id INTEGER PRIMARY KEY, name TEXT);"
                                 "INSERT INTO u VALUES (1, 'a'), (2, 'bb'), (3, 'ccc');"), &err));
  OK(dbridge_prepare(c, S("SELECT name FROM u WHERE id = ?"), &s, &err));
  OK(dbridge_params_new(&p, &err));
  for (i = 0; i < 7; ++i) {
    OK(dbridge_params_clear(p, &err));
    OK(dbridge_params_add_int64(p, i % 3 + 1, &err));
    OK(dbridge_stmt_requery(s, p, &r, &err));
    OK(dbridge_result_next(r, &err));
    OK(dbridge_result_get_text(r, 0, &t, &n, &err));
    CHECK((int64_t)n == i % 3 + 1);
  }
  /* The old result may be left unread, closed, or another connection's. */
  OK(dbridge_stmt_requery(s, p, &r, &err));
  dbridge_result_close(r);
  OK(dbridge_stmt_requery(s, p, &r, &err));
  OK(dbridge_result_next(r, &err));
  dbridge_result_free(r);
  OK(dbridge_query(other, S("SELECT 5"), NULL, &r, &err));
  OK(dbridge_stmt_requery(s, p, &r, &err));
  OK(dbridge_result_next(r, &err));
  OK(dbridge_result_get_text(r, 0, &t, &n, &err));
  CHECK(text_is(t, n, "a")); /* the last id of the loop, 6 % 3 + 1 */
  /* Refused untouched: a NULL result, a *result that is no result handle. */
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_stmt_requery(s, p, NULL, &err));
  clear_error();
  {
    dbridge_result* not_a_result = (dbridge_result*)p;
    EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_stmt_requery(s, p, &not_a_result, &err));
    CHECK(not_a_result == (dbridge_result*)p);
    clear_error();
  }
  /* A failing query (an array left open, a NULL or closed statement) still
   * frees the old result. */
  OK(dbridge_params_clear(p, &err));
  OK(dbridge_params_begin_array(p, &err));
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_stmt_requery(s, p, &r, &err));
  CHECK(r == NULL);
  clear_error();
  OK(dbridge_params_clear(p, &err));
  OK(dbridge_params_add_int64(p, 1, &err));
  OK(dbridge_stmt_requery(s, p, &r, &err));
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_stmt_requery(NULL, p, &r, &err));
  CHECK(r == NULL);
  clear_error();
  OK(dbridge_stmt_requery(s, p, &r, &err));
  dbridge_stmt_close(s);
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_stmt_requery(s, p, &r, &err));
  CHECK(r == NULL);
  clear_error();
  dbridge_stmt_free(s);
  dbridge_params_free(p);
  dbridge_conn_free(other);
  dbridge_conn_free(c);
}

/* ------------------------------------------------------------- pools */

/* sql: the backend runs SQL (else it is probed with PING). */
static void test_pool(const char* url, int sql) {
  dbridge_pool* pool = NULL;
  dbridge_conn* a = NULL;
  dbridge_conn* b = NULL;
  char* json = NULL;
  uint64_t n = 0;
  const char* keys[] = {"max", "name", "acquire_timeout_ms"};
  const char* values[] = {"1", "capi_pool", "2000"};
  const char* bad_keys[] = {"maxx"};
  OK(dbridge_pool_open(url, strlen(url), keys, values, 3, &pool, &err));
  OK(dbridge_pool_acquire(pool, 1000, &a, &err));
  if (sql) CHECK(scalar(a, "SELECT 1") == 1);
  OK(dbridge_conn_ping(a, &err));
  OK(dbridge_pool_metrics_json(pool, &json, &n, &err));
  CHECK(json != NULL && strstr(json, "\"in_use\": 1") != NULL);
  dbridge_string_free(json);
  /* max 1: a second acquire times out as pool_exhausted. */
  EXPECT(DBRIDGE_E_RESOURCE, dbridge_pool_acquire(pool, 50, &b, &err));
  CHECK(dbridge_error_subcategory(err) == DBRIDGE_SUB_POOL_EXHAUSTED);
  CHECK(b == NULL);
  clear_error();
  dbridge_pool_release(a);
  OK(dbridge_pool_acquire(pool, 1000, &b, &err));
  dbridge_conn_close(b); /* given back; the handle refuses use */
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_conn_ping(b, &err));
  clear_error();
  dbridge_conn_free(b);
  OK(dbridge_pool_acquire_read(pool, &a, &err));
  dbridge_pool_discard(a);
  OK(dbridge_pool_metrics_json(pool, &json, &n, &err));
  CHECK(json != NULL && strstr(json, "\"in_use\": 0") != NULL);
  dbridge_string_free(json);
  dbridge_pool_close(pool);
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_pool_acquire(pool, 10, &a, &err));
  clear_error();
  dbridge_pool_free(pool);
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_pool_open(url, strlen(url), bad_keys, values, 1, &pool, &err));
  CHECK(pool == NULL);
  clear_error();
}

/* ------------------------------------------------------------ servers */

/* -------------------------------------------- closing during another call */

struct waiter {
  dbridge_listener* l;
  int32_t status;
  dbridge_notification* note;
};

static void* wait_on_listener(void* arg) {
  struct waiter* w = (struct waiter*)arg;
  dbridge_error* e = NULL; /* not the global err: the main thread uses that */
  w->status = dbridge_listener_wait(w->l, 30000, &w->note, &e);
  dbridge_error_free(e);
  return NULL;
}

/* The text after `"name":` and any spaces in a JSON object's text. */
static const char* json_value(const char* from, const char* name) {
  char key[32];
  const char* at;
  sprintf(key, "\"%s\":", name);
  at = strstr(from, key);
  if (at == NULL) return NULL;
  at += strlen(key);
  while (*at == ' ') ++at;
  return at;
}

/* Returns once the registry shows connection id inside a call (in_use: it
 * holds no result, so only a call makes it so).  The registry's keys are
 * sorted, so the first "state" after its "id" is that connection's. */
static void until_inside_a_call(uint64_t id) {
  int inside = 0;
  while (!inside) {
    char* json = NULL;
    uint64_t n = 0;
    dbridge_error* e = NULL;
    if (dbridge_registry_json(&json, &n, &e) == DBRIDGE_OK) {
      const char* at = json;
      while ((at = json_value(at, "id")) != NULL && strtoull(at, NULL, 10) != id) continue;
      at = at != NULL ? json_value(at, "state") : NULL;
      inside = at != NULL && strncmp(at, "\"in_use\"", 8) == 0;
    }
    dbridge_string_free(json);
    dbridge_error_free(e);
  }
}

/* dbridge.h, THREADS: closing a connection while another thread is blocked in
 * its listener's wait is refused (DBRIDGE_E_INVALID_STATE), and the close and
 * free functions that cannot report leave it alone; it closed under the
 * waiter before (Redis crashed, PostgreSQL reported "out of memory"). */
static void test_close_during_wait(const char* url, dbridge_conn* sender) {
  dbridge_conn* lc = connect_to(url);
  struct waiter w = {NULL, 1, NULL};
  pthread_t th;
  uint64_t id = 0;
  OK(dbridge_listener_new(lc, &w.l, &err));
  OK(dbridge_listener_listen(w.l, S("capi_closewait"), &err));
  OK(dbridge_conn_id(lc, &id, &err));
  if (pthread_create(&th, NULL, wait_on_listener, &w) != 0) {
    CHECK(!"pthread_create");
    return;
  }
  until_inside_a_call(id);
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_conn_try_close(lc, &err));
  dbridge_conn_close(lc);
  dbridge_listener_close(w.l);
  CHECK(dbridge_conn_is_open(lc) == 1);
  OK(dbridge_notify(sender, S("capi_closewait"), S("wake"), &err));
  pthread_join(th, NULL);
  CHECK(w.status == DBRIDGE_OK && w.note != NULL);
  if (w.note != NULL) CHECK(strcmp(dbridge_notification_payload(w.note, NULL), "wake") == 0);
  dbridge_notification_free(w.note);
  dbridge_listener_free(w.l);
  OK(dbridge_conn_try_close(lc, &err));
  CHECK(dbridge_conn_is_open(lc) == 0);
  OK(dbridge_conn_try_close(lc, &err)); /* idempotent */
  dbridge_conn_free(lc);
}

static void test_postgres(void) {
  const char* url = server_url("DBRIDGE_TEST_POSTGRES_URL");
  struct flavor f = {
      "postgres",
      url,
      "CREATE TABLE capi_t (id bigint PRIMARY KEY, name text, score float8)",
      "INSERT INTO capi_t (id, name, score) VALUES ($1, $2, $3)",
      "SELECT id, name, score FROM capi_t WHERE id = $1",
      "SELECT i::bigint, 'row' || i, CASE WHEN i % 7 = 0 THEN NULL ELSE i / 4.0::float8 END "
      "FROM generate_series(1, 2500) i",
      0,
      "23505",
  };
  dbridge_conn* c;
  dbridge_conn* c2;
  dbridge_params* p = NULL;
  dbridge_result* r = NULL;
  dbridge_value* v = NULL;
  dbridge_listener* l = NULL;
  dbridge_notification* note = NULL;
  const char* t = NULL;
  uint64_t n = 0;
  int64_t micros = 0, x = 0;
  int32_t days = 0, inf = 9, off = 0, months = 0, has = 0;
  uint8_t uuid_in[16] = {0x12, 0x34, 0x56, 0x78, 0x9a, 0xbc, 0xde, 0xf0, 1, 2, 3, 4, 5, 6, 7, 8};
  uint8_t uuid_out[16];

  test_sql(&f);
  test_execute_many(&f);
  test_pool(url, 1);

  /* Typed round trips of every binder type. */
  c = connect_to(url);
  OK(dbridge_params_new(&p, &err));
  OK(dbridge_params_add_decimal(p, S("-12.3400"), &err));
  OK(dbridge_params_add_date(p, 19000, 0, &err));
  OK(dbridge_params_add_time(p, 37815500000, 0, 0, &err));
  OK(dbridge_params_add_timestamp(p, 1700000000123456, 0, &err));
  OK(dbridge_params_add_timestamptz(p, 1700000000000000, 0, 0, &err));
  OK(dbridge_params_add_interval(p, 14, 3, 4000000, &err));
  OK(dbridge_params_add_uuid(p, uuid_in, &err));
  OK(dbridge_params_add_json(p, S("{\"k\": [1, 2]}"), &err));
  OK(dbridge_params_begin_array(p, &err));
  OK(dbridge_params_add_int64(p, 10, &err));
  OK(dbridge_params_add_null(p, &err));
  OK(dbridge_params_add_int64(p, 30, &err));
  OK(dbridge_params_end_array(p, &err));
  OK(dbridge_params_add_bool(p, 1, &err));
  OK(dbridge_params_add_date(p, 0, DBRIDGE_INFINITY_POS, &err));
  OK(dbridge_query(c,
                   S("SELECT $1::numeric, $2::date, $3::time, $4::timestamp, $5::timestamptz, $6::interval, "
                     "$7::uuid, $8::jsonb, $9::int8[], $10::bool, $11::date"),
                   p, &r, &err));
  OK(dbridge_result_next(r, &err));
  OK(dbridge_result_get_text(r, 0, &t, &n, &err));
  CHECK(text_is(t, n, "-12.3400"));
  OK(dbridge_result_get_date(r, 1, &days, &inf, &err));
  CHECK(days == 19000 && inf == 0);
  OK(dbridge_result_get_time(r, 2, &micros, &has, &off, &err));
  CHECK(micros == 37815500000 && has == 0);
  OK(dbridge_result_get_timestamp(r, 3, &micros, &inf, &err));
  CHECK(micros == 1700000000123456);
  OK(dbridge_result_get_timestamptz(r, 4, &micros, &off, &inf, &err));
  CHECK(micros == 1700000000000000 && inf == 0);
  OK(dbridge_result_get_interval(r, 5, &months, &days, &x, &err));
  CHECK(months == 14 && days == 3 && x == 4000000);
  OK(dbridge_result_get_uuid(r, 6, uuid_out, &err));
  CHECK(memcmp(uuid_in, uuid_out, 16) == 0);
  OK(dbridge_result_get_as_text(r, 6, &t, &n, &err));
  CHECK(text_is(t, n, "12345678-9abc-def0-0102-030405060708"));
  OK(dbridge_result_get_text(r, 7, &t, &n, &err));
  CHECK(strstr(t, "\"k\"") != NULL);
  OK(dbridge_result_get_array(r, 8, &v, &err));
  CHECK(dbridge_value_type(v) == DBRIDGE_TYPE_ARRAY && dbridge_value_array_size(v) == 3);
  OK(dbridge_value_get_int64(dbridge_value_array_item(v, 2), &x, &err));
  CHECK(x == 30);
  EXPECT(DBRIDGE_NULL, dbridge_value_get_int64(dbridge_value_array_item(v, 1), &x, &err));
  CHECK(dbridge_value_array_item(v, 3) == NULL);
  {
    char* s = NULL;
    OK(dbridge_value_to_text(v, &s, &n, &err));
    CHECK(s != NULL && strcmp(s, "[10,null,30]") == 0);
    dbridge_string_free(s);
  }
  dbridge_value_free((dbridge_value*)dbridge_value_array_item(v, 0)); /* not a root: ignored */
  dbridge_value_free(v);
  OK(dbridge_result_get_bool(r, 9, &has, &err));
  CHECK(has == 1);
  OK(dbridge_result_get_date(r, 10, &days, &inf, &err));
  CHECK(inf == DBRIDGE_INFINITY_POS);
  EXPECT(DBRIDGE_DONE, dbridge_result_next(r, &err));
  dbridge_result_free(r);

  /* The batch encoding of the fixed types. */
  OK(dbridge_query(c,
                   S("SELECT '2024-01-02T03:04:05+02'::timestamptz, '1 year 2 mons -3 days 00:00:01'::interval, "
                     "'-infinity'::timestamp, ARRAY[1,2]"),
                   NULL, &r, &err));
  OK(dbridge_result_fetch_batch(r, 10, &n, &err));
  CHECK(n == 1);
  {
    const void* values = NULL;
    const int64_t* aux = NULL;
    const uint8_t* flags = NULL;
    const uint8_t* tags = NULL;
    const uint64_t* offsets = NULL;
    const uint8_t* data = NULL;
    int64_t w = 0;
    OK(dbridge_result_batch_column(r, 0, &tags, &values, &aux, &flags, NULL, NULL, &err));
    memcpy(&w, values, 8);
    CHECK(tags[0] == DBRIDGE_TYPE_TIMESTAMPTZ && w == 1704157445000000);
    OK(dbridge_result_batch_column(r, 1, &tags, &values, &aux, &flags, NULL, NULL, &err));
    memcpy(&w, values, 8);
    CHECK(tags[0] == DBRIDGE_TYPE_INTERVAL && w == 1000000);
    CHECK((aux[0] >> 32) == 14 && (int32_t)(aux[0] & 0xffffffff) == -3);
    OK(dbridge_result_batch_column(r, 2, &tags, NULL, NULL, &flags, NULL, NULL, &err));
    CHECK(tags[0] == DBRIDGE_TYPE_TIMESTAMP && flags[0] == 0x2);
    OK(dbridge_result_batch_column(r, 3, &tags, NULL, NULL, NULL, &offsets, &data, &err));
    CHECK(tags[0] == DBRIDGE_TYPE_ARRAY && offsets[1] == 5 && memcmp(data, "[1,2]", 5) == 0);
    OK(dbridge_result_batch_array(r, 0, 3, &v, &err));
    CHECK(dbridge_value_array_size(v) == 2);
    dbridge_value_free(v);
    EXPECT(DBRIDGE_NULL, dbridge_result_batch_array(r, 0, 0, &v, &err));
    EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_result_batch_array(r, 1, 3, &v, &err));
    clear_error();
  }
  dbridge_result_free(r);

  /* A statement timeout through set_option, then the connection still works. */
  OK(dbridge_params_clear(p, &err));
  OK(dbridge_params_add_int64(p, 100, &err));
  OK(dbridge_conn_set_option(c, S("statement_timeout_ms"), p, &err));
  EXPECT(DBRIDGE_E_TIMEOUT, dbridge_execute(c, S("SELECT pg_sleep(2)"), NULL, NULL, &err));
  clear_error();
  OK(dbridge_params_clear(p, &err));
  OK(dbridge_params_add_int64(p, 0, &err));
  OK(dbridge_conn_set_option(c, S("statement_timeout_ms"), p, &err));
  CHECK(scalar(c, "SELECT 5") == 5);
  dbridge_params_free(p);

  /* LISTEN / NOTIFY. */
  c2 = connect_to(url);
  OK(dbridge_listener_new(c, &l, &err));
  OK(dbridge_listener_listen(l, S("capi_channel"), &err));
  EXPECT(DBRIDGE_EMPTY, dbridge_listener_wait(l, 20, &note, &err));
  CHECK(note == NULL);
  EXPECT(DBRIDGE_E_UNSUPPORTED, dbridge_listener_listen_pattern(l, S("capi_*"), &err));
  clear_error();
  OK(dbridge_notify(c2, S("capi_channel"), S("hello"), &err));
  OK(dbridge_listener_wait(l, 2000, &note, &err));
  CHECK(strcmp(dbridge_notification_channel(note, &n), "capi_channel") == 0);
  CHECK(strcmp(dbridge_notification_payload(note, &n), "hello") == 0 && n == 5);
  CHECK(dbridge_notification_pattern(note, NULL) == NULL);
  CHECK(dbridge_notification_sender_pid(note) > 0);
  dbridge_notification_free(note);
  OK(dbridge_listener_unlisten(l, NULL, 0, &err));
  dbridge_conn_close(c); /* closes the listener */
  EXPECT(DBRIDGE_E_INVALID_STATE, dbridge_listener_wait(l, 10, &note, &err));
  clear_error();
  dbridge_listener_free(l);
  test_close_during_wait(url, c2);
  dbridge_conn_free(c);
  dbridge_conn_free(c2);

  /* A wrong password: auth error, and the password never in the message. */
  {
    const char* at = strchr(url, '@');
    const char* scheme_end = strstr(url, "://");
    if (at != NULL && scheme_end != NULL) {
      char bad[512];
      dbridge_conn* none = NULL;
      snprintf(bad, sizeof bad, "postgresql://capi_nobody:Sw0rdfish_capi%s", at);
      EXPECT(DBRIDGE_E_AUTH, dbridge_connect(bad, strlen(bad), NULL, NULL, 0, &none, &err));
      CHECK(strstr(dbridge_error_message(err, NULL), "Sw0rdfish_capi") == NULL);
      clear_error();
    }
  }
  /* An unreachable server: a connection error that may be retried. */
  {
    dbridge_conn* none = NULL;
    EXPECT(DBRIDGE_E_CONNECTION, dbridge_connect(S("postgresql://u@127.0.0.1:1/x?connect_timeout=2"), NULL, NULL, 0,
                                                 &none, &err));
    CHECK(dbridge_error_retry(err) == DBRIDGE_RETRY_NEW_CONN);
    clear_error();
  }
}

static void test_mysql(void) {
  const char* url = server_url("DBRIDGE_TEST_MYSQL_URL");
  struct flavor f = {
      "mysql",
      url,
      "CREATE TABLE capi_t (id BIGINT AUTO_INCREMENT PRIMARY KEY, name TEXT, score DOUBLE)",
      "INSERT INTO capi_t (id, name, score) VALUES (?, ?, ?)",
      "SELECT id, name, score FROM capi_t WHERE id = ?",
      /* MariaDB's sequence engine: a recursive CTE stops at max_recursive_iterations (1000). */
      "SELECT CAST(seq AS SIGNED), CONCAT('row', seq), CASE WHEN seq % 7 = 0 THEN NULL ELSE seq / 4e0 END "
      "FROM seq_1_to_2500",
      1,
      "23000",
  };
  dbridge_conn* c;
  dbridge_params* p = NULL;
  dbridge_result* r = NULL;
  const char* t = NULL;
  uint64_t n = 0;
  int32_t days = 0, inf = 0;
  int64_t micros = 0;
  test_sql(&f);
  test_execute_many(&f);
  c = connect_to(url);
  OK(dbridge_params_new(&p, &err));
  OK(dbridge_params_add_date(p, 19000, 0, &err));
  OK(dbridge_params_add_decimal(p, S("3.25"), &err));
  OK(dbridge_params_add_timestamp(p, 1700000000000000, 0, &err));
  OK(dbridge_query(c, S("SELECT CAST(? AS DATE), CAST(? AS DECIMAL(6,2)), CAST(? AS DATETIME(6))"), p, &r, &err));
  OK(dbridge_result_next(r, &err));
  OK(dbridge_result_get_date(r, 0, &days, &inf, &err));
  CHECK(days == 19000);
  OK(dbridge_result_get_text(r, 1, &t, &n, &err));
  CHECK(text_is(t, n, "3.25"));
  OK(dbridge_result_get_timestamp(r, 2, &micros, &inf, &err));
  CHECK(micros == 1700000000000000);
  dbridge_result_free(r);
  dbridge_params_free(p);
  dbridge_conn_free(c);
}

static void test_redis(void) {
  const char* url = server_url("DBRIDGE_TEST_REDIS_URL");
  dbridge_conn* c = connect_to(url);
  dbridge_conn* sub = connect_to(url);
  dbridge_reply* reply = NULL;
  dbridge_listener* l = NULL;
  dbridge_notification* note = NULL;
  const char* t = NULL;
  uint64_t n = 0;
  int32_t flag = 0;
  const char* set[] = {"SET", "capi:k", "v\0x"};
  uint64_t set_len[] = {3, 6, 3};
  const char* get[] = {"GET", "capi:k"};
  uint64_t get_len[] = {3, 6};
  const char* del[] = {"DEL", "capi:list", "capi:k", "capi:n"};
  uint64_t del_len[] = {3, 9, 6, 6};
  const char* push[] = {"RPUSH", "capi:list", "a", "b"};
  uint64_t push_len[] = {5, 9, 1, 1};
  const char* range[] = {"LRANGE", "capi:list", "0", "-1"};
  uint64_t range_len[] = {6, 9, 1, 2};
  const char* incr[] = {"INCR", "capi:list"};
  uint64_t incr_len[] = {4, 9};

  OK(dbridge_conn_has_capability(c, S("command"), &flag, &err));
  CHECK(flag == 1);
  OK(dbridge_command(c, 4, del, del_len, &reply, &err));
  dbridge_reply_free(reply);
  OK(dbridge_command(c, 3, set, set_len, &reply, &err));
  CHECK(dbridge_reply_type(reply) == DBRIDGE_REPLY_STATUS);
  t = dbridge_reply_string(reply, &n);
  CHECK(text_is(t, n, "OK"));
  dbridge_reply_free(reply);
  OK(dbridge_command(c, 2, get, get_len, &reply, &err));
  t = dbridge_reply_string(reply, &n);
  CHECK(dbridge_reply_type(reply) == DBRIDGE_REPLY_STRING && n == 3 && memcmp(t, "v\0x", 3) == 0);
  dbridge_reply_free(reply);
  OK(dbridge_command(c, 4, push, push_len, &reply, &err));
  CHECK(dbridge_reply_type(reply) == DBRIDGE_REPLY_INTEGER && dbridge_reply_integer(reply) == 2);
  dbridge_reply_free(reply);
  OK(dbridge_command(c, 4, range, range_len, &reply, &err));
  CHECK(dbridge_reply_type(reply) == DBRIDGE_REPLY_ARRAY && dbridge_reply_size(reply) == 2);
  t = dbridge_reply_string(dbridge_reply_element(reply, 1), &n);
  CHECK(text_is(t, n, "b"));
  CHECK(dbridge_reply_element(reply, 2) == NULL);
  dbridge_reply_free((dbridge_reply*)dbridge_reply_element(reply, 0)); /* not a root: ignored */
  dbridge_reply_free(reply);
  /* The same reply encoded in one buffer: [ARRAY 2, STRING "a", STRING "b"]. */
  {
    const uint8_t* buf = NULL;
    uint64_t size = 0, nodes = 0;
    int64_t a[3], b[3];
    OK(dbridge_command_encoded(c, 4, range, range_len, &buf, &size, &err));
    CHECK(buf != NULL && size == 8 + 8 + 2 * 3 * 8 + 2);
    if (buf != NULL && size == 8 + 8 + 2 * 3 * 8 + 2) {
      memcpy(&nodes, buf, 8);
      memcpy(a, buf + 16, sizeof a);
      memcpy(b, buf + 16 + sizeof a, sizeof b);
      CHECK(nodes == 3 && buf[8] == DBRIDGE_REPLY_ARRAY && buf[9] == DBRIDGE_REPLY_STRING && buf[10] == 0x04);
      CHECK(a[0] == 2 && a[1] == 0 && b[1] == 1 && a[2] == 1 && b[2] == 2);
      CHECK(memcmp(buf + 16 + sizeof a + sizeof b, "ab", 2) == 0);
    }
    EXPECT(DBRIDGE_E_BACKEND, dbridge_command_encoded(c, 2, incr, incr_len, &buf, &size, &err));
    CHECK(buf == NULL && size == 0);
    EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_command_encoded(c, 2, get, get_len, NULL, &size, &err));
    EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_command_encoded(NULL, 2, get, get_len, &buf, &size, &err));
    clear_error();
  }
  /* WRONGTYPE: a backend error with its code. */
  EXPECT(DBRIDGE_E_BACKEND, dbridge_command(c, 2, incr, incr_len, &reply, &err));
  CHECK(reply == NULL);
  CHECK(dbridge_error_subcategory(err) == DBRIDGE_SUB_WRONG_TYPE);
  CHECK(strcmp(dbridge_error_field(err, DBRIDGE_ERRF_BACKEND_CODE, NULL), "WRONGTYPE") == 0);
  clear_error();
  EXPECT(DBRIDGE_E_INVALID_ARGUMENT, dbridge_command(c, 0, get, get_len, &reply, &err));
  clear_error();

  /* Pub/sub, with a pattern. */
  OK(dbridge_listener_new(sub, &l, &err));
  OK(dbridge_listener_listen(l, S("capi:news"), &err));
  OK(dbridge_listener_listen_pattern(l, S("capi:p.*"), &err));
  EXPECT(DBRIDGE_EMPTY, dbridge_listener_wait(l, 20, &note, &err));
  OK(dbridge_notify(c, S("capi:news"), S("one"), &err));
  OK(dbridge_notify(c, S("capi:p.x"), S("two"), &err));
  OK(dbridge_listener_wait(l, 2000, &note, &err));
  CHECK(strcmp(dbridge_notification_payload(note, NULL), "one") == 0);
  dbridge_notification_free(note);
  OK(dbridge_listener_wait(l, 2000, &note, &err));
  CHECK(strcmp(dbridge_notification_channel(note, NULL), "capi:p.x") == 0);
  CHECK(strcmp(dbridge_notification_pattern(note, NULL), "capi:p.*") == 0);
  dbridge_notification_free(note);
  dbridge_listener_free(l);
  test_close_during_wait(url, c);

  test_pool(url, 0);
  dbridge_conn_free(sub);
  dbridge_conn_free(c);
}

int main(int argc, char** argv) {
  const char* group = argc > 1 ? argv[1] : "basics";
  if (strcmp(group, "basics") == 0) {
    test_version();
    test_null_arguments();
    test_params();
    test_params_reuse();
    test_catalog_and_registry();
  } else if (strcmp(group, "sqlite") == 0) {
    test_sqlite();
    test_result_handle_reuse();
    test_stmt_requery();
    test_pool("sqlite://:memory:", 1);
  } else if (strcmp(group, "postgres") == 0) {
    test_postgres();
  } else if (strcmp(group, "mysql") == 0) {
    test_mysql();
  } else if (strcmp(group, "redis") == 0) {
    test_redis();
  } else {
    fprintf(stderr, "unknown group %s\n", group);
    return 2;
  }
  clear_error();
  if (failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", failures);
    return 1;
  }
  printf("capi %s: all checks passed\n", group);
  return 0;
}
