"""virkning.power with any estimator: synthetic DiD, synthetic control and a Python callable
(simulated and summarised by the same Rust code as the built-in estimators)."""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import polars as pl
import pytest

import virkning as vk
from virkning import exceptions as exc

# The per-replicate feols fits warn about few treated clusters; that is not under test here.
pytestmark = pytest.mark.filterwarnings("ignore::virkning.exceptions.SmallClusterWarning")


def twfe_feols(d):
    return vk.feols("outcome ~ treated | unit + period", d, vcov={"CR1": "unit"})


def test_callable_feols_equals_builtin_twfe():
    kw = dict(reps=40, seed=11, mde="bisection", progress=False, cohorts={2014: 6, 2017: 8},
              dynamic=[0.5, 1.0])
    with pytest.warns(vk.VirkningWarning, match="Goodman-Bacon"):
        builtin = vk.power([0.0, 0.02], estimator="static_twfe", **kw)
    custom = vk.power([0.0, 0.02], estimator=twfe_feols, **kw)
    a, b = builtin.tidy(), custom.tidy()
    for col in ["power", "bias", "rmse", "coverage", "mean_se", "sd_estimate", "estimand"]:
        np.testing.assert_allclose(b[col], a[col], rtol=1e-10, atol=1e-14, err_msg=col)
    np.testing.assert_allclose(custom.draws()[["estimate", "std_error", "p_value", "conf_low"]],
                               builtin.draws()[["estimate", "std_error", "p_value", "conf_low"]],
                               rtol=1e-10)
    assert custom.mde["simulated"] == pytest.approx(builtin.mde["simulated"], rel=1e-10)
    np.testing.assert_allclose(custom.mde["search"], builtin.mde["search"], rtol=1e-10)
    assert custom.glance()["estimator"][0] == "callable"


def test_callable_return_shapes_and_replicate_data():
    kw = dict(reps=8, seed=4, mde="none", progress=False)
    ref = vk.power(0.02, estimator=twfe_feols, **kw).draws()

    def coef(d):
        return twfe_feols(d).tidy().iloc[0]

    as_tuple = vk.power(0.02, estimator=lambda d: (coef(d)["estimate"], coef(d)["std_error"]), **kw).draws()
    as_dict = vk.power(0.02, estimator=lambda d: dict(coef(d)), **kw).draws()
    as_obj = vk.power(0.02, estimator=lambda d: SimpleNamespace(estimate=coef(d)["estimate"],
                                                                 std_error=coef(d)["std_error"]), **kw).draws()
    np.testing.assert_allclose(as_dict[["estimate", "p_value", "conf_high"]],
                               ref[["estimate", "p_value", "conf_high"]], rtol=1e-12)
    for d in (as_tuple, as_obj):
        np.testing.assert_allclose(d["estimate"], ref["estimate"], rtol=1e-12)
        # Without a p-value, the normal one: 2 (1 - Phi(|z|)).
        z = (d["estimate"] / d["std_error"]).abs()
        p = np.array([math.erfc(v / math.sqrt(2)) for v in z])
        np.testing.assert_allclose(d["p_value"], p, rtol=1e-9)
        np.testing.assert_allclose(d["conf_low"], d["estimate"] - 1.959963984540054 * d["std_error"], rtol=1e-12)
    # The frame handed to the callable is the replicate simulate_panel returns.
    seen = {}

    def record(d):
        seen[len(seen)] = d
        return twfe_feols(d)

    vk.power(0.02, estimator=record, reps=2, seed=4, mde="none", progress=False, threads=1)
    want = vk.simulate_panel(effect=0.02, seed=4, replicate=0).drop(columns="true_effect")
    pd.testing.assert_frame_equal(seen[0], want)


def test_callable_with_a_covariate_polars_and_thread_independence():
    def with_cov(d):
        assert isinstance(d, pl.DataFrame)
        d = d.with_columns(x=(pl.col("size") * pl.col("period") / 1e4))
        return vk.feols("outcome ~ treated + x | unit + period", d, vcov={"CR1": "unit"})

    kw = dict(reps=12, seed=6, mde="analytic", progress=False, backend=pl)
    one = vk.power([0.0, 0.03], estimator=with_cov, threads=1, **kw)
    two = vk.power([0.0, 0.03], estimator=with_cov, threads=2, **kw)
    assert isinstance(one.tidy(), pl.DataFrame)
    assert one.draws().equals(two.draws())
    assert one.mde == two.mde


def test_sdid_recovers_the_att_with_nominal_coverage():
    design = dict(n_units=40, n_treated=8, start=2016, first_period=2010, last_period=2020, seed=21)
    res = vk.power([0.0, 0.03], estimator="sdid", reps=80, mde="analytic", progress=False, **design)
    for row in res.tidy().itertuples():
        assert row.n_failed == 0
        assert abs(row.bias) < 3.5 * row.sd_estimate / math.sqrt(80), row
        assert 0.85 <= row.coverage <= 1.0, row
    tidy = res.tidy()
    assert tidy["power"][1] > tidy["power"][0]


def test_sdid_draws_equal_vk_sdid_on_the_same_replicates():
    design = dict(cohorts={2014: 4, 2017: 5}, effect=0.02, dynamic=[0.5, 1.0], seed=3)
    draws = vk.power(estimator="sdid", reps=2, mde="none", progress=False, **design).draws()
    for r in range(2):
        df = vk.simulate_panel(replicate=r, **design)
        fit = vk.sdid(df, outcome="outcome", unit="unit", time="period", treatment="treated", se="jackknife")
        row = fit.tidy().iloc[0]
        assert draws["estimate"][r] == pytest.approx(row["estimate"], rel=1e-10)
        assert draws["std_error"][r] == pytest.approx(row["std_error"], rel=1e-10)
        assert draws["conf_high"][r] == pytest.approx(row["conf_high"], rel=1e-10)
        assert draws["estimand"][r] == pytest.approx(df.loc[df["treated"] == 1, "true_effect"].mean(), rel=1e-12)


@pytest.mark.slow
def test_sdid_coverage_400_replications():
    design = dict(n_units=60, cohorts={2015: 6, 2018: 6}, last_period=2022, effect=0.03, seed=22)
    row = vk.power(estimator="sdid", reps=400, mde="none", progress=False, **design).tidy().iloc[0]
    assert abs(row["bias"]) < 3.5 * row["sd_estimate"] / math.sqrt(400)
    # The fixed-weights jackknife ignores the uncertainty of the estimated weights: with 12
    # treated units its SE is about 0.9 of the true SD and coverage a few points below 95%.
    assert 0.88 <= row["coverage"] <= 0.985
    assert 0.8 <= row["mean_se"] / row["sd_estimate"] <= 1.15


def test_synthetic_control_one_treated_unit():
    # 16 pre-periods and 14 donors: the treated unit is rarely fitted exactly before treatment.
    design = dict(n_treated=1, n_units=15, first_period=2000, sizes="equal", seed=2)
    # alpha 0.1: with 15 units the smallest p-value is 1/15.
    res = vk.power([0.0, 0.1], estimator="synthetic_control", reps=12, mde="analytic", alpha=0.1,
                   progress=False, **design)
    tidy = res.tidy()
    assert tidy["coverage"].isna().all() and tidy["mean_se"].isna().all()
    d = res.draws()
    assert d["std_error"].isna().all() and d["conf_low"].isna().all()
    # Permutation p-values over at most 14 placebos: at least 1/15.
    assert (d["p_value"] >= 1 / 15 - 1e-12).all() and (d["p_value"] <= 1).all()
    # Common random numbers and weights fitted on the pre-period: the estimate moves by the effect.
    np.testing.assert_allclose(d["estimate"][12:].to_numpy() - d["estimate"][:12].to_numpy(), 0.1, rtol=1e-9)
    assert tidy["power"][1] > tidy["power"][0]
    # No standard error: the analytic MDE uses the SD of the estimates under no effect.
    assert res.mde["se_null"] == pytest.approx(tidy["sd_estimate"][0])
    # The estimate is vk.synthetic_control's on the same replicate.
    df = vk.simulate_panel(effect=0.1, replicate=3, **design)
    unit = int(df.loc[df["cohort"] > 0, "unit"].iloc[0])
    sc = vk.synthetic_control(df, outcome="outcome", unit="unit", time="period", treated_unit=unit,
                              treatment_start=2016)
    assert d["estimate"][15] == pytest.approx(sc.att, rel=1e-10)
    assert d["p_value"][15] == pytest.approx(sc.p_value, rel=1e-12)


def test_synthetic_control_warns_about_replicates_without_p_value():
    # 6 pre-periods and 29 donors: the treated unit is often fitted exactly, leaving no p-value.
    with pytest.warns(vk.VirkningWarning, match="no p-value"):
        res = vk.power(0.0, estimator="synthetic_control", n_treated=1, n_units=30, reps=12, seed=2,
                       mde="none", progress=False)
    assert res.draws()["p_value"].isna().any()


def test_synthetic_control_for_a_chosen_unit_of_several():
    design = dict(cohorts={2016: 3, 2018: 2}, n_units=20, first_period=2000, effect=0.05, dynamic=[0.5, 1.0],
                  seed=5)
    res = vk.power(estimator="synthetic_control", sc_unit="largest", reps=4, alpha=0.1, mde="none",
                   progress=False, **design)
    d = res.draws()
    for r in range(4):
        df = vk.simulate_panel(replicate=r, **design)
        treated = df[df["cohort"] > 0]
        sizes = treated.groupby("unit")["size"].first()
        unit = int(sizes.idxmax())
        start = int(treated.loc[treated["unit"] == unit, "cohort"].iloc[0])
        pool = df[(df["cohort"] == 0) | (df["unit"] == unit)]
        sc = vk.synthetic_control(pool, outcome="outcome", unit="unit", time="period", treated_unit=unit,
                                  treatment_start=start)
        assert d["estimate"][r] == pytest.approx(sc.att, rel=1e-10)
        assert d["p_value"][r] == pytest.approx(sc.p_value, rel=1e-12)
        own = df.loc[(df["unit"] == unit) & (df["treated"] == 1), "true_effect"].mean()
        assert d["estimand"][r] == pytest.approx(own, rel=1e-12)
    small = vk.power(estimator="synthetic_control", sc_unit="smallest", reps=4, alpha=0.1, mde="none",
                     progress=False, **design).draws()
    assert not np.allclose(small["estimate"], d["estimate"])


@pytest.mark.slow
def test_synthetic_control_size_is_alpha():
    # 41 units: p-values are multiples of 1/41 and p < 0.05 has probability 2/41 under the null.
    res = vk.power(0.0, estimator="synthetic_control", n_treated=1, reps=400, seed=31, mde="none",
                   progress=False, n_units=41, first_period=2000)
    p = res.tidy()["power"][0]
    assert abs(p - 2 / 41) < 3 * math.sqrt(0.05 * 0.95 / 400), p


@pytest.mark.parametrize(
    ("kwargs", "cls", "fragment"),
    [
        (dict(estimator="synthetic_control"), exc.DesignError, "exactly one treated unit"),
        (dict(estimator="synthetic_control", cohorts={2015: 1, 2017: 1}), exc.DesignError, "treats 2"),
        (dict(estimator="synthetic_control", sc_unit="biggest"), exc.InvalidParameterError, "biggest"),
        (dict(estimator="sdid", weighted=True), exc.InvalidParameterError, "only twfe and att_gt"),
        (dict(estimator="synthetic_control", n_treated=1, weighted=True), exc.InvalidParameterError,
         "does not take unit-size weights"),
        (dict(estimator="sdid", n_treated=1), exc.InvalidParameterError, "sdid_se"),
        (dict(estimator="sdid", sdid_se="wild"), exc.InvalidParameterError, "wild"),
    ],
)
def test_bad_estimator_options(kwargs, cls, fragment):
    with pytest.raises(cls, match=fragment):
        vk.power(0.02, reps=3, seed=1, progress=False, **kwargs)


@pytest.mark.parametrize(
    ("estimator", "cause", "fragment"),
    [
        (lambda d: "garbage", TypeError, "returned str 'garbage'"),
        (lambda d: (1.0, 2.0, 3.0), TypeError, "got 3 values"),
        (lambda d: (float("nan"), 1.0), ValueError, "non-finite estimate"),
        (lambda d: {"estimate": "a", "std_error": 1}, TypeError, "non-numeric"),
        (lambda d: vk.feols("outcome ~ size + cohort | period", d), TypeError, "no single `treated` row"),
    ],
)
def test_callable_returning_garbage_names_the_replicate(estimator, cause, fragment):
    with pytest.raises(exc.SimulationError, match=r"callable failed on replicate 0 \(effect 0.02\)") as e:
        vk.power(0.02, estimator=estimator, reps=4, seed=1, progress=False, mde="none")
    assert fragment in str(e.value)
    assert isinstance(e.value.__cause__, cause)


def test_callable_raising_names_the_first_failing_replicate():
    calls = []

    def flaky(d):
        calls.append(1)
        if len(calls) >= 3:
            raise RuntimeError("estimator exploded")
        return twfe_feols(d)

    with pytest.raises(exc.SimulationError, match=r"replicate 2 .*RuntimeError: estimator exploded") as e:
        vk.power(0.02, estimator=flaky, reps=6, seed=1, progress=False, mde="none", threads=1)
    assert isinstance(e.value.__cause__, RuntimeError)


def test_sdid_placebo_se_is_deterministic_and_thread_independent():
    kw = dict(estimator="sdid", sdid_se="placebo", sdid_bootstrap=20, reps=4, seed=9, mde="none", progress=False,
              n_units=40, n_treated=6)
    one = vk.power([0.0, 0.02], threads=1, **kw).draws()
    two = vk.power([0.0, 0.02], threads=2, **kw).draws()
    pd.testing.assert_frame_equal(one, two)
    # Common random numbers: the placebo draws of a replicate are the same at every effect, and
    # SDID is linear in the outcome, so the standard errors agree across effects.
    np.testing.assert_allclose(one["std_error"][:4].to_numpy(), one["std_error"][4:].to_numpy(), rtol=1e-9)
    assert (one["std_error"] > 0).all()
