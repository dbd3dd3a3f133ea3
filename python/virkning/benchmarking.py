"""Benchmarking municipalities fairly against their frame conditions (rammevilkaar)."""

from __future__ import annotations

import json
from typing import Any, Sequence

from virkning import _core, _data
from virkning._deprecation import deprecated_keywords
from virkning.exceptions import InvalidParameterError, UnknownChoiceError
from virkning.options import Bootstrap, as_bootstrap
from virkning.results.benchmarking import BenchmarkResult


def benchmark(
    data: Any,
    *,
    outcome: str,
    unit: str,
    frame_conditions: Sequence[str],
    size: str | None = None,
    time: str | None = None,
    period: Any = None,
    model: str | None = None,
    alpha: float = 0.10,
    bootstrap: int | Bootstrap | None = None,
    top: int = 10,
    n_groups: int | str | None = None,
    group_method: str = "kmeans",
    group_seeds: int = 20,
    seed: int | None = None,
    **deprecated: Any,
) -> BenchmarkResult:
    """Benchmark units (municipalities) against the outcome their frame conditions predict.

    Expected outcome: a logistic GLM on counts (``model="binomial"``, the default with
    ``size``: ``round(rate * size)`` jobs out of ``size`` refugees) or a weighted linear model
    (``model="linear"``, weights = ``size``). Performance = observed - expected, with a
    standard error that combines the sampling noise of the observed rate and the model's
    parameter uncertainty. Ranks (1 = best) come with 90 % rank intervals and P(top ``top``)
    from empirical-Bayes posterior draws (normal-normal random-intercept model, between-unit
    variance by REML given the frame conditions), which cover the true ranks at the nominal rate in
    simulation; unshrunk intervals are reported too. Funnel-plot flags at 95 % and 99.8 %.

    Parameters
    ----------
    data : pandas or polars DataFrame, one row per unit (and period with ``time``).
    outcome : rate column in [0, 1] (e.g. ``employment_rate``).
    unit : unit column (e.g. ``municipality``).
    frame_conditions : frame-condition columns (unemployment, composition of refugees, ...).
    size : number of refugees per unit (weights / binomial trials). Units with 0 are excluded
        and reported in ``dropped_zero_size``.
    time : period column for a panel: period effects enter the model, persistence is computed.
    period : the period to rank (default: the last).
    model : ``"binomial"`` or ``"linear"``.
    alpha : 1 - level of the rank intervals (0.10: 90 % intervals).
    bootstrap : the empirical-Bayes posterior draws behind ranks, rank intervals and P(top): a
        number (default 2,000) or ``vk.Bootstrap(reps=, seed=)``.
    top : cut-off for P(top).
    n_groups : comparable groups of units by their frame conditions: ``None`` (no grouping), a
        number of groups, or ``"auto"`` (silhouette). Not error clustering.
    group_method : ``"kmeans"`` or ``"gmm"`` (Gaussian mixture, full covariances); both by linfa.
    group_seeds : re-runs with other seeds for the stability report (adjusted Rand index).
    seed : seed of every random draw (results do not depend on the thread count); a
        ``Bootstrap`` seed, when given, is used instead.
    **deprecated : ``level=`` (use ``alpha = 1 - level``), ``n_sim=`` (use ``bootstrap=``),
        ``clusters=``, ``cluster_method=``, ``cluster_seeds=`` (use ``n_groups=``,
        ``group_method=``, ``group_seeds=``) still work for one release, with a
        ``DeprecationWarning``.

    Returns
    -------
    BenchmarkResult: ``tidy()`` has one row per unit with ``expected``, ``performance``,
    ``std_error``, ``rank``, ``rank_low``, ``rank_high``, ``p_top``, ``shrunk``, ...;
    ``funnel_plot()``, ``caterpillar_plot()``, ``persistence()``, ``clusters``.

    Raises
    ------
    DataError (rates outside [0, 1], missing frame conditions, duplicated units, negative
    size), IdentificationError (fewer units than parameters; constant or collinear frame conditions; separation), InvalidParameterError
    (more groups than units), ColumnNotFoundError.

    References
    ----------
    Spiegelhalter (2005) funnel plots; Goldstein & Spiegelhalter (1996) league tables;
    Laird & Louis (1989) ranks from posterior draws; Fay & Herriot (1979).

    Examples
    --------
    >>> import virkning as vk
    >>> panel = vk.datasets.municipalities()
    >>> b = vk.benchmark(panel[panel["year"] == 2024], outcome="employment_rate", unit="municipality",
    ...                  frame_conditions=["unemployment_rate", "share_short_education"], size="refugees", bootstrap=500)
    >>> b.tidy().shape[0]
    98
    """
    old = deprecated_keywords("benchmark", deprecated, {
        "level": "alpha= (1 - level)", "n_sim": "bootstrap=", "clusters": "n_groups=",
        "cluster_method": "group_method=", "cluster_seeds": "group_seeds="})
    boot = as_bootstrap(bootstrap) or Bootstrap()
    if boot.weights is not None:
        raise InvalidParameterError("benchmark: Bootstrap weights do not apply (the draws are posterior draws)")
    if boot.seed is not None:
        if seed is not None and seed != boot.seed:
            raise InvalidParameterError("benchmark: give the seed once (seed= or Bootstrap(seed=))")
        seed = boot.seed
    level = old["level"] if "level" in old else 1.0 - float(alpha)
    n_sim = old.get("n_sim", 2000 if boot.reps is None else boot.reps)
    n_groups = old.get("clusters", n_groups)
    group_method = old.get("cluster_method", group_method)
    group_seeds = old.get("cluster_seeds", group_seeds)
    df = _data.as_frame(data)
    frame_conditions = [frame_conditions] if isinstance(frame_conditions, str) else list(frame_conditions)
    names = [unit, outcome, *frame_conditions]
    for extra in (size, time):
        if extra is not None:
            names.append(extra)
    cols = _data.columns(df, names)
    cluster_spec = None
    if n_groups is not None:
        if n_groups != "auto" and (isinstance(n_groups, bool) or not isinstance(n_groups, int)):
            raise UnknownChoiceError(f"n_groups must be a number of groups (int), 'auto' or None, got {n_groups!r}")
        k = None if n_groups == "auto" else int(n_groups)
        cluster_spec = {"k": k, "method": str(group_method), "n_init": 10, "n_seeds": int(group_seeds)}
    params = {
        "outcome": outcome,
        "unit": unit,
        "frame_conditions": frame_conditions,
        "size": size,
        "time": time,
        "period": None if period is None else str(period),
        "model": model,
        "level": float(level),
        "n_sim": int(n_sim),
        "top": int(top),
        "seed": seed,
        "clusters": cluster_spec,
    }
    return BenchmarkResult._from_inner(_core.benchmark(cols, json.dumps(params)), _data.backend_of(df))
