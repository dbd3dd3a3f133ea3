"""Results of the event-study family: :class:`BaconResult` (Goodman-Bacon decomposition)."""

from __future__ import annotations

from typing import Any

from virkning.results._base import Result
from virkning.results.wildboot import Permutable

_TYPE_LABELS = {
    "treated_vs_never": "treated vs never treated",
    "earlier_vs_later": "earlier vs later treated",
    "later_vs_earlier": "later vs earlier treated",
    "later_vs_always": "later vs always treated",
}


def _timing_label(params: dict) -> str:
    return f"treatment {params['treatment']}" if params.get("treatment") else f"cohort {params['cohort']}"


class BaconResult(Result):
    """The Goodman-Bacon decomposition of a TWFE estimate.

    Attributes: ``twfe_estimate``, ``weighted_sum`` (equal up to rounding), ``n_obs``,
    ``n_units``, ``n_periods``, ``n_units_dropped_missing``.
    """

    def by_type(self) -> Any:
        """Total weight and weighted average estimate by comparison type."""
        s = self._dict["summary"]
        return self._frame({
            "type": [r["kind"] for r in s],
            "weight": [r["weight"] for r in s],
            "estimate": [r["estimate"] for r in s],
            "n_comparisons": [r["n_comparisons"] for r in s],
        })

    def _glance(self) -> dict:
        d = self._dict
        return {"twfe_estimate": d["twfe_estimate"], "twfe_std_error": d["twfe_std_error"],
                "weighted_sum": d["weighted_sum"], "n_obs": d["n_obs"], "n_units": d["n_units"],
                "n_periods": d["n_periods"], "n_comparisons": len(d["comparisons"])}

    def _title(self) -> str:
        p = self._dict["params"]
        return f"Goodman-Bacon decomposition: {p['outcome']} on {_timing_label(p)}"

    def _footer(self) -> list[str]:
        d = self._dict
        lines = [f"TWFE estimate {d['twfe_estimate']:.6g} = weighted sum of the 2x2 estimates "
                 f"{d['weighted_sum']:.6g}.",
                 f"Observations: {d['n_obs']} ({d['n_units']} units x {d['n_periods']} periods)."]
        if d["n_units_dropped_missing"]:
            lines.append(f"Note: {d['n_units_dropped_missing']} unit(s) with a missing outcome dropped.")
        timing = d["timing"]
        if timing.get("treated_after_last_period"):
            lines.append(f"Note: {timing['treated_after_last_period']} unit(s) first treated after the last "
                         "period counted as never treated.")
        lines += [f"Warning: {w['message']}" for w in d["warnings"]]
        return lines

    def _table(self, n: int | None = None) -> tuple[list[str], list[list]]:
        """Weights and average estimates by comparison type."""
        rows = [[_TYPE_LABELS.get(r["kind"], r["kind"]), r["weight"], r["estimate"], r["n_comparisons"]]
                for r in self._dict["summary"]]
        return ["comparison", "weight", "avg. estimate", "n"], rows[:n] if n is not None else rows

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """The Bacon scatter: each 2x2 estimate against its weight, by type; returns the Axes."""
        from virkning.plotting.event_study import bacon_scatter

        return bacon_scatter(self._rows(), self._dict["twfe_estimate"], ax=ax, title=self._title(), **kwargs)


_METHOD_TITLES = {
    "sun_abraham": "Sun-Abraham interaction-weighted event study",
    "twfe": "TWFE event study",
    "imputation": "Imputation event study (Borusyak, Jaravel & Spiess)",
}


_BOOT_COLUMNS = ["boot_p_value", "boot_conf_low", "boot_conf_high"]

_METHOD_LABELS = {"sun_abraham": "Sun-Abraham", "twfe": "TWFE event study", "imputation": "imputation (BJS)"}


class EventStudyResult(Permutable, Result):
    """Effects by event time (Sun-Abraham, TWFE event study or BJS imputation).

    Attributes: ``att`` (dict with the overall average effect, ``None`` for TWFE), ``pretrend``
    (joint Wald test of the pre-treatment coefficients), ``n_obs``, ``n_units``, ``control``,
    ``timing`` (dropped or recoded cohorts), ``method``.
    """

    def _boot(self) -> dict | None:
        """The wild bootstrap options used (with the seed), or None."""
        return self._dict["params"].get("wildboot")

    def _table(self, n: int | None = None) -> tuple[list[str], list[list]]:
        """The standard columns, and the bootstrap ones when ``wildboot`` was set."""
        head = ["term", "estimate", "std.error", "t", "p", "low", "high"]
        keys = ["term", "estimate", "std_error", "statistic", "p_value", "conf_low", "conf_high"]
        if self._boot() is not None:
            head += ["boot p", "boot low", "boot high"]
            keys += _BOOT_COLUMNS
        rows = self._rows()[:n] if n is not None else self._rows()
        return head, [[r[k] for k in keys] for r in rows]

    def cohort_effects(self) -> Any:
        """Cohort x event-time pieces: ``cohort, event_time, estimate, std_error, weight, n_obs``."""
        rows = self._dict["cohort_effects"]
        return self._frame({
            "cohort": [r["cohort"] for r in rows], "event_time": [r["event_time"] for r in rows],
            "estimate": [r["estimate"]["estimate"] for r in rows],
            "std_error": [r["estimate"]["std_error"] for r in rows],
            "weight": [r["weight"] for r in rows], "n_obs": [r["n_obs"] for r in rows],
        })

    def _glance(self) -> dict:
        d = self._dict
        att = d.get("att") or {}
        pre = d.get("pretrend") or {}
        return {"method": d["method"], "att": att.get("estimate", float("nan")),
                "att_std_error": att.get("std_error", float("nan")),
                "pretrend_statistic": pre.get("statistic", float("nan")), "pretrend_p_value": pre.get("p_value", float("nan")),
                "n_obs": d["n_obs"], "n_units": d["n_units"], "n_clusters": d["cluster"][1]}

    def _title(self) -> str:
        p = self._dict["params"]
        return f"{_METHOD_TITLES.get(self._dict['method'], 'Event study')}: {p['outcome']}, {_timing_label(p)}"

    def _footer(self) -> list[str]:
        d = self._dict
        lines = []
        if d.get("att"):
            a = d["att"]
            lines.append(f"ATT {a['estimate']:.6g} (std. error {a['std_error']:.4g}, [{a['conf_low']:.4g}, {a['conf_high']:.4g}]).")
        if d.get("pretrend"):
            t = d["pretrend"]
            lines.append(f"Pre-trend test: chi2({t['df']}) = {t['statistic']:.3f}, p = {t['p_value']:.4f}.")
        lines.append(f"Observations: {d['n_obs']}, units: {d['n_units']}. Controls: {d['control'].replace('_', ' ')}. "
                     f"Standard errors clustered by {d['cluster'][0]} ({d['cluster'][1]} clusters); pointwise intervals.")
        if d.get("reference") is not None:
            lines.append(f"Reference event time: {d['reference']}.")
        b = self._boot()
        if b is not None:
            kind = ("WCR" if b["impose_null"] else "WCU") + b["bootstrap_type"]
            lines.append(f"Wild cluster bootstrap ({kind}, {b['weights']} weights, {b['reps']} draws or all 2^G sign "
                         f"vectors when fewer, seed {b['seed']}) by {d['cluster'][0]}: boot p and "
                         f"{100 * (1 - b['alpha']):g}% test-inversion intervals.")
        if d["n_missing"]:
            lines.append(f"Note: {d['n_missing']} row(s) with a missing outcome or covariate dropped.")
        timing = d["timing"]
        if timing.get("first_period_treated"):
            n = sum(c["n_units"] for c in timing["first_period_treated"])
            lines.append(f"Note: {n} unit(s) treated in the first period (no pre-treatment period) dropped.")
        lines += [f"Warning: {w['message']}" for w in d["warnings"]]
        return lines

    def plot(self, ax: Any = None, *, truth: dict[int, float] | None = None, label: str | None = None,
             event_times: tuple[int, int] | None = None, **kwargs: Any) -> Any:
        """Estimates by event time with pointwise 95% intervals; returns the matplotlib Axes.

        Pre-treatment event times are shaded (the pre-trend check), the reference period is a
        hollow marker, and the joint pre-trend test is in the legend. ``truth`` maps event time
        to a true effect (dashed line); ``event_times = (lo, hi)`` limits the range. To compare
        estimators in one figure use :func:`virkning.plotting.event_study.event_study_plot`.
        """
        from virkning.plotting.event_study import event_study_plot

        return event_study_plot([(label or _METHOD_LABELS.get(self._dict["method"], self._dict["method"]), self)],
                                ax=ax, title=self._title(), truth=truth, event_times=event_times, **kwargs)
