# SPDX-License-Identifier: Apache-2.0
"""dbridge: a PEP 249 (DB-API 2.0) module over dbridge's C API, through ctypes.

    import dbridge
    with dbridge.connect("sqlite:///tmp/shop.db") as db:
        cur = db.cursor()
        cur.execute("SELECT id, name FROM users WHERE age > ?", (18,))
        for id, name in cur:
            ...

One module reaches every backend a dbridge plugin serves (SQLite, PostgreSQL,
MariaDB/MySQL, Redis...), picked by the URL's scheme. libdbridge is found
through DBRIDGE_LIBRARY, then the source tree's build/, then the installed
prefixes, then the linker's search path.
"""
from . import _lib
from .exceptions import (Warning, Error, InterfaceError, DatabaseError, DataError, OperationalError,  # noqa: F401
                         IntegrityError, InternalError, ProgrammingError, NotSupportedError)
from .types import (STRING, BINARY, NUMBER, DATETIME, ROWID, UUID, JSON, ARRAY, TypeCode,  # noqa: F401
                    Date, Time, Timestamp, DateFromTicks, TimeFromTicks, TimestampFromTicks, Binary, Json,
                    Interval)
from .connection import (connect, pool, Pool, Connection, Cursor, Listener, Notification, ReplyError,  # noqa: F401
                         registry, plugins)

apilevel = "2.0"
# Threads may share the module, not connections (pools hand connections between threads).
threadsafety = 1
# ? placeholders (PostgreSQL's $1 and SQLite's ?1 work too).
paramstyle = "qmark"

__version__ = "1.0.0"


def library_version():
    """libdbridge's version text, e.g. "1.4.0"."""
    return _lib.lib.dbridge_version().decode()


def abi_version():
    """(major, minor) of the plugin ABI libdbridge speaks."""
    major, minor = _lib.c_uint32(), _lib.c_uint32()
    _lib.lib.dbridge_abi_version(_lib.byref(major), _lib.byref(minor))
    return major.value, minor.value
