"""KPI pages: the definitions (generated from the registry) and the KPI dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from uuid import UUID

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.views.decorators.http import require_safe

from bureau.directory.models import Payer
from bureau.directory.selectors import payer_list
from bureau.reports.filters import parse_date
from bureau.reports.kpis import REGISTRY, KpiScope
from bureau.reports.kpis.dashboard import kpi_dashboard
from bureau.reports.period_reports import LONGEST
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, chosen_practice, requires

DEFAULT_DAYS = 90  # the usual days-in-A/R window


@require_safe
@requires(Capability.REPORTS_VIEW)
def definitions_view(request: HttpRequest) -> HttpResponse:
    return render(
        request,
        "reports/kpi_definitions.html",
        {"definitions": [kpi.definition for kpi in REGISTRY.values()]},
    )


@dataclass
class Asked:
    """The dashboard's filters as asked, and what is wrong with them (shown, never a 500)."""

    start: date
    end: date
    payer: Payer | None = None
    variants: dict[str, str] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)


def _date(
    request: HttpRequest, name: str, label: str, default: date, errors: list[str], today: date
) -> date:
    """The date asked as `name`, read and worded as every report reads it (`parse_date`: YYYY-MM-DD
    only, none before 2000 or after today), or `default` when none is asked or it is wrong."""
    text = request.GET.get(name, "").strip()
    if not text:
        return default
    value, problem = parse_date(text, name=label, today=today)
    if value is None:
        errors.append(problem)
        return default
    return value


def _asked(request: HttpRequest, payers: list[Payer]) -> Asked:
    today = timezone.localdate()
    errors: list[str] = []
    end = _date(request, "end", "Period end", today, errors, today)
    default_start = end - timedelta(days=DEFAULT_DAYS - 1)
    start = _date(request, "start", "Period start", default_start, errors, today)
    if not errors and start > end:
        errors.append(f"The period starts ({start.isoformat()}) after it ends ({end.isoformat()}).")
    elif not errors and end - start > LONGEST:
        errors.append("A period is at most three years long.")
    payer = None
    wanted = request.GET.get("payer", "").strip()
    if wanted:
        try:
            payer = next((p for p in payers if p.public_id == UUID(wanted)), None)
        except ValueError:
            payer = None
        if payer is None:
            errors.append("Payer: choose one of the payers listed.")
    variants: dict[str, str] = {}
    for key, kpi in REGISTRY.items():
        asked = request.GET.get(f"variant.{key}", "").strip()
        if not asked:
            continue
        if asked not in {v.key for v in kpi.definition.variants}:
            errors.append(f"{kpi.definition.name}: there is no variant {asked[:40]!r}.")
        else:
            variants[key] = asked
    return Asked(start, end, payer, variants, errors)


@require_safe
@requires(Capability.REPORTS_VIEW)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    # A practice the actor may not report on answers 404, exactly like one that does not exist.
    practice = chosen_practice(request, actor, Capability.REPORTS_VIEW)
    payers = list(payer_list(actor=actor).order_by("name"))
    asked = _asked(request, payers)
    figures = []
    if not asked.errors:
        scope = KpiScope(
            actor=actor,
            start=asked.start,
            end=asked.end,
            practice_id=practice.pk if practice else None,
            payer_id=asked.payer.pk if asked.payer else None,
        )
        figures = kpi_dashboard(scope=scope, variants=asked.variants)
    return render(
        request,
        "reports/kpi_dashboard.html",
        {
            "practice": practice,
            "practices": actor.practices(Capability.REPORTS_VIEW),
            "payers": payers,
            "asked": asked,
            "figures": figures,
        },
        status=400 if asked.errors else 200,
    )
