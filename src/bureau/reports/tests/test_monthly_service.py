"""Generating and storing monthly reports: versions, audit, the PDF's text, the command."""

from __future__ import annotations

import hashlib
import io
import json
from datetime import date
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


def test_the_scheduled_run_reports_the_month_before_once():
    workspace = Workspace.objects.get(slug="summit")
    first = monthly_reports_due(workspace, today=date(2020, 4, 1))
    assert first.month == Month(2020, 3)
    practices = Practice.objects.filter(workspace=workspace).exclude(status="offboarded")
    assert len(first.made) == practices.count() and not first.skipped
    assert {r.trigger for r in first.made} == {Trigger.SCHEDULE}
    again = monthly_reports_due(workspace, today=date(2020, 4, 2))  # a retried run
    assert not again.made and len(again.skipped) == practices.count()


def test_january_reports_the_december_before():
    run = monthly_reports_due(Workspace.objects.get(slug="summit"), today=date(2021, 1, 1))
    assert run.month == Month(2020, 12)
    assert {r.month for r in run.made} == {date(2020, 12, 1)}


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
