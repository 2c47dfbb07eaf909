"""A report's "today": the server's date (what the ledger is dated by) or, when later, the day
the practice has reached — never "in the future" for a practice ahead of the server."""

from __future__ import annotations

from datetime import UTC, date, datetime
from types import SimpleNamespace
from typing import Any
from unittest import mock

from django.test import RequestFactory

from bureau.reports.filters import parse_report_filters, report_today
from bureau.tenancy.roles import Capability

# 20:30 UTC on the 6th (the server's date): already the 7th in Tokyo and Guam, still the 6th in
# Honolulu and New York.
MOMENT = datetime(2026, 12, 6, 20, 30, tzinfo=UTC)


def _actor(*zones: str) -> Any:
    practices = [SimpleNamespace(pk=n, timezone=z) for n, z in enumerate(zones, start=1)]
    access = {
        p.pk: SimpleNamespace(practice=p, capabilities={Capability.REPORTS_VIEW}) for p in practices
    }
    return SimpleNamespace(access=access), practices


def _at(moment: datetime) -> Any:
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_a_practice_ahead_of_the_server_reports_on_its_own_day() -> None:
    actor, (tokyo, honolulu) = _actor("Asia/Tokyo", "Pacific/Honolulu")
    with _at(MOMENT):
        assert report_today(actor, tokyo) == date(2026, 12, 7)
        # Behind the server: the server's day, so what the ledger dated today is in the report.
        assert report_today(actor, honolulu) == date(2026, 12, 6)


def test_across_the_book_today_is_the_latest_day_any_practice_has_reached() -> None:
    actor, _ = _actor("Pacific/Honolulu", "America/New_York")
    with _at(MOMENT):
        assert report_today(actor, None) == date(2026, 12, 6)
    actor, _ = _actor("Pacific/Honolulu", "Pacific/Guam")
    with _at(MOMENT):
        assert report_today(actor, None) == date(2026, 12, 7)


def test_the_practice_s_own_today_is_accepted_and_tomorrow_refused_with_its_day() -> None:
    actor, (tokyo,) = _actor("Asia/Tokyo")
    chosen = mock.patch("bureau.reports.filters.chosen_practice", return_value=tokyo)
    with _at(MOMENT), chosen:
        ok = RequestFactory().get("/reports/aging/", {"as_of": "2026-12-07"})
        assert not parse_report_filters(ok, actor, Capability.REPORTS_VIEW).errors
        ahead = RequestFactory().get("/reports/aging/", {"as_of": "2026-12-08"})
        assert parse_report_filters(ahead, actor, Capability.REPORTS_VIEW).errors == (
            "As-of date 2026-12-08 is in the future (today is 2026-12-07).",
        )
        default = RequestFactory().get("/reports/aging/")
        assert parse_report_filters(default, actor, Capability.REPORTS_VIEW).as_of == date(
            2026, 12, 7
        )
