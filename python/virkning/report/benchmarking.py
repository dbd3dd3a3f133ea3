"""The benchmarking section of ``virkning report``: league table with rank intervals and the
funnel plot (see :func:`virkning.benchmark`)."""

from __future__ import annotations

import html
from typing import Any, Callable

from virkning.benchmarking import benchmark
from virkning.report.html import html_table


def benchmark_section(
    data: Any,
    *,
    unit: str,
    time: str,
    outcome: str,
    frame_conditions: list[str],
    size: str | None,
    figure_html: Callable[[Any], str],
    n_sim: int = 2000,
) -> tuple[dict, str]:
    """Benchmark the last period of the panel; returns (JSON-ready results, HTML)."""
    b = benchmark(data, outcome=outcome, unit=unit, frame_conditions=frame_conditions, size=size, time=time,
                  bootstrap=n_sim, seed=1)
    d = b.to_dict()
    units = sorted(d["units"], key=lambda u: u["rank"])
    rows = [[u["unit"], u["rank"], f"{u['rank_low']:.0f}-{u['rank_high']:.0f}", u["p_top"], u["observed"],
             u["expected"], u["performance"], u["std_error"], u["shrunk"], u["funnel"] or ""] for u in units]
    headers = ["unit", "rank", "90% interval", f"P(top {d['top']})", "observed", "expected", "performance",
               "s.e.", "shrunk (EB)", "funnel"]
    fig = ""
    if size is not None:
        try:
            import matplotlib

            matplotlib.use("Agg")
            fig = figure_html(b.funnel_plot().figure)
        except ImportError:
            pass
    pers = d["persistence"]
    pers_txt = ""
    if pers is not None:
        pers_txt = (f"<p>Persistence: mean correlation of performance between consecutive periods "
                    f"{pers['mean_correlation']:.2f}; likelihood-ratio test of a persistent municipality "
                    f"component p = {pers['lr_p_value']:.3g}.</p>")
    dropped = ""
    if d["dropped_zero_size"]:
        dropped = f"<p>Excluded for zero {html.escape(size or 'size')}: {html.escape(', '.join(d['dropped_zero_size']))}.</p>"
    body = f"""
<h2>Benchmarking: performance given frame conditions ({html.escape(str(d['period']))})</h2>
<p>Expected {html.escape(outcome)} from a {d['model']} model of the frame conditions
({html.escape(', '.join(frame_conditions))}) with period effects; performance = observed - expected,
with standard errors from sampling noise and parameter uncertainty. Ranks (1 = best) with 90%
intervals and P(top {d['top']}) from empirical-Bayes posterior draws; {100 * d['share_indistinguishable']:.0f}%
of units have an interval wider than half the list.</p>{dropped}{pers_txt}
{fig}
{html_table(headers, rows)}
"""
    return d, body
