"""Survival curves with bands and an at-risk table; forest plot of hazard ratios."""

from __future__ import annotations

from typing import Any

import numpy as np

from virkning.plotting.coefplot import _pyplot


def survival_curves(
    curves: list[dict],
    ax: Any = None,
    *,
    conf: bool = True,
    at_risk: bool = True,
    time_unit: str = "weeks",
    title: str | None = None,
    **kwargs: Any,
) -> Any:
    """Step curves of survival by group, pointwise bands, and the numbers at risk below."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    tmax = max((c["time"][-1] for c in curves if c["time"]), default=1.0)
    ticks = np.linspace(0.0, tmax, 6)
    for k, c in enumerate(curves):
        color = f"C{k}"
        t = np.concatenate([[0.0], np.asarray(c["time"], dtype=float)])
        s = np.concatenate([[1.0], np.asarray(c["surv"], dtype=float)])
        ax.step(t, s, where="post", color=color, label=str(c["group"]), **kwargs)
        if conf:
            lo = np.concatenate([[1.0], np.asarray(c["conf_low"], dtype=float)])
            hi = np.concatenate([[1.0], np.asarray(c["conf_high"], dtype=float)])
            ax.fill_between(t, lo, hi, step="post", color=color, alpha=0.2, lw=0)
    ax.set_ylim(0.0, 1.02)
    ax.set_xlim(0.0, tmax)
    ax.set_xlabel(f"time ({time_unit})")
    ax.set_ylabel("share without the event (survival)")
    if len(curves) > 1:
        ax.legend(title="group", fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    if at_risk:
        # Numbers at risk at the tick times, one line per group, under the axis.
        ax.set_xticks(ticks)
        for k, c in enumerate(curves):
            times = np.asarray(c["time"], dtype=float)
            n_risk = np.asarray(c["n_risk"], dtype=float)
            row = []
            for tk in ticks:
                later = times >= tk
                row.append(n_risk[later][0] if later.any() else 0.0)
            y = -0.22 - 0.07 * k
            ax.text(-0.02, y, str(c["group"]), transform=ax.transAxes, ha="right", fontsize=7, color=f"C{k}")
            for tk, nr in zip(ticks, row):
                ax.text(tk, y, f"{nr:g}", transform=ax.get_xaxis_transform(), ha="center", fontsize=7)
        ax.text(0.0, -0.15, "at risk", transform=ax.transAxes, fontsize=7, ha="left")
    return ax


def forest_plot(rows: list[dict], ax: Any = None, *, title: str | None = None, **kwargs: Any) -> Any:
    """Hazard ratios with confidence intervals on a log axis, one row per term."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.45 * len(rows) + 1.2))
    ys = list(range(len(rows)))[::-1]
    hr = np.array([r["hazard_ratio"] for r in rows])
    lo = hr - np.array([r["hr_conf_low"] for r in rows])
    hi = np.array([r["hr_conf_high"] for r in rows]) - hr
    ax.errorbar(hr, ys, xerr=[lo, hi], fmt="s", capsize=3, color=kwargs.pop("color", "C0"), **kwargs)
    ax.axvline(1.0, color="grey", lw=0.8, ls="--")
    ax.set_xscale("log")
    ax.set_yticks(ys)
    ax.set_yticklabels([r["term"] for r in rows])
    ax.set_xlabel("hazard ratio (95% CI, log scale)")
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def incidence_curves(curves: list[dict], ax: Any = None, *, time_unit: str = "weeks", title: str | None = None,
                     **kwargs: Any) -> Any:
    """Cumulative incidence step curves, one per group and cause."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4.5))
    for k, c in enumerate(curves):
        t = np.concatenate([[0.0], np.asarray(c["time"], dtype=float)])
        f = np.concatenate([[0.0], np.asarray(c["estimate"], dtype=float)])
        ax.step(t, f, where="post", color=f"C{k}", label=f"{c['group']}, cause {c['cause']}", **kwargs)
    ax.set_xlabel(f"time ({time_unit})")
    ax.set_ylabel("cumulative incidence")
    ax.set_ylim(0.0, 1.0)
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax
