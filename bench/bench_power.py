"""Power analysis: 1,000 replications of CS DiD (or TWFE) on a 98 x 15 panel, virkning vs a
peer loop (csdid 0.4.3 for CS, pyfixest for TWFE).

Usage:
    python bench/bench_power.py --estimator att_gt   # 1,000 virkning reps, 30 csdid reps (extrapolated)
    python bench/bench_power.py                      # TWFE: 1,000 virkning reps, 30 pyfixest reps
    python bench/bench_power.py --reps 1000 --peer-reps 1000   # no extrapolation (about 2 min)

csdid (att_gt): per replicate ``ATTgt(yname="outcome", gname="cohort", idname="unit",
tname="period", data=df).fit(est_method="reg", bstrap=False)`` and ``aggte(typec="simple",
bstrap=False)``: the loop a user writes today with the Python port of R ``did``.

virkning: ``vk.power(0.02, reps=1000, mde="none")`` on the default design (17 of 98
municipalities treated from 2016, 2010-2024: 1,470 rows per replicate), timed end to end
(simulation + TWFE with CR1 by unit + summaries), best of 3 runs, release build.

pyfixest: the loop a user writes today. For each replicate, ``pf.feols("outcome ~ treated |
unit + period", vcov={"CRV1": "unit"})`` on the same data (taken from ``vk.simulate_panel``, so
the two libraries see identical replicates), then the coefficient, SE and p-value are read.
Only the estimation is timed (data generation is excluded, which favours pyfixest); the
first fit warms up pyfixest's JIT and is not timed. ``--peer-reps`` replicates are timed and
the time is extrapolated linearly to ``--reps`` (the per-replicate cost is constant). The
estimates of those replicates are compared with virkning's draws (max relative difference).
"""

from __future__ import annotations

import argparse
import datetime
import json
import os
import platform
import time
from pathlib import Path

DESIGN = dict(treated=17, start=2016, first_period=2010, last_period=2024, n_units=98, seed=2016)
EFFECT = 0.02


def run_virkning(reps: int, repeat: int, estimator: str) -> tuple[float, object]:
    import virkning as vk

    kw = dict(mde="none", progress=False, estimator=estimator, **DESIGN)
    vk.power(EFFECT, reps=20, **kw)  # warm-up (thread pool)
    best, res = float("inf"), None
    for _ in range(repeat):
        t0 = time.perf_counter()
        res = vk.power(EFFECT, reps=reps, **kw)
        best = min(best, time.perf_counter() - t0)
    return best, res


def run_pyfixest(peer_reps: int) -> tuple[float, list[tuple[float, float, float]]]:
    import pyfixest as pf

    import virkning as vk

    frames = [vk.simulate_panel(replicate=r, effect=EFFECT, **DESIGN) for r in range(peer_reps)]
    pf.feols("outcome ~ treated | unit + period", data=frames[0], vcov={"CRV1": "unit"}).coef()
    out = []
    t0 = time.perf_counter()
    for df in frames:
        fit = pf.feols("outcome ~ treated | unit + period", data=df, vcov={"CRV1": "unit"})
        out.append((float(fit.coef()["treated"]), float(fit.se()["treated"]), float(fit.pvalue()["treated"])))
    return time.perf_counter() - t0, out


def run_csdid(peer_reps: int) -> tuple[float, list[tuple[float, float, float]]]:
    import warnings

    import numpy as np
    from csdid.att_gt import ATTgt
    from scipy.stats import norm

    import virkning as vk

    frames = [vk.simulate_panel(replicate=r, effect=EFFECT, **DESIGN) for r in range(peer_reps)]
    out = []
    t0 = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for df in frames:
            fit = ATTgt(yname="outcome", gname="cohort", idname="unit", tname="period", data=df).fit(
                est_method="reg", bstrap=False)
            a = fit.aggte(typec="simple", bstrap=False, cband=False).atte
            est, se = float(a["overall_att"]), float(np.ravel(a["overall_se"])[0])
            out.append((est, se, 2 * norm.sf(abs(est / se))))
    return time.perf_counter() - t0, out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--estimator", choices=["twfe", "att_gt"], default="twfe")
    ap.add_argument("--reps", type=int, default=1000)
    ap.add_argument("--peer-reps", type=int, default=30)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--results", type=Path, default=Path(__file__).with_name("RESULTS.md"))
    ap.add_argument("--no-write", action="store_true")
    args = ap.parse_args()
    import numpy as np

    import pandas as pd

    import virkning as vk

    cs = args.estimator == "att_gt"
    if cs:
        peer_name, peer_version = "csdid ATTgt loop", __import__("importlib.metadata").metadata.version("csdid")
    else:
        import pyfixest as peer_mod
        peer_name, peer_version = "pyfixest feols loop", peer_mod.__version__
    t_vk, res = run_virkning(args.reps, args.repeat, args.estimator)
    row = res.tidy().iloc[0]
    draws = res.draws()
    t_pf, peer = (run_csdid if cs else run_pyfixest)(args.peer_reps)
    t_pf_full = t_pf / args.peer_reps * args.reps
    est = draws["estimate"].to_numpy()[: args.peer_reps]
    se = draws["std_error"].to_numpy()[: args.peer_reps]
    pv = draws["p_value"].to_numpy()[: args.peer_reps]
    rel = lambda a, b: float(np.max(np.abs(a - b) / np.abs(b)))  # noqa: E731
    diff_est = rel(est, np.array([p[0] for p in peer]))
    diff_se = rel(se, np.array([p[1] for p in peer]))
    diff_p = rel(pv, np.array([p[2] for p in peer]))

    print(f"virkning: {args.reps} reps in {t_vk:.3f} s (best of {args.repeat}); power {row['power']:.3f}, "
          f"bias {row['bias']:.2e}, coverage {row['coverage']:.3f}")
    extrap = "" if args.peer_reps == args.reps else f" ({args.peer_reps} reps timed, extrapolated)"
    print(f"{peer_name}: {t_pf_full:.2f} s for {args.reps} reps{extrap}; ratio {t_pf_full / t_vk:.1f}x")
    print(f"agreement on {args.peer_reps} identical replicates: max rel diff estimate {diff_est:.1e}, "
          f"SE {diff_se:.1e}, p-value {diff_p:.1e}")
    if args.no_write:
        return
    cmd = f"python bench/bench_power.py --estimator {args.estimator}" + (
        f" --peer-reps {args.peer_reps}" if args.peer_reps != 30 else "")
    est_label = "CS DiD (att_gt, simple aggregation)" if cs else "TWFE `outcome ~ treated | unit + period`, CR1 by unit"
    lines = [
        "",
        f"# power benchmark: {args.reps} {'CS DiD' if cs else 'TWFE'} replications, virkning vs a {peer_name}",
        "",
        f"Run {datetime.date.today()} with `{cmd}` on {os.cpu_count()} cores, {platform.machine()}, "
        f"Python {platform.python_version()}; virkning {vk.__version__} (release), {peer_name.split()[0]} "
        f"{peer_version}, numpy {np.__version__}, pandas {pd.__version__}.",
        f"Design: 17 of 98 municipalities treated from 2016, 2010-2024 (98 x 15 = 1,470 rows), effect {EFFECT}; "
        f"{est_label}. virkning: `vk.power(..., estimator=\"{args.estimator}\")` end to end "
        f"(simulation, fits, summaries), best of {args.repeat}. Peer: estimation only on the same replicates "
        f"(data generation not timed){'; ' + str(args.peer_reps) + ' reps timed and extrapolated linearly' if extrap else ''}.",
        "",
        "| library | replications | seconds | vs virkning |",
        "|---|---:|---:|---:|",
        f"| virkning `power()` | {args.reps} | {t_vk:.3f} | 1.0x |",
        f"| {peer_name} | {args.reps}{' (extrapolated)' if extrap else ''} | {t_pf_full:.2f} | {t_pf_full / t_vk:.1f}x |",
        "",
        f"Same replicates, max relative difference virkning vs peer: estimate {diff_est:.1e}, "
        f"SE {diff_se:.1e}, p-value {diff_p:.1e}. Simulated power {row['power']:.3f}, bias "
        f"{row['bias']:.1e}, coverage {row['coverage']:.3f}.",
        "",
    ]
    with args.results.open("a") as f:
        f.write("\n".join(lines))
    print(json.dumps({"virkning_s": t_vk, "peer_s": t_pf_full, "ratio": t_pf_full / t_vk}))


if __name__ == "__main__":
    main()
