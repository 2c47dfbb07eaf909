"""The monthly report as HTML: one body template for the preview page and the PDF.

The figures are stored as JSON with Decimals as strings (reports.monthly); this module only
formats them for reading — it computes nothing, so the page and the PDF cannot disagree with
the stored figures or with each other.
"""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string

from bureau.reports.monthly import LINES

BODY = "reports/monthly/body.html"
DOCUMENT = "reports/monthly/document.html"


def money(value: str | Decimal) -> str:
    """$1,234.56, and −$1,234.56 for a negative amount."""
    amount = Decimal(value)
    text = f"${abs(amount):,.2f}"
    return f"−{text}" if amount < 0 else text


def context(
    figures: dict[str, Any], *, version: int, generated_at: datetime, generated_by: str
) -> dict[str, Any]:
    roll = figures["rollforward"]
    activity = figures["activity"]
    return {
        "f": figures,
        "version": version,
        "generated_at": generated_at,
        "generated_by": generated_by,
        "start": money(roll["start"]),
        "end": money(roll["end"]),
        "lines": [
            {**line, "shown": money(line["amount"]), "reversals": money(line["of_which_reversals"])}
            for line in roll["lines"]
        ],
        # The identity in one sentence, with the numbers: what the client checks first.
        "identity": " ".join(
            [money(roll["start"])]
            + [f"{line['sign']} {money(line['amount'])}" for line in roll["lines"]]
            + ["=", money(roll["end"])]
        ),
        "columns": [(line.key, line.sign, line.short) for line in LINES],
        "payers": [
            {
                "payer": p["payer"],
                "start": money(p["start"]),
                "cells": [money(p[line.key]) for line in LINES],
                "end": money(p["end"]),
            }
            for p in roll["by_payer"]
        ],
        "a": {
            "submitted_count": activity["claims_submitted"]["count"],
            "submitted_charges": money(activity["claims_submitted"]["charges"]),
            "eras_count": activity["eras_received"]["count"],
            "eras_paid": money(activity["eras_received"]["paid"]),
            "denials_opened": activity["denials_opened"]["count"],
            "denials_opened_amount": money(activity["denials_opened"]["amount"]),
            "closed": activity["denials_closed"],
            "write_offs": [
                {**w, "shown": money(w["amount"])} for w in activity["write_offs_by_reason"]
            ],
            "write_offs_total": money(activity["write_offs_total"]),
        },
    }


UNIT_SUFFIX = {"percent": " %", "days": " days"}


def kpi_shown(row: dict[str, Any]) -> str:
    """A stored KPI value as read: 96.20 %, 31.50 days; a dash when nothing was measured."""
    if row["value"] is None:
        return "—"
    return f"{Decimal(row['value']):,.2f}{UNIT_SUFFIX.get(row['unit'], '')}"


def kpis_and_aging(figures: dict[str, Any]) -> dict[str, Any]:
    """The stored KPIs against targets and the aging at month end, formatted; absent from a
    version generated before they were part of the report (its figures stay as stored)."""
    kpis = [
        {
            **row,
            "shown": kpi_shown(row),
            "status": "nothing to measure"
            if row["met"] is None
            else "met"
            if row["met"]
            else "missed",
        }
        for row in figures.get("kpis", [])
    ]
    aging = figures.get("aging")
    if aging is not None:
        aging = {
            **aging,
            "cells": [{**b, "shown": money(b["amount"])} for b in aging["buckets"]],
            "total_shown": money(aging["total"]),
            "over_90_shown": money(aging["over_90"]),
            "over_90_pct_shown": "—"
            if aging["over_90_pct"] is None
            else f"{Decimal(aging['over_90_pct']):.2f} %",
        }
    return {"kpis": kpis, "aging": aging}


def body_html(figures: dict[str, Any], **meta: Any) -> str:
    return render_to_string(BODY, {**context(figures, **meta), **kpis_and_aging(figures)})


def document_html(figures: dict[str, Any], **meta: Any) -> str:
    """The PDF's document: the same body, wrapped with its print styles."""
    return render_to_string(DOCUMENT, {"body": body_html(figures, **meta), "f": figures})
