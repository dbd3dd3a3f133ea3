"""The synthetic-control section of ``virkning report``: one unit chosen by ``--synth-unit``,
its adoption year from a first-treated-period column (``--synth-cohort``), a synthetic twin
from the units that never adopt (:func:`virkning.synthetic_control`) and placebo-in-space
inference."""

from __future__ import annotations

import html
import warnings
from typing import Any, Callable

import narwhals as nw

from virkning import _data
from virkning.exceptions import InvalidParameterError
from virkning.report.html import html_table
from virkning.synth import synthetic_control

#: Below this many pre-periods the section warns that the pre-period fit and the RMSPE-ratio
#: p-value are weak evidence (Abadie 2021 asks for a long pre-period).
MIN_PRE_PERIODS = 5
#: Rows of the donor-weight table.
TOP_DONORS = 10


def resolve_synth_unit(data: Any, *, unit: str, time: str, name: str, cohort: str,
                       label: str | None = None) -> dict:
    """Check ``--synth-unit`` / ``--synth-cohort`` before the report does any work.

    ``name`` is matched (as text) against ``label`` (a column of unit names, if the panel has
    it) or else the unit column. Returns ``{"column", "start", "n_pre"}``; raises
    :class:`InvalidParameterError` naming the option when the unit is unknown, never adopts,
    or leaves fewer than 2 pre-periods or no post-period.
    """
    df = _data.as_frame(data)
    for opt, col in [("--synth-cohort", cohort), ("--unit", unit), ("--time", time)]:
        if col not in df.columns:
            raise InvalidParameterError(f"{opt}: column {col!r} is not in the data")
    column = label if label is not None and label in df.columns else unit
    keys = df[column].cast(nw.String)
    rows = df.filter(keys == str(name))
    if rows.is_empty():
        known = sorted(set(keys.to_list()))
        hint = ", ".join(known[:8]) + (", ..." if len(known) > 8 else "")
        raise InvalidParameterError(
            f"--synth-unit: {name!r} is not a unit of the panel (column {column!r}; e.g. {hint})")
    starts = {v for v in rows[cohort].to_list() if v is not None}
    if len(starts) != 1:
        raise InvalidParameterError(
            f"--synth-unit: {name!r} has {len(starts)} different values of --synth-cohort column {cohort!r}; need one")
    start = starts.pop()
    if not start:
        raise InvalidParameterError(
            f"--synth-unit: {name!r} never adopts ({cohort} = 0); choose a unit with an adoption year")
    periods = sorted(set(df[time].to_list()))
    n_pre = sum(p < start for p in periods)
    if n_pre < 2 or start > periods[-1]:
        raise InvalidParameterError(
            f"--synth-unit: {name!r} adopts in {start}, leaving {n_pre} pre-period(s) and "
            f"{sum(p >= start for p in periods)} post-period(s) in {periods[0]}-{periods[-1]}; "
            "synthetic control needs at least 2 of the first and 1 of the second")
    return {"column": column, "start": int(start), "n_pre": n_pre}


def synth_section(
    data: Any,
    *,
    unit: str,
    time: str,
    outcome: str,
    name: str,
    cohort: str,
    label: str | None,
    figure_html: Callable[[Any], str],
) -> tuple[dict, str]:
    """Synthetic control for unit ``name`` from its adoption year in ``cohort``; returns
    (JSON-ready results, HTML). Donors: the units whose ``cohort`` is 0 (never adopt); if
    fewer than 2 never adopt, all other units (said in the section). Outcome-only fit (every
    pre-period outcome a predictor, equal V), placebo in space over every donor."""
    r = resolve_synth_unit(data, unit=unit, time=time, name=name, cohort=cohort, label=label)
    column, start = r["column"], r["start"]
    df = _data.as_frame(data)
    is_treated = df[column].cast(nw.String) == str(name)
    never = df.filter((nw.col(cohort) == 0) & ~is_treated)
    n_never = never[column].n_unique()
    if n_never >= 2:
        pool = df.filter((nw.col(cohort) == 0) | is_treated)
        pool_txt = (f"the {n_never} units that never adopt ({html.escape(cohort)} = 0), so later adopters "
                    "cannot contaminate the comparison")
        pool_kind = "never_adopters"
    else:
        pool = df
        pool_txt = (f"all {df[column].n_unique() - 1} other units, as only {n_never} never adopt(s) "
                    f"({html.escape(cohort)} = 0); later adopters may pull the estimate towards zero")
        pool_kind = "all_others"
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        fit = synthetic_control(nw.to_native(pool), outcome=outcome, unit=column, time=time,
                                treated_unit=name, treatment_start=start)
    f = fit.fit
    weights = sorted(zip(f["donors"], f["weights"]), key=lambda x: -x[1])
    top = [[u, w] for u, w in weights[:TOP_DONORS] if w > 1e-6]
    n_pos = sum(w > 1e-6 for _, w in weights)
    n_post = len(fit._dict["periods"]) - r["n_pre"]
    n_pl = len(fit._dict["placebos"])
    notes = sorted({str(w.message) for w in caught})
    if r["n_pre"] < MIN_PRE_PERIODS:
        notes.append(f"Only {r['n_pre']} pre-periods: the pre-period fit and the RMSPE-ratio p-value are weak "
                     f"evidence (at least {MIN_PRE_PERIODS} recommended).")
    results = {
        "unit": str(name), "unit_column": column, "cohort_column": cohort, "treatment_start": start,
        "donor_pool": pool_kind, "n_donors": len(f["donors"]), "n_pre": r["n_pre"], "n_post": n_post,
        "att": f["att"], "rmspe_pre": f["rmspe_pre"], "rmspe_post": f["rmspe_post"], "ratio": fit.ratio,
        "p_value": fit.p_value, "n_placebos": n_pl,
        "weights": [{"unit": u, "weight": w} for u, w in weights if w > 1e-6], "notes": notes,
    }
    fig = ""
    try:
        import matplotlib

        matplotlib.use("Agg")
        import matplotlib.pyplot as plt

        figure, axes = plt.subplots(1, 2, figsize=(11, 3.8))
        fit.plot(axes[0], kind="paths")
        fit.plot(axes[1], kind="placebos")
        axes[1].set_title("placebo gaps (pre-MSPE at most 5x the treated one's)")
        fig = figure_html(figure)
    except ImportError:
        pass
    note_html = "".join(f"<li>{html.escape(m)}</li>" for m in notes)
    body = f"""
<h2>Synthetic control: {html.escape(str(name))} from {start}</h2>
<p>{html.escape(str(name))} adopts in {start} ({html.escape(cohort)}). Its synthetic twin is a weighted
average of {pool_txt}, with weights on the simplex chosen to reproduce its {html.escape(outcome)} in the
{r['n_pre']} pre-periods (outcome only, equal V; Abadie, Diamond &amp; Hainmueller 2010). The ATT is the
mean gap over the {n_post} post-periods.</p>
<p>ATT {f['att']:.4g}; pre-period RMSPE {f['rmspe_pre']:.4g}, post-period RMSPE {f['rmspe_post']:.4g}
(ratio {fit.ratio:.3g}). Placebo in space, every donor treated in turn: permutation p = {fit.p_value:.3g}
({n_pl} placebos; the smallest attainable p is {1 / (n_pl + 1):.3g}).</p>
{f"<ul class='note'>{note_html}</ul>" if note_html else ""}
{fig}
<p>Donor weights ({n_pos} donors with weight, largest {len(top)} shown):</p>
{html_table(["donor", "weight"], top)}
"""
    return results, body
