"""Plots of the event-study family: event-study coefficients with bands, the Bacon scatter."""

from __future__ import annotations

from typing import Any

from virkning.plotting.coefplot import _pyplot

_MARKERS = {"treated_vs_never": "o", "earlier_vs_later": "^", "later_vs_earlier": "x", "later_vs_always": "s"}


def bacon_scatter(rows: list[dict], twfe: float, ax: Any = None, title: str | None = None, **kwargs: Any) -> Any:
    """2x2 estimates (y) against weights (x) by comparison type, with the TWFE estimate as a line."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6.5, 4))
    for i, kind in enumerate(dict.fromkeys(r["type"] for r in rows)):
        sub = [r for r in rows if r["type"] == kind]
        ax.scatter([r["weight"] for r in sub], [r["estimate"] for r in sub], marker=_MARKERS.get(kind, "o"),
                   color=f"C{i}", label=kind.replace("_", " "), **kwargs)
    ax.axhline(twfe, color="black", lw=1, label=f"TWFE = {twfe:.4g}")
    ax.axhline(0.0, color="grey", lw=0.6, ls=":")
    ax.set_xlabel("weight")
    ax.set_ylabel("2x2 DiD estimate")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax


def event_study_plot(series: list[tuple[str, list[dict]]], ax: Any = None, title: str | None = None,
                     truth: dict[int, float] | None = None, offset: float = 0.08) -> Any:
    """Estimates by event time with confidence bands, one series per estimator; returns the Axes.

    ``series`` holds ``(label, rows)`` with rows carrying ``event_time, estimate, conf_low,
    conf_high``; ``truth`` maps event time to a true effect drawn as a dashed line.
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7, 4))
    n = len(series)
    for j, (label, rows) in enumerate(series):
        shift = (j - (n - 1) / 2) * offset
        e = [r["event_time"] + shift for r in rows]
        est = [r["estimate"] for r in rows]
        lo = [r["estimate"] - r["conf_low"] for r in rows]
        hi = [r["conf_high"] - r["estimate"] for r in rows]
        ax.errorbar(e, est, yerr=[lo, hi], fmt="o", ms=4, capsize=2, color=f"C{j}", label=label)
    if truth:
        ks = sorted(truth)
        ax.plot(ks, [truth[k] for k in ks], color="black", ls="--", lw=1, label="true effect")
    ax.axhline(0.0, color="grey", lw=0.6)
    ax.axvline(-0.5, color="grey", lw=0.6, ls=":")
    ax.set_xlabel("event time (periods since adoption)")
    ax.set_ylabel("effect (95% CI)")
    ax.legend(fontsize=8)
    if title:
        ax.set_title(title, fontsize=10)
    return ax
