"""The SLA report's page and its exports (CSV, PDF): its chart and CSV rows; the views are the
work reports' (`work_filters.WorkViews`)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.sla_report import REPORT, SlaLine, SlaReport, sla_report
from bureau.reports.work_filters import WorkViews

SERIES = ("Closed on time", "Closed late", "Open past SLA")


def chart(report: SlaReport) -> StackedBars:
    """Per function (of the one practice, or across the book): on time, late, open past SLA."""
    lines = report.practices[0].functions if len(report.practices) == 1 else report.functions
    if report.practices and report.practices[0].questions and len(report.practices) == 1:
        lines = [*lines, report.practices[0].questions]
    elif report.questions is not None and len(report.practices) != 1:
        lines = [*lines, report.questions]
    rows = [
        (line.label, [Decimal(line.on_time), Decimal(line.late), Decimal(line.breached_now)])
        for line in lines
    ]
    return stacked_bars("Work items by SLA outcome, per function", SERIES, rows)


HEADER = [
    "level",
    "practice",
    "function",
    "opened",
    "closed",
    "closed within SLA",
    "closed late",
    "open, SLA due in period",
    "open past SLA now",
    "compliance %",
    "compliance with open breaches %",
    "period start",
    "period end",
    "as of",
]


def csv_rows(report: SlaReport) -> list[list[Any]]:
    f = report.filters

    def line(level: str, practice: str, s: SlaLine) -> list[Any]:
        return [
            level,
            practice,
            s.label if s.key else "",
            s.opened,
            s.closed,
            s.on_time,
            s.late,
            s.open_due,
            s.breached_now,
            s.compliance,
            s.compliance_with_open,
            f.start,
            f.end,
            report.today,
        ]

    rows = []
    for p in report.practices:
        rows += [line("function", p.name, s) for s in p.functions]
        rows.append(line("practice", p.name, p.total))
        if p.questions is not None:
            rows.append(line("practice's clock", p.name, p.questions))
    rows += [line("function across practices", "", s) for s in report.functions]
    rows.append(line("book", "", report.book))
    if report.questions is not None:
        rows.append(line("practices' clock across practices", "", report.questions))
    return rows


# Counts of work items per function, no patient, no claim, no person: the files carry the KPI's
# capability (`SUMMARY_CARRIES`).
VIEWS = WorkViews(
    runner=sla_report,
    name=REPORT,
    template="reports/sla.html",
    pdf_template="reports/sla_pdf.html",
    file_stem="sla",
    chart=chart,
    header=HEADER,
    rows=csv_rows,
)
sla_view = VIEWS.page_view()
sla_csv_view = VIEWS.csv_view()
sla_pdf_view = VIEWS.pdf_view()
