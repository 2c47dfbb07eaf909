"""The 837P summary reader, on files our own writer produces (the payer simulator's input)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.x12.errors import X12Error
from bureau.x12.reader837 import read_837p_summary
from bureau.x12.tests import samples
from bureau.x12.writer837 import write_837p


def _read(case: str, *, line_break: bool = False):  # type: ignore[no-untyped-def]
    text = write_837p(samples.GOLDEN_CASES[case](), line_break=line_break)
    (summary,) = read_837p_summary(text)
    return summary


def test_primary_claims_with_lines_modifiers_and_line_control_numbers() -> None:
    summary = _read("primary", line_break=True)
    assert summary.sender_id == samples.ENVELOPE.sender.id
    assert summary.receiver_id == samples.ENVELOPE.receiver.id
    assert summary.transaction_control_numbers == ("1001",)
    first, second = summary.claims
    assert first.patient_control_number == "RFM-000101"
    assert first.charge == Decimal("234.75")
    assert first.place_of_service == "11" and first.frequency == "1"
    assert first.payer_id == "ACME1" and first.payer_name == "ACME HEALTH PLAN"
    assert first.responsibility == "P"
    assert first.member_id == "W100200300"
    assert (first.patient_last_name, first.patient_first_name) == ("DOE", "JANE")
    assert first.billing_npi == samples.GROUP_NPI
    assert first.billing_tax_id == samples.GROUP.tax_id
    assert first.rendering_npi == samples.DOCTOR_NPI
    assert first.diagnosis_codes == ("E119", "I10", "Z794")
    assert [ln.line_control_number for ln in first.lines] == ["RFM101-1", "RFM101-2", "RFM101-3"]
    j_code = first.lines[2]
    assert j_code.procedure_code == "J1815" and j_code.modifiers == ("JW", "59")
    assert j_code.units == Decimal("10") and j_code.charge == Decimal("12.25")
    assert j_code.service_date == date(2025, 2, 20)
    assert sum(ln.charge for ln in first.lines) == first.charge
    assert second.member_id == "XZ99887766"
    assert second.rendering_npi == samples.GROUP_NPI  # none sent: the billing provider
    assert second.lines[0].modifiers == ("GP", "KX", "59", "XU")
    assert second.lines[1].units == Decimal("1.5")


def test_dependents_are_the_patients() -> None:
    summary = _read("dependents")
    assert [c.patient_first_name for c in summary.claims] == ["AMY", "AMY", "BEN"]
    assert {c.subscriber_first_name for c in summary.claims} == {"ROBERT"}
    assert {c.member_id for c in summary.claims} == {"H555444333"}


def test_secondary_claims_keep_their_own_payer_and_read_cob() -> None:
    cob, replacement = _read("secondary").claims
    # The 2330 loops name the primary payer; the claim's payer stays the secondary one.
    assert cob.payer_id == "BLM22" and cob.member_id == "BLM-7788"
    assert cob.responsibility == "S"
    assert cob.prior_paid == Decimal("88.40")
    assert replacement.frequency == "7"
    assert replacement.original_reference == "BLM2025000123"
    assert replacement.prior_paid == Decimal("60.00")


def test_two_interchanges_in_one_file() -> None:
    text = write_837p(samples.golden_primary()) + "\n" + write_837p(samples.golden_dependents())
    assert [len(s.claims) for s in read_837p_summary(text)] == [2, 3]


@pytest.mark.parametrize(
    "text",
    ["", "   ", "GS*HC~", "ISA*00*short~"],
)
def test_garbage_raises_x12error(text: str) -> None:
    with pytest.raises(X12Error):
        read_837p_summary(text)


def test_wrong_transaction_type_is_refused() -> None:
    text = write_837p(samples.golden_primary()).replace("ST*837*", "ST*835*")
    with pytest.raises(X12Error, match="ST01"):
        read_837p_summary(text)


def test_bad_amount_names_the_segment() -> None:
    text = write_837p(samples.golden_primary()).replace("*234.75*", "*23X.75*")
    with pytest.raises(X12Error) as info:
        read_837p_summary(text)
    assert info.value.segment_id == "CLM"


_VALID = write_837p(samples.golden_primary())


@settings(max_examples=200, deadline=None)
@given(st.integers(0, len(_VALID) - 1), st.integers(0, 40), st.text(max_size=3))
def test_mutations_raise_only_x12error(at: int, cut: int, insert: str) -> None:
    text = _VALID[:at] + insert + _VALID[at + cut :]
    try:
        read_837p_summary(text)
    except X12Error:
        pass
