"""Simulated designs and power analysis: :func:`power`, :func:`simulate_panel`.

The numerics run in Rust (``src/simulate``): replicates in parallel with the GIL released,
one seeded random stream per replicate, so results do not depend on the thread count.
"""

from __future__ import annotations

import json
import math
import sys
import threading
import time
from typing import Any, Callable, Mapping, Sequence

from virkning import _core, _data
from virkning._deprecation import deprecated_choice, deprecated_keywords
from virkning.options import Bootstrap, as_bootstrap
from virkning._typing import MdeSearchName, PowerEstimatorName, ScUnitName, SdidSeName, UnitSizesName
from virkning.exceptions import InvalidParameterError
from virkning.results.power import PowerResult

#: Show a progress line when a run takes longer than this (seconds) and ``progress=None``.
PROGRESS_AFTER = 2.0


def _design(
    *,
    n_units: int = 98,
    n_treated: int = 17,
    start: int = 2016,
    cohorts: Mapping[int, int] | None = None,
    first_period: int = 2010,
    last_period: int = 2024,
    effect: float = 0.0,
    dynamic: Sequence[float] | None = None,
    effect_sd: float = 0.0,
    base_rate: float = 0.35,
    unit_sd: float = 0.04,
    time_sd: float = 0.02,
    rho: float = 0.5,
    sigma: float = 0.015,
    sizes: UnitSizesName = "municipalities",
    mean_size: float | None = 150.0,
    seed: int | None = None,
    _caller: str = "power",
    **deprecated: Any,
) -> dict:
    """The JSON dict of the Rust ``PanelDesign`` (validated in Rust)."""
    old = deprecated_keywords(_caller, deprecated, {"treated": "n_treated="}, stacklevel=4)
    n_treated = old.get("treated", n_treated)
    if cohorts is None:
        cohort_list = [{"start": start, "n_units": n_treated}]
    else:
        if not isinstance(cohorts, Mapping):
            raise InvalidParameterError(
                f"cohorts must be a mapping {{start: n_units}}, e.g. {{2016: 10, 2018: 7}}; got {cohorts!r}")
        cohort_list = [{"start": s, "n_units": n} for s, n in sorted(cohorts.items())]
    for c in cohort_list:
        if isinstance(c["n_units"], bool) or not isinstance(c["n_units"], int) or c["n_units"] < 0:
            raise InvalidParameterError(f"treated units per cohort must be a non-negative integer, got {c['n_units']!r}")
    if isinstance(n_units, bool) or not isinstance(n_units, int) or n_units < 0:
        raise InvalidParameterError(f"n_units must be a non-negative integer, got {n_units!r}")
    floats = {
        "effect": effect, "effect_sd": effect_sd, "base_rate": base_rate, "unit_sd": unit_sd,
        "time_sd": time_sd, "rho": rho, "sigma": sigma,
    }
    return {
        "n_units": n_units,
        "first_period": int(first_period),
        "last_period": int(last_period),
        "cohorts": cohort_list,
        **{k: _finite(k, v) for k, v in floats.items()},
        "dynamic": [1.0] if dynamic is None else [_finite("dynamic", m) for m in dynamic],
        "sizes": sizes,
        "mean_size": None if mean_size is None else _finite("mean_size", mean_size),
        "seed": None if seed is None else int(seed),
    }


def _finite(name: str, value: Any) -> float:
    """``value`` as a float; JSON cannot carry nan/inf, so they are rejected here by name."""
    try:
        x = float(value)
    except (TypeError, ValueError) as e:
        raise InvalidParameterError(f"`{name}` must be a number, got {value!r}") from e
    if not math.isfinite(x):
        raise InvalidParameterError(f"`{name}` = {x} must be finite")
    return x


def simulate_panel(*, replicate: int = 0, backend: str = "pandas", **design: Any) -> Any:
    """One simulated replicate of a municipality-panel design, as a DataFrame.

    The outcome is ``y = base_rate + unit effect + period effect + AR(1) shock + sampling noise
    + effect``; units in a cohort are chosen at random per replicate. Columns: ``unit,
    period, outcome, treated, cohort`` (adoption period, 0 = never), ``size`` (people behind
    the rate) and ``true_effect``. The model and defaults are those of :func:`power`.

    Parameters
    ----------
    replicate : which replicate (its own random stream of ``seed``).
    backend : ``"pandas"`` or ``"polars"``.
    **design : the design keywords of :func:`power` (``n_units``, ``n_treated``, ``start``,
        ``cohorts``, ``effect``, ``dynamic``, ...).

    Examples
    --------
    >>> import virkning as vk
    >>> df = vk.simulate_panel(n_treated=17, start=2016, effect=0.03, seed=1)
    >>> df.shape
    (1470, 7)
    """
    if isinstance(replicate, bool) or not isinstance(replicate, int) or replicate < 0:
        raise InvalidParameterError(f"replicate must be a non-negative integer, got {replicate!r}")
    columns, _ = _core.simulate_panel(json.dumps(_design(**design, _caller="simulate_panel")), replicate)
    return _data.new_frame(dict(columns), __import__(backend))


def power(
    effects: float | Sequence[float] | None = None,
    *,
    estimator: PowerEstimatorName | Callable[[Any], Any] = "static_twfe",
    weighted: bool = False,
    reps: int = 1000,
    alpha: float = 0.05,
    power_target: float = 0.8,
    mde: MdeSearchName = "bisection",
    threads: int | None = None,
    progress: bool | None = None,
    backend: str | None = None,
    sdid_se: SdidSeName = "jackknife",
    sdid_bootstrap: int | Bootstrap = 100,
    sc_unit: ScUnitName = "only",
    **design: Any,
) -> PowerResult:
    """Power, bias, RMSE, coverage and minimum detectable effect of a planned evaluation.

    Simulates ``reps`` replicates of a municipality panel for each effect size, estimates the
    effect in each (in parallel in Rust), and summarises. Every effect size reuses the same
    random streams (common random numbers), so the power curve is smooth.

    Parameters
    ----------
    effects : effect size(s) on the outcome scale (a share: 0.03 = 3 percentage points);
        several give a power curve. Default: the design's ``effect`` (0).
    estimator : ``"static_twfe"``: ``outcome ~ treated | unit + period`` with CR1 errors by unit
        (biased for the ATT under staggered adoption with dynamic or heterogeneous effects);
        ``"att_gt"``: Callaway-Sant'Anna (:func:`att_gt`, never-treated controls, ``simple``
        aggregation, analytic SE clustered by unit); ``"sun_abraham"``: the Sun-Abraham
        interaction-weighted ATT (:func:`sun_abraham`);
        ``"imputation"``: the Borusyak-Jaravel-Spiess imputation ATT (:func:`did_imputation`,
        conservative SE); ``"sdid"``: synthetic difference-in-differences (:func:`sdid`,
        never-treated controls, cohort by cohort under staggered adoption, aggregated by
        treated unit-periods; standard error ``sdid_se``, normal tests as synthdid);
        ``"synthetic_control"``: synthetic control on the pre-period outcomes
        (:func:`synthetic_control`), for designs with exactly one treated unit (``n_treated=1``)
        or one treated unit chosen by ``sc_unit``: the test is the placebo-in-space permutation
        p-value of the post/pre
        RMSPE ratio, there is no standard error or interval, so ``coverage`` and ``mean_se``
        are NaN and the analytic MDE uses the SD of the estimates under no effect.
        Each estimates the average effect over treated unit-periods (SDID's unit and time
        weights only reweight controls and pre-periods, so its target is the same ATT).

        Or **any estimator**: a callable taking one simulated replicate (a DataFrame of the
        ``backend`` type with columns ``unit, period, outcome, treated, cohort, size``;
        ``cohort`` is the adoption period, 0 = never) and returning ``(estimate,
        std_error)``, an object (or dict) with ``estimate`` and ``std_error`` (and optionally
        ``p_value``, ``conf_low``, ``conf_high``), or a virkning result whose ``tidy()`` has one
        row or a ``treated`` row (its p-value and interval are used). Missing p-values and
        intervals are normal ones. Rust simulates the replicates (the same ones, with common
        random numbers, as the built-in estimators) and summarises them with the same code;
        the callable runs on Rust's threads, one at a time unless it releases the GIL (virkning
        estimators do). With a callable, ``weighted=True`` only makes the estimand
        size-weighted; weight inside the callable. An exception or an unusable return value
        stops the run with a ``SimulationError`` naming the replicate (the original exception
        is its ``__cause__``); :func:`simulate_panel` with the same design keywords, ``seed``,
        ``effect`` and ``replicate`` gives the replicate's data.
    weighted : weight the estimator by unit size (``"static_twfe"`` and ``"att_gt"``).
    reps : replications per effect size.
    alpha : test level (two-sided).
    power_target : power at which the MDE is defined.
    mde : ``"bisection"`` (analytic ``(z_{1-alpha/2} + z_power) x SE`` cross-checked by a
        bisection over effect sizes), ``"analytic"`` or ``"none"``.
    threads : run on this many threads (default: all); results do not depend on it.
    progress : show a text progress line (``None``: only when the run takes over 2 s).
    backend : frame type of ``tidy()``/``draws()`` and of the replicates given to a callable
        estimator (pandas when None).
    sdid_se : standard error of ``"sdid"``: ``"jackknife"`` (default; fixed weights, needs two
        or more treated units), ``"placebo"`` or ``"bootstrap"`` (``sdid_bootstrap`` replications
        per replicate, much slower).
    sdid_bootstrap : replications of the placebo or bootstrap ``sdid_se``, as in :func:`sdid`:
        a number, or ``vk.Bootstrap(reps=)`` (the design's ``seed`` seeds them).
    sc_unit : which treated unit ``"synthetic_control"`` analyses: ``"only"`` (the design must
        treat one unit), or, of several, the ``"largest"``, the ``"smallest"`` or a
        ``"random"`` one in each replicate; the other treated units are left out (donors are
        the never-treated units) and the estimand is the chosen unit's mean effect.
    **design : the simulated design:

        - ``n_units`` (98), ``first_period`` (2010), ``last_period`` (2024);
        - ``n_treated`` (17) units adopting in ``start`` (2016), or ``cohorts`` ``{start: n}``
          for staggered adoption (e.g. ``{2016: 10, 2018: 7}``);
        - ``effect`` (0.0), ``dynamic`` (multipliers by event time, last repeats; ``[1.0]``),
          ``effect_sd`` (unit heterogeneity of the effect, 0.0);
        - ``base_rate`` (0.35), ``unit_sd`` (0.04), ``time_sd`` (0.02), ``rho`` (AR(1), 0.5),
          ``sigma`` (AR(1) innovation sd, 0.015);
        - ``sizes`` (``"municipalities"``: proportional to the 98 municipalities' populations,
          or ``"equal"``) and ``mean_size`` (150 people; sampling noise of a rate,
          ``None`` for none);
        - ``seed`` (None: drawn at random and recorded in the result).

        Deprecated for one release (with a ``DeprecationWarning``): ``treated=`` (use
        ``n_treated=``), ``estimator="twfe"`` (use ``"static_twfe"``; ``"twfe"`` elsewhere is the
        event study), ``sdid_reps=`` (use ``sdid_bootstrap=``).

    Returns
    -------
    PowerResult with ``tidy()`` (one row per effect), ``mde``, ``draws()``, ``summary()``,
    ``plot()`` (power curve).

    Raises
    ------
    DesignError (treated count above the number of units, no treated or no control units, no
    pre or post periods, ``synthetic_control`` with several treated units and no ``sc_unit``),
    InvalidParameterError (``reps=0``, negative standard deviations, levels outside (0, 1),
    ``weighted=True`` with an estimator that cannot weight), UnknownChoiceError,
    SimulationError (every replicate failed; a callable estimator raised or returned something
    that is not an estimate).

    References
    ----------
    Bloom (1995) for the MDE multiplier; Burlig, Preonas & Woerman (2020) for simulated power
    with serially correlated panels.

    Examples
    --------
    >>> import virkning as vk
    >>> res = vk.power([0.0, 0.02], n_treated=17, start=2016, reps=50, seed=1, mde="analytic")
    >>> list(res.tidy()["effect"])
    [0.0, 0.02]

    Any estimator, e.g. TWFE with a covariate (any callable returning an estimate and its
    standard error works: ``estimator=lambda d: vk.glm(...)``, statsmodels, ...):

    >>> def twfe_cov(d):
    ...     d = d.assign(x=d["size"] * d["period"] / 1e4)
    ...     return vk.feols("outcome ~ treated + x | unit + period", d, vcov={"CR1": "unit"})
    >>> res = vk.power(0.03, estimator=twfe_cov, reps=20, seed=1, mde="none", progress=False)
    >>> int(res.tidy()["reps"][0])
    20
    """
    old = deprecated_keywords("power", {k: design.pop(k) for k in ("sdid_reps",) if k in design},
                              {"sdid_reps": "sdid_bootstrap="})
    boot = as_bootstrap(sdid_bootstrap)
    if boot is None or boot.weights is not None or boot.seed is not None:
        raise InvalidParameterError("power: sdid_bootstrap is a number of replications or vk.Bootstrap(reps=) "
                                    "(the design's seed seeds them)")
    sdid_reps = old.get("sdid_reps", 100 if boot.reps is None else boot.reps)
    if not callable(estimator):
        estimator = deprecated_choice("power", "estimator", estimator, {"twfe": "static_twfe"})
    params: dict[str, Any] = {
        "design": _design(**design),
        "weighted": bool(weighted),
        "effects": [] if effects is None else [_finite("effects", e) for e in _as_list(effects)],
        "reps": _count("reps", reps),
        "alpha": _finite("alpha", alpha),
        "power_target": _finite("power_target", power_target),
        "threads": None if threads is None else _count("threads", threads),
        "sdid_se": sdid_se,
        "sdid_reps": _count("sdid_reps", sdid_reps),
        "sc_unit": sc_unit,
    }
    handle = _core.PowerProgress()
    if callable(estimator):
        fit = _replicate_fit(estimator, backend)
        run = lambda: _core.power_callable(json.dumps(params), mde, fit, handle)  # noqa: E731
    else:
        # Rust reads "static_twfe" (and its own alias "twfe") as the static TWFE.
        run = lambda: _core.power(json.dumps(params), estimator, mde, handle)  # noqa: E731
    return PowerResult._from_inner(_with_progress(run, handle, progress), backend)


_RETURNS = ("return (estimate, std_error), an object or dict with `estimate` and `std_error`, "
            "or a virkning result whose tidy() has one row or a `treated` row")


def _replicate_fit(estimator: Callable[[Any], Any], backend: Any) -> Callable[[dict, float, int], tuple]:
    """Wrap a user estimator as Rust's per-replicate fit: columns in, a frame of ``backend`` to
    the estimator, its answer out as ``(estimate, std_error, p_value, conf_low, conf_high)``
    with NaN for what it does not report."""
    module = __import__(backend) if isinstance(backend, str) else backend

    def fit(columns: dict, effect: float, replicate: int) -> tuple:
        out = estimator(_data.new_frame(dict(columns), module))
        return _as_estimate(out)

    return fit


def _as_estimate(out: Any) -> tuple[float, float, float, float, float]:
    """``(estimate, std_error, p_value, conf_low, conf_high)`` from what an estimator returned."""
    nan = float("nan")
    from virkning.results._base import Result  # noqa: PLC0415

    if isinstance(out, Result):
        rows = out._rows()
        pick = rows if len(rows) == 1 else [r for r in rows if r.get("term") == "treated"]
        if len(pick) != 1:
            terms = [r.get("term") for r in rows]
            raise TypeError(f"the result's tidy() has {len(rows)} rows ({terms}) and no single "
                            f"`treated` row; {_RETURNS}")
        out = pick[0]
    if isinstance(out, Mapping):
        get = out.get
    elif isinstance(out, (tuple, list)):
        if len(out) != 2:
            raise TypeError(f"a tuple return must be (estimate, std_error), got {len(out)} values; {_RETURNS}")
        values = dict(zip(("estimate", "std_error"), out))
        get = values.get
    elif hasattr(out, "estimate") and hasattr(out, "std_error"):
        def get(k: str, default: Any = None) -> Any:
            return getattr(out, k, default)
    else:
        raise TypeError(f"the estimator returned {type(out).__name__} {out!r:.80}; {_RETURNS}")
    try:
        est, se = float(get("estimate")), float(get("std_error"))
        p, lo, hi = (float(nan if get(k) is None else get(k)) for k in ("p_value", "conf_low", "conf_high"))
    except (TypeError, ValueError) as e:
        raise TypeError(f"the estimator returned a non-numeric estimate or standard error ({e}); {_RETURNS}") from e
    if not math.isfinite(est):
        raise ValueError(f"the estimator returned a non-finite estimate ({est})")
    if not (se >= 0 or math.isfinite(p)):
        raise ValueError(f"the estimator returned a standard error of {se} and no p-value")
    return est, se, p, lo, hi


def _as_list(x: Any) -> list:
    if isinstance(x, (int, float)):
        return [x]
    return list(x)


def _count(name: str, value: Any) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise InvalidParameterError(f"{name} must be a non-negative integer, got {value!r}")
    return value


def _with_progress(run: Callable[[], Any], handle: Any, show: bool | None) -> Any:
    """Run ``run`` in a worker thread (the Rust call releases the GIL) and poll the Rust
    counters from this thread, printing one updating line to stderr; Ctrl-C cancels."""
    out: dict[str, Any] = {}

    def work() -> None:
        try:
            out["value"] = run()
        except BaseException as e:  # noqa: BLE001 - re-raised in the caller's thread
            out["error"] = e

    worker = threading.Thread(target=work, name="virkning-power", daemon=True)
    t0 = time.monotonic()
    worker.start()
    shown = False
    try:
        while worker.is_alive():
            worker.join(0.2)
            elapsed = time.monotonic() - t0
            if worker.is_alive() and (show is True or (show is None and elapsed > PROGRESS_AFTER)):
                _line(handle.done(), handle.total(), elapsed)
                shown = True
    except KeyboardInterrupt:
        handle.cancel()
        worker.join()
        raise
    if shown or show is True:
        _line(handle.done(), handle.total(), time.monotonic() - t0)
        sys.stderr.write("\n")
        sys.stderr.flush()
    if "error" in out:
        raise out["error"]
    return out["value"]


def _line(done: int, total: int, elapsed: float) -> None:
    share = done / total if total else 1.0
    sys.stderr.write(f"\rpower: {done:,} / {total:,} replications ({100 * share:3.0f}%), {elapsed:.1f} s ")
    sys.stderr.flush()


def simulate_cohort(
    *,
    n_persons: int = 3000,
    n_units: int = 98,
    treated_units: int = 17,
    sizes: UnitSizesName = "municipalities",
    hazard: Mapping[str, Any] | None = None,
    hazard_ratio: float = 1.0,
    frailty_sd: float = 0.0,
    follow_up: float = 48.0,
    dropout_rate: float = 0.0,
    seed: int | None = None,
    replicate: int = 0,
    backend: str = "pandas",
) -> Any:
    """A simulated cohort of refugees with time-to-job hazards, one row per person.

    Persons live in ``n_units`` municipalities (probability proportional to ``sizes``); the
    first ``treated_units`` of a random permutation run the programme, and everyone there is
    treated. The hazard of finding a job is ``h0(t) * hazard_ratio**treated * frailty``, with
    baseline ``hazard``; follow-up ends at ``follow_up`` or at an exponential drop-out.

    Parameters
    ----------
    hazard : the baseline, as ``{"kind": "exponential", "rate": 0.05}``,
        ``{"kind": "weibull", "shape": 1.3, "scale": 30.0}`` (default) or
        ``{"kind": "piecewise_constant", "cuts": [6, 12], "rates": [0.01, 0.04, 0.06]}``
        (time in months).
    hazard_ratio : treatment hazard ratio (above 1: faster into jobs).
    frailty_sd : standard deviation of a log-normal municipality frailty.
    follow_up, dropout_rate : administrative censoring time and drop-out rate.
    seed, replicate : the random stream (replicate r uses stream r of ``seed``).

    Returns
    -------
    DataFrame with ``person, unit, treated, time, event`` (1 = job found at ``time``,
    0 = censored).

    Raises
    ------
    DesignError (``treated_units > n_units``), InvalidParameterError (invalid hazard,
    non-positive hazard ratio or follow-up, negative ``frailty_sd`` or drop-out rate).

    Examples
    --------
    >>> import virkning as vk
    >>> df = vk.simulate_cohort(hazard={"kind": "exponential", "rate": 0.05}, seed=1)
    >>> df.shape
    (3000, 5)
    """
    params = {
        "n_persons": _count("n_persons", n_persons),
        "n_units": _count("n_units", n_units),
        "treated_units": _count("treated_units", treated_units),
        "sizes": sizes,
        "hazard_ratio": _finite("hazard_ratio", hazard_ratio),
        "frailty_sd": _finite("frailty_sd", frailty_sd),
        "follow_up": _finite("follow_up", follow_up),
        "dropout_rate": _finite("dropout_rate", dropout_rate),
        "seed": None if seed is None else int(seed),
    }
    if hazard is not None:
        if not isinstance(hazard, Mapping) or "kind" not in hazard:
            raise InvalidParameterError(
                "hazard must be a dict with a 'kind' (exponential, weibull, piecewise_constant), "
                f"got {hazard!r}")
        params["hazard"] = dict(hazard)
    columns, _ = _core.simulate_cohort(json.dumps(params), _count("replicate", replicate))
    return _data.new_frame(dict(columns), __import__(backend))


__all__ = ["power", "simulate_panel", "simulate_cohort"]
