"""Access review pages on the hand-worked cast (`access_review_cast`): who sees which
campaign and which of its grants, who may decide, the revoke's effect at the revoked user's
next request, stale decisions from a second tab, the lock, and the evidence bundle."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
import zipfile
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django_otp.plugins.otp_totp.models import TOTPDevice

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.compliance.access_review_services import (
    AccessReviewError,
    confirm_remaining,
    open_campaign,
)
from bureau.compliance.models.access_review import (
    AccessDecision,
    AccessReview,
    AccessReviewStatus,
)
from bureau.compliance.tests.access_review_cast import Acme, _grant, _user
from bureau.compliance.tests.access_review_cast import acme as acme  # noqa: F401 (fixture)
from bureau.conftest import verified_client
from bureau.tenancy.actor import CapabilityDenied
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Role

pytestmark = pytest.mark.django_db


def client_of(acme: Acme, name: str) -> Client:
    user = acme.people.get(name) or User.objects.get(username=name)
    TOTPDevice.objects.get_or_create(
        user=user, defaults={"name": "Authenticator", "confirmed": True}
    )
    return verified_client(user.username)


def _open(acme: Acme) -> AccessReview:
    return open_campaign(
        actor=acme.actor("carla"),
        title="Q4 access review",
        due_on=timezone.localdate() + timedelta(days=14),
        reviewers={acme.a: acme.people["rita"]},
    )


def _detail(review: AccessReview) -> str:
    return reverse("compliance:review_detail", kwargs={"public_id": review.public_id})


def _url(name: str, review: AccessReview) -> str:
    return reverse(f"compliance:{name}", kwargs={"public_id": review.public_id})


def said(response: Any) -> list[str]:
    return [str(m) for m in get_messages(response.wsgi_request)]


def _decide(
    client: Client, review: AccessReview, username: str, decision: str, comment: str = ""
) -> Any:
    item = review.items.get(username=username)
    return client.post(
        _url("review_decide", review),
        {"item": str(item.public_id), "decision": decision, "comment": comment},
    )


# -- who sees what --------------------------------------------------------------------------
def test_the_officer_sees_every_grant_and_a_reviewer_only_their_practice(acme: Acme) -> None:
    review = _open(acme)
    officer = client_of(acme, "carla").get(_detail(review)).content.decode()
    for name in ("bob", "bea", "rita", "olive", "carla", "Birch Pediatrics", "Alder Clinic"):
        assert name in officer
    assert officer.count('class="inline-form decide-form"') == 5  # every grant, hers with a reason

    rita = client_of(acme, "rita").get(_detail(review))
    assert rita.status_code == 200
    body = rita.content.decode()
    assert "bob" in body and "Alder Clinic" in body
    assert "Birch Pediatrics" not in body and "bea" not in body  # not hers to know of
    assert body.count('class="inline-form decide-form"') == 2  # bob's and her own

    listed = client_of(acme, "carla").get(reverse("compliance:review_list")).content.decode()
    assert "Q4 access review" in listed and "0 / 5" in listed and "rita: Alder Clinic" in listed


def test_a_stranger_or_another_workspace_gets_the_missing_campaigns_404(acme: Acme) -> None:
    review = _open(acme)
    elsewhere = Workspace.objects.create(name="Elsewhere", slug="elsewhere-review")
    Practice.objects.create(
        workspace=elsewhere, name="Xylem", code="XYL", npi="1000000009", tax_id="333333333"
    )
    stranger = _user(elsewhere, "ew.carla")
    _grant(stranger, Role.COMPLIANCE_OFFICER, None)
    missing = reverse("compliance:review_detail", kwargs={"public_id": uuid.uuid4()})
    for client in (client_of(acme, "bea"), client_of(acme, "ew.carla")):
        gone = client.get(missing)
        answer = client.get(_detail(review))
        assert answer.status_code == gone.status_code == 404
        assert answer.content == gone.content
        posted = client.post(_url("review_decide", review), {"item": "", "decision": ""})
        assert posted.status_code == 404
    # The list is compliance.view's: a biller has no such page; the other officer sees none.
    assert client_of(acme, "bea").get(reverse("compliance:review_list")).status_code == 404
    other = client_of(acme, "ew.carla").get(reverse("compliance:review_list")).content.decode()
    assert "Q4 access review" not in other


def test_a_reviewer_finds_their_review_on_the_home_page(acme: Acme) -> None:
    review = _open(acme)
    home = client_of(acme, "rita").get("/").content.decode()
    assert 'id="home-access-reviews"' in home and _detail(review) in home
    assert 'id="home-access-reviews"' not in client_of(acme, "bea").get("/").content.decode()
    review.status = AccessReviewStatus.COMPLETE
    review.save(update_fields=["status"])
    assert 'id="home-access-reviews"' not in client_of(acme, "rita").get("/").content.decode()


# -- deciding -------------------------------------------------------------------------------
def test_only_the_reviewer_or_a_manager_decides(acme: Acme) -> None:
    review = _open(acme)
    sup = _user(acme.workspace, "sup")
    _grant(sup, Role.SUPERVISOR, None)  # compliance.view everywhere, no .manage
    answer = _decide(client_of(acme, "sup"), review, "bob", "confirmed")
    assert answer.status_code == 302
    assert any("do not review" in m for m in said(answer))
    # Rita reviews Alder only: Birch's grant is not hers to see, so not to decide either.
    answer = _decide(client_of(acme, "rita"), review, "bea", "confirmed")
    assert answer.status_code == 302
    assert said(answer)[-1] == "Choose a grant of this review to decide."
    assert not review.items.exclude(decision="").exists()
    answer = _decide(client_of(acme, "rita"), review, "bob", "confirmed", "still needed")
    assert answer.status_code == 302 and answer["Location"].endswith(
        f"#item-{review.items.get(username='bob').public_id}"
    )
    assert review.items.get(username="bob").decision == AccessDecision.CONFIRMED


def test_reviewing_ones_own_access_needs_a_reason(acme: Acme) -> None:
    review = _open(acme)
    rita = client_of(acme, "rita")
    answer = _decide(rita, review, "rita", "confirmed")
    assert any("Reviewing your own access needs a reason." in m for m in said(answer))
    assert review.items.get(username="rita").decision == ""
    page = rita.get(_detail(review)).content.decode()
    assert "Reviewing your own access needs a reason." in page  # shown on the page it returns to
    _decide(rita, review, "rita", "confirmed", "I review Alder; I need it")
    assert review.items.get(username="rita").comment == "I review Alder; I need it"


def test_a_revoke_takes_the_practice_away_at_the_next_request(acme: Acme) -> None:
    review = _open(acme)
    bob = client_of(acme, "bob")
    patients = f"{reverse('patients:list')}?practice={acme.a.public_id}"
    assert bob.get(patients).status_code == 200
    carla = client_of(acme, "carla")
    refused = _decide(carla, review, "bob", "revoked")
    assert any("Say why this access is revoked." in m for m in said(refused))
    assert bob.get(patients).status_code == 200  # nothing changed
    done = _decide(carla, review, "bob", "revoked", "left the Alder team")
    assert any("Revoked bob's biller access on Alder Clinic" in m for m in said(done))
    assert bob.get(patients).status_code == 404  # the same session, its next request
    acme.grants["bob"].refresh_from_db()
    assert acme.grants["bob"].revoked_at is not None
    page = carla.get(_detail(review)).content.decode()
    assert "left the Alder team" in page and "Grant revoked by this review" in page


def test_a_second_tab_deciding_the_same_grant_gets_a_message(acme: Acme) -> None:
    review = _open(acme)
    _decide(client_of(acme, "carla"), review, "bob", "confirmed")
    late = _decide(client_of(acme, "rita"), review, "bob", "revoked", "should go")
    assert late.status_code == 302
    assert any("already confirmed" in m for m in said(late))
    item = review.items.get(username="bob")
    assert (
        item.decision == AccessDecision.CONFIRMED and item.decided_by_id == acme.people["carla"].pk
    )
    acme.grants["bob"].refresh_from_db()
    assert acme.grants["bob"].revoked_at is None


def test_confirm_all_remaining_in_a_practice_leaves_ones_own(acme: Acme) -> None:
    review = _open(acme)
    rita = client_of(acme, "rita")
    key = str(acme.a.public_id)
    answer = rita.post(_url("review_confirm_rest", review), {"practice": key})
    assert any("Confirmed 1 remaining grant(s) on Alder Clinic" in m for m in said(answer))
    assert review.items.get(username="bob").decision == AccessDecision.CONFIRMED
    assert review.items.get(username="rita").decision == ""  # hers needs a reason
    decided = AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REVIEW_DECIDED, workspace=acme.workspace
    )
    assert decided.count() == 1
    # Birch is not hers: no such practice on her page.
    answer = rita.post(_url("review_confirm_rest", review), {"practice": str(acme.b.public_id)})
    assert said(answer)[-1] == "Choose a practice of this review."
    assert review.items.get(username="bea").decision == ""


# -- lock and evidence ----------------------------------------------------------------------
def test_lock_waits_for_every_decision_then_the_bundle_is_the_same_bytes_each_time(
    acme: Acme,
) -> None:
    review = _open(acme)
    carla = client_of(acme, "carla")
    refused = carla.post(_url("review_lock", review))
    assert any("5 grant(s) still to decide" in m for m in said(refused))
    assert carla.get(_url("review_evidence", review)).status_code == 302  # not locked yet
    for key in ("all", str(acme.a.public_id), str(acme.b.public_id)):
        carla.post(_url("review_confirm_rest", review), {"practice": key})
    _decide(carla, review, "carla", "confirmed", "the officer's own access")
    rita = client_of(acme, "rita")
    assert any(
        "Only a compliance officer" in m for m in said(rita.post(_url("review_lock", review)))
    )
    locked = carla.post(_url("review_lock", review))
    review.refresh_from_db()
    assert review.status == AccessReviewStatus.LOCKED
    assert any(review.evidence_sha256 in m for m in said(locked))

    first = carla.get(_url("review_evidence", review))
    second = carla.get(_url("review_evidence", review))
    assert first.status_code == second.status_code == 200
    assert first["Content-Type"] == "application/zip"
    assert "no-store" in first["Cache-Control"]
    assert first["Content-Disposition"].startswith("attachment;")
    assert first.content == second.content
    assert hashlib.sha256(first.content).hexdigest() == review.evidence_sha256
    with zipfile.ZipFile(io.BytesIO(first.content)) as bundle:
        files = {name: bundle.read(name) for name in bundle.namelist()}
    manifest = json.loads(files.pop("manifest.json"))
    assert {f["name"]: f["sha256"] for f in manifest["files"]} == {
        name: hashlib.sha256(data).hexdigest() for name, data in files.items()
    }
    lines = "".join(
        f"{hashlib.sha256(data).hexdigest()}  {name}\n" for name, data in sorted(files.items())
    )
    assert manifest["sha256"] == hashlib.sha256(lines.encode()).hexdigest()
    exported = AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REVIEW_EXPORTED, workspace=acme.workspace
    )
    assert exported.count() == 2
    # A reviewer without compliance.view takes no bundle: the missing record's 404.
    assert rita.get(_url("review_evidence", review)).status_code == 404
    page = carla.get(_detail(review)).content.decode()
    assert review.evidence_sha256 in page and "decide-form" not in page


# -- starting one ---------------------------------------------------------------------------
def test_the_officer_starts_a_review_and_errors_name_the_field(acme: Acme) -> None:
    carla = client_of(acme, "carla")
    start = reverse("compliance:review_start")
    form = carla.get(start).content.decode()
    assert 'name="reviewer_all"' in form and f'name="reviewer_{acme.a.public_id}"' in form
    bad = carla.post(start, {"title": "Alder only", "scope": "practices", "due_on": "2020-01-01"})
    assert bad.status_code == 200
    body = bad.content.decode()
    assert "Choose at least one practice" in body and "cannot be in the past" in body
    far = carla.post(start, {"title": "Later", "scope": "workspace", "due_on": "9999-12-31"})
    assert "The due date must be within a year" in far.content.decode()
    assert not AccessReview.objects.filter(workspace=acme.workspace).exists()
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    made = carla.post(
        start,
        {
            "title": "Alder only",
            "scope": "practices",
            "practices": [str(acme.a.public_id)],
            "due_on": due,
            f"reviewer_{acme.a.public_id}": str(acme.people["rita"].public_id),
            f"reviewer_{acme.b.public_id}": str(acme.people["olive"].public_id),  # out of scope
        },
    )
    review = AccessReview.objects.get(workspace=acme.workspace)
    assert made.status_code == 302 and made["Location"] == _detail(review)
    assert review.items.count() == 4 and not review.whole_workspace
    assert {(r.practice_id, r.user.username) for r in review.reviewers.all()} == {
        (acme.a.pk, "rita")
    }
    # Only compliance.manage opens one: the reviewer may not.
    assert client_of(acme, "rita").get(start).status_code == 404


def test_a_reviewer_answers_for_the_practice_s_access(acme: Acme) -> None:
    """Only an owner, supervisor, account manager or compliance officer with a live grant
    there: a biller (bea on Birch), someone of another practice (rita on Birch) or an
    expired grant (rex) is refused on the field, and no review is opened."""
    carla = client_of(acme, "carla")
    start = reverse("compliance:review_start")
    form = carla.get(start).content.decode()
    for name in ("carla", "olive", "rita"):
        assert f'value="{acme.people[name].public_id}"' in form, name
    for name in ("bea", "bob", "rex"):
        assert f'value="{acme.people[name].public_id}"' not in form, name
    due = (timezone.localdate() + timedelta(days=10)).isoformat()
    refused = carla.post(
        start,
        {
            "title": "Birch only",
            "scope": "practices",
            "practices": [str(acme.b.public_id)],
            "due_on": due,
            f"reviewer_{acme.b.public_id}": str(acme.people["rita"].public_id),
        },
    )
    assert refused.status_code == 200
    assert "rita cannot review Birch Pediatrics" in refused.content.decode()
    assert not AccessReview.objects.filter(workspace=acme.workspace).exists()
    with pytest.raises(AccessReviewError, match="bea cannot review"):
        open_campaign(
            actor=acme.actor("carla"),
            title="Birch",
            due_on=timezone.localdate() + timedelta(days=10),
            practices=[acme.b],
            reviewers={acme.b: acme.people["bea"]},
        )
    with pytest.raises(AccessReviewError, match="rita cannot review the all-practices"):
        open_campaign(
            actor=acme.actor("carla"),
            title="Everything",
            due_on=timezone.localdate() + timedelta(days=10),
            practices=None,
            reviewers={None: acme.people["rita"]},
        )
    assert not AccessReview.objects.filter(workspace=acme.workspace).exists()


def test_confirm_remaining_is_one_decision_each_and_only_the_reviewers(acme: Acme) -> None:
    review = _open(acme)
    with pytest.raises(CapabilityDenied):  # Birch is not rita's
        confirm_remaining(actor=acme.actor("rita"), campaign=review, practice=acme.b)
    assert confirm_remaining(actor=acme.actor("carla"), campaign=review, practice=None) == 1
    assert review.items.get(username="olive").decision == AccessDecision.CONFIRMED
    assert review.items.get(username="carla").decision == ""  # her own: a reason first
    assert confirm_remaining(actor=acme.actor("carla"), campaign=review, practice=None) == 0
    events = AuditEvent.objects.filter(
        action=AuditAction.ACCESS_REVIEW_DECIDED, workspace=acme.workspace
    )
    assert [e.detail["user"] for e in events] == ["olive"]
