"""The ``bootstrap=`` option (wild cluster bootstrap) of the event studies: each event time's bootstrap p-value and
interval equal ``feols(...).wildboot`` of the same combination of the same model and seed;
full enumeration is seed-free; the result surface; bad options."""

from __future__ import annotations

import math

import pandas as pd
import polars as pl
import pytest

import virkning as vk
from virkning.exceptions import InvalidParameterError, UnknownChoiceError

ROLES = dict(outcome="lemp", unit="countyreal", time="year", cohort="first_treat")
BOOT_COLUMNS = ["boot_p_value", "boot_conf_low", "boot_conf_high"]


def _with_cells(df: pd.DataFrame, key) -> tuple[pd.DataFrame, dict]:
    """``cell``: the event-study dummy of each row as an integer code (0 for controls and event
    time -1), numbered in the estimator's order of ``key(cohort, event_time)`` so the design
    columns, and hence every floating-point sum, are the same; and the code of each key."""
    out = df.copy()
    e = out["year"] - out["first_treat"]
    treated = (out["first_treat"] > 0) & (e != -1)
    keys = [key(int(g), int(k)) if t else None for t, g, k in zip(treated, out["first_treat"], e)]
    code = {k: j + 1 for j, k in enumerate(sorted({k for k in keys if k is not None}))}
    out["cell"] = [0 if k is None else code[k] for k in keys]
    return out, code


def _row(tidy, e: int) -> dict:
    row = tidy[tidy["event_time"] == e]
    return {k: float(row[k].iloc[0]) for k in ["estimate", *BOOT_COLUMNS]}


def test_sun_abraham_bootstrap_equals_feols_wildboot(mpdta):
    boot = dict(reps=999, weights="webb", seed=3)
    res = vk.sun_abraham(mpdta, **ROLES, bootstrap=vk.Bootstrap(**boot))
    tidy = res.tidy()
    assert list(tidy.columns[-3:]) == BOOT_COLUMNS
    direct, code = _with_cells(mpdta, lambda g, e: (g, e))
    fit = vk.feols("lemp ~ i(cell, ref=0) | countyreal + year", direct, vcov={"CR1": "countyreal"})
    cells = res.cohort_effects()
    for e in (-3, 0, 2):
        combo = {f"cell::{code[(g, e)]}": w for g, w in zip(cells["cohort"][cells["event_time"] == e],
                                                   cells["weight"][cells["event_time"] == e])}
        wb = fit.wildboot(combo, bootstrap=vk.Bootstrap(**boot))
        ours = _row(tidy, e)
        assert ours["boot_p_value"] == wb.p_value, e
        assert (ours["boot_conf_low"], ours["boot_conf_high"]) == tuple(wb.conf_int), e
        assert ours["boot_conf_low"] < ours["estimate"] < ours["boot_conf_high"]


def test_twfe_event_study_bootstrap_equals_feols_wildboot_and_follows_polars(mpdta):
    boot = dict(reps=1999, seed=5, impose_null=False)
    res = vk.event_study(pl.from_pandas(mpdta), **ROLES, bootstrap=vk.Bootstrap(**boot))
    tidy = res.tidy()
    assert isinstance(tidy, pl.DataFrame)
    tidy = tidy.to_pandas()
    direct, code = _with_cells(mpdta, lambda g, e: e)
    fit = vk.feols("lemp ~ i(cell, ref=0) | countyreal + year", direct, vcov={"CR1": "countyreal"})
    for e in (-4, -2, 0, 3):
        wb = fit.wildboot(f"cell::{code[e]}", bootstrap=vk.Bootstrap(**boot))
        ours = _row(tidy, e)
        assert (ours["boot_p_value"], ours["boot_conf_low"], ours["boot_conf_high"]) == (wb.p_value, *wb.conf_int)
    # The options and seed are reported; summary and HTML show the bootstrap columns.
    assert res.params["wildboot"]["seed"] == 5 and res.params["wildboot"]["impose_null"] is False
    text = res.summary()
    assert "boot p" in text and "WCU11" in text and "seed 5" in text
    assert "boot low" in res._repr_html_()


def test_defaults_with_true_and_no_columns_without(mpdta):
    res = vk.event_study(mpdta, **ROLES, bootstrap=vk.Bootstrap())
    b = res.params["wildboot"]
    assert (b["reps"], b["weights"], b["impose_null"]) == (9999, "rademacher", True)
    assert isinstance(b["seed"], int)  # a fresh seed, reported so the run can be repeated
    again = vk.event_study(mpdta, **ROLES, bootstrap=vk.Bootstrap(seed=b["seed"]))
    assert again.tidy()["boot_p_value"].tolist() == res.tidy()["boot_p_value"].tolist()
    plain = vk.event_study(mpdta, **ROLES)
    assert not set(BOOT_COLUMNS) & set(plain.tidy().columns)
    assert "boot p" not in plain.summary()
    assert plain.tidy()["estimate"].tolist() == res.tidy()["estimate"].tolist()


@pytest.mark.filterwarnings("ignore::virkning.exceptions.SmallClusterWarning")
def test_few_clusters_are_enumerated_and_seed_free(mpdta):
    units = mpdta.groupby("first_treat")["countyreal"].unique().apply(lambda u: list(u[:3])).sum()
    small = mpdta[mpdta["countyreal"].isin(units)]
    a = vk.event_study(small, **ROLES, bootstrap=vk.Bootstrap(seed=1)).tidy()
    b = vk.event_study(small, **ROLES, bootstrap=vk.Bootstrap(seed=2, weights="Rademacher")).tidy()
    assert a[BOOT_COLUMNS].equals(b[BOOT_COLUMNS])
    # 12 clusters: 2^12 = 4096 sign vectors, so p-values are multiples of 1/4096.
    for p in a["boot_p_value"]:
        assert math.isclose(p * 4096, round(p * 4096), abs_tol=1e-9)


@pytest.mark.parametrize("fn", [vk.sun_abraham, vk.event_study])
def test_bad_bootstrap_options(mpdta, fn):
    with pytest.raises(InvalidParameterError, match="reps"):
        fn(mpdta, **ROLES, bootstrap=vk.Bootstrap(reps=0))
    with pytest.raises(InvalidParameterError, match="reps"):
        fn(mpdta, **ROLES, bootstrap=0)
    with pytest.raises(UnknownChoiceError, match="gaussian"):
        fn(mpdta, **ROLES, bootstrap=vk.Bootstrap(weights="gaussian"))
    with pytest.raises(TypeError, match="draws"):
        fn(mpdta, **ROLES, bootstrap=vk.Bootstrap(draws=99))
    with pytest.raises(InvalidParameterError, match="bootstrap"):
        fn(mpdta, **ROLES, bootstrap="webb")
    with pytest.raises(InvalidParameterError, match="seed"):
        fn(mpdta, **ROLES, bootstrap=vk.Bootstrap(seed=-1))
    with pytest.raises(InvalidParameterError, match="bootstrap_type|21"):
        fn(mpdta, **ROLES, bootstrap=vk.Bootstrap(bootstrap_type="21"))
