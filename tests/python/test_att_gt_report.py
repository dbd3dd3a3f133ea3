"""The Callaway & Sant'Anna section of ``virkning report``."""

from __future__ import annotations

import json

import pytest

import virkning as vk
from virkning.report.build import ReportSpec, build_report


def test_report_has_a_cs_event_study_per_cohort_column(tmp_path):
    pytest.importorskip("matplotlib")
    panel = vk.datasets.municipalities()
    spec = ReportSpec(unit="municipality_code", time="year", outcome="employment_rate",
                      treatments=["partnership"], covariates=["unemployment_rate"],
                      cohorts=["partnership_year", "igu_year"])
    res = build_report(panel, spec, tmp_path)
    page = (tmp_path / "report.html").read_text()
    assert "Callaway &amp; Sant'Anna event studies" in page and "<code>igu_year</code>" in page
    saved = json.loads((tmp_path / "results.json").read_text())["staggered"]
    assert set(saved) == {"partnership_year", "igu_year"}
    # the section reports exactly what att_gt gives for the same specification
    fit = vk.att_gt(panel, outcome="employment_rate", unit="municipality_code", time="year",
                    cohort="partnership_year", covariates=["unemployment_rate"], control_group="not_yet_treated")
    dyn = fit.aggregate("dynamic").tidy()
    got = res["staggered"]["partnership_year"]["dynamic"]
    assert [r["event_time"] for r in got] == list(dyn["event_time"])
    assert [r["estimate"] for r in got] == pytest.approx(list(dyn["estimate"]), rel=1e-12)
    assert saved["partnership_year"]["simple"]["estimate"] == pytest.approx(
        fit.aggregate("simple").overall["estimate"], rel=1e-12)


def test_cli_takes_cohort_columns():
    from virkning.cli import BUNDLED, _parser

    args = _parser().parse_args(["report", "--cohort", "a", "--cohort", "b"])
    assert args.cohort == ["a", "b"]
    assert BUNDLED["cohorts"] == ["igu_year", "partnership_year"]
