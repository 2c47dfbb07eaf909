"""Typed input for the 837P writer: parties, claims, service lines, and the batch around them.

Every object checks itself when built, so a claim that reaches the writer can be written; the
limits are the 005010X222A1 guide's (element lengths, repeat counts, code lists) plus the ones
that bite in practice: CLM01 at most 20 characters (payers truncate it in 835 CLP01 and 277CA),
CLM02 equal to the sum of the lines, diagnosis pointers that point at a diagnosis.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum

from bureau.x12 import codes
from bureau.x12.envelope import Envelope
from bureau.x12.errors import FieldError
from bureau.x12.values import (
    check_amount,
    check_digits,
    check_optional_text,
    check_quantity,
    check_text,
)

PATIENT_CONTROL_NUMBER_MAX = 20
MAX_DIAGNOSES = 12  # HI01-HI12
MAX_POINTERS = 4  # SV107-01..04
MAX_MODIFIERS = 4  # SV101-03..06
MAX_LINES = 50  # loop 2400 repeat
MAX_OTHER_PAYERS = 10  # loop 2320 repeat
# The guide recommends at most 5000 CLM segments per transaction set; clearinghouses enforce it.
MAX_CLAIMS_PER_TRANSACTION = 5000


class Sex(StrEnum):
    FEMALE = "F"
    MALE = "M"
    UNKNOWN = "U"


class Responsibility(StrEnum):
    """SBR01: which payer this is for the claim."""

    PRIMARY = "P"
    SECONDARY = "S"
    TERTIARY = "T"


class Relationship(StrEnum):
    """Individual relationship code (PAT01, 2320 SBR02): the insured's relation to the patient."""

    SPOUSE = "01"
    SELF = "18"
    CHILD = "19"
    EMPLOYEE = "20"
    UNKNOWN = "21"
    ORGAN_DONOR = "39"
    CADAVER_DONOR = "40"
    LIFE_PARTNER = "53"
    OTHER = "G8"


class TaxIdType(StrEnum):
    EIN = "EI"
    SSN = "SY"


class ClaimFrequency(StrEnum):
    ORIGINAL = "1"
    REPLACEMENT = "7"
    VOID = "8"


class Assignment(StrEnum):
    """CLM07: whether the provider accepts assignment (plan participation)."""

    ASSIGNED = "A"
    ASSIGNED_LAB_ONLY = "B"
    NOT_ASSIGNED = "C"


class BenefitsAssignment(StrEnum):
    """CLM08 / OI03: whether the insured signed benefits over to the provider."""

    YES = "Y"
    NO = "N"
    NOT_APPLICABLE = "W"


class ReleaseOfInformation(StrEnum):
    """CLM09 / OI06."""

    INFORMED_CONSENT = "I"
    SIGNED = "Y"


class AdjustmentGroup(StrEnum):
    CONTRACTUAL = "CO"
    CORRECTION = "CR"
    OTHER = "OA"
    PAYER_INITIATED = "PI"
    PATIENT_RESPONSIBILITY = "PR"


# Parties -----------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class PersonName:
    last: str
    first: str = ""
    middle: str = ""
    suffix: str = ""

    def __post_init__(self) -> None:
        check_text("PersonName.last", self.last, 60)
        check_optional_text("PersonName.first", self.first, 35)
        check_optional_text("PersonName.middle", self.middle, 25)
        check_optional_text("PersonName.suffix", self.suffix, 10)


Name = PersonName | str
"""A person, or an organization's name (NM102 1 or 2)."""


def _check_name(owner: str, name: Name) -> None:
    if isinstance(name, str):
        check_text(f"{owner}.name", name, 60)
    elif not isinstance(name, PersonName):
        raise FieldError(f"{owner}.name", "must be a PersonName or an organization name")


def _check_npi(owner: str, npi: str) -> None:
    if not codes.is_valid_npi(npi):
        raise FieldError(f"{owner}.npi", f"{npi!r} is not a valid NPI (check digit)")


def _check_taxonomy(owner: str, taxonomy: str) -> None:
    if taxonomy and not codes.is_taxonomy(taxonomy):
        raise FieldError(f"{owner}.taxonomy", f"{taxonomy!r} is not a provider taxonomy code")


@dataclass(frozen=True, slots=True)
class Address:
    line1: str
    city: str
    state: str
    postal_code: str  # ZIP: 5 or 9 digits, no dash
    line2: str = ""

    def __post_init__(self) -> None:
        check_text("Address.line1", self.line1, 55)
        check_optional_text("Address.line2", self.line2, 55)
        check_text("Address.city", self.city, 30, min_len=2)
        if not (len(self.state) == 2 and self.state.isascii() and self.state.isupper()):
            raise FieldError("Address.state", f"{self.state!r} must be a two-letter code")
        check_digits("Address.postal_code", self.postal_code, (5, 9))


def _check_nine_digit_zip(owner: str, address: Address) -> None:
    # The guide requires ZIP+4 for the billing provider and the service facility.
    if len(address.postal_code) != 9:
        raise FieldError(f"{owner}.address.postal_code", "must be the full nine-digit ZIP")


@dataclass(frozen=True, slots=True)
class Submitter:
    """1000A: whoever sends the file (the billing company), with an EDI contact."""

    name: Name
    id: str  # NM109: the submitter id the receiver assigned (ETIN)
    contact_name: str = ""
    phone: str = ""  # ten digits
    email: str = ""

    def __post_init__(self) -> None:
        _check_name("Submitter", self.name)
        check_text("Submitter.id", self.id, 80, min_len=2)
        check_optional_text("Submitter.contact_name", self.contact_name, 60)
        if self.phone:
            check_digits("Submitter.phone", self.phone, (10,))
        check_optional_text("Submitter.email", self.email, 256)
        if not (self.phone or self.email):
            raise FieldError("Submitter", "needs a phone number or an email for PER")


@dataclass(frozen=True, slots=True)
class Receiver:
    """1000B: the clearinghouse or payer that receives the file."""

    name: str
    id: str

    def __post_init__(self) -> None:
        check_text("Receiver.name", self.name, 60)
        check_text("Receiver.id", self.id, 80, min_len=2)


@dataclass(frozen=True, slots=True)
class BillingProvider:
    """2000A/2010AA: a group (organization name) or an individual (PersonName)."""

    name: Name
    npi: str
    tax_id: str  # nine digits, EIN unless `tax_id_type` says SSN
    address: Address
    taxonomy: str = ""
    tax_id_type: TaxIdType = TaxIdType.EIN

    def __post_init__(self) -> None:
        _check_name("BillingProvider", self.name)
        _check_npi("BillingProvider", self.npi)
        check_digits("BillingProvider.tax_id", self.tax_id, (9,))
        if self.tax_id_type is TaxIdType.SSN and not isinstance(self.name, PersonName):
            raise FieldError("BillingProvider.tax_id_type", "an organization has an EIN, not SSN")
        _check_nine_digit_zip("BillingProvider", self.address)
        _check_taxonomy("BillingProvider", self.taxonomy)


@dataclass(frozen=True, slots=True)
class PayToProvider:
    """2010AB: where payment goes when it is not the billing provider's address."""

    address: Address
    is_person: bool = False


@dataclass(frozen=True, slots=True)
class Payer:
    name: str
    payer_id: str
    address: Address | None = None

    def __post_init__(self) -> None:
        check_text("Payer.name", self.name, 60)
        check_text("Payer.payer_id", self.payer_id, 80, min_len=2)


def _check_coverage_codes(owner: str, filing_indicator: str, insurance_type: str) -> None:
    if filing_indicator not in codes.CLAIM_FILING_INDICATORS:
        raise FieldError(f"{owner}.claim_filing_indicator", f"{filing_indicator!r} is not SBR09")
    if insurance_type and insurance_type not in codes.MEDICARE_SECONDARY_TYPES:
        raise FieldError(f"{owner}.insurance_type", f"{insurance_type!r} is not SBR05")


@dataclass(frozen=True, slots=True)
class Subscriber:
    """2000B/2010BA: the insured under the payer of this claim.

    Birth date, sex and address are required when the subscriber is the patient (the claim has
    no `patient`); the relationship to the patient is then 18 (self), otherwise `Patient` says it.
    """

    member_id: str
    name: PersonName
    birth_date: date | None = None
    sex: Sex | None = None
    address: Address | None = None
    responsibility: Responsibility = Responsibility.PRIMARY
    group_number: str = ""
    group_name: str = ""
    claim_filing_indicator: str = "CI"  # SBR09: CI commercial, MB Medicare B, MC Medicaid…
    insurance_type: str = ""  # SBR05: required when Medicare is secondary

    def __post_init__(self) -> None:
        check_text("Subscriber.member_id", self.member_id, 80, min_len=2)
        check_optional_text("Subscriber.group_number", self.group_number, 50)
        check_optional_text("Subscriber.group_name", self.group_name, 60)
        _check_coverage_codes("Subscriber", self.claim_filing_indicator, self.insurance_type)


@dataclass(frozen=True, slots=True)
class Patient:
    """2000C/2010CA: the patient when it is not the subscriber."""

    name: PersonName
    birth_date: date
    sex: Sex
    address: Address
    relationship: Relationship

    def __post_init__(self) -> None:
        if self.relationship is Relationship.SELF:
            raise FieldError("Patient.relationship", "18 (self) means no separate Patient loop")


@dataclass(frozen=True, slots=True)
class RenderingProvider:
    """2310B (claim) or 2420A (line): who performed the service, when not the billing provider."""

    name: Name
    npi: str
    taxonomy: str = ""

    def __post_init__(self) -> None:
        _check_name("RenderingProvider", self.name)
        _check_npi("RenderingProvider", self.npi)
        _check_taxonomy("RenderingProvider", self.taxonomy)


@dataclass(frozen=True, slots=True)
class ServiceFacility:
    """2310C: where the service was rendered, when not the billing provider's address."""

    name: str
    address: Address
    npi: str = ""

    def __post_init__(self) -> None:
        check_text("ServiceFacility.name", self.name, 60)
        if self.npi:
            _check_npi("ServiceFacility", self.npi)
        _check_nine_digit_zip("ServiceFacility", self.address)


@dataclass(frozen=True, slots=True)
class Adjustment:
    """One CAS triple from a prior payer's adjudication (group, CARC, amount)."""

    group: AdjustmentGroup
    reason: str
    amount: Decimal

    def __post_init__(self) -> None:
        check_text("Adjustment.reason", self.reason, 5)
        if not isinstance(self.amount, Decimal) or self.amount != self.amount.quantize(
            Decimal("0.01")
        ):
            raise FieldError("Adjustment.amount", f"{self.amount!r} must be a Decimal in cents")


@dataclass(frozen=True, slots=True)
class OtherSubscriber:
    """2320/2330A/2330B: another payer on the claim (coordination of benefits).

    On a secondary claim this is the primary payer, with what it paid when it has adjudicated.
    """

    payer: Payer
    member_id: str
    name: PersonName
    responsibility: Responsibility
    relationship: Relationship = Relationship.SELF
    group_number: str = ""
    claim_filing_indicator: str = "CI"
    insurance_type: str = ""
    paid_amount: Decimal | None = None  # AMT*D
    adjudication_date: date | None = None  # DTP*573
    adjustments: tuple[Adjustment, ...] = ()

    def __post_init__(self) -> None:
        check_text("OtherSubscriber.member_id", self.member_id, 80, min_len=2)
        check_optional_text("OtherSubscriber.group_number", self.group_number, 50)
        _check_coverage_codes("OtherSubscriber", self.claim_filing_indicator, self.insurance_type)
        if self.paid_amount is not None:
            check_amount("OtherSubscriber.paid_amount", self.paid_amount)
        groups = {a.group for a in self.adjustments}
        if len(groups) > 5:  # five CAS segments of up to six reasons each
            raise FieldError("OtherSubscriber.adjustments", "at most five adjustment groups")
        for group in groups:
            if sum(1 for a in self.adjustments if a.group is group) > 6:
                raise FieldError("OtherSubscriber.adjustments", f"more than six {group} reasons")


# The claim -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class ServiceLine:
    """2400: one procedure on one date (or a date range), with its diagnosis pointers (1-based)."""

    procedure_code: str  # CPT or HCPCS
    charge: Decimal
    units: Decimal
    service_date: date
    diagnosis_pointers: tuple[int, ...]
    modifiers: tuple[str, ...] = ()
    place_of_service: str = ""  # only when it differs from the claim's
    service_date_end: date | None = None
    rendering_provider: RenderingProvider | None = None  # only when it differs from the claim's
    line_control_number: str = ""  # REF*6R, echoed in 835 SVC REF*6R for line matching
    unit_basis: str = "UN"  # UN units, MJ minutes (anesthesia)

    def __post_init__(self) -> None:
        if not codes.is_procedure_code(self.procedure_code):
            raise FieldError(
                "ServiceLine.procedure_code", f"{self.procedure_code!r} is not a CPT/HCPCS code"
            )
        check_amount("ServiceLine.charge", self.charge)
        check_quantity("ServiceLine.units", self.units)
        self._check_pointers()
        if len(self.modifiers) > MAX_MODIFIERS:
            raise FieldError("ServiceLine.modifiers", f"at most {MAX_MODIFIERS} modifiers")
        for modifier in self.modifiers:
            if not codes.is_modifier(modifier):
                raise FieldError("ServiceLine.modifiers", f"{modifier!r} is not a modifier")
        if self.place_of_service and not codes.is_place_of_service(self.place_of_service):
            raise FieldError("ServiceLine.place_of_service", f"{self.place_of_service!r}")
        if self.service_date_end is not None and self.service_date_end < self.service_date:
            raise FieldError("ServiceLine.service_date_end", "is before the service date")
        check_optional_text("ServiceLine.line_control_number", self.line_control_number, 50)
        if self.unit_basis not in ("UN", "MJ"):
            raise FieldError("ServiceLine.unit_basis", f"{self.unit_basis!r} is not UN or MJ")

    def _check_pointers(self) -> None:
        pointers = self.diagnosis_pointers
        if not 1 <= len(pointers) <= MAX_POINTERS:
            raise FieldError("ServiceLine.diagnosis_pointers", f"needs 1-{MAX_POINTERS} pointers")
        if len(set(pointers)) != len(pointers):
            raise FieldError("ServiceLine.diagnosis_pointers", f"{pointers} repeats a pointer")
        for pointer in pointers:
            if isinstance(pointer, bool) or not isinstance(pointer, int):
                raise FieldError("ServiceLine.diagnosis_pointers", f"{pointer!r} is not a number")
            if not 1 <= pointer <= MAX_DIAGNOSES:
                raise FieldError("ServiceLine.diagnosis_pointers", f"{pointer} is not 1-12")


@dataclass(frozen=True, slots=True)
class Claim:
    """2300 and everything it hangs from: one claim to one payer for one patient."""

    patient_control_number: str
    billing_provider: BillingProvider
    subscriber: Subscriber
    payer: Payer
    diagnoses: tuple[str, ...]  # ICD-10-CM, principal first; a dot is accepted and dropped
    lines: tuple[ServiceLine, ...]
    total_charge: Decimal
    place_of_service: str
    patient: Patient | None = None  # None: the subscriber is the patient
    pay_to: PayToProvider | None = None
    frequency: ClaimFrequency = ClaimFrequency.ORIGINAL
    provider_signature: bool = True
    assignment: Assignment = Assignment.ASSIGNED
    benefits_assignment: BenefitsAssignment = BenefitsAssignment.YES
    release_of_information: ReleaseOfInformation = ReleaseOfInformation.SIGNED
    rendering_provider: RenderingProvider | None = None
    service_facility: ServiceFacility | None = None
    other_subscribers: tuple[OtherSubscriber, ...] = ()
    onset_date: date | None = None  # DTP*431
    prior_authorization: str = ""  # REF*G1
    payer_claim_control_number: str = ""  # REF*F8: the payer's number for the claim replaced

    def __post_init__(self) -> None:
        self._check_identity()
        self._check_diagnoses()
        self._check_lines()
        self._check_patient()
        self._check_other_payers()

    def _check_identity(self) -> None:
        pcn = self.patient_control_number
        check_text("Claim.patient_control_number", pcn, 38)
        if len(pcn) > PATIENT_CONTROL_NUMBER_MAX:
            raise FieldError(
                "Claim.patient_control_number",
                f"{pcn!r} is {len(pcn)} characters; payers echo at most "
                f"{PATIENT_CONTROL_NUMBER_MAX} back in 835 CLP01 and 277CA",
            )
        if not codes.is_place_of_service(self.place_of_service):
            raise FieldError("Claim.place_of_service", f"{self.place_of_service!r} is not a POS")
        check_optional_text("Claim.prior_authorization", self.prior_authorization, 50)
        check_optional_text("Claim.payer_claim_control_number", self.payer_claim_control_number, 50)
        if self.frequency is not ClaimFrequency.ORIGINAL and not self.payer_claim_control_number:
            raise FieldError(
                "Claim.payer_claim_control_number",
                "a replacement or void must name the payer's claim number (REF*F8)",
            )

    def _check_diagnoses(self) -> None:
        dx = self.diagnoses
        if not 1 <= len(dx) <= MAX_DIAGNOSES:
            raise FieldError("Claim.diagnoses", f"needs 1-{MAX_DIAGNOSES} codes, got {len(dx)}")
        for code in dx:
            if not codes.is_icd10_cm(code):
                raise FieldError("Claim.diagnoses", f"{code!r} is not an ICD-10-CM code")
        if len({codes.icd10_without_dot(c) for c in dx}) != len(dx):
            raise FieldError("Claim.diagnoses", "lists a code twice")

    def _check_lines(self) -> None:
        if not self.lines:
            raise FieldError("Claim.lines", "a claim needs at least one service line")
        if len(self.lines) > MAX_LINES:
            raise FieldError("Claim.lines", f"at most {MAX_LINES} service lines per claim")
        for number, line in enumerate(self.lines, 1):
            missing = [p for p in line.diagnosis_pointers if p > len(self.diagnoses)]
            if missing:
                raise FieldError(
                    f"Claim.lines[{number}].diagnosis_pointers",
                    f"{missing} point past the {len(self.diagnoses)} diagnoses",
                )
        check_amount("Claim.total_charge", self.total_charge)
        line_total = sum((line.charge for line in self.lines), Decimal(0))
        if line_total != self.total_charge:
            raise FieldError(
                "Claim.total_charge", f"{self.total_charge} differs from the lines' {line_total}"
            )

    def _check_patient(self) -> None:
        if self.patient is not None:
            return
        sub = self.subscriber
        if sub.birth_date is None or sub.sex is None or sub.address is None:
            raise FieldError(
                "Claim.subscriber",
                "is the patient, so birth date, sex and address are required",
            )

    def _check_other_payers(self) -> None:
        others = self.other_subscribers
        if len(others) > MAX_OTHER_PAYERS:
            raise FieldError("Claim.other_subscribers", f"at most {MAX_OTHER_PAYERS} other payers")
        seen = {self.subscriber.responsibility}
        for other in others:
            if other.responsibility in seen:
                raise FieldError(
                    "Claim.other_subscribers",
                    f"responsibility {other.responsibility.value} appears twice on the claim",
                )
            seen.add(other.responsibility)
        if self.subscriber.responsibility is not Responsibility.PRIMARY and not any(
            o.responsibility is Responsibility.PRIMARY for o in others
        ):
            raise FieldError(
                "Claim.other_subscribers",
                "a secondary or tertiary claim must name the primary payer (loop 2320)",
            )


# The batch -------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Transaction837:
    """One ST..SE: a batch of claims, grouped by the writer into billing provider → subscriber."""

    control_number: int  # ST02
    claims: tuple[Claim, ...]
    reference: str = ""  # BHT03, the batch's own reference; defaults to ST02

    def __post_init__(self) -> None:
        if not 1 <= len(self.claims) <= MAX_CLAIMS_PER_TRANSACTION:
            raise FieldError(
                "Transaction837.claims", f"needs 1-{MAX_CLAIMS_PER_TRANSACTION} claims"
            )
        check_optional_text("Transaction837.reference", self.reference, 50)
        numbers = {c.patient_control_number for c in self.claims}
        if len(numbers) != len(self.claims):
            # The 999/277CA/835 answer by CLM01; two claims with one number cannot be told apart.
            raise FieldError("Transaction837.claims", "two claims share a patient control number")


@dataclass(frozen=True, slots=True)
class Interchange837:
    """One 837P file: ISA, one GS, one ST per transaction."""

    envelope: Envelope
    submitter: Submitter
    receiver: Receiver
    transactions: tuple[Transaction837, ...]

    def __post_init__(self) -> None:
        if not self.transactions:
            raise FieldError("Interchange837.transactions", "needs at least one transaction")
        numbers = {t.control_number for t in self.transactions}
        if len(numbers) != len(self.transactions):
            raise FieldError("Interchange837.transactions", "ST02 control numbers must differ")
