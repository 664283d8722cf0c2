# SPDX-License-Identifier: Apache-2.0
"""PEP 249 Connection and Cursor on dbridge's C API."""
import collections
import collections.abc
import json
import struct
import weakref

from . import _lib
from ._lib import (lib, check, byref, c_void_p, c_uint64, c_int64, c_int32, c_uint32, ctypes, text_at, bytes_at,
                   lossy_text)
from ._convert import bind, bind_rows, wide_ints, BatchReader
from .exceptions import InterfaceError, NotSupportedError, ProgrammingError
from .types import TypeCode

# Rows per batch when a caller wants everything; one call into the library
# per batch and per column, whatever the row count.
_BATCH_ALL = 8192
# Rows read ahead for fetchone() and iteration.
_BATCH_AHEAD = 4096


def _utf8(text, what):
    if isinstance(text, bytes):
        return text
    if not isinstance(text, str):
        raise ProgrammingError("dbridge: %s must be str, not %s" % (what, type(text).__name__))
    return text.encode("utf-8")


def _options(options):
    """Key/value C arrays of connect/pool options; a list value repeats its key."""
    keys, values = [], []
    for k, v in options.items():
        for item in (v if isinstance(v, (list, tuple)) else (v,)):
            keys.append(k.encode())
            values.append((("1" if item else "0") if isinstance(item, bool) else str(item)).encode())
    n = len(keys)
    return (ctypes.c_char_p * n)(*keys), (ctypes.c_char_p * n)(*values), n


def _arg_bytes(a):
    if isinstance(a, bytes):
        return a
    if isinstance(a, (bytearray, memoryview)):
        return bytes(a)
    if isinstance(a, str):
        return a.encode("utf-8")
    if isinstance(a, (int, float)) and not isinstance(a, bool):
        return repr(a).encode()
    raise ProgrammingError("dbridge: a command argument must be str, bytes, int or float, not %s" % type(a).__name__)


class ReplyError:
    """An error reply inside a reply array (e.g. one failed command of a Redis EXEC)."""

    __slots__ = ("message",)

    def __init__(self, message):
        self.message = message

    def __eq__(self, other):
        return isinstance(other, ReplyError) and other.message == self.message

    def __repr__(self):
        return "ReplyError(%r)" % self.message


_COUNT = struct.Struct("=Q")
_AGGREGATES = (_lib.R_ARRAY, _lib.R_MAP, _lib.R_SET, _lib.R_PUSH)


def _decode_reply(buf):
    """The reply tree dbridge_command_encoded laid out in buf (layout in dbridge.h):
    None, int, float, bool, bytes, str, list, dict, set or ReplyError."""
    n = _COUNT.unpack_from(buf)[0]
    types = buf[8:8 + n]
    off = 8 + (n + 7) // 8 * 8
    view = memoryview(buf)
    a = view[off:off + 8 * n].cast("q").tolist()
    b = view[off + 8 * n:off + 16 * n].cast("q").tolist()
    data = buf[off + 16 * n:]
    # The common shape, a flat array of strings (LRANGE, MGET, KEYS...), in one pass.
    if n > 1 and types[0] == _lib.R_ARRAY and a[0] == n - 1 and types.count(_lib.R_STRING) == n - 1:
        return [data[s:e] for s, e in zip(a[1:], b[1:])]

    def node(i):
        t = types[i]
        if t == _lib.R_STRING:
            return data[a[i]:b[i]], i + 1
        if t == _lib.R_INTEGER:
            return a[i], i + 1
        if t == _lib.R_NIL:
            return None, i + 1
        if t == _lib.R_BOOL:
            return bool(a[i]), i + 1
        if t == _lib.R_DOUBLE:
            return view[off + 8 * i:off + 8 * i + 8].cast("d")[0], i + 1
        if t in _AGGREGATES:
            items, j = [], i + 1
            for _ in range(a[i]):
                v, j = node(j)
                items.append(v)
            if t == _lib.R_MAP:
                return {_hashable(items[k]): items[k + 1] for k in range(0, len(items) - 1, 2)}, j
            if t == _lib.R_SET:
                try:
                    return set(items), j
                except TypeError:
                    return items, j
            return items, j
        raw = data[a[i]:b[i]]
        if t == _lib.R_BIGNUM:
            return int(raw), i + 1
        text = raw.decode("utf-8", "replace")
        return (ReplyError(text) if t == _lib.R_ERROR else text), i + 1

    return node(0)[0]


def _hashable(v):
    return tuple(v) if isinstance(v, list) else v


class Notification(collections.namedtuple("Notification", "channel payload pattern pid")):
    """One message: PostgreSQL NOTIFY or Redis PUBLISH (pattern: the PSUBSCRIBE glob that matched).

    channel, payload and pattern are str, with bytes that are not UTF-8 replaced; a Redis message
    is any bytes, so channel_bytes, payload_bytes and pattern_bytes (None without a pattern) hold
    them as sent. They are attributes beside the tuple, which stays (channel, payload, pattern, pid)."""

    def __new__(cls, channel, payload, pattern, pid, channel_bytes=None, payload_bytes=None, pattern_bytes=None):
        self = super().__new__(cls, channel, payload, pattern, pid)
        self.channel_bytes = channel.encode() if channel_bytes is None else channel_bytes
        self.payload_bytes = payload.encode() if payload_bytes is None else payload_bytes
        if pattern_bytes is None and pattern is not None:
            pattern_bytes = pattern.encode()
        self.pattern_bytes = pattern_bytes
        return self


class Connection:
    """A PEP 249 connection. Autocommit is off: the first statement opens a
    transaction that commit() or rollback() ends (drivers without
    transactions, such as Redis, run every call on its own).

    Used as a context manager it commits when the block succeeds, rolls back
    when it raises, and closes (a pooled connection goes back to its pool).
    """

    def __init__(self, handle, autocommit=False, pooled=False):
        self._h = handle
        self._pooled = pooled
        self._tx = None
        self._autocommit = bool(autocommit)
        self._streaming = None  # the cursor whose result is open on the connection, if any
        self._cursors = weakref.WeakSet()
        self._err = c_void_p()
        # Implicit transactions are SQL's: a Redis MULTI queues commands instead.
        self._transactional = self.has_capability("sql") and self.has_capability("transactions")
        self._wide_ints = wide_ints(self.plugin_id)

    # ------------------------------------------------------------ PEP 249
    def cursor(self):
        self._live()
        cur = Cursor(self)
        self._cursors.add(cur)
        return cur

    def commit(self):
        self._live()
        self._end_tx(lib.dbridge_tx_commit)

    def rollback(self):
        self._live()
        self._end_tx(lib.dbridge_tx_rollback)

    def close(self):
        """Closes the connection (gives it back, when pooled); a transaction
        still open is rolled back. Idempotent. While another thread is inside a
        call on this connection (e.g. blocked in Listener.wait) it raises
        InternalError (category invalid_state) and closes nothing."""
        if self._h is None:
            return
        err = c_void_p()
        check(lib.dbridge_conn_try_close(self._h, byref(err)), err)
        try:
            for cur in list(self._cursors):
                cur._free_result()
                cur._rows, cur._pos = [], 0
            if self._tx is not None:
                lib.dbridge_tx_free(self._tx)  # rolls back
                self._tx = None
        finally:
            h, self._h = self._h, None
            if self._pooled:
                lib.dbridge_pool_release(h)
            else:
                lib.dbridge_conn_free(h)

    def __enter__(self):
        self._live()
        return self

    def __exit__(self, exc_type, exc, tb):
        if self._h is None:
            return
        try:
            if exc_type is None:
                self.commit()
            else:
                self.rollback()
        finally:
            self.close()

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - never raise from a finalizer
            pass

    @property
    def autocommit(self):
        return self._autocommit

    @autocommit.setter
    def autocommit(self, on):
        """Turning autocommit on commits the transaction in progress."""
        self._live()
        on = bool(on)
        if on and self._tx is not None:
            self.commit()
        self._autocommit = on

    @property
    def closed(self):
        return self._h is None or not lib.dbridge_conn_is_open(self._h)

    # PEP 249 optional extension: the exceptions as connection attributes.
    from .exceptions import (Warning, Error, InterfaceError, DatabaseError, DataError,  # noqa: E402
                             OperationalError, IntegrityError, InternalError, ProgrammingError,
                             NotSupportedError)

    # --------------------------------------------------------- extras
    def execute(self, sql, params=None):
        """A new cursor with sql executed on it (as sqlite3's Connection.execute)."""
        cur = self.cursor()
        cur.execute(sql, params)
        return cur

    @property
    def in_transaction(self):
        out = c_int32()
        self._call(lib.dbridge_conn_in_transaction, byref(out))
        return bool(out.value)

    def ping(self):
        """True when the server answers."""
        err = c_void_p()
        status = lib.dbridge_conn_ping(self._live(), byref(err))
        lib.dbridge_error_free(err)
        return status == _lib.OK

    def cancel(self):
        """Cancels the statement running on this connection (any thread)."""
        self._call(lib.dbridge_conn_cancel)

    @property
    def id(self):
        out = c_uint64()
        self._call(lib.dbridge_conn_id, byref(out))
        return out.value

    @property
    def scheme(self):
        return self._text(lib.dbridge_conn_scheme)

    @property
    def plugin_id(self):
        return self._text(lib.dbridge_conn_plugin_id)

    @property
    def url(self):
        """The connection URL with its password redacted."""
        return self._text(lib.dbridge_conn_redacted_url)

    def has_capability(self, name):
        out = c_int32()
        b = name.encode()
        self._call(lib.dbridge_conn_has_capability, b, len(b), byref(out))
        return bool(out.value)

    def set_option(self, key, value):
        """A driver option at run time, e.g. set_option("statement_timeout_ms", 500)."""
        params = _Params()
        bind(params.h, (value,))
        k = key.encode()
        self._call(lib.dbridge_conn_set_option, k, len(k), params.h)

    def command(self, *args):
        """Sends one command (Redis and other command-shaped backends) and returns its reply:
        None, int, float, bool, bytes (strings), str (status), list, dict, set or ReplyError."""
        if len(args) == 1 and isinstance(args[0], (list, tuple)):
            args = tuple(args[0])
        argv = [_arg_bytes(a) for a in args]
        n = len(argv)
        ptrs = (ctypes.c_char_p * n)(*argv)
        lens = (c_uint64 * n)(*map(len, argv))
        out, size = c_void_p(), c_uint64()
        self._before_statement(begin=False)
        self._call(lib.dbridge_command_encoded, n, ptrs, lens, byref(out), byref(size))
        return _decode_reply(ctypes.string_at(out, size.value))

    def notify(self, channel, payload=""):
        """PostgreSQL NOTIFY / Redis PUBLISH."""
        c, p = _utf8(channel, "channel"), _utf8(payload, "payload")
        self._before_statement(begin=False)
        self._call(lib.dbridge_notify, c, len(c), p, len(p))

    def listen(self, *channels, patterns=()):
        """A Listener on this connection, joined to channels (and Redis glob patterns).
        Iterate it for Notification tuples. PostgreSQL runs LISTEN inside an open
        transaction, so with autocommit off it takes effect at commit(): listen on an
        autocommit connection, or commit first."""
        return Listener(self, channels, patterns)

    subscribe = listen

    # -------------------------------------------------------- internals
    def _live(self):
        if self._h is None:
            raise InterfaceError("dbridge: the connection is closed")
        return self._h

    def _call(self, fn, *args):
        err = self._err
        return check(fn(self._live(), *args, byref(err)), err)

    def _text(self, fn):
        ptr, n = ctypes.POINTER(ctypes.c_char)(), c_uint64()
        self._call(fn, byref(ptr), byref(n))
        return text_at(ptr, n.value)

    def _before_statement(self, cursor=None, begin=True):
        """Makes the connection ready for a new statement: another cursor's open
        result is read into its buffer, and a transaction begins unless autocommit."""
        self._live()
        streaming = self._streaming
        if streaming is not None and streaming is not cursor:
            streaming._buffer_rest()
        if begin and not self._autocommit and self._tx is None and self._transactional:
            tx = c_void_p()
            self._call(lib.dbridge_begin, 0, 0, -1, byref(tx))
            self._tx = tx

    def _end_tx(self, fn):
        if self._streaming is not None:
            self._streaming._buffer_rest()
        tx, self._tx = self._tx, None
        if tx is None:
            return
        err = self._err
        try:
            check(fn(tx, byref(err)), err)
        finally:
            lib.dbridge_tx_free(tx)


class _Params:
    """An owned dbridge_params handle."""

    __slots__ = ("h",)

    def __init__(self):
        self.h = c_void_p()
        err = c_void_p()
        check(lib.dbridge_params_new(byref(self.h), byref(err)), err)

    def clear(self):
        err = c_void_p()
        check(lib.dbridge_params_clear(self.h, byref(err)), err)

    def __del__(self):
        lib.dbridge_params_free(self.h)


class Cursor:
    """A PEP 249 cursor. Rows stream from the server in batches; a result
    left open when another statement runs on the same connection is read
    into this cursor first, so its rows stay fetchable."""

    def __init__(self, connection):
        self.connection = connection
        self.arraysize = 1
        self.description = None
        self.rowcount = -1
        self.lastrowid = None
        self._closed = False
        self._params = None
        self._result = None
        self._reader = None
        self._rows = []
        self._pos = 0
        self._fetched = 0

    # ------------------------------------------------------------ PEP 249
    def execute(self, operation, parameters=None):
        conn = self._conn()
        sql = _utf8(operation, "the operation")
        self._reset()
        conn._before_statement(self)
        params = self._bind(parameters)
        result = c_void_p()
        conn._call(lib.dbridge_query, sql, len(sql), params, byref(result))
        self._start(result)
        return self

    def executemany(self, operation, seq_of_parameters):
        """Runs the statement for every parameter set in one call into the library, on the
        driver's bulk path; all or nothing (a failing set rolls back every set and the
        error names its index). rowcount is the total."""
        conn = self._conn()
        sql = _utf8(operation, "the operation")
        rows = seq_of_parameters if isinstance(seq_of_parameters, (list, tuple)) else list(seq_of_parameters)
        self._reset()
        conn._before_statement(self)
        if not rows:
            self.rowcount = 0
            return self
        if self._params is None:
            self._params = _Params()
        width = bind_rows(self._params.h, rows, conn._wide_ints)
        stmt = c_void_p()
        conn._call(lib.dbridge_prepare, sql, len(sql), byref(stmt))
        affected, failed, err = c_int64(), c_uint64(), conn._err
        try:
            check(lib.dbridge_stmt_execute_many(stmt, self._params.h, width, byref(affected), byref(failed),
                                                byref(err)), err)
        finally:
            lib.dbridge_stmt_free(stmt)
        self.rowcount = affected.value
        self.lastrowid = self._last_insert_id(lib.dbridge_conn_last_insert_id, conn._h)
        return self

    def fetchone(self):
        return next(self, None)

    def fetchmany(self, size=None):
        if size is None:
            size = self.arraysize
        out = self._take(size)
        while len(out) < size and self._refill(max(size - len(out), _BATCH_AHEAD)):
            out.extend(self._take(size - len(out)))
        return out

    def fetchall(self):
        self._check_rows()
        out = self._take(len(self._rows))
        while self._result is not None:
            rows = self._read(_BATCH_ALL)
            if not rows:
                break
            if out:
                out.extend(rows)
            else:
                out = rows
        return out

    def __iter__(self):
        return self

    def __next__(self):
        # The hot path of row-by-row readers (fetchone() too): a list index.
        try:
            row = self._rows[self._pos]
        except IndexError:
            if not self._refill(_BATCH_AHEAD):
                raise StopIteration from None
            row = self._rows[0]
        self._pos += 1
        return row

    def close(self):
        self._free_result()
        self._rows, self._pos = [], 0
        self._closed = True
        self._params = None

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        try:
            self._free_result()
        except Exception:  # noqa: BLE001
            pass

    def setinputsizes(self, sizes):
        pass

    def setoutputsize(self, size, column=None):
        pass

    def callproc(self, procname, parameters=()):
        raise NotSupportedError("dbridge: callproc is not supported; execute CALL or SELECT the function")

    def nextset(self):
        """Moves to the next result set (stored procedures): True, or None when there is none."""
        if self._result is None:
            return None
        err = self._conn()._err
        status = check(lib.dbridge_result_next_result(self._result, byref(err)), err)
        if status == _lib.DONE:
            self._free_result()
            return None
        self._rows, self._pos = [], 0
        self._describe()
        return True

    # -------------------------------------------------------- internals
    def _conn(self):
        if self._closed:
            raise InterfaceError("dbridge: the cursor is closed")
        self.connection._live()
        return self.connection

    def _bind(self, parameters):
        if parameters is None:
            return None
        if isinstance(parameters, (str, bytes)) or not isinstance(parameters, collections.abc.Sequence):
            raise ProgrammingError("dbridge: parameters must be a sequence (paramstyle 'qmark': ? or $1); got %s"
                                   % type(parameters).__name__)
        if self._params is None:
            self._params = _Params()
        else:
            self._params.clear()
        bind(self._params.h, parameters, self.connection._wide_ints)
        return self._params.h

    def _reset(self):
        self._free_result()
        self._rows, self._pos, self._fetched = [], 0, 0
        self.description = None
        self.rowcount = -1
        self.lastrowid = None

    def _start(self, result):
        err = self.connection._err
        ncols = c_uint32()
        try:
            check(lib.dbridge_result_column_count(result, byref(ncols), byref(err)), err)
        except BaseException:
            lib.dbridge_result_free(result)
            raise
        self._result = result
        if ncols.value == 0:
            affected = c_int64()
            check(lib.dbridge_result_affected_rows(result, byref(affected), byref(err)), err)
            self.rowcount = affected.value
            self.lastrowid = self._last_insert_id(lib.dbridge_result_last_insert_id, result)
            self._free_result()
            return
        self.connection._streaming = self
        self._describe()

    def _describe(self):
        r, err = self._result, self.connection._err
        ncols = c_uint32()
        check(lib.dbridge_result_column_count(r, byref(ncols), byref(err)), err)
        ptr, n, tag = ctypes.POINTER(ctypes.c_char)(), c_uint64(), c_uint32()
        desc = []
        for col in range(ncols.value):
            check(lib.dbridge_result_column_name(r, col, byref(ptr), byref(n), byref(err)), err)
            name = text_at(ptr, n.value)
            check(lib.dbridge_result_column_type(r, col, byref(tag), byref(err)), err)
            desc.append((name, TypeCode.of(tag.value), None, None, None, None, None))
        self.description = desc
        self._reader = BatchReader(r, ncols.value)

    @staticmethod
    def _last_insert_id(fn, handle):
        out, err = c_int64(), c_void_p()
        status = check(fn(handle, byref(out), byref(err)), err)
        return out.value if status == _lib.OK else None

    def _check_rows(self):
        self._conn()
        if self.description is None and self._result is None:
            raise ProgrammingError("dbridge: no rows to fetch: the last statement returned none")

    def _take(self, n):
        self._check_rows()
        out = self._rows[self._pos:self._pos + n]
        self._pos += len(out)
        return out

    def _refill(self, n):
        self._check_rows()
        if self._result is None:
            return False
        rows = self._read(n)
        self._rows, self._pos = rows, 0
        return bool(rows)

    def _read(self, n):
        try:
            rows = self._reader.fetch(n)
        except BaseException:
            self._free_result()
            raise
        if rows:
            self._fetched += len(rows)
        else:
            self._free_result()
            if self.rowcount < 0:
                self.rowcount = self._fetched
        return rows

    def _buffer_rest(self):
        """Reads what is left of the open result into memory, freeing the connection."""
        rest = self._rows[self._pos:]
        while self._result is not None:
            rest.extend(self._read(_BATCH_ALL))
        self._rows, self._pos = rest, 0

    def _free_result(self):
        r, self._result = self._result, None
        self._reader = None
        conn = self.connection
        if conn is not None and conn._streaming is self:
            conn._streaming = None
        if r is not None:
            lib.dbridge_result_free(r)


class _OwnedHandle:
    """An object owning one C handle: close() releases it (idempotent), a with block closes it."""

    _h = None
    _kind = "handle"

    def close(self):
        h, self._h = self._h, None
        if h:
            self._release(h)

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def __del__(self):
        self.close()

    def _live(self):
        if not self._h:
            raise InterfaceError("dbridge: the %s is closed" % self._kind)
        return self._h


class Listener(_OwnedHandle):
    """Notifications (PostgreSQL LISTEN) or messages (Redis SUBSCRIBE / PSUBSCRIBE) on one
    connection. Iterating blocks for the next Notification; wait(timeout) gives None when
    none came in time; messages(timeout) yields until a wait times out."""

    _poll_ms = 200  # iteration waits in slices so Ctrl-C is seen
    _kind = "listener"

    def __init__(self, connection, channels=(), patterns=()):
        self.connection = connection
        # LISTEN inside a transaction would only start at its commit.
        connection._before_statement(begin=False)
        self._h = c_void_p()
        connection._call(lib.dbridge_listener_new, byref(self._h))
        for c in channels:
            self.listen(c)
        for p in patterns:
            self.listen_pattern(p)

    def listen(self, channel):
        self._call(lib.dbridge_listener_listen, channel)

    def listen_pattern(self, pattern):
        self._call(lib.dbridge_listener_listen_pattern, pattern)

    def unlisten(self, channel=""):
        """Leaves channel ("" = every channel)."""
        self._call(lib.dbridge_listener_unlisten, channel)

    def unlisten_pattern(self, pattern=""):
        self._call(lib.dbridge_listener_unlisten_pattern, pattern)

    def wait(self, timeout=None):
        """The next Notification, or None after timeout seconds (None: no limit)."""
        ms = _lib.WAIT_FOREVER if timeout is None else max(0, int(timeout * 1000))
        out, err = c_void_p(), c_void_p()
        status = check(lib.dbridge_listener_wait(self._live(), ms, byref(out), byref(err)), err)
        if status == _lib.EMPTY or not out:
            return None
        try:
            n = c_uint64()
            channel = bytes_at(lib.dbridge_notification_channel(out, byref(n)), n.value)
            payload = bytes_at(lib.dbridge_notification_payload(out, byref(n)), n.value)
            pat = lib.dbridge_notification_pattern(out, byref(n))
            pattern = bytes_at(pat, n.value) if pat else None
            return Notification(lossy_text(channel), lossy_text(payload),
                                None if pattern is None else lossy_text(pattern),
                                lib.dbridge_notification_sender_pid(out), channel, payload, pattern)
        finally:
            lib.dbridge_notification_free(out)

    def messages(self, timeout):
        """Yields Notifications until none comes within timeout seconds."""
        while True:
            n = self.wait(timeout)
            if n is None:
                return
            yield n

    def __iter__(self):
        return self

    def __next__(self):
        while True:
            n = self.wait(self._poll_ms / 1000)
            if n is not None:
                return n

    @staticmethod
    def _release(h):
        lib.dbridge_listener_free(h)

    def _call(self, fn, name):
        b = _utf8(name, "channel")
        err = c_void_p()
        check(fn(self._live(), b, len(b), byref(err)), err)


def connect(url, autocommit=False, **options):
    """Opens a connection; the URL's scheme picks the driver ("sqlite:///path",
    "postgresql://...", "mysql://...", "redis://..."). Options: opened_by,
    statement_cache_size; driver settings go in the URL's query."""
    u = _utf8(url, "the URL")
    keys, values, n = _options(options)
    h, err = c_void_p(), c_void_p()
    check(lib.dbridge_connect(u, len(u), keys, values, n, byref(h), byref(err)), err)
    try:
        return Connection(h, autocommit=autocommit)
    except BaseException:
        lib.dbridge_conn_free(h)
        raise


class Pool(_OwnedHandle):
    """A thread-safe connection pool. acquire() returns a Connection whose close()
    (or the end of its with block) gives it back."""

    _kind = "pool"

    def __init__(self, url, **options):
        u = _utf8(url, "the URL")
        keys, values, n = _options(options)
        self._h, err = c_void_p(), c_void_p()
        check(lib.dbridge_pool_open(u, len(u), keys, values, n, byref(self._h), byref(err)), err)

    def acquire(self, timeout=None, autocommit=False):
        """A connection, waiting up to timeout seconds (None: the pool's acquire_timeout)."""
        ms = _lib.WAIT_FOREVER if timeout is None else max(0, int(timeout * 1000))
        h, err = c_void_p(), c_void_p()
        check(lib.dbridge_pool_acquire(self._live(), ms, byref(h), byref(err)), err)
        return self._wrap(h, autocommit)

    def acquire_read(self, autocommit=False):
        """A connection to a read replica (the primary when there is none)."""
        h, err = c_void_p(), c_void_p()
        check(lib.dbridge_pool_acquire_read(self._live(), byref(h), byref(err)), err)
        return self._wrap(h, autocommit)

    def metrics(self):
        """Live figures and health (dict: healthy, status, primary {total, idle, in_use, waiting...})."""
        return json.loads(_lib.owned_text(lib.dbridge_pool_metrics_json, self._live()))

    @staticmethod
    def _release(h):
        lib.dbridge_pool_close(h)
        lib.dbridge_pool_free(h)

    @staticmethod
    def _wrap(h, autocommit):
        try:
            return Connection(h, autocommit=autocommit, pooled=True)
        except BaseException:
            lib.dbridge_pool_release(h)
            raise


def pool(url, **options):
    """Opens a Pool. Options as the C API's (min, max, acquire_timeout_ms, idle_timeout_ms,
    max_lifetime_ms, transaction_timeout_ms, validate_on_acquire, strategy, name, read_url...)."""
    return Pool(url, **options)


def registry():
    """Every open connection of the process (id, scheme, database, redacted URL, state...)."""
    return json.loads(_lib.owned_text(lib.dbridge_registry_json))


def plugins():
    """The plugin catalog: search path, plugins and problems."""
    return json.loads(_lib.owned_text(lib.dbridge_plugins_json))
