"""The 837P summary reader checks its envelopes like the other readers (issue 10, item 6) and
says what is wrong, segment and element, never "unreadable 837P" (issue 10, item 1)."""

from __future__ import annotations

import re

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bureau.x12.errors import X12Error
from bureau.x12.reader837 import read_837p_summary
from bureau.x12.tests.test_tokens import golden

PRIMARY = golden("primary.x12")  # two claims, one interchange, one group, one set


def _refused(text: str, match: str) -> X12Error:
    with pytest.raises(X12Error, match=match) as caught:
        read_837p_summary(text)
    return caught.value


def test_the_golden_file_reads() -> None:
    (summary,) = read_837p_summary(PRIMARY)
    assert len(summary.claims) == 2 and summary.interchange_control_number == "000000042"


def test_a_file_cut_after_its_first_claim_is_refused() -> None:
    # It used to return the first claim as if the file were whole.
    cut = PRIMARY[: PRIMARY.index("REF*6R*RFM101-3~") + len("REF*6R*RFM101-3~")]
    error = _refused(cut, r"ends inside an open envelope")
    assert error.segment_index == cut.count("~")


@pytest.mark.parametrize(
    "cut_before", ["SE*60*1001~", "GE*1*7~", "IEA*1*000000042~"], ids=["no-SE", "no-GE", "no-IEA"]
)
def test_a_file_without_its_closing_segments_is_refused(cut_before: str) -> None:
    _refused(PRIMARY[: PRIMARY.index(cut_before)], r"ends inside an open envelope")


@pytest.mark.parametrize(
    ("old", "new", "match", "segment_id"),
    [
        ("SE*60*1001~", "SE*59*1001~", r"SE01 says 59 segments; the set has 60", "SE"),
        ("SE*60*1001~", "SE*60*1002~", r"SE02 does not match ST02", "SE"),
        ("GE*1*7~", "GE*2*7~", r"GE01 is not the 1 transaction sets", "GE"),
        ("GE*1*7~", "GE*1*8~", r"GE02 does not match GS06", "GE"),
        ("IEA*1*000000042~", "IEA*1*000000043~", r"IEA02 does not match ISA13", "IEA"),
        ("IEA*1*000000042~", "IEA*3*000000042~", r"IEA01 is not the 1 groups", "IEA"),
        ("SE*60*1001~", "GE*1*7~", r"GE without GS, or inside an open transaction", "GE"),
        ("GE*1*7~", "", r"IEA without ISA, or inside an open group", "IEA"),
        ("SE*60*1001~", "SE*60*1001~LX*9~", r"segment outside a transaction set", "LX"),
        ("SE*60*1001~", "SE*" + "9" * 5000 + "*1001~", r"SE01 '9999", "SE"),
    ],
)
def test_wrong_envelopes_are_refused_naming_the_segment(
    old: str, new: str, match: str, segment_id: str
) -> None:
    assert old in PRIMARY
    error = _refused(PRIMARY.replace(old, new, 1), match)
    assert error.segment_id == segment_id and error.segment_index is not None


@pytest.mark.parametrize(
    "version", ["004010X098A1", "005010X223A2", "005010X224A2"], ids=["4010", "837I", "837D"]
)
def test_another_version_is_refused_naming_it(version: str) -> None:
    text = PRIMARY.replace("005010X222A1", version)
    error = _refused(text, rf"ST03 '{version}' is not 005010X222")
    assert error.segment_index == 3
    # Without ST03 the group's GS08 decides.
    text = PRIMARY.replace("ST*837*1001*005010X222A1~", "ST*837*1001~")
    text = text.replace("005010X222A1", version)
    _refused(text, rf"GS08 '{version}' is not 005010X222")


def test_a_group_of_something_else_is_refused() -> None:
    _refused(PRIMARY.replace("GS*HC*", "GS*HP*", 1), r"GS01 'HP' is not HC")


def test_the_second_interchange_is_checked_too() -> None:
    second = PRIMARY.replace("000000042", "000000043")
    (one, two) = read_837p_summary(PRIMARY + second)
    assert (one.interchange_control_number, two.interchange_control_number) == (
        "000000042",
        "000000043",
    )
    broken = second.replace("IEA*1*000000043", "IEA*1*000000042")
    error = _refused(PRIMARY + broken, r"IEA02 does not match ISA13")
    assert error.segment_index == 2 * PRIMARY.count("~")


# -- item 1: what is wrong, not "unreadable 837P" ------------------------------------------


@pytest.mark.parametrize(
    ("old", "new", "name", "segment_id"),
    [
        # 27 digits: Decimal's InvalidOperation once; 19: over X12's 18 digits.
        ("*234.75*", "*" + "9" * 27 + "*", "CLM02", "CLM"),
        ("*234.75*", "*" + "9" * 19 + "*", "CLM02", "CLM"),
        ("*234.75*", "*٢٣٤.٧٥*", "CLM02", "CLM"),  # Arabic-Indic digits
        ("*234.75*", "*1E+5*", "CLM02", "CLM"),
        ("*180*UN", "*１８０*UN", "SV102", "SV1"),  # fullwidth digits
        ("*180*UN", "*" + "1" * 40 + "*UN", "SV102", "SV1"),
        ("*UN*10***", "*UN*NaN***", "SV104", "SV1"),
        ("LX*1~", "LX*" + "9" * 5000 + "~", "LX01", "LX"),
        ("AMT*D*88.4", "AMT*D*" + "8" * 30, "AMT02", "AMT"),
    ],
)
def test_a_bad_number_names_its_segment_and_element(
    old: str, new: str, name: str, segment_id: str
) -> None:
    text = PRIMARY if old in PRIMARY else golden("secondary.x12")
    assert old in text
    error = _refused(text.replace(old, new, 1), rf"{name} '")
    assert error.segment_id == segment_id and error.segment_index is not None
    assert "unreadable" not in str(error) and len(str(error)) < 120


_SEGMENTS = PRIMARY.split("~")


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(
    st.integers(1, len(_SEGMENTS) - 2),
    st.sampled_from(["drop", "duplicate", "truncate", "cut_file"]),
    st.integers(0, 10_000),
)
def test_every_structural_mutation_is_a_specific_x12error(at: int, how: str, n: int) -> None:
    """A segment dropped, doubled or cut short, or the file cut anywhere: a result, or an
    X12Error that names a segment (no catch-all message), never another exception."""
    segments = list(_SEGMENTS)
    if how == "drop":
        del segments[at]
    elif how == "duplicate":
        segments.insert(at, segments[at])
    elif how == "truncate":
        parts = segments[at].split("*")
        segments[at] = "*".join(parts[: 1 + n % len(parts)])
    text = "~".join(segments)
    if how == "cut_file":
        text = PRIMARY[: len(PRIMARY) * (n % 1000) // 1000]
    try:
        read_837p_summary(text)
    except X12Error as exc:
        assert "unreadable" not in str(exc)
        assert exc.segment_index is not None or re.search("empty|no interchange", str(exc))
