"""The result of :func:`virkning.glm`."""

from __future__ import annotations


import numpy as np

from virkning.results._base import Result


class GlmResult(Result):
    """A fitted generalised linear model.

    Attributes come from the Rust result: ``n_obs``, ``family``, ``deviance``,
    ``null_deviance``, ``loglik``, ``aic``, ``dispersion``, ``iterations``, ``converged``,
    ``collinear``, ``drops``.
    """

    def _title(self) -> str:
        return f"GLM ({self._dict['family']}): {self._dict['params']['formula']}"

    def _glance(self) -> dict:
        d = self._dict
        return {
            "n_obs": d["n_obs"],
            "n_dropped": d["drops"]["n_input"] - d["drops"]["n_used"],
            "family": d["family"],
            "deviance": d["deviance"],
            "null_deviance": d["null_deviance"],
            "loglik": d["loglik"],
            "aic": d["aic"],
            "dispersion": d["dispersion"],
            "df_resid": d["df_resid"],
            "iterations": d["iterations"],
            "vcov": d["vcov_type"],
        }

    def _footer(self) -> list[str]:
        d = self._dict
        lines = [
            f"Observations: {d['n_obs']}. Standard errors: {d['vcov_type']}. IRLS iterations: {d['iterations']}.",
            f"Deviance {d['deviance']:.6g} (null {d['null_deviance']:.6g}), log-likelihood {d['loglik']:.6g}, "
            f"AIC {d['aic']:.6g}.",
        ]
        if d["drops"]["n_missing"]:
            cols = ", ".join(f"{c}: {k}" for c, k in d["drops"]["missing_by_column"] if k)
            lines.append(f"Note: {d['drops']['n_missing']} obs removed for missing values ({cols}).")
        lines += [f"Warning: {w['message']}" for w in d["warnings"]]
        return lines

    def fitted(self) -> np.ndarray:
        """Fitted means aligned with the input rows (proportions for the binomial; ``nan`` where unused)."""
        return np.asarray(self._inner.fitted())
