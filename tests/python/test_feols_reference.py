"""feols from Python against the shared pyfixest fixture (same file as tests/regression_reference.rs)."""

from __future__ import annotations

import json

import pandas as pd
import polars as pl
import pytest

import virkning as vk

from conftest import FIXTURES

CASES = json.loads((FIXTURES / "feols_pyfixest.json").read_text())["cases"]


def _vcov(v):
    if isinstance(v, str):
        return v
    (k, cols), = v.items()
    return {k.replace("CRV", "CR"): cols.split("+")}


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
@pytest.mark.parametrize("backend", ["pandas", "polars"])
def test_feols_equals_pyfixest(case, backend):
    df = pd.read_csv(FIXTURES / "data" / case["data"])
    if backend == "polars":
        df = pl.from_pandas(df)
    fit = vk.feols(case["formula"], df, vcov=_vcov(case["vcov"]), weights=case["weights"],
                   drop_singletons=case["drop_singletons"])
    assert fit.n_obs == case["nobs"]
    assert fit.collinear == case["dropped_collinear"]
    tidy = fit.tidy()
    rows = {r["term"]: r for r in (tidy.to_dicts() if backend == "polars" else tidy.to_dict("records"))}
    assert set(rows) == set(case["coef"])
    for term, est in case["coef"].items():
        r = rows[term]
        assert r["estimate"] == pytest.approx(est, rel=1e-6)
        assert r["std_error"] == pytest.approx(case["se"][term], rel=1e-6)
        assert r["p_value"] == pytest.approx(case["pvalue"][term], rel=1e-6)
        assert r["conf_low"] == pytest.approx(case["conf_low"][term], rel=1e-6)
        assert r["conf_high"] == pytest.approx(case["conf_high"][term], rel=1e-6)
