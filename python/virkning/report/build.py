"""The HTML + JSON evaluation report of ``virkning report``.

Sections so far: data summary, employment-rate trends, a TWFE regression of the outcome
on the interventions with clustered standard errors. Later estimators add sections here.
"""

from __future__ import annotations

import base64
import datetime as _dt
import html
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import narwhals as nw

from virkning import _data
from virkning.panel import panel_info
from virkning.regression import feols
from virkning.report.html import html_table

CSS = """
body{font-family:system-ui,sans-serif;max-width:980px;margin:2em auto;color:#222}
h1{font-size:1.6em}h2{border-bottom:1px solid #ccc;padding-bottom:.2em;margin-top:1.6em}
table{border-collapse:collapse;margin:.6em 0}td,th{padding:.25em .7em;border-bottom:1px solid #eee;text-align:right}
td:first-child,th:first-child{text-align:left}.note{background:#fff6d5;padding:.6em 1em;border-left:4px solid #e0b000}
img{max-width:100%}
"""


@dataclass
class ReportSpec:
    """What to analyse: column roles of the panel."""

    unit: str
    time: str
    outcome: str
    treatments: list[str]
    covariates: list[str] = field(default_factory=list)
    cluster: str | None = None
    weights: str | None = None
    title: str = "virkning evaluation report"
    simulated: bool = False
    frame_conditions: list[str] = field(default_factory=list)
    size: str | None = None
    cohorts: list[str] = field(default_factory=list)
    synth_unit: str | None = None
    synth_cohort: str | None = None
    unit_label: str | None = None


def _figure_html(fig: Any) -> str:
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110, bbox_inches="tight")
    import matplotlib.pyplot as plt

    plt.close(fig)
    return f"<img alt='figure' src='data:image/png;base64,{base64.b64encode(buf.getvalue()).decode()}'/>"


def _summary_stats(df: nw.DataFrame, cols: list[str]) -> list[list[Any]]:
    rows = []
    for c in cols:
        s = df[c]
        if not s.dtype.is_numeric():
            rows.append([c, s.len() - s.null_count(), s.null_count(), None, None, None, None])
            continue
        s = s.cast(nw.Float64)
        rows.append([c, s.len() - s.null_count(), s.null_count(), s.mean(), s.std(), s.min(), s.max()])
    return rows


def _trends(df: nw.DataFrame, spec: ReportSpec) -> tuple[dict, str]:
    """Mean outcome by period, overall and by ever-treated status of the first treatment."""
    t, y = spec.time, spec.outcome
    overall = df.group_by(t).agg(nw.col(y).mean()).sort(t)
    data: dict[str, Any] = {"time": overall[t].to_list(), "overall": overall[y].to_list()}
    if spec.treatments:
        d = spec.treatments[0]
        ever = df.group_by(spec.unit).agg(nw.col(d).max().alias("_ever"))
        j = df.join(ever, on=spec.unit)
        for flag, label in [(True, f"ever {d}"), (False, f"never {d}")]:
            sub = j.filter((nw.col("_ever") > 0) == flag).group_by(t).agg(nw.col(y).mean()).sort(t)
            data[label] = dict(zip(sub[t].to_list(), sub[y].to_list()))
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt
    except ImportError:
        return data, "<p>(install matplotlib for figures: pip install 'virkning[plot]')</p>"
    fig, ax = plt.subplots(figsize=(7, 3.6))
    ax.plot(data["time"], data["overall"], lw=2.5, color="black", label="all units")
    for k, v in data.items():
        if k.startswith(("ever", "never")):
            ax.plot(list(v.keys()), list(v.values()), marker="o", ms=3, label=k)
    ax.set_xlabel(t)
    ax.set_ylabel(f"mean {y}")
    ax.legend(frameon=False)
    ax.grid(alpha=0.3)
    return data, _figure_html(fig)


def build_report(data: Any, spec: ReportSpec, out_dir: str | Path, extra_notes: list[str] | None = None) -> dict:
    """Run the evaluation and write ``report.html`` and ``results.json`` into ``out_dir``.

    Returns the JSON-serialisable results.
    """
    if spec.synth_unit is not None:  # fail before any work on a bad --synth-unit / --synth-cohort
        from virkning.report.synth import resolve_synth_unit

        resolve_synth_unit(data, unit=spec.unit, time=spec.time, name=spec.synth_unit,
                           cohort=spec.synth_cohort or "", label=spec.unit_label)
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    df = _data.as_frame(data)
    info = panel_info(data, unit=spec.unit, time=spec.time)
    used = [spec.outcome, *spec.treatments, *spec.covariates] + ([spec.weights] if spec.weights else [])
    stats = _summary_stats(df, used)
    trend_data, trend_fig = _trends(df, spec)

    cluster = spec.cluster or spec.unit
    rhs = " + ".join([*spec.treatments, *spec.covariates])
    formula = f"{spec.outcome} ~ {rhs} | {spec.unit} + {spec.time}"
    fit = feols(formula, data, vcov={"CR1": cluster}, weights=spec.weights)
    coef_fig = ""
    try:
        import matplotlib

        matplotlib.use("Agg")
        coef_fig = _figure_html(fit.plot().figure)
    except ImportError:
        pass

    results = {
        "title": spec.title,
        "created": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"),
        "simulated_outcomes": spec.simulated,
        "spec": spec.__dict__,
        "panel": info,
        "summary_statistics": [dict(zip(["column", "n", "missing", "mean", "sd", "min", "max"], r)) for r in stats],
        "trends": trend_data,
        "twfe": fit.to_dict(),
    }
    bench_html = ""
    if spec.frame_conditions:
        from virkning.report.benchmarking import benchmark_section

        results["benchmark"], bench_html = benchmark_section(
            data, unit=spec.unit, time=spec.time, outcome=spec.outcome, frame_conditions=spec.frame_conditions,
            size=spec.size, figure_html=_figure_html)
    did_html = ""
    if spec.cohorts:
        from virkning.report.did import att_gt_section

        results["staggered"], did_html = att_gt_section(
            data, unit=spec.unit, time=spec.time, outcome=spec.outcome, cohorts=spec.cohorts,
            covariates=spec.covariates, cluster=spec.cluster, figure_html=_figure_html)
    synth_html = ""
    if spec.synth_unit is not None:
        from virkning.report.synth import synth_section

        results["synthetic_control"], synth_html = synth_section(
            data, unit=spec.unit, time=spec.time, outcome=spec.outcome, name=spec.synth_unit,
            cohort=spec.synth_cohort or "", label=spec.unit_label, figure_html=_figure_html)
    notes = "".join(f"<p class='note'>{html.escape(n)}</p>" for n in (extra_notes or []))
    balanced = "balanced" if info["balanced"] else "unbalanced"
    tw_rows = [[r["term"], r["estimate"], r["std_error"], r["p_value"], r["conf_low"], r["conf_high"]] for r in fit._rows()]
    body = f"""
<h1>{html.escape(spec.title)}</h1>{notes}
<h2>Data</h2>
<p>{info['n_obs']} observations of {info['n_units']} units over {info['n_periods']} periods
({info['first_period']}-{info['last_period']}, {balanced} panel).</p>
{html_table(["column", "n", "missing", "mean", "sd", "min", "max"], stats)}
<h2>Trends in {html.escape(spec.outcome)}</h2>{trend_fig}
<h2>Two-way fixed-effects regression</h2>
<p><code>{html.escape(formula)}</code>, standard errors clustered by {html.escape(cluster)}
({fit.glance()['n_clusters'].item() if hasattr(fit.glance()['n_clusters'], 'item') else ''} clusters).
TWFE is biased when effects change over time in staggered designs; later sections add
estimators robust to that.</p>
{html_table(["term", "estimate", "std. error", "p", "95% low", "95% high"], tw_rows)}
<pre>{html.escape(chr(10).join(fit._footer()))}</pre>
{coef_fig}
{did_html}
{synth_html}
{bench_html}
"""
    page = f"<!DOCTYPE html><html><head><meta charset='utf-8'><title>{html.escape(spec.title)}</title><style>{CSS}</style></head><body>{body}</body></html>"
    (out / "report.html").write_text(page, encoding="utf-8")
    (out / "results.json").write_text(json.dumps(results, indent=1, default=str), encoding="utf-8")
    return results
