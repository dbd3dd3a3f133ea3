"""Synthetic control and synthetic difference-in-differences."""

from __future__ import annotations

import json
from typing import Any, Literal

from virkning import _core, _data
from virkning.results.synth import SdidResult, SyntheticControlResult


def sdid(
    data: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated: str,
    method: Literal["sdid", "sc", "did"] = "sdid",
    se: Literal["placebo", "bootstrap", "jackknife", "none"] = "placebo",
    reps: int = 200,
    seed: int | None = None,
    alpha: float = 0.05,
) -> SdidResult:
    """Synthetic difference-in-differences (Arkhangelsky et al. 2021) and its SC / DiD cousins.

    ``tau = (-omega, 1/N1)' Y (-lambda, 1/T1)``: unit weights ``omega`` make the weighted
    controls parallel to the treated units before treatment, time weights ``lambda`` make the
    weighted pre-periods predictive of the post-periods; both solve the paper's regularised
    simplex problems by Frank-Wolfe exactly as the R package ``synthdid`` (noise level, ``zeta``,
    sparsification, stopping rule). ``method="sc"`` is synthetic control in the same framework
    (no intercept, no time weights), ``method="did"`` uniform weights.

    Parameters
    ----------
    data : pandas or polars DataFrame, a balanced long panel (never modified).
    outcome, unit, time : columns.
    treated : 0/1 column, 1 for treated units in treated periods (treatment must be absorbing).
        Several treated units are allowed; with staggered adoption each adoption cohort is fitted
        against the never-treated units and the cohort ATTs are averaged with weights
        ``N_treated * T_post`` (treated unit-periods), as the Stata ``sdid`` package.
    method : ``"sdid"``, ``"sc"`` or ``"did"``.
    se : ``"placebo"`` (needs more controls than treated units), ``"bootstrap"`` or
        ``"jackknife"`` (both need two or more treated units), or ``"none"``.
    reps : placebo/bootstrap replications (200 as in the R package).
    seed : seed of the replicate streams (results do not depend on the thread count).
    alpha : 1 - confidence level of the (normal) interval.

    Returns
    -------
    SdidResult: ``tidy()`` (one row, ``ATT``), ``by_cohort()``, ``weights`` (unit weights),
    ``time_weights``, ``summary()``, ``plot()``.

    Raises
    ------
    ColumnNotFoundError, DataError (missing unit x period cells, named), SynthError (no treated or
    control units, non-binary or non-absorbing treatment, fewer than 2 pre-periods, constant
    controls, placebo with too few controls, bootstrap/jackknife with one treated unit).

    Examples
    --------
    >>> import virkning as vk
    >>> fit = vk.sdid(prop99, outcome="PacksPerCapita", unit="State", time="Year",  # doctest: +SKIP
    ...               treated="treated", seed=1)
    """
    df = _data.as_frame(data)
    cols = _data.columns(df, [outcome, unit, time, treated])
    params = {
        "outcome": outcome, "unit": unit, "time": time, "treated": treated, "method": method,
        "se": se, "reps": int(reps), "seed": None if seed is None else int(seed), "alpha": float(alpha),
    }
    inner = _core.sdid(cols, json.dumps(params))
    res = SdidResult._from_inner(inner, _data.backend_of(df))
    res._ri_call = ("sdid", cols, json.dumps(params))
    return res


def synthetic_control(
    data: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    treated_unit: Any,
    treatment_start: int,
    predictors: list[str] | None = None,
    outcome_lags: list[int] | None = None,
    v: list[float] | None = None,
    placebo: bool = True,
    max_evals: int = 4000,
) -> SyntheticControlResult:
    """Synthetic control (Abadie, Diamond & Hainmueller 2010) for one treated unit.

    Donor weights on the simplex minimise ``(X1 - X0 w)' V (X1 - X0 w)``: the rows of ``X`` are
    the pre-period means of ``predictors`` followed by the outcome in each ``outcome_lags``
    period (default: every pre-period without predictors, none with them), each scaled to unit
    SD across units. ``V = diag(v)`` is supplied (``v``, one entry per row) or chosen to
    minimise the pre-period outcome MSPE (Nelder-Mead over the simplex, with the inner QP
    solved exactly by an active-set method and warm-started). With neither predictors nor
    lags, nothing is scaled, V is equal and the weights minimise the pre-period MSPE directly.

    Inference: placebo in space (every donor as treated, in parallel; post/pre RMSPE ratios
    and the permutation p-value), placebo in time (fake start mid pre-period) and leave-one-out
    refits without each donor that has weight.

    Returns
    -------
    SyntheticControlResult: ``weights`` (``unit, weight``), ``att``, ``tidy()``, ``paths()``,
    ``placebos()``, ``v``, ``summary()``, ``plot(kind="paths" | "gaps" | "placebos")``.

    Raises
    ------
    SynthError (unknown treated unit, start outside the periods, < 2 pre-periods or donors,
    wrong-length ``v``), DataError (missing cells, named). A treated unit outside the donors'
    range in the pre-period gives a ``VirkningWarning`` with the pre-period fit quality.
    """
    df = _data.as_frame(data)
    names = [outcome, unit, time, *(predictors or [])]
    cols = _data.columns(df, names)
    params = {
        "outcome": outcome, "unit": unit, "time": time, "treated_unit": str(treated_unit),
        "treatment_start": int(treatment_start), "predictors": list(predictors or []),
        "outcome_lags": None if outcome_lags is None else [int(x) for x in outcome_lags],
        "v": None if v is None else [float(x) for x in v], "placebo": bool(placebo), "max_evals": int(max_evals),
    }
    inner = _core.synthetic_control(cols, json.dumps(params))
    return SyntheticControlResult._from_inner(inner, _data.backend_of(df))
