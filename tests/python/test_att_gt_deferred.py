"""`vk.att_gt` leaves the per-unit outcome copy out on sorted balanced panels (estimates and
analytic standard errors come from per-cohort moments); a later bootstrap rebuilds it from the
fit's columns, and refuses when they changed."""

from __future__ import annotations

import numpy as np
import pytest

import virkning as vk
from virkning import exceptions as exc

ROLES = dict(outcome="lemp", unit="countyreal", time="year", cohort="first_treat")


def _se(agg):
    return agg.tidy()["std_error"].to_numpy()


def test_bootstrap_after_an_analytic_fit_equals_the_bootstrap_fit(mpdta):
    df = mpdta.sort_values(["countyreal", "year"]).reset_index(drop=True)
    lean = vk.att_gt(df, **ROLES)
    boot = vk.att_gt(df, **ROLES, bootstrap=vk.Bootstrap(reps=199, seed=5))
    a = lean.aggregate("dynamic", bootstrap=vk.Bootstrap(reps=199, seed=5))
    b = boot.aggregate("dynamic")
    np.testing.assert_allclose(_se(a), _se(b), rtol=1e-12)
    np.testing.assert_allclose(a.tidy()["estimate"].to_numpy(), b.tidy()["estimate"].to_numpy(), rtol=1e-12)
    # Analytic aggregations of the same fit are unchanged by the rebuild.
    again = lean.aggregate("group")
    np.testing.assert_allclose(_se(again), _se(boot.aggregate("group", bootstrap=False)), rtol=1e-10)


def test_bootstrap_after_the_data_changed_is_an_error(mpdta):
    df = mpdta.sort_values(["countyreal", "year"]).reset_index(drop=True)
    fit = vk.att_gt(df, **ROLES)
    # An in-place write into the arrays the fit was given (replacing an entry of the dict or
    # a column of the frame changes nothing: the result keeps its own references).
    lemp = fit._ri_call[1]["lemp"]
    try:
        lemp.flags.writeable = True
    except ValueError:
        pytest.skip("no writeable view of the fit's array")
    lemp += 1e-3 * np.arange(len(lemp))
    with pytest.raises(exc.DataError, match="changed since the fit"):
        fit.aggregate("dynamic", bootstrap=99)
    assert np.isfinite(_se(fit.aggregate("dynamic"))).any()
