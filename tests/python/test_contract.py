"""The estimator contract (docs/CONTRACT.md), for every estimator of the registry.

The estimators come from ``virkning._core.registry()``; each is fitted on the bundled panel
from its role keywords alone (``ROLE_VALUES``), so adding an estimator to the registry is all
it takes to be covered here (a new role keyword needs its value below).
"""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import virkning as vk
from virkning import _core
from virkning.results._base import GLANCE_KEYS, TIDY_COLUMNS, Result

matplotlib = pytest.importorskip("matplotlib")
matplotlib.use("Agg")

PANEL = vk.datasets.municipalities()

#: The value of each role keyword on the bundled panel.
ROLE_VALUES = {
    "formula": "employment_rate ~ partnership + unemployment_rate",
    "family": "binomial",
    "group": "municipality_code",
    "outcome": "employment_rate",
    "unit": "municipality_code",
    "time": "year",
    "cohort": "igu_year",
    "treatment": "igu",
    "treated_unit": "København",
    "treatment_start": 2016,
    "frame_conditions": ["unemployment_rate", "share_women", "share_short_education"],
    "size": "refugees",
    "estimator": "static_twfe",
    "reps": 20,
}

#: Keyword values that keep the slow estimators fast here (not part of the contract).
FAST = {"benchmark": {"n_sim": 200, "period": 2020, "time": "year"}, "sdid": {"se": "jackknife"},
        "power": {"effects": [0.0, 0.05], "seed": 1}, "synthetic_control": {"unit": "municipality"}}

REGISTRY = _core.registry()
NAMES = [e["name"] for e in REGISTRY]


def _fit(entry: dict) -> Result:
    fn = getattr(vk, entry["name"])
    roles = [r for r in entry["roles"] if r != "formula"]
    kwargs = {r: ROLE_VALUES[r] for r in roles} | FAST.get(entry["name"], {})
    args = [ROLE_VALUES["formula"]] if "formula" in entry["roles"] else []
    if entry["takes_frame"]:
        args.append(PANEL)
    with np.errstate(all="ignore"):
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return fn(*args, **kwargs)


_FITS: dict[str, Result] = {}


def fitted(name: str) -> Result:
    if name not in _FITS:
        _FITS[name] = _fit(next(e for e in REGISTRY if e["name"] == name))
    return _FITS[name]


def _col(frame, name):
    return np.asarray(frame[name].to_numpy() if hasattr(frame[name], "to_numpy") else frame[name])


def test_registry_lists_the_public_estimators_with_their_result_classes():
    assert len(NAMES) == len(set(NAMES)) >= 12
    import virkning.results as results

    for e in REGISTRY:
        assert callable(getattr(vk, e["name"])), e["name"]
        assert issubclass(getattr(results, e["python_class"]), Result), e


@pytest.mark.parametrize("name", NAMES)
def test_tidy_starts_with_the_standard_columns_as_floats(name):
    fit = fitted(name)
    assert type(fit).__name__ == next(e for e in REGISTRY if e["name"] == name)["python_class"]
    t = fit.tidy()
    assert list(t.columns[:7]) == TIDY_COLUMNS
    assert len(t) > 0
    for c in TIDY_COLUMNS[1:]:
        assert _col(t, c).dtype == np.float64, (name, c)
    assert all(isinstance(x, str) for x in _col(t, "term"))


@pytest.mark.parametrize("name", NAMES)
def test_tidy_alpha_recomputes_narrower_intervals(name):
    fit = fitted(name)
    # At the fitted alpha (the default), tidy() is the stored table.
    wide, narrow = fit.tidy(alpha=0.05), fit.tidy(alpha=0.1)
    lo, hi = _col(wide, "conf_low"), _col(wide, "conf_high")
    lo1, hi1 = _col(narrow, "conf_low"), _col(narrow, "conf_high")
    finite = np.isfinite(hi - lo) & (hi - lo > 0)
    # Estimators without intervals (bacon, synthetic control, power) have none to narrow.
    assert np.all((hi1 - lo1)[finite] < (hi - lo)[finite])
    assert np.array_equal(_col(wide, "estimate"), _col(narrow, "estimate"), equal_nan=True)
    with pytest.raises(vk.exceptions.InvalidParameterError):
        fit.tidy(alpha=1.5)


def test_intervals_exist_where_the_estimator_has_a_standard_error():
    for name in NAMES:
        t = fitted(name).tidy()
        se = _col(t, "std_error")
        width = _col(t, "conf_high") - _col(t, "conf_low")
        has = np.isfinite(se) & (se > 0)
        # where a standard error exists, so does an interval (and where none, NaN, not another number)
        if name != "power":
            assert np.all(np.isfinite(width[has])), name
            assert np.all(np.isnan(width[~np.isfinite(se)])), name


@pytest.mark.parametrize("name", NAMES)
def test_glance_has_the_standard_keys_first(name):
    g = fitted(name).glance()
    assert list(g.columns[:5]) == GLANCE_KEYS
    assert int(_col(g, "n_obs")[0]) > 0
    assert _col(g, "estimator")[0] == name or name == "power"


@pytest.mark.parametrize("name", NAMES)
def test_summary_html_json_and_plot(name):
    import matplotlib.pyplot as plt

    fit = fitted(name)
    text = fit.summary()
    assert isinstance(text, str) and "None" not in text
    html = fit._repr_html_()
    assert html.startswith("<div class='virkning'>")
    assert type(fit)._repr_html_ is Result._repr_html_, "one _repr_html_, in the base class"
    assert json.loads(fit.to_json())
    fig, ax = plt.subplots()
    assert fit.plot(ax=ax) is ax
    assert fit.plot() is not None
    plt.close("all")


@pytest.mark.parametrize("name", [e["name"] for e in REGISTRY if e["ritest"]])
def test_ritest_where_the_registry_allows_it(name):
    fit = fitted(name)
    if name == "feols":
        ri = fit.ritest("partnership", unit="municipality_code", time="year", reps=19, seed=1)
    else:
        ri = fit.ritest(reps=19, seed=1)
    assert 0 <= ri.p_value <= 1
    assert list(ri.tidy().columns[:7]) == TIDY_COLUMNS


@pytest.mark.parametrize("entry", [e for e in REGISTRY if e["power"]], ids=lambda e: e["name"])
def test_power_where_the_registry_allows_it(entry):
    import inspect

    from virkning import simulation

    n_treated = 1 if entry["power"] == "synthetic_control" else 20
    # the treated count's keyword (``n_treated``; ``treated`` before the role vocabulary)
    count = "n_treated" if "n_treated" in inspect.signature(simulation._design).parameters else "treated"
    p = vk.power([0.0, 0.1], estimator=entry["power"], reps=10, seed=1, n_units=40,
                 **{count: n_treated})
    t = p.tidy()
    assert list(t.columns[:7]) == TIDY_COLUMNS
    assert np.all((_col(t, "power") >= 0) & (_col(t, "power") <= 1))


def test_non_finite_numbers_reach_python_as_floats_and_display():
    # Issue 16 item 9: a constant outcome (NaN R2) and 1e300 values used to give None and a
    # TypeError in summary() and _repr_html_().
    d = PANEL.copy()
    d["flat"] = 1.0
    d["huge"] = d["employment_rate"] * 1e300
    for fit in (vk.feols("flat ~ unemployment_rate", d), vk.feols("huge ~ unemployment_rate", d),
                vk.synthetic_control(d, outcome="employment_rate", unit="municipality", time="year",
                                     treated_unit="København", treatment_start=2016, placebo=False)):
        t = fit.tidy()
        assert all(_col(t, c).dtype == np.float64 for c in TIDY_COLUMNS[1:])
        s, h = fit.summary(), fit._repr_html_()
        assert "None" not in s and isinstance(h, str)
        for v in fit._dict.values():
            assert not (isinstance(v, float) and v is None)
    sc = vk.synthetic_control(d, outcome="employment_rate", unit="municipality", time="year",
                              treated_unit="København", treatment_start=2016, placebo=False)
    assert "NaN" in sc.summary() and "NaN" in sc._repr_html_()
    assert "inf" in vk.feols("huge ~ unemployment_rate", d).summary()
    flat = vk.feols("flat ~ unemployment_rate", d)
    assert isinstance(flat._dict["r2"], float) and not math.isfinite(flat._dict["r2"])


# -- results own the data they were fitted on (issue 15 point 2, issue 16 item 3) -------------

FEOLS = "employment_rate ~ partnership | municipality_code + year"


def _writeable(values: np.ndarray) -> np.ndarray:
    """The frame's own buffer, made writeable (pandas copy-on-write hands out read-only views)."""
    try:
        values.flags.writeable = True
    except ValueError:
        pytest.skip("this pandas gives no writeable view of the frame's buffer")
    return values


def test_replacing_a_column_after_the_fit_leaves_wildboot_unchanged():
    d = PANEL.copy()
    fit = vk.feols(FEOLS, d, vcov={"CR1": "municipality_code"})
    before = fit.wildboot("partnership", reps=999, seed=1)
    d["employment_rate"] = d["employment_rate"] * 10
    after = fit.wildboot("partnership", reps=999, seed=1)
    assert after.conf_int == before.conf_int and after.p_value == before.p_value
    # the new frame does give another interval: the unchanged one is the result's own data
    refit = vk.feols(FEOLS, d, vcov={"CR1": "municipality_code"}).wildboot("partnership", reps=999, seed=1)
    assert refit.conf_int[1] > 5 * before.conf_int[1]


def test_an_in_place_write_after_the_fit_is_refused_or_ignored():
    d = PANEL.copy()
    fit = vk.feols(FEOLS, d, vcov={"CR1": "municipality_code"})
    before = fit.wildboot("partnership", reps=99, seed=1)
    values = _writeable(d["employment_rate"].to_numpy())
    values *= 10
    try:
        after = fit.wildboot("partnership", reps=99, seed=1)
    except vk.exceptions.DataError as e:
        assert "changed" in str(e) and "employment_rate" in str(e)
    else:
        assert after.conf_int == before.conf_int


def test_att_gt_ritest_after_an_in_place_write_is_refused_or_unchanged():
    d = PANEL.copy()
    fit = vk.att_gt(d, outcome="employment_rate", unit="municipality_code", time="year", cohort="igu_year")
    before = fit.ritest(reps=49, seed=3)
    values = _writeable(d["employment_rate"].to_numpy())
    values *= 10
    try:
        after = fit.ritest(reps=49, seed=3)
    except vk.exceptions.DataError as e:
        assert "changed" in str(e)
    else:
        assert after.p_value == before.p_value and after.statistic == before.statistic
    d2 = PANEL.copy()
    fit2 = vk.att_gt(d2, outcome="employment_rate", unit="municipality_code", time="year", cohort="igu_year")
    d2["employment_rate"] = d2["employment_rate"] * 10
    again = fit2.ritest(reps=49, seed=3)
    assert again.statistic == pytest.approx(before.statistic, rel=1e-12)


def test_predict_on_a_weighted_fit_needs_only_the_regressors():
    fit = vk.feols("employment_rate ~ unemployment_rate | year", PANEL, weights="refugees",
                   vcov={"CR1": "municipality_code"})
    new = PANEL[["unemployment_rate", "year"]].head(5)
    pred = fit.predict(new)
    assert pred.shape == (5,) and np.all(np.isfinite(pred))
