"""The result of :func:`virkning.mixedlm`."""

from __future__ import annotations

from typing import Any

import numpy as np

from virkning.results._base import Result


class MixedResult(Result):
    """A fitted random-intercept linear mixed model.

    Attributes from the Rust result: ``loglik``, ``reml``, ``n_obs``, ``n_groups``,
    ``converged``, ``drops``; ``variance_components`` is a dict ``{"group", "residual"}``.
    """

    def _title(self) -> str:
        kind = "REML" if self._dict["reml"] else "ML"
        return f"Mixed model ({kind}), random intercept by {self._dict['params']['group']}: {self._dict['params']['formula']}"

    @property
    def variance_components(self) -> dict[str, float]:
        """Variances of the random intercept (``group``) and of the residual (``residual``)."""
        return dict(self._dict["variance_components"])

    def _glance(self) -> dict:
        d = self._dict
        vc = d["variance_components"]
        return {
            "n_obs": d["n_obs"],
            "n_groups": d["n_groups"],
            "loglik": d["loglik"],
            "reml": d["reml"],
            "group_var": vc["group"],
            "residual_var": vc["residual"],
            "icc": vc["group"] / (vc["group"] + vc["residual"]),
            "converged": d["converged"],
        }

    def _footer(self) -> list[str]:
        d = self._dict
        vc = d["variance_components"]
        lines = [
            f"Observations: {d['n_obs']}, groups: {d['n_groups']}. Log-likelihood ({'REML' if d['reml'] else 'ML'}): "
            f"{d['loglik']:.6f}.",
            f"Variance components: group {vc['group']:.6g}, residual {vc['residual']:.6g}.",
        ]
        return lines + [f"Warning: {w['message']}" for w in d["warnings"]]

    def random_effects(self) -> Any:
        """BLUPs of the random intercepts: frame ``group, effect, std_error``."""
        d = self._dict
        return self._frame({
            "group": list(d["group_labels"]),
            "effect": np.asarray(d["random_effects"], dtype=float),
            "std_error": np.sqrt(np.asarray(d["random_effects_var"], dtype=float)),
        })
