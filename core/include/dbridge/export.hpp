// SPDX-License-Identifier: Apache-2.0
// What libdbridge exports: it is built with hidden visibility, so only what
// carries DBRIDGE_API (the C++ API's classes, exceptions included so their
// typeinfo crosses, and free functions) and the C API's dbridge_* functions
// are part of the promise its SONAME keeps.
#pragma once

#if defined(_WIN32)
#define DBRIDGE_API
#else
#define DBRIDGE_API __attribute__((visibility("default")))
#endif
