"""A report as a file: CSV for a spreadsheet, PDF for a client.

CSV: a header row, then one row per line of the report; numbers are plain numbers (`1234.50`,
no grouping, no currency sign, a minus for credits) and dates ISO dates (`2026-12-06`), so a
spreadsheet or `csv.reader` reads them as such. Text that a spreadsheet would take for a formula
(`=`, `+`, `-`, `@` first) is quoted with an apostrophe (CSV injection); numbers are never text.

PDF: the report's own HTML (the partial the page includes) inside a print shell, rendered by
`bureau.web.pdf.render_pdf`, the one renderer (it fetches nothing).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from django.template.loader import render_to_string

from bureau.web.pdf import render_pdf

CSV_TYPE = "text/csv; charset=utf-8"
PDF_TYPE = "application/pdf"
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def csv_cell(value: Any) -> str | int:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, Decimal):
        return f"{value:.2f}"
    if isinstance(value, int):
        return value
    if isinstance(value, datetime):
        return value.isoformat(timespec="seconds")
    if isinstance(value, date):
        return value.isoformat()
    text = str(value)
    return f"'{text}" if text.startswith(_FORMULA_START) else text


def csv_text(header: Sequence[str], rows: Iterable[Sequence[Any]]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([csv_cell(v) for v in row])
    return out.getvalue()


def pdf_bytes(template: str, context: dict[str, Any]) -> bytes:
    return render_pdf(render_to_string(template, context))
