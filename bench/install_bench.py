#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""`dbridge plugin install` of a local ~2 MB package: wall time per install.

Usage: bench/install_bench.py BUILD_DIR [RUNS]
Packs the built sqlite plugin plus ~2 MB of incompressible README into a
.dbrpkg, then times RUNS installs into a scratch $XDG_DATA_HOME (each one
into an empty scope: the package is removed between runs, untimed).
Target: under 200 ms per install.
"""
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else "build")
runs = int(sys.argv[2]) if len(sys.argv) > 2 else 20
cli = os.path.join(build, "cli", "dbridge")
with tempfile.TemporaryDirectory(prefix="dbridge-install-bench-") as tmp:
    src = os.path.join(tmp, "sqlite")
    shutil.copytree(os.path.join(build, "plugins", "sqlite"), src)
    # The library compresses to ~0.8 MB; random bytes do not compress.
    with open(os.path.join(src, "README.md"), "wb") as f:
        f.write(os.urandom(1200 * 1024))
    env = dict(os.environ, HOME=tmp, XDG_DATA_HOME=os.path.join(tmp, "data"),
               XDG_CONFIG_HOME=os.path.join(tmp, "config"))
    pkg = subprocess.run([cli, "plugin", "pack", src, "-o", tmp], env=env, check=True, capture_output=True,
                         text=True).stdout.strip()
    times, cpu = [], []
    for _ in range(runs):
        r0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        t0 = time.perf_counter()
        subprocess.run([cli, "plugin", "install", pkg], env=env, check=True, capture_output=True)
        times.append((time.perf_counter() - t0) * 1000)
        r1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        cpu.append((r1.ru_utime + r1.ru_stime - r0.ru_utime - r0.ru_stime) * 1000)
        subprocess.run([cli, "plugin", "remove", "sqlite"], env=env, check=True, capture_output=True)
    print("package %s: %.2f MB" % (os.path.basename(pkg), os.path.getsize(pkg) / 1e6))
    print("install: median %.1f ms, min %.1f ms, max %.1f ms wall over %d runs (target < 200 ms); "
          "median CPU (user+sys) %.1f ms; load average %.1f"
          % (statistics.median(times), min(times), max(times), runs, statistics.median(cpu), os.getloadavg()[0]))
    sys.exit(0 if statistics.median(times) < 200 else 1)
