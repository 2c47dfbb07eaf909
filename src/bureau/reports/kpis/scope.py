"""What a KPI is computed over: the actor's visible rows, one practice or the whole book, one
payer or all, and a period.

Every KPI reads its rows through `KpiScope.rows`, which starts from the model's scoped manager
(`.visible_to(actor, reports.view)`): the practices where the actor holds `reports.view`, and
in a practice where a grant is limited to some providers only the rows that reach one of them.
No KPI reads a model any other way, so none can count a practice or provider outside the grant.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from django.db import models

from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.tenancy.scoping import ScopedQuerySet

CAPABILITY = Capability.REPORTS_VIEW


@dataclass(frozen=True)
class KpiScope:
    actor: Actor
    start: date
    end: date  # inclusive
    practice_id: int | None = None  # None: every practice the actor may report on
    payer_id: int | None = None  # None: every payer

    def __post_init__(self) -> None:
        if self.start > self.end:
            raise ValueError("the period starts after it ends")

    @property
    def days(self) -> int:
        """Calendar days in the period, both ends included."""
        return (self.end - self.start).days + 1

    def rows(self, model: type[models.Model], payer: str | None) -> ScopedQuerySet:
        """`model`'s rows the actor may report on, narrowed to the practice and, through the
        lookup `payer` (e.g. "claim__payer"; None: the model names no payer), to the payer."""
        manager: Any = model.objects  # type: ignore[attr-defined]
        qs: ScopedQuerySet = manager.visible_to(self.actor, CAPABILITY)
        if self.practice_id is not None:
            qs = qs.filter(practice_id=self.practice_id)
        if self.payer_id is not None and payer is not None:
            qs = qs.filter(**{f"{payer}_id": self.payer_id})
        return qs
