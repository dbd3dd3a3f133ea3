"""Event studies for staggered adoption: the Goodman-Bacon decomposition of TWFE, Sun &
Abraham's interaction-weighted event study, the TWFE event study and Borusyak, Jaravel &
Spiess's imputation estimator.

Every function takes the same column roles as :func:`virkning.att_gt`: ``outcome``, ``unit``,
``time`` and ``cohort`` (the first treated period; 0 or missing for never treated).
"""

from __future__ import annotations

import json
from typing import Any

from virkning import _core, _data
from virkning.results.event_study import BaconResult


def _columns(data: Any, names: list[str | None]) -> tuple[Any, dict]:
    df = _data.as_frame(data)
    return df, _data.columns(df, [n for n in names if n is not None])


def bacon(data: Any, *, outcome: str, unit: str, time: str, cohort: str) -> BaconResult:
    """Goodman-Bacon decomposition of the TWFE difference-in-differences estimate.

    The TWFE coefficient of ``outcome ~ D | unit + time`` with ``D = 1{time >= cohort}`` is a
    weighted average of every 2x2 DiD between timing groups: treated vs never treated,
    earlier vs later treated (before the later group starts), and later vs earlier treated
    (after the earlier group started: the "forbidden" comparison that uses already treated
    units as controls and biases TWFE when effects change over time).

    Parameters
    ----------
    data : pandas or polars DataFrame, a balanced panel (never modified). Units with a missing
        outcome are dropped whole and counted.
    outcome, unit, time : column names; ``time`` holds whole periods.
    cohort : first treated period; 0 or missing for never treated; at or before the first
        period for always treated (kept: they serve as already treated controls).

    Returns
    -------
    BaconResult: ``tidy()`` (one row per comparison: ``treated, control, type, estimate,
    weight``), ``by_type()``, ``twfe_estimate``, ``plot()`` (the Bacon scatter).

    Raises
    ------
    ColumnNotFoundError, NonNumericError, DuplicateRowsError, DataError (unbalanced panel,
    cohort varying within a unit), IdentificationError (no variation in treatment timing).

    References
    ----------
    Goodman-Bacon (2021), Journal of Econometrics 225(2). Matches pybacondecomp 0.1.0 (Stata
    ``bacondecomp``) pair by pair to 1e-12 on mpdta and the castle-doctrine panel.

    Examples
    --------
    >>> import virkning as vk
    >>> panel = vk.datasets.municipalities()
    >>> res = vk.bacon(panel, outcome="employment_rate", unit="municipality_code", time="year",
    ...                cohort="igu_year")
    >>> abs(res.tidy()["weight"].sum() - 1) < 1e-12
    True
    """
    df, cols = _columns(data, [outcome, unit, time, cohort])
    params = {"outcome": outcome, "unit": unit, "time": time, "cohort": cohort}
    inner = _core.bacon(cols, json.dumps(params))
    return BaconResult._from_inner(inner, _data.backend_of(df))
