"""Event studies for staggered adoption: the Goodman-Bacon decomposition of TWFE, Sun &
Abraham's interaction-weighted event study, the TWFE event study and Borusyak, Jaravel &
Spiess's imputation estimator.

Every function takes the same column roles as :func:`virkning.att_gt`: ``outcome``, ``unit``,
``time`` and ``cohort`` (the first treated period; 0 or missing for never treated), or instead of
``cohort`` a 0/1 ``treatment`` column that must stay on once it starts.

No silent reference: a cohort value 0 where 0 is also a period is a ``DataError`` (mark never
treated with a missing value); a reference event time no treated unit is observed at (e.g. -1 in
a panel observed every two years), or event-time effects collinear with the unit and period
effects, are an ``IdentificationError``; collinear covariates are dropped with a
``CollinearityWarning``; clusters are checked as in ``feols`` (one cluster: ``SingleClusterError``).
"""

from __future__ import annotations

import json
from typing import Any

from virkning import _core, _data
from virkning.exceptions import InvalidParameterError
from virkning._deprecation import deprecated_keywords
from virkning.inference import boot_option
from virkning.options import Bootstrap, as_bootstrap
from virkning.results.event_study import BaconResult, EventStudyResult


def _columns(data: Any, names: list[str | None]) -> tuple[Any, dict]:
    df = _data.as_frame(data)
    return df, _data.columns(df, [n for n in names if n is not None])


def bacon(data: Any, *, outcome: str, unit: str, time: str, cohort: str | None = None,
          treatment: str | None = None) -> BaconResult:
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
    treatment : instead of ``cohort``, a 0/1 treatment column; the cohort is its first period at
        1. Treatment that switches off again is a ``DataError``.

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
    df, cols = _columns(data, [outcome, unit, time, cohort, treatment])
    params = {"outcome": outcome, "unit": unit, "time": time, **_timing(cohort, treatment)}
    inner = _core.bacon(cols, json.dumps(params))
    return BaconResult._from_inner(inner, _data.backend_of(df))


def _timing(cohort: str | None, treatment: str | None) -> dict:
    """The timing roles: a cohort column or a 0/1 treatment column (Rust checks that exactly one is given)."""
    return {"cohort": cohort or "", "treatment": treatment}


def _wild(function: str, bootstrap: int | Bootstrap | None, deprecated: dict, alpha: float) -> dict | None:
    """The wild cluster bootstrap option of an event study as the JSON of Rust's ``WildBoot``
    (``bootstrap=`` as a number of draws or a ``vk.Bootstrap``; the deprecated ``wildboot=``)."""
    old = deprecated_keywords(function, deprecated, {"wildboot": "bootstrap=vk.Bootstrap(reps=, weights=, seed=)"},
                              stacklevel=4)
    if "wildboot" in old:
        if bootstrap is not None:
            raise InvalidParameterError(f"{function}: give bootstrap= only (wildboot= is its deprecated spelling)")
        return boot_option(old["wildboot"], alpha)
    boot = as_bootstrap(bootstrap, wild=True)
    return None if boot is None else boot_option(boot.to_dict(), alpha)


def _event_study(method: str, data: Any, roles: dict, options: dict, extra_columns: list[str | None]) -> EventStudyResult:
    names = [roles["outcome"], roles["unit"], roles["time"], roles["cohort"] or None, roles["treatment"], *extra_columns]
    df, cols = _columns(data, names)
    params = {**roles, **options}
    inner = _core.event_study(cols, method, json.dumps(params))
    res = EventStudyResult._from_inner(inner, _data.backend_of(df))
    res._ri_call = (method, cols, json.dumps(params))
    return res


def sun_abraham(
    data: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    covariates: list[str] | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
    bootstrap: int | Bootstrap | None = None,
    **deprecated: Any,
) -> EventStudyResult:
    """Sun & Abraham (2021) interaction-weighted event study.

    Fits ``outcome ~ sum_g sum_{e != -1} 1{cohort = g} 1{time - g = e} + covariates | unit + time``
    (feols, cohort x event-time dummies, never-treated units as controls; without them the
    last-treated cohort, with the periods from its adoption dropped) and averages each event
    time's cohort coefficients with the cohorts' shares of the cell. Standard errors by the
    delta method from the CR1 covariance (shares treated as fixed, as fixest ``sunab``).

    Parameters
    ----------
    data : pandas or polars DataFrame (never modified).
    outcome, unit, time, cohort : column roles; ``cohort`` is the first treated period (0 or
        missing: never treated). Units treated in the first period are dropped and reported.
    treatment : instead of ``cohort``, a 0/1 treatment column (the cohort is its first period at
        1); treatment that switches off again is a ``DataError``. The same in every function here.
    covariates : time-varying covariates added linearly.
    cluster : cluster column (default ``unit``).
    alpha : 1 - confidence level.
    bootstrap : wild cluster bootstrap p-value and test-inversion interval for every event time
        (added to ``tidy()`` as ``boot_p_value, boot_conf_low, boot_conf_high``): a number of
        draws, or ``vk.Bootstrap(reps=, weights=, seed=, impose_null=, bootstrap_type=)`` with
        the defaults of ``FeolsResult.wildboot`` for unset fields (9,999 Rademacher draws, WCR, a
        fresh seed, reported in ``params``), e.g.
        ``bootstrap=vk.Bootstrap(reps=9999, weights="webb", seed=1)``. Each
        event time's combination of cell coefficients is bootstrapped exactly as
        ``feols(...).wildboot({cell: share, ...}, ...)`` on the same model (cohort shares fixed),
        clustered and bootstrapped by ``cluster``, one seed for all event times; with Rademacher
        weights and ``2**G <= reps`` every sign vector is used (exact). The ATT is not bootstrapped.
    **deprecated : ``wildboot=True | dict(...)`` (use ``bootstrap=``) still works for one release,
        with a ``DeprecationWarning``.

    Returns
    -------
    EventStudyResult: ``tidy()`` (``event_time`` rows), ``att``, ``cohort_effects()``,
    ``pretrend`` (joint Wald test of the pre-treatment effects), ``plot()``.

    Raises
    ------
    InvalidParameterError (``bootstrap`` with ``reps=0``), UnknownChoiceError
    (bootstrap weights name), SingleClusterError / InferenceError from the bootstrap.

    References
    ----------
    Sun & Abraham (2021), Journal of Econometrics 225(2). Equals pyfixest 0.60's saturated event
    study (= fixest ``sunab``) on mpdta to 1e-13.
    """
    options = {"covariates": list(covariates or []), "cluster": cluster, "alpha": float(alpha),
               "wildboot": _wild("sun_abraham", bootstrap, deprecated, alpha)}
    return _event_study("sun_abraham", data, {"outcome": outcome, "unit": unit, "time": time, **_timing(cohort, treatment)},
                        options, [*(covariates or []), cluster])


def event_study(
    data: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    reference: int = -1,
    min_event_time: int | None = None,
    max_event_time: int | None = None,
    covariates: list[str] | None = None,
    cluster: str | None = None,
    alpha: float = 0.05,
    bootstrap: int | Bootstrap | None = None,
    **deprecated: Any,
) -> EventStudyResult:
    """TWFE event study: ``outcome ~ i(event_time, ref=reference) + covariates | unit + time``.

    Never-treated units sit in the reference; event times beyond ``min_event_time`` /
    ``max_event_time`` are pooled into the end bins. The same as
    ``vk.feols("y ~ i(rel, ref=-1) | unit + time", ...)`` with ``rel`` built by hand. Biased when
    effects differ across cohorts or change over time (see :func:`bacon`); use
    :func:`sun_abraham`, :func:`did_imputation` or ``att_gt`` for estimates and this as the
    comparison. Equals pyfixest 0.60 on mpdta to 1e-13. ``ritest()`` tests the mean
    post-treatment effect (event-time effects weighted by ``n_obs``; TWFE reports no ATT).

    ``bootstrap`` (draws or a ``vk.Bootstrap``) adds wild cluster bootstrap p-values and intervals by event time, as in
    :func:`sun_abraham` (each event-time coefficient bootstrapped as ``feols(...).wildboot``
    would on the same model and seed). With few clusters (2**G <= reps, Rademacher) the
    bootstrap enumerates every sign vector and is exact and seed-free.
    """
    options = {"reference": int(reference), "min_event_time": min_event_time, "max_event_time": max_event_time,
               "covariates": list(covariates or []), "cluster": cluster, "alpha": float(alpha),
               "wildboot": _wild("event_study", bootstrap, deprecated, alpha)}
    return _event_study("twfe", data, {"outcome": outcome, "unit": unit, "time": time, **_timing(cohort, treatment)},
                        options, [*(covariates or []), cluster])


def did_imputation(
    data: Any,
    *,
    outcome: str,
    unit: str,
    time: str,
    cohort: str | None = None,
    treatment: str | None = None,
    covariates: list[str] | None = None,
    horizons: list[int] | None = None,
    pretrends: int = 0,
    cluster: str | None = None,
    alpha: float = 0.05,
) -> EventStudyResult:
    """Borusyak, Jaravel & Spiess (2024) imputation estimator.

    Fits unit and period effects (and covariates) on the untreated observations, imputes the
    untreated outcome of every treated observation, and averages the differences by event time
    (``horizons``) and overall (``att``). Standard errors are BJS's conservative ones (Theorem 3,
    clustered by ``cluster``, default the unit). ``pretrends = K`` adds BJS's pre-trend test:
    coefficients on event times -1..-K in a regression on untreated observations only (rows
    with negative ``event_time`` in ``tidy()``) and their joint Wald test (``pretrend``).

    Treated observations whose unit or period has no untreated observation cannot be imputed;
    they are dropped with a warning (units treated in the first period are reported too).
    Requested ``horizons`` (or pre-trend event times) without observations are named in a
    warning, or an ``IdentificationError`` when none is observed; pre-trend dummies that cover
    every untreated period of the treated units are not identified (an ``IdentificationError``).

    References
    ----------
    Borusyak, Jaravel & Spiess (2024), Review of Economic Studies 91(6). Equals did-imputation
    0.1.0 (Stata ``did_imputation``) on mpdta to 1e-6 (effects, standard errors, ATT).

    No wild bootstrap option: the imputation effects are not coefficients of one regression
    (use :func:`sun_abraham` or :func:`event_study` with ``bootstrap=``, or ``att_gt`` with its
    multiplier bootstrap ``bootstrap=``).
    """
    options = {"covariates": list(covariates or []), "horizons": None if horizons is None else [int(h) for h in horizons],
               "pretrends": int(pretrends), "cluster": cluster, "alpha": float(alpha)}
    return _event_study("imputation", data, {"outcome": outcome, "unit": unit, "time": time, **_timing(cohort, treatment)},
                        options, [*(covariates or []), cluster])
