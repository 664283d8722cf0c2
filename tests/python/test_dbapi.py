# SPDX-License-Identifier: Apache-2.0
# Connection and cursor behaviour of PEP 249 on every SQL backend.
import pytest

import dbridge


def _make(conn, table):
    cur = conn.cursor()
    cur.execute("CREATE TABLE %s (id INTEGER PRIMARY KEY, name VARCHAR(40), score DOUBLE PRECISION)" % table)
    conn.commit()
    return cur


def _count(url, table):
    with dbridge.connect(url) as other:
        cur = other.cursor()
        cur.execute("SELECT count(*) FROM " + table)
        return cur.fetchone()[0]


def test_autocommit_is_off_and_rollback_discards(conn, url, table):
    assert conn.autocommit is False
    cur = _make(conn, table)
    cur.execute("INSERT INTO %s (id, name) VALUES (?, ?)" % table, (1, "a"))
    assert conn.in_transaction
    assert _count(url, table) == 0  # not visible to another connection before commit
    conn.rollback()
    assert not conn.in_transaction
    assert _count(url, table) == 0
    cur.execute("INSERT INTO %s (id, name) VALUES (?, ?)" % table, (2, "b"))
    conn.commit()
    assert _count(url, table) == 1


def test_autocommit_on_makes_each_statement_durable(url, table):
    with dbridge.connect(url, autocommit=True) as conn:
        assert conn.autocommit is True
        cur = _make(conn, table)
        cur.execute("INSERT INTO %s (id, name) VALUES (?, ?)" % table, (1, "a"))
        assert not conn.in_transaction
        assert _count(url, table) == 1


def test_turning_autocommit_on_commits_the_open_transaction(conn, url, table):
    cur = _make(conn, table)
    cur.execute("INSERT INTO %s (id, name) VALUES (?, ?)" % table, (1, "a"))
    conn.autocommit = True
    assert _count(url, table) == 1


def test_close_rolls_back(url, table):
    conn = dbridge.connect(url)
    cur = _make(conn, table)
    cur.execute("INSERT INTO %s (id, name) VALUES (?, ?)" % table, (1, "a"))
    conn.close()
    assert _count(url, table) == 0
    conn.close()  # idempotent
    with pytest.raises(dbridge.InterfaceError):
        conn.cursor()
    with pytest.raises(dbridge.InterfaceError):
        cur.execute("SELECT 1")


def test_context_manager_commits_or_rolls_back(url, table):
    with dbridge.connect(url) as conn:
        cur = _make(conn, table)
        cur.execute("INSERT INTO %s (id, name) VALUES (?, ?)" % table, (1, "a"))
    assert conn.closed
    assert _count(url, table) == 1
    with pytest.raises(ZeroDivisionError):
        with dbridge.connect(url) as conn:
            conn.cursor().execute("INSERT INTO %s (id, name) VALUES (?, ?)" % table, (2, "b"))
            1 / 0
    assert _count(url, table) == 1


def test_rowcount_lastrowid_and_description(conn, table, backend):
    fresh = conn.cursor()
    assert fresh.description is None and fresh.rowcount == -1 and fresh.lastrowid is None
    cur = _make(conn, table)
    cur.execute("INSERT INTO %s (id, name, score) VALUES (?, ?, ?)" % table, (7, "x", 1.5))
    assert cur.rowcount == 1
    assert cur.description is None
    assert cur.lastrowid == (7 if backend == "sqlite" else None)  # MariaDB: only AUTO_INCREMENT ids
    cur.execute("UPDATE %s SET score = score + 1" % table)
    assert cur.rowcount == 1
    cur.execute("SELECT id, name, score FROM %s" % table)
    names = [d[0] for d in cur.description]
    assert names == ["id", "name", "score"]
    assert all(len(d) == 7 for d in cur.description)
    assert cur.description[0][1] == dbridge.NUMBER
    assert cur.description[1][1] == dbridge.STRING
    assert cur.description[2][1] == dbridge.NUMBER
    assert cur.fetchall() == [(7, "x", 2.5)]
    assert cur.rowcount == 1


def test_fetch_methods_and_iteration(conn, table):
    cur = _make(conn, table)
    cur.executemany("INSERT INTO %s (id, name) VALUES (?, ?)" % table, [(i, "n%d" % i) for i in range(2500)])
    assert cur.rowcount == 2500
    cur.execute("SELECT id, name FROM %s ORDER BY id" % table)
    assert cur.fetchone() == (0, "n0")
    assert cur.arraysize == 1
    assert cur.fetchmany() == [(1, "n1")]
    cur.arraysize = 3
    assert cur.fetchmany() == [(2, "n2"), (3, "n3"), (4, "n4")]
    assert len(cur.fetchmany(1500)) == 1500
    rest = cur.fetchall()
    assert rest[0] == (1505, "n1505") and rest[-1] == (2499, "n2499") and len(rest) == 995
    assert cur.fetchone() is None and cur.fetchall() == [] and cur.fetchmany(5) == []
    cur.execute("SELECT id FROM %s WHERE id < ? ORDER BY id" % table, (1200,))
    assert [r[0] for r in cur] == list(range(1200))


def test_fetch_without_rows_is_a_programming_error(conn, table):
    cur = _make(conn, table)
    cur.execute("INSERT INTO %s (id) VALUES (1)" % table)
    with pytest.raises(dbridge.ProgrammingError):
        cur.fetchone()


def test_two_cursors_interleave(conn, table):
    cur = _make(conn, table)
    cur.executemany("INSERT INTO %s (id) VALUES (?)" % table, [(i,) for i in range(3000)])
    a, b = conn.cursor(), conn.cursor()
    a.execute("SELECT id FROM %s ORDER BY id" % table)
    assert a.fetchone() == (0,)
    b.execute("SELECT count(*) FROM %s" % table)  # a's open result is read into a first
    assert b.fetchone() == (3000,)
    assert [r[0] for r in a] == list(range(1, 3000))


def test_executemany_runs_in_the_transaction(conn, url, table):
    cur = _make(conn, table)
    cur.executemany("INSERT INTO %s (id, name) VALUES (?, ?)" % table, [(1, "a"), (2, "b"), (3, None)])
    assert cur.rowcount == 3
    conn.rollback()
    assert _count(url, table) == 0
    with pytest.raises(dbridge.IntegrityError):
        cur.executemany("INSERT INTO %s (id) VALUES (?)" % table, [(1,), (1,)])


def test_executemany_is_all_or_nothing_and_names_the_row(conn, url, table):
    cur = _make(conn, table)
    cur.execute("INSERT INTO %s (id, name) VALUES (?, ?)" % table, (100, "kept"))
    with pytest.raises(dbridge.IntegrityError) as e:
        cur.executemany("INSERT INTO %s (id, name, score) VALUES (?, ?, ?)" % table,
                        [(1, "a", 0.5), (2, "b", None), (1, "c", 1.5)])
    assert "row 2" in str(e.value)
    conn.commit()  # the transaction goes on: only the failed batch was rolled back
    assert _count(url, table) == 1
    cur.executemany("INSERT INTO %s (id, name, score) VALUES (?, ?, ?)" % table,
                    (r for r in [(1, "a", 0.5), (2, None, None), (3, "c", 2)]))
    assert cur.rowcount == 3
    conn.commit()
    cur.execute("SELECT id, name, score FROM %s WHERE id < 100 ORDER BY id" % table)
    assert cur.fetchall() == [(1, "a", 0.5), (2, None, None), (3, "c", 2.0)]


def test_executemany_refuses_ragged_or_non_sequence_rows(conn, table):
    cur = _make(conn, table)
    with pytest.raises(dbridge.ProgrammingError):
        cur.executemany("INSERT INTO %s (id, name) VALUES (?, ?)" % table, [(1, "a"), (2,)])
    with pytest.raises(dbridge.ProgrammingError):
        cur.executemany("INSERT INTO %s (id) VALUES (?)" % table, ["ab"])
    cur.executemany("INSERT INTO %s (id) VALUES (?)" % table, [])
    assert cur.rowcount == 0


def test_parameters_must_be_a_sequence(conn):
    cur = conn.cursor()
    with pytest.raises(dbridge.ProgrammingError):
        cur.execute("SELECT ?", "abc")
    with pytest.raises(dbridge.ProgrammingError):
        cur.execute("SELECT ?", (object(),))


def test_closed_cursor_refuses(conn):
    cur = conn.cursor()
    cur.execute("SELECT 1")
    cur.close()
    with pytest.raises(dbridge.InterfaceError):
        cur.fetchone()
    with pytest.raises(dbridge.InterfaceError):
        cur.execute("SELECT 1")


def test_connection_execute_and_metadata(conn, backend):
    assert conn.execute("SELECT 40 + 2").fetchone() == (42,)
    assert conn.plugin_id == {"sqlite": "sqlite", "postgres": "postgres", "mysql": "mysql"}[backend]
    assert conn.ping()
    assert conn.has_capability("sql") and not conn.has_capability("no-such-capability")
    assert conn.id > 0


def test_lastrowid_of_a_generated_id(url_of, tmp_path):
    with dbridge.connect(url_of("mysql"), autocommit=True) as c:
        cur = c.cursor()
        cur.execute("CREATE TEMPORARY TABLE pyapi_auto (id BIGINT AUTO_INCREMENT PRIMARY KEY, v INT)")
        cur.execute("INSERT INTO pyapi_auto (v) VALUES (?)", (1,))
        cur.execute("INSERT INTO pyapi_auto (v) VALUES (?)", (2,))
        assert cur.lastrowid == 2
        cur.executemany("INSERT INTO pyapi_auto (v) VALUES (?)", [(3,), (4,)])
        assert cur.lastrowid == 4
    with dbridge.connect("sqlite://" + str(tmp_path / "auto.db")) as c:
        cur = c.cursor()
        cur.execute("CREATE TABLE t (id INTEGER PRIMARY KEY, v INT)")
        cur.execute("INSERT INTO t (v) VALUES (?)", (1,))
        assert cur.lastrowid == 1
