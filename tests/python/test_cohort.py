"""virkning.simulate_cohort: the cohort reproduces its hazard; bad input raises specific errors."""

from __future__ import annotations

import math

import numpy as np
import pytest

import virkning as vk
from virkning import exceptions as exc


def test_exponential_mle_recovers_rate_and_hazard_ratio():
    df = vk.simulate_cohort(n_persons=20_000, treated_units=49, hazard={"kind": "exponential", "rate": 0.05},
                            hazard_ratio=1.5, follow_up=24.0, dropout_rate=0.01, seed=5)
    assert list(df.columns) == ["person", "unit", "treated", "time", "event"]
    assert df["time"].max() <= 24.0 and (df["time"] > 0).all()
    rates = {}
    for d in (0.0, 1.0):
        g = df[df["treated"] == d]
        events, exposure = g["event"].sum(), g["time"].sum()
        rates[d] = (events / exposure, 1 / math.sqrt(events))  # MLE and SE of its log
    assert abs(math.log(rates[0.0][0] / 0.05)) < 4 * rates[0.0][1]
    assert abs(math.log(rates[1.0][0] / 0.075)) < 4 * rates[1.0][1]
    # Drop-out censors some persons before the end of follow-up.
    assert ((df["event"] == 0) & (df["time"] < 24.0)).any()
    # Treatment is assigned by municipality.
    assert (df.groupby("unit")["treated"].nunique() == 1).all()
    assert df.groupby("unit")["treated"].first().sum() == 49


def test_weibull_survival_matches_kaplan_meier():
    shape, scale = 1.3, 30.0
    df = vk.simulate_cohort(n_persons=8000, seed=6, follow_up=60.0)
    t = np.sort(df["time"].to_numpy())
    order = np.argsort(df["time"].to_numpy(), kind="stable")
    e = df["event"].to_numpy()[order]
    at_risk = len(t) - np.arange(len(t))
    km = np.cumprod(1 - e / at_risk)
    for q in (6.0, 18.0, 36.0):
        s_hat = km[np.searchsorted(t, q, side="right") - 1]
        truth = math.exp(-((q / scale) ** shape))
        se = math.sqrt(truth * (1 - truth) / len(t))
        assert abs(s_hat - truth) < 4 * se, (q, s_hat, truth)


def test_same_seed_same_cohort():
    a = vk.simulate_cohort(seed=3, replicate=2)
    b = vk.simulate_cohort(seed=3, replicate=2)
    assert a.equals(b)
    assert not a.equals(vk.simulate_cohort(seed=3, replicate=3))


@pytest.mark.parametrize(
    ("kwargs", "cls", "fragment"),
    [
        (dict(treated_units=120), exc.DesignError, "treats 120 units but has only 98"),
        (dict(hazard={"kind": "weibull", "shape": -1.0, "scale": 3.0}), exc.InvalidParameterError, "invalid hazard"),
        (dict(hazard={"kind": "piecewise_constant", "cuts": [6.0], "rates": [0.1]}), exc.InvalidParameterError,
         "need 2 rates"),
        (dict(hazard={"rate": 0.1}), exc.InvalidParameterError, "'kind'"),
        (dict(hazard_ratio=0.0), exc.InvalidParameterError, "hazard_ratio"),
        (dict(frailty_sd=-0.5), exc.InvalidParameterError, "standard deviation"),
        (dict(follow_up=float("inf")), exc.InvalidParameterError, "follow_up"),
        (dict(n_persons=0), exc.InvalidParameterError, "n_persons"),
    ],
)
def test_bad_cohorts(kwargs, cls, fragment):
    with pytest.raises(cls, match=fragment):
        vk.simulate_cohort(**kwargs)
