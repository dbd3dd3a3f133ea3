"""att_gt does not depend on how the rows arrive: every fast path (sorted integer panel, shared
covariate designs, id coding of text, categorical and large-integer ids) accepts and rejects
exactly what the general path does, with the same numbers. Property checks over seeded random
panels (shuffled copies, other id types), plus the collinear-covariate rule."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import polars as pl
import pytest

import virkning as vk
from virkning import exceptions as exc

ROLES = dict(outcome="y", unit="id", time="t", cohort="g")


def panel(seed: int, n: int = 60, periods=range(1, 7), k: int = 1, negative: bool = False) -> pd.DataFrame:
    """A random balanced panel sorted by unit and period: cohorts among the periods (or 0),
    ``k`` time-invariant covariates, outcome with unit effects and a treatment effect."""
    rng = np.random.default_rng(seed)
    periods = np.asarray(list(periods))
    T = len(periods)
    choices = np.concatenate([[0], periods[2:]])
    g = rng.choice(choices, n)
    if negative:
        g[rng.integers(0, n)] = -periods[-1] if periods[-1] > 0 else periods[2]
    unit = np.repeat(np.arange(1, n + 1), T)
    t = np.tile(periods, n)
    gg = np.repeat(g, T)
    x = rng.normal(size=(n, max(k, 1)))
    y = rng.normal(size=n)[unit - 1] + 0.1 * t + np.where((gg > 0) & (t >= gg), 0.5, 0) + rng.normal(size=n * T)
    cols = {"id": unit, "t": t, "g": gg, "y": y + (0.3 * x[unit - 1, 0] if k else 0)}
    cols.update({f"x{j}": x[unit - 1, j] for j in range(k)})
    return pd.DataFrame(cols)


def outcome(df: pd.DataFrame, **kw):
    """(estimates and standard errors of the cells and of the dynamic aggregation) or the error type."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            fit = vk.att_gt(df, **ROLES, **kw)
            agg = fit.aggregate("dynamic")
    except vk.VirkningError as e:
        return type(e)
    t = fit.tidy()
    a = agg.tidy()
    return np.concatenate([t["estimate"], t["std_error"], a["estimate"], a["std_error"]])


def same(a, b) -> bool:
    if isinstance(a, type) or isinstance(b, type):
        return a is b
    return a.shape == b.shape and np.allclose(a, b, rtol=1e-10, atol=1e-12, equal_nan=True)


def shuffled(df: pd.DataFrame, seed: int) -> pd.DataFrame:
    return df.iloc[np.random.default_rng(seed).permutation(len(df))].reset_index(drop=True)


@pytest.mark.parametrize("seed", range(12))
def test_shuffled_rows_give_the_same_results_and_errors(seed):
    rng = np.random.default_rng(100 + seed)
    k = int(rng.integers(0, 3))
    # Periods may start at or below 0 and cohorts may be negative: the sorted path must
    # reject exactly what the general path rejects.
    start = int(rng.choice([1, -3, 0, 2001]))
    df = panel(seed, k=k, periods=range(start, start + 6), negative=bool(rng.random() < 0.4))
    kw = dict(covariates=[f"x{j}" for j in range(k)] or None,
              method=str(rng.choice(["dr", "ipw", "reg"])),
              control_group=str(rng.choice(["never_treated", "not_yet_treated"])))
    want = outcome(df, **kw)
    for s in range(3):
        assert same(outcome(shuffled(df, s), **kw), want), (seed, s, kw)


def test_negative_cohort_is_rejected_in_any_row_order():
    # Periods -3..2: a cohort -1 lies among the periods, but a cohort is a positive period.
    df = panel(1, periods=range(-3, 3), k=0)
    df.loc[df["id"] == 5, "g"] = -1
    for d in (df, shuffled(df, 0)):
        with pytest.raises(exc.DataError):
            vk.att_gt(d, **ROLES)


@pytest.mark.parametrize("seed", range(4))
def test_id_types_give_the_same_results(seed):
    df = panel(seed, k=1)
    want = outcome(df, covariates=["x0"])
    text = df.assign(id="unit " + df["id"].astype(str))
    big = df.assign(id=df["id"] * 1_000_000_007 + 10**15)
    variants = [
        text,
        shuffled(text, seed),
        text.assign(id=text["id"].astype("category")),
        text.assign(id=text["id"].astype(object)),
        shuffled(big, seed),
        pl.from_pandas(shuffled(text, seed + 1)),
        pl.from_pandas(text).with_columns(pl.col("id").cast(pl.Categorical)),
    ]
    for d in variants:
        assert same(outcome(d, covariates=["x0"]), want)


def test_text_ids_with_missing_values_are_an_error_in_any_order():
    df = panel(0, k=0).assign(id=lambda d: "u" + d["id"].astype(str))
    df.loc[3, "id"] = None
    for d in (df, shuffled(df, 1), pl.from_pandas(df)):
        with pytest.raises(exc.DataError, match="missing"):
            vk.att_gt(d, **ROLES)


@pytest.mark.parametrize("method", ["dr", "ipw", "reg"])
def test_duplicated_or_constant_covariate_is_dropped_and_reported(method):
    df = panel(3, n=120, k=1)
    ref = vk.att_gt(df, **ROLES, covariates=["x0"], method=method)
    for extra in (df["x0"], 0 * df["x0"] + 2.5, 2 * df["x0"] - 1):
        d = df.assign(z=extra)
        with pytest.warns(exc.CollinearityWarning, match="z"):
            fit = vk.att_gt(d, **ROLES, covariates=["x0", "z"], method=method)
        assert np.isfinite(fit.tidy()["estimate"]).all()
        np.testing.assert_allclose(fit.tidy()["estimate"], ref.tidy()["estimate"], rtol=1e-9, atol=1e-12)
        np.testing.assert_allclose(fit.tidy()["std_error"], ref.tidy()["std_error"], rtol=1e-9, atol=1e-12)
    # Only a constant covariate: dropped, the unconditional estimates remain.
    with pytest.warns(exc.CollinearityWarning):
        fit = vk.att_gt(df.assign(z=1.0), **ROLES, covariates=["z"], method=method)
    np.testing.assert_allclose(fit.tidy()["estimate"], vk.att_gt(df, **ROLES, method=method).tidy()["estimate"],
                               rtol=1e-9, atol=1e-12)


def test_shared_designs_equal_one_design_per_cell():
    """Time-invariant covariates share one design per cohort; time-varying ones do not. A panel
    whose covariate varies by a tiny amount in one row takes the per-period designs: the
    estimates must agree with the shared ones to the size of that change."""
    df = panel(7, n=200, k=2)
    shared = outcome(df, covariates=["x0", "x1"])
    d = df.copy()
    d.loc[d.index[-1], "x1"] += 1e-13
    varying = outcome(d, covariates=["x0", "x1"])
    np.testing.assert_allclose(varying, shared, rtol=1e-8, atol=1e-10)
