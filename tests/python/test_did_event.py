"""The event-study family (Bacon, Sun-Abraham, TWFE event study, imputation) against the
shared fixture tests/fixtures/did_event_peers.json, plus bad input and recovery on the
bundled panel."""

from __future__ import annotations

import json
import warnings
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


# -- Sun-Abraham, TWFE event study, imputation against the peers -------------------------------
def _check_event_times(res, reference: dict, pre_se_rtol: float | None = None) -> None:
    tidy = res.tidy()
    got = {int(e): (est, se) for e, est, se in zip(tidy["event_time"], tidy["estimate"], tidy["std_error"])}
    assert set(got) == {int(e) for e in reference}
    for e, v in reference.items():
        est, se = got[int(e)]
        assert _rel(est, v["estimate"]) < 1e-6, e
        tol = pre_se_rtol if (pre_se_rtol and int(e) < 0) else 1e-6
        assert _rel(se, v["std_error"]) < tol, e


ROLES = {"outcome": "lemp", "unit": "countyreal", "time": "year", "cohort": "first_treat"}


def test_sun_abraham_equals_pyfixest_saturated(mpdta):
    case = PEERS["sun_abraham"]["mpdta"]
    res = vk.sun_abraham(mpdta, **ROLES)
    _check_event_times(res, case["event_time"])
    assert _rel(res.att["estimate"], case["att"]["estimate"]) < 1e-6
    assert _rel(res.att["std_error"], case["att"]["std_error"]) < 1e-6
    cells = res.cohort_effects()
    assert len(cells) == len(case["cells"])
    for g, e, est, se in zip(cells["cohort"], cells["event_time"], cells["estimate"], cells["std_error"]):
        ref = case["cells"][f"{g}:{e}"]
        assert _rel(est, ref["estimate"]) < 1e-6 and _rel(se, ref["std_error"]) < 1e-6
    assert set(res.tidy()["band"]) == {"pointwise"}
    assert res.vcov().shape == (4, 4)  # event times 0..3


def test_twfe_event_study_equals_pyfixest(mpdta):
    _check_event_times(vk.event_study(mpdta, **ROLES), PEERS["twfe_event_study"]["mpdta"]["event_time"])


def test_twfe_event_study_matches_the_feols_recipe(mpdta):
    d = mpdta.assign(rel=np.where(mpdta["first_treat"] > 0, mpdta["year"] - mpdta["first_treat"], -1))
    recipe = vk.feols("lemp ~ i(rel, ref=-1) | countyreal + year", d).tidy()
    es = vk.event_study(mpdta, **ROLES).tidy()
    assert np.allclose(recipe["estimate"], es["estimate"], rtol=1e-10)
    assert np.allclose(recipe["std_error"], es["std_error"], rtol=1e-10)


def test_imputation_equals_did_imputation(mpdta):
    case = PEERS["imputation"]["mpdta"]
    with pytest.warns(exc.SmallClusterWarning, match="fewer than 30"):
        res = vk.did_imputation(mpdta, **ROLES, pretrends=case["pretrends"])
    _check_event_times(res, case["event_time"], pre_se_rtol=5e-4)
    assert _rel(res.att["estimate"], case["att"]["estimate"]) < 1e-6
    assert _rel(res.att["std_error"], case["att"]["std_error"]) < 1e-6
    assert res.pretrend["df"] == 3 and 0 < res.pretrend["p_value"] < 1
    assert "Pre-trend test" in res.summary()


def test_imputation_horizons_subset_and_polars(mpdta):
    pl = pytest.importorskip("polars")
    res = vk.did_imputation(pl.from_pandas(mpdta), **ROLES, horizons=[0, 1])
    tidy = res.tidy()
    assert isinstance(tidy, pl.DataFrame) and tidy["event_time"].to_list() == [0, 1]
    ref = PEERS["imputation"]["mpdta"]["event_time"]
    assert _rel(tidy["estimate"][1], ref["1"]["estimate"]) < 1e-6


# -- bad input ---------------------------------------------------------------------------------
def test_bad_horizons_and_alpha_are_parameter_errors(mpdta):
    with pytest.raises(exc.InvalidParameterError, match="horizons"):
        vk.did_imputation(mpdta, **ROLES, horizons=[-1])
    with pytest.raises(exc.InvalidParameterError, match="alpha"):
        vk.sun_abraham(mpdta, **ROLES, alpha=1.5)
    with pytest.raises(exc.InvalidParameterError, match="reference"):
        vk.event_study(mpdta, **ROLES, reference=-5, min_event_time=-3)


def test_unknown_option_is_rejected(mpdta):
    with pytest.raises(TypeError):
        vk.sun_abraham(mpdta, **ROLES, control_group="never_treated")


def test_non_numeric_outcome_and_missing_column(mpdta):
    d = mpdta.assign(name="x")
    with pytest.raises(exc.NonNumericError, match="outcome"):
        vk.sun_abraham(d, **{**ROLES, "outcome": "name"})
    with pytest.raises(exc.ColumnNotFoundError, match="`nope`"):
        vk.did_imputation(mpdta, **{**ROLES, "cohort": "nope"})


def test_no_never_treated_uses_the_last_cohort_as_control(mpdta):
    d = mpdta[mpdta["first_treat"] > 0]
    with pytest.warns(exc.VirkningWarning, match="last treated"):
        res = vk.sun_abraham(d, **ROLES)
    assert res.control.startswith("last_treated")
    assert res.tidy()["event_time"].max() < 3  # periods from 2007 on are dropped


def test_first_period_treated_units_are_dropped_and_reported(mpdta):
    d = mpdta.copy()
    first = d["countyreal"].isin(d["countyreal"].unique()[:3])
    d.loc[first, "first_treat"] = 2003
    res = vk.sun_abraham(d, **ROLES)
    assert "3 unit(s) treated in the first period" in res.summary()
    assert res.n_units == 497
    with pytest.warns(exc.SmallClusterWarning):
        imp = vk.did_imputation(d, **ROLES)
    assert "treated in the first period" in imp.summary()


def test_only_never_treated_is_an_identification_error(mpdta):
    d = mpdta.assign(g=0)
    for f in (vk.sun_abraham, vk.event_study, vk.did_imputation):
        with pytest.raises(exc.IdentificationError):
            f(d, **{**ROLES, "cohort": "g"})


def test_event_study_inputs_are_not_modified(mpdta):
    before = mpdta.copy()
    vk.sun_abraham(mpdta, **ROLES)
    with pytest.warns(exc.SmallClusterWarning):
        vk.did_imputation(mpdta, **ROLES, pretrends=2)
    pd.testing.assert_frame_equal(mpdta, before)


def test_treatment_column_gives_the_same_estimates_as_the_cohort(mpdta):
    d = mpdta.assign(D=((mpdta["first_treat"] > 0) & (mpdta["year"] >= mpdta["first_treat"])).astype(int))
    timing = {k: v for k, v in ROLES.items() if k != "cohort"}
    for f in (vk.sun_abraham, vk.event_study):
        a, b = f(mpdta, **ROLES).tidy(), f(d, **timing, treatment="D").tidy()
        assert np.allclose(a["estimate"], b["estimate"], rtol=1e-12) and np.allclose(a["std_error"], b["std_error"], rtol=1e-12)
    with pytest.warns(exc.SmallClusterWarning):
        a, b = vk.did_imputation(mpdta, **ROLES).att, vk.did_imputation(d, **timing, treatment="D").att
    assert _rel(a["estimate"], b["estimate"]) < 1e-12
    res = vk.bacon(d, **timing, treatment="D")
    assert _rel(res.twfe_estimate, vk.bacon(mpdta, **ROLES).twfe_estimate) < 1e-12
    assert "treatment D" in res.summary()


def test_treatment_that_switches_off_is_an_error(mpdta):
    d = mpdta.assign(D=((mpdta["first_treat"] > 0) & (mpdta["year"] >= mpdta["first_treat"])).astype(int))
    treated = d.index[(d["first_treat"] == 2004) & (d["year"] == 2006)][0]
    d.loc[treated, "D"] = 0
    timing = {k: v for k, v in ROLES.items() if k != "cohort"}
    for f in (vk.sun_abraham, vk.event_study, vk.did_imputation, vk.bacon):
        with pytest.raises(exc.DataError, match="switches off .* in year = 2006"):
            f(d, **timing, treatment="D")


def test_cohort_and_treatment_together_or_neither_are_parameter_errors(mpdta):
    d = mpdta.assign(D=0)
    timing = {k: v for k, v in ROLES.items() if k != "cohort"}
    for f in (vk.sun_abraham, vk.event_study, vk.did_imputation, vk.bacon):
        with pytest.raises(exc.InvalidParameterError, match="not both"):
            f(d, **ROLES, treatment="D")
        with pytest.raises(exc.InvalidParameterError, match="`cohort`.*or `treatment`"):
            f(d, **timing)


def test_cohort_changing_within_a_unit_is_an_error_for_every_estimator(mpdta):
    d = mpdta.copy()
    d.loc[d.index[1], "first_treat"] = 2006
    for f in (vk.sun_abraham, vk.event_study, vk.did_imputation):
        with pytest.raises(exc.DataError, match="changes within countyreal"):
            f(d, **ROLES)


def test_single_unit_cohort_warns_and_reports_no_cell_standard_error(mpdta):
    d = mpdta.copy()
    keep = d.loc[d["first_treat"] == 2004, "countyreal"].iloc[0]
    d.loc[(d["first_treat"] == 2004) & (d["countyreal"] != keep), "first_treat"] = 0
    with pytest.warns(exc.SmallClusterWarning, match="cohort\\(s\\) 2004 of `first_treat` have a single unit"):
        sa = vk.sun_abraham(d, **ROLES)
    cells = sa.cohort_effects()
    one = cells[cells["cohort"] == 2004]
    assert len(one) == 4 and one["std_error"].isna().all() and one["estimate"].notna().all()
    assert cells.loc[cells["cohort"] != 2004, "std_error"].notna().all()
    with pytest.warns(exc.SmallClusterWarning, match="single unit"):
        imp = vk.did_imputation(d, **ROLES)
    cells = imp.cohort_effects()
    assert cells.loc[cells["cohort"] == 2004, "std_error"].isna().all()
    assert "single unit" in sa.summary()


def test_twfe_event_study_without_never_treated_names_the_extra_reference(mpdta):
    d = mpdta[mpdta["first_treat"] > 0]
    with pytest.warns(exc.VirkningWarning) as record:
        res = vk.event_study(d, **ROLES)
    messages = " ".join(str(w.message) for w in record)
    assert "no never-treated units" in messages and "event time(s) 3 were dropped" in messages
    assert ".cell" not in messages and "event_time::3" in messages
    assert 3 not in set(res.tidy()["event_time"])


def test_cells_in_few_treated_clusters_give_one_warning():
    panel = vk.datasets.municipalities()
    roles = {"outcome": "employment_rate", "unit": "municipality_code", "time": "year", "cohort": "igu_year"}
    with pytest.warns(exc.SmallClusterWarning) as record:
        vk.sun_abraham(panel, **roles)
    few = [str(w.message) for w in record if "treated clusters" in str(w.message)]
    assert len(few) == 1 and "cohort x event-time coefficients rest on fewer than 15" in few[0]
    assert "2019:-9" in few[0] and ".cell" not in few[0]
    assert "bootstrap=vk.Bootstrap(weights=\"webb\")" in few[0]  # names the recommended inference


# -- recovery on the bundled panel ---------------------------------------------------------------
def _panel_for(intervention: str):
    """The bundled panel with every true effect except `intervention`'s removed from the outcome
    (column `y`), the true effect of `intervention` in each row (`truth`) and the event time `e`."""
    panel = vk.datasets.municipalities()
    truth = panel[f"true_effect_{intervention}"]
    e = (panel["year"] - panel[f"{intervention}_year"]).to_numpy()
    return panel.assign(y=panel["employment_rate"] - (panel["true_effect"] - truth), truth=truth, e=e)


@pytest.mark.parametrize("intervention", ["igu", "partnership"])
def test_robust_estimators_recover_the_true_effects(intervention):
    # Adoption depends on observed frame conditions only: parallel trends hold given the
    # documented covariate (unemployment_rate), so both interventions are recovered with it.
    d = _panel_for(intervention)
    cohort = f"{intervention}_year"
    roles = {"outcome": "y", "unit": "municipality_code", "time": "year", "cohort": cohort,
             "covariates": list(vk.datasets.IDENTIFYING_COVARIATES)}
    truth = d[(d[cohort] > 0) & (d["e"] >= 0)].groupby("e")["truth"].mean()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", exc.SmallClusterWarning)
        sa = vk.sun_abraham(d, **roles).tidy()
        imp = vk.did_imputation(d, **roles, horizons=[0, 1, 2, 3, 4], pretrends=3).tidy()
    for tidy in (sa, imp):
        post = tidy[(tidy["event_time"] >= 0) & (tidy["event_time"] <= 4)]
        assert len(post) == 5
        for e, est, se in zip(post["event_time"], post["estimate"], post["std_error"]):
            assert abs(est - truth[e]) < 3 * se, (e, est, truth[e], se)
        pre = tidy[(tidy["event_time"] < -1) & (tidy["event_time"] >= -3)]
        assert (abs(pre["estimate"]) < 3 * pre["std_error"]).all()


# -- plots ---------------------------------------------------------------------------------------
@pytest.mark.plots
def test_event_study_plot_marks_reference_pretrend_and_truth(mpdta):
    import matplotlib

    matplotlib.use("Agg")
    from virkning.plotting.event_study import event_study_plot

    sa = vk.sun_abraham(mpdta, **ROLES)
    ax = sa.plot(truth={0: 0.0, 1: -0.05})
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert any(lab.startswith("Sun-Abraham; pre-trend p = ") for lab in labels) and "true effect" in labels
    # the reference period (-1) is a hollow marker at zero
    hollow = [ln for ln in ax.lines if ln.get_markerfacecolor() == "white"]
    assert len(hollow) == 1 and list(hollow[0].get_xdata()) == [-1] and list(hollow[0].get_ydata()) == [0.0]
    assert ax.patches or ax.collections  # shaded pre-treatment span / error bars
    # several estimators, a tidy frame as input, and a window of event times
    with pytest.warns(exc.SmallClusterWarning):
        imp = vk.did_imputation(mpdta, **ROLES, pretrends=2)
    ax = event_study_plot([("SA", sa), ("imputation", imp), ("frame", sa.tidy())], event_times=(-2, 2))
    xs = sorted({round(float(x)) for c in ax.containers for x in c.lines[0].get_xdata()})
    assert xs == [-2, -1, 0, 1, 2]  # SA's -3 cut by the window; -1 from the imputation pre-trend test
    assert len(ax.get_legend().get_texts()) == 3
