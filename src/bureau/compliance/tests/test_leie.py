"""The LEIE reader: typed records, empty markers, and one LeieError naming line and column for
every kind of bad input (and no other exception, whatever the bytes)."""

from __future__ import annotations

import io
from datetime import date
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.compliance.leie import COLUMNS, LeieError, LeieRecord, read_leie

HEADER = ",".join(COLUMNS)
DATA = Path(__file__).resolve().parent.parent / "data"


def row(**cells: str) -> str:
    """One data line: a valid individual's row with `cells` (by column name) replaced."""
    base = {
        "LASTNAME": "QUUXLEY",
        "FIRSTNAME": "ZEPHYRINE",
        "MIDNAME": "",
        "BUSNAME": "",
        "GENERAL": "SYNTHETIC",
        "SPECIALTY": "NURSING",
        "UPIN": "",
        "NPI": "1999900016",
        "DOB": "19600101",
        "ADDRESS": "7 FICTION WAY",
        "CITY": "NOWHERESVILLE",
        "STATE": "ZZ",
        "ZIP": "00000",
        "EXCLTYPE": "1128a2",
        "EXCLDATE": "20220510",
        "REINDATE": "00000000",
        "WAIVERDATE": "00000000",
        "WVRSTATE": "",
    }
    base.update(cells)
    return ",".join(base[c] for c in COLUMNS)


def read(*lines: str, raw: bytes | None = None) -> list[LeieRecord]:
    data = raw if raw is not None else ("\r\n".join(lines) + "\r\n").encode()
    return list(read_leie(io.BytesIO(data)))


def error(*lines: str, raw: bytes | None = None) -> str:
    with pytest.raises(LeieError) as caught:
        read(*lines, raw=raw)
    return str(caught.value)


def test_a_row_reads_typed() -> None:
    (record,) = read(HEADER, row(MIDNAME="Q", WAIVERDATE="20230101", WVRSTATE="ZZ"))
    assert record.line == 2
    assert (record.last_name, record.first_name, record.middle_name) == (
        "QUUXLEY",
        "ZEPHYRINE",
        "Q",
    )
    assert record.npi == "1999900016"
    assert record.dob == date(1960, 1, 1)
    assert record.exclusion_date == date(2022, 5, 10)
    assert record.reinstatement_date is None
    assert record.waiver_date == date(2023, 1, 1)
    assert record.is_individual


def test_zero_dates_and_npi_mean_empty() -> None:
    (record,) = read(HEADER, row(NPI="0000000000", DOB="00000000", REINDATE="00000000"))
    assert record.npi == ""
    assert record.dob is None
    assert record.reinstatement_date is None
    assert record.waiver_date is None
    (blank,) = read(HEADER, row(NPI="", DOB=""))
    assert (blank.npi, blank.dob) == ("", None)


def test_a_business_row_and_quoted_commas() -> None:
    line = row(LASTNAME="", FIRSTNAME="", BUSNAME='"FICTION SUPPLY, LLC"', NPI="2999900030")
    (record,) = read(HEADER, line)
    assert record.business_name == "FICTION SUPPLY, LLC"
    assert not record.is_individual


def test_header_in_any_order_and_case_with_a_bom_and_blank_lines() -> None:
    columns = list(reversed(COLUMNS))
    header = ",".join(c.lower() for c in columns)
    values = dict(zip(COLUMNS, row().split(","), strict=True))
    line = ",".join(values[c] for c in columns)
    data = b"\xef\xbb\xbf" + f"{header}\n\n{line}\n\n".encode()
    (record,) = read(raw=data)
    assert record.last_name == "QUUXLEY"
    assert record.line == 3


def test_the_synthetic_files_read() -> None:
    with (DATA / "leie_synthetic.csv").open("rb") as handle:
        records = list(read_leie(handle))
    assert len(records) == 9
    assert all(r.general == "SYNTHETIC DEMO ROW" for r in records)
    with (DATA / "leie_synthetic_reinstatements.csv").open("rb") as handle:
        assert all(r.reinstatement_date == date(2026, 11, 15) for r in read_leie(handle))


@pytest.mark.parametrize(
    ("lines", "message"),
    [
        ((), "the file is empty"),
        (("", ""), "the file is empty"),
        ((HEADER.replace(",NPI", ""),), "line 1: header lacks column(s) NPI"),
        ((HEADER + ",EXTRA",), "line 1: header has unknown column(s) EXTRA"),
        ((HEADER + ",NPI",), "line 1: header repeats column(s) NPI"),
        # No header line: the first data row is read as one and said to lack the columns.
        ((row(), row()), "line 1: header lacks column(s) LASTNAME, FIRSTNAME"),
        ((HEADER, row() + ",x"), "line 2: 19 columns, expected 18"),
        ((HEADER, row(), ",".join(row().split(",")[:-1])), "line 3: 17 columns, expected 18"),
        ((HEADER, row(DOB="19601301")), "line 2, column DOB: '19601301' is not a real date"),
        ((HEADER, row(EXCLDATE="20230229")), "line 2, column EXCLDATE: '20230229' is not a real"),
        ((HEADER, row(DOB="1960-1-1")), "line 2, column DOB: '1960-1-1' is not a date"),
        ((HEADER, row(DOB="1960-01-01")), "line 2, column DOB: 10 characters, longer than"),
        ((HEADER, row(REINDATE="2026111")), "line 2, column REINDATE: '2026111' is not a date"),
        ((HEADER, row(DOB="١٩٦٠٠١٠١")), "line 2, column DOB: '١٩٦٠٠١٠١' is not a date"),
        (
            (HEADER, row(WAIVERDATE="２０２３０１０１")),
            "column WAIVERDATE: '２０２３０１０１' is not",
        ),
        ((HEADER, row(EXCLDATE="00000000")), "line 2, column EXCLDATE: no exclusion date"),
        ((HEADER, row(NPI="12345")), "line 2, column NPI: '12345' is not an NPI"),
        ((HEADER, row(NPI="١٢٣٤٥٦٧٨٩٠")), "line 2, column NPI"),
        ((HEADER, row(STATE="ZZZ")), "line 2, column STATE: 3 characters, longer than the 2"),
        ((HEADER, row(LASTNAME="X" * 101)), "line 2, column LASTNAME: 101 characters"),
        ((HEADER, row(LASTNAME="", FIRSTNAME="")), "line 2: neither a person's name"),
        ((HEADER, row(LASTNAME='"OPEN')), "line 2: unreadable CSV"),
    ],
)
def test_bad_input_names_line_and_column(lines: tuple[str, ...], message: str) -> None:
    assert message in error(*lines)


def test_non_utf8_bytes_name_the_line() -> None:
    data = (HEADER + "\n" + row() + "\n").encode() + row(LASTNAME="M\xfcLLER").encode("latin-1")
    assert error(raw=data) == "line 3: byte 0xfc at position 2 is not UTF-8"


def test_nul_byte_is_a_leie_error() -> None:
    message = error(raw=(HEADER + "\n" + row(CITY="A\x00B") + "\n").encode())
    assert message == "line 2, column CITY: control character U+0000"
    assert "column ADDRESS: control character U+000A" in error(HEADER, row(ADDRESS='"1\n2"'))


def test_a_quoted_field_longer_than_csv_allows_is_a_leie_error() -> None:
    huge = '"' + "A" * 200_000 + '"'
    assert "line 2" in error(HEADER, row(ADDRESS=huge))


def test_reading_is_lazy() -> None:
    """Records come out as lines go in: an error at line 3 follows the record of line 2."""
    stream = read_leie(io.BytesIO(f"{HEADER}\n{row()}\n{row(DOB='x')}\n".encode()))
    assert next(stream).line == 2
    with pytest.raises(LeieError, match="line 3"):
        next(stream)


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=400))
def test_any_bytes_give_records_or_a_leie_error(data: bytes) -> None:
    for prefix in (b"", (HEADER + "\n").encode()):
        try:
            list(read_leie(io.BytesIO(prefix + data)))
        except LeieError:
            pass


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(max_size=12), min_size=18, max_size=18))
def test_any_cells_give_a_record_or_a_leie_error(cells: list[str]) -> None:
    line = ",".join('"' + c.replace('"', '""') + '"' for c in cells)
    try:
        read(HEADER, line)
    except LeieError as exc:
        assert str(exc).startswith("line ")
