"""The CARC/RARC tables and the loader for the published lists."""

from __future__ import annotations

from datetime import date

from bureau.x12.adjustment_codes import (
    CARC,
    GROUP_CODES,
    RARC,
    carc_description,
    group_description,
    load_published,
    rarc_description,
)

REQUIRED_CARCS = (
    "1 2 3 4 5 6 11 15 16 18 22 23 26 27 29 31 39 45 50 96 97 109 119 146 151 167 170 181 182 "
    "185 197 198 204 234 242 252 253"
).split()
REQUIRED_RARCS = (
    "M15 M20 M51 M76 MA04 MA130 N4 N20 N30 N130 N179 N290 N362 N382 N425 N522 N657".split()
)


def test_tables_hold_the_codes_the_project_uses() -> None:
    assert set(REQUIRED_CARCS) <= set(CARC)
    assert set(REQUIRED_RARCS) <= set(RARC)
    assert set(GROUP_CODES) == {"CO", "PR", "OA", "PI", "CR"}
    assert all(CARC.values()) and all(RARC.values())


def test_descriptions_and_unknown_codes() -> None:
    assert carc_description("45") == "Charge above the contracted or allowed fee"
    assert carc_description("999") == "CARC 999"
    assert rarc_description("n130").startswith("Check the plan")
    assert rarc_description("N9999") == "RARC N9999"
    assert group_description("PR") == "Patient responsibility"


def test_load_published_skips_retired_codes() -> None:
    text = (
        "\ufeffcode,description,start,stop\n"
        "45,Published text A,01/01/1995,\n"
        "A1,Published text B,01/01/1995,12/31/2010\n"
        "300,Published text C,2024-03-01,2030-01-01\n"
        "301,Published text D,20240301,20250101\n"
        ",,,\n"
    )
    codes = load_published(text, as_of=date(2025, 6, 1))
    assert codes == {"45": "Published text A", "300": "Published text C"}
    assert "301" in load_published(text, as_of=date(2024, 12, 31))
