"""Callaway & Sant'Anna: virkning vs diff-diff, csdid and differences on the same data, in one run.

Usage:
    python bench/bench_att_gt.py                  # 500 ... 500,000 units, all libraries
    python bench/bench_att_gt.py --sizes 500 5000 --timeout 60
    python bench/bench_att_gt.py --report-from bench/logs/att_gt-1.jsonl
    python bench/bench_att_gt.py --variants all --sizes 50000 --peers-python /work/venvs/peers/bin/python

``--variants`` times realistic input instead (virkning vs diff-diff, each (variant, library,
size) in its own subprocess, best of 3 after a warm-up on the same variant): rows sorted or
shuffled, integer, text, categorical or large-integer unit ids, 0, 1 or 5 time-invariant
covariates (see ``VARIANTS``); the load average is logged with each line. Its table is a
separate section of bench/RESULTS.md.

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
# Input variants: (row order, unit id type, number of covariates).
VARIANTS = {
    "sorted": ("sorted", "int", 0),
    "shuffled": ("shuffled", "int", 0),
    "text": ("sorted", "text", 0),
    "shuffled+text": ("shuffled", "text", 0),
    "categorical": ("shuffled", "category", 0),
    "large-int": ("shuffled", "large-int", 0),
    "1 covariate": ("sorted", "int", 1),
    "5 covariates": ("sorted", "int", 5),
    "1 covariate, shuffled+text": ("shuffled", "text", 1),
}


def generate_variant(n: int, variant: str, seed: int = 7):
    """``generate`` with the variant's row order, unit ids and covariates: ``k`` standard normal
    time-invariant covariates ``x0..``, the first shifting the outcome (0.2 x0) and the odds of
    being treated (cohorts drawn with probability rising in x0)."""
    import numpy as np
    import pandas as pd

    order, ids, k = VARIANTS[variant]
    rng = np.random.default_rng(seed)
    T = 10
    x = rng.normal(size=(n, max(k, 1)))
    treated = rng.random(n) < 1 / (1 + np.exp(-(0.85 + 0.5 * x[:, 0])))
    g = np.where(treated, rng.integers(4, 9, n), 0)
    unit = np.repeat(np.arange(n), T)
    t = np.tile(np.arange(1, T + 1), n)
    gg = np.repeat(g, T)
    e = t - gg
    effect = np.where((gg > 0) & (e >= 0), 0.1 * (e + 1), 0.0)
    y = rng.normal(size=n)[unit] + 0.05 * t + effect + (0.2 * x[unit, 0] if k else 0) + rng.normal(size=n * T)
    cols = {"id": unit + 1, "t": t, "g": gg, "y": y, **{f"x{j}": x[unit, j] for j in range(k)}}
    df = pd.DataFrame(cols)
    if ids == "text":
        df["id"] = np.char.add("unit_", np.char.zfill((unit + 1).astype(str), 7)).astype(object)
    elif ids == "category":
        df["id"] = pd.Categorical(np.char.add("unit_", (unit + 1).astype(str)))
    elif ids == "large-int":
        df["id"] = (rng.permutation(n).astype(np.int64) * 1_000_003 + 19_000_000_000_000)[unit]
    if order == "shuffled":
        df = df.iloc[rng.permutation(len(df))].reset_index(drop=True)
    return df


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


def _fitter(lib: str, covariates: list[str] | None = None):
    """A function frame -> {event_time: (estimate, std_error)} for one library."""
    import warnings

    warnings.filterwarnings("ignore")
    if lib == "virkning":
        import virkning as vk

        def fit(df):
            res = vk.att_gt(df, outcome="y", unit="id", time="t", cohort="g", method="dr", covariates=covariates)
            if covariates is not None:  # the variants also time the overall ATT
                res.aggregate("simple")
            agg = res.aggregate("dynamic")
            return {r["event_time"]: (r["estimate"], r["std_error"]) for r in agg._rows()}

        return fit
    if lib == "diff-diff":
        from diff_diff import CallawaySantAnna

        def fit(df):
            r = CallawaySantAnna(estimation_method="dr", n_bootstrap=0, cband=False).fit(
                df, outcome="y", unit="id", time="t", first_treat="g", aggregate="event_study",
                covariates=covariates or None)
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


def run_json(argv: list[str], timeout: float, row: dict, env: dict | None = None) -> dict:
    """Run a benchmark subprocess and parse the JSON line it prints last; on a timeout or a
    failure, ``row`` with an ``error``."""
    try:
        proc = subprocess.run(argv, capture_output=True, text=True, timeout=timeout, env=env)
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except subprocess.TimeoutExpired:
        return {**row, "error": f"stopped after {timeout:.0f} s"}
    except (IndexError, json.JSONDecodeError):
        return {**row, "error": (proc.stderr.strip().splitlines() or ["no output"])[-1][:160]}


def run_variant(lib: str, variant: str, n: int) -> dict:
    """One (library, variant, size): best of 3 after a warm-up on 500 units of the same variant."""
    k = VARIANTS[variant][2]
    if lib == "virkning-before":  # an earlier build, from --before (for before/after tables)
        sys.path.insert(0, os.environ["VK_BEFORE"])
    fit = _fitter("virkning" if lib == "virkning-before" else lib, [f"x{j}" for j in range(k)])
    fit(generate_variant(500, variant, seed=1))
    df = generate_variant(n, variant)
    times, out = [], None
    for _ in range(3):
        t0 = time.perf_counter()
        try:
            out = fit(df)
        except Exception as e:  # a peer that fails is reported, not fatal
            return {"lib": lib, "variant": variant, "n": n, "error": f"{type(e).__name__}: {str(e)[:120]}"}
        times.append(time.perf_counter() - t0)
        if times[-1] > 20:
            break
    return {"lib": lib, "variant": variant, "n": n, "seconds": min(times), "load": os.getloadavg(),
            "dynamic": {str(kk): v for kk, v in out.items()}}


def variants_main(args) -> None:
    names = list(VARIANTS) if args.variants == ["all"] else args.variants
    rows = []
    for n in args.sizes:
        for variant in names:
            for lib in ("virkning", "diff-diff", *(["virkning-before"] if args.before else [])):
                py = args.peers_python if lib == "diff-diff" and args.peers_python else sys.executable
                env = {**os.environ, "VK_BEFORE": args.before or ""}
                res = run_json([py, __file__, "--one-variant", lib, variant, str(n)], args.timeout,
                               {"lib": lib, "variant": variant, "n": n}, env)
                rows.append(res)
                print(json.dumps(res), flush=True)
    variants_report(rows, " ".join(sys.argv[1:]))


def variants_report(rows: list[dict], argv: str) -> None:
    lines = [
        "# Callaway & Sant'Anna on realistic input: virkning vs diff-diff by input variant",
        "",
        f"Run {datetime.date.today().isoformat()} with `{('python bench/bench_att_gt.py ' + argv).strip()}` on "
        f"{os.cpu_count()} cores shared with other jobs (load average in the log lines); virkning "
        f"{_version('virkning')}, diff-diff 3.13 (separate venv, `--peers-python`). Doubly robust ATT(g,t) "
        "(never-treated controls, varying base period) plus the simple and dynamic aggregations with analytic "
        "standard errors (diff-diff: `aggregate=\"event_study\"`), units x 10 periods, from a pandas frame; "
        "best of 3 after a warm-up, both libraries in the same run. Covariates are time-invariant. Agreement: "
        "largest relative difference over the event-time estimates and standard errors. \"before\": the virkning "
        "build given by `--before` (here main at 33328c9, before the issue-23 work), timed in the same run.",
        "",
        "| units | input | virkning (s) | diff-diff (s) | diff-diff / virkning | max rel. diff | before (s) | "
        "diff-diff / before | load |",
        "|---:|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for n in sorted({r["n"] for r in rows}):
        for variant in dict.fromkeys(r["variant"] for r in rows if r["n"] == n):
            by = {r["lib"]: r for r in rows if r["n"] == n and r["variant"] == variant}
            v, d = by.get("virkning", {}), by.get("diff-diff", {})
            vs = f"{v['seconds']:.4f}" if "seconds" in v else v.get("error", "")
            ds = f"{d['seconds']:.4f}" if "seconds" in d else d.get("error", "")
            ratio = f"{d['seconds'] / v['seconds']:.1f}x" if "seconds" in v and "seconds" in d else ""
            diff = f"{_max_rel(d['dynamic'], v['dynamic']):.1e}" if ratio else ""
            load = f"{v['load'][0]:.1f}" if "load" in v else ""
            b = by.get("virkning-before", {})
            bs = f"{b['seconds']:.4f}" if "seconds" in b else b.get("error", "")
            bratio = f"{d['seconds'] / b['seconds']:.1f}x" if "seconds" in b and "seconds" in d else ""
            lines.append(f"| {n:,} | {variant} | {vs} | {ds} | {ratio} | {diff} | {bs} | {bratio} | {load} |")
    lines += ["", "JSON lines of the runs behind the table are kept in `bench/logs/` (see `bench/logs/README.md`).", ""]
    text = "\n".join(lines)
    write_section(Path(__file__).with_name("RESULTS.md"), text)
    print(text)


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--sizes", nargs="*", type=int, default=SIZES)
    ap.add_argument("--libs", nargs="*", default=LIBRARIES)
    ap.add_argument("--timeout", type=float, default=120, help="seconds before a run is stopped")
    ap.add_argument("--report-from", nargs="*", metavar="LOG")
    ap.add_argument("--one", nargs=2, metavar=("LIB", "N"), help=argparse.SUPPRESS)
    ap.add_argument("--variants", nargs="*", help="input variants to time (names of VARIANTS, or all)")
    ap.add_argument("--peers-python", help="interpreter with diff-diff for the peer runs of --variants")
    ap.add_argument("--before", help="python/ directory of an earlier virkning build, timed as virkning-before")
    ap.add_argument("--one-variant", nargs=3, metavar=("LIB", "VARIANT", "N"), help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.one_variant:
        print(json.dumps(run_variant(args.one_variant[0], args.one_variant[1], int(args.one_variant[2]))))
        return
    if args.variants:
        rows = [json.loads(line) for log in args.report_from or [] for line in Path(log).read_text().splitlines()
                if line.startswith("{")]
        if rows:
            variants_report(rows, " ".join(sys.argv[1:]))
        else:
            variants_main(args)
        return
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
                res = run_json([sys.executable, __file__, "--one", lib, str(n)], args.timeout, {"lib": lib, "n": n})
                if "stopped after" in res.get("error", ""):
                    stopped.add(lib)
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
