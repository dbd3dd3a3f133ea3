"""Issue 16 items 5, 6 and 10 from Python: options that size an allocation or a thread pool are
refused up front with a specific error (nothing allocated, nothing run long), long Rust loops
stop on Ctrl-C (a KeyboardInterrupt raised in the main thread after a short delay), and wild
bootstrap intervals that are unbounded say so."""

from __future__ import annotations

import _thread
import threading
import time
import warnings

import numpy as np
import pandas as pd
import pytest

import virkning as vk
from virkning.exceptions import IdentificationError, InvalidParameterError, VirkningWarning

from conftest import FIXTURES

FRAME = ["unemployment_rate", "share_women", "share_short_education"]


def clustered(g: int, per: int = 20, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    c = np.repeat(np.arange(g), per)
    x = rng.normal(size=g * per) + rng.normal(size=g)[c]
    y = 0.9 * x + rng.normal(size=g * per) + rng.normal(size=g)[c]
    return pd.DataFrame({"y": y, "x": x, "g": c})


def memory_error(excinfo, option: str) -> None:
    msg = str(excinfo.value)
    assert f"`{option}`" in msg and "would need" in msg and "VIRKNING_MEMORY_LIMIT" in msg, msg


def quiet(f, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        return f(*args, **kwargs)


# --- Up-front bounds: each raises at once, before allocating --------------------------------

def test_att_gt_and_aggregate_bootstrap_beyond_the_memory_limit(mpdta):
    args = dict(outcome="lemp", unit="countyreal", time="year", cohort="first_treat")
    t0 = time.monotonic()
    with pytest.raises(InvalidParameterError) as e:
        vk.att_gt(mpdta, bootstrap=10**8, **args)
    memory_error(e, "bootstrap")
    fit = vk.att_gt(mpdta, **args)
    with pytest.raises(InvalidParameterError) as e:
        fit.aggregate("dynamic", bootstrap=10**8)
    memory_error(e, "bootstrap")
    assert time.monotonic() - t0 < 30


def test_benchmark_n_sim_beyond_the_memory_limit():
    df = pd.read_csv(FIXTURES / "data" / "municipalities_2020.csv")
    with pytest.raises(InvalidParameterError) as e:
        vk.benchmark(df, outcome="employment_rate", unit="municipality", frame_conditions=FRAME,
                     size="refugees", n_sim=10**8, seed=1)
    memory_error(e, "n_sim")


def test_wildboot_ritest_and_sdid_reps_beyond_the_memory_limit(mpdta):
    fit = quiet(vk.feols, "y ~ x", clustered(30), vcov={"CR1": "g"})
    with pytest.raises(InvalidParameterError) as e:
        fit.wildboot("x", reps=10**12, weights="webb")
    memory_error(e, "reps")
    did = vk.att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first_treat")
    with pytest.raises(InvalidParameterError) as e:
        did.ritest(reps=10**12)
    memory_error(e, "reps")
    prop99 = pd.read_csv(FIXTURES / "data" / "california_prop99.csv")
    with pytest.raises(InvalidParameterError) as e:
        vk.sdid(prop99, outcome="PacksPerCapita", unit="State", time="Year", treated="treated", reps=10**12)
    memory_error(e, "reps")


def test_did_imputation_pretrends_bounded_by_the_data(mpdta):
    args = dict(outcome="lemp", unit="countyreal", time="year", cohort="first_treat")
    # The earliest pre-treatment event time: the latest cohort in the first year.
    most = int((mpdta.loc[mpdta.first_treat > 0, "first_treat"] - mpdta.year.min()).max())
    t0 = time.monotonic()
    for k in (most + 1, 100_000, 10**7):
        with pytest.raises(InvalidParameterError, match=rf"pretrends.*at most {most}$"):
            vk.did_imputation(mpdta, pretrends=k, **args)
    assert time.monotonic() - t0 < 10
    # As many lags as the earliest pre-period cover every untreated period of the treated
    # units (not identified: rel-did's check); one fewer runs.
    with pytest.raises(IdentificationError, match="fewer pretrends"):
        vk.did_imputation(mpdta, pretrends=most, **args)
    fit = vk.did_imputation(mpdta, pretrends=most - 1, **args)
    assert fit is not None


@pytest.mark.parametrize("threads", [0, 2000, 10**6])
def test_power_threads_bounded(threads):
    t0 = time.monotonic()
    with pytest.raises(InvalidParameterError, match="threads"):
        vk.power(0.03, reps=20, threads=threads, mde="none", seed=1)
    assert time.monotonic() - t0 < 5


def test_power_threads_within_bounds_runs_capped_at_the_machine():
    t0 = time.monotonic()
    a = vk.power(0.03, reps=20, threads=1024, mde="none", seed=1)
    assert time.monotonic() - t0 < 20
    b = vk.power(0.03, reps=20, threads=1, mde="none", seed=1)
    pd.testing.assert_frame_equal(a.draws(), b.draws())


# --- Ctrl-C: a KeyboardInterrupt in the main thread after 0.3 s stops the run ---------------

def interrupted(run) -> float:
    timer = threading.Timer(0.3, _thread.interrupt_main)
    t0 = time.monotonic()
    timer.start()
    try:
        with pytest.raises(KeyboardInterrupt):
            run()
    finally:
        timer.cancel()
    return time.monotonic() - t0


def test_ctrl_c_stops_wildboot():
    fit = quiet(vk.feols, "y ~ x", clustered(60), vcov={"CR1": "g"})
    assert interrupted(lambda: fit.wildboot("x", reps=20_000_000, weights="webb", seed=1)) < 10
    # The next call runs normally (the interrupt was cleared).
    assert 0 <= fit.wildboot("x", reps=99, seed=1).p_value <= 1


def test_ctrl_c_stops_ritest(mpdta):
    did = vk.att_gt(mpdta, outcome="lemp", unit="countyreal", time="year", cohort="first_treat")
    assert interrupted(lambda: did.ritest(reps=10**6, seed=1)) < 10


def test_ctrl_c_stops_sdid_placebo_replicates():
    prop99 = pd.read_csv(FIXTURES / "data" / "california_prop99.csv")
    run = lambda: vk.sdid(prop99, outcome="PacksPerCapita", unit="State", time="Year",  # noqa: E731
                          treated="treated", reps=10**6, seed=1)
    assert interrupted(run) < 10


# --- Wild bootstrap intervals at the edges ---------------------------------------------------

def test_three_cluster_interval_is_unbounded_with_a_warning():
    fit = quiet(vk.feols, "y ~ x", clustered(3, per=40), vcov={"CR1": "g"})
    with pytest.warns(VirkningWarning, match="unbounded"):
        wb = fit.wildboot("x", reps=999, seed=1)
    assert wb.p_value >= 0.25 and wb.reps == 8
    assert wb.conf_int == (-np.inf, np.inf)
    row = wb.tidy()
    assert np.isneginf(row["conf_low"].iloc[0]) and np.isposinf(row["conf_high"].iloc[0])


@pytest.mark.parametrize("bootstrap_type", ["11", "31"])
@pytest.mark.parametrize("impose_null", [True, False])
def test_wildboot_interval_is_scale_invariant(bootstrap_type, impose_null):
    d = clustered(12, per=30, seed=3)
    kw = dict(reps=999, seed=1, bootstrap_type=bootstrap_type, impose_null=impose_null)
    base = quiet(vk.feols, "y ~ x", d, vcov={"CR1": "g"}).wildboot("x", **kw)
    for s in (1e-10, 1e10, 1e100):
        scaled = d.assign(x=d["x"] * s)
        wb = quiet(vk.feols, "y ~ x", scaled, vcov={"CR1": "g"}).wildboot("x", **kw)
        assert wb.p_value == base.p_value
        np.testing.assert_allclose(np.array(wb.conf_int) * s, base.conf_int, rtol=1e-8)


def test_estimators_called_from_power_callbacks_run_inline():
    # The callbacks run on Rust's pool threads; an interruptible call made there runs inline
    # (a job spawned onto a pool whose workers all wait in such calls would never start).
    def fit(df):
        r = vk.sdid(df, outcome="outcome", unit="unit", time="period", treated="treated", se="none")
        return (r.att, 0.1)

    t0 = time.monotonic()
    res = vk.power(0.03, estimator=fit, reps=6, threads=2, mde="none", seed=1)
    assert len(res.draws()) == 6 and time.monotonic() - t0 < 60
