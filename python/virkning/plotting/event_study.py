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


def _rows_of(obj: Any) -> list[dict]:
    """Rows (dicts with ``event_time, estimate, conf_low, conf_high``) of a result, a tidy frame or a list."""
    if isinstance(obj, list):
        return obj
    if hasattr(obj, "_rows"):
        return obj._rows()
    import narwhals as nw

    return nw.from_native(obj, eager_only=True).rows(named=True)


def _info(obj: Any) -> dict:
    """Reference event time and pre-trend test of a result (empty for rows or frames)."""
    d = getattr(obj, "_dict", None)
    return d if isinstance(d, dict) else {}


def event_study_plot(series: list[tuple[str, Any]], ax: Any = None, title: str | None = None,
                     truth: dict[int, float] | None = None, offset: float = 0.1,
                     event_times: tuple[int, int] | None = None) -> Any:
    """Estimates by event time with confidence intervals, one series per estimator; returns the Axes.

    ``series`` holds ``(label, result)`` pairs where ``result`` is an event-study result
    (:func:`virkning.sun_abraham`, :func:`virkning.event_study`, :func:`virkning.did_imputation`,
    a dynamic aggregation of :func:`virkning.att_gt`), its ``tidy()`` frame or a list of rows
    with ``event_time, estimate, conf_low, conf_high``. Pre-treatment event times are shaded:
    their estimates are the pre-trend check. A result's reference event time (normalised to 0)
    is drawn as a hollow marker, simultaneous (sup-t) bands are marked in the legend, and a
    result's joint pre-trend test is added to its label. ``truth`` maps event time to a true
    effect (dashed line); ``event_times = (lo, hi)`` limits the range shown.
    """
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(7.5, 4.2))
    lo_e, hi_e = event_times if event_times is not None else (-(10**9), 10**9)
    n = len(series)
    shown: list[int] = []
    for j, (label, obj) in enumerate(series):
        rows = [r for r in _rows_of(obj) if lo_e <= int(r["event_time"]) <= hi_e]
        info = _info(obj)
        shift = (j - (n - 1) / 2) * offset
        if any(r.get("band") == "simultaneous" for r in rows):
            label = f"{label} (sup-t band)"
        pre = info.get("pretrend")
        if pre:
            label = f"{label}; pre-trend p = {pre['p_value']:.2f}"
        e = [int(r["event_time"]) for r in rows]
        shown += e
        est = [r["estimate"] for r in rows]
        err = [[r["estimate"] - r["conf_low"] for r in rows], [r["conf_high"] - r["estimate"] for r in rows]]
        ax.errorbar([x + shift for x in e], est, yerr=err, fmt="o", ms=4, capsize=2, color=f"C{j}", label=label)
        ref = info.get("reference")
        if ref is not None and lo_e <= ref <= hi_e:
            ax.plot([ref + shift], [0.0], "o", ms=5, mfc="white", color=f"C{j}")
            shown.append(int(ref))
    if truth:
        ks = sorted(k for k in truth if lo_e <= k <= hi_e)
        ax.plot(ks, [truth[k] for k in ks], color="black", ls="--", lw=1, label="true effect")
    if shown and min(shown) < 0:
        ax.axvspan(min(shown) - 0.5, -0.5, color="grey", alpha=0.08, lw=0)
        ax.text(min(shown) - 0.4, 1.0, "pre-treatment (pre-trend check)", transform=ax.get_xaxis_transform(),
                va="top", fontsize=7, color="dimgrey")
    ax.axhline(0.0, color="grey", lw=0.6)
    ax.set_xlabel("event time (periods since adoption; hollow: reference period)")
    ax.set_ylabel("effect (95% CI)")
    ax.legend(fontsize=7)
    if title:
        ax.set_title(title, fontsize=10)
    return ax
