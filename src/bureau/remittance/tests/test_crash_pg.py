"""Crash test (PostgreSQL): `bureau era ingest` killed half-way leaves nothing posted; the re-run
posts exactly what an uninterrupted run posts.

Runs the real command in a subprocess against the test database, with the test-only fault
injection `BUREAU_FAULT_SLEEP_AFTER_CLAIMS` pausing it after N claims (inside the one
transaction, after the first ERA of the file has been written), and SIGKILLs it there.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.db import connection

from bureau.claims.models import Claim, ClaimState
from bureau.conftest import ON_POSTGRES, TEST_PATIENTS_PER_PRACTICE
from bureau.directory.models import ContractRate
from bureau.ledger.models import LedgerEntry
from bureau.remittance.models import Era
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.x12.envelope import Envelope, Party
from bureau.x12.writer835 import write_835

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="the crash test runs against PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]
BUREAU = str(Path(sys.executable).parent / "bureau")
CLAIMS_PER_ERA = 15


@pytest.fixture
def demo(transactional_db: Any) -> None:
    from bureau.demo import seed_demo

    seed_demo(patients_per_practice=TEST_PATIENTS_PER_PRACTICE)


def _env(**extra: str) -> dict[str, str]:
    url = urlsplit(os.environ["DATABASE_URL"])
    test_db = connection.settings_dict["NAME"]
    env = {**os.environ, "DATABASE_URL": urlunsplit(url._replace(path=f"/{test_db}"))}
    env["BUREAU_DB_ASSUME_APP_ROLE"] = "1"  # post as the runtime role, under RLS
    env.pop("BUREAU_FAULT_SLEEP_AFTER_CLAIMS", None)
    env.update(extra)
    return env


def _file(tmp_path: Path, tag: str, practice: Any, payer: Any) -> tuple[Path, list[Claim]]:
    """Two ERAs, each paying CLAIMS_PER_ERA claims (one in five denied), as one 835 file."""
    claims = b.submitted_claims(practice, payer, count=2 * CLAIMS_PER_ERA)
    remittances = []
    for era in range(2):
        payments = []
        for claim in claims[era * CLAIMS_PER_ERA : (era + 1) * CLAIMS_PER_ERA]:
            one, two = b.lines_of(claim)
            if claims.index(claim) % 5 == 0:
                services = [b.svc(one, "0", ("CO", "50", "110.00")), b.svc(two, "12.00")]
            else:
                services = [
                    b.svc(one, "80.00", ("CO", "45", "20.00"), ("PR", "2", "10.00")),
                    b.svc(two, "12.00"),
                ]
            payments.append(b.paid_claim(claim, services))
        remittances.append(b.remittance(practice, payer, payments, trace=f"{tag}{era}"))
    envelope = Envelope(Party("PAYERSIM01"), Party("BUREAUREC01"), 77, 77, datetime(2026, 3, 2))
    path = tmp_path / f"{tag}.835"
    path.write_text(write_835(envelope, remittances, line_break=True), encoding="ascii")
    return path, claims


def _ledger(practice: Any, claims: list[Claim]) -> list[tuple[object, ...]]:
    """The claims' ledger without ids, timestamps or claim numbers (index in the file instead)."""
    index = {c.pk: n for n, c in enumerate(claims)}
    with rls.practice_scope([practice.pk]):
        rows = (
            LedgerEntry.objects.for_system([practice.pk], reason="test")
            .filter(claim_id__in=index)
            .values_list(
                "claim_id",
                "claim_line__line_number",
                "sequence",
                "kind",
                "amount",
                "balance_after",
                "group_code",
                "reason_code",
                "reverses__sequence",
                "effective_date",
                "era__trace_number",
            )
        )
        return sorted((index[r[0]], *r[1:-1], r[-1][-1:] if r[-1] else "") for r in rows)


def _states(practice: Any, claims: list[Claim]) -> list[str]:
    with rls.practice_scope([practice.pk]):
        by_id = dict(
            Claim.objects.for_system([practice.pk], reason="test")
            .filter(pk__in=[c.pk for c in claims])
            .values_list("pk", "state")
        )
    return [by_id[c.pk] for c in claims]


def test_killed_ingest_posts_nothing_and_the_rerun_matches_an_uninterrupted_run(demo, tmp_path):
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    crashed, crashed_claims = _file(tmp_path, "CRASH", practice, payer)
    clean, clean_claims = _file(tmp_path, "CLEAN", practice, payer)
    charges_only = _ledger(practice, crashed_claims)

    victim = subprocess.Popen(
        [BUREAU, "era", "ingest", str(crashed), "--workspace", "summit"],
        env=_env(
            BUREAU_FAULT_SLEEP_AFTER_CLAIMS=str(CLAIMS_PER_ERA + 5),
            BUREAU_FAULT_SLEEP_SECONDS="300",
        ),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert victim.stderr is not None
        line = victim.stderr.readline()  # blocks until the pause, the first ERA written
        assert "fault injection" in line, line + victim.stderr.read()
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.wait(timeout=60)
    assert victim.returncode == -signal.SIGKILL
    with rls.practice_scope([practice.pk]):
        assert (
            not Era.objects.for_system([practice.pk], reason="test")
            .filter(trace_number__startswith="CRASH")
            .exists()
        )
    assert _ledger(practice, crashed_claims) == charges_only
    assert set(_states(practice, crashed_claims)) == {ClaimState.SUBMITTED}

    rerun = subprocess.run(
        [BUREAU, "era", "ingest", str(crashed), "--workspace", "summit"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert rerun.returncode == 0, rerun.stderr
    assert "duplicate" not in rerun.stdout and rerun.stdout.count("claims posted 15/15") == 2
    uninterrupted = subprocess.run(
        [BUREAU, "era", "ingest", str(clean), "--workspace", "summit"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert uninterrupted.returncode == 0, uninterrupted.stderr

    assert _ledger(practice, crashed_claims) == _ledger(practice, clean_claims)
    assert _states(practice, crashed_claims) == _states(practice, clean_claims)
    assert len(_ledger(practice, crashed_claims)) > len(charges_only)
    again = subprocess.run(
        [BUREAU, "era", "ingest", str(crashed), "--workspace", "summit"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert again.stdout.count("duplicate") == 2
    check = subprocess.run(
        [BUREAU, "ledger", "check", "--workspace", "summit"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert check.returncode == 0, check.stdout + check.stderr


def test_concurrent_ingest_of_the_same_file_ends_as_duplicate(demo, tmp_path):
    """B starts while A holds its uncommitted ERA row: B's insert waits on the unique key,
    then hits it — reported as a duplicate, not an error."""
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    path, claims = _file(tmp_path, "RACE", practice, payer)
    first = subprocess.Popen(
        [BUREAU, "era", "ingest", str(path), "--workspace", "summit"],
        env=_env(BUREAU_FAULT_SLEEP_AFTER_CLAIMS="1", BUREAU_FAULT_SLEEP_SECONDS="4"),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert first.stderr is not None
    assert "fault injection" in first.stderr.readline()
    second = subprocess.run(
        [BUREAU, "era", "ingest", str(path), "--workspace", "summit"],
        env=_env(),
        capture_output=True,
        text=True,
        timeout=300,
    )
    out, err = first.communicate(timeout=300)
    assert first.returncode == 0, err
    assert out.count("claims posted 15/15") == 2
    assert second.returncode == 0, second.stderr
    assert second.stdout.count("duplicate") == 2
    with rls.practice_scope([practice.pk]):
        assert (
            Era.objects.for_system([practice.pk], reason="test")
            .filter(trace_number__startswith="RACE")
            .count()
            == 2
        )
