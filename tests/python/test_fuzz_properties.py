"""Property-based fuzz suite (issue 16, item 12): random small panels through every public
estimator.

Panels are drawn with random NaN/inf, duplicated and dropped rows, odd cohorts (0, before the
first period, after the last, negative, every unit treated), shuffled rows, extreme scales and
column dtypes (int, uint, float32, categorical, string, datetime). For every estimator:

- **boundary**: it returns or raises a :class:`VirkningError` subclass; every warning is a
  documented :class:`VirkningWarning`; a NaN estimate comes with a warning that says why;
- **shuffle**: the same rows in another order give identical estimates (or the same error);
- **scale**: the outcome times ``c`` gives estimates times ``c``;
- **exact**: ``feols`` equals numpy least squares on the same design (and pyfixest where it
  is importable).

Two profiles: the fast one (``FAST`` examples per property, derandomised so CI is stable) runs in
the normal test command; the long one (``LONG`` examples, random; ``VIRKNING_FUZZ_LONG`` sets
it) is marked ``slow``: ``python -m pytest -m slow tests/python/test_fuzz_properties.py``.
"""

from __future__ import annotations

import os
import warnings
from typing import Any, Callable

import numpy as np
import pandas as pd
import pytest

hypothesis = pytest.importorskip("hypothesis")
from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

import virkning as vk  # noqa: E402
from virkning.exceptions import VirkningError, VirkningWarning  # noqa: E402

FAST = 12
LONG = int(os.environ.get("VIRKNING_FUZZ_LONG", "200"))
_COMMON = dict(deadline=None, database=None, suppress_health_check=list(HealthCheck), print_blob=True)
FAST_SETTINGS = settings(max_examples=FAST, derandomize=True, **_COMMON)
LONG_SETTINGS = settings(max_examples=LONG, **_COMMON)

DTYPES = ["int", "uint", "float32", "category", "string", "datetime"]


# -- panels -------------------------------------------------------------------------------------

@st.composite
def panels(draw: Any, *, messy: bool = True) -> dict:
    """A random small panel and how it was made (``spec``), as a dict with the frame under ``df``."""
    spec = {
        "seed": draw(st.integers(0, 2**32 - 1)),
        "n_units": draw(st.integers(3, 12)),
        "n_periods": draw(st.integers(3, 7)),
        "first": draw(st.sampled_from([1, 2000, 2010])),
        "cohorts": draw(st.sampled_from(["staggered", "all_treated", "none_treated", "odd"])),
        "unit_dtype": draw(st.sampled_from(DTYPES)) if messy else "int",
        "time_dtype": draw(st.sampled_from(["int", "int", "uint", "float32", "datetime"] if messy else ["int"])),
        "nan": draw(st.sampled_from([0.0, 0.0, 0.0, 0.1, 0.5])) if messy else 0.0,
        "inf": draw(st.sampled_from([False] * 5 + [True])) if messy else False,
        "duplicate": draw(st.sampled_from([False] * 5 + [True])) if messy else False,
        "drop": draw(st.sampled_from([0.0, 0.0, 0.0, 0.2])) if messy else 0.0,
        "scale": draw(st.sampled_from([1.0, 1.0, 1e-8, 1e8, 1e150])) if messy else 1.0,
    }
    spec["df"] = make_panel(spec)
    return spec


def make_panel(spec: dict) -> pd.DataFrame:
    rng = np.random.default_rng(spec["seed"])
    n, t0, T = spec["n_units"], spec["first"], spec["n_periods"]
    periods = np.arange(t0, t0 + T)
    mode = spec["cohorts"]
    if mode == "staggered":
        choices = np.r_[0, periods[1:]]
    elif mode == "all_treated":
        choices = periods[1:]
    elif mode == "none_treated":
        choices = np.array([0])
    else:  # before the first period, after the last, negative, the first period itself
        choices = np.array([0, t0 - 3, t0 + T + 2, -1, t0, t0 + 1])
    cohort = rng.choice(choices, size=n)
    unit = np.repeat(np.arange(n), T)
    time = np.tile(periods, n)
    g = np.repeat(cohort, T)
    treated = ((g > 0) & (time >= g)).astype(float)
    x = rng.normal(size=n * T)
    y = (rng.normal(size=n)[unit] + 0.1 * (time - t0) + 0.5 * x + 1.0 * treated + rng.normal(size=n * T))
    y = y * spec["scale"]
    df = pd.DataFrame({"unit": unit, "time": time, "cohort": g, "treated": treated, "x": x, "y": y,
                       "w": rng.uniform(0.5, 2.0, size=n)[unit], "region": (unit % 3)})
    if spec["nan"]:
        df.loc[rng.random(len(df)) < spec["nan"], "y"] = np.nan
    if spec["inf"]:
        df.loc[rng.integers(len(df)), "x"] = np.inf
    if spec["drop"]:
        df = df[rng.random(len(df)) >= spec["drop"]]
    if spec["duplicate"] and len(df):
        df = pd.concat([df, df.iloc[[rng.integers(len(df))]]])
    df = df.reset_index(drop=True)
    df["unit"] = _as_dtype(df["unit"], spec["unit_dtype"], base=0)
    df["time"] = _as_dtype(df["time"], spec["time_dtype"], base=t0)
    return df


def _as_dtype(s: pd.Series, kind: str, base: int) -> pd.Series:
    if kind == "uint":
        return s.astype(np.uint32)
    if kind == "float32":
        return s.astype(np.float32)
    if kind == "category":
        return s.map(lambda v: f"u{v}").astype("category")
    if kind == "string":
        return s.map(lambda v: f"u{v:03d}")
    if kind == "datetime":
        return pd.to_datetime(s.astype(int) - base + 2000, format="%Y")
    return s.astype(np.int64)


# -- calling an estimator and judging what came back ---------------------------------------------

ROLES = dict(outcome="y", unit="unit", time="time")


def _cells(res: Any) -> pd.DataFrame:
    """The estimates table of any result as pandas."""
    t = res.tidy()
    return t.to_pandas() if hasattr(t, "to_pandas") else t


ESTIMATORS: dict[str, Callable[[pd.DataFrame], Any]] = {
    "feols": lambda d: vk.feols("y ~ x + treated | unit + time", d, vcov={"CR1": "unit"}),
    "feols_weighted": lambda d: vk.feols("y ~ x + treated", d, weights="w", vcov="hetero"),
    "glm": lambda d: vk.glm("y ~ x + treated", d, family="gaussian"),
    "mixedlm": lambda d: vk.mixedlm("y ~ x + treated", d, group="unit"),
    "att_gt": lambda d: vk.att_gt(d, cohort="cohort", control_group="not_yet_treated", **ROLES),
    "aggregate": lambda d: vk.att_gt(d, cohort="cohort", control_group="not_yet_treated", **ROLES)
    .aggregate("dynamic"),
    "sun_abraham": lambda d: vk.sun_abraham(d, cohort="cohort", **ROLES),
    "did_imputation": lambda d: vk.did_imputation(d, cohort="cohort", **ROLES),
    "event_study": lambda d: vk.event_study(d, cohort="cohort", **ROLES),
    "bacon": lambda d: vk.bacon(d, cohort="cohort", **ROLES),
    "sdid": lambda d: vk.sdid(d, treated="treated", se="jackknife", **ROLES),
    "synthetic_control": lambda d: vk.synthetic_control(
        d, treated_unit=_first_unit(d), treatment_start=_start(d), placebo=False, **ROLES),
    "benchmark": lambda d: vk.benchmark(_last_period(d), outcome="y", unit="unit", frame_conditions=["x"],
                                        model="linear", n_sim=100, seed=1),
    "wildboot": lambda d: vk.feols("y ~ x + treated", d, vcov={"CR1": "region"}).wildboot(
        "treated", reps=99, seed=1),
    "ritest": lambda d: vk.ritest(vk.feols("y ~ treated | unit + time", d), "treated", unit="unit", time="time",
                                  treatment="treated", reps=19, seed=1),
}


#: Estimators whose estimate is the optimum of an iterative search: summing in another order
#: moves it within the search's tolerance, so shuffled rows agree to that tolerance.
#: mixedlm: Brent's method on the variance ratio stops within about 1e-6 of the optimum; on a
#: panel of 3 units and 5 rows its profile is so flat that the slope moved by 1.4e-6 (relative).
ITERATIVE = {"mixedlm": 1e-5, "synthetic_control": 1e-6, "sdid": 1e-6, "glm": 1e-8}


def _start(d: pd.DataFrame) -> Any:
    times = np.sort(pd.unique(d["time"]))
    return times[len(times) // 2] if len(times) else 0


def _first_unit(d: pd.DataFrame) -> Any:
    """The treated unit: the same one whatever the row order."""
    units = list(pd.unique(d["unit"]))
    return min(units, key=str) if units else 0


def _last_period(d: pd.DataFrame) -> pd.DataFrame:
    return d[d["time"] == d["time"].max()] if len(d) else d


def run(name: str, df: pd.DataFrame) -> tuple[str, Any, list[warnings.WarningMessage]]:
    """``("ok", result, warnings)`` or ``("error", exception, warnings)``; anything that is not a
    VirkningError fails the test with the input that caused it."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = ESTIMATORS[name](df)
            table = _cells(res)
        except VirkningError as e:
            return "error", e, list(caught)
    return "ok", (res, table), list(caught)


def estimates(res_table: Any) -> np.ndarray:
    table = res_table[1]
    col = "estimate" if "estimate" in table.columns else table.columns[1]
    return table[col].to_numpy(dtype=float)


def check_boundary(name: str, spec: dict) -> None:
    status, out, caught = run(name, spec["df"])
    foreign = [w for w in caught if not issubclass(w.category, VirkningWarning)
               and not issubclass(w.category, DeprecationWarning)]
    assert not foreign, f"{name}: undocumented warnings {[(w.category.__name__, str(w.message)) for w in foreign]}"
    if status == "error":
        assert str(out), f"{name}: {type(out).__name__} without a message"
        return
    est = estimates(out)
    if np.isnan(est).any():
        assert caught or _says_why(out[0]), f"{name}: NaN estimate without a warning: {out[1]}"


def _says_why(res: Any) -> bool:
    """A result that records why (its ``warnings`` field) counts as a warning."""
    try:
        return bool(res._dict.get("warnings"))
    except Exception:  # noqa: BLE001
        return False


def check_shuffle(name: str, spec: dict) -> None:
    df = spec["df"]
    perm = np.random.default_rng(spec["seed"] + 1).permutation(len(df))
    a = run(name, df)
    b = run(name, df.iloc[perm].reset_index(drop=True))
    assert a[0] == b[0], f"{name}: sorted {a[0]} ({a[1]!r:.200}) but shuffled {b[0]} ({b[1]!r:.200})"
    if a[0] == "error":
        assert type(a[1]) is type(b[1]), f"{name}: {type(a[1]).__name__} vs {type(b[1]).__name__} when shuffled"
        return
    ea, eb = estimates(a[1]), estimates(b[1])
    np.testing.assert_allclose(eb, ea, rtol=ITERATIVE.get(name, 1e-9), atol=1e-12 * max(1.0, spec["scale"]), equal_nan=True,
                               err_msg=f"{name}: shuffled rows change the estimates")


def check_scale(name: str, spec: dict, c: float) -> None:
    df = spec["df"]
    a = run(name, df)
    b = run(name, df.assign(y=df["y"] * c))
    if a[0] == "error" or b[0] == "error":
        assert a[0] == b[0], f"{name}: {a[1]!r:.200} vs {b[1]!r:.200} after scaling the outcome by {c}"
        return
    ea, eb = estimates(a[1]), estimates(b[1])
    rtol = max(1e-6, ITERATIVE.get(name, 0.0))
    big = np.nanmax(np.abs(ea * c), initial=0.0)
    np.testing.assert_allclose(eb, ea * c, rtol=rtol, atol=rtol * big, equal_nan=True,
                               err_msg=f"{name}: outcome x {c} does not scale the estimates")


# -- the properties, each in a fast and a long (slow) profile --------------------------------------

# Defects found by this suite in code other engineers own (routed to them; see issue 16):
KNOWN: dict[tuple[str, str], str] = {
    ("scale", "did_imputation"): "rel-did: did_imputation does not scale with the outcome at 1e-100 "
    "(3 units x 3 periods, staggered: estimate 2.13e-100 for the expected 1.96e-100, 8.8% off); an absolute "
    "tolerance in the imputation step",
}


def _maybe_xfail(prop: str, name: str) -> list:
    reason = KNOWN.get((prop, name))
    return [pytest.mark.xfail(strict=False, reason=reason)] if reason else []


def _params(prop: str) -> list:
    return [pytest.param(n, marks=_maybe_xfail(prop, n), id=n) for n in ESTIMATORS]


SCALE_FREE = ["feols", "feols_weighted", "glm", "mixedlm", "att_gt", "aggregate", "sun_abraham",
              "did_imputation", "event_study", "bacon", "sdid", "synthetic_control", "benchmark"]


def _scale_params() -> list:
    return [pytest.param(n, marks=_maybe_xfail("scale", n), id=n) for n in SCALE_FREE]


@pytest.mark.parametrize("name", _params("boundary"))
@FAST_SETTINGS
@given(spec=panels())
def test_boundary_fast(name: str, spec: dict) -> None:
    check_boundary(name, spec)


@pytest.mark.slow
@pytest.mark.parametrize("name", _params("boundary"))
@LONG_SETTINGS
@given(spec=panels())
def test_boundary_long(name: str, spec: dict) -> None:
    check_boundary(name, spec)


@pytest.mark.parametrize("name", _params("shuffle"))
@FAST_SETTINGS
@given(spec=panels())
def test_shuffled_rows_fast(name: str, spec: dict) -> None:
    check_shuffle(name, spec)


@pytest.mark.slow
@pytest.mark.parametrize("name", _params("shuffle"))
@LONG_SETTINGS
@given(spec=panels())
def test_shuffled_rows_long(name: str, spec: dict) -> None:
    check_shuffle(name, spec)


@pytest.mark.parametrize("name", _scale_params())
@FAST_SETTINGS
@given(spec=panels(messy=False), c=st.sampled_from([1e-6, 0.5, 3.0, 1e6]))
def test_scaled_outcome_fast(name: str, spec: dict, c: float) -> None:
    check_scale(name, spec, c)


@pytest.mark.slow
@pytest.mark.parametrize("name", _scale_params())
@LONG_SETTINGS
@given(spec=panels(messy=False), c=st.sampled_from([1e-100, 1e-6, 0.5, 3.0, 1e6, 1e100]))
def test_scaled_outcome_long(name: str, spec: dict, c: float) -> None:
    check_scale(name, spec, c)


# -- feols against an exact least-squares solution -------------------------------------------------

@st.composite
def designs(draw: Any) -> dict:
    seed = draw(st.integers(0, 2**32 - 1))
    n = draw(st.integers(8, 60))
    k = draw(st.integers(1, 4))
    n_fe = draw(st.integers(0, 2))
    scale = draw(st.sampled_from([1.0, 1e-6, 1e6]))
    weighted = draw(st.booleans())
    rng = np.random.default_rng(seed)
    d = {f"x{j}": rng.normal(size=n) * scale for j in range(k)}
    d["y"] = sum(d.values()) + rng.normal(size=n)
    d["f0"] = rng.integers(0, 4, size=n)
    d["f1"] = rng.integers(0, 3, size=n)
    d["w"] = rng.uniform(0.1, 5.0, size=n)
    return {"df": pd.DataFrame(d), "k": k, "n_fe": n_fe, "weighted": weighted}


def _dummies(codes: np.ndarray) -> np.ndarray:
    levels = np.unique(codes)
    return (codes[:, None] == levels[None, 1:]).astype(float)


def check_exact(case: dict) -> None:
    df, k, n_fe = case["df"], case["k"], case["n_fe"]
    xs = [f"x{j}" for j in range(k)]
    fes = ["f0", "f1"][:n_fe]
    formula = "y ~ " + " + ".join(xs) + (" | " + " + ".join(fes) if fes else "")
    weights = "w" if case["weighted"] else None
    design = [np.ones(len(df))] + [df[x].to_numpy() for x in xs]
    design += [_dummies(df[f].to_numpy()) for f in fes]
    X = np.column_stack(design)
    if np.linalg.matrix_rank(X) < X.shape[1] or len(df) - X.shape[1] < 2:
        return
    # Singletons are dropped by default; keep the comparison on designs without them.
    if any((df[f].value_counts() == 1).any() for f in fes):
        return
    sw = np.sqrt(df["w"].to_numpy()) if weights else np.ones(len(df))
    beta = np.linalg.lstsq(X * sw[:, None], df["y"].to_numpy() * sw, rcond=None)[0]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", VirkningWarning)
        fit = vk.feols(formula, df, weights=weights, vcov="iid", tol=1e-13)
    got = [fit.coef()[x] for x in xs]
    np.testing.assert_allclose(got, beta[1:k + 1], rtol=1e-7, atol=1e-9 * np.abs(beta[1:k + 1]).max())
    pf = _pyfixest()
    if pf is not None:
        ref = pf.feols(formula, df, weights=weights, vcov="iid")
        np.testing.assert_allclose(got, ref.coef()[xs].to_numpy(), rtol=1e-6)
        np.testing.assert_allclose([fit.se()[x] for x in xs], ref.se()[xs].to_numpy(), rtol=1e-5)


def _pyfixest() -> Any:
    try:
        import pyfixest  # noqa: PLC0415
    except ImportError:
        return None
    return pyfixest


@FAST_SETTINGS
@given(case=designs())
def test_feols_equals_exact_least_squares_fast(case: dict) -> None:
    check_exact(case)


@pytest.mark.slow
@LONG_SETTINGS
@given(case=designs())
def test_feols_equals_exact_least_squares_long(case: dict) -> None:
    check_exact(case)


# -- power: its own inputs (a design, not a frame) -------------------------------------------------

@st.composite
def power_designs(draw: Any) -> dict:
    return {
        "n_units": draw(st.integers(4, 30)),
        "treated": draw(st.integers(0, 6)),
        "start": draw(st.sampled_from([2012, 2016, 2019, 2025])),
        "effects": draw(st.sampled_from([0.0, 0.05, [0.0, 0.1], -1e6])),
        "estimator": draw(st.sampled_from(["twfe", "did_imputation", "sun_abraham"])),
    }


def check_power(d: dict) -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            res = vk.power(d["effects"], estimator=d["estimator"], reps=8, seed=1, n_units=d["n_units"],
                           treated=d["treated"], start=d["start"], progress=False)
        except VirkningError:
            return
    foreign = [w for w in caught if not issubclass(w.category, (VirkningWarning, DeprecationWarning))]
    assert not foreign, [str(w.message) for w in foreign]
    t = _cells(res)
    assert len(t) >= 1


@FAST_SETTINGS
@given(d=power_designs())
def test_power_boundary_fast(d: dict) -> None:
    check_power(d)


@pytest.mark.slow
@LONG_SETTINGS
@given(d=power_designs())
def test_power_boundary_long(d: dict) -> None:
    check_power(d)
