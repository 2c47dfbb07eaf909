"""What the month-window reports' tests (denials analytics, payer performance) share: their
filters over the KPI book, its query string, and the two checks every such page and its files
must pass — a foreign practice is the missing one's 404, a bad filter a 400 naming it."""

from __future__ import annotations

from django.utils import timezone

from bureau.conftest import verified_client
from bureau.reports.filters import AgingBasis, ReportFilters
from bureau.reports.tests.kpi_fixture import Book
from bureau.tenancy.models import Practice

NOBODY = "7b0b7b9a-0000-4222-9bf8-fb964f0de9bd"  # no practice or payer has this id


def window_filters(practice: Practice | None = None) -> ReportFilters:
    """A month-window report's practice and payer (every payer); as-of and basis are unread."""
    return ReportFilters(practice, None, timezone.localdate(), AgingBasis.SERVICE)


def book_query(book: Book, months: int) -> str:
    """The book's practice over the `months` ending March 2026."""
    return f"practice={book.practice.public_id}&month=2026-03&months={months}"


def page_and_files(report: str) -> tuple[str, str, str]:
    return (f"/reports/{report}/", f"/reports/{report}/export.csv", f"/reports/{report}/export.pdf")


def assert_a_foreign_practice_is_missing(book: Book, report: str) -> None:
    """The book's client viewer asks the page and its files for another practice of the
    workspace: the same 404, word for word, as for a practice that does not exist."""
    client = verified_client(book.viewer.username)
    foreign = Practice.objects.exclude(pk=book.practice.pk).first()
    assert foreign is not None
    for url in page_and_files(report):
        other = client.get(f"{url}?practice={foreign.public_id}")
        missing = client.get(f"{url}?practice={NOBODY}")
        assert other.status_code == missing.status_code == 404, url
        assert other.content == missing.content


def assert_refused(url: str, query: str, message: str) -> None:
    """`query` over the whole book answers 400, naming what is wrong."""
    response = verified_client("olivia.owner").get(f"{url}?practice=all&{query}")
    assert response.status_code == 400
    assert message in response.content.decode()


def assert_aging_parameters_are_not_read(report: str) -> None:
    """A link from the aging report carries its as-of date and basis: a month-window report
    does not use them, so even unreadable ones change nothing (200, not a 400 about a filter
    the page does not have)."""
    client = verified_client("olivia.owner")
    for url in page_and_files(report):
        response = client.get(f"{url}?practice=all&as_of=not-a-day&basis=sideways")
        assert response.status_code == 200, url
