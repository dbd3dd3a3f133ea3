"""Results of :func:`virkning.sdid` and :func:`virkning.synthetic_control`."""

from __future__ import annotations

from typing import Any

from virkning.report.html import html_table, text_table
from virkning.exceptions import UnknownChoiceError
from virkning.results._base import Result
from virkning.results.wildboot import Permutable

_METHOD_NAMES = {"sdid": "Synthetic DiD", "sc": "Synthetic control (SDID framework)", "did": "Difference-in-differences"}


class SdidResult(Permutable, Result):
    """A synthetic DiD fit: the aggregate ATT, cohorts, unit and time weights, paths."""

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

    def plot(self, ax: Any = None, *, cohort: int = 0, **kwargs: Any) -> Any:
        """Treated mean and synthetic (omega-weighted, shifted by the intercept) paths of a
        cohort; returns the Axes."""
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


class SyntheticControlResult(Result):
    """A synthetic control fit with placebo inference."""

    @property
    def att(self) -> float:
        """Mean post-treatment gap."""
        return self._dict["fit"]["att"]

    @property
    def weights(self) -> Any:
        """Donor weights: ``unit, weight``."""
        f = self._dict["fit"]
        return self._frame({"unit": f["donors"], "weight": f["weights"]})

    @property
    def v(self) -> Any:
        """Predictor weights: ``predictor, v``."""
        f = self._dict["fit"]
        return self._frame({"predictor": f["predictor_names"], "v": f["v"]})

    def paths(self) -> Any:
        """``period, treated, synthetic, gap``."""
        f = self._dict["fit"]
        return self._frame({"period": self._dict["periods"], "treated": f["treated_path"],
                            "synthetic": f["synthetic_path"], "gap": f["gaps"]})

    def placebos(self) -> Any:
        """Placebo in space: ``unit, rmspe_pre, rmspe_post, ratio, att`` (the treated unit first)."""
        f, ps = self._dict["fit"], self._dict["placebos"]
        rows = [(f["unit"], f["rmspe_pre"], f["rmspe_post"], self._dict["ratio"], f["att"])] + [
            (p["unit"], p["rmspe_pre"], p["rmspe_post"], p["ratio"], p["att"]) for p in ps]
        keys = ["unit", "rmspe_pre", "rmspe_post", "ratio", "att"]
        return self._frame({k: [r[i] for r in rows] for i, k in enumerate(keys)})

    def leave_one_out(self) -> Any:
        """``dropped, att`` for each donor with weight."""
        lo = self._dict["leave_one_out"]
        return self._frame({"dropped": [x["dropped"] for x in lo], "att": [x["att"] for x in lo]})

    def _glance(self) -> dict:
        f = self._dict["fit"]
        return {"unit": f["unit"], "att": f["att"], "rmspe_pre": f["rmspe_pre"], "rmspe_post": f["rmspe_post"],
                "ratio": self._dict["ratio"], "p_value": self._dict["p_value"], "n_placebos": len(self._dict["placebos"])}

    def _title(self) -> str:
        return f"Synthetic control: {self._dict['fit']['unit']} from {self._dict['treatment_start']}"

    def _footer(self) -> list[str]:
        f = self._dict["fit"]
        top = sorted(zip(f["donors"], f["weights"]), key=lambda x: -x[1])[:6]
        lines = [f"Pre-period RMSPE {f['rmspe_pre']:.4g}, post {f['rmspe_post']:.4g}, ratio {self._dict['ratio']:.3g}; "
                 f"permutation p = {self._dict['p_value']:.3g} ({len(self._dict['placebos'])} placebos). "
                 "No standard error: the p-value is the placebo permutation p of the post/pre RMSPE ratio "
                 "(tidy column rmspe_ratio).",
                 "Weights: " + ", ".join(f"{u} {w:.3f}" for u, w in top if w > 0)]
        if self._dict.get("in_time"):
            lines.append(f"Placebo in time (fake start {self._dict['in_time_start']}): mean gap {self._dict['in_time']['att']:.4g}.")
        return lines

    def weights_table(self, html: bool = False) -> str:
        """The non-zero donor weights as a text (or HTML) table."""
        f = self._dict["fit"]
        rows = [[u, w] for u, w in sorted(zip(f["donors"], f["weights"]), key=lambda x: -x[1]) if w > 0]
        return (html_table if html else text_table)(["unit", "weight"], rows)

    def plot(self, ax: Any = None, *, kind: str = "paths", max_pre_ratio: float | None = 5.0, **kwargs: Any) -> Any:
        """``paths`` (treated vs synthetic), ``gaps``, ``placebos`` (spaghetti of placebo gaps,
        keeping placebos whose pre-period MSPE is at most ``max_pre_ratio`` times the treated
        one's, as in Abadie, Diamond & Hainmueller 2010, fig. 5-7) or ``weights`` (bar chart);
        returns the Axes."""
        import matplotlib.pyplot as plt  # noqa: PLC0415

        if kind not in ("paths", "gaps", "placebos", "weights"):
            raise UnknownChoiceError(f"kind must be 'paths', 'gaps', 'placebos' or 'weights', got {kind!r}")
        d, f = self._dict, self._dict["fit"]
        if ax is None:
            _, ax = plt.subplots(figsize=(7, 4))
        periods = d["periods"]
        if kind == "weights":
            top = [(u, w) for u, w in sorted(zip(f["donors"], f["weights"]), key=lambda x: x[1]) if w > 1e-6]
            ax.barh([u for u, _ in top], [w for _, w in top], color="tab:blue")
            ax.set_xlabel("weight")
            ax.set_title(f"{self._title()}: donor weights")
            return ax
        if kind == "paths":
            ax.plot(periods, f["treated_path"], color="black", label=f["unit"])
            ax.plot(periods, f["synthetic_path"], color="tab:blue", linestyle="--", label="synthetic")
            ax.legend()
        elif kind in ("gaps", "placebos"):
            if kind == "placebos":
                for p in d["placebos"]:
                    if max_pre_ratio is None or p["rmspe_pre"] ** 2 <= max_pre_ratio * f["mspe_pre"]:
                        ax.plot(periods, p["gaps"], color="grey", alpha=0.4, linewidth=0.8)
            ax.plot(periods, f["gaps"], color="black", linewidth=2, label=f["unit"])
            ax.axhline(0, color="grey", linewidth=0.8)
            ax.set_ylabel("gap (treated - synthetic)")
        ax.axvline(d["treatment_start"] - 0.5, color="grey", linestyle=":")
        ax.set_title(self._title())
        return ax
