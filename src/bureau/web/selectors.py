"""Home page figures: counts and sums per practice (aggregates, no PHI).

Each figure is read through the scoped manager under the capability its list needs, so a
practice where the actor may not open the list shows no figure (None), never a zero that lies;
where the actor is limited to some providers, the figures count their rows only (the scope does
that), and money paid is the sum paid on their claims, not the whole payments that carry them.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db.models import Count, Q, Sum
from django.utils import timezone

from bureau.claims.models import Claim, ClaimState
from bureau.denials.models import Denial, DenialStatus
from bureau.patients.models import Patient
from bureau.remittance.exception_queue import HOLD_REASONS
from bureau.remittance.models import Era, EraClaim, EraException, ExceptionStatus
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

PAID_WINDOW_DAYS = 30


@dataclass(frozen=True)
class PracticeSummary:
    practice: Practice
    patients: int | None
    roles: str
    read_only: bool
    rejected_claims: int | None = None
    open_exceptions: int | None = None
    policy_holds: int | None = None  # ERAs held for review by the practice's own policy
    open_denials: int | None = None
    # Σ ERA payments (BPR02) of the last PAID_WINDOW_DAYS; provider-limited: Σ CLP04 of the
    # allowed providers' claims in those ERAs (a payment also pays other providers' claims).
    paid_recently: Decimal | None = None


def _per_practice(
    actor: Actor, model: Any, capability: Capability, where: Q, total: Any = None
) -> dict[int, Any]:
    """{practice id: Count (or `total`)} over the rows of `model` the actor may see."""
    if not actor.can(capability):
        return {}
    return dict(
        model.objects.visible_to(actor, capability)
        .filter(where)
        .values_list("practice_id")
        .annotate(n=total if total is not None else Count("id"))
        .order_by()
    )


def _open_exceptions(actor: Actor) -> tuple[dict[int, int], dict[int, int]]:
    """Open ERA exceptions per practice: those a poster must fix, and those the practice's
    own policy holds for review. One query for both columns."""
    if not actor.can(Capability.PAYMENTS_VIEW):
        return {}, {}
    holds = Q(reason__in=HOLD_REASONS)
    rows = (
        EraException.objects.visible_to(actor, Capability.PAYMENTS_VIEW)
        .filter(status=ExceptionStatus.OPEN)
        .values_list("practice_id")
        .annotate(fix=Count("id", filter=~holds), held=Count("id", filter=holds))
        .order_by()
    )
    fix: dict[int, int] = {}
    held: dict[int, int] = {}
    for practice_id, n_fix, n_held in rows:
        fix[practice_id], held[practice_id] = n_fix, n_held
    return fix, held


def _shown(
    actor: Actor, capability: Capability, practice: Practice, figures: dict[int, Any], zero: Any = 0
) -> Any:
    return figures.get(practice.pk, zero) if actor.can(capability, practice) else None


def practice_summaries(*, actor: Actor) -> list[PracticeSummary]:
    since = timezone.localdate() - timedelta(days=PAID_WINDOW_DAYS)
    patients = _per_practice(actor, Patient, Capability.PATIENTS_VIEW, Q())
    rejected = _per_practice(actor, Claim, Capability.CLAIMS_VIEW, Q(state=ClaimState.REJECTED))
    exceptions, held = _open_exceptions(actor)
    denials = _per_practice(actor, Denial, Capability.DENIALS_VIEW, Q(status=DenialStatus.OPEN))
    limited = sorted(actor.limited_providers(Capability.PAYMENTS_VIEW))
    paid = _per_practice(
        actor,
        Era,
        Capability.PAYMENTS_VIEW,
        Q(payment_date__gte=since) & ~Q(practice_id__in=limited),
        Sum("payment_amount"),
    )
    if limited:
        paid |= _per_practice(
            actor,
            EraClaim,
            Capability.PAYMENTS_VIEW,
            Q(era__payment_date__gte=since, practice_id__in=limited),
            Sum("paid"),
        )
    return [
        PracticeSummary(
            practice=p,
            patients=_shown(actor, Capability.PATIENTS_VIEW, p, patients),
            roles=", ".join(sorted(r.label for r in actor.access[p.pk].roles)),
            read_only=actor.access[p.pk].read_only,
            rejected_claims=_shown(actor, Capability.CLAIMS_VIEW, p, rejected),
            open_exceptions=_shown(actor, Capability.PAYMENTS_VIEW, p, exceptions),
            policy_holds=_shown(actor, Capability.PAYMENTS_VIEW, p, held),
            open_denials=_shown(actor, Capability.DENIALS_VIEW, p, denials),
            paid_recently=_shown(actor, Capability.PAYMENTS_VIEW, p, paid, Decimal("0.00")),
        )
        for p in actor.practices()
    ]


@dataclass(frozen=True)
class Totals:
    patients: int | None
    rejected_claims: int | None
    open_exceptions: int | None
    policy_holds: int | None
    open_denials: int | None
    paid_recently: Decimal | None


def summary_totals(rows: list[PracticeSummary]) -> Totals:
    """Each column summed over the practices that show it (None when none does)."""

    def total(values: list[Any], zero: Any = 0) -> Any:
        shown = [v for v in values if v is not None]
        return sum(shown, zero) if shown else None

    return Totals(
        patients=total([r.patients for r in rows]),
        rejected_claims=total([r.rejected_claims for r in rows]),
        open_exceptions=total([r.open_exceptions for r in rows]),
        policy_holds=total([r.policy_holds for r in rows]),
        open_denials=total([r.open_denials for r in rows]),
        paid_recently=total([r.paid_recently for r in rows], Decimal("0.00")),
    )
