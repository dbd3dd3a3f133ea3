"""Panel validation from Python."""

from __future__ import annotations

import json
from typing import Any

from virkning import _core, _data


def panel_info(data: Any, *, unit: str, time: str) -> dict:
    """Validate ``unit`` x ``time`` as a panel and return its shape.

    Returns a dict with ``n_obs``, ``n_units``, ``n_periods``, ``first_period``,
    ``last_period`` and ``balanced``.

    Raises
    ------
    ColumnNotFoundError, DuplicateRowsError (naming the first duplicated pair), DataError
    (missing or fractional periods).
    """
    df = _data.as_frame(data)
    return json.loads(_core.panel_info(_data.columns(df, [unit, time]), unit, time))
