"""`bureau era parse|ingest` and `bureau ledger check` against real 835 text."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import datetime
from decimal import Decimal
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.x12.envelope import Envelope, Party
from bureau.x12.writer835 import write_835

pytestmark = pytest.mark.django_db
ENVELOPE = Envelope(Party("PAYERSIM01"), Party("BUREAUREC01"), 501, 501, datetime(2026, 3, 2, 9, 0))
BUREAU = str(Path(sys.executable).parent / "bureau")


def era_file(tmp_path, remittances, name="pay.835"):
    path = tmp_path / name
    path.write_text(write_835(ENVELOPE, remittances, line_break=True), encoding="ascii")
    return path


def paid(practice, payer):
    from bureau.directory.models import ContractRate

    ContractRate.objects.filter(practice=practice).delete()
    b.autopost(practice)
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    return claim, b.paid_claim(
        claim,
        [
            b.svc(one, "90.00", ("CO", "45", "20.00"), claim_number=claim.number),
            b.svc(two, "0", ("CO", "97", "12.00"), claim_number=claim.number),
        ],
    )


def test_parse_prints_one_json_object(tmp_path):
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    claim, payment = paid(practice, payer)
    path = era_file(tmp_path, [b.remittance(practice, payer, [payment], plb=[("L6", "-2.00")])])
    out = StringIO()
    call_command("era", "parse", str(path), stdout=out)
    data = json.loads(out.getvalue())
    assert data["claim_count"] == 1 and data["remittances"] == 1
    assert data["payment_amount"] == "92.00" and data["total_plb"] == "-2.00"
    assert data["balancing_problems"] == [] and data["payer_id"] == payer.payer_id


def test_parse_malformed_exits_1_with_one_line(tmp_path):
    bad = tmp_path / "bad.835"
    bad.write_text("ISA*00*garbage~", encoding="ascii")
    done = subprocess.run(
        [BUREAU, "era", "parse", str(bad)],
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
    )
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("X12Error: "), done.stderr


def test_ingest_prints_and_duplicate(tmp_path):
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    claim, payment = paid(practice, payer)
    path = era_file(tmp_path, [b.remittance(practice, payer, [payment])])
    out = StringIO()
    call_command("era", "ingest", str(path), "--workspace", "summit", stdout=out)
    assert "claims posted 1/1" in out.getvalue() and "denials 1" in out.getvalue()
    with rls.practice_scope([practice.pk]):
        kinds = list(
            LedgerEntry.objects.for_system([practice.pk], reason="t")
            .filter(claim=claim)
            .values_list("kind", "amount")
        )
    assert (EntryKind.PAYMENT, Decimal("-90.00")) in kinds
    again = StringIO()
    call_command("era", "ingest", str(path), "--workspace", "summit", stdout=again)
    assert again.getvalue().strip().endswith("duplicate")


def test_ledger_check_command(tmp_path):
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    claim = b.submitted_claims(practice, payer)[0]
    out = StringIO()
    call_command("ledger", "check", "--workspace", "summit", stdout=out)
    assert "ledger ok" in out.getvalue()
    line = b.lines_of(claim)[0]
    with rls.practice_scope([practice.pk]):
        LedgerEntry.objects.create(
            workspace_id=practice.workspace_id,
            practice=practice,
            claim=claim,
            claim_line=line,
            sequence=2,
            kind=EntryKind.PAYMENT,
            amount=Decimal("-10.00"),
            balance_after=Decimal("99.00"),
            effective_date=b.PAY_DATE,
        )
    out = StringIO()
    with pytest.raises(SystemExit) as exit_info:
        call_command("ledger", "check", "--workspace", "summit", stdout=out)
    assert exit_info.value.code == 1
    assert f"claim {claim.number} line 1: entry 2: balance_after 99.00 ≠ 100.00" in out.getvalue()


def test_each_era_of_a_multi_payment_file_stores_its_own_interchange(tmp_path):
    from bureau.remittance.models import Era
    from bureau.remittance.services import parse_835
    from bureau.x12 import reader835

    practice = b.summit()[0]
    payer = b.payer_of(practice)
    claim, payment = paid(practice, payer)
    other, second = paid(practice, payer)
    path = era_file(
        tmp_path,
        [b.remittance(practice, payer, [payment]), b.remittance(practice, payer, [second])],
    )
    text = path.read_text()
    call_command("era", "ingest", str(path), "--workspace", "summit", stdout=StringIO())
    with rls.practice_scope([practice.pk]):
        eras = list(Era.objects.for_system([practice.pk], reason="t").order_by("id"))
    assert len(eras) == 2 and all(len(e.content) < len(text) for e in eras)
    for era, claim_number in zip(eras, [claim.number, other.number], strict=True):
        (alone,) = parse_835(era.content)
        assert alone.trace_number == era.trace_number
        assert [c.patient_control_number for c in alone.claims] == [claim_number]
        assert reader835.read_835(era.content).remittances == (alone,)


def test_parse_multi_payment_file_and_unknown_payee(tmp_path):
    from django.core.management.base import CommandError

    practice = b.summit()[0]
    payer = b.payer_of(practice)
    claim, payment = paid(practice, payer)
    other, second = paid(practice, payer)
    path = era_file(
        tmp_path,
        [
            b.remittance(practice, payer, [payment]),
            b.remittance(practice, payer, [second], npi="1999999992"),
        ],
    )
    out = StringIO()
    call_command("era", "parse", str(path), stdout=out)
    data = json.loads(out.getvalue())
    assert data["remittances"] == 2 and data["claim_count"] == 2
    assert [p["claim_count"] for p in data["payments"]] == [1, 1]
    # The second payment's payee NPI is unknown but its claim is ours: the claims decide.
    call_command("era", "ingest", str(path), "--workspace", "summit", stdout=StringIO())
    stranger = b.remittance(practice, payer, [], npi="1999999992", amount=Decimal("0"))
    lone = era_file(tmp_path, [stranger], name="stranger.835")
    with pytest.raises(CommandError, match="payee NPI 1999999992"):
        call_command("era", "ingest", str(lone), "--workspace", "summit", stdout=StringIO())
