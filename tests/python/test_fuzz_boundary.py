"""Regression tests for the boundary defects of issue 16 (items 8 and 11): each input that
once gave a silently wrong number or a foreign exception, with the answer it must give now."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

import virkning as vk
from virkning import exceptions as exc


@pytest.fixture
def cross_section():
    rng = np.random.default_rng(16)
    n = 60
    x1 = rng.normal(size=n)
    x2 = rng.normal(size=n)
    g = rng.integers(0, 4, size=n)
    return pd.DataFrame({
        "y": 1.0 + 0.8 * x1 - 0.3 * x2 + 0.5 * g + rng.normal(size=n),
        "x1": x1, "x2": x2, "g": g.astype(str), "w": rng.uniform(0.2, 3.0, size=n),
        "cl": np.arange(n) % 6, "yb": (x1 + rng.normal(size=n) > 0).astype(float),
    })


@pytest.fixture
def panel():
    return vk.simulate_panel(n_units=30, treated=10, start=2016, effect=0.03, seed=3)


def lstsq(df: pd.DataFrame, y: str, xs: list[str]) -> np.ndarray:
    X = np.column_stack([np.ones(len(df))] + [df[x].to_numpy(dtype=float) for x in xs])
    return np.linalg.lstsq(X, df[y].to_numpy(dtype=float), rcond=None)[0]


# -- item 8: uint64 above 2**63 -------------------------------------------------------------------

def test_uint64_regressor_straddling_2_63_is_its_value_not_a_wrapped_int64():
    rng = np.random.default_rng(1)
    x = rng.integers(2**62, 2**63 + 2**62, size=40, dtype=np.uint64)  # about half above 2**63
    assert (x > np.uint64(2**63)).any() and (x < np.uint64(2**63)).any()
    y = 1e-17 * x.astype(float) + rng.normal(scale=1e-3, size=40)
    expected = lstsq(pd.DataFrame({"y": y, "x": x.astype(float)}), "y", ["x"])[1]
    assert expected == pytest.approx(1e-17, rel=0.05)
    for frame in (pd.DataFrame({"y": y, "x": x}), pl.DataFrame({"y": y, "x": pl.Series(x, dtype=pl.UInt64)})):
        fit = vk.feols("y ~ x", frame)
        assert fit.coef()["x"] == pytest.approx(expected, rel=1e-8)


def test_uint64_column_that_float64_would_merge_is_an_error_not_a_silent_merge():
    x = np.uint64(2**63) + np.arange(20, dtype=np.uint64)  # one float64 value
    d = pd.DataFrame({"y": np.arange(20.0), "x": x, "t": np.arange(20)})
    with pytest.raises(exc.DataError, match="uint64 column `x`.*convert the column"):
        vk.feols("y ~ x", d)
    with pytest.raises(exc.DataError, match="uint64 column `x`"):
        vk.panel_info(d, unit="x", time="t")


def test_uint64_ids_above_2_63_stay_distinct_units():
    ids = np.uint64(2**63) + np.repeat(np.arange(10, dtype=np.uint64), 4) * np.uint64(2**20)
    t = np.tile(np.arange(4), 10)
    rng = np.random.default_rng(2)
    y = rng.normal(size=40)
    x = rng.normal(size=40)
    as_u = vk.feols("y ~ x | unit", pd.DataFrame({"y": y, "x": x, "unit": ids, "t": t}))
    as_i = vk.feols("y ~ x | unit", pd.DataFrame({"y": y, "x": x, "unit": np.repeat(np.arange(10), 4), "t": t}))
    assert as_u.coef()["x"] == pytest.approx(as_i.coef()["x"], rel=1e-12)
    assert as_u.se()["x"] == pytest.approx(as_i.se()["x"], rel=1e-12)
    info = vk.panel_info(pd.DataFrame({"unit": ids, "t": t}), unit="unit", time="t")
    assert info["n_units"] == 10


def test_uint64_below_2_63_is_exact_int64():
    ids = np.repeat(np.array([3, 2**62 + 1, 2**62 + 2], dtype=np.uint64), 3)
    t = np.tile(np.arange(3), 3)
    info = vk.panel_info(pd.DataFrame({"unit": ids, "t": t}), unit="unit", time="t")
    assert info["n_units"] == 3


# -- item 8: repeated factors in a formula --------------------------------------------------------

@pytest.mark.parametrize("formula", ["y ~ x1:x1", "y ~ x1*x1", "y ~ x1 + x1:x1"])
def test_a_factor_interacted_with_itself_is_the_factor_as_in_fixest(cross_section, formula):
    fit = vk.feols(formula, cross_section)
    assert list(fit.coef()) == ["Intercept", "x1"]
    assert fit.coef()["x1"] == pytest.approx(lstsq(cross_section, "y", ["x1"])[1], rel=1e-10)


def test_categorical_interacted_with_itself_is_the_categorical(cross_section):
    a = vk.feols("y ~ C(g):C(g)", cross_section)
    b = vk.feols("y ~ C(g)", cross_section)
    assert a.coef() == pytest.approx(b.coef(), rel=1e-12)


def test_b_colon_a_repeats_a_colon_b(cross_section):
    fit = vk.feols("y ~ x1:x2 + x2:x1", cross_section)
    assert list(fit.coef()) == ["Intercept", "x1:x2"]


# -- item 8: weights are scale-free ---------------------------------------------------------------

SCALES = [1e-200, 1e-100, 1e-10, 1.0, 3.7, 1e10, 1e100, 1e200]


@pytest.mark.parametrize("vcov", ["iid", "hetero", {"CR1": "cl"}])
def test_feols_weights_give_the_same_fit_at_any_scale(cross_section, vcov):
    base = vk.feols("y ~ x1 + x2", cross_section, weights="w", vcov=vcov)
    assert all(s > 0 for s in base.se().values())
    for scale in SCALES:
        d = cross_section.assign(w=cross_section["w"] * scale)
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            warnings.simplefilter("ignore", exc.SmallClusterWarning)  # 6 clusters, at every scale
            fit = vk.feols("y ~ x1 + x2", d, weights="w", vcov=vcov)
        assert fit.coef() == pytest.approx(base.coef(), rel=1e-12), scale
        assert fit.se() == pytest.approx(base.se(), rel=1e-10), scale
        assert fit.glance()["r2"][0] == pytest.approx(base.glance()["r2"][0], rel=1e-10)


def test_feols_weights_with_fixed_effects_at_any_scale(panel):
    base = vk.feols("outcome ~ treated | unit + period", panel, weights="size")
    for scale in (1e-200, 1e200):
        fit = vk.feols("outcome ~ treated | unit + period", panel.assign(size=panel["size"] * scale), weights="size")
        assert fit.coef()["treated"] == pytest.approx(base.coef()["treated"], rel=1e-10)
        assert fit.se()["treated"] == pytest.approx(base.se()["treated"], rel=1e-8)


def test_weighted_fit_equals_numpy_wls(cross_section):
    d = cross_section
    sw = np.sqrt(d["w"].to_numpy())
    X = np.column_stack([np.ones(len(d)), d["x1"], d["x2"]]) * sw[:, None]
    beta = np.linalg.lstsq(X, d["y"].to_numpy() * sw, rcond=None)[0]
    fit = vk.feols("y ~ x1 + x2", d.assign(w=d["w"] * 1e-200), weights="w")
    assert list(fit.coef().values()) == pytest.approx(list(beta), rel=1e-10)


def test_mixedlm_weights_at_any_scale(panel):
    base = vk.mixedlm("outcome ~ treated", panel, group="unit", weights="size")
    for scale in (1e-200, 1e-10, 1e10, 1e200):
        fit = vk.mixedlm("outcome ~ treated", panel.assign(size=panel["size"] * scale), group="unit",
                         weights="size")
        assert fit.coef() == pytest.approx(base.coef(), rel=1e-8), scale
        assert fit.se() == pytest.approx(base.se(), rel=1e-6), scale


@pytest.mark.parametrize("method", ["dr", "reg", "ipw"])
def test_att_gt_weights_at_any_scale(panel, method):
    kw = dict(outcome="outcome", unit="unit", time="period", cohort="cohort", weights="size", method=method,
              control_group="not_yet_treated")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", exc.VirkningWarning)
        base = vk.att_gt(panel, **kw).aggregate("simple").tidy()
        for scale in (1e-200, 1e-10, 1e10, 1e200):
            got = vk.att_gt(panel.assign(size=panel["size"] * scale), **kw).aggregate("simple").tidy()
            assert got["estimate"].tolist() == pytest.approx(base["estimate"].tolist(), rel=1e-10), scale
            assert got["std_error"].tolist() == pytest.approx(base["std_error"].tolist(), rel=1e-8), scale


def test_att_gt_weights_varying_within_a_unit_are_caught_at_any_scale(panel):
    d = panel.assign(size=panel["size"] * 1e-200)
    d.loc[d.index[0], "size"] *= 2
    with pytest.raises(exc.DataError, match="weights"):
        vk.att_gt(d, outcome="outcome", unit="unit", time="period", cohort="cohort", weights="size")


def test_gaussian_glm_weights_at_any_scale(cross_section):
    base = vk.glm("y ~ x1 + x2", cross_section, family="gaussian", weights="w")
    for scale in (1e-200, 1e200):
        fit = vk.glm("y ~ x1 + x2", cross_section.assign(w=cross_section["w"] * scale), family="gaussian",
                     weights="w")
        assert fit.coef() == pytest.approx(base.coef(), rel=1e-8), scale
        assert fit.se() == pytest.approx(base.se(), rel=1e-6), scale


@pytest.mark.parametrize("family,outcome", [("poisson", "count"), ("binomial", "yb")])
def test_glm_prior_weights_at_any_scale(cross_section, family, outcome):
    # Prior weights of a Poisson/binomial GLM act as frequencies (R glm, statsmodels): the
    # estimates stay, the standard errors scale with 1/sqrt(c). Before, tiny weights stopped
    # IRLS early (an absolute deviance tolerance): estimates off by 0.6% at 1e-200.
    d = cross_section.assign(count=np.random.default_rng(5).poisson(np.exp(0.3 + 0.5 * cross_section["x1"])))
    base = vk.glm(f"{outcome} ~ x1", d, family=family, weights="w")
    for scale in (1e-200, 1e-10, 1e10, 1e200):
        fit = vk.glm(f"{outcome} ~ x1", d.assign(w=d["w"] * scale), family=family, weights="w")
        assert fit.coef() == pytest.approx(base.coef(), rel=1e-8), scale
        se = {k: v * math.sqrt(scale) for k, v in fit.se().items()}
        assert se == pytest.approx(base.se(), rel=1e-6), scale


# -- item 11: specific exceptions -----------------------------------------------------------------

@pytest.mark.parametrize("formula", [None, 3, ["y ~ x1"], b"y ~ x1"])
def test_a_formula_that_is_not_a_string_is_a_formula_error(cross_section, formula):
    for fn in (vk.feols, vk.glm):
        with pytest.raises(exc.FormulaError, match="formula must be a string"):
            fn(formula, cross_section)
    with pytest.raises(exc.FormulaError):
        vk.mixedlm(formula, cross_section, group="g")


def test_an_unknown_keyword_is_an_invalid_parameter_error_with_a_suggestion(cross_section, panel):
    with pytest.raises(exc.InvalidParameterError, match="did you mean `weights`"):
        vk.feols("y ~ x1", cross_section, weigths="w")
    with pytest.raises(TypeError):  # still a TypeError for code that catches that
        vk.feols("y ~ x1", cross_section, weigths="w")
    calls = [
        lambda: vk.glm("yb ~ x1", cross_section, famly="binomial"),
        lambda: vk.mixedlm("y ~ x1", cross_section, group="g", rml=True),
        lambda: vk.att_gt(panel, outcome="outcome", unit="unit", time="period", cohort="cohort", bogus=1),
        lambda: vk.sun_abraham(panel, outcome="outcome", unit="unit", time="period", cohort="cohort", bogus=1),
        lambda: vk.event_study(panel, outcome="outcome", unit="unit", time="period", cohort="cohort", bogus=1),
        lambda: vk.did_imputation(panel, outcome="outcome", unit="unit", time="period", cohort="cohort", bogus=1),
        lambda: vk.bacon(panel, outcome="outcome", unit="unit", time="period", cohort="cohort", bogus=1),
        lambda: vk.sdid(panel, outcome="outcome", unit="unit", time="period", treated="treated", bogus=1),
        lambda: vk.panel_info(panel, unit="unit", time="period", bogus=1),
        lambda: vk.etable([], bogus=1),
        lambda: vk.feols("y ~ x1", cross_section).wildboot("x1", rep=9),
        lambda: vk.feols("y ~ x1", cross_section).tidy(alhpa=0.1),
    ]
    for call in calls:
        with pytest.raises(exc.InvalidParameterError, match="unexpected keyword|unknown"):
            call()


def test_a_missing_required_keyword_is_an_invalid_parameter_error(panel):
    with pytest.raises(exc.InvalidParameterError, match="outcome"):
        vk.att_gt(panel, unit="unit", time="period", cohort="cohort")


def test_a_role_that_is_not_a_column_name_is_an_invalid_parameter_error(panel):
    with pytest.raises(exc.InvalidParameterError, match="`unit` must be a column name"):
        vk.event_study(panel, outcome="outcome", unit=["unit"], time="period", cohort="cohort")
    with pytest.raises(exc.InvalidParameterError, match="`weights`"):
        vk.feols("outcome ~ treated", panel, weights=1.0)


def test_covariates_as_one_string_is_one_column(panel):
    d = panel.assign(x1=np.random.default_rng(0).normal(size=len(panel)))
    kw = dict(outcome="outcome", unit="unit", time="period", cohort="cohort")
    for fn in (vk.sun_abraham, vk.event_study, vk.did_imputation, vk.att_gt):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            a = fn(d, covariates="x1", **kw)
            b = fn(d, covariates=["x1"], **kw)
        assert a.tidy()["estimate"].tolist() == b.tidy()["estimate"].tolist()


def test_duplicated_column_names_are_a_data_error(cross_section):
    d = cross_section[["y", "x1", "x2"]].copy()
    d.columns = ["y", "x1", "x1"]
    with pytest.raises(exc.DataError, match="repeated column names: `x1` \\(2 times\\)"):
        vk.feols("y ~ x1", d)


def test_a_polars_lazyframe_is_accepted_and_collects_only_what_it_needs(cross_section):
    lf = pl.from_pandas(cross_section).lazy().with_columns(
        boom=pl.col("x1").map_elements(lambda _: 1 / 0, return_dtype=pl.Float64))
    eager = vk.feols("y ~ x1 + x2", cross_section)
    lazy = vk.feols("y ~ x1 + x2", lf)  # would raise ZeroDivisionError if `boom` were collected
    assert lazy.coef() == pytest.approx(eager.coef(), rel=1e-14)
    w = lazy.wildboot("x1", reps=99, seed=1, cluster="cl")
    assert math.isfinite(w.p_value)


def test_bad_choice_values_are_unknown_choice_errors(cross_section, panel):
    fit = vk.feols("y ~ x1", cross_section, vcov={"CR1": "cl"})
    with pytest.raises(exc.UnknownChoiceError):
        fit.wildboot("x1", reps=99, bootstrap_type="22")
    with pytest.raises(exc.UnknownChoiceError):
        vk.simulate_panel(backend="arrow")
    with pytest.raises(exc.InvalidParameterError, match="clusters"):
        vk.benchmark(panel[panel["period"] == 2020], outcome="outcome", unit="unit",
                     frame_conditions=["size"], clusters="many")


@pytest.mark.parametrize("bad", [float("nan"), float("inf"), -float("inf")])
def test_non_finite_options_name_the_option(cross_section, panel, bad):
    with pytest.raises(exc.InvalidParameterError, match="`alpha` must be a finite number"):
        vk.feols("y ~ x1", cross_section, alpha=bad)
    with pytest.raises(exc.InvalidParameterError, match="`tol`"):
        vk.glm("yb ~ x1", cross_section, tol=bad)
    with pytest.raises(exc.InvalidParameterError, match="`trim_level`"):
        vk.att_gt(panel, outcome="outcome", unit="unit", time="period", cohort="cohort", trim_level=bad)
    with pytest.raises(exc.InvalidParameterError, match="finite"):
        vk.feols("y ~ x1", cross_section, vcov={"CR1": "cl"}).wildboot("x1", r=bad)


def test_etable_takes_any_result_and_checks_its_arguments(cross_section, panel):
    a = vk.feols("y ~ x1", cross_section)
    g = vk.glm("yb ~ x1", cross_section)
    table = vk.etable([a, g], names=["ols", "logit"]).to_frame()
    assert list(table.columns) == ["", "ols", "logit"]
    assert "x1" in table[""].tolist()
    es = vk.event_study(panel, outcome="outcome", unit="unit", time="period", cohort="cohort")
    assert len(vk.etable([a, es]).rows()) > 3
    assert vk.etable(a).names == ["(1)"]
    with pytest.raises(exc.InvalidParameterError, match="2 names for 1 models"):
        vk.etable([a], names=["a", "b"])
    with pytest.raises(exc.InvalidParameterError, match="not a virkning result"):
        vk.etable([a, "b"])
    with pytest.raises(exc.InvalidParameterError, match="no models"):
        vk.etable([])
    with pytest.raises(exc.InvalidParameterError, match="digits"):
        vk.etable([a], digits=-1)


# -- item 11, the class: every public function and method, every argument, wrong values -----------

BAD_VALUES = [None, "zzz", -1, 0, 1.5, float("nan"), [1], {"a": 1}, True, object()]


def _calls(panel):
    import inspect

    panel = panel.assign(x1=np.random.default_rng(0).normal(size=len(panel)))
    cs = panel[panel["period"] == panel["period"].max()].reset_index(drop=True)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fit = vk.feols("outcome ~ treated + x1 | unit + period", panel, vcov={"CR1": "unit"})
        gt = vk.att_gt(panel, outcome="outcome", unit="unit", time="period", cohort="cohort")
    roles = dict(outcome="outcome", unit="unit", time="period")
    treated_unit = int(panel.loc[panel["cohort"] > 0, "unit"].iloc[0])
    out = {
        "feols": (vk.feols, dict(formula="outcome ~ treated", data=panel)),
        "glm": (vk.glm, dict(formula="outcome ~ treated", data=panel, family="gaussian")),
        "mixedlm": (vk.mixedlm, dict(formula="outcome ~ treated", data=panel, group="unit")),
        "att_gt": (vk.att_gt, dict(data=panel, cohort="cohort", **roles)),
        "sun_abraham": (vk.sun_abraham, dict(data=panel, cohort="cohort", **roles)),
        "event_study": (vk.event_study, dict(data=panel, cohort="cohort", **roles)),
        "did_imputation": (vk.did_imputation, dict(data=panel, cohort="cohort", **roles)),
        "bacon": (vk.bacon, dict(data=panel, cohort="cohort", **roles)),
        "sdid": (vk.sdid, dict(data=panel, treated="treated", reps=20, **roles)),
        "synthetic_control": (vk.synthetic_control, dict(data=panel, treated_unit=treated_unit,
                                                         treatment_start=2016, placebo=False, **roles)),
        "benchmark": (vk.benchmark, dict(data=cs, outcome="outcome", unit="unit", frame_conditions=["x1"],
                                         model="linear", n_sim=100)),
        "wildboot": (vk.wildboot, dict(fit=fit, param="treated", reps=99, seed=1)),
        "ritest": (vk.ritest, dict(fit=fit, param="treated", unit="unit", time="period", treatment="treated",
                                   reps=19, seed=1)),
        "power": (vk.power, dict(effects=0.05, reps=5, seed=1, n_units=20, treated=5, start=2016, progress=False)),
        "simulate_panel": (vk.simulate_panel, dict(seed=1)),
        "simulate_cohort": (vk.simulate_cohort, dict(seed=1)),
        "panel_info": (vk.panel_info, dict(data=panel, unit="unit", time="period")),
        "etable": (vk.etable, dict(models=[fit])),
        "aggregate": (gt.aggregate, dict()),
        "fit.wildboot": (fit.wildboot, dict(param="treated", reps=99, seed=1)),
        "fit.tidy": (fit.tidy, dict()),
        "gt.ritest": (gt.ritest, dict(reps=19, seed=1)),
    }
    for name, (fn, base) in out.items():
        params = [p for p, v in inspect.signature(fn).parameters.items() if v.kind is not v.VAR_KEYWORD]
        if name in ("power", "simulate_panel", "simulate_cohort"):
            params += ["n_units", "treated", "start", "effect", "sigma"]
        yield name, fn, base, params


def test_every_public_function_answers_wrong_arguments_with_a_virkning_error(panel):
    small = vk.simulate_panel(n_units=20, treated=6, start=2016, effect=0.03, seed=3)
    foreign = []
    for name, fn, base, params in _calls(small):
        for p in params:
            for bad in BAD_VALUES:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    try:
                        fn(**{**base, p: bad})
                    except exc.VirkningError as e:
                        assert str(e), (name, p, bad)
                    except Exception as e:  # noqa: BLE001 - what this test is about
                        foreign.append(f"{name}({p}={bad!r}): {type(e).__name__}: {e}"[:200])
    assert not foreign, "\n".join(foreign)
