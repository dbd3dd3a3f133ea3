"""Issue 16 regressions for the staggered DiD family: no silent wrong number.

A reference event time that is not observed, a single cluster, fewer than two resampling
draws, a cohort value 0 that is also a period, horizons without observations and collinear
covariates each give a specific error or a warning that says what happened; the TWFE event
study supports randomization inference."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import virkning as vk
from virkning import exceptions as exc

ROLES = dict(outcome="y", unit="u", time="t", cohort="g")


def _panel(periods=range(1, 9), cohorts=(0, 0, 4, 5, 6), n=40, effect=1.0, seed=0) -> pd.DataFrame:
    """Staggered panel observed at `periods`; unit u has cohort cohorts[u % len] (0: never)."""
    rng = np.random.default_rng(seed)
    rows = []
    for u in range(n):
        g = cohorts[u % len(cohorts)]
        a = rng.normal()
        for t in periods:
            d = float(g > 0 and t >= g)
            rows.append({"u": u, "t": t, "g": g, "d": d, "x": rng.normal(),
                         "y": a + 0.1 * t + effect * d + rng.normal()})
    return pd.DataFrame(rows)


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


# -- 1. a reference period that does not exist -----------------------------------------------
def test_biennial_panel_without_reference_period_is_an_identification_error():
    # Observed every two years; cohorts adopt in even years, so e = -1 (an odd year) is never seen.
    df = _panel(periods=range(2, 17, 2), cohorts=(0, 0, 6, 8, 10))
    with pytest.raises(exc.IdentificationError, match=r"cohort\(s\) 6, 8, 10 .* not observed at event time -1"):
        vk.sun_abraham(df, **ROLES)
    with pytest.raises(exc.IdentificationError, match="reference event time -1 .*-8, -6, -4, -2, 0"):
        vk.event_study(df, **ROLES)
    with pytest.raises(exc.IdentificationError, match="2 apart"):
        vk.event_study(df, **ROLES)
    # An observed reference is fine, and equals the fit on consecutive period numbers.
    ok = _quiet(vk.event_study, df, **ROLES, reference=-2)
    idx = df.assign(t=df["t"] // 2, g=df["g"] // 2)
    same = _quiet(vk.event_study, idx, **ROLES)
    np.testing.assert_allclose(ok.tidy()["estimate"].to_numpy(), same.tidy()["estimate"].to_numpy(), rtol=1e-10)
    np.testing.assert_allclose(_quiet(vk.sun_abraham, idx, **ROLES).att["estimate"],
                               _quiet(vk.did_imputation, idx, **ROLES).att["estimate"], rtol=0.5)
    # The imputation estimator needs no reference period.
    assert np.isfinite(_quiet(vk.did_imputation, df, **ROLES).att["estimate"])


def test_reference_event_time_outside_the_data_is_an_identification_error():
    df = _panel()
    with pytest.raises(exc.IdentificationError, match="reference event time -100"):
        vk.event_study(df, **ROLES, reference=-100)
    # Every observed event time is a valid reference; e = -5 is seen by cohort 6 only.
    fit = _quiet(vk.event_study, df, **ROLES, reference=-5)
    assert -5 not in set(fit.tidy()["event_time"]) and fit.tidy()["estimate"].notna().all()


def test_event_times_collinear_with_unit_effects_are_an_error_not_a_hidden_reference():
    # Observed in even periods; cohort 4 sees only even event times, cohort 5 only odd ones
    # (including the reference -1): cohort 4's dummies sum to its unit effects.
    df = _panel(periods=range(2, 11, 2), cohorts=(0, 0, 4, 5))
    with pytest.raises(exc.IdentificationError, match=r"cohort\(s\) 4 of `g` are not observed at the reference event time -1\) not identified"):
        vk.event_study(df, **ROLES)
    with pytest.raises(exc.IdentificationError, match=r"cohort\(s\) 4 .* event time -1"):
        vk.sun_abraham(df, **ROLES)


def test_att_gt_base_periods_are_observed_periods():
    # att_gt compares with the last observed period before g - anticipation and reports it.
    df = _panel(periods=range(2, 17, 2), cohorts=(0, 0, 6, 8, 10))
    for anticipation in (0, 1, 2):
        for base in ("varying", "universal"):
            fit = _quiet(vk.att_gt, df, **ROLES, anticipation=anticipation, base_period=base)
            periods = set(df["t"])
            for e in fit._dict["effects"]:
                assert e["base_period"] in periods
                if e["time"] >= e["cohort"] - anticipation:
                    assert e["base_period"] == max(p for p in periods if p + anticipation < e["cohort"])


# -- 2. one cluster ----------------------------------------------------------------------------
@pytest.mark.parametrize("fit", [
    lambda d: vk.did_imputation(d, **ROLES, cluster="one"),
    lambda d: vk.sun_abraham(d, **ROLES, cluster="one"),
    lambda d: vk.event_study(d, **ROLES, cluster="one"),
    lambda d: vk.att_gt(d, **ROLES, cluster="one"),
    lambda d: vk.feols("y ~ d | u + t", d, vcov={"CR1": "one"}),
], ids=["did_imputation", "sun_abraham", "event_study", "att_gt", "feols"])
def test_a_single_cluster_is_the_same_error_everywhere(fit):
    df = _panel().assign(one=1)
    with pytest.raises(exc.SingleClusterError, match="cluster column `one` has only one cluster"):
        _quiet(fit, df)


def test_did_imputation_counts_clusters_in_the_estimation_sample():
    # Two cluster labels in the data, but the second only on rows without an outcome.
    df = _panel().assign(c=1)
    df.loc[df["u"] == 0, "c"] = 2
    df.loc[df["u"] == 0, "y"] = np.nan
    with pytest.raises(exc.SingleClusterError):
        _quiet(vk.did_imputation, df, **ROLES, cluster="c")


# -- 4. one rule for resampling draws ----------------------------------------------------------
RULE = "must be at least 2 draws"


@pytest.mark.parametrize("n", [0, 1])
def test_too_few_bootstrap_draws_are_an_error_that_states_the_rule(n):
    df = _panel()
    fit = _quiet(vk.att_gt, df, **ROLES)
    with pytest.raises(exc.InvalidParameterError, match=RULE):
        fit.aggregate("dynamic", bootstrap=n)
    with pytest.raises(exc.InvalidParameterError, match=RULE):
        vk.att_gt(df, **ROLES, bootstrap=n)
    with pytest.raises(exc.InvalidParameterError, match=RULE):
        vk.event_study(df, **ROLES, wildboot=dict(reps=n))
    with pytest.raises(exc.InvalidParameterError, match=RULE):
        vk.sun_abraham(df, **ROLES, wildboot=dict(reps=n))
    with pytest.raises(exc.InvalidParameterError, match=RULE):
        fit.ritest(reps=n)
    with pytest.raises(exc.InvalidParameterError, match=RULE):
        vk.feols("y ~ d | u + t", df, vcov={"CR1": "u"}).wildboot("d", reps=n)
    with pytest.raises(exc.InvalidParameterError, match=RULE):
        vk.sdid(df, outcome="y", unit="u", time="t", treated="d", reps=n)
    with pytest.raises(exc.InvalidParameterError, match=RULE):
        vk.power(0.02, reps=n, mde="none", progress=False)


def test_benchmark_n_sim_follows_the_same_rule():
    from conftest import FIXTURES
    year2020 = pd.read_csv(FIXTURES / "data" / "municipalities_2020.csv")
    with pytest.raises(exc.InvalidParameterError, match=RULE.replace("2 draws", "2 draws")):
        vk.benchmark(year2020, outcome="employment_rate", unit="municipality", frame_conditions=["unemployment_rate"],
                     size="refugees", n_sim=1)


def test_two_draws_give_finite_bootstrap_standard_errors():
    fit = _quiet(vk.att_gt, _panel(), **ROLES)
    agg = _quiet(fit.aggregate, "dynamic", bootstrap=2, seed=1)
    assert np.isfinite(agg.tidy()["std_error"]).all()
    assert np.isfinite(_quiet(vk.att_gt, _panel(), **ROLES, bootstrap=50, seed=1).tidy()["std_error"]).all()


# -- 8. cohort 0, empty horizons, collinear covariates -----------------------------------------
def test_cohort_zero_is_an_error_when_zero_is_a_period():
    df = _panel(periods=range(-3, 5), cohorts=(0, 0, 1, 2, 3))
    calls = {
        "att_gt": lambda d: vk.att_gt(d, **ROLES),
        "sun_abraham": lambda d: vk.sun_abraham(d, **ROLES),
        "event_study": lambda d: vk.event_study(d, **ROLES),
        "did_imputation": lambda d: vk.did_imputation(d, **ROLES),
        "bacon": lambda d: vk.bacon(d, **ROLES),
    }
    missing = df.assign(g=df["g"].where(df["g"] != 0))
    for name, call in calls.items():
        with pytest.raises(exc.DataError, match="0 is also a period of `t`"):
            _quiet(call, df)
        # Missing marks never treated, and equals the treatment-column fit.
        res = _quiet(call, missing)
        assert res is not None, name
    # The sorted balanced fast path of att_gt rejects it as the general path does.
    sorted_df = df.sort_values(["u", "t"]).reset_index(drop=True)[["u", "t", "g", "y"]]
    with pytest.raises(exc.DataError, match="ambiguous"):
        vk.att_gt(sorted_df, **ROLES)
    with pytest.raises(exc.DataError, match="ambiguous"):
        vk.att_gt(sorted_df.sample(frac=1, random_state=1), **ROLES)
    a = _quiet(vk.att_gt, missing, **ROLES).aggregate("simple").overall["estimate"]
    b = _quiet(vk.att_gt, missing, outcome="y", unit="u", time="t", treatment="d").aggregate("simple").overall["estimate"]
    assert a == pytest.approx(b, rel=1e-12)


def test_cohort_zero_still_means_never_treated_when_zero_is_not_a_period():
    df = _panel()
    a = _quiet(vk.did_imputation, df, **ROLES).att["estimate"]
    b = _quiet(vk.did_imputation, df.assign(g=df["g"].where(df["g"] != 0)), **ROLES).att["estimate"]
    assert a == b


def test_ritest_on_a_panel_with_period_zero_writes_missing_for_never_treated():
    df = _panel(periods=range(-3, 5), cohorts=(0, 0, 1, 2, 3))
    df["g"] = df["g"].where(df["g"] != 0)
    sa = _quiet(vk.sun_abraham, df, **ROLES)
    ri = _quiet(sa.ritest, reps=9, seed=1)
    assert ri.n_failed == 0 and ri.statistic == sa.att["estimate"]


def test_did_imputation_horizons_without_observations():
    df = _panel()
    with pytest.raises(exc.IdentificationError, match=r"horizon\(s\) 100 have no imputable treated observation"):
        vk.did_imputation(df, **ROLES, horizons=[100])
    with pytest.warns(UserWarning, match=r"horizon\(s\) 100 .*left out"):
        fit = vk.did_imputation(df, **ROLES, horizons=[0, 100])
    assert list(fit.tidy()["event_time"]) == [0]


def test_did_imputation_pretrends_without_observations_or_not_identified():
    import time
    df = _panel()
    # Lags covering every untreated period of the treated units sum to their unit effects
    # (feols used to drop one and report the rest relative to it): an error, and a fast one.
    start = time.perf_counter()
    # More lags than the data's earliest pre-period are refused up front (the bound of
    # inference::limits); as many as that are not identified.
    with pytest.raises(exc.InvalidParameterError, match="at most") as bound:
        vk.did_imputation(df, **ROLES, pretrends=100_000)
    most = int(str(bound.value).rsplit(" ", 1)[-1])
    with pytest.raises(exc.IdentificationError, match="fewer pretrends"):
        vk.did_imputation(df, **ROLES, pretrends=most)
    assert time.perf_counter() - start < 10
    three = _quiet(vk.did_imputation, df, **ROLES, pretrends=3)
    assert sorted(e for e in three.tidy()["event_time"] if e < 0) == [-3, -2, -1]
    # Every two years: e = -1 and -3 are never observed; -2 is tested, the others named.
    biennial = _panel(periods=range(2, 17, 2), cohorts=(0, 0, 6, 8, 10))
    with pytest.warns(UserWarning, match=r"event time\(s\) -1, -3 have no untreated observation"):
        fit = vk.did_imputation(biennial, **ROLES, pretrends=3)
    assert [e for e in fit.tidy()["event_time"] if e < 0] == [-2]
    with pytest.raises(exc.IdentificationError, match="pretrends = 1: no untreated observation"):
        _quiet(vk.did_imputation, biennial, **ROLES, pretrends=1)


@pytest.mark.parametrize("fn", [vk.did_imputation, vk.event_study, vk.sun_abraham])
@pytest.mark.parametrize("kind", ["duplicate", "constant"])
def test_collinear_covariates_are_dropped_and_reported(fn, kind):
    df = _panel()
    df["x2"] = df["x"] if kind == "duplicate" else 3.0
    with pytest.warns(exc.CollinearityWarning, match="x2"):
        fit = fn(df, **ROLES, covariates=["x", "x2"])
    ref = _quiet(fn, df, **ROLES, covariates=["x"])
    np.testing.assert_allclose(fit.tidy()["estimate"].to_numpy(), ref.tidy()["estimate"].to_numpy(), rtol=1e-8)
    np.testing.assert_allclose(fit.tidy()["std_error"].to_numpy(), ref.tidy()["std_error"].to_numpy(), rtol=1e-8)


# -- 11. randomization inference on the TWFE event study ---------------------------------------
def _post_mean(fit) -> float:
    t = fit.tidy()
    t = t[t["event_time"] >= 0]
    return float((t["estimate"] * t["n_obs"]).sum() / t["n_obs"].sum())


def test_event_study_ritest_tests_the_mean_post_treatment_effect():
    df = _panel(effect=1.0, seed=3)
    es = _quiet(vk.event_study, df, **ROLES)
    ri = _quiet(es.ritest, reps=99, seed=2)
    assert ri.statistic == pytest.approx(_post_mean(es), rel=1e-12)
    assert ri.p_value < 0.05
    null = _quiet(vk.event_study, _panel(effect=0.0, seed=3), **ROLES)
    assert _quiet(null.ritest, reps=99, seed=2).p_value > 0.05
    assert vk.ritest(es, reps=9, seed=2).term == "mean post-treatment effect"
