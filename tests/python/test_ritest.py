"""Randomization inference from Python: exactness on a tiny enumerable design, the mpdta TWFE
coefficient, reproducibility, and bad input."""

from __future__ import annotations

import math
from itertools import combinations

import numpy as np
import pandas as pd
import polars as pl
import pytest

import virkning as vk
from virkning.exceptions import InferenceError, InvalidParameterError


def _tiny() -> pd.DataFrame:
    """8 units x 4 periods; units 6 and 7 adopt at period 2 with a large effect."""
    rng = np.random.default_rng(5)
    rows = []
    for u in range(8):
        for t in range(4):
            d = float(u >= 6 and t >= 2)
            rows.append({"u": u, "t": t, "d": d, "y": u * 0.3 + t * 0.1 + 2.0 * d + rng.normal(0, 0.1)})
    return pd.DataFrame(rows)


def test_p_value_equals_the_exact_permutation_distribution():
    df = _tiny()
    fit = vk.feols("y ~ d | u + t", df)
    ri = fit.ritest("d", unit="u", time="t", reps=4000, seed=11)
    # Exact: refit for each of the C(8,2) = 28 treated pairs.
    exact = []
    for pair in combinations(range(8), 2):
        dd = df.assign(d=(df["u"].isin(pair) & (df["t"] >= 2)).astype(float))
        exact.append(vk.feols("y ~ d | u + t", dd).coef()["d"])
    exact = np.array(exact)
    p_exact = np.mean(np.abs(exact) >= abs(fit.coef()["d"]) - 1e-12)
    assert ri.statistic == pytest.approx(fit.coef()["d"], rel=1e-12)
    assert abs(ri.p_value - p_exact) < 4 * math.sqrt(p_exact * (1 - p_exact) / 4000) + 1e-12
    assert set(np.round(ri.distribution(), 10)) <= set(np.round(exact, 10))


def test_mpdta_twfe_and_reproducibility(mpdta):
    fit = vk.feols("lemp ~ treat_post | countyreal + year", pl.from_pandas(mpdta))
    ri = vk.ritest(fit, "treat_post", unit="countyreal", time="year", reps=300, seed=4)
    assert ri.n_units == 500 and ri.n_treated == 191 and ri.reps == 300
    assert 0 <= ri.p_value <= 0.1  # the TWFE estimate is far in the tail of the permutation null
    assert abs(np.mean(ri.distribution())) < 0.01  # the null distribution is centred near 0
    again = fit.ritest("treat_post", unit="countyreal", time="year", reps=300, seed=4)
    assert np.array_equal(ri.distribution(), again.distribution())
    assert isinstance(ri.tidy(), pl.DataFrame) and "permutations" in ri.summary()


def test_bad_treatment_and_reps(mpdta):
    fit = vk.feols("lemp ~ treat_post | countyreal + year", mpdta)
    with pytest.raises(InvalidParameterError, match="reps"):
        fit.ritest("treat_post", unit="countyreal", time="year", reps=0)
    df = mpdta.assign(switch=((mpdta["year"] == 2005) & (mpdta["first_treat"] > 0)).astype(float))
    fit2 = vk.feols("lemp ~ switch | countyreal + year", df)
    with pytest.raises(InferenceError, match="absorbing"):
        fit2.ritest("switch", unit="countyreal", time="year", reps=10)
    df3 = mpdta.assign(dose=mpdta["treat_post"] * 2.0)
    fit3 = vk.feols("lemp ~ dose | countyreal + year", df3)
    with pytest.raises(InferenceError, match="0/1"):
        fit3.ritest("dose", unit="countyreal", time="year", reps=10)


def test_few_treated_clusters_are_flagged_in_the_feols_result(mpdta):
    few = mpdta.assign(d=((mpdta["countyreal"].isin(mpdta["countyreal"].unique()[:8])) & (mpdta["year"] >= 2005)).astype(float))
    with pytest.warns(vk.exceptions.SmallClusterWarning, match="only 8 of 500 clusters are treated.*wildboot"):
        fit = vk.feols("lemp ~ d | countyreal + year", few)
    assert any("wildboot" in line for line in fit._footer())
    tiny = mpdta.assign(d=((mpdta["countyreal"].isin(mpdta["countyreal"].unique()[:3])) & (mpdta["year"] >= 2005)).astype(float))
    with pytest.warns(vk.exceptions.SmallClusterWarning, match="ritest"):
        vk.feols("lemp ~ d | countyreal + year", tiny)
