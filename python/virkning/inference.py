"""Inference with few clusters: the wild cluster bootstrap and randomization inference."""

from __future__ import annotations

import json
from typing import Any

from virkning import _data
from virkning._deprecation import deprecated_keywords
from virkning.exceptions import InvalidParameterError
from virkning.options import Bootstrap, as_bootstrap
from virkning.results.wildboot import RiTestResult, WildBootResult


def _names(x: Any, what: str) -> list[str]:
    if x is None:
        return []
    if isinstance(x, str):
        return [c.strip() for c in x.split("+")]
    if isinstance(x, (list, tuple)) and all(isinstance(c, str) for c in x):
        return list(x)
    raise InvalidParameterError(f"{what} must be a column name or a list of names, got {x!r}")


def _check_draws(reps: Any, seed: Any) -> None:
    """Type checks of ``reps`` and ``seed`` (Rust rejects ``reps=0`` with the reason)."""
    if not isinstance(reps, int) or isinstance(reps, bool) or reps < 0:
        raise InvalidParameterError(f"reps must be a non-negative integer, got {reps!r}")
    if seed is not None and (not isinstance(seed, int) or isinstance(seed, bool) or seed < 0):
        raise InvalidParameterError(f"seed must be a non-negative integer, got {seed!r}")


#: Keys of the ``wildboot=`` option of the event studies (as in :func:`wildboot`).
BOOT_OPTION_KEYS = ("reps", "weights", "impose_null", "seed", "bootstrap_type")


def boot_option(wildboot: bool | dict | None, alpha: float) -> dict | None:
    """The ``wildboot=`` option of an estimator as the JSON of Rust's ``WildBoot``.

    ``None``/``False``: no bootstrap; ``True``: the defaults of :func:`wildboot` (9,999
    Rademacher draws, WCR, a fresh seed); a dict sets any of ``reps, weights, impose_null, seed,
    bootstrap_type`` (same meaning and defaults as :func:`wildboot`). The interval's level is
    the estimator's ``alpha``.
    """
    if wildboot is None or wildboot is False:
        return None
    if wildboot is True:
        opts: dict = {}
    elif isinstance(wildboot, dict):
        opts = dict(wildboot)
    else:
        raise InvalidParameterError(f"wildboot must be True, None or a dict of options, got {wildboot!r}")
    unknown = sorted(set(opts) - set(BOOT_OPTION_KEYS))
    if unknown:
        raise InvalidParameterError(f"unknown wildboot option(s) {unknown}; valid: {list(BOOT_OPTION_KEYS)}")
    _check_draws(opts.get("reps", 9999), opts.get("seed"))
    for key, kind in (("weights", str), ("bootstrap_type", str), ("impose_null", bool)):
        if key in opts and not isinstance(opts[key], kind):
            raise InvalidParameterError(f"wildboot option {key} must be a {kind.__name__}, got {opts[key]!r}")
    return {**opts, "alpha": float(alpha)}


#: Defaults of the wild cluster bootstrap's ``vk.Bootstrap`` fields (equal to Rust's ``WildBoot``).
WILD_DEFAULTS = {"reps": 9999, "weights": "rademacher", "seed": None, "impose_null": True, "bootstrap_type": "11"}


def wildboot(
    fit: Any,
    param: str | dict[str, float],
    *,
    bootstrap: int | Bootstrap | None = None,
    cluster: str | list[str] | None = None,
    bootcluster: str | None = None,
    r: float = 0.0,
    alpha: float = 0.05,
    conf_int: bool = True,
    **deprecated: Any,
) -> WildBootResult:
    """Wild cluster bootstrap of ``param = r`` in a fitted :func:`virkning.feols` model.

    Uses the cluster-level algorithm of Roodman, MacKinnon, Nielsen & Webb (2019): the cost per
    draw does not grow with the number of observations (fixed effects are partialled out first).

    Parameters
    ----------
    fit : a ``FeolsResult``.
    param : coefficient name, or ``{"name": weight, ...}`` for a linear combination.
    bootstrap : the draws: a number, or ``vk.Bootstrap(reps=, weights=, seed=, impose_null=,
        bootstrap_type=)``; unset fields take the defaults:

        - ``reps`` 9,999. With Rademacher weights and ``2**G <= reps`` all ``2**G`` sign
          vectors are enumerated instead (exact, seed-free);
        - ``weights`` ``"rademacher"``; or ``"webb"`` (recommended below about 12 clusters),
          ``"mammen"``, ``"normal"`` (the bootstrap weight distribution; never observation
          weights, which are the model's);
        - ``seed`` fresh (ChaCha streams; independent of the number of threads; reported);
        - ``impose_null`` True: restricted (WCR, recommended) or unrestricted (WCU) DGP;
        - ``bootstrap_type`` ``"11"`` (standard) or ``"31"`` (WCR3/WCU3: residuals of each
          bootstrap cluster from the fit without it; MacKinnon, Nielsen & Webb 2023).
    cluster : variance cluster column(s); two or more give multi-way clustering. Default: the
        model's.
    bootcluster : bootstrap at another level than ``cluster`` (e.g. the subcluster bootstrap of
        MacKinnon & Webb 2018 with few treated clusters). Default: the first cluster column.
    r : hypothesised value.
    alpha : 1 - level of the test-inversion confidence interval.
    conf_int : compute the interval.
    **deprecated : ``reps=``, ``weights=``, ``seed=``, ``impose_null=``, ``bootstrap_type=``
        (use the fields of ``bootstrap=vk.Bootstrap(...)``) still work for one release, with a
        ``DeprecationWarning``.

    Returns
    -------
    WildBootResult with ``p_value``, ``conf_int``, ``statistic``, ``tidy()``, ``plot()``.
    The p-value counts draws with ``|t*| >= |t| (1 - 1e-9)``: ties (the draws that reproduce the
    sample) count whatever the rounding. An interval end where the p-value is still above
    ``alpha`` a million standard errors out is infinite, with an ``unbounded_interval``
    ``VirkningWarning`` (e.g. 3 clusters: at most 8 draws, p >= 0.25). Scale-free.

    Raises
    ------
    SingleClusterError (one cluster), InferenceError (clusters of one observation, coefficient
    dropped for collinearity or unknown), InvalidParameterError (``reps=0``, no cluster, draws
    that would not fit in the memory limit ``VIRKNING_MEMORY_LIMIT``, default 8 GiB),
    UnknownChoiceError (weights name). Ctrl-C raises ``KeyboardInterrupt``.

    Examples
    --------
    >>> import virkning as vk
    >>> panel = vk.datasets.municipalities()
    >>> fit = vk.feols("employment_rate ~ partnership | municipality_code + year", panel)
    >>> wb = fit.wildboot("partnership", bootstrap=vk.Bootstrap(reps=999, seed=1))
    >>> 0 <= wb.p_value <= 1
    True
    """
    if isinstance(param, str):
        terms = [(param, 1.0)]
    elif isinstance(param, dict) and param:
        terms = [(str(k), float(v)) for k, v in param.items()]
    else:
        raise InvalidParameterError(f"param must be a coefficient name or a dict of weights, got {param!r}")
    fields = ("reps", "weights", "seed", "impose_null", "bootstrap_type")
    # Warnings point at the user's call: one frame deeper through ``FeolsResult.wildboot``.
    stacklevel = 4 if deprecated.pop("_via_method", False) else 3
    old = deprecated_keywords("wildboot", deprecated, {k: f"bootstrap=vk.Bootstrap({k}=...)" for k in fields},
                              stacklevel=stacklevel)
    boot = as_bootstrap(bootstrap, wild=True) or Bootstrap()
    given = boot.to_dict()
    for k in old:
        if k in given:
            raise InvalidParameterError(f"wildboot: {k} given twice (as {k}= and in bootstrap=)")
    opts = {**WILD_DEFAULTS, **given, **old}
    reps, weights, seed, impose_null, bootstrap_type = (opts[k] for k in fields)
    _check_draws(reps, seed)
    if not hasattr(getattr(fit, "_inner", None), "wildboot"):
        raise InvalidParameterError(f"wildboot needs a feols result, got {type(fit).__name__}")
    clusters = _names(cluster, "cluster") if cluster is not None else None
    extra = _extra_columns(fit, (clusters or []) + ([bootcluster] if bootcluster else []))
    boot = {
        "reps": reps,
        "impose_null": bool(impose_null),
        "bootstrap_type": str(bootstrap_type),
        "seed": seed,
        "alpha": float(alpha),
        "conf_int": bool(conf_int),
    }
    # The model's own columns are those kept by the result (the data it was fitted on).
    inner = fit._inner.wildboot(terms, float(r), json.dumps(boot), str(weights), clusters, bootcluster, extra)
    return WildBootResult._from_inner(inner, fit._backend)


def _extra_columns(fit: Any, names: list[str]) -> dict | None:
    """Columns a resampling call names that the fit did not use (another cluster, the unit
    and time of ``ritest``), read from the fit's frame now; the model's own come from the result."""
    fitted = set(getattr(fit, "_formula_columns", []))
    more = [c for c in dict.fromkeys(names) if c not in fitted]
    if not more:
        return None
    return _data.columns(fit._call[0], more)


def ritest(
    fit: Any,
    param: str | None = None,
    *,
    unit: str | None = None,
    time: str | None = None,
    treatment: str | None = None,
    reps: int = 999,
    seed: int | None = None,
    aggregation: str | None = None,
) -> RiTestResult:
    """Randomization inference: permute adoption times across units and re-estimate.

    Each of ``reps`` permutations gives every unit the adoption time of another unit (so the
    number of treated units and the adoption-time distribution are kept; never treated stays
    never treated) and re-estimates; the p-value is the share of permuted estimates at least as
    large in absolute value as the actual one (Hess 2017's ``ritest``). Works on:

    - a ``FeolsResult``: the coefficient ``param`` after rebuilding the 0/1 absorbing
      ``treatment`` column (default ``param``) of the ``unit``/``time`` panel;
    - the staggered estimators' results (``att_gt`` and its ``aggregate()``, ``sun_abraham``,
      ``twfe_event_study``, ``did_imputation``, ``sdid``): their ATT, after rewriting the timing
      column they were fitted with (the cohort column, or the 0/1 treatment column from the
      permuted adoption time). The result keeps the columns it was fitted on, so only ``reps``,
      ``seed`` (and for ``att_gt`` the ``aggregation``: ``"simple"`` by default, or the overall
      effect of ``"dynamic"``, ``"group"``, ``"calendar"``; an ``AggregatedEffects`` uses its own)
      are given. Bootstraps and resampled standard errors are off in the refits (they do not
      change the ATT). Units keep their own rows (unbalanced panels stay unbalanced).

    Permutations whose re-estimation fails (e.g. a permuted cohort too small for the estimator)
    are ``nan`` in ``distribution()``, counted in ``n_failed`` (shown by ``summary()`` and
    ``glance()``) and left out of the p-value; ``reps`` in the result counts the valid ones.

    Parameters
    ----------
    fit : a ``FeolsResult`` (then ``param``, ``unit`` and ``time`` are required) or a staggered
        estimator's result.
    param : the coefficient tested (feols only).
    unit, time : columns of the unit (e.g. municipality) and period (feols only).
    treatment : the 0/1 column to permute (feols only; default ``param``).
    reps, seed : permutations and their seed (one ChaCha stream each; thread-count independent).
    aggregation : which overall ATT of ``att_gt`` (only for a ``GroupTimeEffects``).

    Returns
    -------
    RiTestResult with ``p_value``, ``p_value_se``, ``statistic``, ``n_failed``, ``distribution()``,
    ``tidy()``, ``plot()``.

    Raises
    ------
    InferenceError (treatment not 0/1 absorbing; no treated unit; every unit with the same
    adoption time), DataError (timing switching off or varying within a unit, for the staggered
    estimators), ColumnNotFoundError, InvalidParameterError (``reps=0``, missing arguments).

    Examples
    --------
    >>> import virkning as vk
    >>> panel = vk.datasets.municipalities()
    >>> es = vk.did_imputation(panel, outcome="employment_rate", unit="municipality_code",
    ...                        time="year", cohort="igu_year")
    >>> ri = es.ritest(reps=99, seed=1)
    >>> 0 <= ri.p_value <= 1
    True
    """
    _check_draws(reps, seed)
    ri = json.dumps({"reps": reps, "seed": seed})
    if not hasattr(fit, "_call") and hasattr(fit, "_inner") and hasattr(fit._inner, "ritest"):
        # A staggered estimator's result: it keeps the columns and params it was fitted on.
        if param is not None or unit is not None or time is not None or treatment is not None:
            raise InvalidParameterError("param, unit, time and treatment apply to feols results only; "
                                        "a staggered estimator's result permutes the timing it was fitted with")
        if type(fit).__name__ == "GroupTimeEffects":
            if aggregation is not None and not isinstance(aggregation, str):
                raise InvalidParameterError(f"aggregation must be a string, got {aggregation!r}")
            agg = None if aggregation is None else json.dumps({"kind": aggregation})
            inner = fit._inner.ritest(ri, agg)
        else:
            if aggregation is not None:
                raise InvalidParameterError("aggregation applies to att_gt results (GroupTimeEffects) only")
            inner = fit._inner.ritest(ri)
        return RiTestResult._from_inner(inner, fit._backend)
    if not hasattr(fit, "_call"):
        raise InvalidParameterError(f"ritest needs a feols result or a staggered estimator's result, got {type(fit).__name__}")
    if param is None or unit is None or time is None:
        raise InvalidParameterError("ritest on a feols result needs param, unit= and time=")
    if aggregation is not None:
        raise InvalidParameterError("aggregation applies to att_gt results only")
    treatment = treatment or param
    extra = _extra_columns(fit, [unit, time, treatment])
    inner = fit._inner.ritest(param, treatment, unit, time, ri, extra)
    return RiTestResult._from_inner(inner, fit._backend)
