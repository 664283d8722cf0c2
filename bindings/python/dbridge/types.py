# SPDX-License-Identifier: Apache-2.0
"""PEP 249 type objects and constructors, plus the few value types Python lacks."""
import datetime
import time

from . import _lib


class TypeCode(int):
    """A column's type in ``cursor.description`` (its dbridge type tag, e.g. ``TypeCode.TEXT``).

    Compares equal to the PEP 249 type object that contains it (``STRING``, ``NUMBER``...)."""

    _names = {}

    def __new__(cls, value, name):
        self = super().__new__(cls, value)
        self.name = name
        cls._names[value] = self
        return self

    def __repr__(self):
        return "TypeCode." + self.name

    __str__ = __repr__

    @classmethod
    def of(cls, tag):
        code = cls._names.get(tag)
        return code if code is not None else cls(tag, "UNKNOWN_%d" % tag)


for _name in ("NULL", "BOOL", "INT64", "UINT64", "DOUBLE", "TEXT", "BYTES", "DECIMAL", "DATE", "TIME", "TIMESTAMP",
              "TIMESTAMPTZ", "INTERVAL", "UUID", "JSON", "ARRAY"):
    setattr(TypeCode, _name, TypeCode(getattr(_lib, "T_" + _name), _name))


class DBAPITypeObject:
    """A PEP 249 type object: equal to every type code it groups."""

    def __init__(self, name, *codes):
        self.name = name
        self.values = frozenset(codes)

    def __eq__(self, other):
        if isinstance(other, DBAPITypeObject):
            return self is other
        return other in self.values

    def __ne__(self, other):
        return not self == other

    def __hash__(self):
        return hash(self.name)

    def __repr__(self):
        return "dbridge." + self.name


STRING = DBAPITypeObject("STRING", TypeCode.TEXT, TypeCode.JSON)
BINARY = DBAPITypeObject("BINARY", TypeCode.BYTES)
NUMBER = DBAPITypeObject("NUMBER", TypeCode.BOOL, TypeCode.INT64, TypeCode.UINT64, TypeCode.DOUBLE,
                         TypeCode.DECIMAL)
DATETIME = DBAPITypeObject("DATETIME", TypeCode.DATE, TypeCode.TIME, TypeCode.TIMESTAMP, TypeCode.TIMESTAMPTZ,
                           TypeCode.INTERVAL)
# No dbridge type is a row id of its own (SQLite's rowid and PostgreSQL's oid
# arrive as integers), so ROWID equals no column type.
ROWID = DBAPITypeObject("ROWID")
# Beyond PEP 249.
UUID = DBAPITypeObject("UUID", TypeCode.UUID)
JSON = DBAPITypeObject("JSON", TypeCode.JSON)
ARRAY = DBAPITypeObject("ARRAY", TypeCode.ARRAY)

Date = datetime.date
Time = datetime.time
Timestamp = datetime.datetime
Binary = bytes


def DateFromTicks(ticks):
    return Date(*time.localtime(ticks)[:3])


def TimeFromTicks(ticks):
    return Time(*time.localtime(ticks)[3:6])


def TimestampFromTicks(ticks):
    return Timestamp(*time.localtime(ticks)[:6])


class Json:
    """Binds a value as a JSON document: ``Json([1, 2])`` (a plain list binds as an array,
    a dict as JSON). ``dumps`` may replace ``json.dumps``."""

    __slots__ = ("obj", "dumps")

    def __init__(self, obj, dumps=None):
        self.obj = obj
        self.dumps = dumps

    def __repr__(self):
        return "Json(%r)" % (self.obj,)


class Interval:
    """An interval with months (which ``datetime.timedelta`` cannot hold): PostgreSQL's
    ``interval '1 month 2 days'``. Intervals without months read as ``timedelta``."""

    __slots__ = ("months", "days", "microseconds")

    def __init__(self, months=0, days=0, microseconds=0):
        self.months = int(months)
        self.days = int(days)
        self.microseconds = int(microseconds)

    def __eq__(self, other):
        if isinstance(other, Interval):
            return (self.months, self.days, self.microseconds) == (other.months, other.days, other.microseconds)
        if isinstance(other, datetime.timedelta) and self.months == 0:
            return datetime.timedelta(days=self.days, microseconds=self.microseconds) == other
        return NotImplemented

    def __hash__(self):
        return hash((self.months, self.days, self.microseconds))

    def __repr__(self):
        return "Interval(months=%d, days=%d, microseconds=%d)" % (self.months, self.days, self.microseconds)
