"""277CA statuses above the claims (HL 20/21/19): a rejection there must not read as "an
acknowledgement with zero claims" (issue 10, item 4)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest

from bureau.x12.ack277 import LevelStatus
from bureau.x12.errors import FieldError
from bureau.x12.reader277 import read_277ca
from bureau.x12.tests.oracle import pyx12_errors
from bureau.x12.tests.test_writer277ca import ACCEPTED, ENVELOPE, REJECTED, ack
from bureau.x12.writer277ca import write_277ca

GOLDEN = Path(__file__).parent / "golden"

HEAD = [
    "ST*277*0001*005010X214",
    "BHT*0085*08*ACK0042*20261116*1015*TH",
    "HL*1**20*1",
    "NM1*PR*2*ACME HEALTH PLAN*****PI*ACME01",
    "TRN*1*ACK0042",
    "DTP*050*D8*20261115",
    "DTP*009*D8*20261116",
]
RECEIVER = [
    "HL*2*1*21*1",
    "NM1*41*2*NORTHWIND BILLING*****46*BUREAUSUB01",
    "TRN*2*0042",
]
PROVIDER = [
    "HL*3*2*19*1",
    "NM1*85*2*SUMMIT FAMILY MEDICINE*****XX*1234567893",
    "TRN*1*0",
]


def claim(hl: int, parent: int, number: str, stc: str = "A2:20:PR") -> list[str]:
    action = "U" if stc[:2] in ("A3", "A6", "A7", "A8") else "WQ"
    return [
        f"HL*{hl}*{parent}*PT",
        "NM1*QC*1*DOE*JANE****MI*XAC123456789",
        f"TRN*2*{number}",
        f"STC*{stc}*20261116*{action}*100.00",
        "DTP*472*D8*20261020",
    ]


def interchange(*body: list[str]) -> str:
    segments = [s for part in body for s in part]
    segments.append(f"SE*{len(segments) + 1}*0001")
    isa = (
        "ISA*00*          *00*          *ZZ*ACMEPAYER      *ZZ*BUREAUSUB01    *261116*1015*^*"
        "00501*000000702*0*T*:"
    )
    return (
        "~\n".join(
            [isa, "GS*HN*ACMEPAYER*BUREAUSUB01*20261116*1015*42*X*005010X214", *segments]
            + ["GE*1*42", "IEA*1*000000702"]
        )
        + "~\n"
    )


def test_a_whole_batch_rejected_at_the_receiver_with_no_claims_beneath() -> None:
    """The shape clearinghouses send for a refused file: HL 20, HL 21 with A3, nothing else."""
    text = interchange(
        HEAD,
        RECEIVER,
        ["STC*A3:24:41*20261116*U*430.00********SUBMITTER NOT AUTHORIZED"],
    )
    (ack277,) = read_277ca(text)
    assert ack277.claims == ()
    (level,) = ack277.levels
    assert level.rejected and ack277.rejected_levels == (level,)
    assert (level.level, level.category, level.status_code, level.entity) == (
        "21",
        "A3",
        "24",
        "41",
    )
    assert (level.action, level.charge, level.status_date) == (
        "U", Decimal("430.00"), date(2026, 11, 16),
    )  # fmt: skip
    assert level.message == "SUBMITTER NOT AUTHORIZED"
    assert (level.trace, level.identifier, level.name) == (
        "0042", "BUREAUSUB01", "NORTHWIND BILLING",
    )  # fmt: skip
    assert level.claim_numbers == () and level.segment_index == 13  # ISA is 1
    assert level.level_name.startswith("information receiver")
    assert ack277.receiver_trace == "0042"


@pytest.mark.parametrize("category", ["A3", "A6", "A7", "A8"])
def test_a_billing_provider_rejected_with_no_claims_beneath(category: str) -> None:
    text = interchange(
        HEAD,
        RECEIVER,
        ["STC*A1:19:PR*20261116*WQ*430.00"],
        PROVIDER,
        [f"STC*{category}:85:85**U*430.00"],
    )
    (ack277,) = read_277ca(text)
    receiver, provider = ack277.levels
    assert not receiver.rejected and receiver.level == "21"
    assert provider.rejected and (provider.level, provider.category) == ("19", category)
    assert (provider.identifier, provider.status_code, provider.claim_numbers) == (
        "1234567893", "85", (),
    )  # fmt: skip
    assert ack277.rejected_levels == (provider,)


def test_an_information_source_status_is_read_too() -> None:
    text = interchange(HEAD, ["STC*A8:24*20261116*U"], RECEIVER, ["STC*A1:19:PR*20261116*WQ*0"])
    (ack277,) = read_277ca(text)
    source = ack277.levels[0]
    assert (source.level, source.category, source.rejected) == ("20", "A8", True)
    assert source.identifier == "ACME01" and source.trace == "ACK0042"


def test_each_level_lists_the_claims_beneath_it_and_providers_are_kept_apart() -> None:
    second = ["HL*6*2*19*1", "NM1*85*2*OTHER CLINIC*****XX*1234567897", "TRN*1*0"]
    text = interchange(
        HEAD,
        RECEIVER,
        ["STC*A1:19:PR*20261116*WQ*300.00"],
        PROVIDER,
        ["STC*A3:85:85**U*200.00"],
        claim(4, 3, "PCN1"),
        claim(5, 3, "PCN2", "A7:562:IL"),
        second,
        ["STC*A1:19:PR**WQ*100.00"],
        claim(7, 6, "PCN3"),
    )
    (ack277,) = read_277ca(text)
    receiver, first, other = ack277.levels
    assert receiver.claim_numbers == ("PCN1", "PCN2", "PCN3")
    assert first.rejected and first.claim_numbers == ("PCN1", "PCN2")
    assert not other.rejected and other.claim_numbers == ("PCN3",)
    assert other.identifier == "1234567897"
    assert [c.patient_control_number for c in ack277.claims] == ["PCN1", "PCN2", "PCN3"]


def test_the_first_rejecting_stc_of_a_level_is_its_status_and_messages_fold() -> None:
    text = interchange(
        HEAD,
        RECEIVER,
        [
            "STC*A1:19:PR*20261116*WQ*0********RECEIVED",
            "STC*A3:24:41*20261116*U*0********NOT ENROLLED",
        ],
    )
    (level,) = read_277ca(text)[0].levels
    assert (level.category, level.status_code, level.rejected) == ("A3", "24", True)
    assert level.message == "RECEIVED; NOT ENROLLED"


def test_accepted_levels_are_read_and_reject_nothing() -> None:
    with (GOLDEN / "claims.277").open(encoding="utf-8", newline="") as handle:
        (ack277,) = read_277ca(handle.read())
    assert [(lv.level, lv.category) for lv in ack277.levels] == [("21", "A1"), ("19", "A1")]
    assert ack277.rejected_levels == ()
    assert ack277.levels[1].claim_numbers == ("SUMA00001", "SUMA00002")


def test_a_level_without_an_stc_carries_no_status() -> None:
    text = interchange(HEAD, RECEIVER, ["STC*A1:19:PR*20261116*WQ*100"], PROVIDER, claim(4, 3, "P"))
    (ack277,) = read_277ca(text)
    assert [lv.level for lv in ack277.levels] == ["21"]


BATCH_REJECTED = LevelStatus("21", "A3", "24", "41", date(2025, 3, 6), "U")
PROVIDER_REJECTED = LevelStatus("19", "A3", "85", "85", action="U")


@pytest.mark.parametrize("level", [BATCH_REJECTED, PROVIDER_REJECTED], ids=["21", "19"])
def test_the_writer_writes_a_rejected_level_that_pyx12_accepts_and_reads_back(
    level: LevelStatus,
) -> None:
    rejected = replace(ACCEPTED, category="A3", status_code="24", action="U")
    written = replace(ack(rejected, REJECTED), levels=(level,))
    text = write_277ca(ENVELOPE, written, transaction_control_number=1, line_break=True)
    assert pyx12_errors(text) == []
    (back,) = read_277ca(text)
    (got,) = back.rejected_levels
    assert (got.level, got.category, got.status_code, got.entity) == (
        level.level, "A3", level.status_code, level.entity,
    )  # fmt: skip
    assert got.claim_numbers == ("PCN1001", "PCN1002")


def test_the_writer_refuses_a_level_it_cannot_write() -> None:
    bad = replace(ack(ACCEPTED), levels=(replace(BATCH_REJECTED, level="PT"),))
    with pytest.raises(FieldError, match="levels"):
        write_277ca(ENVELOPE, bad, transaction_control_number=1)
