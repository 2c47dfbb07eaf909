"""Paid per week: buckets by the payer's payment week, scaled bars, scoped like the list."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from bureau.accounts.models import User
from bureau.conftest import verified_client
from bureau.remittance.charts import PLOT_HEIGHT, WEEKS, weekly_payments
from bureau.remittance.models import Era
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.roles import Capability

from .test_views import ingest_scenario

pytestmark = pytest.mark.django_db
TODAY = date(2026, 11, 25)  # a Wednesday: this week began Monday 2026-11-23


def dated(era: Era, day: date) -> None:
    with rls.practice_scope([era.practice_id]):
        Era.objects.for_system([era.practice_id], reason="test").filter(pk=era.pk).update(
            payment_date=day
        )


def actor_of(username: str):
    actor = resolve_actor(User.objects.get(username=username))
    assert actor is not None
    return actor


def test_payments_land_in_their_week_and_the_tallest_bar_fills_the_plot():
    first = ingest_scenario()
    second = ingest_scenario(unmatched=False)
    dated(first.era, date(2026, 11, 24))  # this week
    dated(second.era, date(2026, 11, 10))  # two weeks back
    chart = weekly_payments(actor=actor_of("olivia.owner"), today=TODAY)
    assert len(chart.bars) == WEEKS and chart.bars[-1].week_start == date(2026, 11, 23)
    assert chart.bars[0].week_start == date(2026, 11, 23) - timedelta(weeks=WEEKS - 1)
    by_week = {bar.week_start: bar for bar in chart.bars}
    this, back = by_week[date(2026, 11, 23)], by_week[date(2026, 11, 9)]
    assert (this.paid, this.eras) == (first.era.payment_amount, 1)
    assert (back.paid, back.eras) == (second.era.payment_amount, 1)
    assert chart.total == first.era.payment_amount + second.era.payment_amount
    tallest = max(chart.bars, key=lambda bar: bar.paid)
    assert tallest.height == PLOT_HEIGHT and chart.peak == tallest
    assert all(bar.height == 0 for bar in chart.bars if bar.paid == 0)
    smaller = min((this, back), key=lambda bar: bar.paid)
    assert smaller.height == int(PLOT_HEIGHT * smaller.paid / tallest.paid)


def test_an_old_payment_is_outside_the_chart_and_filters_apply():
    s = ingest_scenario()
    dated(s.era, TODAY - timedelta(weeks=WEEKS + 1))
    chart = weekly_payments(actor=actor_of("olivia.owner"), today=TODAY)
    assert chart.total == Decimal("0.00") and chart.peak is None
    dated(s.era, TODAY)
    other = b.summit()[1]
    assert (
        weekly_payments(actor=actor_of("olivia.owner"), practice_id=other.pk, today=TODAY).total
        == 0
    )
    assert (
        weekly_payments(
            actor=actor_of("olivia.owner"), payer_name="No Such Payer", today=TODAY
        ).total
        == 0
    )
    assert (
        weekly_payments(
            actor=actor_of("olivia.owner"), practice_id=s.practice.pk, today=TODAY
        ).total
        == s.era.payment_amount
    )


def test_a_person_sees_only_the_payments_of_practices_they_may_view():
    s = ingest_scenario()
    dated(s.era, timezone.localdate())
    priya = actor_of("priya.poster")
    assert not priya.can(Capability.PAYMENTS_VIEW, s.practice.pk)
    assert weekly_payments(actor=priya).total == 0
    assert weekly_payments(actor=actor_of("olivia.owner")).total == s.era.payment_amount


def test_the_era_list_draws_the_chart():
    s = ingest_scenario()
    dated(s.era, timezone.localdate())
    body = verified_client("olivia.owner").get(reverse("eras:list")).content.decode()
    assert 'id="weekly-payments"' in body and "<rect" in body
    assert "in 1 ERA</title>" in body


def test_no_recent_payment_says_so_instead_of_an_empty_chart():
    ingest_scenario()  # dated in the past
    body = verified_client("olivia.owner").get(reverse("eras:list")).content.decode()
    assert "No payments dated in the last 13 weeks." in body and "<svg" not in body
