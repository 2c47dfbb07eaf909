"""From claims in the database to the 837P writer's dataclasses (`bureau.x12.claim837`).

Pure apart from reading the rows handed in: the caller loads the claim with its lines, encounter,
patient, coverage, payer and providers, plus the patient's other coverages for a secondary claim.
A claim that cannot be written raises `MappingError` (from `FieldError`) naming the claim.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal

from django.conf import settings

from bureau.claims.models import Claim, ClaimLine
from bureau.directory.models import Payer as PayerRow
from bureau.directory.models import PayerKind, ProviderKind
from bureau.directory.models import Provider as ProviderRow
from bureau.directory.models import ServiceFacility as FacilityRow
from bureau.patients.models import Coverage, Patient
from bureau.tenancy.models import Practice, Workspace
from bureau.x12 import claim837 as x
from bureau.x12 import codes
from bureau.x12.envelope import Envelope, Party, Usage
from bureau.x12.errors import FieldError

FILING_INDICATOR = {
    PayerKind.MEDICARE: "MB",
    PayerKind.MEDICAID: "MC",
    PayerKind.COMMERCIAL: "CI",
    PayerKind.OTHER: "ZZ",
}
RESPONSIBILITY = {
    1: x.Responsibility.PRIMARY,
    2: x.Responsibility.SECONDARY,
    3: x.Responsibility.TERTIARY,
}
ROUTE_NAMES = {
    "folder": "FOLDER DROP",
    "sftp": "SFTP CLEARINGHOUSE",
    "simulator": "PAYER SIMULATOR",
}


class MappingError(ValueError):
    """A claim lacks something the 837P requires (an address, a valid NPI…)."""


@dataclass(frozen=True)
class ClaimBundle:
    """Everything one claim's 837P needs, loaded by the caller."""

    claim: Claim
    lines: Sequence[ClaimLine]
    other_coverages: Sequence[Coverage] = ()  # the patient's coverages ahead of this one


def _digits(value: str) -> str:
    return re.sub(r"\D", "", value or "")


def _text(value: str) -> str:
    """Fold to the plain characters a name may carry in X12 (no separators)."""
    return re.sub(r"[^A-Za-z0-9 .,'&/-]", " ", value or "").strip()


def sender_id(workspace: Workspace) -> str:
    return (re.sub(r"[^A-Z0-9]", "", workspace.slug.upper()) or "BUREAU")[:15].ljust(2, "0")


def receiver_id(route: str) -> str:
    return (re.sub(r"[^A-Z0-9]", "", route.upper()) or "CLEARINGHOUSE")[:15].ljust(2, "0")


def _address(line1: str, city: str, state: str, postal: str, line2: str = "") -> x.Address:
    return x.Address(
        _text(line1)[:55], _text(city)[:30], state.upper(), _digits(postal), _text(line2)[:55]
    )


def _facility_address(facility: FacilityRow) -> x.Address:
    return _address(facility.address_line1, facility.city, facility.state, facility.postal_code)


def billing_address(practice: Practice) -> x.Address:
    """2010AA N3/N4: the practice's own address (set on its setup page, ZIP+4)."""
    if not practice.has_billing_address:
        raise FieldError("BillingProvider.address", f"{practice.name} has no billing address")
    return _address(
        practice.address_line1,
        practice.city,
        practice.state,
        practice.postal_code,
        practice.address_line2,
    )


def _provider_name(provider: ProviderRow) -> x.Name:
    if provider.kind == ProviderKind.ORGANIZATION:
        return _text(provider.name)[:60]
    if provider.last_name:
        return x.PersonName(_text(provider.last_name), _text(provider.first_name))
    words = _text(re.sub(r"^(Dr\.?)\s+", "", provider.name)).split()
    if len(words) == 1:
        return x.PersonName(words[0])
    return x.PersonName(words[-1], " ".join(words[:-1])[:35])


def _taxonomy(provider: ProviderRow) -> str:
    return provider.taxonomy if provider.taxonomy and codes.is_taxonomy(provider.taxonomy) else ""


def _person(first: str, last: str) -> x.PersonName:
    return x.PersonName(_text(last)[:60] or "UNKNOWN", _text(first)[:35])


def _relationship(code: str) -> x.Relationship:
    known = {r.value for r in x.Relationship}
    return x.Relationship(code) if code in known else x.Relationship.OTHER


def _patient_address(patient: Patient) -> x.Address:
    return _address(
        patient.address_line1,
        patient.city,
        patient.state,
        patient.postal_code,
        patient.address_line2,
    )


def _subscriber_name(coverage: Coverage, patient: Patient) -> x.PersonName:
    if coverage.relationship == "18" or not coverage.subscriber_last_name:
        return _person(patient.first_name, patient.last_name)
    return _person(coverage.subscriber_first_name, coverage.subscriber_last_name)


def payer_837(payer: PayerRow) -> x.Payer:
    return x.Payer(_text(payer.name)[:60], payer.payer_id)


def _filing(payer: PayerRow) -> str:
    return FILING_INDICATOR.get(PayerKind(payer.kind), "CI")


def claim_837(bundle: ClaimBundle) -> x.Claim:
    """One claim as the writer's `Claim`."""
    claim = bundle.claim
    try:
        return _claim_837(bundle)
    except FieldError as exc:
        raise MappingError(f"claim {claim.number}: {exc}") from exc


def _claim_837(bundle: ClaimBundle) -> x.Claim:
    claim = bundle.claim
    encounter = claim.encounter
    patient = claim.patient
    coverage = claim.coverage
    practice = claim.practice
    billing = encounter.billing_provider
    responsibility = RESPONSIBILITY.get(claim.responsibility, x.Responsibility.PRIMARY)
    is_self = coverage.relationship == "18"
    medicare_secondary = (
        claim.payer.kind == PayerKind.MEDICARE and responsibility is not x.Responsibility.PRIMARY
    )
    subscriber = x.Subscriber(
        member_id=coverage.member_id,
        name=_subscriber_name(coverage, patient),
        birth_date=patient.date_of_birth if is_self else coverage.subscriber_date_of_birth,
        sex=x.Sex(patient.sex if is_self else (coverage.subscriber_sex or "U")),
        address=_patient_address(patient) if is_self else None,
        responsibility=responsibility,
        group_number=coverage.group_number,
        claim_filing_indicator=_filing(claim.payer),
        insurance_type="47" if medicare_secondary else "",
    )
    x_patient = None
    if not is_self:
        x_patient = x.Patient(
            _person(patient.first_name, patient.last_name),
            patient.date_of_birth,
            x.Sex(patient.sex),
            _patient_address(patient),
            _relationship(coverage.relationship),
        )
    billing_provider = x.BillingProvider(
        _provider_name(billing),
        billing.npi,
        _digits(practice.tax_id),
        billing_address(practice),
        taxonomy=_taxonomy(billing),
    )
    rendering = None
    if encounter.rendering_provider_id != encounter.billing_provider_id:
        rendering_row = encounter.rendering_provider
        rendering = x.RenderingProvider(
            _provider_name(rendering_row), rendering_row.npi, _taxonomy(rendering_row)
        )
    facility = None
    row = encounter.facility
    # 2310C only where the service was somewhere else than the billing address.
    if row is not None and _facility_address(row) != billing_provider.address:
        facility = x.ServiceFacility(
            _text(row.name)[:60], _facility_address(row), row.npi if row.npi else ""
        )
    lines = tuple(
        x.ServiceLine(
            procedure_code=line.procedure_code,
            charge=Decimal(line.charge).quantize(Decimal("0.01")),
            units=Decimal(line.units).normalize(),
            service_date=line.date_of_service,
            diagnosis_pointers=tuple(int(p) for p in line.diagnosis_pointers),
            modifiers=tuple(line.modifiers),
            line_control_number=f"{claim.number}-{line.line_number}"[:50],
        )
        for line in bundle.lines
    )
    others = tuple(
        x.OtherSubscriber(
            payer=payer_837(other.payer),
            member_id=other.member_id,
            name=_subscriber_name(other, patient),
            responsibility=RESPONSIBILITY[other.cob_order],
            relationship=_relationship(other.relationship),
            group_number=other.group_number,
            claim_filing_indicator=_filing(other.payer),
        )
        for other in bundle.other_coverages
        if other.cob_order < claim.responsibility and other.cob_order in RESPONSIBILITY
    )
    return x.Claim(
        patient_control_number=claim.number,
        billing_provider=billing_provider,
        subscriber=subscriber,
        payer=payer_837(claim.payer),
        diagnoses=tuple(claim.billed_diagnoses),
        lines=lines,
        total_charge=Decimal(claim.total_charge).quantize(Decimal("0.01")),
        place_of_service=encounter.place_of_service,
        patient=x_patient,
        rendering_provider=rendering,
        service_facility=facility,
        other_subscribers=others,
        frequency=x.ClaimFrequency(claim.frequency),
        # A replacement or void names the payer's number for the claim it corrects (REF*F8);
        # the writer refuses one without it.
        payer_claim_control_number=_corrected_number(claim),
    )


def _corrected_number(claim: Claim) -> str:
    if claim.frequency == x.ClaimFrequency.ORIGINAL or claim.replaces_id is None:
        return ""
    return claim.replaces.payer_claim_number if claim.replaces is not None else ""


def _usage() -> Usage:
    return Usage.PRODUCTION if getattr(settings, "BUREAU_X12_PRODUCTION", False) else Usage.TEST


def submitter_837(workspace: Workspace) -> x.Submitter:
    email = getattr(settings, "BUREAU_EDI_CONTACT_EMAIL", "") or f"edi@{workspace.slug}.example"
    return x.Submitter(_text(workspace.name)[:60], sender_id(workspace), "EDI DESK", email=email)


def interchange_837(
    *,
    workspace: Workspace,
    route: str,
    bundles: Sequence[ClaimBundle],
    control_number: int,
    created_at: datetime,
) -> x.Interchange837:
    """One file: ISA/GS/ST numbered with `control_number`, the claims in one transaction."""
    envelope = Envelope(
        sender=Party(sender_id(workspace)),
        receiver=Party(receiver_id(route)),
        interchange_control_number=control_number,
        group_control_number=control_number,
        created_at=created_at,
        usage=_usage(),
    )
    receiver = x.Receiver(ROUTE_NAMES.get(route, route.upper()), receiver_id(route))
    try:
        transaction = x.Transaction837(
            control_number=control_number, claims=tuple(claim_837(b) for b in bundles)
        )
        return x.Interchange837(envelope, submitter_837(workspace), receiver, (transaction,))
    except FieldError as exc:
        raise MappingError(str(exc)) from exc
