"""virkning.power and virkning.simulate_panel: results, determinism, display and bad input."""

from __future__ import annotations

import inspect
import json
import math

import numpy as np
import pandas as pd
import polars as pl
import pytest

import virkning as vk
from virkning import _core
from virkning import exceptions as exc
from virkning.simulation import _design

# iid shocks, equal sizes, no sampling noise: TWFE = 2x2 DiD of means with
# Var = sigma^2 (1/T0 + 1/T1)(1/n1 + 1/n0) for 17 of 98 treated, 6 pre and 9 post periods.
IID = dict(rho=0.0, sigma=0.02, sizes="equal", mean_size=None, seed=99)
SE_IID = 0.02 * math.sqrt((1 / 6 + 1 / 9) * (1 / 17 + 1 / 81))


def test_simulate_panel_frame_and_true_effect():
    df = vk.simulate_panel(n_treated=17, start=2016, effect=0.03, seed=3)
    assert list(df.columns) == ["unit", "period", "outcome", "treated", "cohort", "size", "true_effect"]
    assert df.shape == (98 * 15, 7)
    units = df.groupby("unit")["cohort"].first()
    assert (units == 2016).sum() == 17 and (units == 0).sum() == 81
    treated = df["treated"] == 1.0
    assert np.allclose(df.loc[treated, "true_effect"], 0.03)
    assert (df.loc[~treated, "true_effect"] == 0).all()
    assert (treated == ((df["cohort"] > 0) & (df["period"] >= df["cohort"]))).all()
    # Same seed and replicate: same data; another replicate: another draw.
    again = vk.simulate_panel(n_treated=17, start=2016, effect=0.03, seed=3)
    pd.testing.assert_frame_equal(df, again)
    other = vk.simulate_panel(n_treated=17, start=2016, effect=0.03, seed=3, replicate=1)
    assert not np.allclose(other["outcome"], df["outcome"])
    pl_df = vk.simulate_panel(backend="polars", cohorts={2014: 5, 2018: 6}, seed=3)
    assert isinstance(pl_df, pl.DataFrame)
    assert sorted(pl_df.group_by("unit").agg(pl.col("cohort").first())["cohort"].value_counts()
                  .sort("cohort")["count"].to_list()) == [5, 6, 87]


def test_dynamic_and_heterogeneous_effects():
    df = vk.simulate_panel(effect=0.04, dynamic=[0.25, 0.5, 1.0], effect_sd=0.0, seed=4)
    e = df["period"] - df["cohort"]
    on = df["treated"] == 1
    for k, m in [(0, 0.25), (1, 0.5), (2, 1.0), (5, 1.0)]:
        assert np.allclose(df.loc[on & (e == k), "true_effect"], 0.04 * m)
    het = vk.simulate_panel(effect=0.04, effect_sd=0.02, seed=4)
    unit_effects = het[het["treated"] == 1].groupby("unit")["true_effect"].first()
    assert unit_effects.std() > 0.005


def test_python_defaults_equal_rust_defaults():
    rust = json.loads(_core.power_defaults())
    assert _design() == rust["design"]
    sig = inspect.signature(vk.power).parameters
    for name in ["weighted", "reps", "alpha", "power_target", "mde", "threads", "sdid_se", "sc_unit"]:
        assert sig[name].default == rust[name], name
    # Python names what Rust calls "twfe" (the static TWFE) and "sdid_reps" (its draws).
    assert (sig["estimator"].default, rust["estimator"]) == ("static_twfe", "twfe")
    assert sig["sdid_bootstrap"].default == rust["sdid_reps"]


def test_power_of_a_known_design_matches_the_formula():
    from statistics import NormalDist

    effects = [0.0, 2 * SE_IID, 3 * SE_IID]
    res = vk.power(effects, reps=300, mde="analytic", **IID)
    tidy = res.tidy()
    assert list(tidy["effect"]) == effects
    crit = 1.985  # t with 97 df at 0.975
    for row in tidy.itertuples():
        z = row.effect / SE_IID
        expected = NormalDist().cdf(z - crit) + NormalDist().cdf(-z - crit)
        tol = 3 * math.sqrt(expected * (1 - expected) / 300) + 0.03
        assert abs(row.power - expected) < tol, (row.effect, row.power, expected)
        assert abs(row.bias) < 3 * row.sd_estimate / math.sqrt(300) + 1e-12
    mde = res.mde
    assert abs(mde["multiplier"] - 2.8016) < 1e-3
    assert abs(mde["analytic"] / (2.8016 * SE_IID) - 1) < 0.05
    assert mde["simulated"] is None


def test_bias_and_coverage_under_homogeneous_effects():
    res = vk.power(0.03, reps=200, mde="none", seed=12)
    row = res.tidy().iloc[0]
    assert abs(row["estimand"] - 0.03) < 1e-12
    assert abs(row["bias"]) < 3 * row["sd_estimate"] / math.sqrt(200)
    assert 0.9 <= row["coverage"] <= 0.99


@pytest.mark.slow
def test_bias_and_coverage_1000_replications():
    res = vk.power(0.03, reps=1000, mde="none", seed=13)
    row = res.tidy().iloc[0]
    assert abs(row["bias"]) < 3 * row["sd_estimate"] / math.sqrt(1000)
    assert 0.935 <= row["coverage"] <= 0.965


def test_results_do_not_depend_on_threads():
    kw = dict(cohorts={2014: 6, 2017: 8}, dynamic=[0.5, 1.0], effect_sd=0.01, reps=40, seed=8,
              mde="bisection")
    with pytest.warns(vk.VirkningWarning, match="Goodman-Bacon"):
        one = vk.power([0.0, 0.02], threads=1, **kw)
    with pytest.warns(vk.VirkningWarning):
        two = vk.power([0.0, 0.02], threads=2, **kw)
    pd.testing.assert_frame_equal(one.draws(), two.draws())
    assert one.mde == two.mde
    assert one.seed == two.seed == 8


def test_simulated_mde_close_to_analytic():
    res = vk.power(reps=150, mde="bisection", **IID)
    m = res.mde
    assert abs(m["simulated"] / m["analytic"] - 1) < 0.15
    assert m["simulated_power"] >= 0.8
    assert res.glance()["total_replications"][0] == 150 * (1 + len(m["search"]))


def test_display_and_plot():
    res = vk.power([0.0, 0.01, 0.02], reps=30, seed=2, backend=pl, mde="analytic")
    assert isinstance(res.tidy(), pl.DataFrame)
    text = res.summary()
    assert "17 of 98 units treated from 2016" in text and "MDE at 80% power" in text
    assert "<table" in res._repr_html_()
    assert res.draws().shape[0] == 90
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    ax = res.plot()
    assert ax.get_ylabel() == "power"


def test_progress_line(capsys):
    vk.power(reps=20, seed=1, mde="none", progress=True)
    err = capsys.readouterr().err
    assert "power: 20 / 20 replications" in err


@pytest.mark.parametrize(
    ("kwargs", "cls", "fragment"),
    [
        (dict(n_treated=99), exc.DesignError, "treats 99 units but has only 98"),
        (dict(n_treated=98), exc.DesignError, "never-treated comparison group"),
        (dict(n_treated=0), exc.DesignError, "treats no unit"),
        (dict(start=2025), exc.DesignError, "no post-treatment period"),
        (dict(start=2010), exc.DesignError, "no pre-treatment period"),
        (dict(cohorts={2016: 50, 2018: 50}), exc.DesignError, "treats 100 units"),
        (dict(reps=0), exc.InvalidParameterError, "`reps` must be at least 2 draws"),
        (dict(sigma=-0.1), exc.InvalidParameterError, "`sigma` = -0.1 is a standard deviation"),
        (dict(unit_sd=float("nan")), exc.InvalidParameterError, "`unit_sd`"),
        (dict(rho=1.0), exc.InvalidParameterError, "rho"),
        (dict(alpha=1.5), exc.InvalidParameterError, "alpha"),
        (dict(power_target=0.01), exc.InvalidParameterError, "power_target"),
        (dict(mean_size=0.0), exc.InvalidParameterError, "mean_size"),
        (dict(dynamic=[]), exc.InvalidParameterError, "dynamic"),
        (dict(n_units=1), exc.InvalidParameterError, "n_units"),
        (dict(last_period=2009), exc.InvalidParameterError, "last_period"),
        (dict(threads=0), exc.InvalidParameterError, "threads"),
        (dict(n_treated=-3), exc.InvalidParameterError, "non-negative integer"),
        (dict(cohorts=[2016, 17]), exc.InvalidParameterError, "mapping"),
        (dict(estimator="cs_did_typo"), exc.UnknownChoiceError, "valid values are: twfe"),
        (dict(mde="grid"), exc.UnknownChoiceError, "bisection"),
        (dict(estimator="imputation", weighted=True), exc.InvalidParameterError, "only twfe and att_gt do"),
        (dict(sizes="huge"), exc.InvalidParameterError, "huge"),
    ],
)
def test_bad_input_raises_specific_errors(kwargs, cls, fragment):
    kwargs = {"reps": 5, "seed": 1, **kwargs}
    with pytest.raises(cls, match=fragment.replace("(", r"\(").replace(")", r"\)")):
        vk.power(0.02, **kwargs)


@pytest.mark.parametrize("estimator", ["att_gt", "sun_abraham", "imputation"])
def test_robust_estimators_recover_the_att_under_staggered_dynamic_effects(estimator):
    design = dict(cohorts={2014: 6, 2016: 6, 2019: 5}, effect=0.03, dynamic=[0.3, 0.6, 1.0], seed=7)
    row = vk.power(estimator=estimator, reps=60, mde="none", progress=False, **design).tidy().iloc[0]
    assert row["n_failed"] == 0
    assert abs(row["bias"]) < 3.5 * row["sd_estimate"] / math.sqrt(60), row["bias"]
    assert row["coverage"] >= 0.85
    assert row["estimand"] == pytest.approx(0.03 * (6 * 9.9 + 6 * 7.9 + 5 * 4.9) / (6 * 11 + 6 * 9 + 5 * 6))


@pytest.mark.parametrize("weighted", [False, True])
def test_att_gt_draws_equal_vk_att_gt_on_the_same_replicates(weighted):
    design = dict(cohorts={2014: 6, 2016: 6, 2019: 5}, effect=0.02, dynamic=[0.5, 1.0], seed=3)
    draws = vk.power(estimator="att_gt", weighted=weighted, reps=3, mde="none", progress=False,
                     **design).draws()
    for r in range(3):
        df = vk.simulate_panel(replicate=r, **design)
        fit = vk.att_gt(df, outcome="outcome", unit="unit", time="period", cohort="cohort",
                        weights="size" if weighted else None)
        o = fit.aggregate("simple").overall
        assert draws["estimate"][r] == pytest.approx(o["estimate"], rel=1e-10)
        assert draws["std_error"][r] == pytest.approx(o["std_error"], rel=1e-10)
        assert draws["p_value"][r] == pytest.approx(o["p_value"], rel=1e-8)
        assert draws["conf_low"][r] == pytest.approx(o["conf_low"], rel=1e-10)


def test_design_errors_also_come_from_simulate_panel():
    with pytest.raises(exc.DesignError, match="only 10 units"):
        vk.simulate_panel(n_units=10, n_treated=11)
    with pytest.raises(exc.InvalidParameterError, match="replicate"):
        vk.simulate_panel(replicate=-1)
    with pytest.raises(TypeError):
        vk.power(0.02, reps=5, not_an_option=1)
