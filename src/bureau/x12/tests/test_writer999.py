"""The 999 writer: accepted, accepted-with-errors and rejected groups all pass pyx12."""

from __future__ import annotations

from datetime import datetime

import pytest

from bureau.x12.ack999 import GroupAck, SegmentError, TransactionAck
from bureau.x12.envelope import Envelope, Party, Usage
from bureau.x12.errors import FieldError
from bureau.x12.tests.oracle import pyx12_errors
from bureau.x12.writer999 import write_999

ENVELOPE = Envelope(
    sender=Party("CLEARHOUSE01"),
    receiver=Party("BUREAUSUB01"),
    interchange_control_number=5001,
    group_control_number=5001,
    created_at=datetime(2025, 3, 5, 15, 0),
    usage=Usage.TEST,
)


def accepted(control: str = "0001") -> TransactionAck:
    return TransactionAck("837", control, "005010X222A1", "A")


def test_accepted_group() -> None:
    group = GroupAck("HC", "7", "005010X222A1", "A", 1, 1, 1, (accepted(),))
    text = write_999(ENVELOPE, group, transaction_control_number=1, line_break=True)
    assert pyx12_errors(text) == []
    assert text.split("\n")[2:7] == [
        "ST*999*0001*005010X231A1~",
        "AK1*HC*7*005010X222A1~",
        "AK2*837*0001*005010X222A1~",
        "IK5*A~",
        "AK9*A*1*1*1~",
    ]
    assert "SE*6*0001~" in text


def test_partially_accepted_group_with_element_and_segment_errors() -> None:
    bad_npi = SegmentError("NM1", 9, "2010", "8", 9, "7", "1234567890", claim_reference="PCN1")
    missing = SegmentError("DMG", 14, "2010", "3")
    rejected = TransactionAck(
        "837", "0002", "005010X222A1", "R", syntax_errors=("5",), errors=(bad_npi, missing)
    )
    group = GroupAck("HC", "7", "005010X222A1", "P", 2, 2, 1, (accepted(), rejected))
    text = write_999(ENVELOPE, group, transaction_control_number=2, line_break=True)
    assert pyx12_errors(text) == []
    assert "IK3*NM1*9*2010*8~\nCTX*CLM01:PCN1~\nIK4*9**7*1234567890~\n" in text
    assert "IK3*DMG*14*2010*3~\nIK5*R*5~\nAK9*P*2*2*1~" in text


def test_rejected_group() -> None:
    group = GroupAck("HC", "8", "005010X222A1", "R", 1, 1, 0, (
        TransactionAck("837", "0001", "005010X222A1", "R", syntax_errors=("1",)),
    ))  # fmt: skip
    text = write_999(ENVELOPE, group, transaction_control_number=3)
    assert pyx12_errors(text) == []
    assert "IK5*R*1~AK9*R*1*1*0~" in text


def test_bad_acknowledgments_are_refused() -> None:
    with pytest.raises(FieldError, match="AK901"):
        write_999(ENVELOPE, GroupAck("HC", "7", "x", "Q", 1, 1, 1), transaction_control_number=1)
    with pytest.raises(FieldError, match="accepted ≤ received"):
        write_999(ENVELOPE, GroupAck("HC", "7", "x", "A", 1, 1, 2), transaction_control_number=1)
    err = SegmentError("NM1", 0, "2010", "8")
    tx = TransactionAck("837", "0001", "005010X222A1", "R", errors=(err,))
    with pytest.raises(FieldError, match="positions start at 1"):
        write_999(
            ENVELOPE, GroupAck("HC", "7", "x", "R", 1, 1, 0, (tx,)), transaction_control_number=1
        )
    err = SegmentError("NM1", 3, "2010AA", "8")
    tx = TransactionAck("837", "0001", "005010X222A1", "R", errors=(err,))
    with pytest.raises(FieldError, match="longer than 4"):
        write_999(
            ENVELOPE, GroupAck("HC", "7", "x", "R", 1, 1, 0, (tx,)), transaction_control_number=1
        )
