"""The synthetic-control section of ``virkning report``."""

from __future__ import annotations

import json

import pytest

import virkning as vk
from virkning.cli import main


def test_report_has_a_synthetic_control_section_for_the_chosen_unit(tmp_path):
    pytest.importorskip("matplotlib")
    assert main(["report", "--out", str(tmp_path), "--synth-unit", "Lejre"]) == 0
    page = (tmp_path / "report.html").read_text()
    assert "<h2>Synthetic control: Lejre from 2015</h2>" in page
    sc = json.loads((tmp_path / "results.json").read_text())["synthetic_control"]
    assert sc["unit"] == "Lejre" and sc["donor_pool"] == "never_adopters"
    # the section reports what synthetic_control gives on the never-adopter pool
    df = vk.datasets.municipalities()
    pool = df[(df.partnership_year == 0) | (df.municipality == "Lejre")]
    fit = vk.synthetic_control(pool, outcome="employment_rate", unit="municipality", time="year",
                               treated_unit="Lejre", treatment_start=2015)
    assert sc["att"] == pytest.approx(fit.att, rel=1e-12)
    assert sc["p_value"] == pytest.approx(fit.p_value, rel=1e-12)
    assert sc["n_donors"] == pool.municipality.nunique() - 1


def test_unknown_synth_unit_names_the_option(tmp_path, capsys):
    assert main(["report", "--out", str(tmp_path), "--synth-unit", "Nowhere"]) == 1
    err = capsys.readouterr().err
    assert "--synth-unit" in err and "Nowhere" in err
    assert not (tmp_path / "report.html").exists()
