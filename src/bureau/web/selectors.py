"""Home page figures: counts per practice (aggregates, no PHI)."""

from __future__ import annotations

from dataclasses import dataclass

from django.db.models import Count

from bureau.patients.models import Patient
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability


@dataclass(frozen=True)
class PracticeSummary:
    practice: Practice
    patients: int | None
    roles: str
    read_only: bool


def practice_summaries(*, actor: Actor) -> list[PracticeSummary]:
    counts: dict[int, int] = {}
    if actor.can(Capability.PATIENTS_VIEW):
        counts = dict(
            Patient.objects.visible_to(actor, Capability.PATIENTS_VIEW)
            .values_list("practice_id")
            .annotate(n=Count("id"))
            .order_by()
        )
    return [
        PracticeSummary(
            practice=p,
            patients=counts.get(p.pk, 0) if actor.can(Capability.PATIENTS_VIEW, p) else None,
            roles=", ".join(sorted(r.label for r in actor.access[p.pk].roles)),
            read_only=actor.access[p.pk].read_only,
        )
        for p in actor.practices()
    ]
