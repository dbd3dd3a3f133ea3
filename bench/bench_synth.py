"""Synthetic control and synthetic DiD: virkning vs pysyncon 1.7.0, synthdid-py 0.1.0 and
diff-diff 3.13.0 on the same data, in one run.

Usage:
    python bench/bench_synth.py [--peers-python .venv-peers/bin/python] [--cap 120]

virkning runs in this interpreter; each peer case runs in a subprocess of the peers' venv
(pysyncon pins its own pandas), with the same data.

Cases:
- `prop99_sc_placebo`: synthetic control for California on Prop 99 (38 donors), predictors =
  PacksPerCapita mean over 1970-88 and the outcome in 1975, 1980, 1988 (ADH 2010's lags), V
  optimised (nested Nelder-Mead), plus the full placebo-in-space set (each donor against the
  other 37, V optimised again): 39 fits. pysyncon: `Synth.fit` with the same Dataprep and its
  default Nelder-Mead for each of the 39 fits in turn. If the peer does not finish within
  `--cap` seconds, its total is extrapolated from the fits completed (marked so).
- `sim{100,400}_sc_placebo`: simulated factor-model panels with 100 / 400 donors x 30
  pre-periods + 10 post, two covariates; predictors = the two covariate means and 3 outcome
  lags, V optimised, full placebo set (101 / 401 fits). pysyncon as above (extrapolated).
- `prop99_sdid_placebo`: SDID with placebo standard errors (200 replications) on Prop 99:
  virkning `sdid(se="placebo")`, synthdid-py `synthdid_estimate` + `placebo_se`, diff-diff
  `SyntheticDiD(variance_method="placebo")`.
pysyncon's own `PlaceboTest` spreads fits over processes (at most 2 here): the table gives its
sequential time and a column with that time halved.
"""

from __future__ import annotations

import argparse
import datetime
import json
import platform
import subprocess
import time
import warnings
from pathlib import Path

import numpy as np
import pandas as pd

ROOT = Path(__file__).resolve().parents[1]
PROP99 = ROOT / "tests" / "fixtures" / "data" / "california_prop99.csv"
ADH_LAGS = [1975, 1980, 1988]


def sim_panel(n_donors: int, seed: int = 1) -> pd.DataFrame:
    """Factor model, 30 pre + 10 post periods; unit 'u0' treated from period 30 (effect -5)."""
    rng = np.random.default_rng(seed)
    n, t = n_donors + 1, 40
    f = np.cumsum(rng.normal(size=(2, t)), axis=1)
    load = rng.uniform(0, 1, size=(n, 2))
    y = 20 + load @ f + rng.normal(scale=0.3, size=(n, t))
    y[0, 30:] -= 5
    x1 = load[:, 0] * 3 + rng.normal(scale=0.2, size=n)
    x2 = load[:, 1] * 2 + rng.normal(scale=0.2, size=n)
    return pd.DataFrame({"unit": np.repeat([f"u{i}" for i in range(n)], t), "year": np.tile(np.arange(t), n),
                         "y": y.ravel(), "x1": np.repeat(x1, t) + rng.normal(scale=0.05, size=n * t),
                         "x2": np.repeat(x2, t) + rng.normal(scale=0.05, size=n * t)})


def sc_spec(case: str) -> tuple[pd.DataFrame, dict]:
    if case == "prop99_sc_placebo":
        return pd.read_csv(PROP99), dict(outcome="PacksPerCapita", unit="State", time="Year", treated_unit="California",
                                         treatment_start=1989, predictors=["PacksPerCapita"], outcome_lags=ADH_LAGS)
    n = int(case[3:6])
    return sim_panel(n), dict(outcome="y", unit="unit", time="year", treated_unit="u0", treatment_start=30,
                              predictors=["x1", "x2"], outcome_lags=[5, 15, 29])


# -- peers (run in the peers' venv) ----------------------------------------------------------------
def pysyncon_placebo(case: str, cap: float) -> dict:
    from pysyncon import Dataprep, Synth

    df, s = sc_spec(case)
    units = sorted(set(df[s["unit"]]))
    tr = s["treated_unit"]
    donors = [u for u in units if u != tr]
    pre = sorted(t for t in set(df[s["time"]]) if t < s["treatment_start"])
    post = sorted(t for t in set(df[s["time"]]) if t >= s["treatment_start"])
    fits, att = 0, None
    t0 = time.perf_counter()
    for unit in [tr] + donors:
        pool = [u for u in donors if u != unit]
        dp = Dataprep(foo=df, predictors=s["predictors"], predictors_op="mean", time_predictors_prior=pre,
                      special_predictors=[(s["outcome"], [y], "mean") for y in s["outcome_lags"]],
                      dependent=s["outcome"], unit_variable=s["unit"], time_variable=s["time"],
                      treatment_identifier=unit, controls_identifier=pool, time_optimize_ssr=pre)
        syn = Synth()
        syn.fit(dataprep=dp, optim_method="Nelder-Mead", optim_initial="equal")
        if unit == tr:
            att = float(syn.att(time_period=post)["att"])
            mspe = float(syn.mspe())
        fits += 1
        if time.perf_counter() - t0 > cap:
            break
    secs = time.perf_counter() - t0
    total = len(units)
    return {"seconds": secs * total / fits, "fits": fits, "of": total, "extrapolated": fits < total, "att": att,
            "mspe_pre": mspe}


def synthdid_py(case: str, cap: float) -> dict:
    import synthdid

    df = pd.read_csv(PROP99)
    t0 = time.perf_counter()
    wide = df.pivot(index="State", columns="Year", values="PacksPerCapita")
    ctrl = [u for u in wide.index if u != "California"]
    y = wide.loc[ctrl + ["California"]].to_numpy(float)
    est = synthdid.synthdid_estimate(y, N0=len(ctrl), T0=int((wide.columns < 1989).sum()))
    se = synthdid.placebo_se(est, replications=200, random_state=np.random.RandomState(1))
    return {"seconds": time.perf_counter() - t0, "att": float(est), "se": float(se)}


def diff_diff(case: str, cap: float) -> dict:
    from diff_diff import SyntheticDiD

    df = pd.read_csv(PROP99)
    t0 = time.perf_counter()
    df["ever"] = (df.State == "California").astype(int)  # diff-diff wants the ever-treated indicator
    r = SyntheticDiD(variance_method="placebo", n_bootstrap=200, seed=1).fit(
        df, outcome="PacksPerCapita", treatment="ever", unit="State", time="Year",
        post_periods=list(range(1989, 2001)))
    return {"seconds": time.perf_counter() - t0, "att": float(r.att), "se": float(r.se)}


PEERS = {"pysyncon": pysyncon_placebo, "synthdid-py": synthdid_py, "diff-diff": diff_diff}


# -- virkning ----------------------------------------------------------------------------------------
def virkning_case(case: str, reps: int) -> dict:
    import virkning as vk

    best, out = float("inf"), {}
    for _ in range(reps):
        if case == "prop99_sdid_placebo":
            df = pd.read_csv(PROP99)
            t0 = time.perf_counter()
            r = vk.sdid(df, outcome="PacksPerCapita", unit="State", time="Year", treatment="treated", se="placebo",
                        bootstrap=vk.Bootstrap(reps=200, seed=1))
            secs = time.perf_counter() - t0
            out = {"att": r.att, "se": r.std_error}
        else:
            df, s = sc_spec(case)
            t0 = time.perf_counter()
            r = vk.synthetic_control(df, **s)
            secs = time.perf_counter() - t0
            out = {"att": r.att, "mspe_pre": r.fit["mspe_pre"], "fits": len(r.placebos())}
        best = min(best, secs)
    return {"seconds": best, **out}


CASES = {"prop99_sc_placebo": ["pysyncon"], "sim100_sc_placebo": ["pysyncon"], "sim400_sc_placebo": ["pysyncon"],
         "prop99_sdid_placebo": ["synthdid-py", "diff-diff"]}


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--peers-python", default=str(ROOT / ".venv-peers" / "bin" / "python"))
    ap.add_argument("--cap", type=float, default=120.0, help="seconds per peer case before extrapolating/stopping")
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--cases", nargs="*", default=list(CASES))
    ap.add_argument("--peers", nargs="*", default=None, help="only these peers")
    ap.add_argument("--one", nargs=2, metavar=("PEER", "CASE"), help=argparse.SUPPRESS)
    a = ap.parse_args()
    warnings.filterwarnings("ignore")
    if a.one:
        print(json.dumps(PEERS[a.one[0]](a.one[1], a.cap)))
        return
    rows = []
    for case in a.cases:
        v = virkning_case(case, a.reps)
        rows.append((case, "virkning", v))
        print(case, "virkning", v, flush=True)
        for peer in [p for p in CASES[case] if a.peers is None or p in a.peers]:
            try:
                p = subprocess.run([a.peers_python, __file__, "--one", peer, case, "--cap", str(a.cap)],
                                   capture_output=True, text=True, timeout=a.cap * 3 + 60, check=True)
                res = json.loads(p.stdout.strip().splitlines()[-1])
            except subprocess.TimeoutExpired:
                res = {"failed": f"stopped after {a.cap * 3 + 60:.0f} s"}
            except subprocess.CalledProcessError as e:
                res = {"failed": e.stderr.strip().splitlines()[-1][:120]}
            rows.append((case, peer, res))
            print(case, peer, res, flush=True)
    lines = ["# Synthetic control benchmark: virkning vs pysyncon, synthdid-py, diff-diff", "",
             f"Run {datetime.date.today().isoformat()} with `python bench/bench_synth.py --cap {a.cap:g} --reps {a.reps}` "
             f"on {platform.machine()}, Python {platform.python_version()} (2 cores shared with other jobs); virkning "
             "release build (best of the reps), peers once each.", "",
             "| case | library | seconds | vs virkning | (peer seconds / 2) vs virkning | ATT | pre MSPE or SE | note |",
             "|---|---|---:|---:|---:|---:|---:|---|"]
    base = {}
    for case, lib, r in rows:
        if lib == "virkning":
            base[case] = r["seconds"]
        if "failed" in r:
            lines.append(f"| {case} | {lib} | failed: {r['failed']} | | | | | |")
            continue
        ratio = r["seconds"] / base[case]
        half = f"{ratio / 2:.0f}x" if lib == "pysyncon" else ""
        note = f"extrapolated from {r['fits']} of {r['of']} fits" if r.get("extrapolated") else ""
        extra = r.get("mspe_pre", r.get("se"))
        lines.append(f"| {case} | {lib} | {r['seconds']:.3f} | {ratio:.0f}x | {half} | {r['att']:.4f} | {extra:.4f} | {note} |")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
