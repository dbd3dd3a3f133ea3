"""Bad input to att_gt: each case raises a specific error or warns, and says what to do."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import virkning as vk
from virkning import exceptions as exc

ROLES = dict(outcome="lemp", unit="countyreal", time="year", cohort="first_treat")


def test_no_never_treated_names_not_yet_treated(mpdta):
    df = mpdta[mpdta["first_treat"] > 0]
    with pytest.raises(exc.IdentificationError, match="not_yet_treated"):
        vk.att_gt(df, **ROLES)
    # The suggested fix works: the last cohort serves only as a control, late periods go.
    fit = vk.att_gt(df, **ROLES, control_group="not_yet_treated")
    assert fit.drops["control_only_cohort"] == 2007
    assert fit.drops["dropped_periods"] == [2007]
    assert "used only as a control" in fit.summary()


def test_cohort_treated_in_first_period_is_dropped_and_reported(mpdta):
    df = mpdta.copy()
    df.loc[df["countyreal"].isin(df["countyreal"].unique()[:3]), "first_treat"] = 2003
    fit = vk.att_gt(df, **ROLES)
    assert fit.timing["first_period_treated"] == [{"cohort": 2003, "n_units": 3}]
    assert fit.n_units == 497
    assert "treated in the first period dropped" in fit.summary()
    assert 2003 not in set(fit.tidy()["cohort"])


def test_treatment_switching_off_is_an_error(mpdta):
    df = mpdta.copy()
    df["d"] = ((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(float)
    fit = vk.att_gt(df, outcome="lemp", unit="countyreal", time="year", treatment="d")
    ref = vk.att_gt(df, **ROLES)
    assert np.allclose(fit.tidy()["estimate"], ref.tidy()["estimate"])
    unit = df.loc[df["first_treat"] == 2004, "countyreal"].iloc[0]
    df.loc[(df["countyreal"] == unit) & (df["year"] == 2006), "d"] = 0.0
    with pytest.raises(exc.DataError, match="switches off"):
        vk.att_gt(df, outcome="lemp", unit="countyreal", time="year", treatment="d")


def test_cohort_changing_within_a_unit_is_an_error(mpdta):
    df = mpdta.copy()
    df.loc[(df["countyreal"] == 8001) & (df["year"] == 2005), "first_treat"] = 2006
    with pytest.raises(exc.DataError, match="changes within countyreal = 8001"):
        vk.att_gt(df, **ROLES)


def test_single_unit_cohort_warns_and_gets_no_standard_error(mpdta):
    df = mpdta.copy()
    df.loc[df["countyreal"] == df.loc[df["first_treat"] == 0, "countyreal"].iloc[0], "first_treat"] = 2005
    with pytest.warns(exc.SmallClusterWarning, match="single unit"):
        fit = vk.att_gt(df, **ROLES)
    t = fit.tidy()
    assert t.loc[t["cohort"] == 2005, "std_error"].isna().all()
    assert t.loc[t["cohort"] != 2005, "std_error"].notna().all()


def test_propensity_scores_near_one_warn_with_the_count():
    rng = np.random.default_rng(1)
    n, periods = 400, [1, 2, 3, 4]
    x = rng.normal(size=n)
    g = np.where(rng.random(n) < 0.5, 3, 0)
    # Controls with large x look treated: their scores are near 1 and get trimmed.
    x = np.where(g == 3, x + 3.0, x)
    rows = [(i, t, g[i], x[i], rng.normal() + 0.1 * t) for i in range(n) for t in periods]
    df = pd.DataFrame(rows, columns=["id", "t", "g", "x", "y"])
    with pytest.warns(exc.OverlapWarning, match="propensity scores"):
        vk.att_gt(df, outcome="y", unit="id", time="t", cohort="g", covariates=["x"], method="ipw")


def test_choices_weights_columns_and_windows(mpdta):
    with pytest.raises(exc.UnknownChoiceError, match="not_yet_treated"):
        vk.att_gt(mpdta, **ROLES, control_group="notyettreated")
    with pytest.raises(exc.UnknownChoiceError, match="dr, ipw, reg"):
        vk.att_gt(mpdta, **ROLES, method="aipw")
    with pytest.raises(exc.ColumnNotFoundError, match="nope"):
        vk.att_gt(mpdta, **ROLES, covariates=["nope"])
    df = mpdta.copy()
    df["w"] = 1.0
    df.loc[0, "w"] = -1.0
    with pytest.raises(exc.InvalidWeightsError, match="negative"):
        vk.att_gt(df, **ROLES, weights="w")
    df["w"] = np.where(df["year"] == 2004, 2.0, 1.0)
    with pytest.raises(exc.DataError, match="weights `w` varies within"):
        vk.att_gt(df, **ROLES, weights="w")
    df["region"] = np.where(df["year"] == 2004, 1, 2)
    with pytest.raises(exc.DataError, match="cluster `region` varies within"):
        vk.att_gt(df, **ROLES, cluster="region")
    fit = vk.att_gt(mpdta, **ROLES)
    with pytest.raises(exc.IdentificationError, match="no event time"):
        fit.aggregate("dynamic", min_e=10)
    with pytest.raises(exc.UnknownChoiceError):
        fit.aggregate("event")


def test_unbalanced_and_missing_rows_are_dropped_and_reported(mpdta):
    df = mpdta.copy()
    df.loc[3, "lemp"] = np.nan
    df = df.drop(index=[10])
    fit = vk.att_gt(df, **ROLES)
    assert fit.drops["n_unbalanced_units"] == 2
    assert fit.n_units == 498
    assert "lemp: 1" in fit.summary()
