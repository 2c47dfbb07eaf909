"""`bureau generate-book` at a small size: realistic proportions, a ledger that checks, every
row in its own workspace and practice, and a second run beside the first."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.db.models import F, QuerySet
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.models import User
from bureau.audit.models import AuditEvent
from bureau.book.claims import LOADED
from bureau.book.generate import BookResult, generate_book
from bureau.claims.models import Acknowledgement, Claim, ClaimLine, Encounter
from bureau.denials.models import Denial
from bureau.directory.models import Enrollment, EnrollmentStatus, Payer, Provider
from bureau.directory.npi import is_valid_npi
from bureau.ledger.check import ledger_check
from bureau.ledger.models import LedgerEntry
from bureau.remittance.models import EraClaim, EraException, EraLine
from bureau.tenancy.models import Grant, Practice

pytestmark = pytest.mark.django_db
APP_ROLE = settings.BUREAU_DB_APP_ROLE


@pytest.fixture
def as_owner() -> Iterator[None]:
    """The generator is system work done as the table owner (like migrations and seed-demo):
    on PostgreSQL, step out of the runtime role the suite runs as, inside the test's
    transaction, and back in for the checks."""
    if connection.vendor == "postgresql" and APP_ROLE:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")
        yield
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(APP_ROLE)}")
    else:
        yield


def _generate(claims: int, seed: int) -> BookResult:
    return generate_book(practices=3, claims=claims, seed=seed, say=lambda _line: None)


def _rows(model: type[Any], ids: list[int]) -> QuerySet[Any]:
    return model._base_manager.filter(practice_id__in=ids)


def test_a_small_book_is_realistic_consistent_and_balances(as_owner: None) -> None:
    result = _generate(1500, seed=11)
    second = _generate(200, seed=12)
    ws = result.workspace
    practice_ids = list(Practice.objects.filter(workspace=ws).values_list("id", flat=True))
    assert len(practice_ids) == 3

    # Claim states in the proportions of a working book.
    states = Counter(_rows(Claim, practice_ids).values_list("state", flat=True))
    assert sum(states.values()) == 1500
    share = {s: n / 1500 for s, n in states.items()}
    assert 0.62 <= share["paid"] + share["closed"] <= 0.76
    assert 0.05 <= share["denied"] <= 0.11
    assert 0.03 <= share["partially_paid"] <= 0.08
    assert 0.03 <= share["accepted"] <= 0.10
    for rare in ("submitted", "rejected", "draft", "scrubbed", "ready"):
        assert 0.005 <= share[rare] <= 0.05, rare
    assert states["credentialing_hold"] > 0  # the first practice has a pending enrollment
    assert result.states == dict(states)

    # Each rejection says why; denials carry a category and an appeal deadline.
    rejected = _rows(Acknowledgement, practice_ids).filter(accepted=False)
    assert rejected.count() == states["rejected"]
    assert all(a.message and a.status_code for a in rejected)
    denials = _rows(Denial, practice_ids)
    assert denials.count() >= states["denied"]
    assert all(d.appeal_deadline > d.denied_on and d.category for d in denials)
    assert _rows(EraLine, practice_ids).filter(underpaid_by__gt=0).exists()
    reasons = set(_rows(EraException, practice_ids).values_list("reason", flat=True))
    assert "policy_hold" in reasons

    # The ledger checks, line by line, and every line's entries end where the ERA left them.
    assert ledger_check(workspace=ws) == []

    # Every row belongs to the new workspace, and to the practice of its parent.
    for model in LOADED:
        rows = model._base_manager.filter(workspace=ws)
        assert rows.exists(), model
        assert not rows.exclude(practice_id__in=practice_ids).exists(), model
    pairs = [
        (Claim, "encounter__practice_id"),
        (ClaimLine, "claim__practice_id"),
        (Encounter, "patient__practice_id"),
        (EraClaim, "era__practice_id"),
        (EraLine, "era_claim__practice_id"),
        (LedgerEntry, "claim_line__practice_id"),
        (Denial, "claim__practice_id"),
    ]
    for model, parent in pairs:
        mixed = _rows(model, practice_ids).exclude(practice_id=F(parent))
        assert not mixed.exists(), model
    matched = _rows(EraClaim, practice_ids).filter(claim__isnull=False)
    assert not matched.exclude(practice_id=F("claim__practice_id")).exists()

    # Directory: valid, distinct NPIs; a pending enrollment; a revalidation due soon.
    npis = list(Practice.objects.filter(workspace=ws).values_list("npi", flat=True))
    npis += list(Provider.objects.filter(workspace=ws).values_list("npi", flat=True))
    assert len(set(npis)) == len(npis) and all(is_valid_npi(n) for n in npis)
    assert Payer.objects.filter(workspace=ws).count() == 25
    assert Enrollment.objects.filter(workspace=ws, status=EnrollmentStatus.PENDING).exists()
    for practice in Practice.objects.filter(workspace=ws):
        last = _rows(Claim, [practice.pk]).order_by("-number").first()
        assert last is not None and last.number == f"{practice.code}-{practice.claim_sequence:06d}"

    # People ready to sign in with MFA, granted as the bench expects; one seeding event.
    denials_user = User.objects.get(username=result.usernames["denials"])
    assert TOTPDevice.objects.filter(user=denials_user, confirmed=True).exists()
    assert Grant.objects.filter(user=denials_user).count() == 1  # half of 3 practices
    assert Grant.objects.get(user__username=result.usernames["owner"]).practice is None
    assert AuditEvent.objects.filter(workspace=ws).count() == 1

    # The second run is a workspace of its own, with its own people and rows.
    assert second.workspace.pk != ws.pk
    assert second.usernames["denials"] != result.usernames["denials"]
    assert _rows(Claim, practice_ids).count() == 1500
    assert Claim._base_manager.filter(workspace=second.workspace).count() == 200
    assert ledger_check(workspace=second.workspace) == []


def test_the_command_prints_rows_and_logins(
    as_owner: None, capsys: pytest.CaptureFixture[str]
) -> None:
    call_command("generate_book", practices=2, claims=120, seed=3, workspace_name="Tiny book")
    out = capsys.readouterr().out
    assert "claims.Claim" in out and "tiny-book.denials" in out
