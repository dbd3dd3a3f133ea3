"""Coefficient plot."""

from __future__ import annotations

from typing import Any


def _pyplot() -> Any:
    try:
        import matplotlib.pyplot as plt
    except ImportError as e:  # pragma: no cover - depends on the environment
        raise ImportError("plots need matplotlib: pip install 'virkning[plot]'") from e
    return plt


def coefplot(rows: list[dict], ax: Any = None, title: str | None = None, **kwargs: Any) -> Any:
    """Point estimates with confidence intervals, one row per term; returns the Axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 0.45 * len(rows) + 1.2))
    ys = list(range(len(rows)))[::-1]
    est = [r["estimate"] for r in rows]
    lo = [r["estimate"] - r["conf_low"] for r in rows]
    hi = [r["conf_high"] - r["estimate"] for r in rows]
    ax.errorbar(est, ys, xerr=[lo, hi], fmt="o", capsize=3, color=kwargs.pop("color", "C0"), **kwargs)
    ax.axvline(0.0, color="grey", lw=0.8, ls="--")
    ax.set_yticks(ys)
    ax.set_yticklabels([r["term"] for r in rows])
    ax.set_xlabel("estimate (95% CI)")
    if title:
        ax.set_title(title, fontsize=10)
    return ax
