"""Every bad input gets a specific exception class and a message naming the column or option."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import virkning as vk
from virkning import exceptions as exc


@pytest.fixture
def small() -> pd.DataFrame:
    rng = np.random.default_rng(1)
    n = 60
    return pd.DataFrame({
        "unit": np.repeat(np.arange(12), 5),
        "year": np.tile(np.arange(2010, 2015), 12),
        "x": rng.normal(size=n),
        "y": rng.normal(size=n),
        "name": np.repeat([f"m{i}" for i in range(12)], 5),
        "one": np.ones(n),
    })


def test_missing_column(small):
    with pytest.raises(exc.ColumnNotFoundError, match="`nope`"):
        vk.feols("y ~ nope", small)


def test_non_numeric_outcome(small):
    with pytest.raises(exc.NonNumericError, match="`name`.*outcome"):
        vk.feols("name ~ x", small)


def test_infinite_values(small):
    d = small.copy()
    d.loc[3, "x"] = np.inf
    with pytest.raises(exc.NonFiniteError, match="`x`.*row 3"):
        vk.feols("y ~ x", d)


def test_empty_after_missing(small):
    d = small.copy()
    d["y"] = np.nan
    with pytest.raises(exc.EmptyDataError, match="y: 60"):
        vk.feols("y ~ x", d)


def test_formula_parse_error_points_at_position(small):
    with pytest.raises(exc.FormulaError, match=r"position 7") as e:
        vk.feols("y ~ x +", small)
    assert "^" in str(e.value)


def test_unknown_vcov_lists_valid_names(small):
    with pytest.raises(exc.UnknownChoiceError, match="HC9.*hetero"):
        vk.feols("y ~ x", small, vcov="HC9")


def test_bad_vcov_type(small):
    with pytest.raises(exc.InvalidParameterError):
        vk.feols("y ~ x", small, vcov=3)


def test_single_cluster(small):
    with pytest.raises(exc.SingleClusterError, match="`one`"):
        vk.feols("y ~ x", small, vcov={"CR1": "one"})


def test_all_collinear(small):
    with pytest.raises(exc.IdentificationError, match="collinear.*one"):
        vk.feols("y ~ one | unit", small)


def test_duplicate_panel_rows_named(small):
    d = pd.concat([small, small.iloc[[7]]])
    with pytest.raises(exc.DuplicateRowsError, match=r"unit = 1, year = 2012"):
        vk.panel_info(d, unit="unit", time="year")


def test_negative_weights(small):
    d = small.copy()
    d["w"] = 1.0
    d.loc[0, "w"] = -1.0
    with pytest.raises(exc.InvalidWeightsError, match="`w`"):
        vk.feols("y ~ x", d, weights="w")


def test_every_error_is_a_virkning_error():
    for name in exc.__all__:
        cls = getattr(exc, name)
        base = exc.VirkningWarning if name.endswith("Warning") else exc.VirkningError
        assert issubclass(cls, base)


def test_input_frame_is_not_modified(small):
    d = small.copy()
    d.loc[0, "y"] = np.nan
    before = d.copy(deep=True)
    vk.feols("y ~ x + C(name) | year", d, vcov="hetero")
    pd.testing.assert_frame_equal(d, before)


def test_missing_values_are_dropped_and_counted(small):
    d = small.copy()
    d.loc[[0, 1], "y"] = np.nan
    d.loc[[1, 2], "x"] = np.nan
    fit = vk.feols("y ~ x", d)
    assert fit.n_obs == 57
    assert fit.drops["n_missing"] == 3
    assert dict(map(tuple, fit.drops["missing_by_column"])) == {"y": 2, "x": 2}
    assert "3 obs removed" in fit.summary()
