"""The result of :func:`virkning.power`."""

from __future__ import annotations

from typing import Any

from virkning.results._base import Result

CURVE_COLUMNS = ["effect", "estimand", "power", "power_mc_se", "bias", "rmse", "coverage",
                 "mean_se", "sd_estimate", "reps", "n_failed"]
DRAW_COLUMNS = ["estimate", "std_error", "p_value", "conf_low", "conf_high", "estimand"]


def _num(x: Any) -> Any:
    """JSON null (a NaN in Rust: no standard error or interval) back to NaN."""
    return float("nan") if x is None else x


class PowerResult(Result):
    """Power, bias, RMSE and coverage by effect size, and the minimum detectable effect.

    ``tidy()`` has one row per effect size (columns ``effect, estimand, power, power_mc_se,
    bias, rmse, coverage, mean_se, sd_estimate, reps, n_failed``); ``mde`` is a dict
    (``analytic``, ``simulated``, ``se_null``, ``multiplier``, ``search``) or None;
    ``draws()`` has every replicate's estimate; ``plot()`` draws the power curve. Estimators
    without a standard error (``synthetic_control``) have NaN ``mean_se`` and ``coverage``.
    """

    @property
    def mde(self) -> dict | None:
        """Minimum detectable effect: analytic (multiplier x mean null SE) and simulated."""
        return self._dict["mde"]

    @property
    def seed(self) -> int:
        """The seed used (replicate r draws from stream r)."""
        return self._dict["seed"]

    @property
    def design(self) -> dict:
        """The simulated design, with its seed."""
        return self._dict["design"]

    def draws(self) -> Any:
        """Every replicate's estimate, standard error, interval and estimand, by effect size."""
        data: dict[str, list] = {"effect": [], "replicate": [], **{c: [] for c in DRAW_COLUMNS}}
        for row, draws in zip(self._dict["curve"], self._dict["draws"]):
            for r, d in enumerate(draws):
                data["effect"].append(row["effect"])
                data["replicate"].append(r)
                for c in DRAW_COLUMNS:
                    data[c].append(_num(d[c]))
        return self._frame(data)

    def _design_text(self) -> str:
        d = self.design
        cohorts = [c for c in d["cohorts"] if c["n_units"] > 0]
        if len(cohorts) == 1:
            who = f"{cohorts[0]['n_units']} of {d['n_units']} units treated from {cohorts[0]['start']}"
        else:
            parts = ", ".join(f"{c['n_units']} from {c['start']}" for c in cohorts)
            who = f"{d['n_units']} units, staggered: {parts}"
        return f"{who}; periods {d['first_period']}-{d['last_period']}"

    def _title(self) -> str:
        p = self._dict["params"]
        return f"Power of {p['estimator'].upper()}: {self._design_text()}"

    def _glance(self) -> dict:
        p, m = self._dict["params"], self.mde or {}
        return {
            "estimator": p["estimator"],
            "reps": p["reps"],
            "alpha": p["alpha"],
            "power_target": p["power_target"],
            "mde_analytic": m.get("analytic", float("nan")),
            "mde_simulated": m.get("simulated") if m.get("simulated") is not None else float("nan"),
            "se_null": m.get("se_null", float("nan")),
            "total_replications": self._dict["total_replications"],
            "seed": self.seed,
        }

    def _footer(self) -> list[str]:
        p, m = self._dict["params"], self.mde
        lines = [f"{p['reps']} replications per effect size, alpha {p['alpha']}, seed {self.seed}."]
        if m is not None:
            line = (f"MDE at {100 * m['power_target']:.0f}% power: {m['analytic']:.4g} "
                    f"(analytic, {m['multiplier']:.2f} x mean SE {m['se_null']:.4g})")
            if m.get("simulated") is not None:
                line += f"; {m['simulated']:.4g} by simulation (power {m['simulated_power']:.3f})"
            lines.append(line + ".")
        lines += [f"Warning: {w['message']}" for w in self._dict["warnings"]]
        return lines

    _HEADER = ["effect", "estimand", "power", "mc se", "bias", "rmse", "coverage", "mean se"]

    def _table(self, n: int | None = None) -> tuple[list[str], list[list]]:
        rows = self._rows()[:n] if n is not None else self._rows()
        return self._HEADER, [[r["effect"], r["estimand"], r["power"], r["power_mc_se"], r["bias"], r["rmse"],
                               r["coverage"], r["mean_se"]] for r in rows]

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Power curve with Monte Carlo error bars, the power target and the MDE; returns the Axes."""
        from virkning.plotting.power_curve import power_curve

        return power_curve(self._dict["curve"], self.mde, ax=ax, title=self._design_text(), **kwargs)

    def coef(self) -> dict[float, float]:
        """Mean estimate by effect size (estimand plus bias)."""
        return {r["effect"]: r["estimand"] + r["bias"] for r in self._rows()}

    def se(self) -> dict[float, float]:
        """Mean reported standard error by effect size."""
        return {r["effect"]: r["mean_se"] for r in self._rows()}

    def vcov(self) -> Any:
        raise AttributeError("a power analysis has no variance matrix; see tidy() and draws()")
