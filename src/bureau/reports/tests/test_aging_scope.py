"""A/R aging under a grant limited to some providers, and its query count.

A provider-limited reader (DESIGN §2) sees the aging of her providers' claims only — totals,
payer rows and claim rows alike — and takes no export: an export is a whole practice's file
(`file_practice_ids`), as an 835 is.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

import pytest
from django.db import connection
from django.db.models import Q, Sum
from django.test.utils import CaptureQueriesContext
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.models import User
from bureau.conftest import verified_client
from bureau.directory.models import Provider
from bureau.ledger.models import LedgerEntry
from bureau.reports.aging import aging_by_bucket, aging_claims
from bureau.reports.filters import AgingBasis, ReportFilters
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Grant, Practice
from bureau.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def limited_viewer() -> tuple[str, Practice, list[int]]:
    practice = Practice.objects.filter(workspace__slug="summit").order_by("id").first()
    assert practice is not None
    user = User.objects.create(username=f"lim.{uuid.uuid4().hex[:6]}", workspace=practice.workspace)
    TOTPDevice.objects.create(user=user, name="Authenticator", confirmed=True)
    grant = Grant.objects.create(
        workspace=practice.workspace,
        user=user,
        practice=practice,
        role=Role.CLIENT_VIEWER.value,
        reason="test",
    )
    providers = list(Provider.objects.filter(practice=practice).order_by("id")[:1])
    grant.providers.set(providers)
    return user.username, practice, [p.pk for p in providers]


def test_a_provider_limited_reader_sees_her_providers_aging_and_takes_no_export():
    username, practice, allowed = limited_viewer()
    actor = resolve_actor(User.objects.get(username=username))
    filters = ReportFilters(None, None, timezone.localdate(), AgingBasis.SERVICE)
    report = aging_by_bucket(actor=actor, filters=filters)
    with rls.practice_scope([practice.pk]):
        entries = LedgerEntry.objects.for_system([practice.pk], reason="test")
        whole = entries.aggregate(s=Sum("amount"))["s"]
        hers = entries.filter(
            Q(claim__encounter__rendering_provider_id__in=allowed)
            | Q(claim__encounter__billing_provider_id__in=allowed)
        ).aggregate(s=Sum("amount"))["s"]
    assert Decimal(0) < Decimal(str(hers)) < Decimal(str(whole))  # not vacuous
    assert report.book.insurance.total == Decimal(str(hers)).quantize(Decimal("0.01"))
    rows, total = aging_claims(actor=actor, filters=filters)
    assert total == report.book.claims and sum(r.insurance for r in rows) == hers

    client = verified_client(username)
    assert client.get("/reports/aging/").status_code == 200
    for url in ("export.csv", "export.pdf", "claims.csv", "claims.pdf"):
        assert client.get(f"/reports/aging/{url}").status_code == 404, url


def test_the_page_costs_the_same_queries_however_many_practices_are_open():
    """The book's figures are one statement; opening a payer adds its claim rows' two."""
    client = verified_client("olivia.owner")
    client.get("/reports/aging/")  # warm the session and the caches
    with CaptureQueriesContext(connection) as book:
        client.get("/reports/aging/?practice=all")
    owner = resolve_actor(User.objects.get(username="olivia.owner"))
    report = aging_by_bucket(
        actor=owner, filters=ReportFilters(None, None, timezone.localdate(), AgingBasis.SERVICE)
    )
    prow = max(report.book.children, key=lambda r: r.claims)
    payer = max(prow.children, key=lambda r: r.claims)
    with CaptureQueriesContext(connection) as drilled:
        client.get(
            f"/reports/aging/?practice=all&open={prow.public_id}&open_payer={payer.public_id}"
        )
    assert payer.claims > 1
    assert len(drilled) <= len(book) + 5, [q["sql"][:120] for q in drilled.captured_queries]
