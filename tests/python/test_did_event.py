"""The event-study family (Bacon, Sun-Abraham, TWFE event study, imputation) against the
shared fixture tests/fixtures/did_event_peers.json, plus bad input and recovery on the
bundled panel."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import virkning as vk
from virkning import exceptions as exc

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
PEERS = json.loads((FIXTURES / "did_event_peers.json").read_text())


def _data(case: dict) -> pd.DataFrame:
    return pd.read_csv(FIXTURES / case["data"])


def _rel(a: float, b: float) -> float:
    return abs(a - b) / max(abs(b), 1e-300)


# -- Bacon ------------------------------------------------------------------------------------
@pytest.mark.parametrize("name", sorted(PEERS["bacon"]))
def test_bacon_equals_pybacondecomp_pair_by_pair(name):
    case = PEERS["bacon"][name]
    res = vk.bacon(_data(case), outcome=case["outcome"], unit=case["unit"], time=case["time"], cohort=case["cohort"])
    tidy = res.tidy()
    assert abs(tidy["weight"].sum() - 1.0) < 1e-12
    assert _rel(float((tidy["weight"] * tidy["estimate"]).sum()), res.twfe_estimate) < 1e-10
    assert _rel(res.twfe_estimate, case["twfe_estimate"]) < 1e-8
    # Stata/pybacondecomp report one 2x2 per pair of groups: the weight-averaged pair of ours.
    tidy["pair"] = [tuple(sorted((a.lower(), b.lower()))) for a, b in zip(tidy["treated"], tidy["control"])]
    tidy["we"] = tidy["weight"] * tidy["estimate"]
    pairs = tidy.groupby("pair")[["weight", "we"]].sum()
    assert len(pairs) == len(case["pairs"])
    for p in case["pairs"]:
        key = tuple(sorted((p["treated"].lower(), p["control"].lower())))
        w, we = pairs.loc[[key]].iloc[0]
        assert _rel(w, p["weight"]) < 1e-8
        assert _rel(we / w, p["estimate"]) < 1e-8


def test_bacon_identity_on_the_bundled_panel_with_polars():
    pl = pytest.importorskip("polars")
    panel = vk.datasets.municipalities(backend="polars")
    res = vk.bacon(panel, outcome="employment_rate", unit="municipality_code", time="year", cohort="partnership_year")
    assert isinstance(res.tidy(), pl.DataFrame)
    twfe = vk.feols("employment_rate ~ partnership | municipality_code + year", panel)
    assert _rel(res.twfe_estimate, twfe.coef()["partnership"]) < 1e-8
    by_type = res.by_type()
    assert abs(by_type["weight"].sum() - 1.0) < 1e-12
    assert "later_vs_earlier" in set(by_type["type"].to_list())
    assert "Goodman-Bacon" in res.summary() and "<table" in res._repr_html_()


def test_bacon_unbalanced_panel_is_a_specific_error(mpdta):
    d = mpdta.drop(index=[3]).copy()
    with pytest.raises(exc.DataError, match="balanced panel"):
        vk.bacon(d, outcome="lemp", unit="countyreal", time="year", cohort="first_treat")


def test_bacon_drops_units_with_missing_outcome_and_says_so(mpdta):
    d = mpdta.copy()
    d.loc[d.index[:2], "lemp"] = np.nan  # both rows of the first county
    res = vk.bacon(d, outcome="lemp", unit="countyreal", time="year", cohort="first_treat")
    assert res.n_units_dropped_missing == 1 and res.n_units == 499
    assert "missing outcome dropped" in res.summary()
    assert np.isnan(d.loc[d.index[0], "lemp"])  # input untouched


def test_bacon_without_timing_variation_is_an_identification_error(mpdta):
    d = mpdta.assign(g=0)
    with pytest.raises(exc.IdentificationError, match="does not vary"):
        vk.bacon(d, outcome="lemp", unit="countyreal", time="year", cohort="g")


def test_cohort_changing_within_a_unit_is_an_error(mpdta):
    d = mpdta.copy()
    d.loc[d.index[1], "first_treat"] = 2006
    with pytest.raises(exc.DataError, match="changes within countyreal"):
        vk.bacon(d, outcome="lemp", unit="countyreal", time="year", cohort="first_treat")


def test_input_frame_is_not_modified(mpdta):
    before = mpdta.copy()
    vk.bacon(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first_treat")
    pd.testing.assert_frame_equal(mpdta, before)
