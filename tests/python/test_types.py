# SPDX-License-Identifier: Apache-2.0
# Python values both ways: bound as parameters into typed columns, read back
# through the column batches (and literals read without any binding).
import datetime
import decimal
import math
import uuid

import pytest

import dbridge

TZ = datetime.timezone(datetime.timedelta(hours=2))
AWARE = datetime.datetime(2024, 1, 2, 3, 4, 5, 6, tzinfo=TZ)

COMMON = [
    ("BIGINT", 2**63 - 1), ("BIGINT", -2**63), ("BIGINT", 0),
    ("DOUBLE PRECISION", 1.5), ("DOUBLE PRECISION", -1e300),
    ("DECIMAL(30,4)", decimal.Decimal("-12.3400")),
    ("VARCHAR(40)", "héllo ✓ 日本"), ("VARCHAR(40)", ""),
    ("DATE", datetime.date(2024, 2, 29)), ("DATE", datetime.date(1, 1, 1)),
]
NAIVE = ("TIMESTAMP", datetime.datetime(2024, 1, 2, 3, 4, 5))  # MariaDB's TIMESTAMP is an instant: DATETIME there
CASES = {
    "sqlite": COMMON + [NAIVE,
        ("INTEGER", 7), ("BLOB", b"\x00\xff\x00"), ("BOOLEAN", True), ("BOOLEAN", False),
        ("TIME", datetime.time(1, 2, 3, 4)), ("JSON", {"a": [1, None, "x"]}),
        ("TIMESTAMP", datetime.datetime(2024, 1, 2, 3, 4, 5, 6)),
    ],
    "postgres": COMMON + [NAIVE,
        ("boolean", True), ("numeric", 2**70), ("numeric", -2**100), ("double precision", math.inf),
        ("bytea", b"\x00\xff\x00"), ("time", datetime.time(1, 2, 3, 4)),
        ("timetz", datetime.time(1, 2, 3, tzinfo=TZ)), ("timestamp(6)", datetime.datetime(2024, 1, 2, 3, 4, 5, 6)),
        ("timestamptz", AWARE), ("interval", datetime.timedelta(days=1, seconds=5, microseconds=7)),
        ("interval", datetime.timedelta(days=-3)), ("interval", dbridge.Interval(14, 3, 5)),
        ("uuid", uuid.UUID("12345678-1234-5678-1234-567812345678")),
        ("jsonb", {"a": [1, None, {"b": "ü"}]}), ("jsonb", [1, 2]),
        ("int[]", [1, None, 3]), ("text[]", ["a", "b,c", ""]), ("int[][]", [[1, 2], [3, 4]]),
        ("uuid[]", [uuid.UUID(int=1)]), ("date[]", [datetime.date(2020, 1, 1)]), ("timestamptz[]", [AWARE]),
        ("numeric[]", [decimal.Decimal("1.5")]), ("bytea[]", [b"\x00"]), ("float8[]", [0.5, None]),
    ],
    "mysql": COMMON + [("DATETIME", NAIVE[1]),
        ("BIGINT UNSIGNED", 2**64 - 1), ("BLOB", b"\x00\xff\x00"), ("TIME(6)", datetime.time(1, 2, 3, 4)),
        ("DATETIME(6)", datetime.datetime(2024, 1, 2, 3, 4, 5, 6)), ("TIMESTAMP(6) NULL", AWARE),
        ("JSON", {"a": [1, None, "x"]}), ("DECIMAL(65,0)", 2**70),
    ],
}


def _case_ids():
    for backend, cases in CASES.items():
        for i, (sqltype, value) in enumerate(cases):
            yield pytest.param(backend, sqltype, value, id="%s-%d-%s" % (backend, i, sqltype.split("(")[0]))


@pytest.mark.parametrize("kind,sqltype,value", list(_case_ids()))
def test_round_trip(url_of, kind, sqltype, value):
    with dbridge.connect(url_of(kind)) as c:
        cur = c.cursor()
        # A JSON array has to be wrapped (a plain list binds as an array).
        param = dbridge.Json(value) if sqltype == "jsonb" and isinstance(value, list) else value
        cur.execute("CREATE TEMPORARY TABLE pyapi_rt (k INT, v %s)" % sqltype)
        cur.execute("INSERT INTO pyapi_rt VALUES (?, ?), (?, ?)", (1, param, 2, None))
        cur.execute("SELECT v FROM pyapi_rt ORDER BY k")
        got = cur.fetchall()
        assert got == [(value,), (None,)]
        # NUMERIC/DECIMAL columns read as Decimal (as psycopg2 and MySQLdb do), whole numbers too.
        numeric = sqltype.lower().startswith(("numeric", "decimal")) and not sqltype.endswith("]")
        assert type(got[0][0]) is (decimal.Decimal if numeric else type(value)) or isinstance(value, dbridge.Interval)
        if isinstance(value, (datetime.datetime, datetime.time)) and value.tzinfo is not None:
            assert got[0][0].tzinfo is not None  # aware stays aware
        # And as a parameter of a comparison, so binding is exact too.
        if not isinstance(value, (list, dict, float)) and "json" not in sqltype.lower():
            cur.execute("SELECT k FROM pyapi_rt WHERE v = ?", (param,))
            assert cur.fetchall() == [(1,)]
        c.rollback()


LITERALS = {
    "postgres": [
        ("SELECT 'infinity'::date, '-infinity'::timestamp", (datetime.date.max, datetime.datetime.min)),
        ("SELECT 'NaN'::numeric", None),
        ("SELECT '2024-01-02 03:04:05+05:30'::timestamptz AT TIME ZONE 'UTC'",
         (datetime.datetime(2024, 1, 1, 21, 34, 5),)),
        ("SELECT ARRAY[ARRAY['a', NULL], ARRAY['c', 'd']]", ([["a", None], ["c", "d"]],)),
        ("SELECT interval '1 year 2 months 3 days 04:05:06.5'", (dbridge.Interval(14, 3, 14706500000),)),
        ("SELECT true, 1::smallint, 2::int, 3::bigint, 1.5::real", (True, 1, 2, 3, 1.5)),
    ],
    "mysql": [
        ("SELECT CAST('30:00:01' AS TIME), CAST('-01:00:00' AS TIME)",
         (datetime.timedelta(hours=30, seconds=1), datetime.timedelta(hours=-1))),
        ("SELECT CAST(18446744073709551615 AS UNSIGNED)", (2**64 - 1,)),
        ("SELECT 1.50", (decimal.Decimal("1.50"),)),
    ],
    "sqlite": [
        ("SELECT 1, 'a', 2.5, x'00ff', NULL", (1, "a", 2.5, b"\x00\xff", None)),
    ],
}


@pytest.mark.parametrize("kind", list(LITERALS))
def test_literals_read_back(url_of, kind):
    with dbridge.connect(url_of(kind)) as c:
        cur = c.cursor()
        for sql, expected in LITERALS[kind]:
            cur.execute(sql)
            row = cur.fetchone()
            if expected is None:
                assert row[0].is_nan(), sql
            else:
                assert row == expected, sql


def test_sqlite_dynamic_types_in_one_column(tmp_path):
    with dbridge.connect("sqlite://" + str(tmp_path / "dyn.db")) as c:
        cur = c.cursor()
        cur.execute("CREATE TABLE t (k INTEGER, v)")
        values = [1, "two", 3.5, b"\x04", None, 2**62]
        cur.executemany("INSERT INTO t VALUES (?, ?)", list(enumerate(values)))
        cur.execute("SELECT v FROM t ORDER BY k")
        assert [r[0] for r in cur.fetchall()] == values


def test_sqlite_declared_columns_read_what_they_hold(tmp_path):
    # SQLite keeps any value in any column: what a declared type cannot
    # hold reads as it is stored, and the row stays readable.
    with dbridge.connect("sqlite://" + str(tmp_path / "decl.db")) as c:
        cur = c.cursor()
        cur.execute("CREATE TABLE t (k INTEGER, j JSON, b BOOLEAN)")
        cur.executemany("INSERT INTO t VALUES (?, ?, ?)", [(1, '{"a": [1]}', 1), (2, '{"a": 1', 5), (3, "[]", 0)])
        cur.execute("SELECT j, b FROM t ORDER BY k")
        assert cur.fetchall() == [({"a": [1]}, True), ('{"a": 1', 5), ([], False)]


def test_integer_past_the_database_range_is_a_clear_error(url_of, tmp_path):
    with dbridge.connect("sqlite://" + str(tmp_path / "big.db")) as c:
        with pytest.raises(dbridge.DataError) as e:
            c.cursor().execute("SELECT ?", (2**63,))
        assert "64-bit" in str(e.value)
        # Past 64 bits SQLite would keep the digits as text, or round them to
        # a REAL in an INTEGER or NUMERIC column: refused before anything runs.
        cur = c.cursor()
        cur.execute("CREATE TABLE big (i INTEGER, n NUMERIC)")
        for v in (2**64, -2**70 - 1):
            with pytest.raises(dbridge.DataError) as e:
                cur.execute("INSERT INTO big VALUES (1, ?)", (v,))
            assert "parameter 1" in str(e.value) and str(v) in str(e.value)
        with pytest.raises(dbridge.DataError) as e:
            cur.executemany("INSERT INTO big VALUES (?, ?)", [(1, 2), (2, 2**70 + 1)])
        assert "parameter 2" in str(e.value)
        cur.execute("SELECT count(*) FROM big")
        assert cur.fetchone() == (0,)
        cur.execute("SELECT ?", (str(2**70 + 1),))
        assert cur.fetchone() == (str(2**70 + 1),)
    with dbridge.connect(url_of("postgres")) as c:
        cur = c.cursor()
        cur.execute("CREATE TEMPORARY TABLE pyapi_big (v bigint)")
        with pytest.raises(dbridge.DataError):
            cur.execute("INSERT INTO pyapi_big VALUES (?)", (2**70,))
        c.rollback()


def test_mysql_refuses_what_it_cannot_store(url_of):
    with dbridge.connect(url_of("mysql")) as c:
        cur = c.cursor()
        with pytest.raises(dbridge.DataError):
            cur.execute("SELECT ?", (datetime.timedelta(hours=1),))
        with pytest.raises(dbridge.DataError):
            cur.execute("SELECT ?", ([1, 2],))


def test_postgres_text_refuses_a_nul(url_of):
    with dbridge.connect(url_of("postgres")) as c:
        with pytest.raises(dbridge.DataError) as e:
            c.cursor().execute("SELECT CAST(? AS text)", ("a\x00b",))
        assert e.value.subcategory == "nul_byte"


def test_large_text_batch_with_nulls_and_non_ascii(url_of):
    with dbridge.connect(url_of("postgres")) as c:
        cur = c.cursor()
        cur.execute("SELECT CASE WHEN i % 3 = 0 THEN NULL ELSE repeat('é', i % 7) END, i FROM generate_series(1, 20000) i")
        rows = cur.fetchall()
        assert len(rows) == 20000
        assert all(r[0] == (None if r[1] % 3 == 0 else "é" * (r[1] % 7)) for r in rows)
