"""The payer performance page and its exports (CSV, PDF): one runner, three outputs (the views
are `month_window.WindowViews`'; this states the drill links and the CSV)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from django.urls import reverse

from bureau.reports.month_window import WindowViews, window_query
from bureau.reports.payer_report import (
    REPORT,
    PayerFigures,
    PayerReport,
    payer_chart,
    payer_performance,
)
from bureau.tenancy.actor import Actor


@dataclass(frozen=True, kw_only=True)
class PayerViews(WindowViews[PayerReport]):
    def context(self, actor: Actor, answer: PayerReport) -> dict[str, Any]:
        """A month-window page whose practice rows link to the page narrowed to the practice."""
        page = reverse("reports:payers")
        for block in answer.practices:
            query = window_query(answer.filters, answer.window, practice=block.public_id)
            block.drill = f"{page}?{urlencode(query)}"
        return super().context(actor, answer)


HEADER = [
    "level",
    "practice",
    "payer",
    "claims first adjudicated",
    "days to first 835",
    "days to pay",
    "initial denial rate %",
    "first-pass rate %",
    "initially denied claims",
    "first-pass claims",
    "contracted lines",
    "underpaid lines",
    "underpayment rate %",
    "underpaid dollars",
    "denials",
    "denied dollars",
    "from",
    "to",
]


def export_rows(report: PayerReport) -> list[list[Any]]:
    w = report.window

    def line(level: str, practice: str, payer: str, f: PayerFigures) -> list[Any]:
        return [
            level, practice, payer, f.adjudicated, f.days_to_answer, f.days_to_pay,
            f.initial_denial_rate, f.first_pass_rate, f.initially_denied, f.first_pass,
            f.contracted_lines, f.underpaid_lines, f.underpayment_rate, f.underpaid,
            f.denials, f.denied, w.start, w.end,
        ]  # fmt: skip

    rows = [line("payer", "", r.label, r.figures) for r in report.payers]
    for block in report.practices:
        rows += [line("practice payer", block.label, r.label, r.figures) for r in block.payers]
        rows.append(line("practice", block.label, "", block.figures))
    rows.append(line("book", "", "", report.total))
    return rows


# Rates, days and dollars by practice and payer: figures, no claim or patient (the files carry
# `SUMMARY_CARRIES`).
VIEWS = PayerViews(
    runner=payer_performance,
    name=REPORT,
    model="claims.Claim",
    template="reports/payers.html",
    pdf_template="reports/payers_pdf.html",
    file_stem="payer-performance",
    chart=payer_chart,
    header=HEADER,
    rows=export_rows,
)
payers_view = VIEWS.page_view()
payers_csv_view = VIEWS.csv_view()
payers_pdf_view = VIEWS.pdf_view()
