"""The 999 implementation acknowledgment (005010X231A1) writer, for the payer simulator.

One 999 answers one functional group of an 837P:

    ST*999 AK1 (group answered)
      2000 AK2 (each transaction set)
        2100 IK3 CTX*CLM01 (a segment in error, with the claim it sits in)
          2110 IK4 (the element in error)
        IK5 (the set's verdict)
    AK9 (the group's verdict and counts) SE
"""

from __future__ import annotations

from bureau.x12.ack999 import STATUS_CODES, GroupAck, SegmentError, TransactionAck
from bureau.x12.envelope import Envelope, SegmentWriter
from bureau.x12.errors import FieldError

VERSION = "005010X231A1"
_SET_STATUSES = frozenset({"A", "E", "M", "R", "W", "X"})
_FUNCTIONAL_IDS = frozenset({"BE", "HB", "HC", "HI", "HN", "HP", "HR", "HS", "RA"})
_SET_IDS = frozenset({"270", "271", "276", "277", "278", "820", "834", "835", "837"})
_SEGMENT_ERRORS = frozenset({"1", "2", "3", "4", "5", "6", "7", "8", "I4", "I6", "I7", "I8"})
_ELEMENT_ERRORS = frozenset({str(n) for n in range(1, 14)} | {"I6", "I9", "I10", "I11", "I12"})
_SYNTAX_ERRORS = frozenset({str(n) for n in range(1, 28)} | {"I5", "I6"})


def write_999(
    envelope: Envelope,
    group: GroupAck,
    *,
    transaction_control_number: int,
    line_break: bool = False,
) -> str:
    """One interchange holding one FA group with the 999 for `group`."""
    _check_group(group)
    w = SegmentWriter(envelope, line_break=line_break)
    w.open_interchange()
    w.open_group("FA", VERSION)
    w.open_transaction("999", transaction_control_number, VERSION)
    w.segment("AK1", group.functional_id, group.group_control_number, group.version)
    for tx in group.transactions:
        _transaction(w, tx)
    w.segment(
        "AK9", group.status, str(group.included), str(group.received), str(group.accepted_count)
    )
    w.close_transaction()
    w.close_group()
    w.close_interchange()
    return w.text()


def _check_group(group: GroupAck) -> None:
    if group.functional_id not in _FUNCTIONAL_IDS:
        raise FieldError("GroupAck.functional_id", f"{group.functional_id!r} is not an AK101 id")
    if not group.group_control_number.isdigit():
        raise FieldError("GroupAck.group_control_number", "must be the digits of GS06")
    if group.status not in STATUS_CODES:
        raise FieldError("GroupAck.status", f"{group.status!r} is not an AK901 code")
    if not 0 <= group.accepted_count <= group.received <= group.included:
        raise FieldError("GroupAck", "counts must satisfy accepted ≤ received ≤ included")
    for n, tx in enumerate(group.transactions):
        owner = f"GroupAck.transactions[{n}]"
        if tx.set_id not in _SET_IDS:
            raise FieldError(f"{owner}.set_id", f"{tx.set_id!r} is not an AK201 id")
        if tx.status not in _SET_STATUSES:
            raise FieldError(f"{owner}.status", f"{tx.status!r} is not an IK501 code")
        if len(tx.syntax_errors) > 5 or not set(tx.syntax_errors) <= _SYNTAX_ERRORS:
            raise FieldError(f"{owner}.syntax_errors", "up to five IK502 codes")
        for m, err in enumerate(tx.errors):
            _check_error(f"{owner}.errors[{m}]", err)


def _check_error(owner: str, err: SegmentError) -> None:
    if err.error_code not in _SEGMENT_ERRORS:
        raise FieldError(f"{owner}.error_code", f"{err.error_code!r} is not an IK304 code")
    if len(err.loop_id) > 4:
        # IK303 is the LS/LE loop identifier (1-4 characters, e.g. "2010"), not the guide's
        # loop name such as "2010AA".
        raise FieldError(f"{owner}.loop_id", f"{err.loop_id!r} is longer than 4 characters")
    if err.position < 1:
        raise FieldError(f"{owner}.position", "segment positions start at 1")
    if err.element_position is not None and err.element_error_code not in _ELEMENT_ERRORS:
        raise FieldError(f"{owner}.element_error_code", "an IK4 needs an IK403 code")


def _transaction(w: SegmentWriter, tx: TransactionAck) -> None:
    w.segment("AK2", tx.set_id, tx.control_number, tx.implementation_reference)
    for err in tx.errors:
        w.segment("IK3", err.segment_id, str(err.position), err.loop_id, err.error_code)
        if err.claim_reference:
            w.segment("CTX", ("CLM01", err.claim_reference))
        if err.element_position is not None:
            w.segment(
                "IK4", (str(err.element_position),), "", err.element_error_code, err.bad_value
            )
    w.segment("IK5", tx.status, *tx.syntax_errors)
