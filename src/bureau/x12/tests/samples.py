"""Synthetic parties and claims for the tests (no real person, provider or payer)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

from bureau.x12.claim837 import (
    Address,
    Adjustment,
    AdjustmentGroup,
    BillingProvider,
    Claim,
    ClaimFrequency,
    Interchange837,
    OtherSubscriber,
    Patient,
    Payer,
    PayToProvider,
    PersonName,
    Receiver,
    Relationship,
    RenderingProvider,
    Responsibility,
    ServiceFacility,
    ServiceLine,
    Sex,
    Submitter,
    Subscriber,
    Transaction837,
)
from bureau.x12.codes import npi_check_digit
from bureau.x12.envelope import Envelope, Party, Usage


def make_npi(first_nine: str) -> str:
    return first_nine + str(npi_check_digit(first_nine))


GROUP_NPI = make_npi("123456789")  # 1234567893
DOCTOR_NPI = make_npi("198765432")
SOLO_NPI = make_npi("155544433")
FACILITY_NPI = make_npi("177788899")

ENVELOPE = Envelope(
    sender=Party("BUREAUSUB01"),
    receiver=Party("CLEARHOUSE01"),
    interchange_control_number=42,
    group_control_number=7,
    created_at=datetime(2025, 3, 5, 14, 30),
    usage=Usage.TEST,
)
SUBMITTER = Submitter(
    "NORTHWIND BILLING", "BUREAUSUB01", "EDI DESK", phone="5555550100", email="edi@example.com"
)
RECEIVER = Receiver("SANDBOX CLEARINGHOUSE", "CLEARHOUSE01")

GROUP = BillingProvider(
    "RIVERSIDE FAMILY MEDICINE",
    GROUP_NPI,
    "123456789",
    Address("100 RIVER RD", "SPRINGFIELD", "IL", "627011234", line2="SUITE 200"),
    taxonomy="207Q00000X",
)
SOLO = BillingProvider(
    PersonName("OKAFOR", "ADA", "N"),
    SOLO_NPI,
    "987654321",
    Address("42 LAKE AVE", "MADISON", "WI", "537031122"),
    taxonomy="207R00000X",
)
DOCTOR = RenderingProvider(PersonName("CHEN", "LI", suffix="MD"), DOCTOR_NPI, "207Q00000X")
COMMERCIAL = Payer("ACME HEALTH PLAN", "ACME1")
MEDICARE_LIKE = Payer(
    "FEDERAL SENIOR PLAN", "FSP01", Address("1 PLAZA", "BALTIMORE", "MD", "21244")
)
SUPPLEMENT = Payer("BLUE LAKE MUTUAL", "BLM22")

JANE = Subscriber(
    "W100200300",
    PersonName("DOE", "JANE", "Q"),
    date(1980, 1, 2),
    Sex.FEMALE,
    Address("9 ELM ST", "SPRINGFIELD", "IL", "62701"),
    group_number="GRP0001",
)


def golden_primary() -> Interchange837:
    """Two subscribers who are their own patients; rendering provider, facility, modifiers."""
    john = Subscriber(
        "XZ99887766",
        PersonName("ROE", "JOHN", suffix="JR"),
        date(1975, 11, 30),
        Sex.MALE,
        Address("77 OAK LN", "SPRINGFIELD", "IL", "627049876"),
        group_number="GRP0001",
        group_name="SPRINGFIELD SCHOOLS",
    )
    first = Claim(
        "RFM-000101",
        GROUP,
        JANE,
        COMMERCIAL,
        ("E11.9", "I10", "Z79.4"),
        (
            ServiceLine("99214", Decimal("180.00"), Decimal("1"), date(2025, 2, 20), (1, 2, 3),
                        modifiers=("25",), line_control_number="RFM101-1"),
            ServiceLine("83036", Decimal("42.50"), Decimal("1"), date(2025, 2, 20), (1,),
                        line_control_number="RFM101-2"),
            ServiceLine("J1815", Decimal("12.25"), Decimal("10"), date(2025, 2, 20), (1,),
                        modifiers=("JW", "59"), line_control_number="RFM101-3"),
        ),
        Decimal("234.75"),
        "11",
        pay_to=PayToProvider(Address("PO BOX 5000", "SPRINGFIELD", "IL", "627055000")),
        rendering_provider=DOCTOR,
        service_facility=ServiceFacility(
            "RIVERSIDE ANNEX", Address("5 ANNEX WAY", "SPRINGFIELD", "IL", "627011200"),
            FACILITY_NPI,
        ),
        onset_date=date(2025, 2, 1),
        prior_authorization="PA778899",
    )  # fmt: skip
    second = Claim(
        "RFM-000102",
        GROUP,
        john,
        COMMERCIAL,
        ("M54.50", "S39.012A"),
        (
            ServiceLine("97110", Decimal("60"), Decimal("2"), date(2025, 2, 21), (1, 2),
                        modifiers=("GP", "KX", "59", "XU")),
            ServiceLine("97140", Decimal("35.5"), Decimal("1.5"), date(2025, 2, 21), (2,),
                        modifiers=("GP",), place_of_service="22", rendering_provider=DOCTOR),
        ),
        Decimal("95.50"),
        "11",
        pay_to=PayToProvider(Address("PO BOX 5000", "SPRINGFIELD", "IL", "627055000")),
    )  # fmt: skip
    return Interchange837(ENVELOPE, SUBMITTER, RECEIVER, (Transaction837(1001, (first, second)),))


def golden_dependents() -> Interchange837:
    """A subscriber whose children are the patients (2000C), an individual billing provider."""
    parent = Subscriber("H555444333", PersonName("SMITH", "ROBERT"), group_number="FAM-77")
    amy = Patient(
        PersonName("SMITH", "AMY"),
        date(2015, 6, 9),
        Sex.FEMALE,
        Address("3 BIRCH CT", "MADISON", "WI", "53703"),
        Relationship.CHILD,
    )
    ben = Patient(
        PersonName("SMITH", "BEN"),
        date(2018, 9, 14),
        Sex.MALE,
        Address("3 BIRCH CT", "MADISON", "WI", "53703"),
        Relationship.CHILD,
    )

    def visit(pcn: str, patient: Patient, dos: date, code: str, dx: str) -> Claim:
        line = ServiceLine(code, Decimal("95"), Decimal("1"), dos, (1,))
        return Claim(
            pcn, SOLO, parent, COMMERCIAL, (dx,), (line,), Decimal("95"), "11", patient=patient
        )

    claims = (
        visit("OKF-2001", amy, date(2025, 1, 10), "99393", "Z00.129"),
        visit("OKF-2002", ben, date(2025, 1, 10), "99392", "Z00.129"),
        visit("OKF-2003", amy, date(2025, 2, 3), "99213", "J06.9"),
    )
    return Interchange837(ENVELOPE, SUBMITTER, RECEIVER, (Transaction837(1002, claims),))


def golden_secondary() -> Interchange837:
    """A claim to the secondary payer after the primary paid part (loops 2320/2330A/2330B),
    and a replacement of a claim the secondary already holds."""
    secondary = Subscriber(
        "BLM-7788",
        PersonName("DOE", "JANE", "Q"),
        date(1980, 1, 2),
        Sex.FEMALE,
        Address("9 ELM ST", "SPRINGFIELD", "IL", "62701"),
        responsibility=Responsibility.SECONDARY,
        group_number="SUPP-1",
    )
    primary = OtherSubscriber(
        payer=MEDICARE_LIKE,
        member_id="1EG4TE5MK73",
        name=PersonName("DOE", "JANE", "Q"),
        responsibility=Responsibility.PRIMARY,
        claim_filing_indicator="MB",
        paid_amount=Decimal("88.40"),
        adjudication_date=date(2025, 3, 1),
        adjustments=(
            Adjustment(AdjustmentGroup.CONTRACTUAL, "45", Decimal("69.40")),
            Adjustment(AdjustmentGroup.PATIENT_RESPONSIBILITY, "2", Decimal("22.10")),
            Adjustment(AdjustmentGroup.PATIENT_RESPONSIBILITY, "1", Decimal("0.10")),
        ),
    )
    adjusted = (
        Adjustment(AdjustmentGroup.CONTRACTUAL, "45", Decimal("40")),
        Adjustment(AdjustmentGroup.PATIENT_RESPONSIBILITY, "2", Decimal("10")),
    )
    line = ServiceLine("99204", Decimal("180"), Decimal("1"), date(2025, 2, 10), (1, 2))
    cob = Claim(
        "RFM-000150",
        GROUP,
        secondary,
        SUPPLEMENT,
        ("R10.9", "K21.9"),
        (line,),
        Decimal("180"),
        "11",
        rendering_provider=DOCTOR,
        other_subscribers=(primary,),
    )
    replacement = Claim(
        "RFM-000151",
        GROUP,
        secondary,
        SUPPLEMENT,
        ("R10.9",),
        (ServiceLine("99213", Decimal("110"), Decimal("1"), date(2025, 2, 12), (1,)),),
        Decimal("110"),
        "11",
        frequency=ClaimFrequency.REPLACEMENT,
        payer_claim_control_number="BLM2025000123",
        other_subscribers=(replace(primary, paid_amount=Decimal("60"), adjustments=adjusted),),
    )
    return Interchange837(
        ENVELOPE, SUBMITTER, RECEIVER, (Transaction837(1003, (cob, replacement)),)
    )


GOLDEN_CASES = {
    "primary": golden_primary,
    "dependents": golden_dependents,
    "secondary": golden_secondary,
}
