"""`bureau era parse FILE` on hostile files (issue 9, item 10): one `X12Error: ...` line on
stderr and exit 1, never a traceback, or the JSON of a file that reads."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import tempfile
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command
from hypothesis import HealthCheck, given, settings

from bureau.remittance.models import Era
from bureau.remittance.tests.test_commands import BUREAU
from bureau.tenancy import rls
from bureau.tenancy.models import Practice
from bureau.x12.tests.test_reader_hostile import NINES, hostile_file
from bureau.x12.tests.test_tokens import golden


def test_forty_nines_in_bpr_is_one_line_and_exit_1(tmp_path: Path) -> None:
    bad = tmp_path / "nines.835"
    bad.write_text(golden("payment.835").replace("BPR*I*", f"BPR*I*{NINES}", 1))
    done = subprocess.run(
        [BUREAU, "era", "parse", str(bad)],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
    )
    assert done.returncode == 1, done.stdout
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("X12Error: segment 4 (BPR): BPR02"), done.stderr


@pytest.mark.parametrize(
    "text",
    [
        "A\nBC",
        "\u2028ISA",
        golden("payment.835").replace("\nGE*", "\nG\nE\u2028*", 1),
        golden("payment.835").replace("BPR*I*", "BPR*I*\r\n" + NINES, 1),
        golden("payment.835").replace("DOE", "D\x00E", 1),
    ],
)
def test_parse_of_text_with_line_breaks_in_the_wrong_places_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str
) -> None:
    path = tmp_path / "breaks.835"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(SystemExit) as exit_:
        call_command("era", "parse", str(path), stdout=StringIO())
    err = capsys.readouterr().err
    assert exit_.value.code == 1 and err.count("\n") == 1 and err.startswith("X12Error: "), err


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
)
@given(hostile_file(["payment.835", "reversal_plb.835", "separators.835"]))
def test_parse_answers_json_or_one_x12_error_line(text: str) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "hostile.835"
        path.write_text(text, encoding="utf-8")
        out, err = StringIO(), StringIO()
        code = 0
        with contextlib.redirect_stderr(err):
            try:
                call_command("era", "parse", str(path), stdout=out)
            except SystemExit as exit_:
                code = int(exit_.code or 0)
    if code == 0:
        assert isinstance(json.loads(out.getvalue()), dict) and not err.getvalue()
    else:
        lines = err.getvalue().splitlines()
        assert code == 1 and len(lines) == 1 and lines[0].startswith("X12Error: "), lines


@pytest.mark.django_db
def test_ingest_refuses_amounts_bureau_cannot_store(tmp_path: Path) -> None:
    """Eighteen digits read (X12 allows them); posting refuses them before writing anything,
    rather than failing in the database half-way."""
    text = golden("payment.835")
    amount = text.split("BPR*I*", 1)[1].split("*", 1)[0]
    path = tmp_path / "huge.835"
    path.write_text(text.replace(f"BPR*I*{amount}*", "BPR*I*" + "9" * 16 + ".99*", 1))
    err = StringIO()
    with contextlib.redirect_stderr(err), pytest.raises(SystemExit) as exit_:
        call_command("era", "ingest", str(path), "--workspace", "summit", stdout=StringIO())
    assert exit_.value.code == 1
    assert err.getvalue().startswith("X12Error: segment 3 (ST): payment ")
    assert "more than Bureau can post" in err.getvalue()
    ids = [p.pk for p in Practice.objects.all()]
    with rls.practice_scope(ids):
        assert not Era.objects.for_system(ids, reason="test").filter(file_name="huge.835")


def test_parse_takes_a_byte_order_mark_and_names_a_byte_that_is_not_text(tmp_path: Path) -> None:
    """Issue 10 item 3: the CLI decodes as the web upload does (one decoder)."""
    path = tmp_path / "bom.835"
    path.write_bytes(b"\xef\xbb\xbf" + golden("payment.835").encode())
    out = StringIO()
    call_command("era", "parse", str(path), stdout=out)
    assert json.loads(out.getvalue())["claim_count"] == 3
    bad = tmp_path / "bad.835"
    bad.write_bytes(golden("payment.835").encode().replace(b"ACMEPAYER", b"ACME\xffPAYER", 1))
    done = subprocess.run(
        [BUREAU, "era", "parse", str(bad)],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
    )
    assert done.returncode == 1
    offset = golden("payment.835").index("ACMEPAYER") + 4
    assert done.stderr.strip().splitlines() == [
        f"X12Error: byte {offset} (0xff) is not ASCII or UTF-8: an X12 file is plain text"
    ]
