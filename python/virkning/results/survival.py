"""Results of the survival family: Kaplan-Meier curves, log-rank tests and Cox models."""

from __future__ import annotations

import json
from typing import Any, Sequence

import numpy as np

from virkning import _data
from virkning import exceptions as exc
from virkning.results._base import TIDY_COLUMNS, Result

_NAN = float("nan")


class _RowTable:
    """The survival results' tidy columns, built from their Rust result's fields.

    Stop-gap until the survival results implement the Rust ``EstimatorResult`` trait
    (docs/CONTRACT.md): the table is only available at the fitted ``alpha``; another alpha is an
    error (refit with ``alpha=``) rather than an interval recomputed in Python."""

    def _columns(self, alpha: float | None = None) -> dict[str, Any]:
        fitted = self._fields().get("params", {}).get("alpha", 0.05)
        if alpha is not None and not (isinstance(alpha, (int, float)) and abs(float(alpha) - fitted) < 1e-15):
            raise exc.InvalidParameterError(
                f"this result's intervals are at alpha={fitted}; refit with alpha={alpha!r} for other intervals"
            )
        rows = self._table_rows()
        names = list(rows[0].keys()) if rows else TIDY_COLUMNS
        out: dict[str, Any] = {}
        for c in names:
            vals = [r[c] for r in rows]
            text = c == "term" or any(isinstance(v, str) for v in vals)
            out[c] = [str(v) for v in vals] if text else np.asarray([_num(v) for v in vals], dtype=float)
        return out


class KaplanMeierResult(_RowTable, Result):
    """Kaplan-Meier curves by group.

    ``tidy()`` has one row per group and time: ``term`` (the group), ``estimate`` (survival),
    ``std_error`` (Greenwood, of the survival itself), ``statistic``/``p_value`` (NaN),
    ``conf_low``/``conf_high`` (the pointwise band), then ``time, n_risk, n_event, n_censor,
    std_error_log`` (R's ``std.err``), ``cumhaz, std_cumhaz`` (Nelson-Aalen).
    """

    def _table_rows(self) -> list[dict]:
        rows = []
        for c in self._dict["curves"]:
            for j, t in enumerate(c["time"]):
                s = c["surv"][j]
                se_log = _num(c["std_error"][j])
                rows.append({
                    "term": c["group"],
                    "estimate": s,
                    "std_error": s * se_log,
                    "statistic": _NAN,
                    "p_value": _NAN,
                    "conf_low": _num(c["conf_low"][j]),
                    "conf_high": _num(c["conf_high"][j]),
                    "time": t,
                    "n_risk": c["n_risk"][j],
                    "n_event": c["n_event"][j],
                    "n_censor": c["n_censor"][j],
                    "std_error_log": se_log,
                    "cumhaz": c["cumhaz"][j],
                    "std_cumhaz": c["std_cumhaz"][j],
                })
        return rows

    def _title(self) -> str:
        p = self._dict["params"]
        by = f" by {p['group']}" if p.get("group") else ""
        return f"Kaplan-Meier: {p['duration']} (event {p['event']}){by}"

    def _glance(self) -> dict:
        d = self._dict
        return {
            "n_obs": d["n_obs"],
            "n_events": d["n_events"],
            "n_groups": len(d["curves"]),
            "estimator": "kaplan_meier",
            "conf_type": d["params"]["conf_type"],
        }

    def quantile(self, probs: Sequence[float] = (0.25, 0.5, 0.75)) -> Any:
        """Survival quantiles with intervals (R's ``quantile.survfit``): ``group, prob, estimate,
        conf_low, conf_high``; NaN where a curve or band never reaches ``1 - prob``."""
        q = json.loads(self._inner.quantiles([float(p) for p in probs]))
        cols = ["group", "prob", "estimate", "conf_low", "conf_high"]
        return self._frame({c: [_num(r[c]) if c != "group" else r[c] for r in q] for c in cols})

    def median(self) -> Any:
        """Median survival time by group with its interval."""
        return self.quantile([0.5])

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Survival curves with pointwise bands and an at-risk table; returns the Axes.

        Keywords: ``conf`` (bands, default True), ``at_risk`` (default True), ``time_unit``.
        """
        from virkning.plotting.survival import survival_curves

        return survival_curves(self._dict["curves"], ax=ax, title=self._title(), **kwargs)


class LogRankResult(_RowTable, Result):
    """A log-rank test: ``tidy()`` per group (``estimate`` = observed - expected events,
    ``std_error`` = its square-root variance), ``glance()`` the chi-square test."""

    @classmethod
    def _from_dict(cls, d: dict, backend: Any = None) -> LogRankResult:
        self = cls.__new__(cls)
        self._inner = None
        self._backend = backend
        self.__dict__["_dict"] = d
        return self

    def to_json(self) -> str:
        return json.dumps(self._dict)

    def to_dict(self) -> dict:
        return dict(self._dict)

    def _table_rows(self) -> list[dict]:
        d = self._dict
        rows = []
        for k, g in enumerate(d["groups"]):
            oe = d["observed"][k] - d["expected"][k]
            se = float(np.sqrt(d["variance"][k][k]))
            rows.append({
                "term": g,
                "estimate": oe,
                "std_error": se,
                "statistic": oe / se if se > 0 else _NAN,
                "p_value": _NAN,
                "conf_low": _NAN,
                "conf_high": _NAN,
                "n": d["n"][k],
                "observed": d["observed"][k],
                "expected": d["expected"][k],
            })
        return rows

    def _title(self) -> str:
        return "Log-rank test" + (" (stratified)" if self._dict["n_strata"] > 1 else "")

    def _glance(self) -> dict:
        t = self._dict["test"]
        return {
            "n_obs": int(sum(self._dict["n"])),
            "statistic": _num(t["statistic"]),
            "df": t["df"],
            "p_value": _num(t["p_value"]),
            "n_strata": self._dict["n_strata"],
            "estimator": "logrank",
        }

    def _footer(self) -> list[str]:
        g = self._glance()
        return [f"Chi-square {g['statistic']:.4f} on {g['df']} df, p = {g['p_value']:.4g}."]


class CumincResult(LogRankResult):
    """Cumulative incidence curves by group and cause (``cuminc``)."""

    def _table_rows(self) -> list[dict]:
        from statistics import NormalDist

        z = NormalDist().inv_cdf(1 - self._dict["alpha"] / 2)
        rows = []
        for c in self._dict["curves"]:
            for t, f, v in zip(c["time"], c["estimate"], c["variance"]):
                se = float(np.sqrt(max(_num(v), 0.0)))
                rows.append({
                    "term": f"{c['group']} {c['cause']}",
                    "estimate": f,
                    "std_error": se,
                    "statistic": _NAN,
                    "p_value": _NAN,
                    "conf_low": max(f - z * se, 0.0),
                    "conf_high": min(f + z * se, 1.0),
                    "group": c["group"],
                    "cause": c["cause"],
                    "time": t,
                })
        return rows

    def _title(self) -> str:
        return "Cumulative incidence (competing risks)"

    def _glance(self) -> dict:
        return {"n_obs": self._dict["n_obs"], "n_causes": len(self._dict["causes"]), "estimator": "cuminc"}

    def _footer(self) -> list[str]:
        return []

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Step curves of the cumulative incidence by group and cause; returns the Axes."""
        from virkning.plotting.survival import incidence_curves

        return incidence_curves(self._dict["curves"], ax=ax, title=self._title(), **kwargs)


class CoxResult(_RowTable, Result):
    """A fitted Cox proportional-hazards model.

    ``tidy()``: log hazard ratios (``term, estimate, std_error, statistic, p_value, conf_low,
    conf_high``) then ``hazard_ratio, hr_conf_low, hr_conf_high``. Attributes from the Rust
    result: ``loglik``, ``loglik_null``, ``likelihood_ratio``, ``wald``, ``score``,
    ``n_obs``, ``n_events``, ``iterations``, ``converged``, ``collinear``,
    ``drops``, ``warnings``.
    """

    def _table_rows(self) -> list[dict]:
        d = self._dict
        rows = []
        for e, h in zip(d["coefficients"], d["hazard_ratios"]):
            r = {k: _num(v) if k != "term" else v for k, v in e.items()}
            r.update(hazard_ratio=_num(h["hazard_ratio"]), hr_conf_low=_num(h["conf_low"]),
                     hr_conf_high=_num(h["conf_high"]))
            rows.append(r)
        return rows

    def _title(self) -> str:
        return f"Cox PH ({self._dict['params']['ties']} ties): {self._dict['params']['formula']}"

    def _glance(self) -> dict:
        d = self._dict
        return {
            "n_obs": d["n_obs"],
            "n_events": d["n_events"],
            "n_clusters": d["n_clusters"] if d["n_clusters"] is not None else _NAN,
            "n_strata": d["n_strata"],
            "estimator": "coxph",
            "vcov": d["vcov_type"],
            "loglik": d["loglik"],
            "loglik_null": d["loglik_null"],
            "lr_statistic": _num(d["likelihood_ratio"]["statistic"]),
            "lr_p_value": _num(d["likelihood_ratio"]["p_value"]),
            "wald_statistic": _num(d["wald"]["statistic"]),
            "wald_p_value": _num(d["wald"]["p_value"]),
            "score_statistic": _num(d["score"]["statistic"]),
            "score_p_value": _num(d["score"]["p_value"]),
            "df": d["likelihood_ratio"]["df"],
            "concordance": _num(self.concordance()["concordance"]),
            "iterations": d["iterations"],
            "converged": d["converged"],
        }

    def _footer(self) -> list[str]:
        g = self._glance()
        lines = [
            f"n = {g['n_obs']}, events = {g['n_events']}, strata = {g['n_strata']}; variance: {g['vcov']}.",
            f"Likelihood ratio {g['lr_statistic']:.4f}, Wald {g['wald_statistic']:.4f}, "
            f"score {g['score_statistic']:.4f} on {g['df']} df; concordance {g['concordance']:.4f}.",
        ]
        note = self._dict["drops"]
        if note["n_missing"]:
            lines.append(f"Note: {note['n_missing']} obs removed for missing values.")
        lines += [f"Warning: {w['message']}" for w in self._dict["warnings"]]
        return lines

    def concordance(self) -> dict:
        """Harrell's concordance and its pair counts (as R ``concordance()``), computed once."""
        c = self.__dict__.get("_concordance")
        if c is None:
            c = self.__dict__["_concordance"] = json.loads(self._inner.concordance())
        return c

    def cox_zph(self, transform: str = "km") -> Any:
        """Schoenfeld-residual test of proportional hazards (R ``cox.zph(terms=FALSE)``): one row
        per regressor and ``GLOBAL``: ``term, statistic, df, p_value``."""
        z = json.loads(self._inner.cox_zph(str(transform)))
        return self._frame({
            "term": [r["term"] for r in z["table"]],
            "statistic": [_num(r["test"]["statistic"]) for r in z["table"]],
            "df": [r["test"]["df"] for r in z["table"]],
            "p_value": [_num(r["test"]["p_value"]) for r in z["table"]],
        })

    def baseline_hazard(self) -> Any:
        """Breslow cumulative baseline hazard at x = 0 per stratum: ``stratum, time, cumhaz``."""
        base = json.loads(self._inner.baseline())
        rows = [(b["stratum"], t, h) for b in base for t, h in zip(b["time"], b["cumhaz"])]
        return self._frame({"stratum": [r[0] for r in rows], "time": [r[1] for r in rows],
                            "cumhaz": [r[2] for r in rows]})

    def predict_survival(self, newdata: Any) -> Any:
        """Survival curves of new rows (unstratified models): ``row, time, surv`` (long form)."""
        df = _data.as_frame(newdata)
        names = sorted({c["column"] if isinstance(c, dict) and "column" in c else c
                        for r in self._dict["recipes"] for comp in r["components"]
                        for c in [next(iter(comp.values()))]})
        cols = _data.columns(df, names)
        p = json.loads(self._inner.predict_survival(cols))
        t = p["time"]
        rows = [(i, tk, s[k]) for i, s in enumerate(p["surv"]) for k, tk in enumerate(t)]
        return self._frame({"row": [r[0] for r in rows], "time": [r[1] for r in rows],
                            "surv": [r[2] for r in rows]})

    def score_residuals(self) -> tuple[np.ndarray, np.ndarray]:
        """Score residuals consistent with the tie method: (input rows used, rows x regressors)."""
        rows, res = self._inner.score_residuals()
        return np.asarray(rows), np.asarray(res)

    def plot(self, ax: Any = None, **kwargs: Any) -> Any:
        """Forest plot of hazard ratios with intervals (log axis); returns the Axes."""
        from virkning.plotting.survival import forest_plot

        return forest_plot(self._rows(), ax=ax, title=self._title(), **kwargs)


def _num(v: Any) -> float:
    """A JSON number as float; ``None`` (a non-finite value serialised by serde) as NaN."""
    return _NAN if v is None else float(v)
