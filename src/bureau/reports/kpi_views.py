"""KPI pages: the definitions (generated from the registry) and the KPI dashboard."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from bureau.directory.models import Payer
from bureau.directory.selectors import payer_list
from bureau.reports.filters import parse_practice_payer, report_today
from bureau.reports.kpis import REGISTRY
from bureau.reports.kpis.dashboard import kpi_dashboard
from bureau.reports.period_reports import PeriodFilters, parse_period
from bureau.reports.report_views import limited_practices
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, requires

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

    filters: PeriodFilters
    variants: dict[str, str] = field(default_factory=dict)
    # What the form shows in its date fields: the dates read, or, on a 400, what was typed.
    start_text: str = ""
    end_text: str = ""

    @property
    def start(self) -> date:
        return self.filters.start

    @property
    def end(self) -> date:
        return self.filters.end

    @property
    def payer(self) -> Payer | None:
        return self.filters.payer

    @property
    def errors(self) -> tuple[str, ...]:
        return self.filters.errors


def _default_start(end: date) -> date:
    return end - timedelta(days=DEFAULT_DAYS - 1)


def _asked(request: HttpRequest, actor: Actor) -> Asked:
    """Practice, payer and period read as every period report reads them (`parse_practice_payer`,
    `parse_period`: the same words for the same mistakes), then the KPI variants."""
    base, errors = parse_practice_payer(request, actor, Capability.REPORTS_VIEW)
    variants: dict[str, str] = {}
    for key, kpi in REGISTRY.items():
        asked = request.GET.get(f"variant.{key}", "").strip()
        if not asked:
            continue
        if asked not in {v.key for v in kpi.definition.variants}:
            errors.append(f"{kpi.definition.name}: there is no variant {asked[:40]!r}.")
        else:
            variants[key] = asked
    filters = parse_period(
        request,
        base,
        errors,
        today=report_today(actor, base.practice),
        default_start=_default_start,
    )
    if filters.errors:
        typed = (request.GET.get("start", "").strip(), request.GET.get("end", "").strip())
    else:
        typed = (filters.start.isoformat(), filters.end.isoformat())
    return Asked(filters, variants, start_text=typed[0][:40], end_text=typed[1][:40])


@require_safe
@requires(Capability.REPORTS_VIEW)
def dashboard_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    # A practice the actor may not report on answers 404, exactly like one that does not exist.
    asked = _asked(request, actor)
    practice = asked.filters.practice
    figures = []
    if not asked.errors:
        scope = asked.filters.scope(actor)
        figures = kpi_dashboard(scope=scope, variants=asked.variants, payer=asked.filters.payer_key)
    return render(
        request,
        "reports/kpi_dashboard.html",
        {
            "practice": practice,
            "practices": actor.practices(Capability.REPORTS_VIEW),
            "payers": payer_list(actor=actor).order_by("name"),
            "asked": asked,
            "figures": figures,
            "limited_practices": limited_practices(actor, practice),
        },
        status=400 if asked.errors else 200,
    )
