#!/usr/bin/env python3
# SPDX-License-Identifier: Apache-2.0
"""Every workload against its raw baseline, in interleaved pairs, as one table.

Run through bench/run_all (which starts the test servers). Each pair runs the
raw benchmark and the dbridge one as two short processes back to back, the
order alternating between pairs, so both see the same machine; the ratio of
each pair is dbridge / raw, and the table gives the median ratio and the
spread across pairs. Workloads whose program or server is missing are listed
as skipped. Single-threaded workloads that never wait for I/O compare CPU
time (marked "cpu"): on a loaded machine their wall time is mostly time spent
waiting for a core, which says more about the scheduler than about the code.
"""
import argparse
import json
import os
import statistics
import subprocess
import sys

# (label, program, raw benchmark, dbridge benchmark, server variable or None[, "cpu"])
WORKLOADS = [
    ("SQLite SELECT ?1+1 prepared, 1 row", "bench_sqlite", "raw_prepared_select", "dbridge_prepared_select", None),
    ("SQLite 100k inserts, 1 transaction", "bench_sqlite", "raw_insert_100k", "dbridge_insert_100k", None),
    ("PostgreSQL point select", "bench_postgres", "BM_point_select_raw", "BM_point_select_dbridge",
     "DBRIDGE_TEST_POSTGRES_URL"),
    ("PostgreSQL 1M-row fetch", "bench_postgres", "BM_fetch_1m_raw_single_row_text", "BM_fetch_1m_dbridge",
     "DBRIDGE_TEST_POSTGRES_URL"),
    ("PostgreSQL COPY 100k rows", "bench_postgres", "BM_load_100k_raw_copy", "BM_load_100k_dbridge_copy",
     "DBRIDGE_TEST_POSTGRES_URL"),
    ("MariaDB point select", "bench_mysql", "BM_point_select_raw", "BM_point_select_dbridge",
     "DBRIDGE_TEST_MYSQL_URL"),
    ("MariaDB fetch", "bench_mysql", "BM_fetch_raw_use_result", "BM_fetch_dbridge", "DBRIDGE_TEST_MYSQL_URL"),
    ("MariaDB 100k bulk (raw: per-row prepared)", "bench_mysql", "BM_insert_per_row_raw", "BM_bulk_insert_dbridge",
     "DBRIDGE_TEST_MYSQL_URL"),
    ("Redis SET+GET round trips", "bench_redis", "raw_set_get", "dbridge_set_get_command", "DBRIDGE_TEST_REDIS_URL"),
    ("Redis pipelined SETs", "bench_redis", "raw_pipelined_set", "dbridge_pipelined_set", "DBRIDGE_TEST_REDIS_URL"),
    ("Pool acquire+release, 8 PostgreSQL, 1 thread", "bench_pool", "bare_mutex_pool", "pool_acquire_release_pg",
     "DBRIDGE_TEST_POSTGRES_URL", "cpu"),
    ("Pool acquire+release, 8 SQLite, 1 thread", "bench_pool", "bare_mutex_pool", "pool_acquire_release/lifo", None,
     "cpu"),
    ("Pool acquire+release, 8 SQLite, 8 threads", "bench_pool", "bare_mutex_pool_threads/real_time/threads:8",
     "pool_threads/max8/real_time/threads:8", None),
]

UNIT_NS = {"ns": 1.0, "us": 1e3, "ms": 1e6, "s": 1e9}


def run_one(program, name, min_time, clock="real"):
    """Runs one benchmark in its own process; returns ns per iteration (wall, or CPU when clock is "cpu")."""
    # Fixed-count benchmarks carry an "/iterations:N" suffix.
    cmd = [program, "--benchmark_filter=^" + name + "(/|$)", "--benchmark_format=json",
           "--benchmark_min_time=" + min_time]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, check=False)
    if out.returncode != 0:
        raise RuntimeError(f"{os.path.basename(program)} {name}: exit {out.returncode}: {out.stderr.strip()[-300:]}")
    try:
        report = json.loads(out.stdout[out.stdout.find("{"):])
    except ValueError:
        raise RuntimeError(f"{os.path.basename(program)} {name}: no report ({out.stdout.strip()[-200:]})") from None
    runs = [b for b in report["benchmarks"] if b.get("run_type", "iteration") == "iteration"]
    if not runs:
        raise RuntimeError(f"{os.path.basename(program)}: no benchmark matched {name}")
    b = runs[0]
    if b.get("error_occurred"):
        raise RuntimeError(f"{os.path.basename(program)} {name}: {b.get('error_message')}")
    return b["cpu_time" if clock == "cpu" else "real_time"] * UNIT_NS[b.get("time_unit", "ns")]


def human(ns):
    for unit, scale in (("s", 1e9), ("ms", 1e6), ("us", 1e3)):
        if ns >= scale:
            return f"{ns / scale:.3g} {unit}"
    return f"{ns:.3g} ns"


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--build", default=os.environ.get("DBRIDGE_BUILD_DIR", "build"), help="build folder")
    ap.add_argument("--pairs", type=int, default=3, help="interleaved raw/dbridge pairs per workload")
    ap.add_argument("--min-time", default="0.3", help="Google Benchmark min time per run, seconds (timed loops)")
    ap.add_argument("--only", default="", help="run only workloads whose label contains this text")
    args = ap.parse_args()

    rows = []
    for label, prog, raw, dbr, server, *clock in WORKLOADS:
        clock = clock[0] if clock else "real"
        if args.only and args.only.lower() not in label.lower():
            continue
        program = os.path.join(args.build, "bench", prog)
        if not os.access(program, os.X_OK):
            rows.append((label, None, f"skipped: {prog} not built"))
            continue
        if server and not os.environ.get(server):
            rows.append((label, None, f"skipped: {server} unset"))
            continue
        raws, dbrs, ratios = [], [], []
        try:
            for k in range(args.pairs):
                order = [(raw, raws), (dbr, dbrs)]
                if k % 2:
                    order.reverse()
                for name, sink in order:
                    sink.append(run_one(program, name, args.min_time, clock))
                ratios.append(dbrs[-1] / raws[-1])
        except RuntimeError as e:
            rows.append((label, None, f"failed: {e}"))
            continue
        if clock == "cpu":
            label += " (cpu)"
        rows.append((label, (statistics.median(raws), statistics.median(dbrs), statistics.median(ratios),
                             min(ratios), max(ratios)), None))
        print(f"  {label}: {statistics.median(ratios):.2f}x", file=sys.stderr, flush=True)

    width = max(len(r[0]) for r in rows) if rows else 10
    print(f"{'workload':<{width}}  {'raw':>9}  {'dbridge':>9}  {'ratio':>6}  {'min-max':>11}")
    for label, fig, note in rows:
        if fig is None:
            print(f"{label:<{width}}  {note}")
            continue
        r, d, med, lo, hi = fig
        print(f"{label:<{width}}  {human(r):>9}  {human(d):>9}  {med:>5.2f}x  {lo:>4.2f}-{hi:<4.2f}x")
    load = os.getloadavg()
    print(f"pairs per workload: {args.pairs}; ratio = median of dbridge/raw over the pairs; "
          f"machine: {os.cpu_count()} cores, load average {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
