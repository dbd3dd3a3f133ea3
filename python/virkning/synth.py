"""Synthetic control and synthetic difference-in-differences."""

from __future__ import annotations

import json
from typing import Any, Literal

import numpy as np

from virkning import _core, _data
from virkning._deprecation import deprecated_keywords
from virkning.exceptions import InvalidParameterError
from virkning.options import Bootstrap, as_bootstrap
from virkning.results.synth import SdidResult, SyntheticControlResult

#: The column that carries a 0/1 treatment built from ``cohort=`` (not a name in the data).
_FROM_COHORT = "__treatment_from_cohort"


def _treated_indicator(df: Any, time: str, cohort: str) -> np.ndarray:
    """0/1 treatment from a cohort column: 1 from the first treated period on; 0 or missing
    means never treated."""
    g = np.asarray(df.get_column(cohort).to_numpy(), dtype=float)
    t = np.asarray(df.get_column(time).to_numpy(), dtype=float)
    with np.errstate(invalid="ignore"):
        return ((g > 0) & (t >= g)).astype(np.int64)


def _one_of(function: str, cohort: str | None, treatment: str | None) -> None:
    if (cohort is None) == (treatment is None):
        raise InvalidParameterError(
            f"{function}: give exactly one of `cohort` (first treated period) or `treatment` (0/1 column)")


def sdid(
    data: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    treatment: str | None = None,
    cohort: str | None = None,
    method: Literal["sdid", "sc", "did"] = "sdid",
    se: Literal["placebo", "bootstrap", "jackknife", "none"] = "placebo",
    bootstrap: int | Bootstrap | None = None,
    alpha: float = 0.05,
    **deprecated: Any,
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
    treatment : 0/1 column, 1 for treated units in treated periods (treatment must be absorbing).
    cohort : instead of ``treatment``, the first treated period (0 or missing: never treated).
        Several treated units are allowed; with staggered adoption each adoption cohort is fitted
        against the never-treated units and the cohort ATTs are averaged with weights
        ``N_treated * T_post`` (treated unit-periods), as the Stata ``sdid`` package.
    method : ``"sdid"``, ``"sc"`` or ``"did"``.
    se : ``"placebo"`` (needs more controls than treated units), ``"bootstrap"`` or
        ``"jackknife"`` (both need two or more treated units), or ``"none"``.
    bootstrap : the replications of the placebo or bootstrap ``se``: a number (default 200, as
        the R package), or ``vk.Bootstrap(reps=, seed=)`` (the seed of the replicate streams;
        results do not depend on the thread count).
    alpha : 1 - confidence level of the (normal) interval.
    **deprecated : ``treated=`` (use ``treatment=``), ``reps=`` and ``seed=`` (use
        ``bootstrap=vk.Bootstrap(reps=, seed=)``) still work for one release, with a
        ``DeprecationWarning``.

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
    ...               treatment="treated", bootstrap=vk.Bootstrap(seed=1))
    """
    old = deprecated_keywords("sdid", deprecated, {"treated": "treatment=", "reps": "bootstrap=vk.Bootstrap(reps=...)",
                                                   "seed": "bootstrap=vk.Bootstrap(seed=...)"})
    if "treated" in old:
        if treatment is not None:
            raise InvalidParameterError("sdid: give treatment= only (treated= is its deprecated spelling)")
        treatment = old["treated"]
    _one_of("sdid", cohort, treatment)
    boot = as_bootstrap(bootstrap) or Bootstrap()
    if boot.weights is not None:
        raise InvalidParameterError("sdid: Bootstrap weights do not apply (the replications resample units)")
    reps = old.get("reps", 200 if boot.reps is None else boot.reps)
    seed = old.get("seed", boot.seed)
    df = _data.as_frame(data)
    cols = _data.columns(df, [outcome, unit, time, treatment or cohort])
    if cohort is not None:
        treatment = _FROM_COHORT
        cols[treatment] = _treated_indicator(df, time, cohort)
    params = {
        "outcome": outcome, "unit": unit, "time": time, "treated": treatment, "method": method,
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
    treated_unit: Any = None,
    treatment_start: int | None = None,
    treatment: str | None = None,
    cohort: str | None = None,
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

    Parameters
    ----------
    data : pandas or polars DataFrame, a balanced long panel (never modified).
    outcome, unit, time : columns.
    treated_unit, treatment_start : the treated unit and its first treated period (the
        shorthand), or instead the standard roles:
    treatment : a 0/1 (absorbing) treatment column with exactly one treated unit, or
    cohort : the first treated period (0 or missing: never treated), one treated unit.
    predictors, outcome_lags, v, placebo, max_evals : as described above.

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
    if treatment is not None or cohort is not None:
        if treated_unit is not None or treatment_start is not None:
            raise InvalidParameterError("synthetic_control: give treated_unit= and treatment_start=, "
                                        "or one of treatment= / cohort=, not both")
        _one_of("synthetic_control", cohort, treatment)
        treated_unit, treatment_start = _single_treated(df, unit, time, cohort, treatment)
    elif treated_unit is None or treatment_start is None:
        raise InvalidParameterError("synthetic_control: give treated_unit= and treatment_start= "
                                    "(or a treatment= / cohort= column)")
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


def _single_treated(df: Any, unit: str, time: str, cohort: str | None, treatment: str | None) -> tuple[Any, int]:
    """The one treated unit and its first treated period, from a cohort or 0/1 treatment column."""
    _data.columns(df, [unit, time, cohort or treatment])  # named errors for missing columns
    on = (_treated_indicator(df, time, cohort).astype(bool) if cohort is not None
          else np.asarray(df.get_column(treatment).to_numpy(), dtype=float) == 1)
    units = df.get_column(unit).to_numpy()[on]
    times = np.asarray(df.get_column(time).to_numpy())[on]
    found = list(dict.fromkeys(units.tolist()))
    if len(found) != 1:
        raise InvalidParameterError(
            f"synthetic_control needs exactly one treated unit, found {len(found)}"
            + (f" ({', '.join(map(str, found[:5]))}{', ...' if len(found) > 5 else ''})" if found else "")
            + "; use sdid for several")
    return found[0], int(times.min())
