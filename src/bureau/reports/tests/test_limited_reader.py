"""A reader whose reports.view on a practice is limited to some providers (issue 14, second
hostile review): every report page, the KPI dashboard and the home say that practice's figures
are partial, and no page offers an export link that answers 404 (the export of a practice the
reader may not take whole)."""

from __future__ import annotations

import html
import re
import uuid
from datetime import UTC, date, datetime
from unittest import mock

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.models import User
from bureau.conftest import verified_client
from bureau.directory.models import Provider
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.roles import Role
from bureau.web.tests.test_report_exports import report_exports

pytestmark = pytest.mark.django_db

LAKESIDE = "Lakeside Family Medicine"
CEDAR = "Cedar Ridge Cardiology"
NOTICE = f"Your access to <strong>{LAKESIDE}</strong> is limited to some providers"
FILES_CLAUSE = "the CSV and PDF files leave it out"
# A file link on a report page: its CSV, PDF, claims CSV or claims PDF.
FILE_LINK = re.compile(r'href="([^"]+\.(?:csv|pdf)\?[^"]*)"')


def _practice(name: str) -> Practice:
    return Practice.objects.get(workspace__slug="summit", name=name)


def whole_and_limited(role: Role) -> str:
    """`role` on Cedar Ridge over every provider, and on Lakeside over one provider."""
    cedar, lakeside = _practice(CEDAR), _practice(LAKESIDE)
    user = User.objects.create(username=f"lim.{uuid.uuid4().hex[:6]}", workspace=cedar.workspace)
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    for practice in (cedar, lakeside):
        grant = Grant.objects.create(
            workspace=practice.workspace, user=user, practice=practice, role=role.value, reason="t"
        )
        if practice == lakeside:
            grant.providers.set(Provider.objects.filter(practice=practice).order_by("id")[:1])
    return user.username


def _pages() -> list[str]:
    """Every report page with exports (the activity report needs audit.view: its own test)."""
    names = {
        n.removesuffix("_csv").removesuffix("_pdf").removesuffix("_claims")
        for n in report_exports()
    }
    return sorted(names - {"reports:activity"})


def _file_links(client: Client, url: str, params: dict[str, str]) -> tuple[str, list[str]]:
    response = client.get(url, params)
    assert response.status_code == 200, (url, params, response.status_code)
    body = response.content.decode()
    return body, [html.unescape(link) for link in FILE_LINK.findall(body)]


def test_the_pages_are_found():
    assert {"reports:aging", "reports:underpayments", "reports:denials"} <= set(_pages())


@pytest.mark.parametrize("page", _pages())
def test_a_report_of_the_limited_practice_offers_no_file_and_says_why(page):
    client = verified_client(whole_and_limited(Role.ACCOUNT_MANAGER))
    lakeside = str(_practice(LAKESIDE).public_id)
    body, links = _file_links(client, reverse(page), {"practice": lakeside})
    # Every export of Lakeside answers 404 for this reader (serves_report): no link to one.
    assert links == []
    assert NOTICE in body and FILES_CLAUSE in body


@pytest.mark.parametrize("page", _pages())
def test_every_file_link_opens_and_the_book_names_the_partial_practice(page):
    client = verified_client(whole_and_limited(Role.ACCOUNT_MANAGER))
    cedar = str(_practice(CEDAR).public_id)
    body, links = _file_links(client, reverse(page), {"practice": "all"})
    assert links, "the book's files cover Cedar Ridge"
    assert NOTICE in body
    for link in links:
        assert client.get(link).status_code == 200, link
    # A report of the whole practice: its files, and no notice.
    body, links = _file_links(client, reverse(page), {"practice": cedar})
    assert links and "is limited to some providers" not in body


def test_the_activity_report_of_the_limited_practice_offers_no_file():
    # A client viewer holds audit.view, limited on Lakeside as the rest of her grant.
    client = verified_client(whole_and_limited(Role.CLIENT_VIEWER))
    person = User.objects.get(username="olivia.owner").public_id
    for practice, expected in ((LAKESIDE, False), (CEDAR, True)):
        params = {"practice": str(_practice(practice).public_id), "person": str(person)}
        _, links = _file_links(client, reverse("reports:activity"), params)
        assert bool(links) is expected, practice
        for link in links:
            assert client.get(link).status_code == 200, link


def test_the_kpi_dashboard_and_the_home_say_the_figures_are_partial():
    client = verified_client(whole_and_limited(Role.ACCOUNT_MANAGER))
    lakeside = str(_practice(LAKESIDE).public_id)
    for url, params in (
        (reverse("reports:kpis"), {"practice": lakeside}),
        (reverse("reports:kpis"), {"practice": "all"}),
        (reverse("web:home"), {"practice": "all"}),
        (reverse("web:home"), {"practice": lakeside}),
    ):
        body = client.get(url, params).content.decode()
        assert NOTICE in body, (url, params)
        assert FILES_CLAUSE not in body  # these pages have no files
    body = client.get(reverse("web:home"), {"practice": str(_practice(CEDAR).public_id)})
    assert "is limited to some providers" not in body.content.decode()


def test_a_reader_of_whole_practices_sees_no_notice():
    client = verified_client("olivia.owner")
    for url in (reverse("web:home"), reverse("reports:aging"), reverse("reports:kpis")):
        assert "is limited to some providers" not in client.get(url).content.decode()


# -- the aging rows partial and the practice bar ----------------------------------------------
def test_the_aging_rows_partial_leaves_the_practice_bar_where_another_tab_put_it():
    from bureau.tenancy.context import ALL, SESSION_KEY

    client = verified_client("olivia.owner")
    lakeside, cedar = _practice(LAKESIDE), _practice(CEDAR)

    def bar_to(practice: Practice) -> None:
        session = client.session
        session[SESSION_KEY] = str(practice.public_id)
        session.save()

    bar_to(cedar)
    client.get(reverse("reports:aging"), {"practice": str(lakeside.public_id)})
    assert client.session[SESSION_KEY] == str(lakeside.public_id)  # the page moved the bar
    bar_to(cedar)  # another tab moves it back to Cedar Ridge; this tab opens Lakeside's row
    rows = client.get(
        reverse("reports:aging_rows"),
        {"practice": str(lakeside.public_id), "open": str(lakeside.public_id)},
        HTTP_HX_REQUEST="true",
    )
    assert rows.status_code == 200
    assert lakeside.name in rows.content.decode()
    assert client.session[SESSION_KEY] == str(cedar.public_id)
    # `all`, as the book's rows are asked for, leaves it too.
    client.get(reverse("reports:aging_rows"), {"practice": ALL}, HTTP_HX_REQUEST="true")
    assert client.session[SESSION_KEY] == str(cedar.public_id)


# -- the home's today is the reports' ----------------------------------------------------------
def test_the_home_is_as_of_the_day_its_links_open_for_a_practice_ahead_of_the_server():
    lakeside = _practice(LAKESIDE)
    # 20:30 UTC on the 6th: already the 7th in Guam.
    moment = datetime(2026, 12, 6, 20, 30, tzinfo=UTC)
    Practice.objects.filter(pk=lakeside.pk).update(timezone="Pacific/Guam")
    client = verified_client("olivia.owner")
    with mock.patch("django.utils.timezone.now", return_value=moment):
        body = client.get(reverse("web:home"), {"practice": str(lakeside.public_id)})
        aging = client.get(reverse("reports:aging"), {"practice": str(lakeside.public_id)})
    day = date(2026, 12, 7).isoformat()
    assert f"Insurance A/R as of {day}" in body.content.decode()
    assert f"as of {day}" in aging.content.decode()


# -- a narrowed file's chart names what the file covers -----------------------------------------
@pytest.mark.parametrize("name", ["reports:denials_pdf", "reports:payers_pdf"])
def test_a_narrowed_pdfs_chart_does_not_claim_all_practices(name):
    client = verified_client(whole_and_limited(Role.ACCOUNT_MANAGER))
    response = client.get(reverse(name), {"practice": "all"})
    assert response.status_code == 200
    # The chart the PDF was drawn with (the test database has no denial to draw its bars).
    title = response.context["chart"].title
    assert title.endswith(f"· {CEDAR}"), title  # the one practice the file covers


def test_a_chart_names_the_practice_or_counts_them():
    from bureau.reports.filters import chart_scope

    lakeside, cedar = _practice(LAKESIDE), _practice(CEDAR)
    assert chart_scope(lakeside, {lakeside.pk, cedar.pk}) == LAKESIDE
    assert chart_scope(None, {cedar.pk}) == CEDAR
    assert chart_scope(None, {lakeside.pk, cedar.pk}) == "2 practices"
