"""virkning on a shared machine: 1 vs 2 threads while a CPU-bound background process runs.

Usage:
    python bench/bench_threads.py                      # feols 1M rows, att_gt 50,000 units (1 covariate)
    python bench/bench_threads.py --cases feols --reps 5

Each case runs in a fresh subprocess with ``RAYON_NUM_THREADS`` set to 1 and to 2 (warm-up, then
best of ``--reps``), while one background process spins on a core (``while True: pass``), on top of
whatever else loads the machine (the load average is logged). Reported: the time with 2 threads
over the time with 1 (target: at most 1.10) and whether both runs gave bit-identical results (every
estimate and standard error as a float hex string). Results replace this benchmark's section of
bench/RESULTS.md; JSON lines go to stdout (keep them under bench/logs/).

Cases:
- ``feols``: ``y ~ x1 + x2 + x3 | firm + year`` with clustered (firm) errors, 1,000,000 rows.
- ``att_gt``: doubly robust ``att_gt`` with one time-invariant covariate plus the dynamic
  aggregation, 50,000 units x 10 periods (the data of ``bench_att_gt.py --variants``).
- ``event_study``: ``vk.event_study`` on the ``att_gt`` data without covariates.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import subprocess
import sys
import time
from pathlib import Path

from bench_att_gt import run_json
from bench_feols import write_section

CASES = ["feols", "att_gt", "event_study"]


def _feols_data():
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(3)
    n = 1_000_000
    firm = rng.integers(0, 5_000, n)
    year = rng.integers(0, 20, n)
    x = rng.normal(size=(n, 3))
    y = x @ np.array([1.0, -0.5, 0.25]) + rng.normal(size=5_000)[firm] + 0.1 * year + rng.normal(size=n)
    return pd.DataFrame({"y": y, "x1": x[:, 0], "x2": x[:, 1], "x3": x[:, 2], "firm": firm, "year": year})


def _case(name: str):
    """(data, function data -> list of floats) for one case."""
    import warnings

    import virkning as vk

    warnings.filterwarnings("ignore")
    sys.path.insert(0, str(Path(__file__).parent))
    if name == "feols":
        df = _feols_data()

        def run(d):
            t = vk.feols("y ~ x1 + x2 + x3 | firm + year", d, vcov={"CRV1": "firm"}).tidy()
            return [*t["estimate"], *t["std_error"]]

        return df, run
    from bench_att_gt import generate_variant

    if name == "att_gt":
        df = generate_variant(50_000, "1 covariate")

        def run(d):
            agg = vk.att_gt(d, outcome="y", unit="id", time="t", cohort="g", method="dr",
                            covariates=["x0"]).aggregate("dynamic")
            return [v for r in agg._rows() for v in (r["estimate"], r["std_error"])]

        return df, run
    if name == "event_study":
        df = generate_variant(50_000, "sorted")

        def run(d):
            t = vk.event_study(d, outcome="y", unit="id", time="t", cohort="g").tidy()
            return [*t["estimate"], *t["std_error"]]

        return df, run
    raise ValueError(name)


def run_one(name: str, reps: int) -> dict:
    df, run = _case(name)
    out = run(df)  # warm-up
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        out = run(df)
        times.append(time.perf_counter() - t0)
    return {"case": name, "threads": os.environ.get("RAYON_NUM_THREADS"), "seconds": min(times),
            "all_seconds": times, "load": os.getloadavg(), "values": [float(v).hex() for v in out]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--cases", nargs="*", default=CASES)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--timeout", type=float, default=300)
    ap.add_argument("--one", nargs=2, metavar=("CASE", "REPS"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return
    spinner = subprocess.Popen([sys.executable, "-c", "while True: pass"])
    rows = []
    try:
        time.sleep(1)
        for case in args.cases:
            for threads in ("1", "2"):
                env = {**os.environ, "RAYON_NUM_THREADS": threads}
                res = run_json([sys.executable, __file__, "--one", case, str(args.reps)], args.timeout,
                               {"case": case, "threads": threads}, env)
                rows.append(res)
                print(json.dumps(res), flush=True)
    finally:
        spinner.kill()
    report(rows, " ".join(sys.argv[1:]))


def report(rows: list[dict], argv: str) -> None:
    lines = [
        "# Threads on a shared machine: 1 vs 2 threads under a CPU-bound background load",
        "",
        f"Run {datetime.date.today().isoformat()} with `{('python bench/bench_threads.py ' + argv).strip()}` on "
        f"{os.cpu_count()} cores, one background process spinning on a core plus the other jobs of the machine "
        "(load average at the end of each run in the last column). Best of the repetitions after a warm-up, "
        "each thread count in a fresh process (`RAYON_NUM_THREADS`). Target: 2 threads at most 10 % slower "
        "than 1, results bit-identical.",
        "",
        "| case | 1 thread (s) | 2 threads (s) | 2 / 1 | bit-identical | load |",
        "|---|---:|---:|---:|---|---:|",
    ]
    for case in dict.fromkeys(r["case"] for r in rows):
        by = {r["threads"]: r for r in rows if r["case"] == case}
        one, two = by.get("1", {}), by.get("2", {})
        if "seconds" not in one or "seconds" not in two:
            lines.append(f"| {case} | {one.get('error', '')} | {two.get('error', '')} | | | |")
            continue
        same = "yes" if one["values"] == two["values"] else "no"
        lines.append(f"| {case} | {one['seconds']:.3f} | {two['seconds']:.3f} | {two['seconds'] / one['seconds']:.2f} "
                     f"| {same} | {two['load'][0]:.1f} |")
    text = "\n".join(lines) + "\n"
    write_section(Path(__file__).with_name("RESULTS.md"), text)
    print(text)


if __name__ == "__main__":
    main()
