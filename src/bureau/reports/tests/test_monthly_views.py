"""Monthly report pages: who sees which practice's reports, the PDF download (audited), the
preview rendering the PDF's own template."""

from __future__ import annotations

import uuid

import pytest
from django.urls import reverse

from bureau.audit.models import AuditAction, AuditEvent
from bureau.conftest import verified_client
from bureau.patients.models import Patient
from bureau.reports.monthly_models import MonthlyReport, Trigger
from bureau.reports.monthly_services import monthly_report_generate
from bureau.reports.tests.monthly_helpers import MONTH, build_book, stored_reports
from bureau.reports.tests.test_monthly_service import pdf_text
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db
CLIENT = "cliff.client"  # client viewer of Lakeside Family Medicine only


def summit() -> list[Practice]:
    return list(Practice.objects.filter(workspace__slug="summit").order_by("code"))


def lakeside() -> Practice:
    return Practice.objects.get(workspace__slug="summit", name="Lakeside Family Medicine")


def events(action: AuditAction) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action).order_by("id"))


def test_the_client_viewer_lists_only_her_practice_s_reports():
    reports = stored_reports(summit())
    mine = [r for r in reports if r.practice_id == lakeside().pk]
    client = verified_client(CLIENT)
    body = client.get(reverse("reports:monthly_list")).content.decode()
    for report in reports:
        assert (str(report.public_id) in body) == (report in mine), report.practice_id
    for practice in summit():
        if practice.pk != lakeside().pk:
            assert practice.name not in body
    listed = events(AuditAction.MONTHLY_REPORT_LISTED)
    assert [e.record_ids for e in listed] == [[str(r.public_id) for r in mine]]
    assert listed[0].practice_id == lakeside().pk


def test_the_client_viewer_downloads_her_report_and_the_download_is_audited():
    book = build_book(lakeside())
    report = monthly_report_generate(practice=book.practice, month=MONTH, trigger=Trigger.SCHEDULE)
    url = reverse("reports:monthly_pdf", kwargs={"public_id": report.public_id})
    response = verified_client(CLIENT).get(url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Cache-Control"] == "no-store"
    assert f"monthly-report-{book.practice.code}-2020-03-v1.pdf" in response["Content-Disposition"]
    assert response.content == bytes(report.pdf)  # the stored file, as generated
    (event,) = events(AuditAction.MONTHLY_REPORT_DOWNLOADED)
    assert event.user.username == CLIENT
    assert event.practice_id == book.practice.pk
    assert event.record_ids == [str(report.public_id)]
    assert event.detail == {"month": "2020-03", "version": 1}
    # The account manager may too.
    assert verified_client("alex.manager").get(url).status_code == 200
    assert len(events(AuditAction.MONTHLY_REPORT_DOWNLOADED)) == 2


@pytest.mark.parametrize("url_name", ["reports:monthly_preview", "reports:monthly_pdf"])
def test_another_practice_s_report_answers_exactly_like_a_missing_one(url_name):
    other = next(r for r in stored_reports(summit()) if r.practice_id != lakeside().pk)
    client = verified_client(CLIENT)
    missing = client.get(reverse(url_name, kwargs={"public_id": uuid.uuid4()}))
    foreign = client.get(reverse(url_name, kwargs={"public_id": other.public_id}))
    assert missing.status_code == foreign.status_code == 404
    assert missing.content == foreign.content
    assert not events(AuditAction.MONTHLY_REPORT_DOWNLOADED)
    assert not events(AuditAction.MONTHLY_REPORT_VIEWED)


def test_a_user_without_reports_view_gets_404():
    client = verified_client("dan.denials")
    assert client.get(reverse("reports:monthly_list")).status_code == 404


def test_the_preview_renders_the_pdf_s_template_from_the_stored_figures():
    book = build_book(lakeside())
    report = monthly_report_generate(practice=book.practice, month=MONTH, trigger=Trigger.COMMAND)
    url = reverse("reports:monthly_preview", kwargs={"public_id": report.public_id})
    body = verified_client(CLIENT).get(url).content.decode()
    identity = "$110.00 + $134.00 − $70.00 − $20.00 − $30.00 − $12.00 + $10.00 = $122.00"
    assert identity in body and identity in " ".join(pdf_text(bytes(report.pdf)).split())
    assert 'id="monthly-kpis-and-aging"' in body  # the section left for KPIs and aging
    assert reverse("reports:monthly_pdf", kwargs={"public_id": report.public_id}) in body
    (event,) = events(AuditAction.MONTHLY_REPORT_VIEWED)
    assert event.record_ids == [str(report.public_id)] and event.practice_id == book.practice.pk


def test_the_pdf_names_no_patient():
    book = build_book(lakeside())
    report = monthly_report_generate(practice=book.practice, month=MONTH, trigger=Trigger.COMMAND)
    text = pdf_text(bytes(report.pdf))
    with rls.practice_scope([book.practice.pk]):
        patients = list(Patient.objects.for_system([book.practice.pk], reason="test"))
    assert patients
    for patient in patients:
        assert patient.last_name not in text and patient.account_number not in text


def test_regenerated_months_list_every_version():
    book = build_book(lakeside())
    for _ in range(2):
        monthly_report_generate(practice=book.practice, month=MONTH, trigger=Trigger.COMMAND)
    body = verified_client(CLIENT).get(reverse("reports:monthly_list")).content.decode()
    with rls.practice_scope([book.practice.pk]):
        ids = list(
            MonthlyReport.objects.for_system([book.practice.pk], reason="test").values_list(
                "public_id", flat=True
            )
        )
    assert len(ids) == 2 and all(str(i) in body for i in ids)


def test_the_list_costs_the_same_queries_for_one_report_as_for_many():
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = verified_client("olivia.owner")
    url = reverse("reports:monthly_list")

    def count() -> int:
        client.get(url)  # warm-up
        with CaptureQueriesContext(connection) as queries:
            assert client.get(url).status_code == 200
        return len(queries)

    stored_reports(summit()[:1])
    one = count()
    stored_reports(summit())
    assert count() == one, "a query per row or per practice"


def test_a_provider_limited_reader_is_told_why_the_practice_s_reports_are_not_listed():
    """Issue 14: the reports exist but cover every provider; the page says so, not "none yet"."""
    from bureau.reports.tests.test_pdf_coverage import whole_and_limited

    reports = stored_reports(summit())
    assert any(r.practice_id == lakeside().pk for r in reports)
    client = verified_client(whole_and_limited())
    body = client.get(
        reverse("reports:monthly_list"), {"practice": str(lakeside().public_id)}
    ).content.decode()
    assert "No monthly reports yet." not in body
    assert (
        "Monthly reports cover the whole practice; your access to Lakeside Family Medicine "
        "is limited to some providers." in body
    )
    assert not [r for r in reports if str(r.public_id) in body]
    cedar = client.get(reverse("reports:monthly_list"), {"practice": "all"}).content.decode()
    assert "your access to Lakeside Family Medicine is limited" in cedar
    assert any(str(r.public_id) in cedar for r in reports)  # Cedar Ridge's own are listed
