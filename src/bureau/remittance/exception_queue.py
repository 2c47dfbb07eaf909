"""The ERA exception queue: scoped, audited pages of exceptions, oldest payment first, with
what a poster needs to resolve each row in place (the claim a re-keyed CLP01 most likely
meant; for unmatched service lines, the ERA lines to place and the claim's lines to choose)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet, Value
from django.db.models.functions import Replace
from django.http import Http404
from django.utils import timezone

from bureau.audit.listing import Page, audited_page
from bureau.audit.models import AuditAction
from bureau.claims.models import Claim, ClaimLine
from bureau.remittance.matching import bare_number
from bureau.remittance.models import (
    EraException,
    EraLine,
    ExceptionReason,
    ExceptionStatus,
)
from bureau.remittance.selectors import PAGE_SIZE
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability

Choice = tuple[str, str]  # (value, label)
Placement = tuple[str, str, str]  # (ERA line public id, label, likely claim line number or "")


# A policy hold is not a problem with the ERA: the practice asked to review every payment
# before it posts. It gets its own tab and its own figure, apart from the exceptions to fix.
TABS = {"exceptions": "Exceptions", "holds": "Policy holds"}
HOLD_REASONS = frozenset({ExceptionReason.POLICY_HOLD})


@dataclass(frozen=True)
class ExceptionFilters:
    practice_id: int | None = None
    payer_name: str = ""
    reason: str = ""
    status: str = ExceptionStatus.OPEN
    tab: str = "exceptions"


def tab_reasons(tab: str) -> list[tuple[str, str]]:
    """The reasons a tab lists, for its reason filter."""
    holds = tab == "holds"
    return [(v, label) for v, label in ExceptionReason.choices if (v in HOLD_REASONS) == holds]


def _in_tab(qs: QuerySet[EraException], tab: str) -> QuerySet[EraException]:
    if tab == "holds":
        return qs.filter(reason__in=HOLD_REASONS)
    return qs.exclude(reason__in=HOLD_REASONS)


def tab_counts(*, actor: Actor, filters: ExceptionFilters) -> dict[str, int]:
    """Open items per tab, under the list's practice and payer filters (counts, no PHI)."""
    qs = _filtered(EraException.objects.visible_to(actor, Capability.PAYMENTS_VIEW), filters)
    holds = qs.filter(status=ExceptionStatus.OPEN, reason__in=HOLD_REASONS).count()
    others = qs.filter(status=ExceptionStatus.OPEN).exclude(reason__in=HOLD_REASONS).count()
    return {"exceptions": others, "holds": holds}


def _filtered(qs: QuerySet[EraException], filters: ExceptionFilters) -> QuerySet[EraException]:
    if filters.practice_id is not None:
        qs = qs.filter(practice_id=filters.practice_id)
    if filters.payer_name:
        qs = qs.filter(era__payer_name=filters.payer_name)
    return qs


@dataclass(frozen=True)
class ExceptionRow:
    public_id: str
    practice_name: str
    reason: str
    reason_label: str
    detail: str
    payer_name: str
    era_public_id: str
    trace_number: str
    claim_public_id: str | None
    claim_number: str
    control_number: str  # CLP01 as received, for unmatched claims
    amount: Decimal
    age_days: int
    status: str
    status_label: str
    can_resolve: bool
    can_match: bool  # unmatched claim loop: the poster may name our claim
    suggested_claim: str  # our claim the payer's CLP01 most likely meant, for the match form
    # Unmatched service lines: the ERA lines to place (public id, label, likely line) and the
    # claim's lines to choose from (line number, label).
    unplaced: list[Placement] = field(default_factory=list)
    claim_lines: list[Choice] = field(default_factory=list)
    resolution_note: str = ""


@dataclass(frozen=True)
class _PageExtras:
    suggestions: dict[tuple[int, str], str]
    unplaced: dict[int, list[Placement]]  # era claim id → its unmatched ERA lines
    claim_lines: dict[int, list[Choice]]  # claim id → its lines


def _exception_row(
    actor: Actor, exc: EraException, today: date, extras: _PageExtras
) -> ExceptionRow:
    can_post = actor.can(Capability.PAYMENTS_POST, exc.practice_id)
    placing = exc.placeable and can_post
    return ExceptionRow(
        public_id=str(exc.public_id),
        practice_name=actor.access[exc.practice_id].practice.name,
        reason=exc.reason,
        reason_label=exc.get_reason_display(),
        detail=exc.detail,
        payer_name=exc.era.payer_name,
        era_public_id=str(exc.era.public_id),
        trace_number=exc.era.trace_number,
        claim_public_id=str(exc.claim.public_id) if exc.claim else None,
        claim_number=exc.claim.number if exc.claim else "",
        control_number=exc.era_claim.patient_control_number if exc.era_claim else "",
        amount=exc.amount,
        # Aged from the payer's payment date: the money has moved, and the practice's books
        # are off until the exception is worked, however late the file arrived.
        age_days=max((today - exc.era.payment_date).days, 0),
        status=exc.status,
        status_label=exc.get_status_display(),
        can_resolve=exc.status == ExceptionStatus.OPEN and can_post,
        can_match=exc.matchable and can_post,
        suggested_claim=extras.suggestions.get(
            (exc.practice_id, bare_number(exc.era_claim.patient_control_number))
            if exc.era_claim
            else (0, ""),
            "",
        ),
        unplaced=extras.unplaced.get(exc.era_claim_id or 0, []) if placing else [],
        claim_lines=extras.claim_lines.get(exc.claim_id or 0, []) if placing else [],
        resolution_note=exc.resolution_note,
    )


def exception_list(
    *,
    actor: Actor,
    filters: ExceptionFilters | None = None,
    page: int = 1,
    page_size: int = PAGE_SIZE,
) -> Page[ExceptionRow]:
    """The exception queue: oldest payment first, so nothing waits forever."""
    filters = filters or ExceptionFilters()
    qs: QuerySet[EraException] = EraException.objects.visible_to(actor, Capability.PAYMENTS_VIEW)
    qs = _in_tab(_filtered(qs, filters), filters.tab)
    if filters.reason:
        qs = qs.filter(reason=filters.reason)
    if filters.status:
        qs = qs.filter(status=filters.status)
    qs = qs.select_related("era", "claim", "era_claim").defer("era__content")
    exceptions = audited_page(
        qs.order_by("era__payment_date", "created_at", "id"),
        page=page,
        page_size=page_size,
        actor=actor,
        action=AuditAction.ERA_EXCEPTION_LISTED,
        model="remittance.EraException",
        detail={"status": filters.status or "all"},
    )
    today = timezone.localdate()
    extras = _PageExtras(
        _suggested_claims(actor, exceptions.rows), *_line_choices(actor, exceptions.rows)
    )
    return exceptions.shown_as(lambda e: _exception_row(actor, e, today, extras))


def _line_choices(
    actor: Actor, exceptions: list[EraException]
) -> tuple[dict[int, list[Placement]], dict[int, list[Choice]]]:
    """For the page's open unmatched-line exceptions: their ERA lines still unplaced (each with
    the claim line it most likely pays: the one free line of the same charge), and the lines
    of their claims. Two queries a page."""
    placing = {
        e.era_claim_id: e.claim_id
        for e in exceptions
        if e.placeable and e.era_claim_id is not None and e.claim_id is not None
    }
    if not placing:
        return {}, {}
    lines_of: dict[int, list[ClaimLine]] = {}
    for ln in (
        ClaimLine.objects.visible_to(actor, Capability.PAYMENTS_POST)
        .filter(claim_id__in=set(placing.values()))
        .order_by("claim_id", "line_number")
    ):
        lines_of.setdefault(ln.claim_id, []).append(ln)
    era_lines = list(
        EraLine.objects.visible_to(actor, Capability.PAYMENTS_POST)
        .filter(era_claim_id__in=list(placing))
        .order_by("id")
    )
    taken = {el.claim_line_id for el in era_lines if el.claim_line_id is not None}
    unplaced: dict[int, list[Placement]] = {}
    for el in era_lines:
        if el.claim_line_id is not None:
            continue
        same_charge = [
            ln
            for ln in lines_of.get(placing[el.era_claim_id], [])
            if ln.pk not in taken and ln.charge == el.charge
        ]
        likely = str(same_charge[0].line_number) if len(same_charge) == 1 else ""
        label = " ".join([el.procedure_code, *el.modifiers, f"{el.charge}", f"paid {el.paid}"])
        unplaced.setdefault(el.era_claim_id, []).append((str(el.public_id), label, likely))
    claim_lines = {
        claim_id: [
            (
                str(ln.line_number),
                " ".join([f"{ln.line_number}:", ln.procedure_code, *ln.modifiers, f"{ln.charge}"]),
            )
            for ln in lines
        ]
        for claim_id, lines in lines_of.items()
    }
    return unplaced, claim_lines


def _suggested_claims(actor: Actor, exceptions: list[EraException]) -> dict[tuple[int, str], str]:
    """(practice, bare CLP01) → our claim number, for unmatched claim loops whose CLP01 is
    one of our numbers re-keyed without punctuation. Unique matches only; one query a page."""
    wanted = {
        (e.practice_id, bare_number(e.era_claim.patient_control_number))
        for e in exceptions
        if e.matchable and e.era_claim is not None
    }
    if not wanted:
        return {}
    found: dict[tuple[int, str], list[str]] = {}
    rows = (
        Claim.objects.visible_to(actor, Capability.PAYMENTS_POST)
        .filter(practice_id__in={p for p, _ in wanted})
        .annotate(bare=Replace("number", Value("-"), Value("")))
        .filter(bare__in={b for _, b in wanted})
        .values_list("practice_id", "bare", "number")
    )
    for practice_id, bare, number in rows:
        if (practice_id, bare) in wanted:
            found.setdefault((practice_id, bare), []).append(number)
    return {key: numbers[0] for key, numbers in found.items() if len(numbers) == 1}


def exception_get(*, actor: Actor, public_id: Any, capability: Capability) -> EraException:
    exc: EraException | None = (
        EraException.objects.visible_to(actor, capability)
        .filter(public_id=public_id)
        .select_related("era", "claim", "era_claim")
        .defer("era__content")
        .first()
    )
    if exc is None:
        raise Http404
    return exc


def exception_rows(
    *, actor: Actor, era_id: int | None = None, exception_id: int | None = None
) -> list[ExceptionRow]:
    """The rows a work item resolves, shown as the exception list shows them (same forms): one
    exception, or an ERA's open policy holds. The caller's page audits the read."""
    qs: QuerySet[EraException] = EraException.objects.visible_to(actor, Capability.PAYMENTS_VIEW)
    if exception_id is not None:
        qs = qs.filter(pk=exception_id)
    elif era_id is not None:
        qs = qs.filter(era_id=era_id, reason__in=HOLD_REASONS, status=ExceptionStatus.OPEN)
    else:
        return []
    found = list(
        qs.select_related("era", "claim", "era_claim").defer("era__content").order_by("id")[:500]
    )
    today = timezone.localdate()
    extras = _PageExtras(_suggested_claims(actor, found), *_line_choices(actor, found))
    return [_exception_row(actor, e, today, extras) for e in found]
