"""Linear models with fixed effects."""

from __future__ import annotations

import json
from typing import Any

from virkning import _core, _data
from virkning._typing import VcovSpec
from virkning.exceptions import InvalidParameterError
from virkning.options import SmallSampleCorrection
from virkning.results.regression import FeolsResult


def _parse_vcov(vcov: VcovSpec | None) -> tuple[str | None, list[str]]:
    if vcov is None:
        return None, []
    if isinstance(vcov, str):
        return vcov, []
    if isinstance(vcov, dict) and len(vcov) == 1:
        (kind, cols), = vcov.items()
        if isinstance(cols, str):
            cols = [c.strip() for c in cols.split("+")]
        if not isinstance(cols, (list, tuple)) or not all(isinstance(c, str) for c in cols):
            raise InvalidParameterError(f"vcov {vcov!r}: cluster columns must be a name or a list of names")
        return str(kind), list(cols)
    raise InvalidParameterError(
        f"vcov must be a name such as 'iid', 'hetero', 'HC3' or a dict such as {{'CR1': 'unit'}}, got {vcov!r}"
    )


def feols(
    formula: str,
    data: Any,
    *,
    vcov: VcovSpec | None = None,
    weights: str | None = None,
    ssc: SmallSampleCorrection | None = None,
    drop_singletons: bool = True,
    tol: float = 1e-8,
    max_iter: int = 10_000,
    collinear_tol: float = 1e-10,
    alpha: float = 0.05,
) -> FeolsResult:
    """Ordinary least squares with any number of absorbed fixed effects.

    The formula follows fixest: ``y ~ x1 + x2 + i(rel_year, ref=-1) + C(group) | unit + year``,
    with ``:``/``*`` interactions and interacted fixed effects ``region^year``.

    Parameters
    ----------
    formula : the model.
    data : pandas or polars DataFrame (never modified).
    vcov : ``"iid"``, ``"hetero"`` (= ``"HC1"``), ``"HC3"``, ``{"CR1": "col"}``,
        ``{"CR1": ["a", "b"]}`` (two-way) or ``{"CR3": "col"}``. Default as fixest: CR1
        clustered by the first fixed effect when there is one, else iid.
    weights : column of non-negative weights (zero-weight rows are dropped and counted).
    ssc : small-sample correction; default fixest's.
    drop_singletons : drop observations alone in a fixed-effect group (iteratively).
    tol, max_iter : demeaning convergence tolerance and iteration cap.
    collinear_tol : relative pivot threshold for dropping collinear regressors.
    alpha : 1 - confidence level of the intervals.

    Returns
    -------
    FeolsResult with ``tidy()``, ``glance()``, ``summary()``, ``plot()``, ``fixef()``,
    ``residuals()``, ``predict()``.

    Raises
    ------
    ColumnNotFoundError, NonNumericError, NonFiniteError, EmptyDataError, FormulaError,
    UnknownChoiceError, SingleClusterError, IdentificationError (all regressors collinear).

    References
    ----------
    Berge (2018) for the demeaning algorithm; Cameron, Gelbach & Miller (2011) for multi-way
    clustering. Matches pyfixest 0.60 / R fixest to 1e-6 or better.

    Examples
    --------
    >>> import virkning as vk
    >>> panel = vk.datasets.municipalities()
    >>> fit = vk.feols("employment_rate ~ partnership + igu | municipality_code + year", panel)
    >>> list(fit.tidy()["term"])
    ['partnership', 'igu']
    """
    df = _data.as_frame(data)
    kind, cluster = _parse_vcov(vcov)
    names = list(_core.formula_columns(formula))
    if weights is not None:
        names.append(weights)
    names += cluster
    cols = _data.columns(df, names)
    params = {
        "formula": formula,
        "weights": weights,
        "ssc": (ssc or SmallSampleCorrection()).to_dict(),
        "drop_singletons": bool(drop_singletons),
        "demean": {"tol": float(tol), "max_iter": int(max_iter)},
        "collinear_tol": float(collinear_tol),
        "alpha": float(alpha),
    }
    inner = _core.feols(cols, json.dumps(params), kind, cluster)
    result = FeolsResult._from_inner(inner, _data.backend_of(df))
    result._formula_columns = names
    result._call = (df, json.dumps(params), kind, cluster)  # for resampling inference (wildboot)
    return result
