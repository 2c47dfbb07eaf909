"""The 999 implementation acknowledgment (X231A1) as typed, frozen dataclasses.

A 999 answers one functional group of our 837P (AK1-02 = our GS06) and each transaction set in it
(AK2-02 = our ST02): accepted, accepted with errors, or rejected, with the segment and element
errors that caused it (IK3/IK4/CTX).
"""

from __future__ import annotations

from dataclasses import dataclass

# IK5-01 / AK9-01 codes
ACCEPTED = "A"
ACCEPTED_WITH_ERRORS = "E"
REJECTED = "R"
REJECTED_CODES = frozenset({"R", "M", "W", "X"})
# Every AK901 code; IK501 takes the same but P (partially accepted: some sets rejected).
STATUS_CODES = frozenset({"A", "E", "M", "P", "R", "W", "X"})


@dataclass(frozen=True, slots=True)
class SegmentError:
    """IK3 (with its IK4 when the error is in an element): where the 837 was wrong and why."""

    segment_id: str  # IK3-01
    position: int  # IK3-02: segment position in the transaction set
    loop_id: str  # IK3-03
    error_code: str  # IK3-04 (8 = segment has data element errors, ...)
    element_position: int | None = None  # IK4-01-1
    element_error_code: str = ""  # IK4-03
    bad_value: str = ""  # IK4-04
    claim_reference: str = ""  # CTX*CLM01:<value>, the claim the error is in


@dataclass(frozen=True, slots=True)
class TransactionAck:
    """AK2 … IK5: one 837 transaction set's outcome."""

    set_id: str  # AK2-01, "837"
    control_number: str  # AK2-02 = our ST02
    implementation_reference: str  # AK2-03, "005010X222A1"
    status: str  # IK5-01: A, E, R, M, W, X
    syntax_errors: tuple[str, ...] = ()  # IK5-02..06
    errors: tuple[SegmentError, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status not in REJECTED_CODES


@dataclass(frozen=True, slots=True)
class GroupAck:
    """AK1 … AK9: the functional group's outcome."""

    functional_id: str  # AK1-01, "HC"
    group_control_number: str  # AK1-02 = our GS06
    version: str  # AK1-03
    status: str  # AK9-01: A, E, P, R
    included: int  # AK9-02
    received: int  # AK9-03
    accepted_count: int  # AK9-04
    transactions: tuple[TransactionAck, ...] = ()

    @property
    def accepted(self) -> bool:
        return self.status in (ACCEPTED, ACCEPTED_WITH_ERRORS)


@dataclass(frozen=True, slots=True)
class Ack999:
    """One 999 transaction set inside its interchange."""

    sender_id: str  # ISA06 of the 999 (the clearinghouse or payer)
    receiver_id: str  # ISA08 (us)
    control_number: str  # ISA13 of the 999 itself
    transaction_control_number: str  # ST02 of the 999
    group: GroupAck
