"""The 837P (005010X222A1) writer: typed claims in, one interchange of text out.

Layout of each transaction set (loops named as in the guide):

    ST BHT  1000A submitter (NM1*41, PER)  1000B receiver (NM1*40)
    2000A HL*n**20*1   billing provider (PRV, 2010AA NM1*85 N3 N4 REF; 2010AB pay-to)
      2000B HL*n*a*22*0|1   subscriber (SBR, 2010BA NM1*IL…, 2010BB NM1*PR)
        2300 CLM …      claims of a subscriber who is the patient
        2000C HL*n*b*23*0  patient (PAT, 2010CA NM1*QC …)
          2300 CLM …    claims of a dependent
    SE

Claims are grouped in the order they first appear: by billing provider (and pay-to address),
then by subscriber and payer, then by patient. HL04 says whether a level has children.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import date

from bureau.x12.claim837 import (
    Address,
    BillingProvider,
    Claim,
    Interchange837,
    Name,
    OtherSubscriber,
    Patient,
    Payer,
    PayToProvider,
    PersonName,
    Relationship,
    RenderingProvider,
    ServiceFacility,
    ServiceLine,
    Subscriber,
    Transaction837,
)
from bureau.x12.codes import icd10_without_dot
from bureau.x12.envelope import SegmentWriter
from bureau.x12.values import format_amount, format_date, format_quantity, format_time

VERSION = "005010X222A1"
CLAIMS_PER_HL = 100  # loop 2300 repeats at most 100 times under one HL

_ProviderKey = tuple[BillingProvider, PayToProvider | None]
_SubscriberKey = tuple[Subscriber, Payer, bool]  # bool: the subscriber is the patient
_Groups = dict[_ProviderKey, dict[_SubscriberKey, dict[Patient | None, list[Claim]]]]


def write_837p(interchange: Interchange837, *, line_break: bool = False) -> str:
    """The whole interchange as text. `line_break` puts a newline after each segment
    terminator, for people reading the file; receivers accept either."""
    w = SegmentWriter(interchange.envelope, line_break=line_break)
    w.open_interchange()
    w.open_group("HC", VERSION)
    for transaction in interchange.transactions:
        _transaction(w, interchange, transaction)
    w.close_group()
    w.close_interchange()
    return w.text()


def _transaction(w: SegmentWriter, interchange: Interchange837, tx: Transaction837) -> None:
    created = interchange.envelope.created_at
    w.open_transaction("837", tx.control_number, VERSION)
    reference = tx.reference or f"{tx.control_number:04d}"
    w.segment("BHT", "0019", "00", reference, format_date(created), format_time(created), "CH")
    submitter = interchange.submitter
    _nm1(w, "41", submitter.name, "46", submitter.id)
    contact: list[str] = ["IC", submitter.contact_name]
    if submitter.phone:
        contact += ["TE", submitter.phone]
    if submitter.email:
        contact += ["EM", submitter.email]
    w.segment("PER", *contact)
    _nm1(w, "40", interchange.receiver.name, "46", interchange.receiver.id)
    _hierarchy(w, _group(tx.claims))
    w.close_transaction()


def _group(claims: Sequence[Claim]) -> _Groups:
    groups: _Groups = {}
    for claim in claims:
        by_subscriber = groups.setdefault((claim.billing_provider, claim.pay_to), {})
        key = (claim.subscriber, claim.payer, claim.patient is None)
        by_subscriber.setdefault(key, {}).setdefault(claim.patient, []).append(claim)
    return groups


def _chunks(claims: list[Claim]) -> Iterator[list[Claim]]:
    for start in range(0, len(claims), CLAIMS_PER_HL):
        yield claims[start : start + CLAIMS_PER_HL]


def _hierarchy(w: SegmentWriter, groups: _Groups) -> None:
    hl = 0
    for (provider, pay_to), subscribers in groups.items():
        hl += 1
        provider_hl = str(hl)
        w.segment("HL", provider_hl, "", "20", "1")
        _billing_provider(w, provider, pay_to)
        for (subscriber, payer, is_patient), patients in subscribers.items():
            if is_patient:
                # A subscriber who is the patient: claims hang directly off 2000B.
                for chunk in _chunks(patients[None]):
                    hl += 1
                    w.segment("HL", str(hl), provider_hl, "22", "0")
                    _subscriber(w, subscriber, payer, is_patient=True)
                    for claim in chunk:
                        _claim(w, claim)
                continue
            hl += 1
            subscriber_hl = str(hl)
            w.segment("HL", subscriber_hl, provider_hl, "22", "1")
            _subscriber(w, subscriber, payer, is_patient=False)
            for patient, claims in patients.items():
                assert patient is not None  # grouped under is_patient=False
                for chunk in _chunks(claims):
                    hl += 1
                    w.segment("HL", str(hl), subscriber_hl, "23", "0")
                    _patient(w, patient)
                    for claim in chunk:
                        _claim(w, claim)


# Names and places ----------------------------------------------------------------------


def _nm1(w: SegmentWriter, entity: str, name: Name, id_qualifier: str = "", id: str = "") -> None:
    if isinstance(name, PersonName):
        w.segment(
            "NM1", entity, "1", name.last, name.first, name.middle, "", name.suffix,
            id_qualifier, id,
        )  # fmt: skip
    else:
        w.segment("NM1", entity, "2", name, "", "", "", "", id_qualifier, id)


def _address(w: SegmentWriter, address: Address) -> None:
    w.segment("N3", address.line1, address.line2)
    w.segment("N4", address.city, address.state, address.postal_code)


def _dmg(w: SegmentWriter, birth_date: date, sex: str) -> None:
    w.segment("DMG", "D8", format_date(birth_date), sex)


def _billing_provider(w: SegmentWriter, bp: BillingProvider, pay_to: PayToProvider | None) -> None:
    if bp.taxonomy:
        w.segment("PRV", "BI", "PXC", bp.taxonomy)
    _nm1(w, "85", bp.name, "XX", bp.npi)
    _address(w, bp.address)
    w.segment("REF", bp.tax_id_type.value, bp.tax_id)
    if pay_to is not None:
        w.segment("NM1", "87", "1" if pay_to.is_person else "2")
        _address(w, pay_to.address)


def _subscriber(w: SegmentWriter, sub: Subscriber, payer: Payer, *, is_patient: bool) -> None:
    w.segment(
        "SBR",
        sub.responsibility.value,
        Relationship.SELF.value if is_patient else "",
        sub.group_number,
        sub.group_name,
        sub.insurance_type,
        "",
        "",
        "",
        sub.claim_filing_indicator,
    )
    _nm1(w, "IL", sub.name, "MI", sub.member_id)
    if sub.address is not None:
        _address(w, sub.address)
    if sub.birth_date is not None and sub.sex is not None:
        _dmg(w, sub.birth_date, sub.sex.value)
    _payer(w, payer)


def _payer(w: SegmentWriter, payer: Payer) -> None:
    w.segment("NM1", "PR", "2", payer.name, "", "", "", "", "PI", payer.payer_id)
    if payer.address is not None:
        _address(w, payer.address)


def _patient(w: SegmentWriter, patient: Patient) -> None:
    w.segment("PAT", patient.relationship.value)
    _nm1(w, "QC", patient.name)
    _address(w, patient.address)
    _dmg(w, patient.birth_date, patient.sex.value)


def _rendering(w: SegmentWriter, provider: RenderingProvider) -> None:
    _nm1(w, "82", provider.name, "XX", provider.npi)
    if provider.taxonomy:
        w.segment("PRV", "PE", "PXC", provider.taxonomy)


def _facility(w: SegmentWriter, facility: ServiceFacility) -> None:
    if facility.npi:
        w.segment("NM1", "77", "2", facility.name, "", "", "", "", "XX", facility.npi)
    else:
        w.segment("NM1", "77", "2", facility.name)
    _address(w, facility.address)


# The claim -----------------------------------------------------------------------------


def _claim(w: SegmentWriter, claim: Claim) -> None:
    w.segment(
        "CLM",
        claim.patient_control_number,
        format_amount(claim.total_charge),
        "",
        "",
        (claim.place_of_service, "B", claim.frequency.value),
        "Y" if claim.provider_signature else "N",
        claim.assignment.value,
        claim.benefits_assignment.value,
        claim.release_of_information.value,
    )
    if claim.onset_date is not None:
        w.segment("DTP", "431", "D8", format_date(claim.onset_date))
    if claim.prior_authorization:
        w.segment("REF", "G1", claim.prior_authorization)
    if claim.payer_claim_control_number:
        w.segment("REF", "F8", claim.payer_claim_control_number)
    _diagnoses(w, claim.diagnoses)
    if claim.rendering_provider is not None:
        _rendering(w, claim.rendering_provider)
    if claim.service_facility is not None:
        _facility(w, claim.service_facility)
    for other in claim.other_subscribers:
        _other_subscriber(w, claim, other)
    for number, line in enumerate(claim.lines, 1):
        _line(w, claim, number, line)


def _diagnoses(w: SegmentWriter, diagnoses: Sequence[str]) -> None:
    # ABK: principal ICD-10-CM diagnosis; ABF: the others.
    elements = [("ABK", icd10_without_dot(diagnoses[0]))]
    elements += [("ABF", icd10_without_dot(code)) for code in diagnoses[1:]]
    w.segment("HI", *elements)


def _other_subscriber(w: SegmentWriter, claim: Claim, other: OtherSubscriber) -> None:
    w.segment(
        "SBR",
        other.responsibility.value,
        other.relationship.value,
        other.group_number,
        "",
        other.insurance_type,
        "",
        "",
        "",
        other.claim_filing_indicator,
    )
    groups: dict[str, list[str]] = {}
    for adjustment in other.adjustments:
        triple = [adjustment.reason, format_amount(adjustment.amount), ""]
        groups.setdefault(adjustment.group.value, []).extend(triple)
    for group, triples in groups.items():
        w.segment("CAS", group, *triples)
    if other.paid_amount is not None:
        w.segment("AMT", "D", format_amount(other.paid_amount))
    w.segment(
        "OI", "", "", claim.benefits_assignment.value, "", "", claim.release_of_information.value
    )
    _nm1(w, "IL", other.name, "MI", other.member_id)
    _payer(w, other.payer)
    if other.adjudication_date is not None:
        w.segment("DTP", "573", "D8", format_date(other.adjudication_date))


def _line(w: SegmentWriter, claim: Claim, number: int, line: ServiceLine) -> None:
    w.segment("LX", str(number))
    pos = line.place_of_service
    w.segment(
        "SV1",
        ("HC", line.procedure_code, *line.modifiers),
        format_amount(line.charge),
        line.unit_basis,
        format_quantity(line.units),
        # SV105 only when the line's place differs from CLM05-1; otherwise not sent.
        pos if pos != claim.place_of_service else "",
        "",
        tuple(str(p) for p in line.diagnosis_pointers),
    )
    if line.service_date_end is None or line.service_date_end == line.service_date:
        w.segment("DTP", "472", "D8", format_date(line.service_date))
    else:
        period = f"{format_date(line.service_date)}-{format_date(line.service_date_end)}"
        w.segment("DTP", "472", "RD8", period)
    if line.line_control_number:
        w.segment("REF", "6R", line.line_control_number)
    if line.rendering_provider is not None:
        _rendering(w, line.rendering_provider)
