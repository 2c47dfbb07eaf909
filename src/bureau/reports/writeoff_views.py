"""The write-offs by reason page and its exports (`reports.writeoff_report` computes)."""

from __future__ import annotations

from typing import Any

from bureau.reports import period_reports as pr
from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.writeoff_report import (
    TALLIES,
    WriteOffReport,
    WriteOffRow,
    writeoffs_by_reason,
)


def _chart(report: WriteOffReport) -> StackedBars:
    return stacked_bars(
        "Write-off dollars by reason",
        ("Approved", "Taken back", "Waiting"),
        [
            (r.label, (r.approved.amount, r.taken_back.amount, r.pending.amount))
            for r in report.by_reason
        ],
    )


HEADER = [
    "level",
    "practice",
    "reason",
    "approved count",
    "approved dollars",
    "on denied claims count",
    "on denied claims dollars",
    "taken back count",
    "taken back dollars",
    "refused count",
    "refused dollars",
    "pending count",
    "pending dollars",
    "period start",
    "period end",
]


def export_rows(report: WriteOffReport) -> list[list[Any]]:
    f = report.filters

    def line(level: str, practice: str, reason: str, row: WriteOffRow) -> list[Any]:
        cells: list[Any] = []
        for name in TALLIES:
            tally = getattr(row, name)
            cells += [tally.count, tally.amount]
        return [level, practice, reason, *cells, f.start, f.end]

    rows = []
    for practice in report.book.children:
        rows += [line("reason", practice.label, r.label, r) for r in practice.children]
        rows.append(line("practice", practice.label, "", practice))
    rows.append(line("book", "", "", report.book))
    return rows


VIEWS = pr.PeriodViews(
    runner=writeoffs_by_reason,
    name="writeoffs_by_reason",
    title="Write-offs by reason",
    template="reports/writeoffs.html",
    pdf_template="reports/writeoffs_pdf.html",
    file_stem="writeoffs-by-reason",
    model="billing.WriteOffRequest",
    chart=_chart,
    header=HEADER,
    rows=export_rows,
)
writeoffs_view = VIEWS.page_view()
writeoffs_csv_view = VIEWS.csv_view()
writeoffs_pdf_view = VIEWS.pdf_view()
