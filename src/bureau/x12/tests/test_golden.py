"""Golden files: known claims → the exact 837P text checked into golden/, which pyx12 passes.

Regenerate after an intended change with `BUREAU_REGENERATE_GOLDEN=1 pytest …test_golden.py`,
then read the diff: the golden files are the specification by example.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bureau.x12.tests.oracle import pyx12_errors
from bureau.x12.tests.samples import GOLDEN_CASES
from bureau.x12.tests.structure import check_837p
from bureau.x12.writer837 import write_837p

GOLDEN = Path(__file__).parent / "golden"


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_output_matches_golden_file(name: str) -> None:
    text = write_837p(GOLDEN_CASES[name](), line_break=True)
    path = GOLDEN / f"{name}.x12"
    if os.environ.get("BUREAU_REGENERATE_GOLDEN"):
        path.write_text(text)
    assert text == path.read_text()


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_golden_file_passes_pyx12_and_structure(name: str) -> None:
    text = (GOLDEN / f"{name}.x12").read_text()
    assert pyx12_errors(text) == []
    assert check_837p(text) == []


@pytest.mark.parametrize("name", sorted(GOLDEN_CASES))
def test_default_output_is_one_line(name: str) -> None:
    interchange = GOLDEN_CASES[name]()
    assert write_837p(interchange) == write_837p(interchange, line_break=True).replace("\n", "")


def test_golden_cases_cover_the_loops_that_matter() -> None:
    primary = (GOLDEN / "primary.x12").read_text()
    dependents = (GOLDEN / "dependents.x12").read_text()
    secondary = (GOLDEN / "secondary.x12").read_text()
    for loop_start in ("NM1*87*", "NM1*82*", "NM1*77*", "DTP*431*", "REF*6R*", "SV1*HC:97140:GP*"):
        assert loop_start in primary
    assert "HL*3*2*23*0~" in dependents and "PAT*19~" in dependents
    assert "SBR*P**FAM-77" in dependents  # SBR02 empty: the subscriber is not the patient
    for cob in ("SBR*S*18*", "SBR*P*18*******MB~", "AMT*D*88.4~", "OI***Y***Y~", "DTP*573*"):
        assert cob in secondary
    assert "CLM*RFM-000151*110***11:B:7*" in secondary and "REF*F8*BLM2025000123~" in secondary


@pytest.mark.parametrize(
    ("old", "new", "error"),
    [
        ("SE*60*1001", "SE*59*1001", "SE count of 59"),
        ("DMG*D8*19800102*F", "DMG*D8*19800102*Q", "not a valid code"),
        ("HI*ABK:E119", "HI*ABX:E119", "Mandatory segment"),
    ],
)
def test_the_oracle_is_not_vacuous(old: str, new: str, error: str) -> None:
    text = (GOLDEN / "primary.x12").read_text()
    assert old in text
    assert any(error in e for e in pyx12_errors(text.replace(old, new, 1)))


def test_the_oracle_accepts_a_bom_and_the_a2_version() -> None:
    text = (GOLDEN / "primary.x12").read_text().replace("005010X222A1", "005010X222A2")
    assert pyx12_errors("\ufeff" + text) == []
