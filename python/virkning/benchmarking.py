"""Benchmarking municipalities fairly against their frame conditions (rammevilkaar)."""

from __future__ import annotations

import json
from typing import Any, Sequence

from virkning import _core, _data
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
    level: float = 0.90,
    n_sim: int = 2000,
    top: int = 10,
    clusters: int | str | None = None,
    cluster_method: str = "kmeans",
    cluster_seeds: int = 20,
    seed: int | None = None,
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
    level : level of the rank intervals.
    n_sim : simulation draws.
    top : cut-off for P(top).
    clusters : ``None`` (no clusters), a number of clusters, or ``"auto"`` (silhouette).
    cluster_method : ``"kmeans"`` or ``"gmm"`` (Gaussian mixture, full covariances); both by linfa.
    cluster_seeds : re-runs with other seeds for the stability report (adjusted Rand index).
    seed : seed of every random draw (results do not depend on the thread count).

    Returns
    -------
    BenchmarkResult: ``tidy()`` has one row per unit with ``expected``, ``performance``,
    ``std_error``, ``rank``, ``rank_low``, ``rank_high``, ``p_top``, ``shrunk``, ...;
    ``funnel_plot()``, ``caterpillar_plot()``, ``persistence()``, ``clusters``.

    Raises
    ------
    DataError (rates outside [0, 1], missing frame conditions, duplicated units, negative
    size), IdentificationError (fewer units than parameters; constant or collinear frame conditions; separation), InvalidParameterError
    (more clusters than units), ColumnNotFoundError.

    References
    ----------
    Spiegelhalter (2005) funnel plots; Goldstein & Spiegelhalter (1996) league tables;
    Laird & Louis (1989) ranks from posterior draws; Fay & Herriot (1979).

    Examples
    --------
    >>> import virkning as vk
    >>> panel = vk.datasets.municipalities()
    >>> b = vk.benchmark(panel[panel["year"] == 2024], outcome="employment_rate", unit="municipality",
    ...                  frame_conditions=["unemployment_rate", "share_short_education"], size="refugees", n_sim=500)
    >>> b.tidy().shape[0]
    98
    """
    df = _data.as_frame(data)
    frame_conditions = [frame_conditions] if isinstance(frame_conditions, str) else list(frame_conditions)
    names = [unit, outcome, *frame_conditions]
    for extra in (size, time):
        if extra is not None:
            names.append(extra)
    cols = _data.columns(df, names)
    cluster_spec = None
    if clusters is not None:
        k = None if clusters == "auto" else int(clusters)
        cluster_spec = {"k": k, "method": str(cluster_method), "n_init": 10, "n_seeds": int(cluster_seeds)}
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
