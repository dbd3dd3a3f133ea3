"""pandas and polars in, the same numbers out; output frames follow the input type."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pytest

import virkning as vk
from virkning import _core


def test_polars_and_pandas_agree(mpdta):
    a = vk.feols("lemp ~ treat_post + lpop | year", mpdta, vcov={"CR1": "countyreal"})
    b = vk.feols("lemp ~ treat_post + lpop | year", pl.from_pandas(mpdta), vcov={"CR1": "countyreal"})
    assert isinstance(a.tidy(), pd.DataFrame) and isinstance(b.tidy(), pl.DataFrame)
    assert a.coef() == b.coef() and a.se() == b.se()
    assert list(b.tidy().columns) == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
    assert b.glance()["n_obs"][0] == 2500


def test_text_ids_and_nullable_columns_work():
    rng = np.random.default_rng(3)
    n = 200
    d = pd.DataFrame({"g": rng.choice(list("abcde"), n), "x": rng.normal(size=n)})
    d["y"] = d["x"] * 2 + d["g"].map(dict(zip("abcde", range(5)))) + rng.normal(size=n) * 0.1
    d["x_nullable"] = pd.array(d["x"].round(6), dtype="Float64")
    d.loc[5, "x_nullable"] = pd.NA
    fit = vk.feols("y ~ x_nullable | g", d, vcov="hetero")
    assert fit.n_obs == n - 1
    assert abs(fit.coef()["x_nullable"] - 2) < 0.05


def test_python_defaults_equal_rust_defaults():
    rust = json.loads(_core.feols_defaults())
    import inspect

    sig = inspect.signature(vk.feols)
    assert sig.parameters["drop_singletons"].default == rust["drop_singletons"]
    assert sig.parameters["tol"].default == rust["demean"]["tol"]
    assert sig.parameters["max_iter"].default == rust["demean"]["max_iter"]
    assert sig.parameters["collinear_tol"].default == rust["collinear_tol"]
    assert sig.parameters["alpha"].default == rust["alpha"]
    assert vk.SmallSampleCorrection().to_dict() == rust["ssc"]


def test_predict_and_residuals_add_up(mpdta):
    fit = vk.feols("lemp ~ treat_post | countyreal + year", mpdta)
    pred = fit.predict(mpdta)
    np.testing.assert_allclose(pred + fit.residuals(), mpdta["lemp"].to_numpy(), rtol=0, atol=1e-9)


def test_display_surfaces(mpdta):
    fit = vk.feols("lemp ~ treat_post | countyreal + year", mpdta)
    assert "treat_post" in fit._repr_html_() and "<table" in fit._repr_html_()
    assert "CR1 by countyreal" in fit.summary()
    assert json.loads(fit.to_json())["n_obs"] == 2500
    table = str(vk.etable([fit, vk.feols("lemp ~ treat_post | countyreal + year", mpdta, vcov="iid")]))
    assert "(0.0133)" in table and "(0.0126)" in table


@pytest.mark.plots
def test_coefficient_plot(mpdta):
    import matplotlib

    matplotlib.use("Agg")
    ax = vk.feols("lemp ~ treat_post + lpop | year", mpdta).plot()
    assert sorted(t.get_text() for t in ax.get_yticklabels()) == ["lpop", "treat_post"]
    assert len(ax.lines) >= 1 and ax.get_xlabel().startswith("estimate")
