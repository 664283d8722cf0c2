# SPDX-License-Identifier: Apache-2.0
"""Python values to dbridge parameters, and dbridge cells to Python values.

Reading goes column by column over a fetched batch (dbridge_result_batch_column):
a column whose cells share one type is converted with a few C-speed
operations (memoryview casts, map), not one ctypes call per cell.
"""
import array
import collections.abc
import datetime
import decimal
import functools
import itertools
import json
import struct
import uuid

from . import _lib
from ._lib import (lib, check, byref, c_void_p, c_uint64, c_int64, ctypes, bytes_at,
                   T_NULL, T_BOOL, T_INT64, T_UINT64, T_DOUBLE, T_TEXT, T_BYTES, T_DECIMAL, T_DATE, T_TIME,
                   T_TIMESTAMP, T_TIMESTAMPTZ, T_INTERVAL, T_UUID, T_JSON, T_ARRAY)
from .exceptions import DataError, ProgrammingError
from .types import Interval, Json

_EPOCH_ORDINAL = datetime.date(1970, 1, 1).toordinal()
_EPOCH = datetime.datetime(1970, 1, 1)
_EPOCH_UTC = datetime.datetime(1970, 1, 1, tzinfo=datetime.timezone.utc)
_ONE_US = datetime.timedelta(microseconds=1)
_US_PER_DAY = 86400 * 10**6
_INT64_MIN, _INT64_MAX, _UINT64_MAX = -2**63, 2**63 - 1, 2**64 - 1
_INF_POS, _INF_NEG = 1, -1
_FLAG_POS_INF, _FLAG_NEG_INF, _FLAG_TIME_OFFSET = 0x1, 0x2, 0x4


# --------------------------------------------------------------- binding

def _micros_of_time(t):
    return ((t.hour * 60 + t.minute) * 60 + t.second) * 10**6 + t.microsecond


def _offset_seconds(tzinfo_offset):
    return int(tzinfo_offset.total_seconds())


# Plugins whose databases have no exact number wider than 64 bits. An int
# past 64 bits goes to the others as an exact decimal; these would take that
# decimal as text, which a column's numeric affinity then rounds to a REAL.
_NO_WIDE_INTS = frozenset({"sqlite"})


def wide_ints(plugin_id):
    """Whether ints past 64 bits may be bound (as exact decimals) on this plugin's connections."""
    return plugin_id not in _NO_WIDE_INTS


def bind(params, values, wide=True):
    """Appends each Python value of the sequence `values` to the dbridge_params handle;
    `wide` is wide_ints() of the connection the values are for."""
    err = c_void_p()
    for i, v in enumerate(values, 1):
        _bind_one(params, v, err, wide, i)


def bind_rows(params, rows, wide=True):
    """Fills the dbridge_params handle with rows (a non-empty list of equal-length
    parameter sequences) for dbridge_stmt_execute_many and returns their width.
    A column whose values share one simple type (int, float, str, bytes; None
    allowed) goes in with one call; otherwise every value goes in by itself."""
    for kind in set(map(type, rows)):
        if kind not in (tuple, list) and (issubclass(kind, (str, bytes)) or
                                          not issubclass(kind, collections.abc.Sequence)):
            raise ProgrammingError("dbridge: each parameter set must be a sequence (paramstyle 'qmark'); got %s"
                                   % kind.__name__)
    widths = set(map(len, rows))
    if len(widths) != 1:
        raise ProgrammingError("dbridge: the parameter sets differ in length (%s)" % sorted(widths))
    width = widths.pop()
    err = c_void_p()
    check(lib.dbridge_params_set_rows(params, len(rows), width, byref(err)), err)
    for j, column in enumerate(zip(*rows)):
        if not _bind_column(params, j, column, err):
            check(lib.dbridge_params_clear(params, byref(err)), err)
            for row in rows:
                bind(params, row, wide)
            break
    return width


_NULL_FILL = {int: 0, float: 0.0, str: "", bytes: b""}


def _bind_column(p, j, column, err):
    """Column j of every row in one call; False when its values are not of one simple type."""
    kinds = set(map(type, column))
    nulls = None
    if type(None) in kinds:
        kinds.discard(type(None))
        if len(kinds) != 1 or next(iter(kinds)) not in _NULL_FILL:
            return False
        nulls = bytes([v is None for v in column])
        fill = _NULL_FILL[next(iter(kinds))]
        column = [fill if v is None else v for v in column]
    if len(kinds) != 1:
        return False
    kind = kinds.pop()
    if kind is int or kind is float:
        try:
            values = array.array("q" if kind is int else "d", column)
        except OverflowError:
            return False  # past 64 bits: value by value, as decimals
        fn = lib.dbridge_params_column_int64 if kind is int else lib.dbridge_params_column_double
        status = fn(p, j, values.buffer_info()[0], nulls, byref(err))
    elif kind is str or kind is bytes:
        if kind is str:
            column = [v.encode("utf-8", "surrogatepass") for v in column]
        ends = array.array("Q", itertools.accumulate(map(len, column)))
        fn = lib.dbridge_params_column_text if kind is str else lib.dbridge_params_column_bytes
        status = fn(p, j, b"".join(column), ends.buffer_info()[0], nulls, byref(err))
    else:
        return False
    check(status, err)
    return True


def _bind_one(p, v, err, wide, position):
    e = byref(err)
    if v is None:
        status = lib.dbridge_params_add_null(p, e)
    elif v is True or v is False:
        status = lib.dbridge_params_add_bool(p, 1 if v else 0, e)
    elif isinstance(v, int):
        if _INT64_MIN <= v <= _INT64_MAX:
            status = lib.dbridge_params_add_int64(p, v, e)
        elif 0 <= v <= _UINT64_MAX:
            status = lib.dbridge_params_add_uint64(p, v, e)
        else:
            # Past 64 bits: an exact decimal, which NUMERIC/DECIMAL columns
            # take whole and a narrower column refuses with a DataError.
            if not wide:
                raise DataError("dbridge: parameter %d: integer %d is wider than 64 bits, and SQLite has no exact "
                                "type for it (it would be kept as text, or rounded to a REAL in a numeric column); "
                                "pass str(value) to keep its digits as text" % (position, v))
            s = str(v).encode()
            status = lib.dbridge_params_add_decimal(p, s, len(s), e)
    elif isinstance(v, float):
        status = lib.dbridge_params_add_double(p, v, e)
    elif isinstance(v, str):
        s = v.encode("utf-8", "surrogatepass")
        status = lib.dbridge_params_add_text(p, s, len(s), e)
    elif isinstance(v, (bytes, bytearray, memoryview)):
        b = bytes(v)
        status = lib.dbridge_params_add_bytes(p, b, len(b), e)
    elif isinstance(v, decimal.Decimal):
        s = _decimal_text(v).encode()
        status = lib.dbridge_params_add_decimal(p, s, len(s), e)
    elif isinstance(v, datetime.datetime):
        if v.tzinfo is not None and v.utcoffset() is not None:
            micros = (v - _EPOCH_UTC) // _ONE_US
            status = lib.dbridge_params_add_timestamptz(p, micros, _offset_seconds(v.utcoffset()), 0, e)
        else:
            status = lib.dbridge_params_add_timestamp(p, (v - _EPOCH) // _ONE_US, 0, e)
    elif isinstance(v, datetime.date):
        status = lib.dbridge_params_add_date(p, v.toordinal() - _EPOCH_ORDINAL, 0, e)
    elif isinstance(v, datetime.time):
        off = v.utcoffset()
        status = lib.dbridge_params_add_time(p, _micros_of_time(v), 0 if off is None else 1,
                                             0 if off is None else _offset_seconds(off), e)
    elif isinstance(v, datetime.timedelta):
        status = lib.dbridge_params_add_interval(p, 0, v.days, v.seconds * 10**6 + v.microseconds, e)
    elif isinstance(v, Interval):
        status = lib.dbridge_params_add_interval(p, v.months, v.days, v.microseconds, e)
    elif isinstance(v, uuid.UUID):
        status = lib.dbridge_params_add_uuid(p, v.bytes, e)
    elif isinstance(v, Json):
        s = (v.dumps or json.dumps)(v.obj).encode()
        status = lib.dbridge_params_add_json(p, s, len(s), e)
    elif isinstance(v, dict):
        s = json.dumps(v).encode()
        status = lib.dbridge_params_add_json(p, s, len(s), e)
    elif isinstance(v, (list, tuple)):
        check(lib.dbridge_params_begin_array(p, e), err)
        for item in v:
            _bind_one(p, item, err, wide, position)
        status = lib.dbridge_params_end_array(p, e)
    else:
        raise ProgrammingError("dbridge: cannot bind a %s (%r); use None, bool, int, float, str, bytes, Decimal, "
                               "date, time, datetime, timedelta, UUID, dict, list or dbridge.Json"
                               % (type(v).__name__, v))
    check(status, err)


def _decimal_text(d):
    if d.is_nan():
        return "NaN"
    if d.is_infinite():
        return "Infinity" if d > 0 else "-Infinity"
    return str(d)


# ---------------------------------------------------------- cell values
# One function per type from the C API's primitives; the batch reader, the
# row reader and the array reader all use these.

def _tz(offset_s, _cache={}):
    tz = _cache.get(offset_s)
    if tz is None:
        tz = _cache[offset_s] = (datetime.timezone.utc if offset_s == 0
                                 else datetime.timezone(datetime.timedelta(seconds=offset_s)))
    return tz


def _out_of_range(what, raw):
    return DataError("dbridge: the %s %s is outside the range Python's datetime can hold" % (what, raw))


def date_value(days, infinity=0):
    if infinity:
        return datetime.date.max if infinity > 0 else datetime.date.min
    try:
        return datetime.date.fromordinal(_EPOCH_ORDINAL + days)
    except (ValueError, OverflowError):
        raise _out_of_range("date (days since 1970-01-01)", days) from None


def timestamp_value(micros, infinity=0):
    if infinity:
        return datetime.datetime.max if infinity > 0 else datetime.datetime.min
    try:
        return _EPOCH + datetime.timedelta(0, 0, micros)
    except OverflowError:
        raise _out_of_range("timestamp (microseconds since 1970)", micros) from None


def timestamptz_value(micros, offset_s, infinity=0):
    if infinity:
        return (datetime.datetime.max if infinity > 0 else datetime.datetime.min).replace(tzinfo=_tz(0))
    try:
        return (_EPOCH_UTC + datetime.timedelta(0, 0, micros)).astimezone(_tz(offset_s))
    except OverflowError:
        raise _out_of_range("timestamptz (microseconds since 1970 UTC)", micros) from None


def time_value(micros, has_offset=False, offset_s=0):
    """A time of day; a MySQL TIME outside 00:00..24:00 (a duration) reads as timedelta."""
    if not 0 <= micros < _US_PER_DAY:
        return datetime.timedelta(microseconds=micros)
    s, us = divmod(micros, 10**6)
    m, s = divmod(s, 60)
    h, m = divmod(m, 60)
    return datetime.time(h, m, s, us, _tz(offset_s) if has_offset else None)


def interval_value(months, days, micros):
    if months:
        return Interval(months, days, micros)
    return datetime.timedelta(days=days, microseconds=micros)


def decimal_value(text):
    return decimal.Decimal(text)


def json_value(text):
    return json.loads(text)


def uuid_value(octets):
    return uuid.UUID(bytes=bytes(octets))


def _utf8(b):
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError as e:
        raise DataError("dbridge: a text cell is not valid UTF-8 (%s)" % e) from None


# A fixed-size cell in the C API's batch encoding: 8 bytes (read as a signed
# integer here), aux and flags. Array elements and mixed-type columns use it.

def _infinity_of(flags):
    return _INF_POS if flags & _FLAG_POS_INF else _INF_NEG if flags & _FLAG_NEG_INF else 0


def _interval_of(micros, aux):
    return interval_value(aux >> 32, ctypes.c_int32(aux & 0xffffffff).value, micros)


def fixed_value(tag, raw, aux, flags):
    if tag == T_BOOL:
        return bool(raw)
    if tag == T_INT64:
        return raw
    if tag == T_UINT64:
        return raw & _UINT64_MAX
    if tag == T_DOUBLE:
        return struct.unpack("=d", struct.pack("=q", raw))[0]
    if tag == T_DATE:
        return date_value(raw, _infinity_of(flags))
    if tag == T_TIMESTAMP:
        return timestamp_value(raw, _infinity_of(flags))
    if tag == T_TIMESTAMPTZ:
        return timestamptz_value(raw, aux, _infinity_of(flags))
    if tag == T_TIME:
        return time_value(raw, flags & _FLAG_TIME_OFFSET, aux)
    if tag == T_INTERVAL:
        return _interval_of(raw, aux)
    raise DataError("dbridge: a cell has the unknown type tag %d" % tag)


def chunk_value(tag, b):
    """A variable-length cell from its bytes (TEXT, BYTES, DECIMAL, JSON, UUID)."""
    if tag == T_BYTES:
        return b
    if tag == T_UUID:
        return uuid_value(b)
    s = _utf8(b)
    try:
        return decimal_value(s) if tag == T_DECIMAL else json_value(s) if tag == T_JSON else s
    except (ValueError, decimal.InvalidOperation) as e:
        raise DataError("dbridge: cannot read the cell %r: %s" % (s[:80], e)) from None


_CHUNKED = frozenset((T_TEXT, T_BYTES, T_DECIMAL, T_JSON, T_UUID))


# ------------------------------------------------------ batch columns

class _Column:
    """The arrays of one column of a fetched batch, copied out as Python objects on demand."""

    __slots__ = ("result", "col", "n", "tags", "_values", "_aux", "_flags", "_offsets", "_data", "_raw_values",
                 "_raw_aux", "_raw_flags", "_raw_offsets", "_raw_data")

    def __init__(self, result, col, n, tags, values, aux, flags, offsets, data):
        self.result, self.col, self.n = result, col, n
        self.tags = ctypes.string_at(tags, n)
        self._raw_values, self._raw_aux, self._raw_flags = values, aux, flags
        self._raw_offsets, self._raw_data = offsets, data
        self._values = self._aux = self._flags = self._offsets = self._data = None

    def ints(self):
        return memoryview(self._values_bytes()).cast("q").tolist()

    def uints(self):
        return memoryview(self._values_bytes()).cast("Q").tolist()

    def doubles(self):
        return memoryview(self._values_bytes()).cast("d").tolist()

    def _values_bytes(self):
        if self._values is None:
            self._values = ctypes.string_at(self._raw_values, 8 * self.n)
        return self._values

    def aux(self):
        if self._aux is None:
            self._aux = memoryview(ctypes.string_at(self._raw_aux, 8 * self.n)).cast("q").tolist()
        return self._aux

    def flags(self):
        if self._flags is None:
            self._flags = ctypes.string_at(self._raw_flags, self.n)
        return self._flags

    def offsets(self):
        if self._offsets is None:
            self._offsets = memoryview(ctypes.string_at(self._raw_offsets, 8 * (self.n + 1))).cast("Q").tolist()
        return self._offsets

    def data(self):
        if self._data is None:
            o = self.offsets()
            self._data = ctypes.string_at(self._raw_data, o[-1]) if o[-1] else b""
        return self._data

    def chunks(self):
        """Each cell's bytes (TEXT, BYTES, DECIMAL, JSON, UUID)."""
        o = self.offsets()
        return list(map(self.data().__getitem__, map(slice, o, o[1:])))

    def texts(self):
        d = self.data()
        if d.isascii():
            # One decode for the batch, then slices of the str (same offsets).
            s = d.decode("ascii")
            o = self.offsets()
            return list(map(s.__getitem__, map(slice, o, o[1:])))
        try:
            return list(map(bytes.decode, self.chunks()))
        except UnicodeDecodeError as e:
            raise DataError("dbridge: a text cell is not valid UTF-8 (%s)" % e) from None

    def has_infinity(self):
        f = self.flags()
        return f.count(0) != len(f)

    def array(self, i):
        tree, err = c_void_p(), c_void_p()
        status = check(lib.dbridge_result_batch_array(self.result, i, self.col, byref(tree), byref(err)), err)
        if status == _lib.NULL:
            return None
        try:
            return tree_value(tree)
        finally:
            lib.dbridge_value_free(tree)

    def cell(self, i, tag):
        """One cell, whatever its type (columns whose cells differ: SQLite's dynamic typing)."""
        if tag == T_NULL:
            return None
        if tag in _CHUNKED:
            o = self.offsets()
            return chunk_value(tag, self.data()[o[i]:o[i + 1]])
        if tag == T_ARRAY:
            return self.array(i)
        return fixed_value(tag, memoryview(self._values_bytes()).cast("q")[i], self.aux()[i], self.flags()[i])


def _whole_date(c):
    days = c.ints()
    if c.has_infinity():
        f = c.flags()
        return [date_value(d, _infinity_of(f[i])) for i, d in enumerate(days)]
    try:
        return list(map(datetime.date.fromordinal, map(_EPOCH_ORDINAL.__add__, days)))
    except (ValueError, OverflowError):
        return [date_value(d) for d in days]


def _whole_timestamp(c):
    micros = c.ints()
    if c.has_infinity():
        f = c.flags()
        return [timestamp_value(m, _infinity_of(f[i])) for i, m in enumerate(micros)]
    try:
        return list(map(_EPOCH.__add__, map(functools.partial(datetime.timedelta, 0, 0), micros)))
    except OverflowError:
        return [timestamp_value(m) for m in micros]


def _whole_timestamptz(c):
    micros, aux = c.ints(), c.aux()
    if c.has_infinity():
        f = c.flags()
        return [timestamptz_value(m, o, _infinity_of(f[i])) for i, (m, o) in enumerate(zip(micros, aux))]
    return list(map(timestamptz_value, micros, aux))


def _whole_time(c):
    f = c.flags()
    return [time_value(m, f[i] & _FLAG_TIME_OFFSET, o) for i, (m, o) in enumerate(zip(c.ints(), c.aux()))]


def _whole_chunks_of(tag):
    return lambda c: [chunk_value(tag, b) for b in c.chunks()]


def _whole_text_of(fn):
    def convert(c):
        try:
            # A NULL cell's text is empty, which neither type can read.
            return [fn(t) if tag else None for t, tag in zip(c.texts(), c.tags)]
        except (ValueError, decimal.InvalidOperation) as e:
            raise DataError("dbridge: cannot read a cell: %s" % e) from None
    return convert


# Converters of a whole column whose non-NULL cells all carry one tag. A NULL
# cell's slot holds some value of the tag's type, replaced by None after.
_WHOLE = {
    T_BOOL: lambda c: list(map(bool, c.ints())),
    T_INT64: _Column.ints,
    T_UINT64: _Column.uints,
    T_DOUBLE: _Column.doubles,
    T_TEXT: _Column.texts,
    T_BYTES: _Column.chunks,
    T_DECIMAL: _whole_text_of(decimal_value),
    T_JSON: _whole_text_of(json_value),
    T_UUID: lambda c: [uuid_value(b) if b else None for b in c.chunks()],
    T_DATE: _whole_date,
    T_TIMESTAMP: _whole_timestamp,
    T_TIMESTAMPTZ: _whole_timestamptz,
    T_TIME: _whole_time,
    T_INTERVAL: lambda c: list(map(_interval_of, c.ints(), c.aux())),
    T_ARRAY: lambda c: [c.array(i) for i in range(c.n)],
}


class BatchReader:
    """Reads fetched batches of one result into lists of row tuples."""

    def __init__(self, result, ncols):
        self._r = result
        self._ncols = ncols
        self._ptrs = [c_void_p() for _ in range(6)]
        self._refs = [byref(p) for p in self._ptrs]
        self._n = c_uint64()
        self._err = c_void_p()

    def fetch(self, max_rows):
        """Up to max_rows rows as a list of tuples; [] at the end."""
        err = self._err
        status = lib.dbridge_result_fetch_batch(self._r, max_rows, byref(self._n), byref(err))
        check(status, err)
        n = self._n.value
        if status == _lib.DONE or n == 0:
            return []
        columns = [self._column(col, n) for col in range(self._ncols)]
        if not columns:
            return [()] * n
        return list(zip(*columns))

    def _column(self, col, n):
        err = self._err
        check(lib.dbridge_result_batch_column(self._r, col, *self._refs, byref(err)), err)
        c = _Column(self._r, col, n, *(p.value for p in self._ptrs))
        tags = c.tags
        nulls = tags.count(0)
        if nulls == n:
            return [None] * n
        first = tags.lstrip(b"\0")[0]
        if tags.count(first) + nulls != n:
            return [c.cell(i, t) for i, t in enumerate(tags)]
        whole = _WHOLE.get(first)
        if whole is None:
            raise DataError("dbridge: column %d has the unknown type tag %d" % (col, first))
        values = whole(c)
        if nulls:
            i = tags.find(0)
            while i >= 0:
                values[i] = None
                i = tags.find(0, i + 1)
        return values


def tree_value(v):
    """A Python value (lists for arrays) of a dbridge_value tree."""
    tag = lib.dbridge_value_type(v)
    if tag == T_NULL:
        return None
    if tag == T_ARRAY:
        return [tree_value(lib.dbridge_value_array_item(v, i)) for i in range(lib.dbridge_value_array_size(v))]
    err = c_void_p()
    if tag in _CHUNKED:
        ptr, n = ctypes.POINTER(ctypes.c_char)(), c_uint64()
        check(lib.dbridge_value_get_text(v, byref(ptr), byref(n), byref(err)), err)
        return chunk_value(tag, bytes_at(ptr, n.value))
    raw, aux, flags = c_int64(), c_int64(), ctypes.c_uint8()
    check(lib.dbridge_value_get_fixed(v, byref(raw), byref(aux), byref(flags), byref(err)), err)
    return fixed_value(tag, raw.value, aux.value, flags.value)
