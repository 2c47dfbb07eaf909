"""Payer profiles: how each kind of payer behaves in the simulator (pure data, no Django).

A profile is chosen from the payer's kind (Medicare, Medicaid, commercial, other) and, for
commercial payers, nudged by the payer id so two commercial plans do not behave identically.
The numbers are plausible industry figures, not any real payer's: Medicare pays fast by EFT and
denies little; commercial plans pay in three to five weeks, by check or EFT, underpay now and
then; Medicaid is slow and denies more, and its front door rejects the odd whole file.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, replace
from decimal import Decimal


@dataclass(frozen=True, slots=True)
class DenialReason:
    """A CARC with its group and the RARCs a payer sends with it."""

    group: str  # CO or PR
    carc: str
    remarks: tuple[str, ...] = ()
    line_only: bool = False  # denies one line of a multi-line claim, not the whole claim


# The denial mix (weights sum to 100). CO-97 bundles one line (a partial pay), the rest deny
# the claim. RARCs as payers commonly pair them.
DENIAL_MIX: tuple[tuple[int, DenialReason], ...] = (
    (18, DenialReason("CO", "16", ("M51", "N382"))),  # missing information
    (14, DenialReason("CO", "50", ("N130",))),  # not medically necessary
    (14, DenialReason("CO", "97", ("M15",), line_only=True)),  # bundled
    (6, DenialReason("CO", "29")),  # timely filing
    (8, DenialReason("CO", "18", ("N522",))),  # duplicate
    (10, DenialReason("CO", "197", ("N54",))),  # no authorization
    (7, DenialReason("CO", "22", ("MA04",))),  # another payer is primary
    (8, DenialReason("PR", "204", ("N130",))),  # not covered under the patient's plan
    (8, DenialReason("CO", "11", ("M76",))),  # diagnosis inconsistent with procedure
    (7, DenialReason("CO", "27", ("N30",))),  # coverage terminated
)


@dataclass(frozen=True, slots=True)
class PayerProfile:
    name: str
    filing_indicator: str  # CLP06
    payment_method: str  # BPR04: ACH or CHK
    days_to_pay: tuple[int, int]  # from receipt of the claim, inclusive
    denial_rate: float  # claims with a denial (whole claim or a line)
    reject_rate: float  # 277CA front-door rejections on top of invalid member ids
    file_reject_rate: float  # 999: whole file refused
    allowed_share: Decimal  # allowed = charge × share when no contract rate is on file
    underpay_rate: float  # lines paid below contract
    underpay_range: tuple[Decimal, Decimal]  # how far below, as a fraction of allowed
    deductible_rate: float  # claims that hit the deductible (PR-1)
    coinsurance: Decimal  # PR-2 share of allowed after deductible
    copay: Decimal  # PR-3 per E/M visit, 0 when the plan has none
    reversal_rate: float  # paid claims later reversed and re-adjudicated
    plb_rate: float  # 835s carrying a provider-level adjustment
    interest_rate: float  # share of PLBs that are L6 interest (the rest WO / FB)
    pay_weekdays: tuple[int, ...] = (3,)  # payment runs (Monday = 0): claims wait for the next


MEDICARE = PayerProfile(
    name="medicare",
    filing_indicator="MB",
    payment_method="ACH",
    days_to_pay=(14, 16),
    denial_rate=0.08,
    reject_rate=0.02,
    file_reject_rate=0.0,
    allowed_share=Decimal("0.55"),
    underpay_rate=0.0,
    underpay_range=(Decimal("0"), Decimal("0")),
    deductible_rate=0.12,
    coinsurance=Decimal("0.20"),
    copay=Decimal("0"),
    reversal_rate=0.015,
    plb_rate=0.15,
    interest_rate=0.3,
    pay_weekdays=(1, 3),  # EFTs twice a week
)

COMMERCIAL = PayerProfile(
    name="commercial",
    filing_indicator="12",  # PPO (CLP06 has no CI)
    payment_method="CHK",
    days_to_pay=(20, 35),
    denial_rate=0.12,
    reject_rate=0.015,
    file_reject_rate=0.0,
    allowed_share=Decimal("0.68"),
    underpay_rate=0.08,
    underpay_range=(Decimal("0.03"), Decimal("0.10")),
    deductible_rate=0.18,
    coinsurance=Decimal("0.10"),
    copay=Decimal("25.00"),
    reversal_rate=0.02,
    plb_rate=0.2,
    interest_rate=0.5,
)

MEDICAID = PayerProfile(
    name="medicaid",
    filing_indicator="MC",
    payment_method="ACH",
    days_to_pay=(25, 35),
    denial_rate=0.17,
    reject_rate=0.03,
    file_reject_rate=0.03,
    allowed_share=Decimal("0.42"),
    underpay_rate=0.03,
    underpay_range=(Decimal("0.03"), Decimal("0.06")),
    deductible_rate=0.0,
    coinsurance=Decimal("0"),
    copay=Decimal("3.00"),
    reversal_rate=0.01,
    plb_rate=0.1,
    interest_rate=0.2,
    pay_weekdays=(2,),  # one weekly cycle
)

OTHER = replace(COMMERCIAL, name="other", filing_indicator="ZZ", denial_rate=0.10)

PROFILES = {p.name: p for p in (MEDICARE, COMMERCIAL, MEDICAID, OTHER)}


def profile_for(kind: str, payer_id: str) -> PayerProfile:
    """The profile of a payer of this kind (`directory.PayerKind` value). Commercial plans
    differ a little by payer id (days to pay, denial rate, EFT or check), stably."""
    base = PROFILES.get(kind, OTHER)
    if base is not COMMERCIAL:
        return base
    digest = hashlib.sha256(payer_id.encode()).digest()
    low = 20 + digest[0] % 6  # 20-25
    return replace(
        base,
        days_to_pay=(low, low + 10),
        denial_rate=0.10 + (digest[1] % 6) / 100,  # 10-15 %
        payment_method="ACH" if digest[2] % 3 == 0 else "CHK",
        pay_weekdays=(digest[3] % 5,),  # one weekly check run, its own weekday
    )
