"""The bundled municipality panel teaches the right lessons: with the documented covariate the
robust staggered estimators recover the true effects, a static TWFE regression does not, and
the placebo world (effect_scale=0) shows no effect. The truth comes from the simulator's own
true-effect columns (vk.datasets.true_att), never from an estimator."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import virkning as vk
from virkning import exceptions as exc
from virkning.datasets import IDENTIFYING_COVARIATES, simulate_municipalities, true_att

ROLES = {"outcome": "employment_rate", "unit": "municipality_code", "time": "year"}
TWFE = ("employment_rate ~ igu + partnership + programme + sprogpraktik_share + unemployment_rate"
        " | municipality_code + year")


def _quiet(f, *a, **k):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*a, **k)


def _robust(panel, intervention: str) -> dict[str, tuple[float, float, float, pd.DataFrame]]:
    """(estimate, conf_low, conf_high, event-time tidy) of the simple ATT by each robust estimator."""
    cohort = f"{intervention}_year"
    cov = list(IDENTIFYING_COVARIATES)
    out = {}
    for method in ("dr", "reg"):
        fit = _quiet(vk.att_gt, panel, **ROLES, cohort=cohort, covariates=cov, control_group="not_yet_treated",
                     method=method)
        s = fit.aggregate("simple").overall
        out[f"att_gt_{method}"] = (s["estimate"], s["conf_low"], s["conf_high"], fit.aggregate("dynamic").tidy())
    for name, f in (("sun_abraham", vk.sun_abraham), ("did_imputation", vk.did_imputation)):
        fit = _quiet(f, panel, **ROLES, cohort=cohort, covariates=cov)
        out[name] = (fit.att["estimate"], fit.att["conf_low"], fit.att["conf_high"], fit.tidy())
    return out


def test_true_att_is_the_mean_of_the_true_effect_columns():
    panel = vk.datasets.municipalities()
    for iv in ("igu", "partnership", "programme"):
        t = true_att(panel, iv)
        treated = panel[(panel[f"{iv}_year"] > 0) & (panel["year"] >= panel[f"{iv}_year"])]
        assert t["n_cells"] == len(treated)
        assert t["simple"] == pytest.approx(treated[f"true_effect_{iv}"].mean(), abs=1e-15)
        e = treated["year"] - treated[f"{iv}_year"]
        by_e = treated[f"true_effect_{iv}"].groupby(e).mean()
        assert list(t["dynamic"]) == list(by_e.index)
        assert list(t["dynamic"].values()) == pytest.approx(list(by_e.values), abs=1e-15)
        assert t["dynamic_mean"] == pytest.approx(by_e.mean(), abs=1e-15)
    assert true_att(panel, "programme")["simple"] == 0.0
    # The row truth columns add up to true_effect.
    parts = sum(panel[f"true_effect_{iv}"] for iv in ("igu", "partnership", "programme", "sprogpraktik"))
    np.testing.assert_allclose(parts, panel["true_effect"], atol=1e-15)
    # polars gives the same numbers; a subset gives its own truth.
    pl_panel = vk.datasets.municipalities(backend="polars")
    assert true_att(pl_panel, "igu")["simple"] == pytest.approx(true_att(panel, "igu")["simple"], abs=1e-15)
    rural = panel[panel["municipality_group"] == "Landkommuner"]
    assert true_att(rural, "igu")["simple"] > true_att(panel, "igu")["simple"]
    with pytest.raises(exc.UnknownChoiceError, match="igu"):
        true_att(panel, "iguu")
    with pytest.raises(exc.ColumnNotFoundError, match="true_effect_igu"):
        true_att(panel.drop(columns="true_effect_igu"), "igu")


def test_partnerships_end_and_interventions_overlap():
    panel = vk.datasets.municipalities()
    first = panel.drop_duplicates("municipality_code").set_index("municipality")
    assert (first.loc["Furesø", "partnership_year"], first.loc["Furesø", "partnership_end_year"]) == (2017, 2018)
    furesoe = panel[panel["municipality"] == "Furesø"].set_index("year")
    assert furesoe.loc[2018, "partnership_active"] == 1 and furesoe.loc[2019, "partnership_active"] == 0
    assert furesoe.loc[2019, "partnership"] == 1 and furesoe.loc[2019, "true_effect_partnership"] == 0
    assert (first.loc["Middelfart", "igu_year"], first.loc["Middelfart", "partnership_year"]) == (2016, 2017)
    assert panel.groupby(["municipality_code", "year"])["sprogpraktik_share"].first().groupby("municipality_code").nunique().min() > 5


def test_robust_estimators_recover_the_truth_and_twfe_does_not_on_the_default_seed():
    panel = vk.datasets.municipalities()
    for iv in ("igu", "partnership"):
        truth = true_att(panel, iv)
        for name, (est, lo, hi, tidy) in _robust(panel, iv).items():
            assert lo <= truth["simple"] <= hi, (iv, name, est, lo, hi, truth["simple"])
            post = tidy[(tidy["event_time"] >= 0) & (tidy["event_time"] <= 5)]
            z = [(r.estimate - truth["dynamic"][int(r.event_time)]) / r.std_error for r in post.itertuples()]
            assert len(z) == 6 and max(abs(x) for x in z) < 3, (iv, name, z)
    # Static TWFE: the growing, heterogeneous IGU effects pull the coefficient below the truth.
    igu = vk.feols(TWFE, panel, vcov={"CR1": "municipality_code"}).tidy().set_index("term").loc["igu"]
    assert igu["conf_high"] < true_att(panel, "igu")["simple"]


def test_placebo_world_has_the_same_design_and_no_effects():
    panel, effects = simulate_municipalities(effect_scale=0.0)
    assert (effects["effect"] == 0).all() and (panel["true_effect"] == 0).all()
    default = vk.datasets.municipalities()
    for col in ("igu_year", "partnership_year", "partnership_end_year", "unemployment_rate", "baseline_unemployment"):
        np.testing.assert_array_equal(panel[col], default[col])
    assert true_att(panel, "igu")["simple"] == 0.0


def _coverage(scale: float, seeds: range) -> pd.DataFrame:
    rows = []
    for seed in seeds:
        panel, _ = simulate_municipalities(seed=seed, effect_scale=scale)
        for iv in ("igu", "partnership"):
            truth = true_att(panel, iv)["simple"]
            for name, (est, lo, hi, _) in _robust(panel, iv).items():
                rows.append({"iv": iv, "estimator": name, "bias": est - truth, "cover": lo <= truth <= hi})
            t = vk.feols(TWFE, panel, vcov={"CR1": "municipality_code"}).tidy().set_index("term").loc[iv]
            rows.append({"iv": iv, "estimator": "twfe", "bias": t["estimate"] - truth,
                         "cover": t["conf_low"] <= truth <= t["conf_high"]})
    return pd.DataFrame(rows).groupby(["iv", "estimator"]).agg(bias=("bias", "mean"), cover=("cover", "mean"))


@pytest.mark.slow
def test_robust_intervals_cover_the_truth_over_seeds():
    # 60 seeds: a 95 % interval covers in 51-60 of them with probability > 0.99 if it is right.
    res = _coverage(1.0, range(100, 160))
    print(res)
    robust = res.drop(index="twfe", level="estimator")
    assert (robust["cover"] >= 0.85).all(), robust
    assert (robust["bias"].abs() < 0.004).all(), robust
    twfe = res.loc[("igu", "twfe")]
    assert twfe["bias"] < -0.008 and twfe["cover"] < 0.6, twfe


@pytest.mark.slow
def test_placebo_world_intervals_cover_zero_over_seeds():
    res = _coverage(0.0, range(200, 260))
    print(res)
    robust = res.drop(index="twfe", level="estimator")
    assert (robust["cover"] >= 0.85).all(), robust
    assert (robust["bias"].abs() < 0.004).all(), robust
