"""benchmark(): the expected-outcome models equal glm/feols, tidy output, plots, persistence,
clusters, and each bad input's exception."""

from __future__ import annotations

import json

import matplotlib

matplotlib.use("Agg")
import numpy as np
import pandas as pd
import polars as pl
import pytest

import virkning as vk
from virkning import exceptions as exc

from conftest import FIXTURES

FRAME = ["unemployment_rate", "share_women", "share_short_education", "share_syria", "share_eritrea",
         "mean_years_in_denmark"]


@pytest.fixture(scope="module")
def year2020() -> pd.DataFrame:
    return pd.read_csv(FIXTURES / "data" / "municipalities_2020.csv")


@pytest.mark.parametrize("backend", ["pandas", "polars"])
def test_binomial_expected_model_equals_statsmodels(year2020, backend):
    case = next(c for c in json.loads((FIXTURES / "glm_statsmodels.json").read_text())["cases"]
                if c["name"] == "muni2020_binomial_counts")
    df = pl.from_pandas(year2020) if backend == "polars" else year2020
    b = vk.benchmark(df, outcome="employment_rate", unit="municipality", frame_conditions=FRAME, size="refugees",
                     n_sim=300, seed=2)
    coef = b.coefficients()
    rows = {r["term"]: r for r in (coef.to_dicts() if backend == "polars" else coef.to_dict("records"))}
    for term, est in case["coef"].items():
        assert rows[term]["estimate"] == pytest.approx(est, rel=1e-6)
        assert rows[term]["std_error"] == pytest.approx(case["se"][term], rel=1e-6)
    t = b.tidy()
    t = t.to_pandas() if backend == "polars" else t
    assert len(t) == 98 and list(t["rank"]) == list(range(1, 99))
    np.testing.assert_allclose(t["expected"] + t["performance"], t["observed"], atol=1e-12)
    assert (t["rank_low"] <= t["rank_high"]).all() and t["p_top"].between(0, 1).all()
    assert (t["shrunk"].abs() <= t["performance"].abs() + 1e-15).all()
    assert set(t["funnel"]) <= {"within", "above95", "above998", "below95", "below998"}
    assert "Benchmark of 98 units" in b.summary() and "<table" in b._repr_html_()
    # Same seed, same draws.
    again = vk.benchmark(year2020, outcome="employment_rate", unit="municipality", frame_conditions=FRAME,
                         size="refugees", n_sim=300, seed=2).tidy()
    np.testing.assert_array_equal(again["rank_low"].to_numpy(), t["rank_low"].to_numpy())


def test_linear_model_equals_feols_wls(year2020):
    b = vk.benchmark(year2020, outcome="employment_rate", unit="municipality", frame_conditions=FRAME,
                     size="refugees", model="linear", n_sim=200)
    f = vk.feols("employment_rate ~ " + " + ".join(FRAME), year2020, weights="refugees", vcov="iid")
    for term, est in f.coef().items():
        assert b.coefficients().set_index("term").loc[term, "estimate"] == pytest.approx(est, rel=1e-9)


def test_panel_persistence_clusters_and_plots():
    panel = vk.datasets.municipalities()
    b = vk.benchmark(panel, outcome="employment_rate", unit="municipality", frame_conditions=FRAME,
                     size="refugees", time="year", period=2020, clusters=3, cluster_method="gmm", n_sim=300)
    assert b.period == "2020"
    p = b.persistence()
    assert len(p["correlations"]) == 14 and p["mean_correlation"] > 0.2
    assert len(p["units"]) == 98
    assert b.clusters["k"] == 3 and sum(b.clusters["sizes"]) == 98
    t = b.tidy()
    assert t["rank_in_cluster"].max() <= max(b.clusters["sizes"])
    assert len(b.panel()) == len(panel[panel["refugees"] > 0])
    assert b.funnel_plot() is not None and b.caterpillar_plot() is not None
    g = b.glance()
    assert g["k"].iloc[0] == 3


@pytest.fixture
def small() -> pd.DataFrame:
    n = 12
    return pd.DataFrame({
        "unit": [f"m{i}" for i in range(n)],
        "rate": 0.3 + 0.02 * (np.arange(n) % 4),
        "size": np.full(n, 50.0),
        "x": np.arange(n) / 10,
    })


def _run(df, **kw):
    args = dict(outcome="rate", unit="unit", frame_conditions=["x"], size="size", n_sim=100)
    args.update(kw)
    return vk.benchmark(df, **args)


def test_zero_refugees_excluded_and_reported(small):
    df = small.copy()
    df.loc[3, "size"] = 0.0
    df.loc[3, "rate"] = np.nan
    before = df.copy()
    b = _run(df)
    assert b.dropped_zero_size == ["m3"] and b.n_units == 11
    assert "Excluded (zero size): m3" in b.summary()
    pd.testing.assert_frame_equal(df, before)


def test_bad_inputs(small):
    with pytest.raises(exc.DataError, match=r"rate in \[0, 1\]"):
        _run(small.assign(rate=small["rate"] * 4))
    x = small["x"].copy()
    x[2] = np.nan
    with pytest.raises(exc.DataError, match="`x` is missing for 1 unit"):
        _run(small.assign(x=x))
    with pytest.raises(exc.IdentificationError, match="2 units for 2 parameters"):
        _run(small.head(2))
    with pytest.raises(exc.InvalidParameterError, match="13 clusters"):
        _run(small, clusters=13)
    with pytest.raises(exc.DataError, match="appears 2 times"):
        _run(pd.concat([small, small.head(1)]))
    with pytest.raises(exc.DataError, match="non-negative"):
        _run(small.assign(size=-small["size"]))
    with pytest.raises(exc.InvalidParameterError, match="needs `size`"):
        _run(small, size=None, model="binomial")
    with pytest.raises(exc.InvalidParameterError, match="kmeans"):
        _run(small, cluster_method="dbscan", clusters=2)


def test_report_has_the_benchmarking_table_and_funnel(tmp_path):
    from virkning.cli import main

    assert main(["report", "--out", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "Benchmarking: performance given frame conditions" in page and "90% interval" in page
    assert page.count("<img") >= 3  # trends, coefficients, funnel
    res = json.loads((tmp_path / "results.json").read_text())
    assert len(res["benchmark"]["units"]) == 98
