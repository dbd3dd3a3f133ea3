"""Shared fixtures: reference data from tests/fixtures."""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


@pytest.fixture(scope="session")
def mpdta() -> pd.DataFrame:
    df = pd.read_csv(FIXTURES / "data" / "mpdta.csv")
    df["treat_post"] = ((df["first_treat"] > 0) & (df["year"] >= df["first_treat"])).astype(float)
    return df


@pytest.fixture(scope="session")
def shared_reference() -> dict:
    return json.loads((FIXTURES / "reference_values_mpdta_twfe.json").read_text())
