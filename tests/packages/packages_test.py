#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""End-to-end tests of plugin packages, repositories and installs.

Drives the real `dbridge` binary on real files: packs the built plugins,
crafts hostile archives with tarfile, serves signed repositories from a
folder, file:// and a loopback http.server, installs, queries, pins,
removes, syncs. Each --group is one ctest test.

The CLI runs from a scratch prefix (bin/dbridge, libexec/dbridge/dbridge-package
and lib/libdbridge.so*, found
through LD_LIBRARY_PATH), so the build tree's plugin folder is not searched
and only what the test installs exists.
"""
import argparse
import fcntl
import hashlib
import io
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tarfile
import tempfile
import time
import traceback

ARGS = None
FAILURES = []


def check(cond, what, detail=""):
    if not cond:
        FAILURES.append(what + ("\n    " + detail.replace("\n", "\n    ") if detail else ""))
        print("FAIL:", what, file=sys.stderr)
        if detail:
            print("   ", detail, file=sys.stderr)
    return cond


def sha256(path):
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def wait_until(pred, timeout=5.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if pred():
            return True
        time.sleep(0.005)
    return False


class Env:
    """A scratch HOME, XDG folders and prefix for one group."""

    def __init__(self, root):
        self.root = root
        self.prefix = os.path.join(root, "prefix")
        os.makedirs(os.path.join(self.prefix, "bin"))
        os.makedirs(os.path.join(self.prefix, "lib"))
        core_dir = os.path.dirname(ARGS.core)
        for name in os.listdir(core_dir):
            if name.startswith("libdbridge.so"):
                src = os.path.join(core_dir, name)
                dst = os.path.join(self.prefix, "lib", name)
                if os.path.islink(src):
                    os.symlink(os.readlink(src), dst)
                else:
                    shutil.copy2(src, dst)
        self.cli = os.path.join(self.prefix, "bin", "dbridge")
        shutil.copy2(ARGS.cli, self.cli)
        # `dbridge plugin|repo` exec the installed <prefix>/libexec/dbridge/dbridge-package.
        libexec = os.path.join(self.prefix, "libexec", "dbridge")
        os.makedirs(libexec)
        shutil.copy2(os.path.join(os.path.dirname(ARGS.cli), "dbridge-package"), libexec)
        self.home = os.path.join(root, "home")
        self.data = os.path.join(root, "data")
        self.config = os.path.join(root, "config")
        for d in (self.home, self.data, self.config):
            os.makedirs(d)
        self.user_scope = os.path.join(self.data, "dbridge", "plugins")
        self.system_scope = os.path.join(self.prefix, "lib", "dbridge", "plugins")

    def environ(self, **extra):
        e = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": self.home,
            "XDG_DATA_HOME": self.data,
            "XDG_CONFIG_HOME": self.config,
            "LD_LIBRARY_PATH": os.path.join(self.prefix, "lib"),
            "TMPDIR": self.root,
        }
        e.update(extra)
        return e

    def popen(self, *args, **kw):
        return subprocess.Popen([self.cli, *args], env=self.environ(), stdout=subprocess.PIPE,
                                stderr=subprocess.PIPE, text=True, **kw)

    def run(self, *args, timeout=20):
        p = subprocess.run([self.cli, *args], env=self.environ(), capture_output=True, text=True, timeout=timeout)
        return p.returncode, p.stdout, p.stderr

    def ok(self, *args, what=None):
        rc, out, err = self.run(*args)
        check(rc == 0, what or ("dbridge " + " ".join(args) + " succeeds"), out + err)
        return out

    def fails(self, *args, expect=(), what=None):
        rc, out, err = self.run(*args)
        label = what or ("dbridge " + " ".join(args) + " fails")
        check(rc == 1, label + " (exit 1)", "rc=%d\n%s%s" % (rc, out, err))
        for e in expect:
            check(e in err, label + ": stderr names " + repr(e), err)
        return err


# ---------------------------------------------------------------- packages

def plugin_dir(pid):
    return os.path.join(ARGS.plugins, pid)


def built_version(pid):
    """The version in a built plugin's plugin.toml (drivers move on; the tests follow)."""
    text = open(os.path.join(plugin_dir(pid), "plugin.toml")).read()
    m = re.search(r'\[plugin\][^\[]*?version\s*=\s*"([^"]*)"', text)
    check(m is not None, "the built %s plugin.toml names its version" % pid, text[:200])
    return m.group(1)


def patch_plus(version, n):
    major, minor, patch = version.split(".")
    return "%s.%s.%d" % (major, minor, int(patch) + n)


def sv(n):
    """The built sqlite plugin's version with its patch number raised by n: the
    tests pack newer and older copies of it around whatever version it has."""
    return patch_plus(built_version("sqlite"), n)


def copy_plugin(pid, dest, version=None):
    """A copy of a built plugin folder, with plugin.toml's version bumped."""
    shutil.copytree(plugin_dir(pid), dest)
    if version:
        path = os.path.join(dest, "plugin.toml")
        text = open(path).read()
        text = re.sub(r'(\[plugin\][^\[]*?version\s*=\s*")[^"]*(")', r"\g<1>" + version + r"\g<2>", text, count=1)
        open(path, "w").write(text)
    return dest


def pack(env, folder, outdir):
    out = env.ok("plugin", "pack", folder, "-o", outdir)
    path = out.strip().splitlines()[-1] if out.strip() else ""
    check(os.path.isfile(path), "pack prints the package it wrote", out)
    return path


def package_toml(pid, version, files, unpacked, platform=None, abi_major=1, needs=()):
    lines = ["package_version = 1", "", "[package]",
             'id = "%s"' % pid, 'version = "%s"' % version,
             'platform = "%s"' % (platform or ARGS.platform),
             "abi_major = %d" % abi_major, "abi_min_minor = 0",
             'summary = "crafted"', "unpacked_size = %d" % unpacked, ""]
    for soname in needs:
        lines += ["[[needs]]", 'soname = "%s"' % soname, 'debian = "libfake9"', ""]
    lines.append("[files]")
    for name, digest in files.items():
        lines.append('"%s" = "%s"' % (name, digest))
    return "\n".join(lines) + "\n"


def craft(path, members, pid="sqlite", version=None, files=None, unpacked=None, **kw):
    """Writes a .dbrpkg: package.toml first, then members [(TarInfo, bytes)]."""
    version = version or sv(0)
    if files is None:
        files = {ti.name: hashlib.sha256(data).hexdigest() for ti, data in members if ti.isfile()}
    if unpacked is None:
        unpacked = sum(len(d) for ti, d in members if ti.isfile())
    text = package_toml(pid, version, files, unpacked, **kw).encode()
    with tarfile.open(path, "w:gz", format=tarfile.PAX_FORMAT, compresslevel=1) as tar:
        ti = tarfile.TarInfo("package.toml")
        ti.size = len(text)
        tar.addfile(ti, io.BytesIO(text))
        for ti, data in members:
            tar.addfile(ti, io.BytesIO(data) if ti.isfile() else None)
    return path


def regular(name, data, mode=0o644):
    ti = tarfile.TarInfo(name)
    ti.size = len(data)
    ti.mode = mode
    return ti, data


def sqlite_members(version=None, tmp=None):
    """The real sqlite plugin's files as tar members (plugin.toml maybe bumped)."""
    src = plugin_dir("sqlite")
    manifest = open(os.path.join(src, "plugin.toml"), "rb").read()
    if version:
        manifest = re.sub(rb'(\[plugin\][^\[]*?version\s*=\s*")[^"]*(")', rb"\g<1>" + version.encode() + rb"\g<2>",
                          manifest, count=1)
    lib = open(os.path.join(src, "libdbridge_sqlite.so"), "rb").read()
    return [regular("plugin.toml", manifest), regular("libdbridge_sqlite.so", lib, 0o755)]


def with_library(members, lib):
    """sqlite_members() with another library, plugin.toml stamped with its sha256."""
    manifest = members[0][1].replace(hashlib.sha256(members[1][1]).hexdigest().encode(),
                                     hashlib.sha256(lib).hexdigest().encode())
    return [regular("plugin.toml", manifest), regular("libdbridge_sqlite.so", lib, 0o755)]


def installed_dirs(scope):
    if not os.path.isdir(scope):
        return []
    return sorted(d for d in os.listdir(scope) if not d.startswith("."))


def tree_digest(root):
    out = {}
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d != ".staging")
        for f in sorted(filenames):
            if f == ".lock":
                continue
            p = os.path.join(dirpath, f)
            out[os.path.relpath(p, root)] = sha256(p)
    return out


# ---------------------------------------------------------------- groups

def group_hostile(env, tmp):
    good = craft(os.path.join(tmp, "good.dbrpkg"), sqlite_members())
    env.ok("plugin", "install", good, what="a crafted but honest package installs")
    check(installed_dirs(env.user_scope) == [f"sqlite-{sv(0)}"], f"it lands in <scope>/sqlite-{sv(0)}",
          str(installed_dirs(env.user_scope)))
    env.ok("plugin", "remove", "sqlite")
    check(installed_dirs(env.user_scope) == [], "remove leaves nothing", str(installed_dirs(env.user_scope)))

    base = sqlite_members()
    evil_outside = os.path.join(env.data, "dbridge", "evil")

    def hostile(name, members, expect, **kw):
        path = craft(os.path.join(tmp, name + ".dbrpkg"), members, **kw)
        env.fails("plugin", "install", path, expect=expect, what="hostile archive '%s' is refused" % name)
        check(installed_dirs(env.user_scope) == [], name + ": nothing installed", str(installed_dirs(env.user_scope)))
        staging = os.path.join(env.user_scope, ".staging")
        check(not os.path.isdir(staging) or os.listdir(staging) == [], name + ": no staging left over")
        check(not os.path.exists(evil_outside), name + ": nothing written outside the target")

    hostile("dotdot", base + [regular("../../evil", b"x")], ["unsafe path", "'../../evil'"])
    hostile("absolute", base + [regular(evil_outside, b"x")], ["unsafe path", "absolute"])
    hostile("subfolder", base + [regular("sub/x", b"x")], ["unsafe path", "'sub/x'"])
    sym = tarfile.TarInfo("link")
    sym.type = tarfile.SYMTYPE
    sym.linkname = evil_outside
    hostile("symlink", base + [(sym, b"")], ["link entry", "'link'", "symbolic"])
    hard = tarfile.TarInfo("hard")
    hard.type = tarfile.LNKTYPE
    hard.linkname = "plugin.toml"
    hostile("hardlink", base + [(hard, b"")], ["link entry", "'hard'", "hard link"])
    dev = tarfile.TarInfo("dev")
    dev.type = tarfile.CHRTYPE
    dev.devmajor, dev.devminor = 1, 3
    hostile("device", base + [(dev, b"")], ["special file", "'dev'"])
    fifo = tarfile.TarInfo("fifo")
    fifo.type = tarfile.FIFOTYPE
    hostile("fifo", base + [(fifo, b"")], ["special file", "'fifo'"])
    bomb = b"\0" * (8 << 20)
    declared = sum(len(d) for _, d in base) + 1024
    hostile("bomb", base + [regular("README.md", bomb)], ["too large", "'README.md'"], unpacked=declared)
    files = {ti.name: hashlib.sha256(d).hexdigest() for ti, d in base}
    hostile("unlisted", base + [regular("extra.so", b"x")], ["unlisted file", "'extra.so'"], files=dict(files),
            unpacked=declared)
    wrong = dict(files)
    wrong["plugin.toml"] = "0" * 64
    hostile("badsha", base, ["checksum mismatch", "'plugin.toml'"], files=wrong)
    # plugin.toml's [library] sha256 is what the loader checks: a package whose
    # [files] entry is honest but whose manifest names another build must not
    # install (it would never load).
    lib_sha = hashlib.sha256(base[1][1]).hexdigest()
    check(lib_sha.encode() in base[0][1], "the built plugin.toml names its library's sha256")
    stale = regular("plugin.toml", base[0][1].replace(lib_sha.encode(), b"0" * 64))
    hostile("libsha", [stale, base[1]], ["checksum mismatch", "plugin.toml [library] sha256 is " + "0" * 64, lib_sha])
    hostile("idmismatch", base, ["identity mismatch", "plugin.toml says sqlite"], pid="other")
    hostile("vermismatch", base, ["identity mismatch", sv(0)], version=sv(9))
    hostile("platform", base, ["wrong platform", "aarch64-linux-gnu"], platform="aarch64-linux-gnu")
    hostile("abi", base, ["abi incompatible", "ABI 2"], abi_major=2)
    # A library for another CPU: e_machine patched, package otherwise consistent.
    lib = bytearray(base[1][1])
    lib[18:20] = (183 if lib[18] != 183 else 62).to_bytes(2, "little")
    hostile("elfmachine", with_library(base, bytes(lib)),
            ["wrong platform", "another CPU architecture"])
    # A library that needs a shared library this machine does not have.
    src = os.path.join(tmp, "needs")
    os.makedirs(src)
    with open(os.path.join(src, "stub.c"), "w") as f:
        f.write("int dbridge_missing_stub(void) { return 1; }\n")
    with open(os.path.join(src, "lib.c"), "w") as f:
        f.write("int dbridge_missing_stub(void);\nint use(void) { return dbridge_missing_stub(); }\n")
    subprocess.run(["cc", "-shared", "-fPIC", "-o", os.path.join(src, "libdbrmissing.so.9"),
                    "-Wl,-soname,libdbrmissing.so.9", os.path.join(src, "stub.c")], check=True)
    subprocess.run(["cc", "-shared", "-fPIC", "-o", os.path.join(src, "libdbridge_sqlite.so"),
                    os.path.join(src, "lib.c"), os.path.join(src, "libdbrmissing.so.9")], check=True)
    needy = open(os.path.join(src, "libdbridge_sqlite.so"), "rb").read()
    hostile("missinglib", with_library(base, needy),
            ["missing library", "libdbrmissing.so.9", "apt-get install libfake9"], needs=["libdbrmissing.so.9"])
    hostile("empty", [], ["missing file", "'plugin.toml'"], files={"plugin.toml": "0" * 64}, unpacked=0)


def group_install(env, tmp):
    dist = os.path.join(tmp, "dist")
    v100 = pack(env, plugin_dir("sqlite"), dist)
    check(os.path.basename(v100) == f"dbridge-sqlite-{sv(0)}-%s.dbrpkg" % ARGS.platform, "package file name", v100)
    with tarfile.open(v100) as tar:
        names = tar.getnames()
        toml = tar.extractfile("package.toml").read().decode()
    check(names[0] == "package.toml" and "libdbridge_sqlite.so" in names, "archive layout", str(names))
    check(sha256(os.path.join(plugin_dir("sqlite"), "libdbridge_sqlite.so")) in toml, "package.toml hashes the library")
    check(re.search(r"soname = [\"']libsqlite3\.so\.0", toml), "package.toml names the needed libsqlite3.so.0", toml)
    v101 = pack(env, copy_plugin("sqlite", os.path.join(tmp, f"sqlite-{sv(1)}"), sv(1)), dist)
    db = "sqlite://" + os.path.join(tmp, "app.db")

    env.fails("query", db, "select 1", expect=["dbridge plugin install sqlite"],
              what="with nothing installed the query names the package to install")
    out = env.ok("plugin", "install", v100)
    check(f"installed sqlite {sv(0)} (user)" in out, "install says what it did", out)
    inst = open(os.path.join(env.user_scope, f"sqlite-{sv(0)}", "package.toml")).read()
    check("[installed]" in inst and sha256(v100) in inst and v100 in inst, "package.toml records [installed]", inst)
    out = env.ok("query", db, "select 40 + 2 as answer")
    check("42" in out, "a query runs through the installed package", out)
    out = env.ok("plugin", "install", v100)
    check("already installed" in out, "installing it again is a no-op that says so", out)
    # With that version installed, another archive of it is still checked in
    # full, and is never taken for the installed copy.
    before = tree_digest(env.user_scope)
    sym = tarfile.TarInfo("link")
    sym.type = tarfile.SYMTYPE
    sym.linkname = "/etc/passwd"
    hostile_v100 = craft(os.path.join(tmp, "same-hostile.dbrpkg"), sqlite_members() + [(sym, b"")])
    env.fails("plugin", "install", hostile_v100, expect=["link entry", "'link'"],
              what="a hostile archive of the installed version is refused as hostile")
    other = craft(os.path.join(tmp, "same-other.dbrpkg"), sqlite_members())
    env.fails("plugin", "install", other,
              expect=["already installed", "from a different package", sha256(v100), sha256(other),
                      f"dbridge plugin remove sqlite@{sv(0)}"],
              what="an archive of the installed version with other bytes is refused")
    check(tree_digest(env.user_scope) == before, "refusing them left the installed copy as it was")
    check(os.listdir(os.path.join(env.user_scope, ".staging")) == [], "and no staging behind")

    env.ok("plugin", "install", v101)
    check(installed_dirs(env.user_scope) == [f"sqlite-{sv(0)}", f"sqlite-{sv(1)}"], "second version side by side",
          str(installed_dirs(env.user_scope)))
    os.makedirs(os.path.join(env.config, "dbridge"), exist_ok=True)
    cfg = os.path.join(env.config, "dbridge", "dbridge.toml")
    with open(cfg, "w") as f:
        f.write("# my settings\nplugin_path = []\n\n[schemes]\nsqlite = \"sqlite\"\n")
    env.ok("plugin", "pin", "sqlite", sv(0))
    text = open(cfg).read()
    check("# my settings" in text and '[schemes]\nsqlite = "sqlite"' in text and f'[pins]\nsqlite = "{sv(0)}"' in text,
          "pin writes [pins] and keeps the rest of dbridge.toml", text)
    out = env.ok("which", "sqlite")
    check(f"sqlite-{sv(0)}" in out and "pinned" in out, "which picks the pinned version", out)
    env.ok("plugin", "unpin", "sqlite")
    text = open(cfg).read()
    check(f'sqlite = "{sv(0)}"' not in text and "# my settings" in text, "unpin removes the pin only", text)

    # A pin nothing installed can satisfy would fail every connection.
    before = open(cfg).read()
    env.fails("plugin", "pin", "sqlite", sv(7), expect=["not found", sv(7), f"installed: {sv(0)}, {sv(1)}"],
              what="pinning a version that is not installed is refused")
    env.fails("plugin", "pin", "nosuch", "1.0.0", expect=["not found", "no plugin with that id is installed"],
              what="pinning a plugin that is not installed is refused")
    check(open(cfg).read() == before, "a refused pin leaves dbridge.toml as it was", open(cfg).read())
    env.ok("plugin", "pin", "sqlite", sv(1))
    out = env.ok("plugin", "remove", f"sqlite@{sv(1)}")
    check("unpinned sqlite" in out and sv(1) in out, "removing the pinned version says it dropped the pin", out)
    check(f'sqlite = "{sv(1)}"' not in open(cfg).read(), "and the pin is gone", open(cfg).read())
    out = env.ok("which", "sqlite")
    check(f"sqlite-{sv(0)}" in out, "the remaining version serves the scheme", out)
    check(installed_dirs(env.user_scope) == [f"sqlite-{sv(0)}"], "remove ID@VERSION removes that one")
    env.ok("plugin", "install", v101)
    env.ok("plugin", "remove", f"sqlite@{sv(0)}")
    env.fails("plugin", "install", v100, expect=["already installed", "--allow-downgrade"],
              what="an older version needs --allow-downgrade")
    env.fails("plugin", "install", hostile_v100, expect=["link entry", "'link'"],
              what="a hostile archive of an older version is refused as hostile, not as a downgrade")
    env.ok("plugin", "install", "--allow-downgrade", v100)
    check(installed_dirs(env.user_scope) == [f"sqlite-{sv(0)}", f"sqlite-{sv(1)}"], "downgrade installs beside")
    env.ok("plugin", "remove", f"sqlite@{sv(1)}")

    out = env.ok("plugin", "verify")
    check("ok" in out and f"sqlite {sv(0)}" in out, "verify passes on an intact install", out)
    lib = os.path.join(env.user_scope, f"sqlite-{sv(0)}", "libdbridge_sqlite.so")
    os.chmod(lib, 0o644)
    with open(lib, "r+b") as f:
        f.seek(100)
        b = f.read(1)
        f.seek(100)
        f.write(bytes([b[0] ^ 0xFF]))
    out = env.run("plugin", "verify", "sqlite")
    check(out[0] == 1 and "libdbridge_sqlite.so" in out[1] and "was changed" in out[1]
          and out[1].count("libdbridge_sqlite.so has sha256") == 1,
          "verify exits 1 and names a tampered file", str(out))
    env.ok("plugin", "remove", "sqlite")
    env.ok("plugin", "install", v100)

    # --system: under <libdir>/dbridge/plugins of the libdbridge that runs.
    env.ok("plugin", "install", "--system", v101)
    check(installed_dirs(env.system_scope) == [f"sqlite-{sv(1)}"], "--system installs under the core's prefix",
          str(installed_dirs(env.system_scope)))
    env.ok("plugin", "remove", "--system", "sqlite")

    # kill -9 in the middle of an install: the previous state keeps working and
    # the next install cleans up.
    big_src = copy_plugin("sqlite", os.path.join(tmp, "sqlite-big"), sv(2))
    with open(os.path.join(big_src, "README.md"), "wb") as f:
        f.write(b"\0" * (64 << 20))
    big = pack(env, big_src, dist)
    shutil.rmtree(big_src)
    staging = os.path.join(env.user_scope, ".staging")
    p = env.popen("plugin", "install", big)
    saw = wait_until(lambda: os.path.isdir(staging) and any(
        os.path.exists(os.path.join(staging, d, "README.md")) for d in os.listdir(staging)), timeout=10)
    p.send_signal(signal.SIGKILL)
    p.communicate()
    check(saw and p.returncode == -signal.SIGKILL, "the install was killed while unpacking", "rc=%s" % p.returncode)
    check(installed_dirs(env.user_scope) == [f"sqlite-{sv(0)}"], "a killed install leaves the previous state",
          str(installed_dirs(env.user_scope)))
    out = env.ok("query", db, "select 7 * 6")
    check("42" in out, "the previous version still serves queries", out)
    env.ok("plugin", "install", v101)
    check(os.listdir(staging) == [], "the next install removed the stale staging folder", str(os.listdir(staging)))
    env.ok("plugin", "remove", f"sqlite@{sv(1)}")
    os.remove(big)

    # Two installs at once: both complete, nothing corrupt.
    first, second = env.popen("plugin", "install", v101), env.popen("plugin", "remove", f"sqlite@{sv(0)}")
    r1, r2 = first.communicate(timeout=20), second.communicate(timeout=20)
    check(first.returncode == 0 and second.returncode == 0, "concurrent install and remove both succeed",
          str(r1) + str(r2))
    check(installed_dirs(env.user_scope) == [f"sqlite-{sv(1)}"], "and leave exactly the result of both",
          str(installed_dirs(env.user_scope)))
    env.ok("plugin", "remove", "sqlite")
    procs = [env.popen("plugin", "install", "--allow-downgrade", v) for v in (v100, v101, v100)]
    results = [p.communicate(timeout=20) for p in procs]
    check(all(p.returncode == 0 for p in procs), "three concurrent installs succeed", str(results))
    check(installed_dirs(env.user_scope) == [f"sqlite-{sv(0)}", f"sqlite-{sv(1)}"], "two versions, each once",
          str(installed_dirs(env.user_scope)))
    env.ok("plugin", "verify", what="concurrent installs leave verifiable packages")


def start_http_server(folder, tmp):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = open(os.path.join(tmp, "http.log"), "w")
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind", "127.0.0.1",
                             "--directory", folder], stdout=log, stderr=log)

    def up():
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return True
        except OSError:
            return False

    check(wait_until(up, timeout=10), "python3 -m http.server listens")
    return proc, "http://127.0.0.1:%d" % port


def make_repo(env, tmp, name="repo", versions=None, extra=()):
    versions = versions or (sv(0),)
    repo = os.path.join(tmp, name)
    os.makedirs(repo)
    for v in versions:
        if v == sv(0):
            pack(env, plugin_dir("sqlite"), repo)
        else:
            pack(env, copy_plugin("sqlite", os.path.join(tmp, name + "-src-" + v), v), repo)
    for e in extra:
        shutil.copy(e, repo)
    key = os.path.join(tmp, name + ".key")
    if not os.path.exists(key):
        env.ok("repo", "keygen", key)
    env.ok("repo", "index", repo, "--sign", key)
    return repo, key


def group_repo(env, tmp):
    wrong_platform = craft(os.path.join(tmp, "dbridge-sqlite-3.0.0-aarch64-linux-gnu.dbrpkg"),
                           sqlite_members("3.0.0"), version="3.0.0", platform="aarch64-linux-gnu")
    abi2 = craft(os.path.join(tmp, "dbridge-sqlite-2.0.0-%s.dbrpkg" % ARGS.platform), sqlite_members("2.0.0"),
                 version="2.0.0", abi_major=2)
    repo, key = make_repo(env, tmp, versions=(sv(0), sv(1)), extra=(wrong_platform, abi2))
    check(oct(os.stat(key).st_mode & 0o777) == "0o600", "the private key is 0600")
    index = open(os.path.join(repo, "index.toml")).read()
    check(index.count("[[package]]") == 4 and "sha256" in index and "size" in index, "index lists every package",
          index)

    env.fails("plugin", "install", "sqlite", "--repo", repo, expect=["bad signature", "not signed by any trusted key"],
              what="an untrusted key is refused")
    err = env.fails("plugin", "search", "--repo", "http://alice:s3cr3t-pw@127.0.0.1:9/repo",
                    what="an unreachable repository with credentials fails")
    check("s3cr3t-pw" not in err and "127.0.0.1" in err, "a repository's password never appears in the error", err)
    out = env.ok("plugin", "trust", key + ".pub")
    check("trusted-keys" in out, "trust stores the key under the config dir", out)
    out = env.ok("plugin", "search", "--repo", repo)
    check(out.count("sqlite") >= 4, "search lists the repository", out)
    out = env.ok("plugin", "install", "sqlite", "--repo", repo)
    check(f"installed sqlite {sv(1)}" in out, "the highest compatible version is chosen (not 2.0.0 or 3.0.0)", out)
    env.ok("plugin", "remove", "sqlite")
    err = env.fails("plugin", "install", "sqlite@>=2", "--repo", repo, expect=["not found"])
    check("built for aarch64-linux-gnu" in err and "ABI 2" in err, "the refusal says why each was passed over", err)
    out = env.ok("plugin", "install", f"sqlite@{sv(0)}", "--repo", "file://" + repo)
    check(f"installed sqlite {sv(0)}" in out, "an exact version from a file:// URL", out)
    env.ok("plugin", "remove", "sqlite")
    # An installed copy that came from other bytes than the signed index names.
    local = craft(os.path.join(tmp, "local-same-version.dbrpkg"), sqlite_members())
    env.ok("plugin", "install", local)
    before = tree_digest(env.user_scope)
    signed = sha256(os.path.join(repo, f"dbridge-sqlite-{sv(0)}-%s.dbrpkg" % ARGS.platform))
    env.fails("plugin", "install", f"sqlite@={sv(0)}", "--repo", repo,
              expect=["already installed", "from a different package", sha256(local), signed],
              what="an installed copy whose archive differs from the index entry is reported, not kept silently")
    check(tree_digest(env.user_scope) == before, "the refusal changed nothing installed")
    env.ok("plugin", "remove", "sqlite")
    # `plugin pin` pins installed versions only; a dbridge.toml written by
    # hand (or copied from another machine) may still name one.
    cfg = os.path.join(env.config, "dbridge", "dbridge.toml")
    with open(cfg, "a") as f:
        f.write('\n[pins]\nsqlite = "%s"\n' % sv(0))
    out = env.ok("plugin", "install", "sqlite", "--repo", repo)
    check(f"installed sqlite {sv(0)}" in out, "a pin chooses the version installed from a repository", out)
    env.ok("plugin", "unpin", "sqlite")
    env.ok("plugin", "remove", "sqlite")

    # Repositories configured in dbridge.toml.
    with open(cfg, "a") as f:
        f.write('\n[[repository]]\nurl = "file://%s"\n' % repo)
    out = env.ok("plugin", "install", "sqlite")
    check(f"installed sqlite {sv(1)}" in out, "[[repository]] of dbridge.toml is used without --repo", out)
    env.ok("plugin", "remove", "sqlite")

    server, url = start_http_server(repo, tmp)
    try:
        out = env.ok("plugin", "install", f"sqlite@{sv(0)}", "--repo", url)
        check(f"installed sqlite {sv(0)}" in out and url in out, "install over http", out)
        out = env.ok("query", "sqlite://" + os.path.join(tmp, "h.db"), "select 'over http'")
        check("over http" in out, "the package installed over http serves queries", out)
        env.ok("plugin", "remove", "sqlite")
    finally:
        server.terminate()
        server.wait(timeout=5)

    # Tampering.
    pkg = os.path.join(repo, f"dbridge-sqlite-{sv(1)}-%s.dbrpkg" % ARGS.platform)
    original = open(pkg, "rb").read()
    damaged = bytearray(original)
    damaged[len(damaged) // 2] ^= 0xFF
    open(pkg, "wb").write(bytes(damaged))
    env.fails("plugin", "install", "sqlite", "--repo", repo, expect=["checksum mismatch", "the signed index says"],
              what="a tampered archive is refused")
    open(pkg, "wb").write(original)
    idx = os.path.join(repo, "index.toml")
    original_index = open(idx).read()
    open(idx, "w").write(original_index.replace(sv(0), sv(3), 1))
    env.fails("plugin", "install", "sqlite", "--repo", repo, expect=["bad signature"],
              what="a tampered index is refused")
    open(idx, "w").write(original_index)
    os.rename(idx + ".sig", idx + ".sig.off")
    env.fails("plugin", "install", "sqlite", "--repo", repo, expect=["bad signature", "no signature"],
              what="an unsigned repository is refused")
    check(f"version = '{sv(0)}'" in original_index, "the index spells versions as expected", original_index)
    open(idx, "w").write(original_index.replace(f"version = '{sv(0)}'", f"version = '{sv(9)}'"))
    env.fails("plugin", "install", f"sqlite@{sv(9)}", "--repo", repo, "--allow-unsigned",
              expect=["identity mismatch", f"the repository index says sqlite {sv(9)}"],
              what="a package whose manifest differs from its index entry is refused")
    open(idx, "w").write(original_index)
    out = env.ok("plugin", "install", "sqlite", "--repo", repo, "--allow-unsigned")
    check(f"installed sqlite {sv(1)}" in out, "--allow-unsigned accepts it", out)
    os.rename(idx + ".sig.off", idx + ".sig")
    env.ok("plugin", "remove", "sqlite")
    check(installed_dirs(env.user_scope) == [], "repo group leaves the scope empty")

    # sync: first run writes the lock, later runs honour it, trees identical.
    work = os.path.join(tmp, "project")
    os.makedirs(work)
    with open(os.path.join(work, "dbridge-plugins.toml"), "w") as f:
        f.write('[[plugin]]\nid = "sqlite"\nversion = "^1.0"\nrepository = "%s"\n' % os.path.relpath(repo, work))
    env.ok("plugin", "sync", os.path.join(work, "dbridge-plugins.toml"))
    lock = open(os.path.join(work, "dbridge-plugins.lock")).read()
    check(re.search(r"version = [\"']" + re.escape(sv(1)) + r"[\"']", lock) and sha256(pkg) in lock,
          "the lock names the exact version and sha256", lock)
    first = tree_digest(env.user_scope)
    pack(env, copy_plugin("sqlite", os.path.join(tmp, f"src-{sv(5)}"), sv(5)), repo)
    env.ok("repo", "index", repo, "--sign", key)
    out = env.ok("plugin", "sync", os.path.join(work, "dbridge-plugins.toml"))
    check("already installed" in out, "the second sync is a no-op", out)
    check(tree_digest(env.user_scope) == first, "sync twice gives identical trees")
    check(open(os.path.join(work, "dbridge-plugins.lock")).read() == lock, "and leaves the lock as it was")
    shutil.rmtree(env.user_scope)
    env.ok("plugin", "sync", os.path.join(work, "dbridge-plugins.toml"))
    again = tree_digest(env.user_scope)
    strip = lambda d: {k: v for k, v in d.items() if not k.endswith("package.toml")}
    check(strip(again) == strip(first) and installed_dirs(env.user_scope) == [f"sqlite-{sv(1)}"],
          f"from the lock a fresh machine gets the same bytes, not the newer {sv(5)}", str(again))


def group_postgres(env, tmp):
    url = os.environ.get("DBRIDGE_TEST_POSTGRES_URL")
    if not url:
        if os.environ.get("CI") == "true":
            check(False, "DBRIDGE_TEST_POSTGRES_URL must be set in CI")
        else:
            print("SKIP: no DBRIDGE_TEST_POSTGRES_URL")
        return
    psql = os.path.join(os.environ.get("DBRIDGE_TEST_POSTGRES_BIN", "/usr/bin"), "psql")
    if not os.path.exists(psql):
        psql = shutil.which("psql") or "psql"
    repo = os.path.join(tmp, "repo")
    os.makedirs(repo)
    pack(env, plugin_dir("postgres"), repo)
    built = built_version("postgres")
    newer = patch_plus(built, 1)
    pack(env, copy_plugin("postgres", os.path.join(tmp, "pg-" + newer), newer), repo)
    key = os.path.join(tmp, "k")
    env.ok("repo", "keygen", key)
    env.ok("repo", "index", repo, "--sign", key)
    env.ok("plugin", "trust", key + ".pub")
    out = env.ok("plugin", "install", "postgres@" + built, "--repo", repo)
    check("installed postgres " + built in out, "postgres installs from the repository", out)
    out = env.ok("query", url, "select 6 * 7 as answer")
    check("42" in out, "PostgreSQL answers through the installed package", out)

    # A process holding the built version keeps working while it is upgraded and removed.
    holder = env.popen("listen", url, "pkgtest_chan", "-t", "30")
    lines = []
    import threading
    reader = threading.Thread(target=lambda: lines.extend(iter(holder.stdout.readline, "")), daemon=True)
    reader.start()

    def notify_until(pred):
        def sent():
            subprocess.run([psql, url, "-qc", "NOTIFY pkgtest_chan, 'ping'"], capture_output=True, timeout=10)
            return wait_until(pred, timeout=0.3)
        return wait_until(sent, timeout=15)

    check(notify_until(lambda: len(lines) >= 1), "the holder receives a notification", str(lines))
    seen = len(lines)
    env.ok("plugin", "install", "postgres@" + newer, "--repo", repo)
    env.ok("plugin", "remove", "postgres@" + built)
    check(notify_until(lambda: len(lines) > seen), "it keeps working after an upgrade and removal underneath it",
          str(lines))
    check(holder.poll() is None, "the holder is still running", holder.stderr.read() if holder.poll() else "")
    holder.terminate()
    holder.wait(timeout=10)
    env.ok("plugin", "remove", "postgres")
    env.fails("query", url, "select 1", expect=["dbridge plugin install postgres"],
              what="after removal the query names the package to install")


def main():
    global ARGS
    ap = argparse.ArgumentParser()
    ap.add_argument("--group", required=True, choices=["hostile", "install", "repo", "postgres"])
    ap.add_argument("--cli", required=True)
    ap.add_argument("--core", required=True)
    ap.add_argument("--plugins", required=True)
    ap.add_argument("--platform", required=True)
    ARGS = ap.parse_args()
    with tempfile.TemporaryDirectory(prefix="dbridge-pkgtest-") as tmp:
        env = Env(os.path.join(tmp, "env"))
        rc, out, err = env.run("plugins")
        check("sqlite" not in out, "the scratch prefix sees no plugin before installing", out + err)
        try:
            globals()["group_" + ARGS.group](env, tmp)
        except Exception:
            FAILURES.append(traceback.format_exc())
            print(traceback.format_exc(), file=sys.stderr)
    if FAILURES:
        print("%d failure(s)" % len(FAILURES), file=sys.stderr)
        return 1
    print("all checks passed")
    return 0


if __name__ == "__main__":
    sys.exit(main())
