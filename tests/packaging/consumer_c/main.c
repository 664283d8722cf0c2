/* SPDX-License-Identifier: Apache-2.0
 * A C program built against an installed dbridge through pkg-config only:
 * one query through the C API. */
#include <dbridge/dbridge.h>

#include <stdio.h>
#include <string.h>

int main(void) {
  const char* url = "sqlite://:memory:";
  const char* sql = "SELECT 40 + 2";
  dbridge_conn* c = NULL;
  dbridge_result* r = NULL;
  dbridge_error* err = NULL;
  int64_t v = 0;
  if (dbridge_connect(url, strlen(url), NULL, NULL, 0, &c, &err) != DBRIDGE_OK ||
      dbridge_query(c, sql, strlen(sql), NULL, &r, &err) != DBRIDGE_OK || dbridge_result_next(r, &err) != DBRIDGE_OK ||
      dbridge_result_get_int64(r, 0, &v, &err) != DBRIDGE_OK) {
    fprintf(stderr, "consumer_c: %s\n", dbridge_error_message(err, NULL));
    dbridge_error_free(err);
    return 1;
  }
  dbridge_result_free(r);
  dbridge_conn_free(c);
  printf("dbridge %s answered %d\n", dbridge_version(), (int)v);
  return v == 42 ? 0 : 1;
}
