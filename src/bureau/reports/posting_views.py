"""The ERA posting volume page and its exports (`reports.posting` computes)."""

from __future__ import annotations

from typing import Any

from bureau.reports import period_reports as pr
from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.posting import PostingReport, posting_volume


def _chart(report: PostingReport) -> StackedBars:
    by = "day" if report.daily else "month"
    return stacked_bars(
        f"Dollars paid on ERA claims by {by}: auto-posted, posted after review, not posted",
        ("Auto-posted", "Reviewed", "Not posted"),
        [
            (r.label, (r.auto_paid, r.resolved_paid, r.paid - r.posted_paid))
            for r in report.rows[-36:]
        ],
    )


HEADER = [
    "level",
    "period",
    "first day",
    "ERAs",
    "claim payments",
    "auto-posted",
    "sent to exceptions",
    "posted after review",
    "exceptions open",
    "dismissed",
    "auto-post rate %",
    "paid (CLP04)",
    "auto-posted dollars",
    "posted after review dollars",
    "dollars posted",
    "auto-post rate by dollars %",
    "period start",
    "period end",
]


def export_rows(report: PostingReport) -> list[list[Any]]:
    f = report.filters

    def line(level: str, r: Any) -> list[Any]:
        return [
            level, r.label, r.first_day, r.eras, r.claims, r.auto, r.exceptions, r.resolved,
            r.open, r.dismissed, r.auto_rate, r.paid, r.auto_paid, r.resolved_paid,
            r.posted_paid, r.auto_dollar_rate, f.start, f.end,
        ]  # fmt: skip

    by = "day" if report.daily else "month"
    return [*(line(by, r) for r in report.rows), line("total", report.total)]


VIEWS = pr.PeriodViews(
    runner=posting_volume,
    name="era_posting_volume",
    title="ERA posting volume",
    template="reports/posting.html",
    pdf_template="reports/posting_pdf.html",
    file_stem="era-posting-volume",
    model="remittance.Era",
    chart=_chart,
    header=HEADER,
    rows=export_rows,
)
posting_view = VIEWS.page_view()
posting_csv_view = VIEWS.csv_view()
posting_pdf_view = VIEWS.pdf_view()
