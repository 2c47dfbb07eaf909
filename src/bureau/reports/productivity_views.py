"""The productivity report's page and its exports (CSV, PDF): its chart and CSV rows; the views
are the work reports' (`work_filters.WorkViews`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.productivity import REPORT, ProductivityReport, WorkLine, productivity_report
from bureau.reports.work_filters import WorkViews

CHART_SERIES = 5  # practices drawn apart in the chart; more are drawn as one total


def chart(report: ProductivityReport) -> StackedBars:
    """Items resolved per person, split by practice (up to CHART_SERIES practices)."""
    practices = report.practices
    if 1 < len(practices) <= CHART_SERIES:
        series = [p.name for p in practices]
        rows = [
            (
                person.label,
                [
                    Decimal(sum(w.items for w in p.people if w.user_id == person.user_id))
                    for p in practices
                ],
            )
            for person in report.people
        ]
    else:
        series = ["Items resolved"]
        rows = [(person.label, [Decimal(person.items)]) for person in report.people]
    return stacked_bars("Work items resolved, per person", series, rows[:25])


HEADER = [
    "level",
    "practice",
    "person",
    "people",
    "items resolved",
    "dollars resolved",
    "attempts",
    "business days",
    "items per person-day",
    "dollars per person-day",
    "attempts per person-day",
    "period start",
    "period end",
]


def csv_rows(report: ProductivityReport) -> list[list[Any]]:
    f = report.filters

    def line(level: str, practice: str, person: str, w: WorkLine) -> list[Any]:
        return [
            level,
            practice,
            person,
            w.people,
            w.items,
            w.dollars,
            w.attempts,
            w.days,
            w.items_per_day,
            w.dollars_per_day,
            w.attempts_per_day,
            f.start,
            f.end,
        ]

    rows = []
    for practice in report.practices:
        rows += [line("person", practice.name, w.label, w) for w in practice.people]
        rows.append(line("practice", practice.name, "", practice.total))
    rows += [line("person across practices", "", w.label, w) for w in report.people]
    rows.append(line("book", "", "", report.book))
    return rows


# Figures about work and the names of the billing company's people who did it, no patient and
# no claim: the files carry the KPI's capability, like the aging summary (`SUMMARY_CARRIES`).
VIEWS = WorkViews(
    runner=productivity_report,
    name=REPORT,
    template="reports/productivity.html",
    pdf_template="reports/productivity_pdf.html",
    file_stem="productivity",
    chart=chart,
    header=HEADER,
    rows=csv_rows,
)
productivity_view = VIEWS.page_view()
productivity_csv_view = VIEWS.csv_view()
productivity_pdf_view = VIEWS.pdf_view()
