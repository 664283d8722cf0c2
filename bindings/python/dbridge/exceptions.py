# SPDX-License-Identifier: Apache-2.0
"""The PEP 249 exception hierarchy, and the mapping from dbridge's error categories to it."""
import ctypes


class Warning(Exception):  # noqa: A001 - the name PEP 249 requires
    """Important warnings (PEP 249)."""


class Error(Exception):
    """Base of every dbridge error (PEP 249).

    Besides the message it carries dbridge's record of the failure:
    ``category`` ("constraint", "timeout"...), ``subcategory`` ("unique_violation"...),
    ``sqlstate``, ``native_code``, ``retry`` ("none", "same_connection",
    "new_connection", "unknown_outcome"), ``connection_broken`` and the text
    fields ``detail``, ``hint``, ``constraint``, ``table``, ``column``,
    ``schema``, ``backend_code``, ``native_domain``, ``driver`` and ``query``.
    """

    category = None
    subcategory = None
    sqlstate = ""
    native_code = 0
    retry = "none"
    connection_broken = False

    # The text fields (_TEXT_FIELDS) default to "" on the class: an error
    # made in Python has none.


class InterfaceError(Error):
    """An error of the interface rather than the database (closed cursor, library mismatch)."""


class DatabaseError(Error):
    """An error related to the database."""


class DataError(DatabaseError):
    """A problem with the processed data: a value out of range, a bad conversion, invalid UTF-8."""


class OperationalError(DatabaseError):
    """The database's operation failed: connection lost, timeout, cancel, authentication,
    a transaction conflict, resources exhausted."""


class IntegrityError(DatabaseError):
    """Relational integrity is affected: unique, foreign key, not-null or check violation."""


class InternalError(DatabaseError):
    """The database or the driver is in a state that does not allow the call (e.g. the
    transaction is aborted, a result is no longer valid), or an internal bug."""


class ProgrammingError(DatabaseError):
    """A programming error: syntax error, undefined table or column, wrong number of parameters."""


class NotSupportedError(DatabaseError):
    """The driver or the database lacks a feature that was asked for."""


_TEXT_FIELDS = ("detail", "hint", "severity", "constraint", "table", "column", "schema", "backend_code",
                "native_domain", "driver", "query")
for _field in _TEXT_FIELDS:
    setattr(Error, _field, "")

CATEGORY_NAMES = {1: "connection", 2: "auth", 3: "syntax", 4: "constraint", 5: "txn_conflict", 6: "timeout",
                  7: "cancelled", 8: "unsupported", 9: "invalid_argument", 10: "incompatible", 11: "resource",
                  12: "internal", 13: "not_found", 14: "data", 15: "invalid_state", 16: "backend"}

SUBCATEGORY_NAMES = {0: None, 1: "unique_violation", 2: "foreign_key_violation", 3: "not_null_violation",
                     4: "check_violation", 5: "serialization_failure", 6: "deadlock", 7: "lock_timeout",
                     8: "undefined_table", 9: "undefined_column", 10: "admin_shutdown", 11: "pool_exhausted",
                     12: "invalid_utf8", 13: "wrong_type", 14: "nul_byte"}

RETRY_NAMES = {0: "none", 1: "same_connection", 2: "new_connection", 3: "unknown_outcome"}

# One rule: which PEP 249 class each dbridge category is.
CATEGORY_CLASSES = {
    "connection": OperationalError,
    "auth": OperationalError,
    "syntax": ProgrammingError,
    "constraint": IntegrityError,
    "txn_conflict": OperationalError,
    "timeout": OperationalError,
    "cancelled": OperationalError,
    "unsupported": NotSupportedError,
    "invalid_argument": ProgrammingError,
    "incompatible": InterfaceError,
    "resource": OperationalError,
    "internal": InternalError,
    "not_found": ProgrammingError,
    "data": DataError,
    "invalid_state": InternalError,
    "backend": DatabaseError,
}

# A "backend" error (anything the driver did not classify) is narrowed by its
# SQLSTATE class, as the SQL standard groups them.
_SQLSTATE_CLASSES = {
    "0A": NotSupportedError,
    "21": ProgrammingError,  # cardinality violation
    "22": DataError,
    "23": IntegrityError,
    "42": ProgrammingError,  # e.g. 42P07 duplicate table
    "08": OperationalError,
    "53": OperationalError,
    "54": OperationalError,
    "57": OperationalError,
    "58": OperationalError,
    "XX": InternalError,
}


def class_for(category, sqlstate=""):
    cls = CATEGORY_CLASSES.get(category, InternalError)
    if category == "backend" and sqlstate:
        cls = _SQLSTATE_CLASSES.get(sqlstate[:2], cls)
    return cls


def make_error(status, errp):
    """The exception for a failed call: status < 0, errp the dbridge_error* it filled (may be NULL)."""
    from ._lib import lib, text_at, c_uint64
    err = errp.value if errp is not None else None
    if not err:
        category = CATEGORY_NAMES.get(-status, "internal")
        return class_for(category)("dbridge: %s error (no error record)" % category)
    try:
        n = c_uint64()
        message = text_at(lib.dbridge_error_message(err, ctypes.byref(n)), n.value)
        category = CATEGORY_NAMES.get(lib.dbridge_error_category(err), "internal")
        sqlstate = (lib.dbridge_error_sqlstate(err) or b"").decode("ascii", "replace")
        exc = class_for(category, sqlstate)(message)
        exc.category = category
        exc.subcategory = SUBCATEGORY_NAMES.get(lib.dbridge_error_subcategory(err))
        exc.sqlstate = sqlstate
        exc.native_code = lib.dbridge_error_native_code(err)
        exc.retry = RETRY_NAMES.get(lib.dbridge_error_retry(err), "none")
        exc.connection_broken = bool(lib.dbridge_error_connection_broken(err))
        from ._lib import ERRF
        for field in _TEXT_FIELDS:
            setattr(exc, field, text_at(lib.dbridge_error_field(err, ERRF[field], ctypes.byref(n)), n.value))
        return exc
    finally:
        lib.dbridge_error_free(err)


def raise_from_error(status, errp):
    raise make_error(status, errp)
