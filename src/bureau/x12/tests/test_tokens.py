"""Segments and values (`tokens`), and naming a file (`sniff.identify`)."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.x12.errors import X12Error
from bureau.x12.sniff import identify
from bureau.x12.tokens import (
    delimiters,
    element,
    numbered,
    parse_amount,
    parse_date,
    parse_int,
    parse_quantity,
    raw_segments,
    required,
    segments,
    separators_of,
    stream_segments,
)

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> str:
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return handle.read()


def test_segments_strip_bom_and_line_breaks() -> None:
    text = golden("reversal_plb.835")
    listed = list(segments(text))
    assert listed[0][0] == 1 and listed[0][1][0] == "ISA"
    assert listed[-1][1] == ["IEA", "1", "000000502"]
    assert all(not any(c in "\r\n" for c in "".join(t)) for _, t in listed)
    assert list(stream_segments(io.StringIO(text))) == listed
    assert separators_of(text).segment == "~"


def test_numbered_matches_tokens_segments_and_allows_a_newline_terminator() -> None:
    for name in ("payment.835", "reversal_plb.835", "accepted.999", "claims.277"):
        text = golden(name)
        seps, stream = numbered(text)
        assert seps.segment == "~"
        assert list(stream) == list(segments(text))
    seps, stream = numbered(golden("separators.835"))
    assert (seps.element, seps.component, seps.segment) == ("|", ">", "\n")
    assert next(stream) == (1, golden("separators.835").split("\n")[0].split("|"))


def test_raw_segments_from_a_file_in_chunks() -> None:
    text = golden("reversal_plb.835")
    seps, batches = raw_segments(io.StringIO(text))
    raw = [s for batch in batches for s in batch if s]
    assert raw == [s for s in text.removeprefix("\ufeff").replace("\r\n", "").split("~") if s]


def test_delimiters_refuse_a_bad_isa() -> None:
    with pytest.raises(X12Error, match="ISA"):
        delimiters("GS*HC")
    with pytest.raises(X12Error, match="106"):
        delimiters("ISA*00*")
    isa = golden("payment.835")[:106]
    assert delimiters(isa).component == ":"
    with pytest.raises(X12Error):
        delimiters(isa[:105] + "A")


@pytest.mark.parametrize(
    ("name", "kind"),
    [
        ("payment.835", "835"),
        ("separators.835", "835"),
        ("accepted.999", "999"),
        ("claims.277", "277CA"),
        ("primary.x12", "837P"),
    ],
)
def test_identify(name: str, kind: str) -> None:
    assert identify(golden(name)) == kind


def test_identify_refuses_what_bureau_does_not_read() -> None:
    text = golden("claims.277").replace("005010X214", "005010X212")
    with pytest.raises(X12Error, match="not one Bureau reads") as caught:
        identify(text)
    assert caught.value.segment_index == 3
    with pytest.raises(X12Error, match="no transaction set"):
        identify(golden("payment.835").split("ST*")[0])


def test_value_helpers() -> None:
    tokens = ["CLP", "A", "", "12.5"]
    assert element(tokens, 1) == "A" and element(tokens, 9) == ""
    assert required(tokens, 1, 4) == "A"
    with pytest.raises(X12Error, match="CLP02 is required") as caught:
        required(tokens, 2, 4)
    assert (caught.value.segment_index, caught.value.segment_id) == (4, "CLP")
    assert parse_amount("12.5", 1, "CLP03") == Decimal("12.50")
    assert str(parse_amount("-7", 1, "CLP03")) == "-7.00"
    for bad in ("1e3", "NaN", "1.005", "", "12,00", "Infinity"):
        with pytest.raises(X12Error):
            parse_amount(bad, 1, "CLP03")
    assert parse_quantity("1.5", 1, "SVC05") == Decimal("1.5")
    with pytest.raises(X12Error):
        parse_quantity("x", 1, "SVC05")
    assert parse_date("20240229", 1, "DTM02") == date(2024, 2, 29)
    for bad in ("20230229", "2024-02-29", "202402", "abcdefgh"):
        with pytest.raises(X12Error):
            parse_date(bad, 1, "DTM02")
    assert parse_int("12", 1, "SE01") == 12
    with pytest.raises(X12Error):
        parse_int("1a", 1, "SE01")


@st.composite
def _spaced(draw: st.DrawFn) -> str:
    """A golden file with whitespace sprinkled around and inside its segments."""
    text = golden(draw(st.sampled_from(["payment.835", "reversal_plb.835", "rejected.999"])))
    bom = "\ufeff" if text.startswith("\ufeff") else ""
    text = text.removeprefix(bom)
    head, body = bom + text[:106], text[106:]
    for _ in range(draw(st.integers(1, 8))):
        at = draw(st.integers(0, len(body)))
        body = body[:at] + draw(st.sampled_from(["\n", "\r\n", " ", "\t", "  \n "])) + body[at:]
    return head + body


def _plain_split(text: str) -> list[tuple[int, list[str]]]:
    """The obvious splitter (strip every segment), to hold the fast one to."""
    text = text.removeprefix("\ufeff").lstrip()
    element, terminator = text[3], text[105]
    raws = (raw.strip() for raw in text.split(terminator))
    return [(i, raw.split(element)) for i, raw in enumerate((r for r in raws if r), start=1)]


def _pieces(text: str, size: int) -> list[str]:
    return [text[at : at + size] for at in range(0, len(text), size)]


@settings(max_examples=200, deadline=None, derandomize=True)
@given(_spaced(), st.integers(1, 300))
def test_splitting_text_file_or_chunks_matches_the_plain_split(text: str, size: int) -> None:
    expected = _plain_split(text)
    assert list(segments(text)) == expected
    _, from_file = numbered(io.StringIO(text))
    assert list(from_file) == expected
    # Chunk boundaries may fall anywhere: inside a segment, between a terminator and its
    # line break, inside the ISA.
    assert list(stream_segments(_pieces(text, size))) == expected


def test_segments_allow_a_newline_terminator() -> None:
    text = golden("separators.835")
    assert list(segments(text)) == list(stream_segments(_pieces(text, 7)))
    assert separators_of(text).segment == "\n"
    assert list(segments(text))[-1][1][0] == "IEA"


def test_digits_that_are_not_ascii_are_an_x12_error_not_a_crash() -> None:
    from bureau.x12 import codes
    from bureau.x12.tokens import parse_int

    assert "²".isdigit()  # why the check needs isascii()
    with pytest.raises(X12Error, match="is not a whole number"):
        parse_int("1²", 4, "LX01")
    assert parse_int("12", 4, "LX01") == 12
    assert not codes.is_valid_npi("123456789²")
