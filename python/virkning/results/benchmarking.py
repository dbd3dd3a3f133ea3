"""The result of :func:`virkning.benchmark`."""

from __future__ import annotations

from typing import Any

import numpy as np

from virkning.report.html import html_table, text_table
from virkning.results._base import Result

UNIT_COLUMNS = [
    "unit", "size", "observed", "expected", "expected_se", "performance", "std_error", "rank_raw", "rank",
    "rank_low", "rank_high", "p_top", "shrunk", "shrunk_se", "rank_shrunk", "rank_low_unshrunk",
    "rank_high_unshrunk", "p_top_unshrunk", "funnel", "cluster", "rank_in_cluster", "cluster_rank_low",
    "cluster_rank_high",
]


def _num(v: Any) -> float:
    return float("nan") if v is None else float(v)


class BenchmarkResult(Result):
    """A benchmark of units against their frame conditions.

    ``tidy()`` gives one row per unit (sorted by rank); ``coefficients()`` the expected-outcome
    model; ``persistence()`` the panel persistence tables; ``clusters`` the clustering report;
    ``tau2`` the between-unit variance of true performance; ``dropped_zero_size`` the units
    excluded for having no refugees.
    """

    def _rows(self) -> list[dict]:
        return self._dict["coefficients"]

    def _title(self) -> str:
        d = self._dict
        when = f", period {d['period']}" if d["period"] is not None else ""
        return f"Benchmark of {d['n_units']} units ({d['model']} expected-outcome model{when})"

    def tidy(self, alpha: float | None = None) -> Any:
        """One row per unit, best first: expected, performance, ranks with intervals, shrinkage."""
        units = sorted(self._dict["units"], key=lambda u: u["rank"])
        data: dict[str, list] = {}
        for c in UNIT_COLUMNS:
            vals = [u[c] for u in units]
            if c in ("unit", "funnel"):
                data[c] = [None if v is None else str(v) for v in vals]
            else:
                data[c] = np.asarray([_num(v) for v in vals], dtype=float)
        if self._dict["clusters"] is None:
            for c in ("cluster", "rank_in_cluster", "cluster_rank_low", "cluster_rank_high"):
                del data[c]
        if self._dict["funnel"] is None:
            del data["funnel"]
        return self._frame(data)

    def coefficients(self) -> Any:
        """The expected-outcome model's coefficient table."""
        return Result.tidy(self)

    def _glance(self) -> dict:
        d = self._dict
        out = {
            "n_units": d["n_units"],
            "n_obs": d["n_obs"],
            "model": d["model"],
            "tau2": d["tau2"],
            "share_indistinguishable": d["share_indistinguishable"],
            "n_dropped_zero_size": len(d["dropped_zero_size"]),
            "level": d["level"],
            "n_sim": d["n_sim"],
            "seed": d["seed"],
        }
        if d["persistence"] is not None:
            out["mean_year_correlation"] = d["persistence"]["mean_correlation"]
            out["persistence_lr_p"] = d["persistence"]["lr_p_value"]
        if d["clusters"] is not None:
            out["k"] = d["clusters"]["k"]
            out["cluster_stability_ari"] = d["clusters"]["stability_mean_ari"]
        return out

    @property
    def clusters(self) -> dict | None:
        """Clustering report: k, how it was chosen, silhouettes, sizes, centres, stability."""
        return self._dict["clusters"]

    def persistence(self) -> dict[str, Any] | None:
        """Panel persistence: ``correlations`` (consecutive periods) and ``units`` (per-unit tests)."""
        p = self._dict["persistence"]
        if p is None:
            return None
        corr = self._frame({
            "period": [c[0] for c in p["correlations"]],
            "previous": [c[1] for c in p["correlations"]],
            "correlation": np.asarray([c[2] for c in p["correlations"]], dtype=float),
            "n_units": np.asarray([c[3] for c in p["correlations"]], dtype=float),
        })
        units = p["units"]
        table = self._frame({k: [u[k] for u in units] for k in units[0]}) if units else None
        return {"correlations": corr, "units": table, "mean_correlation": p["mean_correlation"],
                "persistent_variance": p["persistent_variance"], "lr_statistic": p["lr_statistic"],
                "lr_p_value": p["lr_p_value"]}

    def panel(self) -> Any:
        """Performance of every unit and period (panels)."""
        rows = self._dict["panel"]
        keys = ["unit", "period", "observed", "expected", "performance", "std_error"]
        return self._frame({k: [r[k] for r in rows] for k in keys})

    def _table_rows(self, n: int | None = None) -> list[list]:
        units = sorted(self._dict["units"], key=lambda u: u["rank"])
        if n is not None:
            units = units[:n]
        return [[u["unit"], u["rank"], f"{u['rank_low']:.0f}-{u['rank_high']:.0f}", u["p_top"], u["observed"],
                 u["expected"], u["performance"], u["std_error"], u["shrunk"]] for u in units]

    _HEADERS = ["unit", "rank", "interval", "P(top)", "observed", "expected", "performance", "s.e.", "shrunk"]

    def summary(self, n: int | None = 20) -> str:
        """Text league table (the first ``n`` units) with the model and notes."""
        lines = [self._title(), text_table(self._HEADERS, self._table_rows(n)), *self._footer()]
        return "\n".join(lines)

    def _footer(self) -> list[str]:
        d = self._dict
        lines = [
            f"{int(round(100 * d['level']))}% rank intervals and P(top {d['top']}) from {d['n_sim']} empirical-Bayes "
            f"posterior draws (seed {d['seed']}); between-unit variance tau2 = {d['tau2']:.4g}.",
            f"{100 * d['share_indistinguishable']:.0f}% of units have a rank interval wider than half the list.",
        ]
        if d["dropped_zero_size"]:
            lines.append(f"Excluded (zero size): {', '.join(d['dropped_zero_size'])}.")
        lines += [f"Warning: {w['message']}" for w in d["warnings"] if w["code"] != "zero_size"]
        return lines

    def _repr_html_(self) -> str:
        table = html_table(self._HEADERS, self._table_rows(20))
        foot = "".join(f"<div>{line}</div>" for line in self._footer())
        return f"<div class='virkning'><b>{self._title()}</b>{table}<small>{foot}</small></div>"

    def vcov(self) -> np.ndarray:
        raise AttributeError("the benchmark has no single variance matrix; see coefficients()")

    # -- plots ------------------------------------------------------------------------------
    def funnel_plot(self, ax: Any = None, *, label: int = 5) -> Any:
        """Performance against size with 95 % and 99.8 % control limits; returns the Axes."""
        from virkning.plotting.coefplot import _pyplot

        plt = _pyplot()
        f = self._dict["funnel"]
        if f is None:
            raise ValueError("a funnel plot needs `size`")
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4.5))
        units = self._dict["units"]
        size = np.array([u["size"] for u in units])
        perf = np.array([u["performance"] for u in units])
        ax.plot(f["size"], f["upper95"], color="C1", lw=1, label="95% limits")
        ax.plot(f["size"], f["lower95"], color="C1", lw=1)
        ax.plot(f["size"], f["upper998"], color="C3", lw=1, ls="--", label="99.8% limits")
        ax.plot(f["size"], f["lower998"], color="C3", lw=1, ls="--")
        colors = ["C3" if u["funnel"] in ("above998", "below998") else "C1" if u["funnel"] != "within" else "C0"
                  for u in units]
        ax.scatter(size, perf, s=14, c=colors, zorder=3)
        ax.axhline(0.0, color="grey", lw=0.8)
        order = np.argsort(-np.abs(perf / np.array([u["std_error"] for u in units])))
        for i in order[:label]:
            ax.annotate(units[i]["unit"], (size[i], perf[i]), fontsize=7, xytext=(3, 3), textcoords="offset points")
        ax.set_xscale("log")
        ax.set_xlabel("refugees (size)")
        ax.set_ylabel("performance (observed - expected)")
        ax.set_title("Funnel plot")
        ax.legend(fontsize=8)
        return ax

    def caterpillar_plot(self, ax: Any = None, *, shrunk: bool = True) -> Any:
        """Ranks with their intervals, best first; returns the Axes."""
        from virkning.plotting.coefplot import _pyplot

        plt = _pyplot()
        units = sorted(self._dict["units"], key=lambda u: u["rank_shrunk" if shrunk else "rank"])
        if ax is None:
            _, ax = plt.subplots(figsize=(7, max(4.0, 0.12 * len(units) + 1)))
        y = np.arange(len(units))[::-1]
        point = [u["rank_shrunk" if shrunk else "rank"] for u in units]
        lo = [u["rank_low" if shrunk else "rank_low_unshrunk"] for u in units]
        hi = [u["rank_high" if shrunk else "rank_high_unshrunk"] for u in units]
        ax.hlines(y, lo, hi, color="C0", lw=1)
        ax.plot(point, y, "o", ms=3, color="C0")
        ax.set_yticks(y)
        ax.set_yticklabels([u["unit"] for u in units], fontsize=5)
        ax.set_xlabel(f"rank ({int(round(100 * self._dict['level']))}% interval)")
        ax.set_title("Ranks with intervals" + (" (empirical Bayes)" if shrunk else " (unshrunk)"))
        return ax

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The caterpillar plot of ranks."""
        return self.caterpillar_plot(ax=ax, **kwargs)
