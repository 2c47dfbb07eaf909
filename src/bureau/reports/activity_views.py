"""The activity report's page and its exports (CSV, PDF): one person's day, from the audit log.

The page answers 400 with its form for a day or a person it cannot read (a far date, an id
that is no one the reader may ask about), 404 for a practice the reader may not audit; with
no person asked for it shows the reader's own day. Exports carry the practices' events only
(a file belongs to practices: `serves_report`); sign-ins and other workspace events stay on
the page.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any
from urllib.parse import urlencode

from django.db import transaction
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from bureau.accounts.models import User
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record, audit_record_many
from bureau.reports.activity import (
    CAPABILITY,
    EXPORT_EVENTS,
    PDF_EVENTS,
    REPORT,
    ActivityDay,
    activity_day,
    model_label,
    people_to_pick,
    person_asked,
)
from bureau.reports.export import CSV_TYPE, PDF_TYPE, csv_text, pdf_bytes
from bureau.reports.filters import parse_date, report_today
from bureau.reports.report_views import cut_name, file_coverage, may_take
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.web.access import (
    ReportDownload,
    actor_of,
    chosen_practice,
    file_practice_ids,
    requires,
    serves_report,
)

TEMPLATE = "reports/activity.html"
CARRIES = frozenset({CAPABILITY})


@dataclass(frozen=True)
class ActivityAsked:
    person: User | None
    day: date
    practice: Practice | None
    errors: tuple[str, ...]

    def query(self) -> str:
        return urlencode(
            {
                "person": str(self.person.public_id) if self.person else "",
                "day": self.day.isoformat(),
                "practice": str(self.practice.public_id) if self.practice else "all",
            }
        )


def _asked(request: HttpRequest, actor: Actor, *, use_context: bool = True) -> ActivityAsked:
    """The filters (a foreign or unknown practice raises Http404, as on the audit log)."""
    practice = chosen_practice(request, actor, CAPABILITY, use_context=use_context)
    today = report_today(actor, practice)
    errors: list[str] = []
    person, problem = person_asked(actor, request.GET.get("person", ""))
    errors += [problem] if problem else []
    if person is None and not problem:
        person = _reader(actor)  # no one asked for: the reader's own day
    day = today
    if request.GET.get("day", "").strip():
        parsed, problem = parse_date(request.GET["day"], name="Day", today=today)
        day = parsed or today
        errors += [problem] if problem else []
    return ActivityAsked(person, day, practice, tuple(errors))


def _reader(actor: Actor) -> User | None:
    """The reader, where they are among the people they may ask about."""
    return people_to_pick(actor).filter(pk=actor.user.pk).first()


def _audit(actor: Actor, action: AuditAction, found: ActivityDay, **detail: Any) -> None:
    """One event per practice whose events were read; one without a practice when only the
    workspace's own events (or none) were."""
    what = {
        "report": REPORT,
        "person": str(found.person.public_id),
        "day": found.day.isoformat(),
        "events": len(found.events),
        **detail,
    }
    # The practices whose events were read; none found, the practices the question covered
    # (a day with nothing in them is still an answer about them).
    read = found.practice_ids or (
        frozenset({found.practice.pk}) if found.practice else actor.practice_ids(CAPABILITY)
    )
    with transaction.atomic():
        if read:
            audit_record_many(
                action=action,
                actor=actor,
                workspace=actor.workspace,
                model="audit.AuditEvent",
                targets=[(actor.access[pid].practice, []) for pid in sorted(read)],
                detail=what,
            )
        else:  # only the workspace's own events (a reader with no practice)
            audit_record(action=action, actor=actor, model="audit.AuditEvent", detail=what)


def _context(actor: Actor, asked: ActivityAsked) -> dict[str, Any]:
    return {
        "asked": asked,
        "people": people_to_pick(actor),
        "practice": asked.practice,
        "practices": actor.practices(CAPABILITY),
    }


@require_safe
@requires(CAPABILITY)
def activity_view(request: HttpRequest) -> HttpResponse:
    actor = actor_of(request)
    asked = _asked(request, actor)
    if asked.errors:
        context = _context(actor, asked) | {"errors": list(asked.errors)}
        return render(request, TEMPLATE, context, status=400)
    if asked.person is None:
        return render(request, TEMPLATE, _context(actor, asked))  # pick someone
    found = activity_day(actor=actor, person=asked.person, day=asked.day, practice=asked.practice)
    _audit(actor, AuditAction.REPORT_VIEWED, found, level="page")
    exportable = file_practice_ids(actor, CARRIES)
    return render(
        request,
        TEMPLATE,
        _context(actor, asked)
        | {
            "found": found,
            "query": asked.query(),
            "may_export": may_take(actor, CARRIES, asked.practice),
            "exports_partial": bool(found.practice_ids - exportable)
            or any(e.practice_id is None for e in found.events),
        },
    )


# -- exports -------------------------------------------------------------------------------------
def _exported(request: HttpRequest, fmt: str) -> ActivityDay | HttpResponse:
    actor = actor_of(request)
    asked = _asked(request, actor, use_context=False)
    errors = list(asked.errors) or ([] if asked.person else ["Pick a person."])
    if errors or asked.person is None:  # (a reader not among the people: pick one)
        context = _context(actor, asked) | {"errors": errors}
        return render(request, TEMPLATE, context, status=400)
    found = activity_day(
        actor=actor,
        person=asked.person,
        day=asked.day,
        practice=asked.practice,
        limit=PDF_EVENTS if fmt == "pdf" else EXPORT_EVENTS,
    )
    _audit(actor, AuditAction.REPORT_EXPORTED, found, format=fmt, of=found.total)
    return found


def _file_name(found: ActivityDay, ext: str) -> str:
    scope = found.practice.name if found.practice else "all-practices"
    return f"activity-{found.person.username}-{scope}-{found.day.isoformat()}{ext}"


HEADER = [
    "day",
    "time",
    "person",
    "practice",
    "what",
    "action",
    "record type",
    "records",
    "record ids",
    "report",
]


def csv_rows(found: ActivityDay) -> list[list[Any]]:
    who = found.person.display_name
    return [
        [
            found.day,
            e.occurred_at,
            who,
            e.practice_name,
            e.words,
            e.action,
            model_label(e.model),
            len(e.record_ids),
            " ".join(e.record_ids),
            e.report,
        ]
        for e in found.events
    ]


@requires(CAPABILITY)
@serves_report(carries=CARRIES)
def activity_csv_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    found = _exported(request, "csv")
    if isinstance(found, HttpResponse):
        return found
    return ReportDownload(
        csv_text(HEADER, csv_rows(found)),
        cut_name(_file_name(found, ".csv"), len(found.events), found.total),
        found.practice_ids,
        CSV_TYPE,
        (".csv",),
    )


@requires(CAPABILITY)
@serves_report(carries=CARRIES)
def activity_pdf_view(request: HttpRequest) -> ReportDownload | HttpResponse:
    found = _exported(request, "pdf")
    if isinstance(found, HttpResponse):
        return found
    context = {
        "found": found,
        "pdf": True,
        "workspace": actor_of(request).workspace,
        "coverage": file_coverage(request, found.practice, CAPABILITY),
    }
    return ReportDownload(
        pdf_bytes("reports/activity_pdf.html", context),
        _file_name(found, ".pdf"),
        found.practice_ids,
        PDF_TYPE,
        (".pdf",),
    )
