"""The 277CA reader on a golden file: one accepted and one rejected claim."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bureau.x12.envelope import Envelope, Party
from bureau.x12.errors import X12Error
from bureau.x12.reader277 import read_277ca

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> str:
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return handle.read()


def test_header_and_parties() -> None:
    (ack,) = read_277ca(golden("claims.277"))
    assert (ack.sender_id, ack.receiver_id, ack.control_number) == (
        "ACMEPAYER", "BUREAUSUB01", "000000701",
    )  # fmt: skip
    assert ack.transaction_control_number == "0001"
    assert (ack.reference, ack.created) == ("BATCH0007", date(2026, 11, 16))
    assert (ack.payer_name, ack.payer_id) == ("ACME HEALTH PLAN", "ACME01")
    assert (ack.receiver_name, ack.submitter_id, ack.receiver_trace) == (
        "NORTHWIND BILLING", "BUREAUSUB01", "1001",
    )  # fmt: skip
    assert ack.received == date(2026, 11, 15)
    assert (ack.billing_provider_name, ack.billing_provider_npi) == (
        "SUMMIT FAMILY MEDICINE", "1234567893",
    )  # fmt: skip


def test_accepted_claim() -> None:
    (ack,) = read_277ca(golden("claims.277"))
    accepted = ack.claims[0]
    assert not accepted.rejected
    assert accepted.patient_control_number == "SUMA00001"
    assert (accepted.category, accepted.status_code, accepted.entity) == ("A2", "20", "PR")
    assert (accepted.status_date, accepted.action) == (date(2026, 11, 16), "WQ")
    assert accepted.charge == Decimal("230.00")
    assert accepted.payer_claim_number == "ACME26318000101"
    assert (accepted.service_start, accepted.service_end) == (
        date(2026, 10, 20),
        date(2026, 10, 21),
    )
    assert (accepted.patient_last_name, accepted.patient_first_name, accepted.member_id) == (
        "DOE", "JANE", "XAC123456789",
    )  # fmt: skip
    assert accepted.message == "" and accepted.segment_index == 28


def test_rejected_claim_keeps_first_status_and_folds_messages() -> None:
    (ack,) = read_277ca(golden("claims.277"))
    rejected = ack.claims[1]
    assert rejected.rejected
    assert (rejected.category, rejected.status_code, rejected.entity) == ("A7", "562", "IL")
    assert rejected.action == "U" and rejected.charge == Decimal("200.00")
    assert rejected.message == "MEMBER ID NOT FOUND; CHECK SUBSCRIBER NAME"
    assert rejected.payer_claim_number == ""
    # DTP*472 of the claim, not of its 2220D service line
    assert (rejected.service_start, rejected.service_end) == (date(2026, 10, 21), None)
    assert rejected.member_id == "XAC98765"


@pytest.mark.parametrize(
    ("old", "new", "segment_id", "words"),
    [
        ("HL*4*3*PT", "HL*4*3*XX", "HL", "level"),
        ("STC*A2:20:PR", "STC*A2", "STC", "STC01"),
        ("DTP*472*RD8*20261020-20261021", "DTP*472*RD8*20261020", "DTP", "range"),
        ("STC*A2:20:PR*20261116*WQ*230.00", "STC*A2:20:PR*20261116*WQ*2x", "STC", "amount"),
        ("BHT*0085*08*BATCH0007*20261116", "BHT*0085*08*BATCH0007*2026111", "BHT", "date"),
        ("TRN*2*SUMA00002", "TRN*2*", "TRN", "TRN02"),
    ],
)
def test_malformed(old: str, new: str, segment_id: str, words: str) -> None:
    text = golden("claims.277")
    assert old in text
    with pytest.raises(X12Error) as caught:
        read_277ca(text.replace(old, new, 1))
    assert caught.value.segment_id == segment_id
    assert caught.value.segment_index is not None
    assert words in str(caught.value)


def test_claim_without_status() -> None:
    text = golden("claims.277").replace("STC*A2:20:PR*20261116*WQ*230.00~\n", "")
    with pytest.raises(X12Error, match="no STC") as caught:
        read_277ca(text.replace("SE*39*", "SE*38*"))
    assert caught.value.segment_index == 28


def test_what_the_writer_writes_reads_back_the_same() -> None:
    from bureau.x12.writer277ca import write_277ca

    (original,) = read_277ca(golden("claims.277"))
    envelope = Envelope(
        sender=Party("ACMEPAYER"),
        receiver=Party("BUREAUSUB01"),
        interchange_control_number=701,
        group_control_number=41,
        created_at=datetime(2026, 11, 16, 10, 15),
    )
    text = write_277ca(envelope, original, transaction_control_number=1, line_break=True)
    (back,) = read_277ca(text)
    unplaced = tuple(replace(c, segment_index=0) for c in back.claims)
    assert unplaced == tuple(replace(c, segment_index=0) for c in original.claims)
    assert replace(back, claims=()) == replace(original, claims=())
