"""The result of :meth:`virkning.results.FeolsResult.wildboot`."""

from __future__ import annotations

import math
from typing import Any

import numpy as np

from virkning.results._base import Result


class WildBootResult(Result):
    """A wild cluster bootstrap test of ``R beta = r`` with its test-inversion interval.

    Attributes: ``p_value``, ``conf_int`` (low, high), ``statistic`` (the cluster-robust t),
    ``estimate`` (R beta), ``reps`` (draws; 2^G under full enumeration), ``enumerated``,
    ``n_bootclusters``, ``n_clusters``, ``params`` (options, with the seed used).
    """

    @property
    def p_value(self) -> float:
        return self._dict["p_value"]

    @property
    def statistic(self) -> float:
        return self._dict["statistic"]

    @property
    def estimate(self) -> float:
        return self._dict["estimate"]

    @property
    def conf_int(self) -> tuple[float, float]:
        """The interval; an unbounded end is infinite (JSON carries it as null), with an
        ``unbounded_interval`` warning saying why."""
        ci = self._dict["conf_int"]
        if ci is None:
            return (float("nan"), float("nan"))
        return (-math.inf if ci[0] is None else ci[0], math.inf if ci[1] is None else ci[1])

    def t_boot(self) -> np.ndarray:
        """Bootstrap t-statistics under the null."""
        return np.asarray(self._inner.t_boot())

    def _kind(self) -> str:
        p = self._dict["params"]
        return ("WCR" if p["impose_null"] else "WCU") + p["bootstrap_type"]

    def _title(self) -> str:
        h = self._dict["hypothesis"]
        return f"Wild cluster bootstrap ({self._kind()}): H0 {h['label']} = {h['r']:g}"

    def _glance(self) -> dict:
        p = self._dict["params"]
        return {
            "bootstrap": self._kind(),
            "weights": p["weights"],
            "reps": self._dict["reps"],
            "enumerated": self._dict["enumerated"],
            "n_bootclusters": self._dict["n_bootclusters"],
            "seed": p["seed"],
        }

    def _footer(self) -> list[str]:
        p = self._dict["params"]
        how = "full enumeration of" if self._dict["enumerated"] else f"{p['weights']} weights,"
        return [
            f"{self._dict['reps']} draws ({how} {self._dict['n_bootclusters']} bootstrap clusters; seed {p['seed']}).",
            f"Clusters: {', '.join(str(g) for g in self._dict['n_clusters'])}. "
            f"Interval: {100 * (1 - p['alpha']):g}% by test inversion.",
        ]

    def plot(self, ax: Any = None, *, bins: int = 60, **kwargs: Any) -> Any:
        """Histogram of the bootstrap t-statistics with the observed t; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        ax.hist(self.t_boot(), bins=bins, color="0.7", density=True, **kwargs)
        for s in (self.statistic, -self.statistic):
            ax.axvline(s, color="C3", ls="-" if s == self.statistic else ":")
        ax.set_xlabel("bootstrap t")
        ax.set_title(f"{self._title()}\np = {self.p_value:.4f}")
        return ax


class Permutable:
    """``ritest()`` on the results of the staggered estimators: the Rust result keeps the
    columns and params it was fitted on and permutes those (see :func:`virkning.ritest`)."""

    def ritest(self, *, reps: int = 999, seed: int | None = None) -> RiTestResult:
        """Randomization inference on the ATT: permute adoption times across units and refit;
        see :func:`virkning.ritest`."""
        import virkning  # the public function, reached through the package (no import cycle)

        return virkning.ritest(self, reps=reps, seed=seed)


class RiTestResult(Result):
    """Randomization inference: ``p_value`` (with ``p_value_se``), ``statistic``, ``reps``,
    ``n_units``, ``n_treated`` and the permutation ``distribution()``."""

    @property
    def p_value(self) -> float:
        return self._dict["p_value"]

    @property
    def statistic(self) -> float:
        return self._dict["statistic"]

    def distribution(self) -> np.ndarray:
        """The estimate under each permutation (``nan`` where a refit failed)."""
        return np.asarray(self._dict["distribution"], dtype=float)

    def _title(self) -> str:
        return f"Randomization inference: {self._dict['term']}"

    def _glance(self) -> dict:
        return {k: self._dict.get(k, 0) for k in ("reps", "n_failed", "n_units", "n_treated", "p_value_se")}

    def _footer(self) -> list[str]:
        d = self._dict
        return [
            f"{d['reps']} permutations of adoption across {d['n_units']} units ({d['n_treated']} treated); "
            f"seed {d['params']['seed']}. p = #(|T_b| >= |T|)/B, MC s.e. {d['p_value_se']:.4f}.",
            "No standard error or interval of the effect; null_sd, null_low and null_high describe the "
            "permutation (null) distribution.",
        ] + ([f"{d['n_failed']} of {d['params']['reps']} permutations failed to re-estimate (nan in "
              "distribution()) and are left out of the p-value."] if d.get("n_failed") else [])

    def plot(self, ax: Any = None, *, bins: int = 50, **kwargs: Any) -> Any:
        """Histogram of the permutation distribution with the actual estimate; returns the Axes."""
        import matplotlib.pyplot as plt

        if ax is None:
            _, ax = plt.subplots(figsize=(6, 3.5))
        d = self.distribution()
        ax.hist(d[np.isfinite(d)], bins=bins, color="0.7", density=True, **kwargs)
        ax.axvline(self.statistic, color="C3")
        ax.set_xlabel(f"{self._dict['term']} under permuted adoption")
        ax.set_title(f"{self._title()}\np = {self.p_value:.4f}")
        return ax
