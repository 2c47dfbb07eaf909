"""The monthly report's KPIs against targets and its A/R aging at month end (issue 14), on the
hand-built March 2020 book of `monthly_helpers` (its arithmetic in that module's docstring):
stored with the figures, rendered in the PDF.

With claim A's service on 1 December 2019 (121 days before 31 March: 120+) and claim B's on
5 March 2020 (26 days: 0–30), at 31 March claim A owes 110 + 12 − 80 − 20 + 80 − 70 − 12 =
20.00 and claim B 110 + 12 − 30 + 10 = 102.00: 122.00, the roll-forward's A/R at the end.

KPIs over March: net collection = payments net of the reversal and the takeback (80 − 80 + 70
− 10 = 60.00) ÷ (charges 12 + 110 + 12 − the CO-45 20 = 114.00) = 52.63 % (target ≥ 95:
missed); days in A/R = 122.00 × 31 ÷ 134.00 charges = 28.22 days (≤ 35: met); clean claims:
claim B, the one original first submitted in March, went out clean: 100.00 % (met); initial
denial rate: no 835 answered a claim, nothing to measure.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

import pytest
from pypdf import PdfReader

from bureau.claims.models import Encounter
from bureau.reports.monthly_models import Trigger
from bureau.reports.monthly_render import body_html
from bureau.reports.monthly_services import monthly_report_generate
from bureau.reports.tests.monthly_helpers import MONTH, Book, build_book
from bureau.tenancy import rls
from bureau.tenancy.models import Practice

pytestmark = pytest.mark.django_db


@pytest.fixture
def book() -> Book:
    built = build_book(
        Practice.objects.get(workspace__slug="summit", name="Lakeside Family Medicine")
    )
    pid = built.practice.pk
    with rls.practice_scope([pid]):
        encounters = Encounter.objects.for_system([pid], reason="test")
        encounters.filter(pk=built.claim_a.encounter_id).update(date_of_service=date(2019, 12, 1))
        encounters.filter(pk=built.claim_b.encounter_id).update(date_of_service=date(2020, 3, 5))
    return built


def kpi(figures: dict[str, Any], key: str) -> dict[str, Any]:
    return next(k for k in figures["kpis"] if k["key"] == key)


def test_the_stored_figures_carry_the_kpis_against_targets(book: Book) -> None:
    figures = monthly_report_generate(
        practice=book.practice, month=MONTH, trigger=Trigger.COMMAND
    ).figures
    net = kpi(figures, "net_collection_rate")
    assert (net["numerator"], net["denominator"], net["value"]) == ("60.00", "114.00", "52.63")
    assert (net["target"], net["target_label"], net["met"]) == ("95", "≥ 95 %", False)
    days = kpi(figures, "days_in_ar")
    assert (days["numerator"], days["value"], days["met"]) == ("122.00", "28.22", True)
    assert days["target_label"] == "≤ 35 days"
    clean = kpi(figures, "clean_claim_rate")
    assert (clean["numerator"], clean["denominator"], clean["value"]) == ("1.00", "1.00", "100.00")
    assert clean["met"] is True
    denials = kpi(figures, "initial_denial_rate")
    assert (denials["value"], denials["met"], denials["denominator"]) == (None, None, "0.00")


def test_the_stored_figures_carry_the_aging_at_month_end(book: Book) -> None:
    figures = monthly_report_generate(
        practice=book.practice, month=MONTH, trigger=Trigger.COMMAND
    ).figures
    aging = figures["aging"]
    assert aging["as_of"] == "2020-03-31" and aging["claims"] == 2
    assert [b["amount"] for b in aging["buckets"]] == ["102.00", "0.00", "0.00", "0.00", "20.00"]
    assert aging["total"] == figures["rollforward"]["end"] == "122.00"
    assert (aging["over_90"], aging["over_90_pct"]) == ("20.00", "16.39")


def test_the_pdf_text_carries_the_kpis_and_the_aging(book: Book) -> None:
    report = monthly_report_generate(practice=book.practice, month=MONTH, trigger=Trigger.COMMAND)
    pages = PdfReader(io.BytesIO(bytes(report.pdf))).pages
    text = " ".join(" ".join(p.extract_text() for p in pages).split())
    assert "KPIs against targets" in text
    assert "Net collection rate Adjusted (net) 52.63 % ≥ 95 % missed" in text
    assert "Days in A/R On gross charges 28.22 days ≤ 35 days met" in text
    assert "Clean claim rate" in text and "100.00 % ≥ 95 % met" in text
    assert "Initial denial rate By claim count — ≤ 5 % nothing to measure" in text
    assert "A/R aging at the month's end" in text
    assert "$102.00 $0.00 $0.00 $0.00 $20.00 $122.00 $20.00 (16.39 %)" in text


def test_a_version_stored_before_the_kpis_still_renders(book: Book) -> None:
    report = monthly_report_generate(practice=book.practice, month=MONTH, trigger=Trigger.COMMAND)
    older = {k: v for k, v in report.figures.items() if k not in ("kpis", "aging")}
    html = body_html(older, version=1, generated_at=report.generated_at, generated_by="system")
    assert "generated before KPIs were part" in html and "generated before the aging" in html
