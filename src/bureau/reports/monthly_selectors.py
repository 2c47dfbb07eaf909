"""Reading stored monthly reports: the list, one report, its PDF. Every read is audited.

A monthly report is a practice's whole month, so it is read under `reports.view` held over the
whole practice: a grant limited to some providers sees none (the model's provider scope), and
a report of a practice the actor may not see answers 404 like one that does not exist.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from django.db import transaction
from django.db.models import QuerySet
from django.http import Http404

from bureau.audit.listing import Page, audited_page
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.reports.monthly_models import MonthlyReport
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability

PAGE_SIZE = 24
MODEL = "reports.MonthlyReport"


@dataclass(frozen=True)
class MonthlyRow:
    public_id: UUID
    practice_id: int
    practice_name: str
    month: date
    version: int
    generated_at: datetime
    generated_by: str
    ar_start: str
    ar_end: str
    pdf_sha256: str


def _scoped(actor: Actor) -> QuerySet[MonthlyReport]:
    return MonthlyReport.objects.visible_to(actor, Capability.REPORTS_VIEW)


def _row(actor: Actor, report: MonthlyReport) -> MonthlyRow:
    from bureau.reports.monthly_render import money

    roll = report.figures["rollforward"]
    return MonthlyRow(
        public_id=report.public_id,
        practice_id=report.practice_id,
        practice_name=actor.access[report.practice_id].practice.name,
        month=report.month,
        version=report.version,
        generated_at=report.generated_at,
        generated_by=report.generated_by_label,
        ar_start=money(roll["start"]),
        ar_end=money(roll["end"]),
        pdf_sha256=report.pdf_sha256,
    )


def monthly_report_list(
    *, actor: Actor, practice_id: int | None = None, page: int = 1
) -> Page[MonthlyRow]:
    """Reports of the actor's practices (or of one), newest month first, every version."""
    qs = _scoped(actor).defer("pdf").select_related("generated_by")
    if practice_id is not None:
        qs = qs.filter(practice_id=practice_id)
    found = audited_page(
        qs.order_by("-month", "practice_id", "-version"),
        page=page,
        page_size=PAGE_SIZE,
        actor=actor,
        action=AuditAction.MONTHLY_REPORT_LISTED,
        model=MODEL,
    )
    return found.shown_as(lambda r: _row(actor, r))


def _get(actor: Actor, public_id: Any) -> MonthlyReport:
    report = _scoped(actor).select_related("generated_by").filter(public_id=public_id).first()
    if report is None:
        raise Http404
    return report


def _audit(actor: Actor, action: AuditAction, report: MonthlyReport) -> None:
    audit_record(
        action=action,
        actor=actor,
        practice=actor.access[report.practice_id].practice,
        model=MODEL,
        record_ids=[report.public_id],
        detail={"month": f"{report.month:%Y-%m}", "version": report.version},
    )


def monthly_report_get(*, actor: Actor, public_id: Any) -> MonthlyReport:
    """One report, for its preview page (audited as viewed)."""
    with transaction.atomic():
        report = _get(actor, public_id)
        _audit(actor, AuditAction.MONTHLY_REPORT_VIEWED, report)
    return report


def monthly_report_pdf(*, actor: Actor, public_id: Any) -> MonthlyReport:
    """One report with its stored PDF, as generated (audited as downloaded)."""
    with transaction.atomic():
        report = _get(actor, public_id)
        _audit(actor, AuditAction.MONTHLY_REPORT_DOWNLOADED, report)
    return report
