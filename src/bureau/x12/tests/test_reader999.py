"""The 999 reader on golden files: accepted, and rejected with segment and element errors."""

from __future__ import annotations

import io
from datetime import datetime
from pathlib import Path

import pytest

from bureau.x12.ack999 import SegmentError
from bureau.x12.envelope import Envelope, Party
from bureau.x12.errors import X12Error
from bureau.x12.reader999 import read_999

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> str:
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return handle.read()


def test_accepted() -> None:
    (ack,) = read_999(golden("accepted.999"))
    assert (ack.sender_id, ack.receiver_id, ack.control_number) == (
        "CLEARHOUSE01", "BUREAUSUB01", "000000601",
    )  # fmt: skip
    assert ack.transaction_control_number == "0001"
    group = ack.group
    assert (group.functional_id, group.group_control_number, group.version) == (
        "HC", "7", "005010X222A1",
    )  # fmt: skip
    assert (group.status, group.included, group.received, group.accepted_count) == ("A", 1, 1, 1)
    assert group.accepted
    (tx,) = group.transactions
    assert (tx.set_id, tx.control_number, tx.implementation_reference) == (
        "837", "1001", "005010X222A1",
    )  # fmt: skip
    assert tx.status == "A" and tx.accepted and tx.errors == () and tx.syntax_errors == ()


def test_rejected_with_errors() -> None:
    (ack,) = read_999(io.StringIO(golden("rejected.999")))
    group = ack.group
    assert (group.status, group.included, group.received, group.accepted_count) == ("P", 2, 2, 1)
    rejected, accepted = group.transactions
    assert accepted.accepted and accepted.control_number == "1002"
    assert not rejected.accepted
    assert rejected.status == "R" and rejected.syntax_errors == ("5",)
    assert rejected.errors == (
        SegmentError("NM1", 17, "2010", "8", 9, "7", "XAC1", claim_reference="SUMA00001"),
        SegmentError("CLM", 25, "2300", "8", 2, "6", "ABC"),
        SegmentError("CLM", 25, "2300", "8", 5, "7", "99"),  # IK401 5:3 → element 5
        SegmentError("DTP", 40, "2400", "2"),  # IK3 without IK4
    )


@pytest.mark.parametrize(
    ("old", "new", "segment_id", "words"),
    [
        ("AK9*A*1*1*1", "AK9*A*1*one*1", "AK9", "not a number"),
        ("AK9*A*1*1*1", "AK9*Q*1*1*1", "AK9", "not a status"),
        ("IK5*A", "IK5*", "IK5", "IK501"),
        ("AK1*HC*7*005010X222A1", "AK1*HC**005010X222A1", "AK1", "AK102"),
        ("AK2*837*1001", "IK5*A~\nAK2*837*1001", "IK5", "outside"),
        ("SE*6*0001", "SE*7*0001", "SE", "SE01"),
    ],
)
def test_malformed(old: str, new: str, segment_id: str, words: str) -> None:
    text = golden("accepted.999")
    assert old in text
    with pytest.raises(X12Error) as caught:
        read_999(text.replace(old, new, 1))
    assert caught.value.segment_id == segment_id
    assert caught.value.segment_index is not None
    assert words in str(caught.value)


def test_missing_ak9_and_truncation() -> None:
    text = golden("accepted.999")
    with pytest.raises(X12Error, match="no AK9"):
        read_999(text.replace("AK9*A*1*1*1~\n", "").replace("SE*6*", "SE*5*"))
    with pytest.raises(X12Error, match="truncated"):
        read_999(text[: text.index("SE*")])
    with pytest.raises(X12Error, match="ST01"):
        read_999(golden("payment.835"))


@pytest.mark.parametrize("name", ["accepted.999", "rejected.999"])
def test_what_the_writer_writes_reads_back_the_same(name: str) -> None:
    from bureau.x12.writer999 import write_999

    (original,) = read_999(golden(name))
    envelope = Envelope(
        sender=Party("CLEARHOUSE01"),
        receiver=Party("BUREAUSUB01"),
        interchange_control_number=601,
        group_control_number=31,
        created_at=datetime(2026, 11, 15, 9, 0),
    )
    text = write_999(envelope, original.group, transaction_control_number=1, line_break=True)
    (back,) = read_999(text)
    assert back.group == original.group
    assert (back.sender_id, back.receiver_id, back.control_number) == (
        "CLEARHOUSE01", "BUREAUSUB01", "000000601",
    )  # fmt: skip
