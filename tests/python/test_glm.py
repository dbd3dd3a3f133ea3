"""glm from Python against the shared statsmodels fixture (same file as tests/glm_reference.rs),
and each bad input's exception."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pytest

import virkning as vk
from virkning import exceptions as exc

from conftest import FIXTURES

CASES = json.loads((FIXTURES / "glm_statsmodels.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
@pytest.mark.parametrize("backend", ["pandas", "polars"])
def test_glm_equals_statsmodels(case, backend):
    df = pd.read_csv(FIXTURES / "data" / case["data"])
    if backend == "polars":
        df = pl.from_pandas(df)
    fit = vk.glm(case["formula"], df, family=case["family"], trials=case["trials"], weights=case["weights"],
                 vcov=case["vcov"])
    assert fit.n_obs == case["nobs"]
    tidy = fit.tidy()
    rows = {r["term"]: r for r in (tidy.to_dicts() if backend == "polars" else tidy.to_dict("records"))}
    assert set(rows) == set(case["coef"])
    # statsmodels' GLM "HC1" is HC0; virkning's HC1 has the n/(n-k) factor (as R sandwich).
    hc = np.sqrt(fit.n_obs / fit.df_resid) if case["vcov"] == "HC1" else 1.0
    for term, est in case["coef"].items():
        assert rows[term]["estimate"] == pytest.approx(est, rel=1e-6)
        assert rows[term]["std_error"] == pytest.approx(hc * case["se"][term], rel=1e-6)
        if case["vcov"] != "HC1":
            assert rows[term]["p_value"] == pytest.approx(case["pvalue"][term], rel=1e-6, abs=1e-300)
    g = fit.glance()
    g = g.to_dicts()[0] if backend == "polars" else g.iloc[0].to_dict()
    assert g["deviance"] == pytest.approx(case["deviance"], rel=1e-8)
    assert g["loglik"] == pytest.approx(case["loglik"], rel=1e-8)
    assert "GLM (" in fit.summary() and "<table" in fit._repr_html_()
    fitted = fit.fitted()
    assert fitted.shape == (len(df),) and np.all(np.isfinite(fitted))


@pytest.fixture
def counts() -> pd.DataFrame:
    rng = np.random.default_rng(3)
    n = 80
    x = rng.normal(size=n)
    trials = rng.integers(5, 40, n).astype(float)
    y = rng.binomial(trials.astype(int), 1 / (1 + np.exp(-(0.2 + 0.8 * x)))).astype(float)
    return pd.DataFrame({"y": y, "trials": trials, "x": x, "rate": y / trials})


def test_glm_counts_equal_weighted_proportions(counts):
    a = vk.glm("y ~ x", counts, trials="trials")
    b = vk.glm("rate ~ x", counts, weights="trials")
    assert a.coef()["x"] == pytest.approx(b.coef()["x"], rel=1e-10)
    assert a.se()["x"] == pytest.approx(b.se()["x"], rel=1e-10)
    before = counts.copy()
    vk.glm("y ~ x", counts, trials="trials", vcov="hetero")
    pd.testing.assert_frame_equal(counts, before)


def test_glm_bad_inputs(counts):
    bad = counts.assign(rate=counts["rate"] * 3)
    with pytest.raises(exc.DataError, match=r"proportion in \[0, 1\]"):
        vk.glm("rate ~ x", bad)
    with pytest.raises(exc.DataError, match="trials must be positive"):
        vk.glm("y ~ x", counts.assign(trials=0.0), trials="trials")
    with pytest.raises(exc.DataError, match=r"\[0, trials\]"):
        vk.glm("y ~ x", counts.assign(y=counts["trials"] + 1), trials="trials")
    with pytest.raises(exc.DataError, match="non-negative"):
        vk.glm("x ~ y", counts, family="poisson")
    with pytest.raises(exc.UnknownChoiceError, match="binomial"):
        vk.glm("y ~ x", counts, family="gamma")
    with pytest.raises(exc.InferenceError, match="HC3"):
        vk.glm("rate ~ x", counts, vcov="HC3")
    with pytest.raises(exc.InvalidParameterError, match="fixed effects"):
        vk.glm("rate ~ x | trials", counts)
    sep = pd.DataFrame({"y": [0.0, 0, 0, 1, 1, 1], "x": [0.0, 1, 2, 3, 4, 5]})
    with pytest.raises(exc.IdentificationError, match="separation"):
        vk.glm("y ~ x", sep)
    with pytest.raises(exc.ConvergenceError, match="IRLS"):
        vk.glm("y ~ x", counts, trials="trials", max_iter=1)
