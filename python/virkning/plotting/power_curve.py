"""Power curve: simulated power by effect size, with the target and the MDE."""

from __future__ import annotations

from typing import Any

from virkning.plotting.coefplot import _pyplot


def power_curve(curve: list[dict], mde: dict | None, ax: Any = None, title: str | None = None,
                **kwargs: Any) -> Any:
    """Simulated power (with 95% Monte Carlo bars) against the effect; returns the Axes."""
    plt = _pyplot()
    if ax is None:
        _, ax = plt.subplots(figsize=(6, 3.8))
    rows = sorted(curve, key=lambda r: r["effect"])
    x = [r["effect"] for r in rows]
    y = [r["power"] for r in rows]
    err = [1.96 * r["power_mc_se"] for r in rows]
    ax.errorbar(x, y, yerr=err, fmt="o-", capsize=3, color=kwargs.pop("color", "C0"), **kwargs)
    if mde is not None:
        ax.axhline(mde["power_target"], color="grey", lw=0.8, ls="--")
        ax.axvline(mde["analytic"], color="C1", lw=1.0, ls=":",
                   label=f"MDE analytic {mde['analytic']:.4g}")
        if mde.get("simulated") is not None:
            ax.axvline(mde["simulated"], color="C2", lw=1.0, ls="-.",
                       label=f"MDE simulated {mde['simulated']:.4g}")
        ax.legend(fontsize=8, loc="lower right")
    ax.set_ylim(0.0, 1.02)
    ax.set_xlabel("effect")
    ax.set_ylabel("power")
    if title:
        ax.set_title(title, fontsize=10)
    return ax
