"""Randomization inference on the staggered estimators' results (att_gt and its aggregations,
sun_abraham, did_imputation, sdid): the actual statistic is the estimator's ATT, seed
determinism and thread-count independence, power under a strong effect, no systematic
rejection under the sharp null, failed permutations reported, bad input."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

import virkning as vk
from virkning.exceptions import InvalidParameterError, UnknownChoiceError


def _sim(n: int = 40, periods: int = 6, effect: float = 1.0, seed: int = 0) -> pd.DataFrame:
    """Staggered panel: 2/5 never treated, cohorts 3, 4, 5; effect `effect` once treated."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n):
        g = [0, 0, 3, 4, 5][u % 5]
        a = rng.normal()
        for t in range(1, periods + 1):
            d = float(g > 0 and t >= g)
            rows.append({"u": u, "t": t, "g": g, "d": d, "y": a + 0.1 * t + effect * d + rng.normal()})
    return pd.DataFrame(rows)


@pytest.fixture(scope="module")
def panel() -> pd.DataFrame:
    return vk.datasets.municipalities()


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


def test_actual_statistic_is_each_estimators_att(panel):
    roles = dict(outcome="employment_rate", unit="municipality_code", time="year")
    cs = _quiet(vk.att_gt, panel, **roles, cohort="igu_year")
    assert cs.ritest(reps=9, seed=1).statistic == cs.aggregate("simple").overall["estimate"]
    dyn = cs.aggregate("dynamic")
    r = dyn.ritest(reps=9, seed=1)
    assert r.statistic == dyn.overall["estimate"] and r.term == "ATT (dynamic)"
    assert cs.ritest(reps=9, seed=1, aggregation="group").statistic == cs.aggregate("group").overall["estimate"]
    sa = _quiet(vk.sun_abraham, panel, **roles, cohort="igu_year")
    assert sa.ritest(reps=9, seed=1).statistic == sa.att["estimate"]
    bjs = _quiet(vk.did_imputation, panel, **roles, treatment="igu")
    r = vk.ritest(bjs, reps=9, seed=1)  # the module function dispatches on the result type
    assert r.statistic == bjs.att["estimate"] and r.n_units == 98
    df = _sim()
    sd = vk.sdid(df, outcome="y", unit="u", time="t", treatment="d", se="none")
    r = sd.ritest(reps=9, seed=1)
    assert r.statistic == sd.att and r.n_treated == 24 and r.n_failed == 0 and r.reps == 9


def test_strong_effect_gives_a_small_p_value(panel):
    bjs = _quiet(vk.did_imputation, panel, outcome="employment_rate", unit="municipality_code", time="year",
                 cohort="igu_year")
    ri = bjs.ritest(reps=199, seed=4)
    assert ri.p_value < 0.02
    assert abs(np.nanmean(ri.distribution())) < abs(ri.statistic) / 3  # the null is centred well below
    sd = vk.sdid(_sim(effect=2.0), outcome="y", unit="u", time="t", treatment="d", se="none")
    assert sd.ritest(reps=99, seed=2).p_value < 0.02


def test_sharp_null_p_values_are_not_systematically_small(panel):
    # The bundled panel with its documented true effect removed satisfies the sharp null.
    null = panel.assign(y=panel["employment_rate"] - panel["true_effect"])
    cs = _quiet(vk.att_gt, null, outcome="y", unit="municipality_code", time="year", cohort="igu_year")
    ps = [cs.ritest(reps=99, seed=1).p_value]
    for s in range(6):
        sa = _quiet(vk.sun_abraham, _sim(effect=0.0, seed=10 + s), outcome="y", unit="u", time="t", cohort="g")
        ps.append(sa.ritest(reps=49, seed=s).p_value)
    assert sum(p < 0.05 for p in ps) <= 2, ps
    assert np.mean(ps) > 0.25, ps


def test_deterministic_for_a_seed_and_independent_of_the_thread_count():
    df = _sim(seed=3)
    sa = _quiet(vk.sun_abraham, pl.from_pandas(df), outcome="y", unit="u", time="t", cohort="g")
    a = sa.ritest(reps=30, seed=7)
    assert np.array_equal(a.distribution(), sa.ritest(reps=30, seed=7).distribution())
    assert not np.array_equal(a.distribution(), sa.ritest(reps=30, seed=8).distribution())
    assert isinstance(a.tidy(), pl.DataFrame) and a.params["seed"] == 7
    code = (
        "import io, json, sys, warnings, pandas as pd, virkning as vk\n"
        "warnings.simplefilter('ignore')\n"
        "df = pd.read_csv(io.StringIO(sys.stdin.read()))\n"
        "sa = vk.sun_abraham(df, outcome='y', unit='u', time='t', cohort='g')\n"
        "print(json.dumps(sa.ritest(reps=30, seed=7).distribution().tolist()))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], input=df.to_csv(index=False), capture_output=True, text=True,
                         env={**os.environ, "RAYON_NUM_THREADS": "1"}, check=True)
    assert np.array_equal(np.array(json.loads(out.stdout)), a.distribution())


def test_failed_permutations_are_counted_and_reported():
    # 3 never-treated units with varying outcomes; 4 of the 12 units have a constant outcome.
    # A permutation that makes only constant units the controls cannot be fitted by sdid.
    rng = np.random.default_rng(0)
    rows = []
    for u in range(12):
        g = 0 if u < 3 else 5
        for t in range(1, 8):
            d = float(g > 0 and t >= g)
            y = 1.0 if u >= 8 else rng.normal() + 0.2 * t + d
            rows.append({"u": u, "t": t, "d": d, "y": y})
    sd = vk.sdid(pd.DataFrame(rows), outcome="y", unit="u", time="t", treatment="d", se="none")
    ri = sd.ritest(reps=300, seed=3)
    n_nan = int(np.isnan(ri.distribution()).sum())
    assert n_nan > 0 and ri.n_failed == n_nan and ri.reps == 300 - n_nan
    assert f"{n_nan} of 300 permutations failed" in ri.summary()
    assert ri.glance()["n_failed"][0] == n_nan


def test_bad_input():
    df = _sim()
    sa = _quiet(vk.sun_abraham, df, outcome="y", unit="u", time="t", cohort="g")
    with pytest.raises(InvalidParameterError, match="reps"):
        sa.ritest(reps=0)
    with pytest.raises(InvalidParameterError, match="feols results only"):
        vk.ritest(sa, "ATT", unit="u", time="t")
    with pytest.raises(InvalidParameterError, match="att_gt"):
        vk.ritest(sa, aggregation="dynamic")
    cs = vk.att_gt(df, outcome="y", unit="u", time="t", cohort="g")
    with pytest.raises(UnknownChoiceError, match="dynamic"):
        cs.ritest(reps=5, aggregation="dynamc")
    fit = vk.feols("y ~ d | u + t", df)
    with pytest.raises(InvalidParameterError, match="param, unit= and time="):
        vk.ritest(fit, "d")
    with pytest.raises(InvalidParameterError, match="feols result or a staggered"):
        vk.ritest(object(), reps=5)
