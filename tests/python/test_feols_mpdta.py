"""feols against pyfixest 0.60 on mpdta (reference values from shared/validation)."""

from __future__ import annotations

import pytest

import virkning as vk

CASES = {
    "iid": "pyfixest_feols_iid",
    "hetero": "pyfixest_feols_HC1",
    "CR1": "pyfixest_feols_CRV1",
    "CR3": "pyfixest_feols_CRV3",
}


@pytest.mark.parametrize("vcov", list(CASES))
def test_mpdta_twfe_equals_pyfixest(mpdta, shared_reference, vcov):
    ref = shared_reference["results"][CASES[vcov]]
    spec = {vcov: "countyreal"} if vcov.startswith("CR") else vcov
    fit = vk.feols("lemp ~ treat_post | countyreal + year", mpdta, vcov=spec)
    row = fit.tidy().iloc[0]
    assert row["estimate"] == pytest.approx(ref["coef"], rel=1e-8)
    assert row["std_error"] == pytest.approx(ref["se"], rel=1e-8)
    if "p" in ref:
        assert row["p_value"] == pytest.approx(ref["p"], rel=1e-6)
        assert row["statistic"] == pytest.approx(ref["t"], rel=1e-8)


def test_default_vcov_is_cr1_by_first_fixed_effect(mpdta, shared_reference):
    fit = vk.feols("lemp ~ treat_post | countyreal + year", mpdta)
    assert fit.vcov_type == "CR1 by countyreal"
    assert fit.se()["treat_post"] == pytest.approx(shared_reference["results"]["pyfixest_feols_CRV1"]["se"], rel=1e-8)
