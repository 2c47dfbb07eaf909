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


def body_html(figures: dict[str, Any], **meta: Any) -> str:
    return render_to_string(BODY, context(figures, **meta))


def document_html(figures: dict[str, Any], **meta: Any) -> str:
    """The PDF's document: the same body, wrapped with its print styles."""
    return render_to_string(DOCUMENT, {"body": body_html(figures, **meta), "f": figures})
