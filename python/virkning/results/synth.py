"""Results of :func:`virkning.sdid` and :func:`virkning.synthetic_control`."""

from __future__ import annotations

from typing import Any

from virkning.report.html import html_table, text_table
from virkning.results._base import Result

_METHOD_NAMES = {"sdid": "Synthetic DiD", "sc": "Synthetic control (SDID framework)", "did": "Difference-in-differences"}


class SdidResult(Result):
    """A synthetic DiD fit: the aggregate ATT, cohorts, unit and time weights, paths."""

    def _rows(self) -> list[dict]:
        return self._dict["estimates"]

    @property
    def att(self) -> float:
        """The aggregate ATT."""
        return self._dict["estimates"][0]["estimate"]

    @property
    def std_error(self) -> float:
        """Its standard error."""
        return self._dict["estimates"][0]["std_error"]

    @property
    def weights(self) -> Any:
        """Unit weights: ``cohort, unit, weight`` (one row per control and cohort)."""
        rows = [(c["adoption"], u, w) for c in self._dict["cohorts"] for u, w in c["unit_weights"]]
        return self._frame({"cohort": [r[0] for r in rows], "unit": [r[1] for r in rows], "weight": [r[2] for r in rows]})

    @property
    def time_weights(self) -> Any:
        """Time weights: ``cohort, period, weight``."""
        rows = [(c["adoption"], t, w) for c in self._dict["cohorts"] for t, w in c["time_weights"]]
        return self._frame({"cohort": [r[0] for r in rows], "period": [r[1] for r in rows], "weight": [r[2] for r in rows]})

    def by_cohort(self) -> Any:
        """One row per adoption cohort: ``cohort, n_treated, n_control, n_pre, n_post, estimate, share``."""
        cs = self._dict["cohorts"]
        keys = ["n_treated", "n_control", "n_pre", "n_post", "estimate", "share"]
        data = {"cohort": [c["adoption"] for c in cs]} | {k: [c[k] for c in cs] for k in keys}
        return self._frame(data)

    def _glance(self) -> dict:
        d = self._dict
        return {"method": d["method"], "se_method": d["se_method"], "reps": d["reps"], "n_units": d["n_units"],
                "n_treated": d["n_treated"], "n_periods": len(d["periods"]), "n_cohorts": len(d["cohorts"])}

    def _title(self) -> str:
        return _METHOD_NAMES[self._dict["method"]]

    def _footer(self) -> list[str]:
        d = self._dict
        lines = [f"{d['n_treated']} treated of {d['n_units']} units, {len(d['cohorts'])} adoption cohort(s); "
                 f"standard error: {d['se_method']} ({d['reps']} replicates)."]
        for c in d["cohorts"]:
            top = sorted(c["unit_weights"], key=lambda x: -x[1])[:5]
            lines.append(f"Cohort {c['adoption']}: ATT {c['estimate']:.4g} (share {c['share']:.3f}); top weights: "
                         + ", ".join(f"{u} {w:.3f}" for u, w in top if w > 0))
        return lines

    def weights_table(self, html: bool = False) -> str:
        """The non-zero unit weights as a text (or HTML) table."""
        rows = [[c["adoption"], u, w] for c in self._dict["cohorts"] for u, w in sorted(c["unit_weights"], key=lambda x: -x[1]) if w > 0]
        return (html_table if html else text_table)(["cohort", "unit", "weight"], rows)

    def plot(self, cohort: int = 0, ax: Any = None) -> Any:
        """Treated mean and synthetic (omega-weighted, shifted by the intercept) paths of a cohort."""
        import matplotlib.pyplot as plt  # noqa: PLC0415

        c = self._dict["cohorts"][cohort]
        periods = self._dict["periods"]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        ax.plot(periods, c["treated_path"], label="treated", color="black")
        ax.plot(periods, [v + c["intercept"] for v in c["synthetic_path"]], label="synthetic control (+ intercept)",
                color="tab:blue", linestyle="--")
        ax.axvline(c["adoption"] - 0.5, color="grey", linewidth=0.8)
        for t, w in c["time_weights"]:
            if w > 0:
                ax.axvspan(t - 0.5, t + 0.5, alpha=0.15 * w / max(x for _, x in c["time_weights"]), color="tab:orange")
        ax.set_title(f"{self._title()}: ATT {c['estimate']:.3g}")
        ax.legend()
        return ax
