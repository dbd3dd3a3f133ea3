"""Issue 15's one vocabulary: every old keyword still works for one release, warns with a
``DeprecationWarning`` that names the new one, and gives the same numbers as the new spelling;
the standard roles where a function had its own; ``vk.Bootstrap`` validation; warning classes
from the Rust mapping of diagnostic codes."""

from __future__ import annotations

import warnings

import numpy as np
import pandas as pd
import pytest

import virkning as vk
from virkning import _core
from virkning import exceptions as exc

from conftest import FIXTURES

ROLES = dict(outcome="lemp", unit="countyreal", time="year", cohort="first_treat")
PROP99 = pd.read_csv(FIXTURES / "data" / "california_prop99.csv")
SDID = dict(outcome="PacksPerCapita", unit="State", time="Year")


def _old(new_name: str, call):
    """Run ``call`` expecting exactly the deprecation warnings it raises to name ``new_name``."""
    with pytest.warns(DeprecationWarning, match=new_name) as record:
        out = call()
    assert all(new_name in str(w.message) for w in record if w.category is DeprecationWarning)
    return out


def _new(call):
    """Run ``call`` and check the new spelling raises no DeprecationWarning."""
    with warnings.catch_warnings():
        warnings.simplefilter("error", DeprecationWarning)
        return call()


def _same(a, b) -> None:
    pd.testing.assert_frame_equal(a.tidy(), b.tidy())


def test_att_gt_bootstrap_weights_and_seed(mpdta):
    old = _old("Bootstrap", lambda: vk.att_gt(mpdta, **ROLES, bootstrap=100, seed=4, bootstrap_weights="rademacher"))
    new = _new(lambda: vk.att_gt(mpdta, **ROLES, bootstrap=vk.Bootstrap(reps=100, seed=4, weights="rademacher")))
    _same(old, new)
    _same(old.aggregate("dynamic"), new.aggregate("dynamic"))
    agg_old = _old("Bootstrap", lambda: new.aggregate("group", bootstrap=100, seed=2, bootstrap_weights="mammen"))
    agg_new = _new(lambda: new.aggregate("group", bootstrap=vk.Bootstrap(reps=100, seed=2, weights="mammen")))
    _same(agg_old, agg_new)


@pytest.mark.parametrize("fn", [vk.sun_abraham, vk.event_study])
def test_event_study_wildboot(mpdta, fn):
    old = _old("bootstrap=", lambda: fn(mpdta, **ROLES, wildboot=dict(reps=99, weights="webb", seed=1)))
    new = _new(lambda: fn(mpdta, **ROLES, bootstrap=vk.Bootstrap(reps=99, weights="webb", seed=1)))
    _same(old, new)
    assert old.params["wildboot"] == new.params["wildboot"]
    # `True` (the defaults) and a plain number of draws.
    assert _old("bootstrap=", lambda: fn(mpdta, **ROLES, wildboot=True)).params["wildboot"]["reps"] == 9999
    assert _new(lambda: fn(mpdta, **ROLES, bootstrap=199)).params["wildboot"]["reps"] == 199
    with pytest.raises(exc.InvalidParameterError, match="bootstrap= only"), pytest.warns(DeprecationWarning):
        fn(mpdta, **ROLES, wildboot=True, bootstrap=99)


def test_sdid_treated_reps_and_seed():
    df = PROP99
    old = _old("treatment=", lambda: vk.sdid(df, **SDID, treated="treated", se="none"))
    new = _new(lambda: vk.sdid(df, **SDID, treatment="treated", se="none"))
    _same(old, new)
    with pytest.warns(DeprecationWarning, match="Bootstrap") as record:
        old = vk.sdid(df, **SDID, treatment="treated", reps=20, seed=3)
    assert len(record) == 2  # reps= and seed=
    new = _new(lambda: vk.sdid(df, **SDID, treatment="treated", bootstrap=vk.Bootstrap(reps=20, seed=3)))
    _same(old, new)
    assert old.std_error == new.std_error


def test_sdid_takes_a_cohort_column():
    start = PROP99.loc[PROP99["treated"] == 1].groupby("State")["Year"].min()
    df = PROP99.assign(cohort=PROP99["State"].map(start).fillna(0))
    by_cohort = _new(lambda: vk.sdid(df, **SDID, cohort="cohort", se="none"))
    by_treatment = vk.sdid(df, **SDID, treatment="treated", se="none")
    assert by_cohort.tidy()["estimate"].tolist() == by_treatment.tidy()["estimate"].tolist()
    with pytest.raises(exc.InvalidParameterError, match="exactly one"):
        vk.sdid(df, **SDID, cohort="cohort", treatment="treated")


def test_synthetic_control_takes_the_standard_roles():
    short = vk.synthetic_control(PROP99, **SDID, treated_unit="California", treatment_start=1989, placebo=False)
    roles = _new(lambda: vk.synthetic_control(PROP99, **SDID, treatment="treated", placebo=False))
    assert roles.att == short.att
    pd.testing.assert_frame_equal(roles.weights, short.weights)
    cohort = PROP99.assign(g=np.where(PROP99["State"] == "California", 1989, 0))
    assert vk.synthetic_control(cohort, **SDID, cohort="g", placebo=False).att == short.att
    two = PROP99.assign(d=PROP99["State"].isin(["California", "Utah"]) & (PROP99["Year"] >= 1989))
    with pytest.raises(exc.InvalidParameterError, match="exactly one treated unit, found 2"):
        vk.synthetic_control(two, **SDID, treatment="d")
    with pytest.raises(exc.InvalidParameterError, match="not both"):
        vk.synthetic_control(PROP99, **SDID, treatment="treated", treated_unit="California")


def test_benchmark_level_n_sim_and_clusters():
    panel = vk.datasets.municipalities()
    data = panel[panel["year"] == 2020]
    args = dict(outcome="employment_rate", unit="municipality", frame_conditions=["unemployment_rate"],
                size="refugees", seed=5)
    with pytest.warns(DeprecationWarning) as record:
        old = vk.benchmark(data, **args, level=0.8, n_sim=200, clusters=2, cluster_method="kmeans", cluster_seeds=3)
    said = " ".join(str(w.message) for w in record)
    for new_name in ("alpha=", "bootstrap=", "n_groups=", "group_method=", "group_seeds="):
        assert new_name in said, new_name
    new = _new(lambda: vk.benchmark(data, **args, alpha=0.2, bootstrap=200, n_groups=2, group_method="kmeans",
                                    group_seeds=3))
    _same(old, new)
    assert old.to_dict() == new.to_dict()
    seeded = _new(lambda: vk.benchmark(data, **{**args, "seed": None}, bootstrap=vk.Bootstrap(reps=200, seed=5)))
    _same(seeded, vk.benchmark(data, **args, bootstrap=200))


def test_power_treated_twfe_and_sdid_reps():
    kw = dict(reps=20, seed=3, mde="none", progress=False)
    old = _old("n_treated=", lambda: vk.power(0.02, treated=12, **kw))
    new = _new(lambda: vk.power(0.02, n_treated=12, **kw))
    _same(old, new)
    old = _old("static_twfe", lambda: vk.power(0.02, estimator="twfe", **kw))
    new = _new(lambda: vk.power(0.02, estimator="static_twfe", **kw))
    _same(old, new)
    sd = dict(estimator="sdid", sdid_se="placebo", n_units=30, n_treated=4, reps=2, seed=3, mde="none", progress=False)
    old = _old("sdid_bootstrap=", lambda: vk.power(0.02, sdid_reps=10, **sd))
    new = _new(lambda: vk.power(0.02, sdid_bootstrap=10, **sd))
    _same(old, new)
    frame_old = _old("n_treated=", lambda: vk.simulate_panel(treated=5, seed=2))
    pd.testing.assert_frame_equal(frame_old, _new(lambda: vk.simulate_panel(n_treated=5, seed=2)))


@pytest.mark.parametrize("via_method", [True, False])
def test_wildboot_reps_weights_seed_impose_null_bootstrap_type(mpdta, via_method):
    fit = vk.feols("lemp ~ treat | countyreal + year", mpdta.assign(
        treat=((mpdta["first_treat"] > 0) & (mpdta["year"] >= mpdta["first_treat"])).astype(int)),
        vcov={"CR1": "countyreal"})
    run = fit.wildboot if via_method else (lambda *a, **k: vk.wildboot(fit, *a, **k))
    old_kw = dict(reps=199, weights="webb", seed=7, impose_null=False, bootstrap_type="31")
    with pytest.warns(DeprecationWarning) as record:
        old = run("treat", **old_kw)
    assert len(record) == 5 and all("Bootstrap(" in str(w.message) for w in record)
    assert all(w.filename == __file__ for w in record)  # points at the caller
    new = _new(lambda: run("treat", bootstrap=vk.Bootstrap(**old_kw)))
    assert (old.p_value, old.conf_int) == (new.p_value, new.conf_int)
    assert np.array_equal(old.t_boot(), new.t_boot())
    with pytest.raises(exc.InvalidParameterError, match="twice"), pytest.warns(DeprecationWarning):
        run("treat", bootstrap=vk.Bootstrap(reps=99), reps=99)


def test_unknown_keywords_are_still_type_errors(mpdta):
    with pytest.raises(TypeError, match="boostrap"):
        vk.att_gt(mpdta, **ROLES, boostrap=9)
    with pytest.raises(TypeError, match="treatd"):
        vk.sdid(PROP99, **SDID, treatd="treated")


def test_bootstrap_options_are_validated():
    assert vk.Bootstrap(reps=9, seed=1).to_dict() == {"reps": 9, "seed": 1}
    for bad in (dict(reps=0), dict(reps=True), dict(reps=1.5), dict(seed=-1), dict(weights=1),
                dict(impose_null="no")):
        with pytest.raises(exc.InvalidParameterError):
            vk.Bootstrap(**bad)
    with pytest.raises(exc.InvalidParameterError, match="wild cluster bootstrap only"):
        vk.att_gt(pd.DataFrame(), **ROLES, bootstrap=vk.Bootstrap(reps=9, impose_null=False))
    with pytest.raises(exc.InvalidParameterError, match="bootstrap"):
        vk.sdid(PROP99, **SDID, treatment="treated", bootstrap=True)


def test_warning_classes_come_from_the_rust_mapping():
    expected = {
        "convergence": exc.ConvergenceWarning, "collinearity": exc.CollinearityWarning,
        "small_clusters": exc.SmallClusterWarning, "overlap": exc.OverlapWarning,
        "vcov_not_psd": exc.InferenceWarning, "boundary": exc.BoundaryWarning,
        "not_imputable": exc.IdentificationWarning, "zero_size": exc.DataWarning,
        "poor_fit": exc.FitWarning, "twfe_staggered": exc.SimulationWarning,
    }
    for code, cls in expected.items():
        assert _core.warning_class(code) is cls, code
        assert issubclass(cls, exc.VirkningWarning)
    assert _core.warning_class("no_such_code") is exc.VirkningWarning


def test_a_result_warns_with_its_mapped_class():
    # Without `size` the benchmark warns `no_size`: a DataWarning (a VirkningWarning).
    panel = vk.datasets.municipalities()
    with pytest.warns(exc.DataWarning, match="without `size`"):
        vk.benchmark(panel[panel["year"] == 2020], outcome="employment_rate", unit="municipality",
                     frame_conditions=["unemployment_rate"], model="linear", bootstrap=100, seed=1)
