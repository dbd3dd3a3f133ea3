"""Plots of Callaway & Sant'Anna results: ATT(g,t) by cohort, event studies with bands."""

from __future__ import annotations

from typing import Any

from virkning.plotting.coefplot import _pyplot


def att_gt_plot(rows: list[dict], ax: Any = None, title: str | None = None, **kwargs: Any) -> Any:
    """ATT(g,t) against period, one series per cohort (pre-treatment hollow); returns the Axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    cohorts = sorted({r["cohort"] for r in rows})
    for i, g in enumerate(cohorts):
        rs = [r for r in rows if r["cohort"] == g]
        x = [r["time"] + (i - (len(cohorts) - 1) / 2) * 0.08 for r in rs]
        est = [r["estimate"] for r in rs]
        err = [[r["estimate"] - r["conf_low"] for r in rs], [r["conf_high"] - r["estimate"] for r in rs]]
        ax.errorbar(x, est, yerr=err, fmt="o", capsize=2, color=f"C{i}", label=f"cohort {g}", **kwargs)
        ax.axvline(g - 0.5, color=f"C{i}", lw=0.6, ls=":")
    ax.axhline(0.0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel("period")
    ax.set_ylabel("ATT(g,t)")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def aggregate_plot(rows: list[dict], key: str, ax: Any = None, title: str | None = None,
                   band: str = "pointwise", **kwargs: Any) -> Any:
    """Aggregated effects by cohort or calendar period with intervals (event studies are drawn by
    :func:`virkning.plotting.event_study.event_study_plot`)."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    x = [r.get(key, 0) for r in rows]
    est = [r["estimate"] for r in rows]
    lo = [r["conf_low"] for r in rows]
    hi = [r["conf_high"] for r in rows]
    ax.vlines(x, lo, hi, colors="C0", lw=2)
    ax.scatter(x, est, c="C0", zorder=3, **kwargs)
    ax.axhline(0.0, color="grey", lw=0.8, ls="--")
    ax.set_xlabel(key.replace("_", " ") or "")
    ax.set_ylabel(f"estimate ({band} 95% interval)")
    if title:
        ax.set_title(title, fontsize=10)
    return ax
