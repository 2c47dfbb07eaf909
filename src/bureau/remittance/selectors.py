"""Scoped reads of ERAs and a claim's money (the exception queue reads in `exception_queue`).
Every PHI read writes its audit event here; every list reads a constant number of queries
whatever its length."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from bureau.audit.listing import Page, audited_page
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.models import Claim
from bureau.ledger.selectors import reading_capability
from bureau.remittance.models import (
    Era,
    EraClaim,
    EraException,
    EraLine,
    ProviderAdjustmentEntry,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.x12 import adjustment_codes

PAGE_SIZE = 50
ZERO = Decimal("0.00")


def carc_description(code: str) -> str:
    """The CARC's published text ("" for a code the table does not know)."""
    return adjustment_codes.carc_description(code) if code else ""


# -- ERAs --------------------------------------------------------------------------------------
@dataclass(frozen=True)
class EraFilters:
    practice_id: int | None = None
    payer_name: str = ""
    status: str = ""


@dataclass(frozen=True)
class EraRow:
    public_id: str
    practice_name: str
    practice_public_id: str
    payer_name: str
    trace_number: str
    payment_method: str
    payment_date: date
    payment_amount: Decimal
    claim_count: int
    posted_count: int
    exception_count: int
    status: str
    status_label: str


def _era_row(actor: Actor, era: Era) -> EraRow:
    return EraRow(
        public_id=str(era.public_id),
        practice_name=actor.access[era.practice_id].practice.name,
        practice_public_id=str(actor.access[era.practice_id].practice.public_id),
        payer_name=era.payer_name,
        trace_number=era.trace_number,
        payment_method=era.payment_method,
        payment_date=era.payment_date,
        payment_amount=era.payment_amount,
        claim_count=era.claim_count,
        posted_count=era.posted_count,
        exception_count=era.exception_count,
        status=era.status,
        status_label=era.get_status_display(),
    )


def era_payer_names(*, actor: Actor) -> list[str]:
    """The payer names on the ERAs the actor may see, for the payer filter."""
    return sorted(
        set(
            Era.objects.visible_to(actor, Capability.PAYMENTS_VIEW)
            .order_by()
            .values_list("payer_name", flat=True)
            .distinct()
        )
    )


def era_list(
    *, actor: Actor, filters: EraFilters | None = None, page: int = 1, page_size: int = PAGE_SIZE
) -> Page[EraRow]:
    """One page of ERAs across every practice where the actor holds `payments.view`."""
    filters = filters or EraFilters()
    qs: QuerySet[Era] = Era.objects.visible_to(actor, Capability.PAYMENTS_VIEW).defer("content")
    if filters.practice_id is not None:
        qs = qs.filter(practice_id=filters.practice_id)
    if filters.payer_name:
        qs = qs.filter(payer_name=filters.payer_name)
    if filters.status:
        qs = qs.filter(status=filters.status)
    eras = audited_page(
        qs.order_by("-payment_date", "-id"),
        page=page,
        page_size=page_size,
        actor=actor,
        action=AuditAction.ERA_LISTED,
        model="remittance.Era",
    )
    return eras.shown_as(lambda e: _era_row(actor, e))


def era_get(*, actor: Actor, public_id: Any, capability: Capability, full: bool = False) -> Era:
    qs = Era.objects.visible_to(actor, capability).filter(public_id=public_id)
    era: Era | None = (qs if full else qs.defer("content")).first()
    if era is None:
        raise Http404
    return era


@dataclass(frozen=True)
class AdjustmentView:
    group: str
    reason: str
    amount: Decimal
    description: str


@dataclass(frozen=True)
class EraLineView:
    line: EraLine
    adjustments: list[AdjustmentView]


@dataclass(frozen=True)
class EraClaimView:
    era_claim: EraClaim
    claim_public_id: str | None
    claim_number: str
    outcome_label: str
    adjustments: list[AdjustmentView]
    lines: list[EraLineView] = field(default_factory=list)


@dataclass(frozen=True)
class EraDetail:
    era: Era
    row: EraRow
    claims: list[EraClaimView]
    provider_adjustments: list[ProviderAdjustmentEntry]
    exceptions: list[EraException]
    can_post: bool
    balancing_problems: list[str] = field(default_factory=list)


def _problems_shown(actor: Actor, era: Era, claims: list[EraClaim]) -> list[str]:
    """The file's balancing problems; for a grant limited to some providers only those about
    the claim loops it may see (the others name other providers' claims and amounts)."""
    if not actor.provider_limited(era.practice_id, Capability.PAYMENTS_VIEW):
        return list(era.balancing_problems or [])
    mine = tuple(f"claim {ec.patient_control_number} " for ec in claims)
    return [p for p in era.balancing_problems or [] if str(p).startswith(mine)]


def _adjustments(raw: Any) -> list[AdjustmentView]:
    views = []
    for adj in raw or []:
        reason = str(adj.get("reason", ""))
        views.append(
            AdjustmentView(
                group=str(adj.get("group", "")),
                reason=reason,
                amount=Decimal(str(adj.get("amount", "0"))),
                description=carc_description(reason),
            )
        )
    return views


def era_detail(*, actor: Actor, public_id: Any) -> EraDetail:
    """The ERA with its claims, lines, PLB entries and exceptions: six queries and the audit."""
    view = Capability.PAYMENTS_VIEW
    era = era_get(actor=actor, public_id=public_id, capability=view)
    era_claims = list(
        EraClaim.objects.visible_to(actor, view)
        .filter(era=era)
        .select_related("claim")
        .order_by("id")
    )
    lines_by_claim: dict[int, list[EraLineView]] = {}
    for line in EraLine.objects.visible_to(actor, view).filter(era_claim__era=era).order_by("id"):
        lines_by_claim.setdefault(line.era_claim_id, []).append(
            EraLineView(line=line, adjustments=_adjustments(line.adjustments))
        )
    claims = [
        EraClaimView(
            era_claim=ec,
            claim_public_id=str(ec.claim.public_id) if ec.claim else None,
            claim_number=ec.claim.number if ec.claim else "",
            outcome_label=ec.get_outcome_display(),
            adjustments=_adjustments(ec.adjustments),
            lines=lines_by_claim.get(ec.pk, []),
        )
        for ec in era_claims
    ]
    plb = list(ProviderAdjustmentEntry.objects.visible_to(actor, view).filter(era=era))
    exceptions = list(
        EraException.objects.visible_to(actor, view).filter(era=era).select_related("claim")
    )
    audit_record(
        action=AuditAction.ERA_VIEWED,
        actor=actor,
        practice=actor.access[era.practice_id].practice,
        model="remittance.Era",
        record_ids=[era.public_id],
    )
    return EraDetail(
        era=era,
        row=_era_row(actor, era),
        claims=claims,
        provider_adjustments=plb,
        exceptions=exceptions,
        can_post=actor.can(Capability.PAYMENTS_POST, era.practice_id),
        balancing_problems=_problems_shown(actor, era, era_claims),
    )


def era_for_download(*, actor: Actor, public_id: Any) -> Era:
    """The ERA with its raw content; the download is audited here. The file carries every
    provider's patients: a grant limited to some providers gets a 404, as for a foreign ERA."""
    era = era_get(actor=actor, public_id=public_id, capability=Capability.PAYMENTS_VIEW, full=True)
    if actor.provider_limited(era.practice_id, Capability.PAYMENTS_VIEW):
        raise Http404
    audit_record(
        action=AuditAction.ERA_DOWNLOADED,
        actor=actor,
        practice=actor.access[era.practice_id].practice,
        model="remittance.Era",
        record_ids=[era.public_id],
        detail={"file_name": era.file_name},
    )
    return era


# -- a claim's remittances (the claim page's money panel, read by bureau.ledger.selectors) -------
def remittances_for_claim(*, actor: Actor, claim: Claim) -> list[EraClaim]:
    """Every ERA claim loop matched to the claim, oldest payment first. Registered with the
    ledger's `claim_money` at start-up (apps.py), so the claim page needs no import of ours."""
    return list(
        EraClaim.objects.visible_to(actor, reading_capability(actor, claim))
        .filter(claim_id=claim.pk)
        .select_related("era")
        .defer("era__content")
        .order_by("era__payment_date", "id")
    )
