"""The 277CA claim acknowledgement (005010X214) writer, for the payer simulator.

    ST*277 BHT*0085*08
    2000A HL*1**20*1   information source (payer): NM1*PR, TRN*1, DTP*050, DTP*009
    2000B HL*2*1*21*1  information receiver (submitter): NM1*41, TRN*2, STC, QTY*90/AA, AMT*YU/YY
    2000C HL*3*2*19*1  billing provider: NM1*85 (XX), TRN*1, STC, QTY*QA/QC, AMT*YU/YY
    2000D HL*n*3*PT    each claim: NM1*QC, TRN*2 (our CLM01), STC, REF*1K, DTP*472
    SE

One `Ack277` holds one payer's answer for one billing provider's claims. A `LevelStatus` for
HL 21 or 19 in `ack.levels` replaces that level's default acknowledgement (A1:19), e.g. a whole
batch rejected (A3 at HL 21). The guide still lists the claims beneath a rejected level (2000C
and 2000D are required) and has no STC12 text at 2200B/C (nor STC02 at 2200C), so the level's
status is its code; its `message` is not written.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from decimal import Decimal

from bureau.x12.ack277 import Ack277, ClaimStatus, LevelStatus
from bureau.x12.envelope import Envelope, SegmentWriter
from bureau.x12.errors import FieldError
from bureau.x12.values import format_amount, format_date, format_time

VERSION = "005010X214"
ZERO = Decimal("0")


def write_277ca(
    envelope: Envelope,
    ack: Ack277,
    *,
    transaction_control_number: int,
    line_break: bool = False,
) -> str:
    """One interchange with one HN group holding the 277CA for `ack`."""
    _check(ack)
    created = envelope.created_at
    w = SegmentWriter(envelope, line_break=line_break)
    w.open_interchange()
    w.open_group("HN", VERSION)
    w.open_transaction("277", transaction_control_number, VERSION)
    w.segment(
        "BHT", "0085", "08", ack.reference, format_date(ack.created), format_time(created), "TH"
    )
    accepted = [c for c in ack.claims if not c.rejected]
    rejected = [c for c in ack.claims if c.rejected]
    # 2000A: the payer.
    w.segment("HL", "1", "", "20", "1")
    w.segment("NM1", "PR", "2", ack.payer_name, "", "", "", "", "PI", ack.payer_id)
    w.segment("TRN", "1", ack.reference)
    w.segment("DTP", "050", "D8", format_date(ack.received or ack.created))
    w.segment("DTP", "009", "D8", format_date(ack.created))
    # 2000B: who sent the 837 (us).
    w.segment("HL", "2", "1", "21", "1")
    w.segment("NM1", "41", "2", ack.receiver_name, "", "", "", "", "46", ack.submitter_id)
    w.segment("TRN", "2", ack.receiver_trace or ack.reference)
    # A1:19 "acknowledged / entity acknowledges receipt of claim", about the payer.
    _level_stc(w, _level(ack, "21"), format_date(ack.created), _total(ack.claims))
    _totals(w, ("90", "AA"), accepted, rejected)
    # 2000C: the billing provider the claims belong to.
    w.segment("HL", "3", "2", "19", "1")
    w.segment(
        "NM1", "85", "2", ack.billing_provider_name, "", "", "", "", "XX", ack.billing_provider_npi
    )
    w.segment("TRN", "1", "0")
    _level_stc(w, _level(ack, "19"), "", _total(ack.claims))
    _totals(w, ("QA", "QC"), accepted, rejected)
    for n, claim in enumerate(ack.claims, 4):
        _claim(w, n, claim, ack.created)
    w.close_transaction()
    w.close_group()
    w.close_interchange()
    return w.text()


def _check(ack: Ack277) -> None:
    required = {
        "payer_name": ack.payer_name,
        "payer_id": ack.payer_id,
        "receiver_name": ack.receiver_name,
        "submitter_id": ack.submitter_id,
        "billing_provider_name": ack.billing_provider_name,
        "billing_provider_npi": ack.billing_provider_npi,
        "reference": ack.reference,
    }
    for name, value in required.items():
        if not value:
            raise FieldError(f"Ack277.{name}", "is required to write a 277CA")
    if not ack.claims:
        raise FieldError("Ack277.claims", "a 277CA answers at least one claim")
    for n, level in enumerate(ack.levels):
        if level.level not in ("21", "19"):
            raise FieldError(f"Ack277.levels[{n}].level", f"{level.level!r} must be 21 or 19")
        if level.action not in ("", "WQ", "U"):
            raise FieldError(f"Ack277.levels[{n}].action", f"{level.action!r} must be WQ or U")
    for n, claim in enumerate(ack.claims):
        owner = f"Ack277.claims[{n}]"
        if claim.charge is None or claim.charge < 0:
            raise FieldError(f"{owner}.charge", "STC04 needs the claim's (non-negative) charge")
        if claim.service_start is None:
            raise FieldError(f"{owner}.service_start", "DTP*472 is required")
        if not (claim.patient_last_name and claim.member_id):
            raise FieldError(f"{owner}.patient_last_name", "NM1*QC needs a name and member id")
        if claim.action not in ("", "WQ", "U"):
            raise FieldError(f"{owner}.action", f"{claim.action!r} must be WQ or U")


def _level(ack: Ack277, level: str) -> LevelStatus | None:
    return next((status for status in ack.levels if status.level == level), None)


def _level_stc(w: SegmentWriter, status: LevelStatus | None, when: str, total: str) -> None:
    """The level's STC; `when` is "" at 2200C, where STC02 is not used."""
    if status is None:
        w.segment("STC", ("A1", "19", "PR"), when, "WQ", total)
        return
    action = status.action or ("U" if status.rejected else "WQ")
    stc_date = format_date(status.status_date) if status.status_date and when else when
    code = (status.category, status.status_code, status.entity)
    w.segment("STC", code, stc_date, action, total)


def _total(claims: Sequence[ClaimStatus]) -> str:
    return format_amount(sum((c.charge or ZERO for c in claims), ZERO))


def _totals(
    w: SegmentWriter,
    qualifiers: tuple[str, str],
    accepted: Sequence[ClaimStatus],
    rejected: Sequence[ClaimStatus],
) -> None:
    if accepted:
        w.segment("QTY", qualifiers[0], str(len(accepted)))
    if rejected:
        w.segment("QTY", qualifiers[1], str(len(rejected)))
    if accepted:
        w.segment("AMT", "YU", _total(accepted))
    if rejected:
        w.segment("AMT", "YY", _total(rejected))


def _claim(w: SegmentWriter, n: int, c: ClaimStatus, created: date) -> None:
    w.segment("HL", str(n), "3", "PT")
    w.segment(
        "NM1", "QC", "1", c.patient_last_name, c.patient_first_name, "", "", "", "MI", c.member_id
    )
    w.segment("TRN", "2", c.patient_control_number)
    action = c.action or ("U" if c.rejected else "WQ")
    charge = format_amount(c.charge or ZERO)
    status = (c.category, c.status_code, c.entity)
    stc_date = format_date(c.status_date or created)
    w.segment("STC", status, stc_date, action, charge, "", "", "", "", "", "", "", c.message)
    if c.payer_claim_number and not c.rejected:
        w.segment("REF", "1K", c.payer_claim_number)
    assert c.service_start is not None  # checked before writing
    end = c.service_end or c.service_start
    if end == c.service_start:
        w.segment("DTP", "472", "D8", format_date(c.service_start))
    else:
        w.segment("DTP", "472", "RD8", f"{format_date(c.service_start)}-{format_date(end)}")
