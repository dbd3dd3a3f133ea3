"""The result of :func:`virkning.feols`."""

from __future__ import annotations

from typing import Any

import numpy as np

import virkning
from virkning import _data
from virkning.results._base import Result


class FeolsResult(Result):
    """A fitted fixed-effects regression.

    Attributes come from the Rust result: ``n_obs``, ``r2``, ``r2_within``, ``vcov_type``,
    ``collinear`` (dropped regressors), ``drops`` (observations removed, with reasons).
    """

    _formula_columns: list[str]

    def _title(self) -> str:
        return f"OLS: {self._dict['params']['formula']}"

    def _glance(self) -> dict:
        d = self._dict
        return {
            "n_obs": d["n_obs"],
            "n_dropped": d["drops"]["n_input"] - d["drops"]["n_used"],
            "r2": d["r2"],
            "adj_r2": d["adj_r2"],
            "r2_within": d["r2_within"] if d["r2_within"] is not None else float("nan"),
            "sigma": d["sigma"],
            "rss": d["rss"],
            "df_resid": d["df_resid"],
            "vcov": d["vcov_type"],
        }

    def _footer(self) -> list[str]:
        d = self._dict
        fe = ", ".join(f"{f['name']} ({f['n_levels']})" for f in d["fixed_effects"])
        lines = [f"Observations: {d['n_obs']}. Standard errors: {d['vcov_type']}."]
        if fe:
            lines.append(f"Fixed effects: {fe}.")
        r2w = f", within R2 {d['r2_within']:.4f}" if d["r2_within"] is not None else ""
        lines.append(f"R2 {d['r2']:.4f}{r2w}, RMSE {d['sigma']:.5g}.")
        drops = d["drops"]
        removed = []
        if drops["n_missing"]:
            cols = ", ".join(f"{c}: {k}" for c, k in drops["missing_by_column"] if k)
            removed.append(f"{drops['n_missing']} obs removed for missing values ({cols})")
        if drops["n_singletons"]:
            removed.append(f"{drops['n_singletons']} singleton obs removed")
        if drops["n_zero_weight"]:
            removed.append(f"{drops['n_zero_weight']} obs with zero weight removed")
        if removed:
            lines.append("Note: " + "; ".join(removed) + ".")
        lines += [f"Warning: {w['message']}" for w in d["warnings"]]
        return lines

    def residuals(self) -> np.ndarray:
        """Residuals aligned with the input rows (``nan`` where a row was not used)."""
        return np.asarray(self._inner.residuals())

    def fixef(self) -> dict[str, Any]:
        """Estimated fixed effects: one frame (``level, effect``) per dimension.

        With two or more dimensions, the first level of every dimension after the first is 0.
        """
        return {
            name: self._frame({"level": labels, "effect": np.asarray(values)})
            for name, labels, values in self._inner.fixef()
        }

    def predict(self, newdata: Any = None) -> np.ndarray:
        """Predicted outcome (fixed effects included) for ``newdata``; ``nan`` for rows with
        missing regressors or fixed-effect levels not seen in estimation."""
        if newdata is None:
            raise TypeError("predict() needs newdata; residuals() gives in-sample residuals")
        from virkning import _core

        df = _data.as_frame(newdata)
        # The regressors and fixed effects of the formula only: not the weights or clusters.
        names = list(_core.formula_columns(self._dict["params"]["formula"]))[1:]
        return np.asarray(self._inner.predict(_data.columns(df, names)))

    def wildboot(self, param: Any, *, bootstrap: Any = None, cluster: Any = None,
                 bootcluster: str | None = None, **kwargs: Any) -> Any:
        """Wild cluster bootstrap test and interval for a coefficient (or a linear combination
        ``{"x1": 1, "x2": -1}``); ``bootstrap`` is a number of draws or a ``vk.Bootstrap``;
        see :func:`virkning.inference.wildboot`."""

        return virkning.wildboot(self, param, bootstrap=bootstrap, cluster=cluster, bootcluster=bootcluster,
                                 _via_method=True, **kwargs)

    def ritest(self, param: str, *, unit: str, time: str, treatment: str | None = None,
               reps: int = 999, seed: int | None = None) -> Any:
        """Randomization inference (permuted adoption times); see :func:`virkning.inference.ritest`."""

        return virkning.ritest(self, param, unit=unit, time=time, treatment=treatment, reps=reps, seed=seed)
