"""Bundled example data.

:func:`municipalities` is a yearly panel of the 98 Danish municipalities, 2010-2024, with
their real names, codes, regions and municipality groups, and **simulated** refugee counts,
employment, frame conditions and interventions (IGU, partnership agreements, the 2016-2019
programme, language-internship intensity). The outcomes are not real data. The true effects
used to simulate it are in :func:`municipality_true_effects` (by intervention, municipality
group and event time), in the row columns ``true_effect_igu``, ``true_effect_partnership``,
``true_effect_programme``, ``true_effect_sprogpraktik`` (their sum is ``true_effect``), and, as
the average the staggered estimators target, in :func:`true_att`.

The design (formulas in the Rust module ``virkning::simulate::municipalities``):

- Employment rate = year path + municipality level + frame conditions (local unemployment
  -2.5 per unit of share, share of women -0.35, short education -0.20, +0.03 per year in
  Denmark up to 8) + AR(1) shock + the true effects, with binomial noise from the refugee
  counts. Local unemployment is the national rate times a structural municipality level, so
  where it is high it falls more and employment rises faster.
- **Adoption depends only on observed frame conditions**: IGU (2016-2019, 80 % adopt) on the
  municipality group and ``baseline_unemployment`` (mean local unemployment 2013-2015);
  partnership agreements (2013-2022, 70 % sign) on the region; 30 % of agreements have a
  two-year term and then end (``partnership_active`` switches to 0); the programme is the 17
  real municipalities. Nothing unobserved that trends enters adoption, so **parallel trends
  hold conditional on** :data:`IDENTIFYING_COVARIATES` (``unemployment_rate``): pass it as
  ``covariates=`` to :func:`virkning.att_gt`, :func:`virkning.sun_abraham` and
  :func:`virkning.did_imputation` and they recover the true effects; without it the IGU
  estimates are biased upwards, and a static TWFE regression on the interventions is biased
  downwards by the growing, heterogeneous IGU effects.
- True effects, in percentage points before ``effect_scale``: IGU 1, 2.5, 4, 5.5, 7, 8 at event
  times 0-5+ (times 0.8 capital, 0.9 big city, 1.0 provincial, 1.15 commuter belt, 1.3 rural);
  partnership 2, 4, 5, 6+ while the agreement is active and 0 after it ends (times 0.85, 0.9,
  1.0, 1.1, 1.2); Lejre's partnership (2015) 3 then 10 (a synthetic-control case); programme
  0 (a no-effect intervention); language internships 0.10 per unit of ``sprogpraktik_share``
  (continuous, varies by year). Furesø's agreement runs 2017-2018 and ends; Middelfart
  combines IGU (2016) with a partnership (2017). ``effect_scale=0`` is the placebo world: the
  same municipalities, unemployment paths and adoption years, no effects (outcome noise redrawn).
- The programme municipalities also adopt IGU and partnerships (Lejre is one of them), so a
  one-intervention comparison of programme vs other municipalities picks up those effects
  although the programme's own effect is 0: the contamination that the several-treatment
  estimators separate.
"""

from __future__ import annotations

import json
from functools import lru_cache
from typing import Any, Literal

from virkning import _core, _data

Backend = Literal["pandas", "polars"]


def _native(columns: dict, backend: Backend) -> Any:
    data = {}
    for name, col in columns.items():
        if isinstance(col, tuple):
            codes, labels = col
            data[name] = [labels[c] if c >= 0 else None for c in codes]
        else:
            data[name] = col
    module = __import__(backend)
    return _data.new_frame(data, module)


@lru_cache(maxsize=8)
def _simulate(params_json: str) -> tuple[dict, str, str]:
    return _core.simulate_municipalities(params_json)


def simulate_municipalities(*, backend: Backend = "pandas", **params: Any) -> tuple[Any, Any]:
    """Simulate the municipality panel with the given simulator parameters.

    Parameters
    ----------
    backend : ``"pandas"`` or ``"polars"``.
    **params : ``seed`` (default 2016), ``first_year`` (2010), ``last_year`` (2024),
        ``effect_scale`` (1.0; 0 gives a world where nothing works), ``shock_rho``,
        ``shock_sd``, ``municipality_sd`` (see :func:`municipality_defaults`).

    Returns
    -------
    (panel, true_effects): the panel (outcomes SIMULATED) and the table of true effects
    (``intervention, municipality_group, event_time, effect``).
    """
    columns, effects, _ = _simulate(json.dumps(params, sort_keys=True))
    eff = json.loads(effects)
    keys = ["intervention", "municipality_group", "event_time", "effect"]
    return _native(columns, backend), _data.new_frame({k: [e[k] for e in eff] for k in keys}, __import__(backend))


def municipalities(*, backend: Backend = "pandas", seed: int | None = None) -> Any:
    """The bundled panel: 98 municipalities x 2010-2024 (1,470 rows), outcomes SIMULATED.

    Examples
    --------
    >>> import virkning as vk
    >>> panel = vk.datasets.municipalities()
    >>> panel.shape[0]
    1470
    """
    params = {} if seed is None else {"seed": seed}
    return simulate_municipalities(backend=backend, **params)[0]


def municipality_true_effects(*, backend: Backend = "pandas", seed: int | None = None) -> Any:
    """The true effects used to simulate :func:`municipalities` (effect as a share: 0.03 = 3 pp)."""
    params = {} if seed is None else {"seed": seed}
    return simulate_municipalities(backend=backend, **params)[1]


#: Covariates under which parallel trends hold in the bundled panel (see the module docs).
IDENTIFYING_COVARIATES: list[str] = ["unemployment_rate"]

_INTERVENTIONS = ("igu", "partnership", "programme")


def true_att(panel: Any, intervention: str) -> dict:
    """The true average effect of ``intervention`` on its treated cells in a simulated panel.

    A treated cell is a row with ``<intervention>_year > 0`` and ``year >= <intervention>_year``
    (for partnerships: from signing on, including years after an agreement ended, whose effect
    is 0); its effect is the row's ``true_effect_<intervention>`` (a share: 0.03 = 3 pp).

    Returns a dict with

    - ``simple``: the mean over all treated cells, the target of ``att_gt(...).aggregate("simple")``,
      of ``sun_abraham(...).att`` and of ``did_imputation(...).att`` (cohort-size weights,
      i.e. equal weight per treated municipality-year);
    - ``dynamic``: ``{event_time: mean over the treated cells at that event time}``, the target of
      the event-time estimates of all three (and of ``aggregate("dynamic")``);
    - ``dynamic_mean``: the unweighted mean of ``dynamic`` over event times, the target of
      ``aggregate("dynamic").overall``;
    - ``n_cells`` and ``n_cells_by_event_time``.

    Computed on the rows given, so it stays right for a subset of the panel.

    Examples
    --------
    >>> import virkning as vk
    >>> panel = vk.datasets.municipalities()
    >>> truth = vk.datasets.true_att(panel, "igu")
    >>> round(truth["dynamic"][0], 4) > 0
    True
    """
    import narwhals as nw

    from virkning.exceptions import ColumnNotFoundError, UnknownChoiceError

    if intervention not in _INTERVENTIONS:
        raise UnknownChoiceError(f"intervention must be one of {', '.join(_INTERVENTIONS)}, got {intervention!r}")
    df = _data.as_frame(panel)
    cohort, tau = f"{intervention}_year", f"true_effect_{intervention}"
    missing = [c for c in ("year", cohort, tau) if c not in df.columns]
    if missing:
        raise ColumnNotFoundError(f"not a simulated municipality panel: no column(s) {', '.join(missing)}")
    treated = df.filter((nw.col(cohort) > 0) & (nw.col("year") >= nw.col(cohort)))
    cells = treated.with_columns((nw.col("year") - nw.col(cohort)).alias("_e"))
    by_e = cells.group_by("_e").agg(nw.col(tau).mean().alias("effect"), nw.len().alias("n")).sort("_e")
    dynamic = {int(e): float(v) for e, v in zip(by_e["_e"].to_list(), by_e["effect"].to_list())}
    counts = {int(e): int(n) for e, n in zip(by_e["_e"].to_list(), by_e["n"].to_list())}
    n_cells = int(treated.shape[0])
    nan = float("nan")
    return {
        "intervention": intervention,
        "simple": float(treated[tau].mean()) if n_cells else nan,
        "dynamic": dynamic,
        "dynamic_mean": sum(dynamic.values()) / len(dynamic) if dynamic else nan,
        "n_cells": n_cells,
        "n_cells_by_event_time": counts,
    }


def municipality_defaults() -> dict:
    """Default simulator parameters."""
    return json.loads(_core.municipality_defaults())


__all__ = ["municipalities", "municipality_true_effects", "simulate_municipalities", "municipality_defaults",
           "true_att", "IDENTIFYING_COVARIATES"]
