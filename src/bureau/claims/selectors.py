"""Scoped reads of claims. Every read that shows PHI writes its audit event here."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any, Protocol

from django.db.models import Exists, OuterRef, Q, QuerySet
from django.http import Http404

from bureau.audit.listing import Page, audited_page
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record, audit_record_per_practice
from bureau.claims.models import (
    AckKind,
    Acknowledgement,
    Claim,
    ClaimEvent,
    ClaimLine,
    ClaimState,
    ScrubHit,
)
from bureau.patients.models import Patient
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.links import record_url

PAGE_SIZE = 50
SORTS = {
    "date": ("-date_of_service", "-id"),  # the claim's own copy: an index (Claim.Meta)
    "number": ("number", "id"),
    "charge": ("-total_charge", "-id"),
    "state": ("state", "-id"),
    "practice": ("practice__name", "number", "id"),
}


@dataclass(frozen=True)
class ClaimFilters:
    practice_id: int | None = None
    payer_id: int | None = None
    state: str = ""
    rendering_provider_id: int | None = None
    dos_from: date | None = None
    dos_to: date | None = None
    # Claim number, or patient name / account # where the actor may see demographics.
    search: str = ""


SEARCH_MAX = 60
SEARCH_TERMS = 3


@dataclass(frozen=True)
class ClaimRow:
    public_id: str
    practice_name: str
    number: str
    patient_account: str
    patient_name: str
    masked: bool
    payer_name: str
    date_of_service: date
    total_charge: Decimal
    state: str
    state_label: str
    rendering_provider: str
    rejection: str = ""  # the payer's or clearinghouse's words, for a rejected claim
    href: str = ""  # the claim's page


ClaimPage = Page[ClaimRow]

# What a list row reads (`_listed_row`, `rejection_reasons`): a page fetches these values only,
# not five model instances per row. Every column more also rides through the database's sort of
# the whole list.
ROW_VALUES = (
    "pk",
    "public_id",
    "practice_id",
    "number",
    "state",
    "total_charge",
    "batch_id",
    "frequency",
    "replaces_id",
    "payer_claim_number",
    "diagnosis_codes",
    "patient__practice_id",
    "patient__account_number",
    "patient__first_name",
    "patient__last_name",
    "payer__name",
    "encounter__date_of_service",
    "encounter__rendering_provider__name",
)


def patient_label(actor: Actor, patient: Patient) -> tuple[str, bool]:
    """The patient's name as this actor may see it: initials only without demographics."""
    return _name_shown(actor, patient.practice_id, patient.first_name, patient.last_name)


def _name_shown(actor: Actor, practice_id: int, first: str, last: str) -> tuple[str, bool]:
    if actor.can(Capability.PATIENTS_DEMOGRAPHICS, practice_id):
        return f"{last}, {first}", False
    return f"{first[:1]}. {last[:1]}.", True


def _row(actor: Actor, claim: Claim, rejection: str = "") -> ClaimRow:
    name, masked = patient_label(actor, claim.patient)
    return ClaimRow(
        public_id=str(claim.public_id),
        practice_name=actor.access[claim.practice_id].practice.name,
        number=claim.number,
        patient_account=claim.patient.account_number,
        patient_name=name,
        masked=masked,
        payer_name=claim.payer.name,
        date_of_service=claim.encounter.date_of_service,
        total_charge=claim.total_charge,
        state=claim.state,
        state_label=ClaimState(claim.state).label,
        rendering_provider=claim.encounter.rendering_provider.name,
        rejection=rejection,
        href=record_url(claim.public_id, "claims:detail"),
    )


def _listed_row(actor: Actor, c: Any, rejection: str = "") -> ClaimRow:
    """`_row` from a list's ROW_VALUES (a named row): the same row, a test holds them equal."""
    name, masked = _name_shown(
        actor, c.patient__practice_id, c.patient__first_name, c.patient__last_name
    )
    return ClaimRow(
        public_id=str(c.public_id),
        practice_name=actor.access[c.practice_id].practice.name,
        number=c.number,
        patient_account=c.patient__account_number,
        patient_name=name,
        masked=masked,
        payer_name=c.payer__name,
        date_of_service=c.encounter__date_of_service,
        total_charge=c.total_charge,
        state=c.state,
        state_label=ClaimState(c.state).label,
        rendering_provider=c.encounter__rendering_provider__name,
        rejection=rejection,
        href=record_url(c.public_id, "claims:detail"),
    )


def _ack_reason(status_code: str, message: str) -> str:
    return f"{message} ({status_code})" if message and status_code else message or status_code


class _Rejectable(Protocol):
    pk: Any
    state: str
    batch_id: int | None


def rejection_reasons(actor: Actor, claims: Sequence[_Rejectable]) -> dict[int, str]:
    """Why each rejected claim on the page was rejected, in the payer's or clearinghouse's
    words: the latest of its rejecting 277CA lines and its batch's rejecting 999. One query."""
    rejected = [c for c in claims if c.state == ClaimState.REJECTED]
    if not rejected:
        return {}
    batch_ids = {c.batch_id for c in rejected if c.batch_id is not None}
    acks = (
        Acknowledgement.objects.visible_to(actor, Capability.CLAIMS_VIEW)
        .filter(accepted=False)
        .filter(
            Q(claim_id__in=[c.pk for c in rejected]) | Q(claim__isnull=True, batch_id__in=batch_ids)
        )
        .order_by("received_at", "id")
        .values_list("claim_id", "batch_id", "status_code", "message")
    )
    # Rows arrive oldest first, so each dict ends holding the latest word; a claim gets its own
    # 277CA line or its batch's 999, whichever came later.
    by_claim: dict[int, tuple[int, str]] = {}
    by_batch: dict[int, tuple[int, str]] = {}
    for order, (claim_id, batch_id, status_code, message) in enumerate(acks):
        if claim_id is not None:
            by_claim[claim_id] = (order, _ack_reason(status_code, message))
        elif batch_id is not None:
            by_batch[batch_id] = (order, _ack_reason(status_code, message))
    none = (-1, "")
    return {
        c.pk: max(by_claim.get(c.pk, none), by_batch.get(c.batch_id or 0, none))[1]
        for c in rejected
    }


def _filtered(qs: QuerySet[Claim], filters: ClaimFilters) -> QuerySet[Claim]:
    if filters.practice_id is not None:
        qs = qs.filter(practice_id=filters.practice_id)
    if filters.payer_id is not None:
        qs = qs.filter(payer_id=filters.payer_id)
    if filters.state:
        qs = qs.filter(state=filters.state)
    if filters.rendering_provider_id is not None:
        qs = qs.filter(encounter__rendering_provider_id=filters.rendering_provider_id)
    if filters.dos_from is not None:
        qs = qs.filter(encounter__date_of_service__gte=filters.dos_from)
    if filters.dos_to is not None:
        qs = qs.filter(encounter__date_of_service__lte=filters.dos_to)
    return qs


def _searched(qs: QuerySet[Claim], actor: Actor, text: str) -> QuerySet[Claim]:
    """Claims whose number contains `text`, or whose patient matches every word of it by name
    or account number — the latter only in practices where the actor sees demographics, so a
    masked search cannot learn whose claim is whose."""
    text = text.strip()[:SEARCH_MAX]
    if not text:
        return qs
    match = Q(number__icontains=text)
    unmasked = actor.practice_ids(Capability.PATIENTS_DEMOGRAPHICS)
    terms = [t for t in re.split(r"[,\s]+", text) if t][:SEARCH_TERMS]
    if unmasked and terms:
        by_patient = Q(practice_id__in=unmasked)
        for term in terms:
            by_patient &= (
                Q(patient__last_name__icontains=term)
                | Q(patient__first_name__icontains=term)
                | Q(patient__account_number__iexact=term)
            )
        match |= by_patient
    return qs.filter(match)


def claim_list(
    *,
    actor: Actor,
    filters: ClaimFilters | None = None,
    sort: str = "date",
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> ClaimPage:
    """One page of claims across every practice where the actor holds `claims.view`."""
    qs: QuerySet[Claim] = Claim.objects.visible_to(actor, Capability.CLAIMS_VIEW)
    filters = filters or ClaimFilters()
    qs = _searched(_filtered(qs, filters), actor, filters.search)
    if sort not in SORTS:
        sort = "date"
    claims = audited_page(
        qs.order_by(*SORTS[sort]),
        page=page,
        page_size=page_size,
        actor=actor,
        action=AuditAction.CLAIM_LISTED,
        model="claims.Claim",
        # The page's rows as named values; the count stays a plain count of claims (values of
        # related rows would join their tables into it).
        read=lambda shown: shown.values_list(*ROW_VALUES, named=True),
    )
    reasons = rejection_reasons(actor, claims.rows)
    return claims.shown_as(lambda c: _listed_row(actor, c, reasons.get(c.pk, "")), sort=sort)


@dataclass(frozen=True)
class ClaimDetail:
    claim: Claim
    row: ClaimRow
    diagnosis_codes: list[str]
    lines: list[Any]
    scrub_hits: list[Any]
    history: list[Any]
    billing_provider: str
    place_of_service: str
    can_edit: bool
    extra: dict[str, Any] = field(default_factory=dict)


def encounter_claim_ids(*, actor: Actor, encounter_id: int) -> list[Any]:
    """The public ids of an encounter's claims, primary first (no PHI: ids only)."""
    return list(
        Claim.objects.visible_to(actor, Capability.CLAIMS_VIEW)
        .filter(encounter_id=encounter_id)
        .order_by("responsibility")
        .values_list("public_id", flat=True)
    )


def claim_get(*, actor: Actor, public_id: Any, capability: Capability) -> Claim:
    """The claim, if the actor holds `capability` on its practice; otherwise 404."""
    claim: Claim | None = (
        Claim.objects.visible_to(actor, capability)
        .filter(public_id=public_id)
        .select_related(
            "patient",
            "payer",
            "coverage",
            "encounter",
            "encounter__rendering_provider",
            "encounter__billing_provider",
        )
        .first()
    )
    if claim is None:
        raise Http404
    return claim


# What the claim page reads of the claim and its encounter (`claim_detail`, `_row`, the view,
# its template, `claim_money`): a hundred columns of six tables cost more to compile than the
# rest of the page's queries together.
DETAIL_FIELDS = (
    "public_id",
    "practice_id",
    "number",
    "state",
    "responsibility",
    "total_charge",
    "batch_id",
    "frequency",
    "replaces_id",
    "payer_claim_number",
    "diagnosis_codes",
    "patient__practice_id",
    "patient__account_number",
    "patient__first_name",
    "patient__last_name",
    "payer__name",
    "encounter__date_of_service",
    "encounter__diagnosis_codes",
    "encounter__place_of_service",
    "encounter__rendering_provider__name",
    "encounter__billing_provider__name",
)


def claim_detail(*, actor: Actor, public_id: Any) -> ClaimDetail:
    claim: Claim | None = (
        Claim.objects.visible_to(actor, Capability.CLAIMS_VIEW)
        .filter(public_id=public_id)
        .select_related(
            "patient",
            "payer",
            "encounter",
            "encounter__rendering_provider",
            "encounter__billing_provider",
        )
        .only(*DETAIL_FIELDS)
        # Whether a replacement or void names it (the page's corrections panel reads them then).
        .annotate(corrected=Exists(Claim.objects.filter(replaces_id=OuterRef("pk"))))
        .first()
    )
    if claim is None:
        raise Http404
    view = Capability.CLAIMS_VIEW
    lines = list(
        ClaimLine.objects.visible_to(actor, view).filter(claim=claim).order_by("line_number")
    )
    hits = list(
        ScrubHit.objects.visible_to(actor, view)
        .filter(claim=claim, is_current=True)
        .order_by("severity", "line_number")
    )
    history = list(
        ClaimEvent.objects.visible_to(actor, view)
        .filter(claim=claim)
        .select_related("user")
        .order_by("occurred_at", "id")
    )
    audit_record(
        action=AuditAction.CLAIM_VIEWED,
        actor=actor,
        practice=actor.access[claim.practice_id].practice,
        model="claims.Claim",
        record_ids=[claim.public_id],
    )
    return ClaimDetail(
        claim=claim,
        row=_row(actor, claim, rejection_reasons(actor, [claim]).get(claim.pk, "")),
        diagnosis_codes=claim.billed_diagnoses,
        lines=lines,
        scrub_hits=hits,
        history=history,
        billing_provider=claim.encounter.billing_provider.name,
        place_of_service=claim.encounter.place_of_service,
        can_edit=actor.can(Capability.CLAIMS_EDIT, claim.practice_id),
    )


def patient_for_encounter(*, actor: Actor, practice_id: int, account_number: str) -> Any:
    """The patient with this account number in the practice, where the actor may enter
    claims; None when there is none (or it is not visible)."""
    return (
        Patient.objects.visible_to(actor, Capability.CLAIMS_EDIT)
        .filter(practice_id=practice_id, account_number__iexact=account_number.strip())
        .first()
    )


UNMATCHED_ACKS_SHOWN = 50


def unmatched_acknowledgement_list(
    *, actor: Actor, practice_id: int | None = None, limit: int = UNMATCHED_ACKS_SHOWN
) -> list[Acknowledgement]:
    """277CA rejections of a whole batch or provider (HL 20/21/19) that matched no batch or
    claim of ours, newest first: staff must chase them, or claims would sit submitted. They
    carry codes, the batch trace and the level's NPI; but the file's name may quote a patient,
    so showing them is an audited read (one event per practice), as the quarantine list is."""
    qs = Acknowledgement.objects.visible_to(actor, Capability.CLAIMS_VIEW).filter(
        kind=AckKind.CLAIM, accepted=False, batch__isnull=True, claim__isnull=True
    )
    if practice_id is not None:
        qs = qs.filter(practice_id=practice_id)
    rows = list(qs.select_related("practice").order_by("-received_at", "-id")[:limit])
    audit_record_per_practice(
        action=AuditAction.UNMATCHED_ACKS_LISTED,
        actor=actor,
        model="claims.Acknowledgement",
        records=[(row.practice_id, row.public_id) for row in rows],
    )
    return rows
