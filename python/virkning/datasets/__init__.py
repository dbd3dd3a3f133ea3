"""Bundled example data.

:func:`municipalities` is a yearly panel of the 98 Danish municipalities, 2010-2024, with
their real names, codes, regions and municipality groups, and **simulated** refugee counts,
employment, frame conditions and interventions (IGU, partnership agreements, the 2016-2019
programme, language-internship intensity). The true effects used to simulate it are in
:func:`municipality_true_effects`, so an estimator can be shown recovering them. The outcomes
are not real data.
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


def municipality_defaults() -> dict:
    """Default simulator parameters."""
    return json.loads(_core.municipality_defaults())


__all__ = ["municipalities", "municipality_true_effects", "simulate_municipalities", "municipality_defaults"]
