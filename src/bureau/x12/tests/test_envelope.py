"""Envelopes, separators and counting: the parts every X12 writer shares."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime

import pytest

from bureau.x12.claim837 import Interchange837, PersonName, Transaction837
from bureau.x12.envelope import Envelope, Party, SegmentWriter, Separators
from bureau.x12.errors import FieldError, X12Error
from bureau.x12.tests.oracle import pyx12_errors
from bureau.x12.tests.samples import (
    ENVELOPE,
    RECEIVER,
    SUBMITTER,
    golden_dependents,
    golden_primary,
)
from bureau.x12.tests.structure import check_837p, segments
from bureau.x12.writer837 import CLAIMS_PER_HL, write_837p


def test_isa_is_fixed_width_with_padded_fields() -> None:
    text = write_837p(golden_primary())
    isa = text[: text.index("~") + 1]
    assert len(isa) == 106
    fields = isa[:-1].split("*")
    assert [len(f) for f in fields[1:]] == [2, 10, 2, 10, 2, 15, 2, 15, 6, 4, 1, 5, 9, 1, 1, 1]
    assert fields[6] == "BUREAUSUB01    " and fields[13] == "000000042"
    assert fields[9:11] == ["250305", "1430"] and fields[11] == "^" and fields[16] == ":"


def test_control_numbers_and_counts_across_several_transactions() -> None:
    a = golden_primary().transactions[0]
    b = replace(golden_dependents().transactions[0], control_number=3)
    envelope = replace(ENVELOPE, interchange_control_number=123456789, group_control_number=99)
    text = write_837p(Interchange837(envelope, SUBMITTER, RECEIVER, (a, b)))
    segs = segments(text)
    assert [s[2] for s in segs if s[0] == "ST"] == ["1001", "0003"]
    assert [s[2] for s in segs if s[0] == "SE"] == ["1001", "0003"]
    assert segs[-2] == ["GE", "2", "99"] and segs[-1] == ["IEA", "1", "123456789"]
    assert check_837p(text) == []
    assert pyx12_errors(text) == []


@pytest.mark.parametrize(
    ("value", "separator"),
    [
        ("DOE*SMITH", "element"),
        ("DOE:SMITH", "component"),
        ("DOE^", "repetition"),
        ("DO~E", "segment"),
    ],
)
def test_separator_inside_a_value_is_refused_naming_the_element(value: str, separator: str) -> None:
    interchange = golden_primary()
    tx = interchange.transactions[0]
    first = tx.claims[0]
    renamed = replace(first, subscriber=replace(first.subscriber, name=PersonName(value, "JANE")))
    bad = replace(interchange, transactions=(replace(tx, claims=(renamed, *tx.claims[1:])),))
    with pytest.raises(X12Error, match=f"NM103 contains the {separator} separator") as err:
        write_837p(bad)
    assert err.value.segment_id == "NM1"
    assert err.value.segment_index == 19  # ISA is 1; NM1*IL is the 19th segment


def test_separator_inside_a_composite_component_is_refused() -> None:
    w = SegmentWriter(ENVELOPE)
    with pytest.raises(X12Error, match=r"SV101-02 contains the component separator"):
        w.segment("SV1", ("HC", "99:13"), "10")


def test_accents_are_folded_and_other_scripts_refused() -> None:
    w = SegmentWriter(ENVELOPE)
    w.segment("NM1", "IL", "1", "NÚÑEZ", "JOSÉ")
    assert w.text() == "NM1*IL*1*NUNEZ*JOSE~"
    with pytest.raises(X12Error, match="NM104 contains a character outside the X12 character set"):
        w.segment("NM1", "IL", "1", "LI", "李")
    with pytest.raises(X12Error, match="N301 contains a character outside"):
        w.segment("N3", "1 MAIN\nST")


def test_trailing_empty_elements_and_components_are_dropped() -> None:
    w = SegmentWriter(ENVELOPE)
    w.segment("NM1", "87", "2", "", "", "")
    w.segment("SV1", ("HC", "99213", "", ""), "10", "", ("1", "", ""))
    assert w.text() == "NM1*87*2~SV1*HC:99213*10**1~"


def test_other_separators_are_honoured_and_validate() -> None:
    seps = Separators(element="|", component=">", repetition="!", segment="\\")
    interchange = replace(golden_primary(), envelope=replace(ENVELOPE, separators=seps))
    text = write_837p(interchange)
    assert text.startswith("ISA|00|") and "|!|00501|" in text and text[104:106] == ">\\"
    assert "SV1|HC>99214>25|180|UN|1|||1>2>3\\" in text
    assert pyx12_errors(text) == []
    assert check_837p(text) == []


@pytest.mark.parametrize(
    "kw", [{"element": "**"}, {"component": "A"}, {"segment": " "}, {"repetition": "*"}]
)
def test_bad_separators(kw: dict[str, str]) -> None:
    with pytest.raises(FieldError, match="Separators"):
        Separators(**kw)


@pytest.mark.parametrize("number", [0, 1_000_000_000, -1, True])
def test_control_numbers_must_fit_nine_digits(number: int) -> None:
    with pytest.raises(FieldError, match="Envelope.interchange_control_number"):
        Envelope(Party("AA"), Party("BB"), number, 1, datetime(2025, 1, 1))


def test_party_ids() -> None:
    with pytest.raises(FieldError, match="Party.id"):
        Party("X" * 16)
    with pytest.raises(FieldError, match="Party.qualifier"):
        Party("SENDER", qualifier="XX")
    assert Party("SENDER", application_code="APP01").gs_code == "APP01"


def test_writer_refuses_envelopes_out_of_order() -> None:
    w = SegmentWriter(ENVELOPE)
    with pytest.raises(X12Error, match="GS needs an open ISA"):
        w.open_group("HC", "005010X222A1")
    w.open_interchange()
    with pytest.raises(X12Error, match="ST needs an open GS"):
        w.open_transaction("837", 1, "005010X222A1")
    w.open_group("HC", "005010X222A1")
    with pytest.raises(X12Error, match="SE without an open ST"):
        w.close_transaction()
    w.open_transaction("837", 1, "005010X222A1")
    w.segment("BHT", "0019")
    with pytest.raises(X12Error, match="GE needs an open GS, ST closed"):
        w.close_group()
    w.close_transaction()
    w.close_group()
    w.close_interchange()
    assert w.text().endswith("ST*837*0001*005010X222A1~BHT*0019~SE*3*0001~GE*1*7~IEA*1*000000042~")


def test_more_than_a_hundred_claims_of_one_subscriber_split_across_hls() -> None:
    template = golden_primary().transactions[0].claims[1]
    claims = tuple(
        replace(template, patient_control_number=f"P{i:05d}") for i in range(CLAIMS_PER_HL + 5)
    )
    text = write_837p(Interchange837(ENVELOPE, SUBMITTER, RECEIVER, (Transaction837(1, claims),)))
    hls = [s for s in segments(text) if s[0] == "HL"]
    assert [h[1:] for h in hls] == [
        ["1", "", "20", "1"],
        ["2", "1", "22", "0"],
        ["3", "1", "22", "0"],
    ]
    assert check_837p(text) == []
    assert pyx12_errors(text) == []


@pytest.mark.parametrize(
    ("old", "new", "problem"),
    [
        ("HL*2*1*22*0~", "HL*2*1*22*1~", "HL 2 says child code 1"),
        ("SE*60*1001", "SE*59*1001", "SE at"),
        ("CLM*RFM-000102*95.5*", "CLM*RFM-000102*95.6*", "CLM RFM-000102 total 95.6"),
        ("HL*3*1*22*0~", "HL*3*2*22*0~", "HL 3 level 22 has parent '2'"),
        ("LX*2~", "LX*3~", "LX 3 out of sequence"),
    ],
)
def test_structure_checker_notices_broken_files(old: str, new: str, problem: str) -> None:
    text = write_837p(golden_primary())
    assert old in text
    assert any(problem in p for p in check_837p(text.replace(old, new, 1)))
