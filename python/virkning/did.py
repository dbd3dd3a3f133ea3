"""Staggered difference-in-differences: Callaway & Sant'Anna (2021) group-time effects.

Names map to R ``did`` as follows (``att_gt`` / ``aggte``):

=====================  ==========================  ==========================================
virkning               R did                       meaning
=====================  ==========================  ==========================================
``outcome``            ``yname``                   outcome column
``unit``               ``idname``                  unit id column
``time``               ``tname``                   period column
``cohort``             ``gname``                   first treated period (0/missing: never)
``covariates``         ``xformla``                 list of covariate columns
``control_group``      ``control_group``           ``"never_treated"`` / ``"not_yet_treated"``
``method``             ``est_method``              ``"dr"`` / ``"ipw"`` / ``"reg"``
``anticipation``       ``anticipation``            periods of anticipation
``base_period``        ``base_period``             ``"varying"`` / ``"universal"``
``weights``            ``weightsname``             sampling weights (constant within unit)
``cluster``            ``clustervars``             cluster at or above the unit
``alpha``              ``alp``                     1 - confidence level
``bootstrap``          ``bstrap``/``biters``       draws, or ``vk.Bootstrap(reps, weights, seed)``
``Bootstrap.weights``  (Mammen only)               ``"mammen"`` / ``"rademacher"``
``aggregate(kind)``    ``aggte(type=)``            ``"simple"``, ``"dynamic"``, ``"group"``, ``"calendar"``
``min_e``/``max_e``    ``min_e``/``max_e``         event-time window
``balance_e``          ``balance_e``               balance cohorts over event times 0..balance_e
=====================  ==========================  ==========================================
"""

from __future__ import annotations

import json
from typing import Any, Sequence

from virkning import _core, _data
from virkning._deprecation import deprecated_keywords
from virkning._typing import BasePeriod, ControlGroup, DidMethod
from virkning.exceptions import InvalidParameterError
from virkning.options import Bootstrap, as_bootstrap
from virkning.results.did import GroupTimeEffects


def att_gt(
    data: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    covariates: Sequence[str] | None = None,
    control_group: ControlGroup = "never_treated",
    method: DidMethod = "dr",
    anticipation: int = 0,
    base_period: BasePeriod = "varying",
    weights: str | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
    bootstrap: int | Bootstrap | None = None,
    trim_level: float = 0.995,
    **deprecated: Any,
) -> GroupTimeEffects:
    """Callaway & Sant'Anna (2021) group-time average treatment effects ATT(g,t).

    Each ATT(g,t) compares the change in ``outcome`` from a base period to period t between
    cohort g (units first treated in g) and a control group, by outcome regression, normalised
    inverse probability weighting or the doubly robust estimator of Sant'Anna & Zhao (2020),
    as R ``did`` does for panel data. Aggregate with ``result.aggregate("dynamic")`` etc.

    Parameters
    ----------
    data : pandas or polars DataFrame, one row per unit and period (never modified).
    outcome, unit, time, cohort : column roles; ``cohort`` holds the first treated period,
        0 or missing for never treated units (a cohort after the last period counts as never
        treated, and units treated in the first period are dropped and reported).
    treatment : instead of ``cohort``, a 0/1 treatment column; the cohort is the first period
        where it is 1, and treatment that switches off again is an error.
    covariates : numeric columns to condition on; time-varying covariates are allowed and are
        taken at the earlier of the two periods compared (R ``did`` takes the first period).
    control_group : ``"never_treated"`` or ``"not_yet_treated"``.
    method : ``"dr"`` (doubly robust), ``"ipw"`` or ``"reg"``.
    anticipation : periods before g in which effects may already appear.
    base_period : ``"varying"`` (pre-periods compare t with t-1) or ``"universal"``
        (everything compares with g - anticipation - 1).
    weights : sampling weights column (constant within unit).
    cluster : cluster column at or above the unit (e.g. region), constant within unit;
        default: by unit. Analytic standard errors are clustered too (R ``did`` clusters only
        in the bootstrap).
    alpha : 1 - confidence level.
    bootstrap : multiplier bootstrap: a number of draws, or ``vk.Bootstrap(reps=, weights=,
        seed=)`` with weights ``"mammen"`` (R ``did``, the default) or ``"rademacher"``; then
        standard errors are bootstrapped and the intervals form a simultaneous (sup-t) band.
        The seed is also the default of ``aggregate()``. ``None``: analytic, pointwise.
    trim_level : controls with propensity score at or above it get zero weight (DRDID's 0.995).
    **deprecated : ``bootstrap_weights=`` and ``seed=`` (use ``bootstrap=vk.Bootstrap(weights=,
        seed=)``) still work for one release, with a ``DeprecationWarning``.

    Returns
    -------
    GroupTimeEffects with ``tidy()`` (``cohort, time, estimate, std_error, conf_low,
    conf_high`` plus ``event_time``, ``band``), ``aggregate()``, ``summary()``, ``plot()``.

    Raises
    ------
    ColumnNotFoundError, NonNumericError, NonFiniteError, DuplicateRowsError, InvalidWeightsError,
    SingleClusterError, DataError (cohort changing within a unit, weights or cluster varying
    within a unit), IdentificationError (no never-treated units with
    ``control_group="never_treated"``: use ``"not_yet_treated"``), UnknownChoiceError.

    Warns
    -----
    OverlapWarning (propensity scores trimmed or cells without overlap), SmallClusterWarning
    (cohorts with a single unit get no standard error; fewer than 30 clusters).

    References
    ----------
    Callaway & Sant'Anna (2021), J. Econometrics 225(2); Sant'Anna & Zhao (2020), J.
    Econometrics 219(1). Equal to R ``did`` (through csdid 0.4.3) to 1e-8 on mpdta.

    Examples
    --------
    >>> import virkning as vk
    >>> panel = vk.datasets.municipalities()
    >>> fit = vk.att_gt(panel, outcome="employment_rate", unit="municipality_code",
    ...                 time="year", cohort="igu_year", control_group="not_yet_treated")
    >>> list(fit.aggregate("dynamic").tidy().columns)[:2]
    ['event_time', 'estimate']
    """
    if isinstance(covariates, str):
        covariates = [covariates]
    covariates = list(covariates or [])
    old = deprecated_keywords("att_gt", deprecated, {"bootstrap_weights": "bootstrap=vk.Bootstrap(weights=...)",
                                                     "seed": "bootstrap=vk.Bootstrap(seed=...)"})
    boot = as_bootstrap(bootstrap)
    seed = old.get("seed", None if boot is None else boot.seed)
    if boot is not None and boot.reps is None:
        raise InvalidParameterError("att_gt: give the number of bootstrap draws, e.g. bootstrap=vk.Bootstrap(reps=999)")
    if (cohort is None) == (treatment is None):
        raise InvalidParameterError("give exactly one of `cohort` (first treated period) or `treatment` (0/1 column)")
    df = _data.as_frame(data)
    names = [outcome, unit, time, cohort or treatment, *covariates]
    if weights is not None:
        names.append(weights)
    if cluster is not None:
        names.append(cluster)
    cols = _data.columns(df, names)
    params = {
        "outcome": outcome,
        "unit": unit,
        "time": time,
        "cohort": cohort or "",
        "treatment": treatment,
        "covariates": covariates,
        "control_group": control_group,
        "method": method,
        "anticipation": int(anticipation),
        "base_period": base_period,
        "weights": weights,
        "cluster": cluster,
        "alpha": float(alpha),
        "bootstrap": None if boot is None else {
            "n_boot": boot.reps, "weights": old.get("bootstrap_weights", boot.weights or "mammen")},
        "seed": None if seed is None else int(seed),
        "trim_level": float(trim_level),
    }
    inner = _core.att_gt(cols, json.dumps(params))
    res = GroupTimeEffects._from_inner(inner, _data.backend_of(df))
    res._ri_call = ("att_gt", cols, json.dumps(params))
    return res
