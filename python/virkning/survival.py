"""Survival analysis for time to a job: spell splitting, Kaplan-Meier, log-rank and Cox models.

Every number is computed in Rust (``src/survival``) and matches R survival 3.5
(``tests/fixtures/survival_r.json``).
"""

from __future__ import annotations

import json
from typing import Any, Mapping, Sequence

import narwhals as nw
import numpy as np

from virkning import _core, _data
from virkning.results.survival import CoxResult, CumincResult, KaplanMeierResult, LogRankResult


def kaplan_meier(
    data: Any,
    *,
    duration: str,
    event: str,
    group: str | None = None,
    entry: str | None = None,
    weights: str | None = None,
    conf_type: str = "log",
    alpha: float = 0.05,
) -> KaplanMeierResult:
    """Kaplan-Meier survival curves with Greenwood intervals and Nelson-Aalen hazards.

    Parameters
    ----------
    data : pandas or polars DataFrame (never modified).
    duration : time to the event or censoring (the exit time with ``entry``).
    event : 1 = event (a job), 0 = censored.
    group : optional column: one curve per level.
    entry : optional entry time (left truncation: at risk on ``(entry, duration]``).
    weights : optional case weights (Greenwood on the weighted counts, R's ``robust=FALSE``).
    conf_type : ``"log"`` (R's default), ``"log-log"`` or ``"plain"``.
    alpha : 1 - confidence level of the pointwise bands.

    Returns
    -------
    KaplanMeierResult with ``tidy()`` (one row per group and time), ``median()``,
    ``quantile(probs)``, ``glance()`` and ``plot()`` (curves, bands, at-risk table).

    Raises
    ------
    InvalidTimeError (negative times), StopBeforeStartError (duration <= entry), EventCodeError
    (events not 0/1), NoEventsError, ColumnNotFoundError, UnknownChoiceError.

    References
    ----------
    Kaplan & Meier (1958); Greenwood (1926); R survival ``survfit`` and ``quantile.survfit``.

    Examples
    --------
    >>> import pandas as pd, virkning as vk
    >>> df = pd.DataFrame({"weeks": [3, 5, 5, 8, 12], "job": [1, 1, 0, 1, 0]})
    >>> km = vk.kaplan_meier(df, duration="weeks", event="job")
    >>> round(float(km.tidy()["estimate"].iloc[0]), 3)
    0.8
    """
    df = _data.as_frame(data)
    names = [duration, event] + [c for c in (group, entry, weights) if c is not None]
    cols = _data.columns(df, names)
    params = {
        "duration": duration,
        "event": event,
        "group": group,
        "entry": entry,
        "weights": weights,
        "conf_type": str(conf_type),
        "alpha": float(alpha),
    }
    inner = _core.kaplan_meier(cols, json.dumps(params))
    return KaplanMeierResult._from_inner(inner, _data.backend_of(df))


def logrank(
    data: Any,
    *,
    duration: str,
    event: str,
    group: str,
    strata: str | None = None,
) -> LogRankResult:
    """Log-rank test of equal survival across ``group`` (stratified by ``strata``), as R ``survdiff``.

    Returns a LogRankResult: ``tidy()`` has one row per group (observed minus expected events),
    ``glance()`` the chi-square statistic, degrees of freedom and p-value.

    Examples
    --------
    >>> import pandas as pd, virkning as vk
    >>> df = pd.DataFrame({"t": [1, 2, 3, 4, 5, 6], "e": [1, 1, 1, 1, 0, 1], "g": [0, 1, 0, 1, 0, 1]})
    >>> int(vk.logrank(df, duration="t", event="e", group="g").glance()["df"].iloc[0])
    1
    """
    df = _data.as_frame(data)
    names = [duration, event, group] + ([strata] if strata is not None else [])
    cols = _data.columns(df, names)
    out = json.loads(_core.logrank(cols, duration, event, group, strata))
    return LogRankResult._from_dict(out, _data.backend_of(df))


def coxph(
    formula: str,
    data: Any,
    *,
    ties: str = "efron",
    weights: str | None = None,
    cluster: str | None = None,
    robust: bool = False,
    offset: str | None = None,
    tol: float = 1e-9,
    max_iter: int = 20,
    alpha: float = 0.05,
) -> CoxResult:
    """Cox proportional-hazards regression.

    ``formula`` is ``Surv(time, event) ~ x1 + x2`` or, for time-varying covariates in
    counting-process form (see :func:`survsplit`), ``Surv(start, stop, event) ~ ...``; the right
    side takes ``C(x)``, ``a:b``, ``a*b`` and ``strata(z)`` (a baseline hazard per level).

    Parameters
    ----------
    ties : ``"efron"`` (default, as R) or ``"breslow"``.
    weights : case weights. Non-integer (sampling) weights want ``robust=True`` (R's default then).
    cluster : column for a cluster-robust variance (e.g. the person id of split spells).
    robust : Lin & Wei (1989) robust variance (each row its own cluster without ``cluster``).
    offset : column added to the linear predictor with coefficient 1.
    tol, max_iter : Newton-Raphson stops when the relative change of the log partial
        likelihood is below ``tol`` (R's ``eps``).
    alpha : 1 - confidence level (normal intervals, as R).

    Returns
    -------
    CoxResult: ``tidy()`` (log hazard ratios, then ``hazard_ratio, hr_conf_low, hr_conf_high``),
    ``glance()`` (likelihood-ratio, Wald and score tests, concordance), ``cox_zph()``,
    ``baseline_hazard()``, ``predict_survival(newdata)``, ``score_residuals()``, ``plot()``.

    Raises
    ------
    InvalidTimeError, StopBeforeStartError, EventCodeError, NoEventsError, NonFiniteError,
    SingleClusterError, IdentificationError (every regressor collinear), FormulaError.
    Warnings: CollinearityWarning (a regressor dropped), SeparationWarning (a coefficient
    running to infinity), ConvergenceWarning.

    References
    ----------
    Cox (1972); Efron (1977); Breslow (1974); Lin & Wei (1989); Therneau & Grambsch (2000).

    Examples
    --------
    >>> import pandas as pd, virkning as vk
    >>> df = pd.DataFrame({"time": [9, 1, 1, 6, 6, 8], "status": [1, 1, 0, 1, 1, 0], "x": [0, 1, 1, 1, 0, 0]})
    >>> round(float(vk.coxph("Surv(time, status) ~ x", df).coef()["x"]), 6)
    1.676857
    """
    df = _data.as_frame(data)
    names = list(_core.surv_formula_columns(formula))
    names += [c for c in (weights, cluster, offset) if c is not None]
    cols = _data.columns(df, names)
    params = {
        "formula": formula,
        "ties": str(ties),
        "weights": weights,
        "offset": offset,
        "cluster": cluster,
        "robust": bool(robust or cluster is not None),
        "tol": float(tol),
        "max_iter": int(max_iter),
        "alpha": float(alpha),
    }
    inner = _core.coxph(cols, json.dumps(params))
    return CoxResult._from_inner(inner, _data.backend_of(df))


def survsplit(
    data: Any,
    *,
    exit: str,
    event: str,
    entry: str | None = None,
    id: str | None = None,
    programmes: Mapping[str, str] | None = None,
    cuts: Sequence[float] | None = None,
    event_codes: Sequence[int] = (0, 1),
) -> Any:
    """Person-level spells to counting-process rows ``(start, stop]`` (like R ``survSplit``/``tmerge``).

    Each row (``entry`` to ``exit``, event code ``event``) is cut at every programme start date
    and every value of ``cuts`` inside the spell. The output keeps every input column, with
    ``start``, ``stop``, the event code on each spell's last interval (0 before), ``interval``
    (1, 2, ...) and one 0/1 column per programme (1 once it has started: a time-varying
    covariate for ``coxph("Surv(start, stop, event) ~ programme", ...)``).

    Parameters
    ----------
    programmes : ``{"igu": "igu_start", ...}``: indicator name -> start-date column (missing =
        never started).
    event_codes : the declared codes (0 = censored; 1, 2, ... = causes).
    id : person id: two spells of one person may not overlap.

    Raises
    ------
    InvalidTimeError, StopBeforeStartError, EventCodeError, OverlappingSpellsError.

    Examples
    --------
    >>> import pandas as pd, virkning as vk
    >>> people = pd.DataFrame({"weeks": [30.0, 10.0], "job": [1, 0], "igu_start": [12.0, None]})
    >>> rows = vk.survsplit(people, exit="weeks", event="job", programmes={"igu": "igu_start"})
    >>> rows[["start", "stop", "job", "igu"]].values.tolist()
    [[0.0, 12.0, 0.0, 0.0], [12.0, 30.0, 1.0, 1.0], [0.0, 10.0, 0.0, 0.0]]
    """
    df = _data.as_frame(data)
    programmes = dict(programmes or {})
    names = [exit, event] + [c for c in (entry, id) if c is not None] + list(programmes.values())
    cols = _data.columns(df, names)
    spec = {
        "id": id,
        "entry": entry,
        "exit": exit,
        "event": event,
        "event_codes": [int(c) for c in event_codes],
        "programmes": [[k, v] for k, v in programmes.items()],
        "cuts": [float(c) for c in (cuts or [])],
    }
    rows, start, stop, ev, interval, progs, dropped = _core.survsplit(cols, json.dumps(spec))
    if dropped:
        import warnings

        from virkning.exceptions import VirkningWarning

        warnings.warn(f"{dropped} rows with a missing entry, exit or event dropped", VirkningWarning, stacklevel=2)
    out = df[np.asarray(rows, dtype=np.int64).tolist()] if len(rows) else df.head(0)
    ns = _data.backend_of(df)
    new = {"start": start, "stop": stop, event: ev, "interval": interval, **dict(progs)}
    for name, values in new.items():
        out = out.with_columns(nw.new_series(name, np.asarray(values), backend=ns))
    return out.to_native()


def cuminc(data: Any, *, duration: str, event: str, group: str | None = None, alpha: float = 0.05) -> CumincResult:
    """Cumulative incidence of competing causes (Aalen-Johansen) with Gray's variance, as R
    ``cmprsk::cuminc``: ``event`` 0 = censored, 1, 2, ... = causes (a job, education, leaving).

    Returns a CumincResult: ``tidy()`` one row per group, cause and event time (``estimate`` the
    cumulative incidence, ``std_error``, normal ``conf_low``/``conf_high`` clipped to [0, 1]);
    ``plot()`` the curves.

    Examples
    --------
    >>> import pandas as pd, virkning as vk
    >>> df = pd.DataFrame({"weeks": [2, 3, 3, 5, 8, 9], "exit": [1, 2, 0, 1, 0, 2]})
    >>> ci = vk.cuminc(df, duration="weeks", event="exit")
    >>> round(float(ci.tidy()["estimate"].iloc[0]), 4)
    0.1667
    """
    df = _data.as_frame(data)
    cols = _data.columns(df, [duration, event] + ([group] if group is not None else []))
    params = {"duration": duration, "event": event, "group": group}
    out = json.loads(_core.cuminc(cols, json.dumps(params)))
    out["alpha"] = float(alpha)
    return CumincResult._from_dict(out, _data.backend_of(df))
