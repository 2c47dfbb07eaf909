"""Envelopes read strictly (issue 10, items 7 and 8): ISA is fixed width, and a file of another
version than the 5010 guide a reader follows is refused with what was found, never misread."""

from __future__ import annotations

from pathlib import Path

import pytest

from bureau.x12.errors import X12Error
from bureau.x12.reader277 import read_277ca
from bureau.x12.reader835 import read_835
from bureau.x12.reader999 import read_999

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> str:
    return (GOLDEN / name).read_text()


@pytest.mark.parametrize(
    ("old", "new", "named"),
    [
        ("*00*          *00*", "*00*         *00*", "ISA02 has 9 characters, it must have 10"),
        ("*00*          *00*", "*00*           *00*", "ISA02 has 11 characters, it must have 10"),
        ("*ZZ*ACMEPAYER      *", "*ZZ*ACMEPAYER     *", "ISA06 has 14 characters"),
        ("*261115*0900*", "*2611150*0900*", "ISA09 has 7 characters, it must have 6"),
    ],
)
def test_an_isa_of_the_wrong_width_names_the_element(old: str, new: str, named: str) -> None:
    text = golden("payment.835").replace(old, new, 1)
    with pytest.raises(X12Error, match=f"ISA is fixed width: {named}"):
        read_835(text)


def test_a_105_character_isa_is_not_read_with_a_terminator_from_the_next_segment() -> None:
    # One blank short in ISA04, and segments on one line: position 106 is the G of GS.
    text = golden("payment.835").replace("*00*          *ZZ", "*00*         *ZZ", 1)
    text = text.replace("~\n", "~")
    with pytest.raises(X12Error, match="ISA04 has 9 characters"):
        read_835(text)


@pytest.mark.parametrize(
    ("reader", "name", "old", "new", "found"),
    [
        (read_835, "payment.835", "*005010X221A1~", "*004010X091A1~", "GS08 '004010X091A1'"),
        (read_277ca, "claims.277", "005010X214", "005010X212", "ST03 '005010X212'"),
        (read_999, "accepted.999", "005010X231A1", "005010X231", None),
    ],
)
def test_another_version_is_refused_naming_what_was_found(
    reader: object, name: str, old: str, new: str, found: str | None
) -> None:
    text = golden(name)
    assert old in text
    changed = text.replace(old, new)
    if found is None:  # the same guide, another amendment: still read
        assert reader(changed)  # type: ignore[operator]
        return
    with pytest.raises(X12Error, match=found):
        reader(changed)  # type: ignore[operator]
