# SPDX-License-Identifier: Apache-2.0
# Module globals, type objects, constructors and the exception hierarchy (PEP 249).
import datetime
import os
import subprocess
import sys
import time

import pytest

import dbridge


def test_globals():
    assert dbridge.apilevel == "2.0"
    assert dbridge.threadsafety == 1
    assert dbridge.paramstyle == "qmark"
    major, minor = dbridge.abi_version()
    assert major == 1 and minor >= 1
    assert dbridge.library_version().count(".") == 2


def test_exception_hierarchy():
    assert issubclass(dbridge.Warning, Exception)
    assert issubclass(dbridge.Error, Exception)
    assert issubclass(dbridge.InterfaceError, dbridge.Error)
    assert issubclass(dbridge.DatabaseError, dbridge.Error)
    for cls in (dbridge.DataError, dbridge.OperationalError, dbridge.IntegrityError, dbridge.InternalError,
                dbridge.ProgrammingError, dbridge.NotSupportedError):
        assert issubclass(cls, dbridge.DatabaseError), cls
    assert dbridge.Connection.IntegrityError is dbridge.IntegrityError


def test_type_objects_group_type_codes():
    T = dbridge.TypeCode
    assert dbridge.STRING == T.TEXT and T.TEXT == dbridge.STRING
    assert dbridge.BINARY == T.BYTES
    for t in (T.INT64, T.UINT64, T.DOUBLE, T.DECIMAL, T.BOOL):
        assert dbridge.NUMBER == t
    for t in (T.DATE, T.TIME, T.TIMESTAMP, T.TIMESTAMPTZ, T.INTERVAL):
        assert dbridge.DATETIME == t
    assert dbridge.NUMBER != T.TEXT and dbridge.STRING != T.INT64
    assert dbridge.ROWID != T.INT64
    assert repr(T.TEXT) == "TypeCode.TEXT"


def test_constructors():
    assert dbridge.Date(2024, 2, 29) == datetime.date(2024, 2, 29)
    assert dbridge.Time(13, 4, 5) == datetime.time(13, 4, 5)
    assert dbridge.Timestamp(2024, 2, 29, 13, 4, 5) == datetime.datetime(2024, 2, 29, 13, 4, 5)
    assert dbridge.Binary(b"\x00\x01") == b"\x00\x01"
    ticks = time.mktime((2021, 3, 4, 5, 6, 7, 0, 0, -1))
    assert dbridge.DateFromTicks(ticks) == datetime.date(2021, 3, 4)
    assert dbridge.TimeFromTicks(ticks) == datetime.time(5, 6, 7)
    assert dbridge.TimestampFromTicks(ticks) == datetime.datetime(2021, 3, 4, 5, 6, 7)


def test_missing_library_is_a_clear_import_error(tmp_path):
    env = dict(os.environ, DBRIDGE_LIBRARY=str(tmp_path / "nowhere" / "libdbridge.so"))
    p = subprocess.run([sys.executable, "-c", "import dbridge"], env=env, capture_output=True, text=True)
    assert p.returncode != 0
    assert "ImportError" in p.stderr and "DBRIDGE_LIBRARY" in p.stderr and "nowhere" in p.stderr


def test_bad_url_is_a_programming_error():
    with pytest.raises(dbridge.Error) as e:
        dbridge.connect("nosuchscheme://x")
    assert e.value.category in ("invalid_argument", "not_found", "unsupported")


def test_unknown_option_is_refused(tmp_path):
    with pytest.raises(dbridge.ProgrammingError) as e:
        dbridge.connect("sqlite://" + str(tmp_path / "o.db"), no_such_option=1)
    assert e.value.category == "invalid_argument"


def test_pip_installs_the_package(tmp_path):
    """pip builds and installs bindings/python offline (setuptools from Debian, no compiler)."""
    import shutil
    package = os.path.join(os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__)))),
                           "bindings", "python")
    src, target = tmp_path / "src", tmp_path / "site"
    shutil.copytree(package, src, ignore=shutil.ignore_patterns("build", "*.egg-info", "__pycache__"))
    p = subprocess.run([sys.executable, "-m", "pip", "install", "-q", "--no-build-isolation", "--no-deps", "--no-index",
                        "--target", str(target), str(src)], capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    env = dict(os.environ, PYTHONPATH=str(target))
    p = subprocess.run([sys.executable, "-c", "import dbridge; print(dbridge.__file__, dbridge.paramstyle)"],
                       env=env, capture_output=True, text=True, cwd=str(tmp_path))
    assert p.returncode == 0, p.stderr
    assert p.stdout.startswith(str(target)) and "qmark" in p.stdout
