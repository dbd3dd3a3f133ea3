"""Cox proportional hazards (Efron ties, 5 covariates, 1M rows) and Kaplan-Meier (10M rows):
virkning vs lifelines and statsmodels PHReg, side by side in one run.

Usage:
    python bench/bench_cox.py --peer-python /work/venvs/peers-survival/bin/python
    python bench/bench_cox.py --rows 200000            # a smaller Cox run
    python bench/bench_cox.py --append                 # also append the table to bench/RESULTS.md

The peers live in their own venv (never a dependency of virkning): each peer fit runs in a
subprocess of ``--peer-python`` on the same data (written once to a temporary .npz), timed inside
that process around the fit call only (data already in a pandas frame, as for virkning, whose
timing includes the pandas-to-Rust conversion). Data: x1..x5 standard normal, exponential event
times with log hazard ratios (0.5, -0.3, 0.2, 0, 0.1), exponential censoring (~30 %), times
rounded up to whole weeks (heavy ties, so the tie method matters). Agreement of the coefficients
with each peer is printed next to the times. Peers run once (they take tens of seconds);
virkning is the best of ``--reps``.
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd

BETA = np.array([0.5, -0.3, 0.2, 0.0, 0.1])
COLS = [f"x{j + 1}" for j in range(5)]

PEER_COX = r"""
import sys, time, json, warnings
import numpy as np, pandas as pd
warnings.filterwarnings("ignore")
d = np.load(sys.argv[1]); which = sys.argv[2]
df = pd.DataFrame({k: d[k] for k in d.files})
cols = [c for c in df.columns if c.startswith("x")]
if which == "lifelines":
    import lifelines
    from lifelines import CoxPHFitter
    t0 = time.perf_counter()
    fit = CoxPHFitter().fit(df[cols + ["t", "e"]], duration_col="t", event_col="e")
    sec = time.perf_counter() - t0
    coef = [float(fit.params_[c]) for c in cols]; ver = lifelines.__version__
elif which == "statsmodels":
    import statsmodels
    from statsmodels.duration.hazard_regression import PHReg
    t0 = time.perf_counter()
    fit = PHReg(df["t"].to_numpy(), df[cols].to_numpy(), status=df["e"].to_numpy(), ties="efron").fit()
    sec = time.perf_counter() - t0
    coef = [float(v) for v in fit.params]; ver = statsmodels.__version__
elif which == "lifelines_km":
    import lifelines
    from lifelines import KaplanMeierFitter
    t0 = time.perf_counter()
    fit = KaplanMeierFitter().fit(df["t"], df["e"])
    sec = time.perf_counter() - t0
    coef = [float(fit.survival_function_.iloc[-1, 0])]; ver = lifelines.__version__
print(json.dumps({"seconds": sec, "coef": coef, "version": ver}))
"""


def simulate(n: int, seed: int = 1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, 5))
    t = rng.exponential(1.0 / (0.02 * np.exp(x @ BETA)))
    c = rng.exponential(120.0, n)
    df = pd.DataFrame(x, columns=COLS)
    df["t"] = np.ceil(np.minimum(t, c))
    df["e"] = (t <= c).astype(np.int64)
    return df


def best_time(fn, reps: int):
    best, out = float("inf"), None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def run_peer(python: str, path: str, which: str, timeout: float) -> dict | None:
    try:
        r = subprocess.run([python, "-c", PEER_COX, path, which], capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        return {"seconds": float("nan"), "coef": [], "version": f"timed out after {timeout:.0f} s"}
    if r.returncode != 0:
        print(r.stderr[-2000:], file=sys.stderr)
        return None
    return json.loads(r.stdout.strip().splitlines()[-1])


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rows", type=int, default=1_000_000)
    ap.add_argument("--km-rows", type=int, default=10_000_000)
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--peer-python", default="/work/venvs/peers-survival/bin/python")
    ap.add_argument("--timeout", type=float, default=300.0)
    ap.add_argument("--append", action="store_true")
    args = ap.parse_args()

    import virkning as vk

    rows = []
    df = simulate(args.rows)
    formula = "Surv(t, e) ~ " + " + ".join(COLS)
    vk.coxph(formula, df.head(1000))  # warm-up
    def fit_cox():
        return vk.coxph(formula, df)

    t_vk, fit = best_time(fit_cox, args.reps)
    coef_vk = np.array([fit.coef()[c] for c in COLS])
    rows.append(("cox_efron_5x", args.rows, f"virkning {vk.__version__}", t_vk, 0.0))
    with tempfile.TemporaryDirectory() as tmp:
        path = os.path.join(tmp, "cox.npz")
        np.savez(path, **{c: df[c].to_numpy() for c in df.columns})
        for which in ("statsmodels", "lifelines"):
            out = run_peer(args.peer_python, path, which, args.timeout)
            if out is None:
                continue
            diff = float(np.max(np.abs(np.array(out["coef"]) - coef_vk) / np.abs(coef_vk).clip(1e-12))) if out["coef"] else float("nan")
            rows.append(("cox_efron_5x", args.rows, f"{which} {out['version']}", out["seconds"], diff))
        df = None  # free the 1M rows before the 10M-row Kaplan-Meier
        km = simulate(args.km_rows, seed=2)[["t", "e"]]
        vk.kaplan_meier(km.head(1000), duration="t", event="e")
        t_km, fit_km = best_time(lambda: vk.kaplan_meier(km, duration="t", event="e"), args.reps)
        rows.append(("kaplan_meier", args.km_rows, f"virkning {vk.__version__}", t_km, 0.0))
        path = os.path.join(tmp, "km.npz")
        np.savez(path, t=km["t"].to_numpy(), e=km["e"].to_numpy())
        last = float(fit_km.tidy()["estimate"].iloc[-1])
        out = run_peer(args.peer_python, path, "lifelines_km", args.timeout)
        if out is not None:
            rows.append(("kaplan_meier", args.km_rows, f"lifelines {out['version']}", out["seconds"],
                         abs(out["coef"][0] - last) / max(abs(last), 1e-12) if out["coef"] else float("nan")))

    lines = ["| case | rows | library | seconds | max rel. diff to virkning | peer / virkning |",
             "|---|---:|---|---:|---:|---:|"]
    base = {case: sec for case, _, lib, sec, _ in rows if lib.startswith("virkning")}
    for case, n, lib, sec, diff in rows:
        ratio = "" if lib.startswith("virkning") else f"{sec / base[case]:.1f}x"
        lines.append(f"| {case} | {n:,} | {lib} | {sec:.3f} | {diff:.1e} | {ratio} |")
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    stamp = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    head = (f"`python bench/bench_cox.py --rows {args.rows} --km-rows {args.km_rows} --reps {args.reps}`, "
            f"{stamp}, {platform.machine()}, {os.cpu_count()} cores, load average {load:.1f} at the end.")
    table = "\n".join(lines)
    print(head)
    print(table)
    if args.append:
        with open(Path(__file__).with_name("RESULTS.md"), "a") as f:
            f.write(f"\n## Cox PH and Kaplan-Meier (survival family)\n\n{head}\n\n{table}\n")


if __name__ == "__main__":
    main()
