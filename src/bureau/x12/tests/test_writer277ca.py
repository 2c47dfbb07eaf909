"""The 277CA writer: accepted and rejected claims under one billing provider pass pyx12."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest

from bureau.x12.ack277 import Ack277, ClaimStatus
from bureau.x12.envelope import Envelope, Party, Usage
from bureau.x12.errors import FieldError
from bureau.x12.tests.oracle import pyx12_errors
from bureau.x12.writer277ca import write_277ca

ENVELOPE = Envelope(
    sender=Party("SIMPAYER01"),
    receiver=Party("BUREAUSUB01"),
    interchange_control_number=7001,
    group_control_number=7001,
    created_at=datetime(2025, 3, 6, 8, 5),
    usage=Usage.TEST,
)
DOS = date(2025, 3, 3)

ACCEPTED = ClaimStatus(
    patient_control_number="PCN1001",
    category="A2",
    status_code="20",
    status_date=date(2025, 3, 6),
    action="WQ",
    charge=Decimal("250"),
    payer_claim_number="SIM2025030600001",
    service_start=DOS,
    patient_last_name="DOE",
    patient_first_name="JANE",
    member_id="XYZ123456789",
)
REJECTED = ClaimStatus(
    patient_control_number="PCN1002",
    category="A7",
    status_code="562",
    entity="IL",
    action="U",
    charge=Decimal("180.5"),
    message="MEMBER ID NOT FOUND",
    service_start=DOS,
    service_end=date(2025, 3, 5),
    patient_last_name="ROE",
    patient_first_name="RICHARD",
    member_id="XYZ000000000",
)


def ack(*claims: ClaimStatus) -> Ack277:
    return Ack277(
        sender_id="SIMPAYER01",
        receiver_id="BUREAUSUB01",
        control_number="7001",
        transaction_control_number="1",
        reference="ACK0001",
        created=date(2025, 3, 6),
        payer_name="SIMULATED HEALTH PLAN",
        claims=claims,
        payer_id="SIMPAYER01",
        receiver_name="NORTHWIND BILLING",
        submitter_id="BUREAUSUB01",
        receiver_trace="0001",
        received=date(2025, 3, 5),
        billing_provider_name="RIVERSIDE FAMILY MEDICINE",
        billing_provider_npi="1234567893",
    )


def test_accepted_and_rejected_claims_pass_pyx12() -> None:
    text = write_277ca(
        ENVELOPE, ack(ACCEPTED, REJECTED), transaction_control_number=1, line_break=True
    )
    assert pyx12_errors(text) == []
    assert "TRN*2*PCN1001~\nSTC*A2:20*20250306*WQ*250~\nREF*1K*SIM2025030600001~\n" in text
    assert "STC*A7:562:IL*20250306*U*180.5********MEMBER ID NOT FOUND~\n" in text
    assert "DTP*472*RD8*20250303-20250305~" in text
    assert "QTY*90*1~\nQTY*AA*1~\nAMT*YU*250~\nAMT*YY*180.5~" in text


def test_all_accepted() -> None:
    claims = [replace(ACCEPTED, patient_control_number=f"PCN{n}") for n in range(5)]
    text = write_277ca(ENVELOPE, ack(*claims), transaction_control_number=2)
    assert pyx12_errors(text) == []
    assert "HL*8*3*PT~" in text and "QTY*QA*5~" in text


def test_missing_parts_are_refused() -> None:
    with pytest.raises(FieldError, match="billing_provider_npi"):
        write_277ca(
            ENVELOPE, replace(ack(ACCEPTED), billing_provider_npi=""), transaction_control_number=1
        )
    with pytest.raises(FieldError, match="charge"):
        write_277ca(ENVELOPE, ack(replace(ACCEPTED, charge=None)), transaction_control_number=1)
