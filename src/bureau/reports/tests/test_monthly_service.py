"""Generating and storing monthly reports: versions, audit, the PDF's text, the command."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from pypdf import PdfReader

from bureau.audit.models import AuditAction, AuditEvent
from bureau.reports.monthly import Month
from bureau.reports.monthly_models import MonthlyReport, Trigger
from bureau.reports.monthly_services import monthly_report_generate
from bureau.reports.tasks import monthly_reports_due
from bureau.reports.tests.monthly_helpers import MONTH, build_book
from bureau.tenancy import rls
from bureau.tenancy.models import Practice, Workspace

pytestmark = pytest.mark.django_db


def lakeside() -> Practice:
    return Practice.objects.get(workspace__slug="summit", name="Lakeside Family Medicine")


def reports_of(practice: Practice) -> list[MonthlyReport]:
    found = list(
        MonthlyReport.objects.for_system([practice.pk], reason="test")
        .filter(practice=practice)
        .order_by("month", "version")
    )
    rls.activate([])
    return found


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages)


def test_a_generated_report_stores_its_figures_and_pdf_and_is_audited():
    book = build_book(lakeside())
    report = monthly_report_generate(practice=book.practice, month=MONTH, trigger=Trigger.COMMAND)
    assert (report.month, report.version, report.generated_by) == (date(2020, 3, 1), 1, None)
    assert report.figures["rollforward"]["start"] == "110.00"
    assert report.figures["rollforward"]["end"] == "122.00"
    assert report.pdf_sha256 == hashlib.sha256(bytes(report.pdf)).hexdigest()
    event = AuditEvent.objects.get(action=AuditAction.MONTHLY_REPORT_GENERATED)
    assert event.practice_id == book.practice.pk and event.record_ids == [str(report.public_id)]
    assert event.actor_label == "system" and event.detail["version"] == 1


def test_the_pdf_states_the_identity_with_its_numbers():
    book = build_book(lakeside())
    report = monthly_report_generate(practice=book.practice, month=MONTH, trigger=Trigger.COMMAND)
    text = " ".join(pdf_text(bytes(report.pdf)).split())
    assert "Lakeside Family Medicine — monthly report, 2020-03" in text
    assert "A/R at the start $110.00" in text
    assert "A/R at the end $122.00" in text
    # The identity written out with every line's amount, as the figures carry them.
    assert "$110.00 + $134.00 − $70.00 − $20.00 − $30.00 − $12.00 + $10.00 = $122.00" in text, text
    for payer in (book.payer_a.name, book.payer_b.name):
        assert payer in text
    assert "Small balance" in text and "$12.00" in text
    assert "version 1" in text and "system (bureau reports monthly)" in text


def test_regenerating_a_month_makes_version_2_and_keeps_version_1():
    book = build_book(lakeside())
    first = monthly_report_generate(practice=book.practice, month=MONTH, trigger=Trigger.SCHEDULE)
    # A late payment dated in March arrives after the first report.
    from bureau.claims.models import ClaimLine
    from bureau.ledger.models import EntryKind
    from bureau.ledger.services import LedgerAppender

    with rls.practice_scope([book.practice.pk]):
        line = ClaimLine.objects.for_system([book.practice.pk], reason="test").get(
            claim=book.claim_b, line_number=2
        )
        appender = LedgerAppender([book.practice.pk], [line.pk])
        appender.append(
            line, EntryKind.PAYMENT, -Decimal("12.00"), effective_date=date(2020, 3, 30)
        )
        appender.flush()
    second = monthly_report_generate(practice=book.practice, month=MONTH, trigger=Trigger.COMMAND)
    assert (first.version, second.version) == (1, 2)
    kept = reports_of(book.practice)
    assert [(r.version, r.figures["rollforward"]["end"]) for r in kept] == [
        (1, "122.00"),
        (2, "110.00"),
    ]
    assert kept[0].pdf_sha256 == first.pdf_sha256 != second.pdf_sha256


def at(*when: int) -> datetime:
    """An instant in UTC, the server's time zone."""
    return datetime(*when, tzinfo=UTC)


def test_the_scheduled_run_reports_the_month_before_once():
    workspace = Workspace.objects.get(slug="summit")
    first = monthly_reports_due(workspace, now=at(2020, 4, 1, 12, 30))
    assert first.month == Month(2020, 3)
    practices = Practice.objects.filter(workspace=workspace).exclude(status="offboarded")
    assert len(first.made) == practices.count() and not first.skipped
    assert {r.trigger for r in first.made} == {Trigger.SCHEDULE}
    again = monthly_reports_due(workspace, now=at(2020, 4, 2, 12, 30))  # a retried run
    assert not again.made and len(again.skipped) == practices.count()


def test_january_reports_the_december_before():
    run = monthly_reports_due(Workspace.objects.get(slug="summit"), now=at(2021, 1, 1, 12, 30))
    assert run.month == Month(2020, 12)
    assert {r.month for r in run.made} == {date(2020, 12, 1)}


def test_the_month_before_is_decided_on_each_practice_s_calendar():
    """05:30 UTC on 1 December is still 30 November in Chicago: November has not ended there,
    so Chicago's practice makes nothing for it then, and is reported by the next run."""
    chicago, new_york = Practice.objects.filter(workspace__slug="summit").order_by("code")[:2]
    Practice.objects.filter(pk=chicago.pk).update(timezone="America/Chicago")
    Practice.objects.filter(pk=new_york.pk).update(timezone="America/New_York")
    chicago.refresh_from_db()
    new_york.refresh_from_db()
    workspace, both = chicago.workspace, [chicago, new_york]
    october = monthly_reports_due(workspace, now=at(2020, 11, 1, 12, 30), practices=both)
    assert {r.month for r in october.made} == {date(2020, 10, 1)} and len(october.made) == 2

    early = monthly_reports_due(workspace, now=at(2020, 12, 1, 5, 30), practices=both)
    assert early.month == Month(2020, 11)
    assert [(r.practice_id, r.month) for r in early.made] == [(new_york.pk, date(2020, 11, 1))]
    assert early.waiting == [chicago.code] and not early.skipped

    later = monthly_reports_due(workspace, now=at(2020, 12, 1, 12, 30), practices=both)
    assert [(r.practice_id, r.month) for r in later.made] == [(chicago.pk, date(2020, 11, 1))]
    assert later.skipped == [new_york.code] and not later.waiting
    assert [(r.month, r.version) for r in reports_of(chicago)] == [
        (date(2020, 10, 1), 1),
        (date(2020, 11, 1), 1),
    ]


def test_a_practice_waiting_at_every_run_is_reported_a_month_late_not_never():
    """A run scheduled at an hour when Chicago's month has not ended (the old 05:30 UTC in
    winter) still reports each of its months: on its calendar, the month before."""
    chicago = Practice.objects.filter(workspace__slug="summit").order_by("code").first()
    Practice.objects.filter(pk=chicago.pk).update(timezone="America/Chicago")
    chicago.refresh_from_db()
    runs = [
        monthly_reports_due(chicago.workspace, now=at(*day, 5, 30), practices=[chicago])
        for day in ((2020, 12, 1), (2021, 1, 1))
    ]
    assert [[r.month for r in run.made] for run in runs] == [
        [date(2020, 10, 1)],  # 30 November there: the month before is October
        [date(2020, 11, 1)],  # 31 December there: November
    ]
    assert [run.waiting for run in runs] == [[chicago.code], [chicago.code]]


def test_a_scheduled_report_says_scheduled_run_not_the_1st():
    """`--scheduled` may be run by hand on any day: the report does not claim the 1st."""
    made = run("--scheduled", "--practice", lakeside().code)
    assert len(made) == 1
    report = reports_of(lakeside())[0]
    text = " ".join(pdf_text(bytes(report.pdf)).split())
    assert "system (scheduled run)" in text and "on the 1st" not in text, text
    assert report.get_trigger_display() == "scheduled run"


# -- the command --------------------------------------------------------------------------------
def run(*args: str) -> list[dict]:
    out = io.StringIO()
    call_command("reports", "monthly", "--workspace", "summit", *args, stdout=out)
    return [json.loads(line) for line in out.getvalue().splitlines()]


def test_the_command_makes_one_practice_s_month_and_a_new_version_each_time():
    book = build_book(lakeside())
    code = book.practice.code
    made = run("--month", "2020-03", "--practice", code)
    assert [(m["practice"], m["version"], m["ar_start"], m["ar_end"]) for m in made] == [
        (code, 1, "110.00", "122.00")
    ]
    made = run("--month", "2020-03", "--practice", str(book.practice.public_id))
    assert made[0]["version"] == 2
    assert [r.trigger for r in reports_of(book.practice)] == [Trigger.COMMAND] * 2


def test_the_command_without_a_practice_reports_every_practice():
    made = run("--month", "2020-03")
    workspace = Workspace.objects.get(slug="summit")
    assert (
        len(made)
        == Practice.objects.filter(workspace=workspace).exclude(status="offboarded").count()
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--month", "2020-13"), "is not a month"),
        (("--month", "March"), "is not a month"),
        (("--month", "2999-01"), "is in the future"),
        (("--month", "1999-12"), "is before 2000-01"),
        (("--month", "\uff12\uff10\uff12\uff16-10"), "is not a month"),  # full-width digits
        (("--month", "2020-03", "--practice", "NOPE"), "no practice 'NOPE'"),
        (("--month", "2020-03", "--scheduled"), "not both"),
        ((), "name a month"),
    ],
)
def test_the_command_refuses_what_it_cannot_report(args, message):
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not MonthlyReport.objects.for_system(
        Practice.objects.values_list("pk", flat=True), reason="test"
    ).exists()


def test_the_command_refuses_a_practice_of_another_workspace():
    harbor = Practice.objects.filter(workspace__slug="harbor").first()
    with pytest.raises(CommandError, match="no practice"):
        run("--month", "2020-03", "--practice", harbor.code)


def test_the_current_month_is_refused_until_it_ends():
    from bureau import clock

    today = clock.now().date()
    with pytest.raises(CommandError, match="has not ended yet"):
        run("--month", f"{today:%Y-%m}")


def test_the_database_task_runs_the_scheduled_run_for_one_workspace():
    from bureau import clock
    from bureau.reports.tasks import monthly_reports_run

    harbor = Workspace.objects.get(slug="harbor")
    due = Month.of(clock.now().date()).previous()
    count = Practice.objects.filter(workspace=harbor).exclude(status="offboarded").count()
    assert monthly_reports_run.call(harbor.pk) == f"{due}: {count} made, 0 already reported"
    assert monthly_reports_run.call(harbor.pk) == f"{due}: 0 made, {count} already reported"


def test_a_scheduled_generation_of_a_reported_month_makes_nothing():
    from bureau.reports.monthly_services import monthly_report_generate_once

    practice = lakeside()
    first = monthly_report_generate_once(practice=practice, month=MONTH, trigger=Trigger.SCHEDULE)
    assert first is not None and first.version == 1
    again = monthly_report_generate_once(practice=practice, month=MONTH, trigger=Trigger.SCHEDULE)
    assert again is None
    # A person's regeneration still makes the next version.
    manual = monthly_report_generate(practice=practice, month=MONTH, trigger=Trigger.COMMAND)
    assert manual.version == 2
    assert [r.version for r in reports_of(practice)] == [1, 2]
