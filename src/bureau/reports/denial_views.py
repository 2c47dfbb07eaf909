"""The denials analytics page and its exports (CSV, PDF): one runner, three outputs (the views
are `month_window.WindowViews`'; this states the CSV)."""

from __future__ import annotations

from typing import Any

from bureau.reports.denial_report import REPORT, DenialReport, denial_analytics, denial_chart
from bureau.reports.month_window import WindowViews

HEADER = [
    "section",
    "practice",
    "payer",
    "category",
    "carc",
    "description",
    "root cause",
    "month",
    "denials",
    "dollars denied",
    "share of denials %",
    "share of dollars %",
    "from",
    "to",
]


def export_rows(report: DenialReport) -> list[list[Any]]:
    """Every table of the page as long-format rows, one `section` each, so a spreadsheet can
    pivot them; the month is the month's first day (a date), blank on a period total."""
    w = report.window
    practice = report.filters.practice.name if report.filters.practice else ""
    payer = report.filters.payer.name if report.filters.payer else ""

    def line(section: str, **v: Any) -> list[Any]:
        return [
            section,
            v.get("practice", practice),
            v.get("payer", payer),
            v.get("category", ""),
            v.get("carc", ""),
            v.get("description", ""),
            v.get("cause", ""),
            v.get("month"),
            v["count"],
            v["dollars"],
            v.get("count_share"),
            v.get("dollar_share"),
            w.start,
            w.end,
        ]

    rows = []
    for c in report.categories:
        for month, t in zip(w.firsts, c.months, strict=True):
            rows.append(line("category by month", category=c.label, month=month, count=t.count,
                             dollars=t.dollars))  # fmt: skip
        rows.append(
            line("category", category=c.label, count=c.total.count, dollars=c.total.dollars)
        )
    for r in report.reasons:
        rows.append(line("reason", carc=r.carc, description=r.description, category=r.category,
                         count=r.count, dollars=r.dollars, count_share=r.count_share,
                         dollar_share=r.dollar_share))  # fmt: skip
    for p in report.payer_reasons:
        for month, t in zip(w.firsts, p.months, strict=True):
            if t.count:
                rows.append(line("payer reason by month", payer=p.payer, carc=p.carc,
                                 description=p.description, month=month, count=t.count,
                                 dollars=t.dollars))  # fmt: skip
        rows.append(line("payer reason", payer=p.payer, carc=p.carc, description=p.description,
                         count=p.total.count, dollars=p.total.dollars))  # fmt: skip
    for rc in report.root_causes:
        rows.append(line("root cause", cause=rc.label, category=rc.category, count=rc.count,
                         dollars=rc.dollars, dollar_share=rc.dollar_share))  # fmt: skip
    for pr in report.practices:
        rows.append(line("practice", practice=pr.label, count=pr.count, dollars=pr.dollars))
    rows.append(line("total", count=report.total.count, dollars=report.total.dollars))
    return rows


# Counts and dollars by category, reason, payer and practice: figures, no claim or patient
# (the files carry `SUMMARY_CARRIES`).
VIEWS = WindowViews(
    runner=denial_analytics,
    name=REPORT,
    model="denials.Denial",
    template="reports/denials.html",
    pdf_template="reports/denials_pdf.html",
    file_stem="denials",
    chart=denial_chart,
    header=HEADER,
    rows=export_rows,
)
denials_view = VIEWS.page_view()
denials_csv_view = VIEWS.csv_view()
denials_pdf_view = VIEWS.pdf_view()
