# SPDX-License-Identifier: Apache-2.0
"""Finds libdbridge and declares the C API (core/include/dbridge/dbridge.h) to ctypes.

Only this module knows the C signatures; the rest of the package calls
``lib.dbridge_*`` and ``check()``.
"""
import ctypes
import ctypes.util
import os
import sys

from ctypes import (POINTER, byref, c_char_p, c_double, c_int32, c_int64, c_uint8, c_uint32, c_uint64,
                    c_void_p)

# Status codes and constants the package reads (same numbers as dbridge.h).
OK, DONE, EMPTY, NULL = 0, 1, 2, 3
WAIT_FOREVER = -1

(T_NULL, T_BOOL, T_INT64, T_UINT64, T_DOUBLE, T_TEXT, T_BYTES, T_DECIMAL, T_DATE, T_TIME, T_TIMESTAMP,
 T_TIMESTAMPTZ, T_INTERVAL, T_UUID, T_JSON, T_ARRAY) = range(16)

(R_NIL, R_INTEGER, R_STATUS, R_ERROR, R_STRING, R_ARRAY, R_DOUBLE, R_BOOL, R_MAP, R_SET, R_PUSH, R_VERBATIM,
 R_BIGNUM) = range(13)

ERRF = {"detail": 1, "hint": 2, "severity": 3, "constraint": 4, "table": 5, "column": 6, "schema": 7,
        "backend_code": 8, "native_domain": 9, "driver": 10, "query": 11}

_LIBNAME = "libdbridge.so"


def _candidates():
    """Where libdbridge may be, in the documented order (the first that loads wins)."""
    env = os.environ.get("DBRIDGE_LIBRARY")
    if env:
        yield env
        return
    here = os.path.dirname(os.path.abspath(__file__))
    # A source checkout: bindings/python/dbridge -> <root>/build/core.
    root = os.path.normpath(os.path.join(here, "..", "..", ".."))
    build = os.environ.get("DBRIDGE_BUILD_DIR", os.path.join(root, "build"))
    yield os.path.join(build, "core", _LIBNAME)
    # The prefix this package was installed into, then the usual prefixes.
    for prefix in dict.fromkeys((sys.prefix, sys.base_prefix, "/usr/local", "/usr")):
        for libdir in ("lib", "lib64", os.path.join("lib", "x86_64-linux-gnu"),
                       os.path.join("lib", "aarch64-linux-gnu")):
            yield os.path.join(prefix, libdir, _LIBNAME)
    found = ctypes.util.find_library("dbridge")
    if found:
        yield found


def _load():
    tried = []
    for path in _candidates():
        if os.sep in path and not os.path.exists(path):
            tried.append(path + " (absent)")
            continue
        try:
            return ctypes.CDLL(path)
        except OSError as e:
            tried.append("%s (%s)" % (path, e))
    raise ImportError(
        "dbridge: cannot find libdbridge.so; set DBRIDGE_LIBRARY to its path, build the tree "
        "(scripts/build) or install dbridge. Tried: " + "; ".join(tried or ["find_library('dbridge')"]))


lib = _load()

_P = c_void_p                     # every opaque handle
_PP = POINTER(c_void_p)           # handle out-parameters
_ERR = POINTER(c_void_p)          # dbridge_error**
_STR = POINTER(ctypes.c_char)     # text that may hold NUL bytes: read with its length
_STRP = POINTER(_STR)
_U64P = POINTER(c_uint64)
_I64P = POINTER(c_int64)
_I32P = POINTER(c_int32)
_U32P = POINTER(c_uint32)
_CSTRS = POINTER(c_char_p)

_SIGNATURES = {
    # version, strings
    "dbridge_version": (c_char_p, []),
    "dbridge_c_api_version": (c_uint32, []),
    "dbridge_abi_version": (None, [_U32P, _U32P]),
    "dbridge_string_free": (None, [_P]),
    # errors
    "dbridge_error_free": (None, [_P]),
    "dbridge_error_category": (c_uint32, [_P]),
    "dbridge_error_subcategory": (c_uint32, [_P]),
    "dbridge_error_sqlstate": (c_char_p, [_P]),
    "dbridge_error_native_code": (c_int64, [_P]),
    "dbridge_error_retry": (c_uint32, [_P]),
    "dbridge_error_connection_broken": (c_int32, [_P]),
    "dbridge_error_message": (_STR, [_P, _U64P]),
    "dbridge_error_field": (_STR, [_P, c_uint32, _U64P]),
    "dbridge_category_name": (c_char_p, [c_uint32]),
    # parameters
    "dbridge_params_new": (c_int32, [_PP, _ERR]),
    "dbridge_params_free": (None, [_P]),
    "dbridge_params_clear": (c_int32, [_P, _ERR]),
    "dbridge_params_add_null": (c_int32, [_P, _ERR]),
    "dbridge_params_add_bool": (c_int32, [_P, c_int32, _ERR]),
    "dbridge_params_add_int64": (c_int32, [_P, c_int64, _ERR]),
    "dbridge_params_add_uint64": (c_int32, [_P, c_uint64, _ERR]),
    "dbridge_params_add_double": (c_int32, [_P, c_double, _ERR]),
    "dbridge_params_add_text": (c_int32, [_P, c_char_p, c_uint64, _ERR]),
    "dbridge_params_add_bytes": (c_int32, [_P, c_char_p, c_uint64, _ERR]),
    "dbridge_params_add_decimal": (c_int32, [_P, c_char_p, c_uint64, _ERR]),
    "dbridge_params_add_json": (c_int32, [_P, c_char_p, c_uint64, _ERR]),
    "dbridge_params_add_date": (c_int32, [_P, c_int32, c_int32, _ERR]),
    "dbridge_params_add_time": (c_int32, [_P, c_int64, c_int32, c_int32, _ERR]),
    "dbridge_params_add_timestamp": (c_int32, [_P, c_int64, c_int32, _ERR]),
    "dbridge_params_add_timestamptz": (c_int32, [_P, c_int64, c_int32, c_int32, _ERR]),
    "dbridge_params_add_interval": (c_int32, [_P, c_int32, c_int32, c_int64, _ERR]),
    "dbridge_params_add_uuid": (c_int32, [_P, c_char_p, _ERR]),
    "dbridge_params_begin_array": (c_int32, [_P, _ERR]),
    "dbridge_params_end_array": (c_int32, [_P, _ERR]),
    "dbridge_params_set_rows": (c_int32, [_P, c_uint64, c_uint32, _ERR]),
    "dbridge_params_column_int64": (c_int32, [_P, c_uint32, c_void_p, c_char_p, _ERR]),
    "dbridge_params_column_double": (c_int32, [_P, c_uint32, c_void_p, c_char_p, _ERR]),
    "dbridge_params_column_text": (c_int32, [_P, c_uint32, c_char_p, c_void_p, c_char_p, _ERR]),
    "dbridge_params_column_bytes": (c_int32, [_P, c_uint32, c_char_p, c_void_p, c_char_p, _ERR]),
    # connections
    "dbridge_connect": (c_int32, [c_char_p, c_uint64, _CSTRS, _CSTRS, c_uint32, _PP, _ERR]),
    "dbridge_conn_close": (None, [_P]),
    "dbridge_conn_try_close": (c_int32, [_P, _ERR]),
    "dbridge_conn_free": (None, [_P]),
    "dbridge_conn_is_open": (c_int32, [_P]),
    "dbridge_conn_ping": (c_int32, [_P, _ERR]),
    "dbridge_conn_cancel": (c_int32, [_P, _ERR]),
    "dbridge_conn_id": (c_int32, [_P, _U64P, _ERR]),
    "dbridge_conn_scheme": (c_int32, [_P, _STRP, _U64P, _ERR]),
    "dbridge_conn_plugin_id": (c_int32, [_P, _STRP, _U64P, _ERR]),
    "dbridge_conn_redacted_url": (c_int32, [_P, _STRP, _U64P, _ERR]),
    "dbridge_conn_has_capability": (c_int32, [_P, c_char_p, c_uint64, _I32P, _ERR]),
    "dbridge_conn_set_option": (c_int32, [_P, c_char_p, c_uint64, _P, _ERR]),
    "dbridge_conn_in_transaction": (c_int32, [_P, _I32P, _ERR]),
    "dbridge_conn_last_insert_id": (c_int32, [_P, _I64P, _ERR]),
    "dbridge_conn_last_insert_id_u64": (c_int32, [_P, _U64P, _ERR]),
    # statements
    "dbridge_query": (c_int32, [_P, c_char_p, c_uint64, _P, _PP, _ERR]),
    "dbridge_execute": (c_int32, [_P, c_char_p, c_uint64, _P, _I64P, _ERR]),
    "dbridge_execute_script": (c_int32, [_P, c_char_p, c_uint64, _ERR]),
    "dbridge_prepare": (c_int32, [_P, c_char_p, c_uint64, _PP, _ERR]),
    "dbridge_stmt_close": (None, [_P]),
    "dbridge_stmt_free": (None, [_P]),
    "dbridge_stmt_param_count": (c_int32, [_P, _U32P, _ERR]),
    "dbridge_stmt_query": (c_int32, [_P, _P, _PP, _ERR]),
    "dbridge_stmt_execute": (c_int32, [_P, _P, _I64P, _ERR]),
    "dbridge_stmt_execute_many": (c_int32, [_P, _P, c_uint32, _I64P, _U64P, _ERR]),
    # results
    "dbridge_result_close": (None, [_P]),
    "dbridge_result_free": (None, [_P]),
    "dbridge_result_next": (c_int32, [_P, _ERR]),
    "dbridge_result_next_result": (c_int32, [_P, _ERR]),
    "dbridge_result_column_count": (c_int32, [_P, _U32P, _ERR]),
    "dbridge_result_column_name": (c_int32, [_P, c_uint32, _STRP, _U64P, _ERR]),
    "dbridge_result_column_native_type": (c_int32, [_P, c_uint32, _STRP, _U64P, _ERR]),
    "dbridge_result_column_type": (c_int32, [_P, c_uint32, _U32P, _ERR]),
    "dbridge_result_affected_rows": (c_int32, [_P, _I64P, _ERR]),
    "dbridge_result_last_insert_id": (c_int32, [_P, _I64P, _ERR]),
    "dbridge_result_fetch_batch": (c_int32, [_P, c_uint64, _U64P, _ERR]),
    "dbridge_result_batch_column": (c_int32, [_P, c_uint32, _PP, _PP, _PP, _PP, _PP, _PP, _ERR]),
    "dbridge_result_batch_array": (c_int32, [_P, c_uint64, c_uint32, _PP, _ERR]),
    # value trees (array cells)
    "dbridge_value_free": (None, [_P]),
    "dbridge_value_type": (c_uint32, [_P]),
    "dbridge_value_array_size": (c_uint64, [_P]),
    "dbridge_value_array_item": (_P, [_P, c_uint64]),
    "dbridge_value_get_fixed": (c_int32, [_P, _I64P, _I64P, POINTER(c_uint8), _ERR]),
    "dbridge_value_get_text": (c_int32, [_P, _STRP, _U64P, _ERR]),
    # transactions
    "dbridge_begin": (c_int32, [_P, c_uint32, c_uint32, c_int64, _PP, _ERR]),
    "dbridge_tx_savepoint": (c_int32, [_P, _PP, _ERR]),
    "dbridge_tx_commit": (c_int32, [_P, _ERR]),
    "dbridge_tx_rollback": (c_int32, [_P, _ERR]),
    "dbridge_tx_free": (None, [_P]),
    # pools
    "dbridge_pool_open": (c_int32, [c_char_p, c_uint64, _CSTRS, _CSTRS, c_uint32, _PP, _ERR]),
    "dbridge_pool_close": (None, [_P]),
    "dbridge_pool_free": (None, [_P]),
    "dbridge_pool_acquire": (c_int32, [_P, c_int64, _PP, _ERR]),
    "dbridge_pool_acquire_read": (c_int32, [_P, _PP, _ERR]),
    "dbridge_pool_release": (None, [_P]),
    "dbridge_pool_discard": (None, [_P]),
    "dbridge_pool_metrics_json": (c_int32, [_P, POINTER(_STR), _U64P, _ERR]),
    # registry and catalog
    "dbridge_registry_json": (c_int32, [POINTER(_STR), _U64P, _ERR]),
    "dbridge_plugins_json": (c_int32, [POINTER(_STR), _U64P, _ERR]),
    # commands
    "dbridge_command": (c_int32, [_P, c_uint32, _CSTRS, _U64P, _PP, _ERR]),
    "dbridge_command_encoded": (c_int32, [_P, c_uint32, _CSTRS, _U64P, POINTER(c_void_p), _U64P, _ERR]),
    "dbridge_reply_free": (None, [_P]),
    "dbridge_reply_type": (c_uint32, [_P]),
    "dbridge_reply_integer": (c_int64, [_P]),
    "dbridge_reply_double": (c_double, [_P]),
    "dbridge_reply_string": (_STR, [_P, _U64P]),
    "dbridge_reply_size": (c_uint64, [_P]),
    "dbridge_reply_element": (_P, [_P, c_uint64]),
    # notifications
    "dbridge_listener_new": (c_int32, [_P, _PP, _ERR]),
    "dbridge_listener_close": (None, [_P]),
    "dbridge_listener_free": (None, [_P]),
    "dbridge_listener_listen": (c_int32, [_P, c_char_p, c_uint64, _ERR]),
    "dbridge_listener_listen_pattern": (c_int32, [_P, c_char_p, c_uint64, _ERR]),
    "dbridge_listener_unlisten": (c_int32, [_P, c_char_p, c_uint64, _ERR]),
    "dbridge_listener_unlisten_pattern": (c_int32, [_P, c_char_p, c_uint64, _ERR]),
    "dbridge_listener_wait": (c_int32, [_P, c_int64, _PP, _ERR]),
    "dbridge_notify": (c_int32, [_P, c_char_p, c_uint64, c_char_p, c_uint64, _ERR]),
    "dbridge_notification_free": (None, [_P]),
    "dbridge_notification_channel": (_STR, [_P, _U64P]),
    "dbridge_notification_payload": (_STR, [_P, _U64P]),
    "dbridge_notification_pattern": (_STR, [_P, _U64P]),
    "dbridge_notification_sender_pid": (c_int64, [_P]),
}


def _declare():
    missing = []
    for name, (restype, argtypes) in _SIGNATURES.items():
        try:
            fn = getattr(lib, name)
        except AttributeError:
            missing.append(name)
            continue
        fn.restype = restype
        fn.argtypes = argtypes
    if missing:
        raise ImportError("dbridge: %s lacks the C API functions %s; it is older than this module"
                          % (lib._name, ", ".join(missing)))


_declare()


def lossy_text(raw):
    """str of bytes the library returned: UTF-8, with bytes that are not UTF-8 replaced."""
    return raw.decode("utf-8", "replace")


def text_at(ptr, length):
    """Python str of (ptr, length) UTF-8 returned by the library ("" for NULL)."""
    if not ptr or not length:
        return ""
    return lossy_text(ctypes.string_at(ptr, length))


def bytes_at(ptr, length):
    if not ptr or not length:
        return b""
    return ctypes.string_at(ptr, length)


def owned_text(fn, *args):
    """Calls a function returning owned text (char** out, uint64* len), frees it, returns str."""
    out = _STR()
    n = c_uint64()
    err = c_void_p()
    status = fn(*args, byref(out), byref(n), byref(err))
    check(status, err)
    try:
        return text_at(out, n.value)
    finally:
        lib.dbridge_string_free(ctypes.cast(out, c_void_p))


def check(status, err):
    """Raises the PEP 249 exception for a negative status (err: the c_void_p the call filled)."""
    if status < 0:
        from .exceptions import raise_from_error
        raise_from_error(status, err)
    return status


__all__ = ["lib", "check", "lossy_text", "text_at", "bytes_at", "owned_text", "byref", "c_void_p", "c_uint64",
           "c_int64", "c_int32", "c_uint32", "c_uint8", "c_double", "c_char_p", "ctypes"]
