"""The survival family from Python against R survival 3.5-3 (the fixture the Rust tests read,
tests/fixtures/survival_r.json), plus the API contract, plots and bad input."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl
import pytest

import virkning as vk
from virkning import exceptions as exc

FIX = Path(__file__).resolve().parents[1] / "fixtures"
R = json.loads((FIX / "survival_r.json").read_text())
F7 = "Surv(week, arrest) ~ fin + age + race + wexp + mar + paro + prio"


def _nan(v):
    return np.nan if v is None else v


def close(a, b, rtol=1e-6):
    a = np.asarray(a, dtype=float)
    b = np.asarray([_nan(x) for x in np.ravel(b)], dtype=float).reshape(np.shape(a))
    np.testing.assert_allclose(a, b, rtol=rtol, atol=1e-13, equal_nan=True)


@pytest.fixture(scope="module")
def rossi() -> pd.DataFrame:
    df = pd.read_csv(FIX / "data" / "rossi.csv")
    df["w"] = 1 + (np.arange(len(df)) % 3) / 2
    df["off"] = 0.1 * df["prio"]
    return df


@pytest.fixture(scope="module")
def heart() -> pd.DataFrame:
    return pd.read_csv(FIX / "data" / "heart.csv")


@pytest.fixture(scope="module")
def lung() -> pd.DataFrame:
    return pd.read_csv(FIX / "data" / "lung.csv")


@pytest.mark.parametrize(
    "case, formula, kw",
    [
        ("rossi_efron", F7, {}),
        ("rossi_breslow", F7, {"ties": "breslow"}),
        ("rossi_strata", "Surv(week, arrest) ~ fin + age + prio + strata(wexp)", {}),
        ("rossi_robust", F7, {"robust": True}),
        ("rossi_cluster_age", "Surv(week, arrest) ~ fin + prio + mar", {"cluster": "age"}),
        ("rossi_weights", F7, {"weights": "w", "robust": True}),
        ("rossi_offset", "Surv(week, arrest) ~ fin + age", {"offset": "off"}),
    ],
)
def test_coxph_equals_r_on_rossi(rossi, case, formula, kw):
    fit = vk.coxph(formula, rossi, tol=1e-12, **kw)
    ref = R[case]
    tidy = fit.tidy()
    assert list(tidy.columns[:10]) == [
        "term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high",
        "hazard_ratio", "hr_conf_low", "hr_conf_high",
    ]
    assert list(tidy["term"]) == ref["terms"]
    close(tidy["estimate"], ref["coef"])
    close(tidy["std_error"], ref["se"])
    close(tidy["hazard_ratio"], np.exp(ref["coef"]))
    g = fit.glance()
    close(g["lr_statistic"], [ref["lr"]])
    close(g["wald_statistic"], [ref["wald"]])
    close(g["score_statistic"], [ref["score"]])
    close(g["concordance"], [ref["concordance"]])
    assert g["n_obs"].iloc[0] == ref["n"] and g["n_events"].iloc[0] == ref["nevent"]


def test_shared_reference_value(rossi):
    fit = vk.coxph(F7, rossi)
    assert abs(fit.coef()["fin"] - -0.37942) < 5e-6
    assert abs(fit.se()["fin"] - 0.19138) < 5e-6


def test_time_varying_cluster_and_zph_equal_r(heart):
    f = "Surv(start, stop, event) ~ age + year + surgery + transplant"
    fit = vk.coxph(f, heart, cluster="id", tol=1e-12)
    close(fit.tidy()["estimate"], R["heart_cluster"]["coef"])
    close(fit.tidy()["std_error"], R["heart_cluster"]["se"])
    assert fit.glance()["n_clusters"].iloc[0] == heart["id"].nunique()
    zph = vk.coxph(f, heart, tol=1e-12).cox_zph()
    close(zph["statistic"], R["heart_efron"]["zph_chisq"])
    assert list(zph["term"])[-1] == "GLOBAL"


def test_baseline_and_prediction_equal_r(rossi):
    fit = vk.coxph(F7, rossi, tol=1e-12)
    ref = R["rossi_efron_basehaz"]
    bh = fit.baseline_hazard()
    close(bh["time"], ref["time"], 0)
    close(bh["cumhaz"], ref["hazard"])
    new = pd.DataFrame({"fin": [0, 1], "age": [20, 30], "race": [1, 0], "wexp": [0, 1], "mar": [0, 1],
                        "paro": [1, 0], "prio": [3, 0]})
    pred = fit.predict_survival(new)
    surv = np.asarray(ref["pred_surv"], dtype=float)  # times x rows
    close(pred[pred["row"] == 1]["surv"], surv[:, 1])


@pytest.mark.parametrize("case, conf", [("km_rossi_log", "log"), ("km_rossi_loglog", "log-log"),
                                        ("km_rossi_plain", "plain")])
def test_kaplan_meier_equals_r(rossi, case, conf):
    km = vk.kaplan_meier(rossi, duration="week", event="arrest", conf_type=conf)
    t = km.tidy()
    ref = R[case]
    close(t["time"], ref["time"], 0)
    close(t["n_risk"], ref["n_risk"], 0)
    close(t["estimate"], ref["surv"], 1e-10)
    close(t["std_error_log"], ref["std_err"], 1e-8)
    close(t["conf_low"], ref["lower"], 1e-8)
    close(t["conf_high"], ref["upper"], 1e-8)
    close(t["cumhaz"], ref["cumhaz"], 1e-10)


def test_kaplan_meier_entry_and_groups_equal_r(heart, lung):
    t = vk.kaplan_meier(heart, duration="stop", event="event", entry="start").tidy()
    close(t["n_risk"], R["km_heart_entry"]["n_risk"], 0)
    close(t["estimate"], R["km_heart_entry"]["surv"], 1e-10)
    km = vk.kaplan_meier(lung, duration="time", event="status", group="sex")
    close(km.tidy()["estimate"], R["km_lung_sex"]["surv"], 1e-10)
    q = km.quantile([0.1, 0.25, 0.5, 0.75])
    ref = R["quant_lung_sex"]
    close(q["estimate"], np.ravel(ref["quantile"]), 0)
    close(q["conf_low"], np.ravel(ref["lower"]), 0)
    close(q["conf_high"], np.ravel([_nan(v) for row in ref["upper"] for v in row]), 0)
    med = km.median()
    assert list(med["group"]) == ["1", "2"]


def test_logrank_equals_r(rossi, lung):
    t = vk.logrank(rossi, duration="week", event="arrest", group="fin")
    close(t.glance()["statistic"], [R["logrank_rossi_fin"]["chisq"]], 1e-9)
    close(t.tidy()["expected"], R["logrank_rossi_fin"]["exp"], 1e-10)
    s = vk.logrank(lung, duration="time", event="status", group="sex", strata="ph.ecog")
    close(s.glance()["statistic"], [R["logrank_lung_sex_strata"]["chisq"]], 1e-9)
    assert s.glance()["n_strata"].iloc[0] == 4


def test_survsplit_then_cox_equals_the_unsplit_fit(rossi):
    """Cutting spells at fixed times changes no risk set: the Cox fit must not move."""
    split = vk.survsplit(rossi, exit="week", event="arrest", cuts=[10, 20, 30, 40])
    assert len(split) > len(rossi)
    assert {"start", "stop", "interval"} <= set(split.columns)
    a = vk.coxph(F7, rossi, tol=1e-12)
    b = vk.coxph("Surv(start, stop, arrest) ~ fin + age + race + wexp + mar + paro + prio", split, tol=1e-12)
    close(b.tidy()["estimate"], a.tidy()["estimate"], 1e-9)
    close(b.tidy()["std_error"], a.tidy()["std_error"], 1e-9)


def test_survsplit_programmes_and_polars():
    people = pl.DataFrame({"id": [1, 2, 3], "weeks": [30.0, 10.0, 20.0], "job": [1, 0, 2],
                           "igu": [12.0, None, 25.0]})
    out = vk.survsplit(people, exit="weeks", event="job", id="id", programmes={"in_igu": "igu"},
                       event_codes=[0, 1, 2])
    assert isinstance(out, pl.DataFrame)
    assert out["start"].to_list() == [0.0, 12.0, 0.0, 0.0]
    assert out["in_igu"].to_list() == [0.0, 1.0, 0.0, 0.0]
    assert out["job"].to_list() == [0.0, 1.0, 0.0, 2.0]
    with pytest.raises(exc.EventCodeError):
        vk.survsplit(people, exit="weeks", event="job")
    spells = pd.DataFrame({"id": [1, 1], "a": [0.0, 5.0], "b": [10.0, 20.0], "e": [0, 1]})
    with pytest.raises(exc.OverlappingSpellsError):
        vk.survsplit(spells, entry="a", exit="b", event="e", id="id")
    with pytest.raises(exc.StopBeforeStartError):
        vk.survsplit(spells.assign(b=[0.0, 20.0]), entry="a", exit="b", event="e")
    with pytest.raises(exc.InvalidTimeError):
        vk.survsplit(spells.assign(a=[-1.0, 25.0]), entry="a", exit="b", event="e")


def _small(**cols):
    base = {"t": [1.0, 2.0, 3.0, 4.0, 5.0, 6.0], "e": [1, 0, 1, 1, 0, 1], "x": [0.1, 0.5, 0.2, 0.9, 0.4, 0.3]}
    base.update(cols)
    return pd.DataFrame(base)


def test_bad_input_named_errors_and_drops():
    f = "Surv(t, e) ~ x"
    with pytest.raises(exc.InvalidTimeError):
        vk.coxph(f, _small(t=[-1.0, 2, 3, 4, 5, 6]))
    with pytest.raises(exc.EventCodeError):
        vk.coxph(f, _small(e=[1, 2, 0, 1, 0, 1]))
    with pytest.raises(exc.NoEventsError):
        vk.coxph(f, _small(e=[0] * 6))
    with pytest.raises(exc.NoEventsError):
        vk.kaplan_meier(_small(e=[0] * 6), duration="t", event="e")
    with pytest.raises(exc.StopBeforeStartError):
        vk.coxph("Surv(a, t, e) ~ x", _small(a=[0.0, 2.0, 0, 0, 0, 0]))
    with pytest.raises(exc.NonFiniteError):
        vk.coxph(f, _small(x=[0.1, np.inf, 0.2, 0.9, 0.4, 0.3]))
    with pytest.raises(exc.SingleClusterError):
        vk.coxph(f, _small(g=[1] * 6), cluster="g")
    with pytest.raises(exc.UnknownChoiceError):
        vk.coxph(f, _small(), ties="exact")
    with pytest.raises(exc.FormulaError):
        vk.coxph("t ~ x", _small())
    nan = vk.coxph(f, _small(x=[0.1, np.nan, 0.2, 0.9, 0.4, 0.3]))
    assert nan.glance()["n_obs"].iloc[0] == 5
    with pytest.warns(exc.VirkningWarning, match="zero duration"):
        z = vk.coxph(f, _small(t=[0.0, 2, 3, 4, 5, 6]))
    assert z.n_zero_duration == 1
    with pytest.warns(exc.CollinearityWarning):
        c = vk.coxph("Surv(t, e) ~ x + x2", _small(x2=[0.2, 1.0, 0.4, 1.8, 0.8, 0.6]))
    assert list(c.tidy()["term"]) == ["x"]
    with pytest.warns(exc.SeparationWarning):
        vk.coxph(f, _small(e=[1, 1, 1, 0, 0, 0], x=[1.0, 1, 1, 0, 0, 0]))
    # Every unit failing and heavy ties: numbers, no error.
    ties = _small(t=[1.0, 1, 1, 2, 2, 2], e=[1] * 6)
    fit = vk.coxph(f, ties)
    assert np.isfinite(fit.tidy()["std_error"]).all()
    km = vk.kaplan_meier(ties, duration="t", event="e").tidy()
    assert km["estimate"].iloc[-1] == 0.0 and np.isnan(km["conf_low"].iloc[-1])


def test_plots_return_axes(rossi):
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    km = vk.kaplan_meier(rossi, duration="week", event="arrest", group="fin")
    ax = km.plot()
    assert "time" in ax.get_xlabel() and ax.get_ylabel()
    ax2 = vk.coxph(F7, rossi).plot()
    assert "hazard ratio" in ax2.get_xlabel()


def test_simulated_hazard_ratio_is_recovered():
    rng = np.random.default_rng(3)
    n, beta = 5000, 0.7
    x = rng.integers(0, 2, n).astype(float)
    t = rng.exponential(1 / (0.1 * np.exp(beta * x)))
    c = rng.exponential(20, n)
    df = pd.DataFrame({"t": np.ceil(np.minimum(t, c)), "e": (t <= c).astype(int), "x": x})
    row = vk.coxph("Surv(t, e) ~ x", df).tidy().iloc[0]
    assert row["conf_low"] < beta < row["conf_high"]


def test_cuminc_equals_cmprsk():
    mg = pd.read_csv(FIX / "data" / "mgus2.csv")
    ci = vk.cuminc(mg, duration="etime", event="event", group="sex")
    t = ci.tidy()
    for key, ref in R["cuminc_mgus2_sex"].items():
        rows = t[t["term"] == key]
        close(rows["time"], ref["time"], 0)
        close(rows["estimate"], ref["est"], 1e-10)
        close(rows["std_error"] ** 2, ref["var"], 1e-8)
    mpl = pytest.importorskip("matplotlib")
    mpl.use("Agg")
    assert ci.plot().get_ylabel() == "cumulative incidence"
    with pytest.raises(exc.EventCodeError):
        vk.cuminc(mg.assign(event=mg["event"] - 0.5), duration="etime", event="event")
