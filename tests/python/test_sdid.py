"""virkning.sdid against synthdid-py 0.1.0 on Prop 99 (fixture tests/fixtures/synth_prop99.json),
bad input, and a recovery simulation."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import virkning as vk
from virkning.exceptions import ColumnNotFoundError, DataError, SynthError, UnknownChoiceError

FIX = Path(__file__).resolve().parents[1] / "fixtures"
REF = json.loads((FIX / "synth_prop99.json").read_text())
PROP99 = pd.read_csv(FIX / "data" / "california_prop99.csv")
ARGS = dict(outcome="PacksPerCapita", unit="State", time="Year", treatment="treated")


def _case(name):
    return next(c for c in REF["cases"] if c["name"] == name)


@pytest.mark.parametrize("method", ["sdid", "sc", "did"])
def test_prop99_estimate_and_weights_equal_synthdid(method):
    fit = vk.sdid(PROP99, method=method, se="none", **ARGS)
    ref = _case(f"prop99_{method}")
    assert fit.att == pytest.approx(ref["estimate"], rel=1e-9)
    assert round(fit.att, 1) == REF["published"][method]
    w = fit.weights
    assert list(w.columns) == ["cohort", "unit", "weight"]
    for u, v in zip(w["unit"], w["weight"]):
        assert v == pytest.approx(ref["omega"][u], rel=1e-7, abs=1e-12)
    t = fit.tidy()
    assert list(t["term"]) == ["ATT"] and {"estimate", "std_error"} <= set(t.columns)


def test_prop99_placebo_se_within_monte_carlo_error_of_synthdid():
    fit = vk.sdid(PROP99, **ARGS, bootstrap=vk.Bootstrap(seed=1))
    ref = REF["synthdid_py_seeded_placebo_se"]["sdid"]
    # SE of an SD estimated from 200 draws is about SD / sqrt(2 * 200) = 5 %; allow 4 of those.
    assert abs(fit.std_error - ref) / ref < 0.2
    assert fit.std_error == vk.sdid(PROP99, **ARGS, bootstrap=vk.Bootstrap(seed=1)).std_error
    assert "Synthetic DiD" in fit.summary() and "<table" in fit._repr_html_()


def test_jackknife_with_three_treated_equals_synthdid():
    ref = _case("three_treated_sdid")
    df = PROP99.copy()
    df["treated"] = (df.State.isin(ref["treated"]) & (df.Year >= 1989)).astype(int)
    fit = vk.sdid(df, se="jackknife", **ARGS)
    assert fit.std_error == pytest.approx(ref["se"]["jackknife"]["se"], rel=1e-6)


def test_staggered_adoption_aggregates_cohorts():
    ref = _case("staggered_sdid")
    df = PROP99.copy()
    start = df.State.map(ref["staggered"]).fillna(9999)
    df["treated"] = (df.Year >= start).astype(int)
    fit = vk.sdid(df, se="jackknife", **ARGS)
    assert fit.att == pytest.approx(ref["estimate"], rel=1e-9)
    assert fit.std_error == pytest.approx(ref["se"]["jackknife"]["se"], rel=1e-6)
    bc = fit.by_cohort()
    assert list(bc["cohort"]) == [1985, 1989]
    assert sum(bc["share"]) == pytest.approx(1.0)


def test_polars_in_polars_out():
    pl = pytest.importorskip("polars")
    fit = vk.sdid(pl.from_pandas(PROP99), se="none", **ARGS)
    assert isinstance(fit.tidy(), pl.DataFrame)


def test_input_is_not_modified():
    before = PROP99.copy()
    vk.sdid(PROP99, se="none", **ARGS)
    pd.testing.assert_frame_equal(before, PROP99)


# -- bad input -----------------------------------------------------------------------------------
def test_missing_cells_are_named():
    df = PROP99[~((PROP99.State == "Utah") & (PROP99.Year == 1975))]
    with pytest.raises(DataError, match="Utah @ 1975"):
        vk.sdid(df, se="none", **ARGS)


def test_too_few_pre_periods():
    df = PROP99[PROP99.Year >= 1988]
    with pytest.raises(SynthError, match="pre-treatment period"):
        vk.sdid(df, se="none", **ARGS)


def test_placebo_needs_more_controls_than_treated():
    df = PROP99[PROP99.State.isin(["California", "Utah", "Nevada"])].copy()
    df.loc[df.State == "Utah", "treated"] = (df.Year >= 1989).astype(int)
    with pytest.raises(SynthError, match="more control units than treated"):
        vk.sdid(df, **ARGS)


def test_jackknife_and_bootstrap_need_two_treated():
    for se in ["jackknife", "bootstrap"]:
        with pytest.raises(SynthError, match="at least two treated"):
            vk.sdid(PROP99, se=se, **ARGS)


def test_non_absorbing_and_non_binary_treatment():
    df = PROP99.copy()
    df.loc[(df.State == "California") & (df.Year == 2000), "treated"] = 0
    with pytest.raises(SynthError, match="absorbing"):
        vk.sdid(df, se="none", **ARGS)
    df = PROP99.copy()
    df.loc[0, "treated"] = 2
    with pytest.raises(SynthError, match="0/1"):
        vk.sdid(df, se="none", **ARGS)


def test_no_treated_and_no_controls():
    df = PROP99.assign(treated=0)
    with pytest.raises(SynthError, match="never 1"):
        vk.sdid(df, se="none", **ARGS)
    df = PROP99.assign(treated=(PROP99.Year >= 1989).astype(int))
    with pytest.raises(SynthError, match="no control unit"):
        vk.sdid(df, se="none", **ARGS)


def test_constant_controls_error_and_constant_donor_warning():
    df = PROP99.copy()
    df.loc[df.State != "California", "PacksPerCapita"] = 100.0
    with pytest.raises(SynthError, match="constant"):
        vk.sdid(df, se="none", **ARGS)
    df = PROP99.copy()
    df.loc[df.State == "Utah", "PacksPerCapita"] = 70.0
    with pytest.warns(vk.VirkningWarning, match="constant outcome: Utah"):
        vk.sdid(df, se="none", **ARGS)


def test_bad_options():
    with pytest.raises(UnknownChoiceError):
        vk.sdid(PROP99, method="synth", **ARGS)
    with pytest.raises(ColumnNotFoundError):
        vk.sdid(PROP99, outcome="packs", unit="State", time="Year", treatment="treated")


# -- simulation ---------------------------------------------------------------------------------
def _factor_panel(rng, n=40, t=30, n_tr=5, t0=20, effect=3.0):
    a = rng.normal(size=n)[:, None]
    f = np.cumsum(rng.normal(size=t))[None, :]
    load = rng.uniform(0.5, 1.5, size=n)[:, None]
    y = 5 + a + load * f + rng.normal(scale=0.5, size=(n, t))
    d = np.zeros((n, t), int)
    d[n - n_tr:, t0:] = 1
    y = y + effect * d
    return pd.DataFrame({"unit": np.repeat(np.arange(n), t), "year": np.tile(np.arange(2000, 2000 + t), n),
                         "y": y.ravel(), "d": d.ravel()})


def test_recovers_a_known_effect_and_covers():
    rng = np.random.default_rng(7)
    cover, est = 0, []
    for _ in range(20):
        df = _factor_panel(rng)
        fit = vk.sdid(df, outcome="y", unit="unit", time="year", treatment="d", bootstrap=vk.Bootstrap(reps=50, seed=3))
        est.append(fit.att)
        lo, hi = fit.confint()["ATT"]
        cover += lo <= 3.0 <= hi
    assert abs(np.mean(est) - 3.0) < 0.15
    assert cover >= 16
