"""Bad input is refused before any text is written, with an error that names the field."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from decimal import Decimal
from typing import Any

import pytest

from bureau.x12.claim837 import (
    Address,
    BillingProvider,
    Claim,
    ClaimFrequency,
    Interchange837,
    OtherSubscriber,
    Patient,
    PersonName,
    Relationship,
    Responsibility,
    ServiceLine,
    Sex,
    Subscriber,
    TaxIdType,
    Transaction837,
)
from bureau.x12.errors import FieldError, X12Error
from bureau.x12.tests.samples import (
    COMMERCIAL,
    ENVELOPE,
    GROUP,
    JANE,
    RECEIVER,
    SUBMITTER,
    SUPPLEMENT,
)

DOS = date(2025, 2, 20)
HOME = Address("1 A ST", "SPRINGFIELD", "IL", "62701")


def line(charge: str = "100", pointers: tuple[int, ...] = (1,), **kw: Any) -> ServiceLine:
    return ServiceLine("99213", Decimal(charge), Decimal("1"), DOS, pointers, **kw)


def claim(**kw: Any) -> Claim:
    fields: dict[str, Any] = {
        "patient_control_number": "PCN-1",
        "billing_provider": GROUP,
        "subscriber": JANE,
        "payer": COMMERCIAL,
        "diagnoses": ("E11.9",),
        "lines": (line(),),
        "total_charge": Decimal("100"),
        "place_of_service": "11",
    }
    fields.update(kw)
    return Claim(**fields)


def test_a_valid_claim_builds() -> None:
    assert claim().total_charge == Decimal("100")


def test_patient_control_number_over_20_characters() -> None:
    with pytest.raises(FieldError, match=r"Claim.patient_control_number: .* 21 characters") as err:
        claim(patient_control_number="X" * 21)
    assert err.value.field == "Claim.patient_control_number"
    assert isinstance(err.value, X12Error) and isinstance(err.value, ValueError)
    claim(patient_control_number="X" * 20)


def test_more_than_twelve_diagnoses() -> None:
    thirteen = tuple(f"E11.{i}" for i in range(10)) + ("I10", "Z79.4", "J06.9")
    with pytest.raises(FieldError, match=r"Claim.diagnoses: needs 1-12 codes, got 13"):
        claim(diagnoses=thirteen)


def test_no_diagnosis() -> None:
    with pytest.raises(FieldError, match="Claim.diagnoses"):
        claim(diagnoses=())


def test_pointer_to_a_missing_diagnosis() -> None:
    with pytest.raises(FieldError, match=r"Claim.lines\[2\].diagnosis_pointers: \[3\] point past"):
        claim(
            diagnoses=("E11.9", "I10"),
            lines=(line("50"), line("50", (2, 3))),
            total_charge=Decimal("100"),
        )


@pytest.mark.parametrize(
    ("pointers", "reason"),
    [((), "needs 1-4"), ((1, 2, 3, 4, 5), "needs 1-4"), ((1, 1), "repeats"), ((0,), "not 1-12")],
)
def test_bad_pointers(pointers: tuple[int, ...], reason: str) -> None:
    with pytest.raises(FieldError, match=f"ServiceLine.diagnosis_pointers: .*{reason}"):
        line(pointers=pointers)


def test_negative_charge() -> None:
    with pytest.raises(FieldError, match=r"ServiceLine.charge: -5 must be zero or positive"):
        line("-5")


def test_float_charge_is_refused() -> None:
    with pytest.raises(FieldError, match="ServiceLine.charge: must be a Decimal, not float"):
        ServiceLine("99213", 100.0, Decimal("1"), DOS, (1,))  # type: ignore[arg-type]


def test_no_lines() -> None:
    with pytest.raises(FieldError, match="Claim.lines: a claim needs at least one service line"):
        claim(lines=(), total_charge=Decimal("0"))


def test_more_than_fifty_lines() -> None:
    with pytest.raises(FieldError, match="Claim.lines: at most 50"):
        claim(lines=(line("1"),) * 51, total_charge=Decimal("51"))


def test_total_must_equal_the_lines() -> None:
    with pytest.raises(FieldError, match="Claim.total_charge: 120 differs from the lines' 100"):
        claim(total_charge=Decimal("120"))


def test_duplicate_diagnosis_with_and_without_dot() -> None:
    with pytest.raises(FieldError, match="Claim.diagnoses: lists a code twice"):
        claim(diagnoses=("E11.9", "E119"))


@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"procedure_code": "9921"}, "procedure_code"),
        ({"modifiers": ("25", "59", "GP", "KX", "XU")}, "modifiers"),
        ({"modifiers": ("2",)}, "modifiers"),
        ({"units": Decimal("0")}, "units"),
        ({"place_of_service": "1"}, "place_of_service"),
        ({"service_date_end": date(2025, 1, 1)}, "service_date_end"),
    ],
)
def test_bad_service_line_fields(kw: dict[str, Any], field: str) -> None:
    base: dict[str, Any] = {
        "procedure_code": "99213",
        "charge": Decimal("1"),
        "units": Decimal("1"),
        "service_date": DOS,
        "diagnosis_pointers": (1,),
    }
    with pytest.raises(FieldError, match=f"ServiceLine.{field}"):
        ServiceLine(**{**base, **kw})


def test_invalid_npi() -> None:
    with pytest.raises(FieldError, match=r"BillingProvider.npi: '1234567890' is not a valid NPI"):
        replace(GROUP, npi="1234567890")


def test_billing_provider_needs_zip_plus_four() -> None:
    with pytest.raises(FieldError, match="BillingProvider.address.postal_code: must be the full"):
        replace(GROUP, address=Address("1 A ST", "SPRINGFIELD", "IL", "62701"))


def test_organization_cannot_bill_under_an_ssn() -> None:
    with pytest.raises(FieldError, match="BillingProvider.tax_id_type"):
        BillingProvider(
            GROUP.name, GROUP.npi, "123456789", GROUP.address, tax_id_type=TaxIdType.SSN
        )


def test_subscriber_as_patient_needs_demographics() -> None:
    with pytest.raises(FieldError, match="Claim.subscriber: is the patient"):
        claim(subscriber=Subscriber("M123", PersonName("DOE", "JO")))


def test_patient_loop_is_not_for_self() -> None:
    with pytest.raises(FieldError, match="Patient.relationship"):
        Patient(PersonName("DOE"), DOS, Sex.FEMALE, HOME, Relationship.SELF)


def test_secondary_claim_must_name_the_primary() -> None:
    secondary = replace(JANE, responsibility=Responsibility.SECONDARY)
    with pytest.raises(FieldError, match="Claim.other_subscribers: a secondary or tertiary"):
        claim(subscriber=secondary, payer=SUPPLEMENT)


def test_other_payer_cannot_repeat_the_claims_responsibility() -> None:
    other = OtherSubscriber(SUPPLEMENT, "S1", PersonName("DOE"), Responsibility.PRIMARY)
    with pytest.raises(FieldError, match="responsibility P appears twice"):
        claim(other_subscribers=(other,))


def test_replacement_needs_the_payers_claim_number() -> None:
    with pytest.raises(FieldError, match=r"Claim.payer_claim_control_number: .*REF\*F8"):
        claim(frequency=ClaimFrequency.REPLACEMENT)


def test_coverage_codes_come_from_the_guides_lists() -> None:
    with pytest.raises(FieldError, match="Subscriber.claim_filing_indicator: 'XX' is not SBR09"):
        replace(JANE, claim_filing_indicator="XX")
    with pytest.raises(FieldError, match="Subscriber.insurance_type: '99' is not SBR05"):
        replace(JANE, insurance_type="99")
    assert replace(JANE, claim_filing_indicator="MB", insurance_type="12").insurance_type == "12"


def test_text_fields_check_length_and_blankness() -> None:
    with pytest.raises(FieldError, match="PersonName.last: is required"):
        PersonName(" ")
    with pytest.raises(FieldError, match="PersonName.first: .* must be 1-35 characters"):
        PersonName("DOE", "J" * 36)
    with pytest.raises(FieldError, match="Address.state"):
        Address("1 A ST", "SPRINGFIELD", "Il", "62701")


def test_a_transaction_refuses_duplicate_claim_numbers() -> None:
    with pytest.raises(FieldError, match="two claims share a patient control number"):
        Transaction837(1, (claim(), claim()))


def test_an_interchange_needs_transactions_with_distinct_control_numbers() -> None:
    with pytest.raises(FieldError, match="needs at least one transaction"):
        Interchange837(ENVELOPE, SUBMITTER, RECEIVER, ())
    one = Transaction837(5, (claim(),))
    with pytest.raises(FieldError, match="ST02 control numbers must differ"):
        Interchange837(ENVELOPE, SUBMITTER, RECEIVER, (one, one))
