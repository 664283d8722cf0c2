/* SPDX-License-Identifier: Apache-2.0
 * dbridge.h alone, compiled as strict C99 (capi.header_c99). */
#include <dbridge/dbridge.h>

int main(void) { return dbridge_c_api_version() >= DBRIDGE_C_API_VERSION ? 0 : 1; }
