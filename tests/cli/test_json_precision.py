"""``--format json`` keeps small shares to full precision (pandas' default of 10 decimal places
cut a location-quotient share of 0.0033831248153923165 to 0.0033831248)."""

from __future__ import annotations

import json

import pandas as pd
import pytest

from clusteratlas.cli._app import OutputFormat, emit


def test_json_output_keeps_fifteen_decimal_places(capsys: pytest.CaptureFixture[str]) -> None:
    frame = pd.DataFrame({"share_gdp": [0.0033831248153923165, 1.25e-9], "revenue": [9.5e11, 0.0]})
    emit(frame, OutputFormat.json)
    rows = json.loads(capsys.readouterr().out)
    assert rows[0]["share_gdp"] == pytest.approx(0.0033831248153923165, rel=1e-12)
    assert rows[1]["share_gdp"] == pytest.approx(1.25e-9, rel=1e-6)
    assert rows[0]["revenue"] == 9.5e11
