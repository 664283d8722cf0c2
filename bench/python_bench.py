#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""The Python module (bindings/python) against each backend's usual Python driver, in one run.

Fetches ROWS rows of (int, text, float) with cursor.fetchall() through dbridge
and through psycopg2 (PostgreSQL), sqlite3 (SQLite) and MySQLdb (MariaDB);
executemany of (int, text, float) rows against each; for Redis, LRANGE of a
ROWS-element list and single GET round trips against redis-py. Prints the best of REPEAT runs and the ratio dbridge / baseline.

    source scripts/servers && servers_start
    DBRIDGE_LIBRARY=build/core/libdbridge.so PYTHONPATH=bindings/python \\
        /usr/bin/python3 bench/python_bench.py [--rows 1000000] [--repeat 3]
    servers_stop

A backend whose DBRIDGE_TEST_*_URL is unset is skipped.
"""
import argparse
import os
import sys
import tempfile
import time
import urllib.parse

import dbridge


def best(fn, repeat):
    times = []
    for _ in range(repeat):
        t = time.perf_counter()
        n = fn()
        times.append(time.perf_counter() - t)
    return min(times), n


def report(name, ours, theirs, baseline):
    (t1, n1), (t2, n2) = ours, theirs
    assert n1 == n2, "%s: dbridge read %d, %s read %d" % (name, n1, baseline, n2)
    print("%-34s dbridge %8.3f s   %-8s %8.3f s   ratio %.2f" % (name, t1, baseline, t2, t1 / t2), flush=True)


def credentials(url):
    """host, port, user, password and database of a server URL, for the baseline drivers."""
    u = urllib.parse.urlparse(url)
    return dict(host=u.hostname, port=u.port, user=urllib.parse.unquote(u.username or ""),
                password=urllib.parse.unquote(u.password or ""), database=u.path.lstrip("/"))


def executemany_pair(name, ours, theirs, baseline, their_mark, repeat, n):
    """executemany of n (int, text, float) rows into an emptied pybench_many, then commit, on
    both connections (autocommit off); their_mark is the baseline's placeholder."""
    data = [(i, "x-%d" % i, i * 0.25) for i in range(n)]

    def insert_all(conn, mark):
        c = conn.cursor()
        c.execute("DELETE FROM pybench_many")
        c.executemany("INSERT INTO pybench_many VALUES (%s, %s, %s)" % ((mark,) * 3), data)
        c.execute("SELECT count(*) FROM pybench_many")
        n = c.fetchone()[0]
        conn.commit()  # leaves no transaction (nor lock) open for the other side
        return n

    theirs.rollback()  # a snapshot older than pybench_many would not see it

    report("%s executemany %d rows" % (name, n), best(lambda: insert_all(ours, "?"), repeat),
           best(lambda: insert_all(theirs, their_mark), repeat), baseline)


def fetch_all(cursor, sql):
    cursor.execute(sql)
    return len(cursor.fetchall())


def bench_postgres(url, rows, repeat):
    import psycopg2
    with dbridge.connect(url, autocommit=True) as db:
        cur = db.cursor()
        cur.execute("DROP TABLE IF EXISTS pybench")
        cur.execute("DROP TABLE IF EXISTS pybench_many")
        cur.execute("CREATE TABLE pybench (id int, name text, score float8)")
        cur.execute("INSERT INTO pybench SELECT i, 'name-' || i, i * 0.5 FROM generate_series(1, ?) AS i", (rows,))
        cur.execute("ANALYZE pybench")
        pg = psycopg2.connect(**credentials(url))
        sql = "SELECT id, name, score FROM pybench"
        try:
            report("postgres fetchall %d rows" % rows, best(lambda: fetch_all(db.cursor(), sql), repeat),
                   best(lambda: fetch_all(pg.cursor(), sql), repeat), "psycopg2")
            report("postgres iterate %d rows" % rows, best(lambda: sum(1 for _ in db.cursor().execute(sql)), repeat),
                   best(lambda: _iterate(pg.cursor(), sql), repeat), "psycopg2")
            cur.execute("CREATE TABLE pybench_many (id int, name text, score float8)")
            with dbridge.connect(url) as ours:
                executemany_pair("postgres", ours, pg, "psycopg2", "%s", repeat, min(rows, 20000))
        finally:
            pg.close()
            cur.execute("DROP TABLE pybench")
            cur.execute("DROP TABLE IF EXISTS pybench_many")


def _iterate(cursor, sql):
    cursor.execute(sql)
    return sum(1 for _ in cursor)


def bench_sqlite(rows, repeat):
    import sqlite3
    with tempfile.TemporaryDirectory() as d:
        path = os.path.join(d, "bench.db")
        lite = sqlite3.connect(path)
        lite.execute("CREATE TABLE pybench (id INTEGER, name TEXT, score REAL)")
        lite.execute("CREATE TABLE pybench_many (id INTEGER, name TEXT, score REAL)")
        lite.executemany("INSERT INTO pybench VALUES (?, ?, ?)", (((i, "name-%d" % i, i * 0.5) for i in range(rows))))
        lite.commit()
        sql = "SELECT id, name, score FROM pybench"
        with dbridge.connect("sqlite://" + path) as db:
            report("sqlite fetchall %d rows" % rows, best(lambda: fetch_all(db.cursor(), sql), repeat),
                   best(lambda: fetch_all(lite.cursor(), sql), repeat), "sqlite3")
            executemany_pair("sqlite", db, lite, "sqlite3", "?", repeat, min(rows, 100000))
        lite.close()


def bench_mysql(url, rows, repeat):
    import MySQLdb
    with dbridge.connect(url, autocommit=True) as db:
        cur = db.cursor()
        cur.execute("DROP TABLE IF EXISTS pybench")
        cur.execute("DROP TABLE IF EXISTS pybench_many")
        cur.execute("CREATE TABLE pybench (id INT, name TEXT, score DOUBLE)")
        cur.execute("INSERT INTO pybench SELECT seq, CONCAT('name-', seq), seq * 0.5 FROM seq_1_to_%d" % rows)
        my = MySQLdb.connect(**credentials(url))
        sql = "SELECT id, name, score FROM pybench"
        try:
            report("mariadb fetchall %d rows" % rows, best(lambda: fetch_all(db.cursor(), sql), repeat),
                   best(lambda: fetch_all(my.cursor(), sql), repeat), "MySQLdb")
            cur.execute("CREATE TABLE pybench_many (id INT, name TEXT, score DOUBLE)")
            with dbridge.connect(url) as ours:
                executemany_pair("mariadb", ours, my, "MySQLdb", "%s", repeat, min(rows, 20000))
        finally:
            my.close()
            cur.execute("DROP TABLE pybench")
            cur.execute("DROP TABLE IF EXISTS pybench_many")


def bench_redis(url, rows, repeat):
    import redis
    r = redis.Redis.from_url(url)
    with dbridge.connect(url) as db:
        key = "pybench:list"
        db.command("DEL", key)
        chunk = 10000
        for start in range(0, rows, chunk):
            db.command("RPUSH", key, *("item-%d" % i for i in range(start, min(rows, start + chunk))))
        try:
            report("redis LRANGE %d items" % rows, best(lambda: len(db.command("LRANGE", key, 0, -1)), repeat),
                   best(lambda: len(r.lrange(key, 0, -1)), repeat), "redis-py")
            db.command("SET", "pybench:k", "v")
            n = 20000
            report("redis GET x %d" % n, best(lambda: sum(1 for _ in range(n) if db.command("GET", "pybench:k")), repeat),
                   best(lambda: sum(1 for _ in range(n) if r.get("pybench:k")), repeat), "redis-py")
        finally:
            db.command("DEL", key, "pybench:k")
            r.close()


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--rows", type=int, default=1000000)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--only", choices=("postgres", "sqlite", "mysql", "redis"))
    a = ap.parse_args()
    print("dbridge %s, Python %s" % (dbridge.library_version(), sys.version.split()[0]), flush=True)
    runs = {
        "postgres": lambda: bench_postgres(os.environ["DBRIDGE_TEST_POSTGRES_URL"], a.rows, a.repeat),
        "sqlite": lambda: bench_sqlite(a.rows, a.repeat),
        "mysql": lambda: bench_mysql(os.environ["DBRIDGE_TEST_MYSQL_URL"], a.rows, a.repeat),
        "redis": lambda: bench_redis(os.environ["DBRIDGE_TEST_REDIS_URL"], a.rows, a.repeat),
    }
    for name, run in runs.items():
        if a.only and name != a.only:
            continue
        if name != "sqlite" and not os.environ.get("DBRIDGE_TEST_%s_URL" % name.upper()):
            print("%s: skipped (DBRIDGE_TEST_%s_URL unset)" % (name, name.upper()))
            continue
        run()


if __name__ == "__main__":
    main()
