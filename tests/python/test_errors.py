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


def test_lock_timeout_is_a_transaction_conflict(url_of):
    url = url_of("postgres")
    with dbridge.connect(url) as a, dbridge.connect(url) as b:
        a.execute("CREATE TABLE IF NOT EXISTS pyapi_lock (id int PRIMARY KEY)")
        a.execute("INSERT INTO pyapi_lock VALUES (1) ON CONFLICT DO NOTHING")
        a.commit()
        a.execute("SELECT id FROM pyapi_lock WHERE id = 1 FOR UPDATE")
        b.execute("SET LOCAL lock_timeout = '50ms'")
        with pytest.raises(dbridge.OperationalError) as e:
            b.execute("SELECT id FROM pyapi_lock WHERE id = 1 FOR UPDATE")
        assert e.value.category == "txn_conflict" and e.value.subcategory == "lock_timeout"
        assert e.value.retry == "same_connection"
        b.rollback()
        a.rollback()
        a.execute("DROP TABLE pyapi_lock")


def test_wrong_password_is_an_operational_error(url_of):
    url = url_of("postgres")
    bad = url.replace("://dbridge:", "://dbridge:wrong-pw-", 1)
    assert bad != url
    with pytest.raises(dbridge.OperationalError) as e:
        dbridge.connect(bad)
    assert e.value.category == "auth"
    assert "wrong-pw" not in str(e.value)


@pytest.mark.parametrize("category,sqlstate,cls", [
    ("connection", "", dbridge.OperationalError), ("auth", "", dbridge.OperationalError),
    ("syntax", "", dbridge.ProgrammingError), ("constraint", "", dbridge.IntegrityError),
    ("txn_conflict", "", dbridge.OperationalError), ("timeout", "", dbridge.OperationalError),
    ("cancelled", "", dbridge.OperationalError), ("unsupported", "", dbridge.NotSupportedError),
    ("invalid_argument", "", dbridge.ProgrammingError), ("incompatible", "", dbridge.InterfaceError),
    ("resource", "", dbridge.OperationalError), ("internal", "", dbridge.InternalError),
    ("not_found", "", dbridge.ProgrammingError), ("data", "", dbridge.DataError),
    ("invalid_state", "", dbridge.InternalError), ("backend", "", dbridge.DatabaseError),
    ("backend", "42P07", dbridge.ProgrammingError), ("backend", "22001", dbridge.DataError),
    ("backend", "XX000", dbridge.InternalError),
])
def test_every_category_has_its_class(category, sqlstate, cls):
    from dbridge.exceptions import class_for
    assert class_for(category, sqlstate) is cls


def test_duplicate_table_is_a_programming_error(url_of):
    with dbridge.connect(url_of("postgres")) as c:
        c.execute("CREATE TEMPORARY TABLE pyapi_dup (v int)")
        with pytest.raises(dbridge.ProgrammingError) as e:
            c.execute("CREATE TEMPORARY TABLE pyapi_dup (v int)")
        assert e.value.sqlstate == "42P07"
        c.rollback()


def test_lost_connection_is_an_operational_error(url_of):
    url = url_of("postgres")
    with dbridge.connect(url, autocommit=True) as victim, dbridge.connect(url, autocommit=True) as admin:
        pid = victim.execute("SELECT pg_backend_pid()").fetchone()[0]
        assert admin.execute("SELECT pg_terminate_backend(?)", (pid,)).fetchone() == (True,)
        with pytest.raises(dbridge.OperationalError) as e:
            victim.execute("SELECT 1")
        assert e.value.category == "connection"
        assert e.value.connection_broken
        assert e.value.retry in ("new_connection", "unknown_outcome")
