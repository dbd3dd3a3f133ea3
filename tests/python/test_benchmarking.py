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
                     bootstrap=300, seed=2)
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
                         size="refugees", bootstrap=300, seed=2).tidy()
    np.testing.assert_array_equal(again["rank_low"].to_numpy(), t["rank_low"].to_numpy())


def test_linear_model_equals_feols_wls(year2020):
    b = vk.benchmark(year2020, outcome="employment_rate", unit="municipality", frame_conditions=FRAME,
                     size="refugees", model="linear", bootstrap=200)
    f = vk.feols("employment_rate ~ " + " + ".join(FRAME), year2020, weights="refugees", vcov="iid")
    for term, est in f.coef().items():
        assert b.coefficients().set_index("term").loc[term, "estimate"] == pytest.approx(est, rel=1e-9)


def test_panel_persistence_clusters_and_plots():
    panel = vk.datasets.municipalities()
    b = vk.benchmark(panel, outcome="employment_rate", unit="municipality", frame_conditions=FRAME,
                     size="refugees", time="year", period=2020, n_groups=3, group_method="gmm", bootstrap=300)
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
    args = dict(outcome="rate", unit="unit", frame_conditions=["x"], size="size", bootstrap=100)
    args.update(kw)
    return vk.benchmark(df, **args)


def test_zero_refugees_excluded_and_reported(small):
    df = small.copy()
    df.loc[3, "size"] = 0.0
    df.loc[3, "rate"] = np.nan
    before = df.copy()
    with pytest.warns(exc.VirkningWarning, match="zero size excluded: m3"):
        b = _run(df)
    assert b.dropped_zero_size == ["m3"] and b.n_units == 11
    assert "Excluded (zero size): m3" in b.summary()
    pd.testing.assert_frame_equal(df, before)


def _missing_x(df):
    x = df["x"].copy()
    x[2] = np.nan
    return df.assign(x=x)


BAD_INPUTS = {
    "rate_outside_0_1": (lambda d: d.assign(rate=d["rate"] * 4), {}, exc.DataError, r"rate in \[0, 1\]"),
    "missing_frame_condition": (_missing_x, {}, exc.DataError, "`x` is missing for 1 unit"),
    "fewer_units_than_parameters": (lambda d: d.head(2), {}, exc.IdentificationError, "2 units for 2 parameters"),
    "more_clusters_than_units": (lambda d: d, {"n_groups": 13}, exc.InvalidParameterError, "13 clusters"),
    "duplicated_unit": (lambda d: pd.concat([d, d.head(1)]), {}, exc.DataError, "appears 2 times"),
    "negative_size": (lambda d: d.assign(size=-d["size"]), {}, exc.DataError, "non-negative"),
    "binomial_without_size": (lambda d: d, {"size": None, "model": "binomial"}, exc.InvalidParameterError,
                              "needs `size`"),
    "unknown_cluster_method": (lambda d: d, {"group_method": "dbscan", "n_groups": 2},
                               exc.InvalidParameterError, "kmeans"),
    "one_cluster": (lambda d: d, {"n_groups": 1}, exc.InvalidParameterError, "at least 2 clusters"),
    "missing_column": (lambda d: d, {"frame_conditions": ["nope"]}, exc.ColumnNotFoundError, "nope"),
    "collinear_frame_conditions": (lambda d: d.assign(x2=2 * d["x"] + 1), {"frame_conditions": ["x", "x2"]},
                                   exc.IdentificationError, "`x2` of the expected-outcome model is constant or a linear"),
    "constant_frame_condition": (lambda d: d.assign(c=0.5), {"frame_conditions": ["x", "c"]},
                                 exc.IdentificationError, "`c` of the expected-outcome model is constant"),
    "infinite_frame_condition": (lambda d: d.assign(x=d["x"].replace(0.3, np.inf)), {}, exc.NonFiniteError,
                                 "infinite"),
    "missing_outcome": (lambda d: d.assign(rate=d["rate"].where(d.index != 4)), {}, exc.DataError,
                        "`rate` is missing for 1 unit"),
}


@pytest.mark.parametrize("case", list(BAD_INPUTS), ids=list(BAD_INPUTS))
def test_bad_input_raises_its_specific_error(small, case):
    change, kw, error, message = BAD_INPUTS[case]
    df = change(small)
    before = df.copy()
    with pytest.raises(error, match=message):
        _run(df, **kw)
    pd.testing.assert_frame_equal(df, before)


def _blobs(seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0]])
    x = np.repeat(centres, 20, axis=0) + rng.normal(scale=0.4, size=(60, 2))
    return pd.DataFrame({"unit": [f"u{i}" for i in range(60)], "a": x[:, 0], "b": x[:, 1],
                         "size": rng.integers(30, 300, size=60).astype(float),
                         "rate": np.clip(0.4 + 0.1 * rng.normal(size=60), 0, 1)})


@pytest.mark.parametrize("method", ["kmeans", "gmm"])
def test_clusters_by_linfa_recover_separated_groups_stably(method):
    df = _blobs()
    b = vk.benchmark(df, outcome="rate", unit="unit", frame_conditions=["a", "b"], size="size", n_groups="auto",
                     group_method=method, bootstrap=200, seed=1)
    c = b.clusters
    assert c["k"] == 3 and c["chosen_by"] == "silhouette" and c["sizes"] == [20, 20, 20]
    assert max(c["silhouette"], key=lambda s: s[1])[0] == 3
    assert c["stability_mean_ari"] == pytest.approx(1.0) and c["stability_min_ari"] == pytest.approx(1.0)
    t = b.tidy().set_index("unit").loc[df["unit"]]
    truth = np.repeat([0, 1, 2], 20)
    # Same partition as the truth (labels are ordered by size, so compare co-membership).
    assert ((t["cluster"].to_numpy()[:, None] == t["cluster"].to_numpy()) == (truth[:, None] == truth)).all()
    # Ranks within a cluster run 1..size and follow the overall ranks.
    for _, g in t.groupby("cluster"):
        assert sorted(g["rank_in_cluster"]) == list(range(1, len(g) + 1))
        assert (g.sort_values("rank")["rank_in_cluster"].to_numpy() == np.arange(1, len(g) + 1)).all()
        assert (g["cluster_rank_low"] <= g["rank_in_cluster"]).all()
        assert (g["rank_in_cluster"] <= g["cluster_rank_high"]).all()


def _noise_or_stable_panel(sd_unit: float, seed: int) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n, years = 98, 6
    size = np.round(20 + 400 * rng.random(n) ** 2)
    effect = sd_unit * rng.normal(size=n)
    rows = []
    for t in range(years):
        x = rng.normal(size=n)
        p = np.clip(1 / (1 + np.exp(0.3 - 0.4 * x)) + effect, 0.01, 0.99)
        rows.append(pd.DataFrame({"unit": np.arange(n), "year": 2015 + t, "x": x, "size": size,
                                  "rate": rng.binomial(size.astype(int), p) / size}))
    return pd.concat(rows, ignore_index=True)


def test_persistence_separates_stable_performance_from_noise():
    def fit(df):
        return vk.benchmark(df, outcome="rate", unit="unit", frame_conditions=["x"], size="size",
                            time="year", bootstrap=100, seed=0).persistence()
    noise = fit(_noise_or_stable_panel(0.0, 1))
    stable = fit(_noise_or_stable_panel(0.04, 2))
    assert noise["lr_p_value"] > 0.05 and abs(noise["mean_correlation"]) < 0.1
    assert stable["lr_p_value"] < 1e-6 and stable["mean_correlation"] > 0.15
    assert stable["persistent_variance"] == pytest.approx(0.04**2, rel=0.5)
    units = pd.DataFrame(noise["units"])
    assert len(units) == 98 and units["p_unstable"].between(0, 1).all()
    # Under H0 the per-unit tests reject at about their level.
    assert (units["p_persistent"] < 0.05).mean() < 0.12


def test_report_has_the_benchmarking_table_and_funnel(tmp_path):
    from virkning.cli import main

    assert main(["report", "--out", str(tmp_path)]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "Benchmarking: performance given frame conditions" in page and "90% interval" in page
    assert page.count("<img") >= 3  # trends, coefficients, funnel
    res = json.loads((tmp_path / "results.json").read_text())
    assert len(res["benchmark"]["units"]) == 98
