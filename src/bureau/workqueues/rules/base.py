"""What every function's rule shares: the item it wants open (`Desired`), the records a sync
looks at (`Narrow`) and the facts read once per practice (`PracticeFacts`).

A rule is one function per function-type: given a practice and a narrow, it returns the items
that should be live, computed from the records alone. The services that change records and the
nightly refresh call the same rule (`sync.py`), so no second rule lives in a view or a task."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from django.db.models import Q

from bureau.claims.scrubbing import timely_filing_days
from bureau.configuration.resolver import EffectiveSettings, settings_for
from bureau.directory.models import PayerKind
from bureau.tenancy.models import Practice
from bureau.workqueues import sla
from bureau.workqueues.deadlines import ClaimFacts, Clock, claim_clocks

ZERO = Decimal("0.00")


@dataclass(frozen=True)
class Narrow:
    """The records a sync recomputes; None everywhere is the whole practice (the refresh)."""

    claim_ids: frozenset[int] | None = None
    era_ids: frozenset[int] | None = None
    # (provider id, payer id) pairs: enrollment and credentialing work.
    pairs: frozenset[tuple[int, int]] | None = None

    @property
    def everything(self) -> bool:
        return self.claim_ids is None and self.era_ids is None and self.pairs is None


EVERYTHING = Narrow()


@dataclass
class Desired:
    """An item a rule wants live, with what the row and the priority need."""

    subject_kind: str
    subject_key: str
    title: str
    amount: Decimal
    opened_at: datetime
    payer_id: int | None = None
    claim_id: int | None = None
    era_id: int | None = None
    era_exception_id: int | None = None
    era_line_id: int | None = None
    provider_id: int | None = None
    enrollment_id: int | None = None
    category: str = ""
    carc: str = ""
    facts: dict[str, Any] = field(default_factory=dict)
    clocks: list[Clock] = field(default_factory=list)


@dataclass
class PracticeFacts:
    """Read once per practice and sync: its settings, its local today, its payers."""

    practice: Practice
    now: datetime
    effective: EffectiveSettings
    payers: dict[int, Any]  # payer id -> Payer

    @classmethod
    def load(cls, practice: Practice, now: datetime, payers: dict[int, Any]) -> PracticeFacts:
        return cls(practice, now, settings_for(practice), payers)

    @property
    def today(self) -> date:
        return self.now.astimezone(ZoneInfo(self.practice.timezone)).date()

    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(ZoneInfo(self.practice.timezone)).date()

    def setting(self, key: str, payer_id: int | None = None) -> Any:
        return self.effective.get(key, payer_id)

    def claim_clocks(
        self,
        *,
        payer_id: int,
        date_of_service: date,
        accepted_on: date | None = None,
        determined_on: date | None = None,
        carc: str = "",
        group_code: str = "",
    ) -> list[Clock]:
        """Every clock of a claim, from the one deadline engine, with this practice's limits."""
        payer = self.payers[payer_id]
        return claim_clocks(
            ClaimFacts(
                date_of_service=date_of_service,
                payer_is_medicare=payer.kind == PayerKind.MEDICARE,
                payer_name=payer.name,
                timely_filing_days=timely_filing_days(self.effective, payer),
                appeal_limit_days=payer.appeal_limit_days,
                corrected_claim_days=sla.corrected_claim_days(self.effective, payer_id),
                accepted_on=accepted_on,
                determined_on=determined_on,
                carc=carc,
                group_code=group_code,
            )
        )


def within(ids: frozenset[int] | None, column: str) -> Q:
    """`column IN ids`, or no condition when the narrow does not restrict it."""
    return Q() if ids is None else Q(**{f"{column}__in": sorted(ids)})


def money(value: Any) -> Decimal:
    return Decimal(value or 0).quantize(Decimal("0.01"))


Rule = Callable[[PracticeFacts, Narrow], Iterable[Desired]]
# How a rule's live items are found for a narrow: the same records its query reads.
ExistingFilter = Callable[[Narrow], Q | None]
