"""The filters of the work reports (productivity, SLA): practice, payer and a period.

Practice and payer are read by `parse_report_filters`, the aging report's, so a foreign practice
is the same 404 and an unknown payer the same 400 message; the period is two dates read by its
`parse_date` (a date, not in the future, not before 2000), at most three years long like the KPI
dashboard's. Nothing below a view reads `request.GET`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from urllib.parse import urlencode

from django.http import HttpRequest
from django.utils import timezone

from bureau.directory.models import Payer
from bureau.reports.filters import parse_date, parse_report_filters
from bureau.reports.kpis.scope import KpiScope
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

DEFAULT_DAYS = 30  # a month of work, ending today
LONGEST = timedelta(days=3 * 366)  # the KPI dashboard's longest period


@dataclass(frozen=True)
class PeriodFilters:
    """A work report's question. `practice` None: every practice the actor may report on."""

    practice: Practice | None
    payer: Payer | None
    start: date
    end: date  # inclusive
    errors: tuple[str, ...] = field(default=())

    def query(self, **extra: str) -> str:
        """The filters as a query string, explicit about the practice (`all`), so an export
        means what the page showed whatever the bar says when it is followed."""
        params = {
            "practice": str(self.practice.public_id) if self.practice else "all",
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
        }
        if self.payer is not None:
            params["payer"] = str(self.payer.public_id)
        params.update({k: v for k, v in extra.items() if v})
        return urlencode(params)

    def scope(self, actor: Actor) -> KpiScope:
        """The KPI scope of this question: the reports count through the KPIs' own code."""
        return KpiScope(
            actor,
            self.start,
            self.end,
            practice_id=self.practice.pk if self.practice else None,
            payer_id=self.payer.pk if self.payer else None,
        )

    def detail(self) -> dict[str, str]:
        """What an audit event records of the question."""
        return {
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "payer": str(self.payer.public_id) if self.payer else "",
        }


def parse_period_filters(
    request: HttpRequest,
    actor: Actor,
    capability: Capability,
    *,
    use_context: bool = True,
    today: date | None = None,
) -> PeriodFilters:
    """The filters of this request (a foreign or unknown practice raises Http404)."""
    today = today or timezone.localdate()
    base = parse_report_filters(request, actor, capability, use_context=use_context, today=today)
    errors = list(base.errors)
    end = today
    start = today - timedelta(days=DEFAULT_DAYS - 1)
    raw_end = request.GET.get("end", "").strip()
    raw_start = request.GET.get("start", "").strip()
    if raw_end:
        parsed, problem = parse_date(raw_end, name="Period end", today=today)
        end = parsed or end
        errors += [problem] if problem else []
        if parsed and not raw_start:
            start = parsed - timedelta(days=DEFAULT_DAYS - 1)
    if raw_start:
        parsed, problem = parse_date(raw_start, name="Period start", today=today)
        start = parsed or start
        errors += [problem] if problem else []
    if not errors and start > end:
        errors.append(f"The period starts ({start.isoformat()}) after it ends ({end.isoformat()}).")
    elif not errors and end - start > LONGEST:
        errors.append("A period is at most three years long.")
    if errors:
        start = min(start, end)
    return PeriodFilters(base.practice, base.payer, start, end, tuple(errors))
