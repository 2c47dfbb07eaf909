"""The payer and CPT mix page and its exports (`reports.mix` computes; `PeriodViews` reads the
request, audits and renders: this states the chart and the CSV)."""

from __future__ import annotations

from typing import Any

from bureau.reports import period_reports as pr
from bureau.reports.charts import StackedBars, stacked_bars
from bureau.reports.mix import MixReport, payer_and_cpt_mix


def _chart(report: MixReport) -> StackedBars:
    return stacked_bars(
        "Charges by payer",
        ("Charges",),
        [(r.label, (r.charges,)) for r in report.payers[:15]],
    )


HEADER = [
    "mix",
    "payer",
    "procedure code",
    "claims",
    "units",
    "charges",
    "share of charges %",
    "payments",
    "share of payments %",
    "units paid",
    "paid per unit",
    "period start",
    "period end",
]


def export_rows(report: MixReport) -> list[list[Any]]:
    f = report.filters
    rows: list[list[Any]] = []
    for r in report.payers:
        rows.append(["payer", r.label, "", r.claims, None, r.charges, r.charge_share,
                     r.payments, r.payment_share, None, None, f.start, f.end])  # fmt: skip
    t = report.total
    rows.append(["total", "", "", t.claims, None, t.charges, None, t.payments, None, None, None,
                 f.start, f.end])  # fmt: skip
    for r in report.codes:
        rows.append(["procedure", "", r.label, r.claims, r.units, r.charges, r.charge_share,
                     r.payments, r.payment_share, r.paid_units, r.paid_per_unit, f.start,
                     f.end])  # fmt: skip
    return rows


VIEWS = pr.PeriodViews(
    runner=payer_and_cpt_mix,
    name="payer_cpt_mix",
    title="Payer & CPT mix",
    template="reports/mix.html",
    pdf_template="reports/mix_pdf.html",
    file_stem="payer-cpt-mix",
    model="ledger.LedgerEntry",
    chart=_chart,
    header=HEADER,
    rows=export_rows,
)
mix_view = VIEWS.page_view()
mix_csv_view = VIEWS.csv_view()
mix_pdf_view = VIEWS.pdf_view()
