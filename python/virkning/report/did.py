"""The staggered-adoption section of ``virkning report``: Callaway & Sant'Anna event studies
(:func:`virkning.att_gt`, dynamic aggregation) for each cohort column."""

from __future__ import annotations

import html
import warnings
from typing import Any, Callable

from virkning.did import att_gt
from virkning.report.html import html_table


def att_gt_section(
    data: Any,
    *,
    unit: str,
    time: str,
    outcome: str,
    cohorts: list[str],
    covariates: list[str],
    cluster: str | None,
    figure_html: Callable[[Any], str],
) -> tuple[dict, str]:
    """One CS event study (doubly robust, not-yet-treated controls) per cohort column; returns
    (JSON-ready results, HTML). Warnings raised by the estimator are listed in the section."""
    results: dict[str, Any] = {}
    parts = []
    for cohort in cohorts:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fit = att_gt(data, outcome=outcome, unit=unit, time=time, cohort=cohort, covariates=covariates or None,
                         control_group="not_yet_treated", method="dr", cluster=cluster)
            dyn = fit.aggregate("dynamic")
            simple = fit.aggregate("simple").overall
        rows = dyn._rows()
        results[cohort] = {"simple": simple, "dynamic": rows,
                           "warnings": sorted({str(w.message) for w in caught})}
        fig = ""
        try:
            import matplotlib

            matplotlib.use("Agg")
            fig = figure_html(dyn.plot().figure)
        except ImportError:
            pass
        table = [[r["event_time"], r["estimate"], r["std_error"], r["conf_low"], r["conf_high"]] for r in rows]
        notes = "".join(f"<li>{html.escape(m)}</li>" for m in results[cohort]["warnings"])
        parts.append(f"""
<h3>Cohort column <code>{html.escape(cohort)}</code></h3>
<p>Overall ATT (simple aggregation): {simple['estimate']:.4g} (std. error {simple['std_error']:.3g}).</p>
{fig}
{html_table(["event time", "estimate", "std. error", "95% low", "95% high"], table)}
{f"<ul>{notes}</ul>" if notes else ""}""")
    cov = f", conditioning on {html.escape(', '.join(covariates))}" if covariates else ""
    body = f"""
<h2>Staggered adoption: Callaway &amp; Sant'Anna event studies</h2>
<p>Group-time effects ATT(g,t) by the doubly robust estimator with not-yet-treated units as
controls{cov}, aggregated by event time (periods since adoption) with analytic standard errors
clustered by {html.escape(cluster or unit)}. Unlike the TWFE coefficient above, these do not
compare later adopters with already treated units. Pre-treatment event times are the
pre-trend check.</p>{''.join(parts)}
"""
    return results, body
