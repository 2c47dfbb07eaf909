"""Loaders for NCCI procedure-to-procedure edits and MUE units-per-day limits.

The CMS files carry CPT descriptors and codes under the AMA licence, so the repository ships only
small synthetic samples (`bureau/claims/data/*_sample.csv`). Lines starting with `#` are
comments. Every bad row is reported with its line number; good rows are still returned.

NCCI columns: `column1,column2,modifier_indicator` (0 or 1; 9 = deleted, skipped).
MUE columns: `code,max_units` (a positive integer).
"""

from __future__ import annotations

import csv
from dataclasses import dataclass, field
from pathlib import Path
from typing import Generic, TypeVar

from bureau.claims.scrubber.rules import PROCEDURE_CODE

DATA_DIR = Path(__file__).resolve().parent.parent / "data"
NCCI_SAMPLE = DATA_DIR / "ncci_sample.csv"
MUE_SAMPLE = DATA_DIR / "mue_sample.csv"
HEADERS = {"column1", "code"}  # first cell of an optional header row


T = TypeVar("T")


@dataclass
class TableLoad(Generic[T]):  # noqa: UP046 (Python 3.11)
    table: T
    errors: list[str] = field(default_factory=list)


def _rows(path: Path | str) -> list[tuple[int, list[str]]]:
    with open(path, newline="", encoding="utf-8") as fh:
        lines = [
            (n, line)
            for n, line in enumerate(fh, start=1)
            if line.strip() and not line.lstrip().startswith("#")
        ]
    rows = [
        (n, row) for (n, _), row in zip(lines, csv.reader(text for _, text in lines), strict=True)
    ]
    if rows and rows[0][1] and rows[0][1][0].strip().lower() in HEADERS:
        rows = rows[1:]
    return rows


def load_ncci_csv(path: Path | str) -> TableLoad[dict[tuple[str, str], int]]:
    result: TableLoad[dict[tuple[str, str], int]] = TableLoad({})
    for n, row in _rows(path):
        cells = [c.strip().upper() for c in row]
        if len(cells) != 3:
            result.errors.append(f"line {n}: expected column1,column2,modifier_indicator")
            continue
        first, second, indicator = cells
        bad = [c for c in (first, second) if not PROCEDURE_CODE.match(c)]
        if bad:
            result.errors.append(f"line {n}: {bad[0]!r} is not a procedure code")
        elif first == second:
            result.errors.append(f"line {n}: a code cannot be paired with itself")
        elif indicator not in ("0", "1", "9"):
            result.errors.append(f"line {n}: modifier indicator must be 0, 1 or 9")
        elif indicator != "9":
            result.table[(first, second)] = int(indicator)
    return result


def load_mue_csv(path: Path | str) -> TableLoad[dict[str, int]]:
    result: TableLoad[dict[str, int]] = TableLoad({})
    for n, row in _rows(path):
        cells = [c.strip().upper() for c in row]
        if len(cells) != 2:
            result.errors.append(f"line {n}: expected code,max_units")
            continue
        code, units = cells
        if not PROCEDURE_CODE.match(code):
            result.errors.append(f"line {n}: {code!r} is not a procedure code")
        elif not units.isdigit() or int(units) < 1:
            result.errors.append(f"line {n}: max units must be a positive whole number")
        else:
            result.table[code] = int(units)
    return result
