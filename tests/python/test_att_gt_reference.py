"""att_gt and its aggregations equal csdid 0.4.3 (R `did`) on mpdta: the same fixture the Rust
test reads (tests/fixtures/att_gt_csdid.json)."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import virkning as vk
from conftest import FIXTURES

DOC = json.loads((FIXTURES / "att_gt_csdid.json").read_text())
CASES = {c["name"]: c for c in DOC["cases"]}


@pytest.fixture(scope="module")
def data(mpdta):
    df = mpdta.copy()
    df["state"] = df["countyreal"] // 1000
    df["pop_weight"] = np.exp(df["lpop"]) / np.exp(df["lpop"]).mean()
    return df


def _close(got, want, tol):
    if want is None:
        return math.isnan(got)
    return abs(got - want) <= tol * max(abs(want), 1e-3)


AGGS = {
    "simple": ("simple", {}),
    "dynamic": ("dynamic", {}),
    "dynamic_window": ("dynamic", {"min_e": -2, "max_e": 2}),
    "dynamic_balanced": ("dynamic", {"balance_e": 1}),
    "group": ("group", {}),
    "calendar": ("calendar", {}),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_att_gt_and_aggregations_match_csdid(data, name):
    case = CASES[name]
    p = dict(case["params"])
    fit = vk.att_gt(data, **p)
    tidy = fit.tidy()
    assert list(tidy.columns[:9]) == ["term", "estimate", "std_error", "statistic", "p_value", "conf_low",
                                      "conf_high", "cohort", "time"]
    assert len(tidy) == len(case["att_gt"])
    for (_, row), want in zip(tidy.iterrows(), case["att_gt"]):
        assert (row["cohort"], row["time"]) == (want["cohort"], want["time"])
        assert _close(row["estimate"], want["att"], 1e-8), (name, want)
        assert _close(row["std_error"], want["se"], 1e-6), (name, want)
    for key, (kind, kw) in AGGS.items():
        agg = fit.aggregate(kind, **kw)
        want = case["aggregations"][key]
        assert _close(agg.overall["estimate"], want["overall_att"], 1e-8), (name, key)
        assert _close(agg.overall["std_error"], want["overall_se"], 1e-6), (name, key)
        t = agg.tidy()
        if kind == "simple":
            assert len(t) == 1
            continue
        col = {"dynamic": "event_time", "group": "cohort", "calendar": "time"}[kind]
        assert list(t[col]) == [b["key"] for b in want["by"]]
        for est, se, b in zip(t["estimate"], t["std_error"], want["by"]):
            assert _close(est, b["att"], 1e-8) and _close(se, b["se"], 1e-6), (name, key, b)


def test_polars_input_gives_polars_output(data):
    pl = pytest.importorskip("polars")
    fit = vk.att_gt(pl.from_pandas(data), outcome="lemp", unit="countyreal", time="year", cohort="first_treat")
    assert isinstance(fit.tidy(), pl.DataFrame)
    assert isinstance(fit.aggregate("dynamic").tidy(), pl.DataFrame)


def test_input_is_not_modified(data):
    before = data.copy()
    vk.att_gt(data, outcome="lemp", unit="countyreal", time="year", cohort="first_treat", covariates=["lpop"])
    assert data.equals(before)


def test_display_and_summary(data):
    fit = vk.att_gt(data, outcome="lemp", unit="countyreal", time="year", cohort="first_treat")
    assert "Control group: never treated" in fit.summary()
    assert "<table" in fit._repr_html_()
    dyn = fit.aggregate("dynamic")
    assert "event_time" in dyn.summary() and "Overall" in dyn.summary()
    assert json.loads(dyn.to_json())["kind"] == "dynamic"
    assert set(fit.tidy()["band"]) == {"pointwise"}


def test_plots_draw_every_estimate(data):
    matplotlib = pytest.importorskip("matplotlib")
    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fit = vk.att_gt(data, outcome="lemp", unit="countyreal", time="year", cohort="first_treat")
    ax = fit.plot(title="mine")
    assert ax.get_title() == "mine"
    assert sum(len(c.lines[0].get_xdata()) for c in ax.containers) == len(fit.tidy())
    dyn = fit.aggregate("dynamic")
    ax = dyn.plot(truth={0: 0.0})
    assert "Callaway & Sant'Anna" in [t.get_text() for t in ax.get_legend().get_texts()]
    ax = fit.aggregate("group").plot()
    assert list(ax.collections[1].get_offsets()[:, 1]) == pytest.approx(list(fit.aggregate("group").tidy()["estimate"]))
    plt.close("all")
