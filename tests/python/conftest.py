# SPDX-License-Identifier: Apache-2.0
# Fixtures of the Python DB-API tests: a connection per backend, from the
# DBRIDGE_TEST_*_URL servers scripts/servers starts. Unset, a test skips when
# run by hand and fails under CI=true (as tests/support/test_server.hpp).
import os
import uuid

import pytest

import dbridge

SQL_BACKENDS = ("sqlite", "postgres", "mysql")


def server_url(kind):
    var = "DBRIDGE_TEST_%s_URL" % kind.upper()
    url = os.environ.get(var)
    if not url:
        message = "%s is not set (start the servers: source scripts/servers && servers_start)" % var
        if os.environ.get("CI") == "true":
            pytest.fail(message + " (CI=true: a missing server fails the run)")
        pytest.skip(message)
    return url


@pytest.fixture
def url_of(tmp_path):
    def url(kind):
        if kind == "sqlite":
            return "sqlite://" + str(tmp_path / "py.db")
        return server_url(kind)
    return url


@pytest.fixture(params=SQL_BACKENDS)
def backend(request):
    return request.param


@pytest.fixture
def url(backend, url_of):
    return url_of(backend)


@pytest.fixture
def conn(url):
    c = dbridge.connect(url)
    yield c
    c.close()


@pytest.fixture
def table(url, conn):
    """A unique table name, dropped afterwards (conn's transaction ends first: it may lock the table)."""
    name = "pyapi_" + uuid.uuid4().hex[:10]
    yield name
    if not conn.closed:
        conn.rollback()
    with dbridge.connect(url, autocommit=True) as c:
        c.cursor().execute("DROP TABLE IF EXISTS " + name)


@pytest.fixture
def redis():
    c = dbridge.connect(server_url("redis"))
    yield c
    c.close()


@pytest.fixture
def key():
    return "pyapi:" + uuid.uuid4().hex[:10]
