"""REML random-intercept model: virkning.mixedlm vs statsmodels MixedLM, side by side, in one run.

Usage:
    python bench/bench_reml.py              # 98 municipalities x 15 years (the bundled panel)
    python bench/bench_reml.py --reps 5     # best of 5 repetitions (default 5)
    python bench/bench_reml.py --append     # also append the table to bench/RESULTS.md

Model: ``employment_rate ~ six frame conditions + C(year)`` with a random intercept per
municipality, REML, on ``virkning.datasets.municipalities()`` (1,470 rows, 21 fixed effects).
statsmodels is run with its default optimiser (``fit(reml=True)``). The timing includes the
pandas-to-Rust conversion for virkning and the formula parsing for both. Agreement in the fixed
effects, the variance components and the REML log-likelihood is printed next to the times.
Build virkning with ``maturin develop --release`` first.
"""

from __future__ import annotations

import argparse
import datetime
import platform
import time
import warnings
from pathlib import Path

import numpy as np

FRAME = ("unemployment_rate + share_women + share_short_education + share_syria + share_eritrea"
         " + mean_years_in_denmark")
FORMULA = f"employment_rate ~ {FRAME} + C(year)"


def best_time(fn, reps: int) -> tuple[float, object]:
    best, out = float("inf"), None
    for _ in range(reps):
        t0 = time.perf_counter()
        out = fn()
        best = min(best, time.perf_counter() - t0)
    return best, out


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--append", action="store_true")
    args = ap.parse_args()

    import statsmodels
    import statsmodels.formula.api as smf

    import virkning as vk

    warnings.filterwarnings("ignore")
    df = vk.datasets.municipalities()
    df = df[df["refugees"] > 0].reset_index(drop=True)
    vk.mixedlm(FORMULA, df, group="municipality_code")  # warm-up (import, first call)
    t_vk, fit_vk = best_time(lambda: vk.mixedlm(FORMULA, df, group="municipality_code"), args.reps)
    t_sm, fit_sm = best_time(
        lambda: smf.mixedlm(FORMULA, df, groups=df["municipality_code"]).fit(reml=True), args.reps)
    coef_vk = fit_vk.coef()
    max_coef = max(abs(coef_vk[n] - v) / max(abs(v), 1e-12) for n, v in fit_sm.fe_params.items())
    vc = fit_vk.variance_components
    d_group = abs(vc["group"] / fit_sm.cov_re.iloc[0, 0] - 1)
    d_resid = abs(vc["residual"] / fit_sm.scale - 1)
    d_ll = abs(fit_vk.loglik / fit_sm.llf - 1)
    ratio = t_sm / t_vk
    lines = [
        "",
        "# REML benchmark: virkning.mixedlm vs statsmodels MixedLM",
        "",
        f"Run {datetime.date.today().isoformat()} with `python bench/bench_reml.py --reps {args.reps}` on "
        f"{platform.machine()}, Python {platform.python_version()}; virkning {vk.__version__} (release build), "
        f"statsmodels {statsmodels.__version__}, numpy {np.__version__}.",
        f"Model `{FORMULA}`, random intercept by municipality, REML, 98 municipalities x 15 years "
        f"({len(df)} rows); best of {args.reps} runs, data conversion and formula parsing included.",
        "",
        "| library | seconds | vs virkning | max rel. diff. fixed effects | group var | residual var | REML loglik |",
        "|---|---:|---:|---:|---:|---:|---:|",
        f"| virkning | {t_vk:.5f} | 1.0x | | | | |",
        f"| statsmodels MixedLM | {t_sm:.5f} | {ratio:.0f}x | {max_coef:.1e} | {d_group:.1e} | {d_resid:.1e} | {d_ll:.1e} |",
        "",
        f"virkning is {ratio:.0f}x faster (target: at least 20x). Differences are relative to statsmodels' own optimum.",
    ]
    text = "\n".join(lines)
    print(text)
    if args.append:
        with (Path(__file__).resolve().parent / "RESULTS.md").open("a") as f:
            f.write(text + "\n")


if __name__ == "__main__":
    main()
