"""Callaway & Sant'Anna: virkning vs diff-diff, csdid and differences on the same data, in one run.

Usage:
    python bench/bench_att_gt.py                  # 500 ... 500,000 units, all libraries
    python bench/bench_att_gt.py --sizes 500 5000 --timeout 60
    python bench/bench_att_gt.py --report-from bench/logs/att_gt-1.jsonl

Task timed: doubly robust ATT(g,t) (never-treated controls, varying base period, no
covariates) plus the dynamic (event-study) aggregation with analytic standard errors, from a
pandas frame. Data: ``n`` units x 10 periods, 30% never treated, the rest first treated in
periods 4..8 (uniform), unit and period effects, effect ``0.1 (e + 1)`` at event time e >= 0.
Each (library, size) runs in its own subprocess so that peak memory can be measured (peak RSS
reset after the data are generated; reported as the extra over the input's size). A run that
exceeds ``--timeout`` is stopped and larger sizes of that library are skipped. Agreement: the
largest relative difference to virkning over the event-time estimates and standard errors.
virkning also reports the time 1,000 multiplier-bootstrap draws add (dynamic aggregation,
``bootstrap=1000``, seed 1, the same fitted object). Results replace this benchmark's section of bench/RESULTS.md.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

from bench_feols import _rss_now_kib, _rss_peak_kib, write_section

SIZES = [500, 5_000, 50_000, 500_000]
LIBRARIES = ["virkning", "diff-diff", "csdid", "differences"]


def generate(n: int, seed: int = 7):
    import numpy as np
    import pandas as pd

    rng = np.random.default_rng(seed)
    T = 10
    g = np.where(rng.random(n) < 0.3, 0, rng.integers(4, 9, n))
    unit = np.repeat(np.arange(1, n + 1), T)
    t = np.tile(np.arange(1, T + 1), n)
    gg = np.repeat(g, T)
    e = t - gg
    effect = np.where((gg > 0) & (e >= 0), 0.1 * (e + 1), 0.0)
    y = rng.normal(size=n)[unit - 1] + 0.05 * t + effect + rng.normal(size=n * T)
    return pd.DataFrame({"id": unit, "t": t, "g": gg, "y": y})


def _fitter(lib: str):
    """A function frame -> {event_time: (estimate, std_error)} for one library."""
    import warnings

    warnings.filterwarnings("ignore")
    if lib == "virkning":
        import virkning as vk

        def fit(df):
            agg = vk.att_gt(df, outcome="y", unit="id", time="t", cohort="g", method="dr").aggregate("dynamic")
            return {r["event_time"]: (r["estimate"], r["std_error"]) for r in agg._rows()}

        return fit
    if lib == "diff-diff":
        from diff_diff import CallawaySantAnna

        def fit(df):
            r = CallawaySantAnna(estimation_method="dr", n_bootstrap=0, cband=False).fit(
                df, outcome="y", unit="id", time="t", first_treat="g", aggregate="event_study")
            return {int(k): (v["effect"], v["se"]) for k, v in r.event_study_effects.items()}

        return fit
    if lib == "csdid":
        from csdid.att_gt import ATTgt

        def fit(df):
            a = ATTgt(yname="y", tname="t", idname="id", gname="g", data=df).fit(est_method="dr", bstrap=False)
            d = a.aggte(typec="dynamic", bstrap=False, cband=False).atte
            return {int(e): (float(b), float(s)) for e, b, s in zip(d["egt"], d["att_egt"], d["se_egt"])}

        return fit
    if lib == "differences":
        import numpy as np
        from differences import ATTgt

        def fit(df):
            d = df.assign(g=df["g"].where(df["g"] > 0, np.nan)).set_index(["id", "t"])
            a = ATTgt(data=d, cohort_column="g")
            a.fit(formula="y", est_method="dr", control_group="never_treated", progress_bar=False)
            out = a.aggregate("event")
            est = out.iloc[:, 0].to_numpy()
            se = out.iloc[:, 1].to_numpy()
            return {int(k[-1] if isinstance(k, tuple) else k): (float(b), float(s))
                    for k, b, s in zip(out.index, est, se)}

        return fit
    raise ValueError(lib)


def run_one(lib: str, n: int) -> dict:
    fit = _fitter(lib)
    fit(generate(500, seed=1))  # warm-up (imports, JIT), not timed
    df = generate(n)
    input_mib = df.memory_usage(deep=True).sum() / 2**20
    Path("/proc/self/clear_refs").write_text("5")
    base = _rss_now_kib()
    times, out = [], None
    for _ in range(3 if n <= 50_000 else 1):
        t0 = time.perf_counter()
        try:
            out = fit(df)
        except Exception as e:  # a peer that fails is reported, not fatal
            return {"lib": lib, "n": n, "error": f"{type(e).__name__}: {str(e)[:120]}"}
        times.append(time.perf_counter() - t0)
        if times[-1] > 20:
            break
    res = {"lib": lib, "n": n, "seconds": min(times), "input_mib": input_mib,
           "peak_extra_mib": (_rss_peak_kib() - base) / 1024, "dynamic": {str(k): v for k, v in out.items()}}
    if lib == "virkning":  # bootstraps the aggregated influence functions: units x draws x event times
        import virkning as vk

        fitted = vk.att_gt(df, outcome="y", unit="id", time="t", cohort="g", method="dr")
        t0 = time.perf_counter()
        boot = fitted.aggregate("dynamic", bootstrap=vk.Bootstrap(reps=1000, seed=1))
        res["bootstrap_1000_seconds"] = time.perf_counter() - t0
        analytic = fitted.aggregate("dynamic")
        res["bootstrap_se_ratio"] = max(abs(b["std_error"] / a["std_error"] - 1)
                                        for a, b in zip(analytic._rows(), boot._rows()))
    return res


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", type=int, default=SIZES)
    ap.add_argument("--libs", nargs="*", default=LIBRARIES)
    ap.add_argument("--timeout", type=float, default=120, help="seconds before a run is stopped")
    ap.add_argument("--report-from", nargs="*", metavar="LOG")
    ap.add_argument("--one", nargs=2, metavar=("LIB", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one:
        print(json.dumps(run_one(args.one[0], int(args.one[1]))))
        return
    if args.report_from:
        rows = [json.loads(line) for log in args.report_from for line in Path(log).read_text().splitlines()
                if line.startswith("{")]
        report(rows, " ".join(sys.argv[1:]))
        return
    rows, stopped = [], set()
    for n in args.sizes:
        for lib in args.libs:
            if lib in stopped:
                res = {"lib": lib, "n": n, "error": "skipped (a smaller size timed out)"}
            else:
                try:
                    proc = subprocess.run([sys.executable, __file__, "--one", lib, str(n)],
                                          capture_output=True, text=True, timeout=args.timeout)
                    res = json.loads(proc.stdout.strip().splitlines()[-1])
                except subprocess.TimeoutExpired:
                    res = {"lib": lib, "n": n, "error": f"stopped after {args.timeout:.0f} s"}
                    stopped.add(lib)
                except (IndexError, json.JSONDecodeError):
                    res = {"lib": lib, "n": n, "error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:120]}
            rows.append(res)
            print(json.dumps(res), flush=True)
    report(rows, " ".join(sys.argv[1:]))


def _version(name: str) -> str:
    import importlib.metadata

    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return "not installed"


def _max_rel(a: dict, b: dict) -> float:
    keys = set(a) & set(b)
    if not keys or set(a) != set(b):
        return float("nan")
    return max(abs(a[k][i] - b[k][i]) / max(abs(b[k][i]), 1e-12) for k in keys for i in (0, 1))


def targets(rows: list[dict]) -> list[str]:
    """The issue-3 targets, each with its measured figure and whether it is met."""
    out = ["Targets of issue 3 (at least 50x the fastest peer from 50,000 units, peak memory at most 2x the "
           "input, 1,000 bootstrap draws under 1 s at 50,000 units), from the rows above:", ""]
    for n in sorted({r["n"] for r in rows if r["n"] >= 50_000}):
        libs = {r["lib"]: r for r in rows if r["n"] == n}
        v = libs.get("virkning", {})
        peers = [r["seconds"] for lib, r in libs.items() if lib != "virkning" and "seconds" in r]
        if peers and v.get("seconds"):
            ratio = min(peers) / v["seconds"]
            out.append(f"- speed at {n:,} units: {ratio:.1f}x ({'met' if ratio >= 50 else 'not met'})")
        if v.get("peak_extra_mib") is not None and v.get("input_mib"):
            m = v["peak_extra_mib"] / v["input_mib"]
            out.append(f"- memory at {n:,} units: {m:.2f}x the input ({'met' if m <= 2 else 'not met'})")
        if n == 50_000 and "bootstrap_1000_seconds" in v:
            b = v["bootstrap_1000_seconds"]
            out.append(f"- 1,000 bootstrap draws at {n:,} units: {b:.3f} s ({'met' if b < 1 else 'not met'})")
    return out


def report(rows: list[dict], argv: str) -> None:
    import numpy
    import pandas

    lines = [
        "# Callaway & Sant'Anna benchmark: virkning vs diff-diff, csdid, differences",
        "",
        f"Run {datetime.date.today().isoformat()} with `{('python bench/bench_att_gt.py ' + argv).strip()}` on "
        f"{os.cpu_count()} cores, {platform.machine()}, Python {platform.python_version()}; virkning "
        f"{_version('virkning')}, diff-diff {_version('diff-diff')}, csdid {_version('csdid')}, differences "
        f"{_version('differences')}, numpy {numpy.__version__}, pandas {pandas.__version__}.",
        "Doubly robust ATT(g,t) (never-treated controls, no covariates) plus the dynamic aggregation with "
        "analytic standard errors, units x 10 periods, from a pandas frame; best of 3 runs (1 at 500,000 "
        "units or when a run takes over 20 s). Memory: peak RSS the estimation adds on top of the input, "
        "as a ratio to the input's size. Agreement: largest relative difference to virkning over the "
        "event-time estimates and standard errors.",
        "",
        "| units | library | seconds | vs virkning | extra peak memory (MiB) | memory / input | max rel. diff |",
        "|---:|---|---:|---:|---:|---:|---:|",
    ]
    summary = []
    for n in sorted({r["n"] for r in rows}):
        libs = {r["lib"]: r for r in rows if r["n"] == n}
        v = libs.get("virkning", {})
        for lib, r in libs.items():
            if "error" in r:
                lines.append(f"| {n:,} | {lib} | {r['error']} | | | | |")
                continue
            ratio = r["seconds"] / v["seconds"] if v.get("seconds") else float("nan")
            diff = "" if lib == "virkning" else f"{_max_rel(r['dynamic'], v.get('dynamic', {})):.1e}"
            lines.append(f"| {n:,} | {lib} | {r['seconds']:.3f} | {ratio:.1f}x | {r['peak_extra_mib']:.0f} | "
                         f"{r['peak_extra_mib'] / r['input_mib']:.2f} | {diff} |")
        peers = {lib: r["seconds"] for lib, r in libs.items() if lib != "virkning" and "seconds" in r}
        if peers and v.get("seconds"):
            fastest = min(peers, key=peers.get)
            boot = (f"; 1,000 bootstrap draws add {v['bootstrap_1000_seconds']:.3f} s (bootstrap SEs within "
                    f"{100 * v['bootstrap_se_ratio']:.1f}% of the analytic ones)" if "bootstrap_1000_seconds" in v else "")
            summary.append(f"- {n:,} units: fastest peer ({fastest}) / virkning = {peers[fastest] / v['seconds']:.1f}x{boot}")
    lines += ["", "Speed-up over the fastest peer per size:", "", *summary, "",
              "Runs share a 2-core machine with other jobs; compare ratios within a size. JSON lines of the "
              "runs behind the table are kept in `bench/logs/att_gt-*.jsonl` (see `bench/logs/README.md`).",
              "",
              *targets(rows), ""]
    text = "\n".join(lines)
    write_section(Path(__file__).with_name("RESULTS.md"), text)
    print(text)


if __name__ == "__main__":
    main()
