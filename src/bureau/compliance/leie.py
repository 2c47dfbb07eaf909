"""The OIG List of Excluded Individuals/Entities (LEIE), read as typed records.

OIG publishes the whole list as `UPDATED.csv` and, each month, two supplements with the same
columns: the month's new exclusions and its reinstatements. Dates are YYYYMMDD with `00000000`
for none; an NPI of `0000000000` means the entity had none on file.

`read_leie` streams: it decodes and checks one physical line at a time (the real file is about
80,000 rows), so a caller that stores records in batches never holds the whole list. Every
problem in the input is one `LeieError` naming the line and, where there is one, the column;
nothing else escapes the reader.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import date

COLUMNS: tuple[str, ...] = (
    "LASTNAME",
    "FIRSTNAME",
    "MIDNAME",
    "BUSNAME",
    "GENERAL",
    "SPECIALTY",
    "UPIN",
    "NPI",
    "DOB",
    "ADDRESS",
    "CITY",
    "STATE",
    "ZIP",
    "EXCLTYPE",
    "EXCLDATE",
    "REINDATE",
    "WAIVERDATE",
    "WVRSTATE",
)

# Longest value each column may hold: the stored fields' lengths, with room above what OIG
# publishes (e.g. LASTNAME 20, BUSNAME 30), so a shifted or garbled row is refused, not cut.
MAX_LENGTH: dict[str, int] = {
    "LASTNAME": 100,
    "FIRSTNAME": 100,
    "MIDNAME": 100,
    "BUSNAME": 200,
    "GENERAL": 100,
    "SPECIALTY": 100,
    "UPIN": 10,
    "NPI": 10,
    "DOB": 8,
    "ADDRESS": 200,
    "CITY": 100,
    "STATE": 2,
    "ZIP": 10,
    "EXCLTYPE": 20,
    "EXCLDATE": 8,
    "REINDATE": 8,
    "WAIVERDATE": 8,
    "WVRSTATE": 2,
}

EMPTY_DATE = "00000000"
EMPTY_NPI = "0000000000"
ASCII_DIGITS = frozenset("0123456789")
CONTROL = re.compile("[\x00-\x1f\x7f]")


class LeieError(ValueError):
    """The file is not a readable LEIE list; the message names the line and column."""

    def __init__(self, message: str, *, line: int | None = None, column: str | None = None):
        where = ""
        if line is not None:
            where = f"line {line}"
            if column is not None:
                where += f", column {column}"
            where += ": "
        super().__init__(where + message)
        self.line = line
        self.column = column


@dataclass(frozen=True)
class LeieRecord:
    """One row of the list (an individual or an entity), as OIG wrote it, typed."""

    line: int
    last_name: str
    first_name: str
    middle_name: str
    business_name: str
    general: str
    specialty: str
    upin: str
    npi: str  # "" when OIG has none
    dob: date | None
    address: str
    city: str
    state: str
    zip_code: str
    exclusion_type: str
    exclusion_date: date
    reinstatement_date: date | None
    waiver_date: date | None
    waiver_state: str

    @property
    def is_individual(self) -> bool:
        return bool(self.last_name or self.first_name)


def parse_leie_date(text: str, *, line: int, column: str) -> date | None:
    """YYYYMMDD, or None for `00000000` / blank. Only ASCII digits: `int()` would take
    Arabic-Indic or full-width digits, which no OIG file holds."""
    if text in ("", EMPTY_DATE):
        return None
    if len(text) != 8 or not set(text) <= ASCII_DIGITS:
        raise LeieError(f"{text!r} is not a date (YYYYMMDD)", line=line, column=column)
    try:
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    except ValueError:
        raise LeieError(f"{text!r} is not a real date", line=line, column=column) from None


def parse_leie_npi(text: str, *, line: int) -> str:
    """Ten ASCII digits, or "" for `0000000000` / blank."""
    if text in ("", EMPTY_NPI):
        return ""
    if len(text) != 10 or not set(text) <= ASCII_DIGITS:
        raise LeieError(f"{text!r} is not an NPI (10 digits)", line=line, column="NPI")
    return text


def _decoded(lines: Iterable[bytes], counter: list[int]) -> Iterator[str]:
    """Each physical line as text, refusing bytes that are not UTF-8 (with the line)."""
    for number, raw in enumerate(lines, start=1):
        counter[0] = number
        if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
            raw = raw[3:]  # a byte-order mark some spreadsheets add
        try:
            text = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LeieError(
                f"byte 0x{raw[exc.start]:02x} at position {exc.start + 1} is not UTF-8",
                line=number,
            ) from None
        yield text


def _header(row: list[str], line: int) -> dict[str, int]:
    names = [cell.strip().upper() for cell in row]
    # Missing columns first: a file without its header line (a data row first) is told it
    # lacks LASTNAME..., not that it "repeats" two blank cells.
    missing = [c for c in COLUMNS if c not in names]
    if missing:
        raise LeieError(f"header lacks column(s) {', '.join(missing)}", line=line)
    duplicated = sorted({n for n in names if names.count(n) > 1})
    if duplicated:
        raise LeieError(f"header repeats column(s) {', '.join(duplicated)}", line=line)
    extra = [n or "(blank)" for n in names if n not in COLUMNS]
    if extra:
        raise LeieError(f"header has unknown column(s) {', '.join(extra)}", line=line)
    return {name: names.index(name) for name in COLUMNS}


def _record(row: list[str], index: dict[str, int], line: int) -> LeieRecord:
    if len(row) != len(COLUMNS):
        raise LeieError(f"{len(row)} columns, expected {len(COLUMNS)}", line=line)
    cell: dict[str, str] = {}
    for name, position in index.items():
        value = row[position].strip()
        if len(value) > MAX_LENGTH[name]:
            raise LeieError(
                f"{len(value)} characters, longer than the {MAX_LENGTH[name]} allowed",
                line=line,
                column=name,
            )
        bad = CONTROL.search(value)
        if bad is not None:
            # A NUL would fail PostgreSQL's insert; a line break inside a name is damage.
            raise LeieError(f"control character U+{ord(bad[0]):04X}", line=line, column=name)
        cell[name] = value
    excluded_on = parse_leie_date(cell["EXCLDATE"], line=line, column="EXCLDATE")
    if excluded_on is None:
        raise LeieError("no exclusion date", line=line, column="EXCLDATE")
    if not (cell["LASTNAME"] or cell["FIRSTNAME"] or cell["BUSNAME"]):
        raise LeieError("neither a person's name nor a business name", line=line)
    return LeieRecord(
        line=line,
        last_name=cell["LASTNAME"],
        first_name=cell["FIRSTNAME"],
        middle_name=cell["MIDNAME"],
        business_name=cell["BUSNAME"],
        general=cell["GENERAL"],
        specialty=cell["SPECIALTY"],
        upin=cell["UPIN"],
        npi=parse_leie_npi(cell["NPI"], line=line),
        dob=parse_leie_date(cell["DOB"], line=line, column="DOB"),
        address=cell["ADDRESS"],
        city=cell["CITY"],
        state=cell["STATE"],
        zip_code=cell["ZIP"],
        exclusion_type=cell["EXCLTYPE"],
        exclusion_date=excluded_on,
        reinstatement_date=parse_leie_date(cell["REINDATE"], line=line, column="REINDATE"),
        waiver_date=parse_leie_date(cell["WAIVERDATE"], line=line, column="WAIVERDATE"),
        waiver_state=cell["WVRSTATE"],
    )


def read_leie(lines: Iterable[bytes]) -> Iterator[LeieRecord]:
    """The records of an LEIE file given as its binary lines (an open file in "rb" mode).

    Raises LeieError, and nothing else, at the first problem; records already yielded are the
    caller's to discard (the importer runs in one transaction, so nothing is kept)."""
    counter = [0]  # the physical line being read, for messages
    reader = csv.reader(_decoded(lines, counter), strict=True)
    index: dict[str, int] | None = None
    while True:
        try:
            row = next(reader)
        except StopIteration:
            break
        except csv.Error as exc:
            raise LeieError(f"unreadable CSV ({exc})", line=counter[0]) from None
        line = reader.line_num
        if not any(cell.strip() for cell in row):
            continue  # blank lines (a trailing newline, a spreadsheet's empty rows)
        if index is None:
            index = _header(row, line)
            continue
        yield _record(row, index, line)
    if index is None:
        raise LeieError("the file is empty: expected the LEIE header " + ",".join(COLUMNS))
