"""Generalised linear models (binomial/logit, Poisson/log, Gaussian/identity) by IRLS."""

from __future__ import annotations

import json
from typing import Any

from virkning import _core, _data
from virkning._typing import VcovSpec
from virkning.regression import _parse_vcov
from virkning.results.glm import GlmResult


def glm(
    formula: str,
    data: Any,
    *,
    family: str = "binomial",
    trials: str | None = None,
    weights: str | None = None,
    vcov: VcovSpec = "iid",
    tol: float = 1e-10,
    max_iter: int = 100,
    collinear_tol: float = 1e-10,
    alpha: float = 0.05,
) -> GlmResult:
    """Generalised linear model by iteratively reweighted least squares.

    ``family="binomial"`` (logit link) takes either a proportion in [0, 1] or, with
    ``trials="refugees"``, a count of successes (``employed ~ unemployment_rate``);
    ``"poisson"`` (log link) a non-negative count; ``"gaussian"`` (identity) any outcome
    (weighted least squares with the Pearson dispersion).

    Parameters
    ----------
    formula : the model, as for :func:`feols` but without ``| fixed effects`` (use ``C(year)``).
    data : pandas or polars DataFrame (never modified).
    family : ``"binomial"``, ``"poisson"`` or ``"gaussian"``.
    trials : column with the number of trials (binomial counts).
    weights : column of non-negative prior weights.
    vcov : ``"iid"`` (model-based, default), ``"hetero"``/``"HC1"`` or ``{"CR1": "col"}``.
    tol, max_iter : IRLS stops when the relative change in deviance is below ``tol``.
    collinear_tol : relative pivot threshold for dropping collinear regressors.
    alpha : 1 - confidence level (intervals use the normal distribution, as statsmodels).

    Returns
    -------
    GlmResult with ``tidy()``, ``glance()`` (deviance, log-likelihood, AIC), ``summary()``,
    ``fitted()``.

    Raises
    ------
    DataError (outcome outside the family's support, non-positive trials),
    IdentificationError (separation: the MLE does not exist; all regressors collinear),
    ConvergenceError, ColumnNotFoundError, FormulaError, UnknownChoiceError.

    References
    ----------
    McCullagh & Nelder (1989). Matches statsmodels GLM to 1e-6 (``tests/fixtures/glm_statsmodels.json``).

    Examples
    --------
    >>> import virkning as vk
    >>> panel = vk.datasets.municipalities()
    >>> panel = panel[panel["refugees"] > 0]
    >>> fit = vk.glm("employed ~ unemployment_rate + C(year)", panel, trials="refugees")
    >>> fit.tidy()["term"].iloc[1]
    'unemployment_rate'
    """
    df = _data.as_frame(data)
    kind, cluster = _parse_vcov(vcov)
    names = list(_core.formula_columns(formula))
    for extra in (trials, weights):
        if extra is not None:
            names.append(extra)
    names += cluster
    cols = _data.columns(df, names)
    params = {
        "formula": formula,
        "trials": trials,
        "weights": weights,
        "irls": {"tol": float(tol), "max_iter": int(max_iter)},
        "collinear_tol": float(collinear_tol),
        "alpha": float(alpha),
    }
    inner = _core.glm(cols, json.dumps(params), str(family), kind or "iid", cluster)
    return GlmResult._from_inner(inner, _data.backend_of(df))
