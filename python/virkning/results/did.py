"""Results of :func:`virkning.att_gt` and of its aggregations."""

from __future__ import annotations

import json
import math
from typing import Any

from virkning._deprecation import deprecated_keywords
from virkning.options import as_bootstrap
from virkning.results._base import Result
from virkning.results.wildboot import Permutable, RiTestResult

_Z = {"pointwise": "pointwise", "simultaneous": "simultaneous"}


def _p_value(estimate: float, se: float) -> tuple[float, float]:
    if not (se > 0) or math.isnan(se) or math.isnan(estimate):
        return float("nan"), float("nan")
    t = estimate / se
    return t, math.erfc(abs(t) / math.sqrt(2.0))


class _DidResult(Result):
    _headers: list[str]

    def _table(self, n: int | None = None) -> tuple[list[str], list[list]]:
        rows = self._rows()[:n] if n is not None else self._rows()
        return self._headers, [[r[c] for c in self._headers] for r in rows]

    def coef(self) -> dict:
        return {self._key(r): r["estimate"] for r in self._rows()}

    def se(self) -> dict:
        return {self._key(r): r["std_error"] for r in self._rows()}

    def pvalue(self) -> dict:
        return {self._key(r): r["p_value"] for r in self._rows()}

    def confint(self, alpha: float | None = None) -> dict:
        return {self._key(r): (r["conf_low"], r["conf_high"]) for r in self._rows(alpha)}

    def _key(self, r: dict) -> Any:
        raise NotImplementedError

    def vcov(self) -> Any:
        raise NotImplementedError("influence-function results expose standard errors, not a vcov matrix")


class GroupTimeEffects(_DidResult):
    """Callaway & Sant'Anna ATT(g,t): one row per cohort and period.

    Attributes come from the Rust result: ``n_units``, ``periods``, ``cohorts``,
    ``n_never_treated``, ``band``, ``critical_value``, ``timing`` (first-period cohorts dropped,
    late cohorts recoded), ``drops``, ``warnings``, ``params``.
    """

    _headers = ["cohort", "time", "estimate", "std_error", "conf_low", "conf_high"]

    def _key(self, r: dict) -> tuple[int, int]:
        return (r["cohort"], r["time"])

    def _title(self) -> str:
        p = self._dict["params"]
        return f"Group-time ATT (Callaway & Sant'Anna): {p['outcome']}, method {p['method']}"

    def _glance(self) -> dict:
        d = self._dict
        return {
            "n_units": d["n_units"], "n_obs": d["n_obs"], "n_periods": len(d["periods"]),
            "n_cohorts": len(d["cohorts"]), "n_never_treated": d["n_never_treated"],
            "control_group": d["params"]["control_group"], "method": d["params"]["method"],
            "band": d["band"], "critical_value": d["critical_value"],
        }

    def _footer(self) -> list[str]:
        d = self._dict
        p = d["params"]
        lines = [
            f"Control group: {p['control_group'].replace('_', ' ')}. Method: {p['method']}. "
            f"Anticipation: {p['anticipation']}. Base period: {p['base_period']}.",
            f"Units: {d['n_units']} ({d['n_never_treated']} never treated), periods: {len(d['periods'])}. "
            f"Standard errors: {d['std_error_type']}"
            + (f", clustered by {d['clusters'][0]} ({d['clusters'][1]})" if d["clusters"] else ", by unit")
            + f". {d['band'].capitalize()} intervals (critical value {d['critical_value']:.3f}).",
        ]
        notes = [s for s in (_timing(d["timing"]), _drops(d["drops"])) if s]
        if notes:
            lines.append("Note: " + "; ".join(notes) + ".")
        lines += [f"Warning: {w['message']}" for w in d["warnings"]]
        return lines

    def aggregate(
        self,
        kind: str = "dynamic",
        *,
        min_e: int | None = None,
        max_e: int | None = None,
        balance_e: int | None = None,
        alpha: float | None = None,
        bootstrap: Any = None,
        **deprecated: Any,
    ) -> AggregatedEffects:
        """Aggregate ATT(g,t): ``"simple"``, ``"dynamic"`` (event study), ``"group"``, ``"calendar"``.

        Reuses the stored influence functions (no re-estimation). Options left as ``None``
        inherit from the fit; ``bootstrap=False`` forces analytic standard errors.
        ``min_e``/``max_e`` limit event times (dynamic; also the post-treatment cells of simple
        and group); ``balance_e`` keeps only cohorts observed at every event time 0..balance_e.
        ``bootstrap`` is a number of draws or ``vk.Bootstrap(reps=, weights=, seed=)`` as in
        :func:`virkning.att_gt` (unset fields inherit from the fit; ``bootstrap_weights=`` and
        ``seed=`` are deprecated spellings of its fields).
        """
        old = deprecated_keywords("aggregate", deprecated, {"bootstrap_weights": "bootstrap=vk.Bootstrap(weights=...)",
                                                            "seed": "bootstrap=vk.Bootstrap(seed=...)"})
        boot = None if isinstance(bootstrap, bool) else as_bootstrap(bootstrap)
        seed = old.get("seed", None if boot is None else boot.seed)
        opts: dict[str, Any] = {"kind": kind, "min_e": min_e, "max_e": max_e, "balance_e": balance_e,
                                "alpha": alpha, "seed": seed}
        if bootstrap is False:
            opts["bootstrap"] = None
            opts["_force_analytic"] = True
        elif boot is not None and boot.reps is not None:
            fit_boot = self._dict["params"]["bootstrap"]
            opts["bootstrap"] = {"n_boot": boot.reps, "weights": old.get("bootstrap_weights") or boot.weights
                                 or (fit_boot or {}).get("weights", "mammen")}
        force = opts.pop("_force_analytic", False)
        payload = {k: v for k, v in opts.items() if v is not None}
        if force:
            payload["bootstrap"] = None
        inner = self._inner.aggregate(json.dumps(payload))
        return AggregatedEffects._from_inner(inner, self._backend)

    def ritest(self, *, reps: int = 999, seed: int | None = None,  # type: ignore[override]
               aggregation: str = "simple") -> RiTestResult:
        """Randomization inference on the overall ATT of ``aggregation`` (``"simple"``,
        ``"dynamic"``, ``"group"``, ``"calendar"``): permute adoption times across units and
        re-estimate; see :func:`virkning.ritest`."""
        import virkning  # the public function, reached through the package (no import cycle)

        return virkning.ritest(self, reps=reps, seed=seed, aggregation=aggregation)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """ATT(g,t) by cohort against period, with intervals; returns the matplotlib Axes."""
        from virkning.plotting.did import att_gt_plot

        kwargs.setdefault("title", self._title())
        return att_gt_plot(self._rows(), ax=ax, **kwargs)


class AggregatedEffects(Permutable, _DidResult):
    """An aggregation of ATT(g,t). ``overall`` holds the overall effect (for dynamic: the mean
    over event times >= 0); ``tidy()`` has one row per event time / cohort / period, and a
    single row for ``simple``."""

    _KEY = {"dynamic": "event_time", "group": "cohort", "calendar": "time", "simple": None}

    @property
    def _keyname(self) -> str | None:
        return self._KEY[self._dict["kind"]]

    @property
    def _headers(self) -> list[str]:  # type: ignore[override]
        k = self._keyname
        return ([k] if k else []) + ["estimate", "std_error", "conf_low", "conf_high"]

    def _row(self, r: dict, band: str) -> dict:
        t, p = _p_value(_num(r["estimate"]), _num(r["std_error"]))
        out = {self._keyname: r["key"]} if self._keyname else {}
        out.update({"estimate": _num(r["estimate"]), "std_error": _num(r["std_error"]),
                    "conf_low": _num(r["conf_low"]), "conf_high": _num(r["conf_high"]),
                    "statistic": t, "p_value": p, "band": band})
        return out

    @property
    def overall(self) -> dict:
        """The overall effect: estimate, std_error, conf_low, conf_high (pointwise)."""
        return self._row(self._dict["overall"], "pointwise")

    def _key(self, r: dict) -> Any:
        return r.get(self._keyname, "overall") if self._keyname else "overall"

    def _title(self) -> str:
        names = {"simple": "Overall ATT", "dynamic": "Event study (dynamic ATT)",
                 "group": "ATT by cohort", "calendar": "ATT by period"}
        return f"{names[self._dict['kind']]} (Callaway & Sant'Anna)"

    def _glance(self) -> dict:
        d = self._dict
        o = d["overall"]
        return {"kind": d["kind"], "overall_estimate": _num(o["estimate"]), "overall_std_error": _num(o["std_error"]),
                "band": d["band"], "critical_value": d["critical_value"], "std_error_type": d["std_error_type"]}

    def _footer(self) -> list[str]:
        d = self._dict
        o = d["overall"]
        lines = []
        if d["kind"] != "simple":
            lines.append(f"Overall: {_num(o['estimate']):.6g} (std. error {_num(o['std_error']):.6g}).")
        lines.append(f"Standard errors: {d['std_error_type']}. {d['band'].capitalize()} intervals "
                     f"(critical value {d['critical_value']:.3f}).")
        lines += [f"Warning: {w['message']}" for w in d["warnings"]]
        return lines

    def plot(self, ax: Any = None, truth: dict[int, float] | None = None, label: str | None = None,
             **kwargs: Any) -> Any:
        """Event study (dynamic, drawn like the other event studies, ``truth`` optional) or
        effects by cohort/period with intervals; returns the Axes."""
        if self._dict["kind"] == "dynamic":
            from virkning.plotting.event_study import event_study_plot

            kwargs.setdefault("title", self._title())
            return event_study_plot([(label or "Callaway & Sant'Anna", self)], ax=ax, truth=truth, **kwargs)
        from virkning.plotting.did import aggregate_plot

        kwargs.setdefault("title", self._title())
        return aggregate_plot(self._rows(), self._keyname or "", ax=ax, band=self._dict["band"], **kwargs)


def _num(x: Any) -> float:
    return float("nan") if x is None else float(x)


def _timing(t: dict) -> str:
    parts = []
    if t["first_period_treated"]:
        n = sum(c["n_units"] for c in t["first_period_treated"])
        cs = ", ".join(f"cohort {c['cohort']}: {c['n_units']}" for c in t["first_period_treated"])
        parts.append(f"{n} unit(s) treated in the first period dropped ({cs})")
    if t["treated_after_last_period"]:
        parts.append(f"{t['treated_after_last_period']} unit(s) first treated after the last period counted as never treated")
    return "; ".join(parts)


def _drops(d: dict) -> str:
    parts = []
    miss = [f"{c}: {k}" for c, k in d["missing_by_column"] if k]
    if miss:
        parts.append("rows with missing values dropped (" + ", ".join(miss) + ")")
    if d["n_unbalanced_units"]:
        parts.append(f"{d['n_unbalanced_units']} unit(s) not observed in every period dropped")
    if d["dropped_periods"]:
        parts.append("periods " + ", ".join(map(str, d["dropped_periods"])) + " dropped (no never-treated units)")
    if d["control_only_cohort"] is not None:
        parts.append(f"cohort {d['control_only_cohort']} used only as a control")
    return "; ".join(parts)
