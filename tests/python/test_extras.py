# SPDX-License-Identifier: Apache-2.0
# Beyond PEP 249: pools, LISTEN/NOTIFY and pub/sub, Redis commands, the registry and the catalog.
import threading

import pytest

import dbridge


def test_pool_hands_out_and_takes_back(url_of):
    url = url_of("postgres")
    with dbridge.pool(url, min=0, max=2, acquire_timeout_ms=200, name="pyapi-pool") as p:
        a = p.acquire(timeout=5)  # a loaded machine may take long to open one
        b = p.acquire(timeout=5)
        assert a.execute("SELECT 1").fetchone() == (1,)
        assert p.metrics()["primary"]["in_use"] == 2
        with pytest.raises(dbridge.OperationalError) as e:
            p.acquire(timeout=0.1)
        assert e.value.category == "resource" and e.value.subcategory == "pool_exhausted"
        # The holders it names were acquired here, in Python, not in the C API's source.
        assert "held longest by" in str(e.value) and "C API" in str(e.value)
        assert "capi_pool.cpp" not in str(e.value)
        a.close()  # gives it back
        assert p.metrics()["primary"]["in_use"] == 1
        with p.acquire(timeout=5) as c:  # commits and gives back at the end of the block
            assert c.execute("SELECT 2").fetchone() == (2,)
        b.close()
        assert p.metrics()["primary"]["in_use"] == 0
    with pytest.raises(dbridge.InterfaceError):
        p.acquire()


def test_pool_rolls_back_what_was_not_committed(url_of):
    url = url_of("postgres")
    with dbridge.pool(url, max=1) as p:
        with p.acquire() as c:
            c.execute("CREATE TABLE IF NOT EXISTS pyapi_pool_t (v int)")
        c = p.acquire()
        c.execute("INSERT INTO pyapi_pool_t VALUES (1)")
        c.close()  # not committed: rolled back before anyone else gets it
        with p.acquire() as c:
            assert c.execute("SELECT count(*) FROM pyapi_pool_t").fetchone() == (0,)
            c.execute("DROP TABLE pyapi_pool_t")


def test_pool_serves_threads(url_of):
    url = url_of("mysql")
    results = []
    with dbridge.pool(url, max=3) as p:
        def work(i):
            with p.acquire() as c:
                results.append(c.execute("SELECT ?", (i,)).fetchone()[0])
        threads = [threading.Thread(target=work, args=(i,)) for i in range(8)]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
    assert sorted(results) == list(range(8))


def test_postgres_listen_notify(url_of):
    url = url_of("postgres")
    with dbridge.connect(url, autocommit=True) as listener_conn, dbridge.connect(url, autocommit=True) as sender:
        with listener_conn.listen("pyapi_chan") as l:
            assert l.wait(0.05) is None
            sender.notify("pyapi_chan", "hello")
            sender.execute("NOTIFY pyapi_chan, 'second'")
            got = list(l.messages(timeout=1))
            assert [(n.channel, n.payload) for n in got] == [("pyapi_chan", "hello"), ("pyapi_chan", "second")]
            assert got[0].pid > 0 and got[0].pattern is None


def test_redis_subscribe_and_patterns(url_of, redis):
    with dbridge.connect(url_of("redis")) as sub_conn:
        with sub_conn.subscribe("pyapi:news", patterns=["pyapi:ev.*"]) as sub:
            assert redis.command("PUBLISH", "pyapi:news", "n1") == 1
            redis.notify("pyapi:ev.x", "e1")
            got = [next(iter(sub)), sub.wait(1)]
            assert {(n.channel, n.payload, n.pattern) for n in got} == {
                ("pyapi:news", "n1", None), ("pyapi:ev.x", "e1", "pyapi:ev.*")}


def test_redis_message_bytes_that_are_not_utf8(url_of, redis):
    # A Redis message is bytes; the str fields replace what is not UTF-8,
    # and the *_bytes attributes keep it as published.
    with dbridge.connect(url_of("redis")) as sub_conn:
        with sub_conn.subscribe(patterns=["pyapi:raw.*"]) as sub:
            redis.command("PUBLISH", b"pyapi:raw.\xff", b"\xff\xfe\x00ok")
            n = sub.wait(5)
            assert n.payload_bytes == b"\xff\xfe\x00ok" and n.payload == "\ufffd\ufffd\x00ok"
            assert n.channel_bytes == b"pyapi:raw.\xff" and n.channel == "pyapi:raw.\ufffd"
            assert n.pattern_bytes == b"pyapi:raw.*" and n.pattern == "pyapi:raw.*"
            assert tuple(n) == (n.channel, n.payload, n.pattern, n.pid)


@pytest.mark.parametrize("kind", ["redis", "postgres"])
def test_close_while_another_thread_waits_is_refused(url_of, kind):
    # dbridge.h's thread rule: closing is a second call while another thread
    # is inside one (blocked in Listener.wait); it closed under the waiter
    # before (Redis crashed, PostgreSQL reported "out of memory").
    url = url_of(kind)
    with dbridge.connect(url, autocommit=True) as sender:
        lc = dbridge.connect(url, autocommit=True)
        listener = lc.listen("pyapi_closewait")
        cid = lc.id
        got = {}
        waiter = threading.Thread(target=lambda: got.setdefault("n", listener.wait(30)))
        waiter.start()
        # in_use with no result open: the waiter is inside its call.
        while next(e["state"] for e in dbridge.registry() if e["id"] == cid) != "in_use":
            assert waiter.is_alive()
        with pytest.raises(dbridge.InternalError) as e:
            lc.close()
        assert e.value.category == "invalid_state"
        assert not lc.closed
        sender.notify("pyapi_closewait", "wake")
        waiter.join(30)
        assert not waiter.is_alive() and got["n"].payload == "wake"
        listener.close()
        lc.close()
        assert lc.closed


def test_redis_commands_and_replies(redis, key):
    try:
        assert redis.command("SET", key, "v\x00w") == "OK"
        assert redis.command("GET", key) == b"v\x00w"
        assert redis.command("GET", key + ":missing") is None
        assert redis.command(["INCRBY", key + ":n", 41]) == 41
        assert redis.command("INCRBYFLOAT", key + ":n", 0.5) == b"41.5"
        redis.command("HSET", key + ":h", "a", "1", "b", "2")
        h = redis.command("HGETALL", key + ":h")
        assert (dict(zip(h[::2], h[1::2])) if isinstance(h, list) else h) == {b"a": b"1", b"b": b"2"}
        redis.command("RPUSH", key + ":l", "x", "y")
        assert redis.command("LRANGE", key + ":l", 0, -1) == [b"x", b"y"]
        assert redis.command("LRANGE", key + ":missing", 0, -1) == []
        cursor, keys = redis.command("SCAN", 0, "MATCH", key + ":l", "COUNT", 1000)
        assert isinstance(cursor, bytes) and isinstance(keys, list)
        assert redis.command("MGET", key + ":l2", key) == [None, b"v\x00w"]
        redis.command("MULTI")
        redis.command("INCR", key + ":n2")
        redis.command("LPUSH", key, "wrongtype")
        replies = redis.command("EXEC")
        assert replies[0] == 1 and isinstance(replies[1], dbridge.ReplyError)
        assert replies[1].message.startswith("WRONGTYPE")
        assert not redis.in_transaction  # autocommit off begins no MULTI on Redis
        redis.commit()  # nothing to commit, and no error
    finally:
        redis.command("DEL", key, key + ":n", key + ":h", key + ":l", key + ":n2")


def test_registry_lists_connections_without_passwords(url_of):
    url = url_of("postgres")
    with dbridge.connect(url, opened_by="pyapi-registry-test") as c:
        cid = c.id
        entries = [e for e in dbridge.registry() if e.get("id") == cid]
        assert len(entries) == 1
        text = repr(entries[0])
        assert "pyapi-registry-test" in text
        assert "dbridge-pg-secret" not in text and "dbridge-pg-secret" not in c.url
        assert c.scheme in ("postgresql", "postgres")
    assert all(e.get("id") != cid for e in dbridge.registry())


def test_plugin_catalog():
    catalog = dbridge.plugins()
    ids = {p["id"] for p in catalog["plugins"]}
    assert {"sqlite", "postgres", "mysql", "redis"} <= ids
    assert isinstance(catalog["search_path"], list)
