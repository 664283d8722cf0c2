# SPDX-License-Identifier: Apache-2.0
# Every dbridge error category arrives as its PEP 249 class, with the record.
import socket

import pytest

import dbridge


def _table(conn, table):
    cur = conn.cursor()
    cur.execute("CREATE TABLE %s (id INTEGER PRIMARY KEY, name VARCHAR(10) NOT NULL)" % table)
    conn.commit()
    return cur


def test_unique_violation_is_an_integrity_error(conn, table):
    cur = _table(conn, table)
    cur.execute("INSERT INTO %s VALUES (1, 'a')" % table)
    with pytest.raises(dbridge.IntegrityError) as e:
        cur.execute("INSERT INTO %s VALUES (1, 'b')" % table)
    assert e.value.category == "constraint"
    assert e.value.subcategory == "unique_violation"
    assert e.value.retry == "none"


def test_not_null_violation_is_an_integrity_error(conn, table):
    cur = _table(conn, table)
    with pytest.raises(dbridge.IntegrityError) as e:
        cur.execute("INSERT INTO %s VALUES (?, ?)" % table, (1, None))
    assert e.value.subcategory == "not_null_violation"


def test_syntax_error_is_a_programming_error(conn, backend):
    with pytest.raises(dbridge.ProgrammingError) as e:
        conn.cursor().execute("SELEC 1")
    assert e.value.category == "syntax"
    if backend == "postgres":
        assert e.value.sqlstate == "42601"


def test_undefined_table_is_a_programming_error(conn):
    with pytest.raises(dbridge.ProgrammingError) as e:
        conn.cursor().execute("SELECT * FROM pyapi_no_such_table")
    assert e.value.category in ("not_found", "syntax")
    assert "pyapi_no_such_table" in str(e.value)


def test_wrong_parameter_count_is_a_programming_error(conn):
    with pytest.raises(dbridge.ProgrammingError):
        conn.cursor().execute("SELECT ?, ?", (1,))


def test_bad_value_is_a_data_error(url_of):
    with dbridge.connect(url_of("postgres")) as c:
        with pytest.raises(dbridge.DataError) as e:
            c.cursor().execute("SELECT CAST(? AS integer)", ("abc",))
        assert e.value.sqlstate == "22P02"
        c.rollback()
        with pytest.raises(dbridge.DataError) as e:
            c.cursor().execute("SELECT 1 / 0")
        assert e.value.sqlstate == "22012"
        c.rollback()


def test_statement_in_an_aborted_transaction_is_an_internal_error(url_of):
    with dbridge.connect(url_of("postgres")) as c:
        cur = c.cursor()
        with pytest.raises(dbridge.ProgrammingError):
            cur.execute("SELECT * FROM pyapi_no_such_table")
        with pytest.raises(dbridge.InternalError) as e:
            cur.execute("SELECT 1")
        assert e.value.sqlstate == "25P02"
        c.rollback()
        assert cur.execute("SELECT 1").fetchone() == (1,)


def test_statement_timeout_is_an_operational_error(url_of):
    with dbridge.connect(url_of("postgres"), autocommit=True) as c:
        c.set_option("statement_timeout_ms", 50)
        with pytest.raises(dbridge.OperationalError) as e:
            c.cursor().execute("SELECT pg_sleep(2)")
        assert e.value.category in ("timeout", "cancelled")


def test_unreachable_server_is_an_operational_error():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    with pytest.raises(dbridge.OperationalError) as e:
        dbridge.connect("postgresql://u:secret-pw@127.0.0.1:%d/db?connect_timeout=1" % port)
    assert e.value.category == "connection"
    assert "secret-pw" not in str(e.value)


def test_missing_capability_is_not_supported(tmp_path):
    with dbridge.connect("sqlite://" + str(tmp_path / "c.db")) as c:
        with pytest.raises(dbridge.NotSupportedError) as e:
            c.command("PING")
        assert e.value.category == "unsupported"


def test_redis_error_reply_keeps_its_code(redis, key):
    redis.command("SET", key, "text")
    try:
        with pytest.raises(dbridge.DatabaseError) as e:
            redis.command("LPUSH", key, "x")
        assert e.value.backend_code == "WRONGTYPE"
    finally:
        redis.command("DEL", key)
