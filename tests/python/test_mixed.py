"""mixedlm from Python against the shared statsmodels/lme4 fixture (same file as tests/mixed_reference.rs)."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import polars as pl
import pytest

import virkning as vk
from virkning import exceptions as exc

from conftest import FIXTURES

CASES = json.loads((FIXTURES / "mixed_statsmodels.json").read_text())["cases"]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
@pytest.mark.parametrize("backend", ["pandas", "polars"])
def test_mixedlm_equals_statsmodels(case, backend):
    df = pd.read_csv(FIXTURES / "data" / case["data"])
    if backend == "polars":
        df = pl.from_pandas(df)
    fit = vk.mixedlm(case["formula"], df, group=case["group"], reml=case["reml"])
    assert fit.n_obs == case["nobs"]
    tidy = fit.tidy()
    rows = {r["term"]: r for r in (tidy.to_dicts() if backend == "polars" else tidy.to_dict("records"))}
    for term, est in case["coef"].items():
        assert rows[term]["estimate"] == pytest.approx(est, rel=1e-5)
        assert rows[term]["std_error"] == pytest.approx(case["se_gls"][term], rel=1e-5)
    vc = fit.variance_components
    assert vc["group"] == pytest.approx(case["group_var"], rel=1e-5)
    assert vc["residual"] == pytest.approx(case["residual_var"], rel=1e-5)
    assert fit.loglik == pytest.approx(case["loglik"], rel=1e-8)
    re = fit.random_effects()
    re = re.to_pandas() if backend == "polars" else re
    ref = pd.Series(case["random_effects"])
    np.testing.assert_allclose(re.set_index("group")["effect"].loc[ref.index], ref.values, rtol=1e-4, atol=1e-6)
    assert "Variance components" in fit.summary()


def test_mixedlm_bad_inputs():
    df = pd.DataFrame({"y": [1.0, 2.0, 3.0], "x": [0.0, 1.0, 3.0], "g": ["a", "a", "b"]})
    with pytest.raises(exc.IdentificationError, match="observations for"):
        vk.mixedlm("y ~ x + C(g)", df, group="g")
    with pytest.raises(exc.ColumnNotFoundError):
        vk.mixedlm("y ~ x", df, group="nope")
    with pytest.raises(exc.InvalidParameterError, match="fixed effects"):
        vk.mixedlm("y ~ x | g", df, group="g")
