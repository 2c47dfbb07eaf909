"""Work a person does is credited to that person, never to "system".

The class: for each action a person takes that moves money or claims (post from the exception
queue, dismiss, match by hand, reopen a rejected claim, assign a denial, an ERA uploaded and
ingested by the background worker), every ledger entry, claim history row and audit event the
action creates names that person. Work nobody started by hand (a clearinghouse poll, the
simulator) stays "system".
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db.models import Max
from django_tasks_db.management.commands import db_worker

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.models import Claim, ClaimEvent, ClaimState
from bureau.claims.services import claim_reopen
from bureau.claims.tests import factories
from bureau.denials.models import Denial
from bureau.denials.services import denial_update
from bureau.directory.models import ContractRate
from bureau.ledger.models import LedgerEntry
from bureau.remittance import jobs
from bureau.remittance.manual_match import era_exception_match
from bureau.remittance.models import (
    Era,
    EraException,
    ExceptionReason,
    ExceptionStatus,
    IngestJob,
    JobStatus,
    ProviderAdjustmentEntry,
)
from bureau.remittance.services import era_exception_resolve, ingest_era_text
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import era_text, paid_and_denied
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability

pytestmark = pytest.mark.django_db


@dataclass
class Made:
    ledger: list[LedgerEntry | ProviderAdjustmentEntry] = field(default_factory=list)
    history: list[ClaimEvent] = field(default_factory=list)
    audit: list[AuditEvent] = field(default_factory=list)


def _max_id(qs: Any) -> int:
    return qs.aggregate(m=Max("id"))["m"] or 0


@contextmanager
def made_during(practices: list[Practice]) -> Iterator[Made]:
    """The ledger entries, claim history rows and audit events written inside the block."""
    ids = [p.pk for p in practices]

    def ledger() -> Any:
        return LedgerEntry.objects.for_system(ids, reason="test")

    def history() -> Any:
        return ClaimEvent.objects.for_system(ids, reason="test")

    def plb() -> Any:
        return ProviderAdjustmentEntry.objects.for_system(ids, reason="test")

    with rls.practice_scope(ids):
        marks = (_max_id(ledger()), _max_id(history()), _max_id(plb()))
    audit_mark = _max_id(AuditEvent.objects.all())
    made = Made()
    yield made
    with rls.practice_scope(ids):
        made.ledger = [*ledger().filter(id__gt=marks[0]), *plb().filter(id__gt=marks[2])]
        made.history = list(history().filter(id__gt=marks[1]))
    made.audit = list(AuditEvent.objects.filter(id__gt=audit_mark).order_by("id"))


def assert_credited(made: Made, user: User, *, ledger: bool, history: bool) -> None:
    """Every row names `user`; the kinds the action must make were made."""
    assert made.audit, "the action wrote no audit event"
    assert bool(made.ledger) == ledger, made.ledger
    assert bool(made.history) == history, made.history
    for entry in made.ledger:
        assert entry.posted_by_id == user.pk, (str(entry), entry.posted_by_id)
    for event in made.history:
        assert event.user_id == user.pk, (event.from_state, event.to_state, event.note)
    for audit in made.audit:
        assert audit.user_id == user.pk and audit.actor_label == user.label, (
            audit.action,
            audit.actor_label,
        )


def person(username: str) -> tuple[User, Actor]:
    user = User.objects.get(username=username)
    actor = resolve_actor(user)
    assert actor is not None
    return user, actor


def poster_practice() -> Practice:
    """A practice Priya (payment poster: payments.post, no claims.edit) posts for."""
    _, priya = person("priya.poster")
    assert not priya.can(Capability.CLAIMS_EDIT)
    return priya.practices(Capability.PAYMENTS_POST)[0]


def workspace_of(practice: Practice) -> Workspace:
    return Workspace.objects.get(pk=practice.workspace_id)


def held(practice: Practice) -> list[EraException]:
    """An ERA for `practice` delivered by the system (a clearinghouse poll) while auto-posting is
    off: each claim is a policy hold a poster reviews."""
    payer = b.payer_of(practice)
    b.autopost(practice)
    b.configure(practice, "era.autopost_enabled", False)
    ContractRate.objects.filter(practice=practice).delete()
    ingest_era_text(
        actor=None,
        workspace=workspace_of(practice),
        text=era_text(practice, payer, paid_and_denied(practice, payer)),
        file_name="held.835",
    )
    with rls.practice_scope([practice.pk]):
        return list(
            EraException.objects.for_system([practice.pk], reason="test")
            .filter(reason=ExceptionReason.POLICY_HOLD, status=ExceptionStatus.OPEN)
            .select_related("era_claim", "era")
            .order_by("id")
        )


def test_posting_from_the_queue_credits_the_poster_not_system():
    practice = poster_practice()
    exception = held(practice)[0]  # the paid claim: posting it moves it to paid
    user, priya = person("priya.poster")
    with made_during([practice]) as made:
        era_exception_resolve(actor=priya, exception=exception, action="post", note="reviewed")
    assert_credited(made, user, ledger=True, history=True)
    assert [e.to_state for e in made.history] == [ClaimState.PAID]
    assert "posted after review" in made.history[0].note
    assert {a.action for a in made.audit} >= {
        AuditAction.ERA_EXCEPTION_RESOLVED,
        AuditAction.CLAIM_STATE_CHANGED,
    }


def test_dismissing_credits_the_poster():
    practice = poster_practice()
    exception = held(practice)[0]
    user, priya = person("priya.poster")
    with made_during([practice]) as made:
        era_exception_resolve(actor=priya, exception=exception, action="dismiss", note="dup")
    assert_credited(made, user, ledger=False, history=False)
    with rls.practice_scope([practice.pk]):
        exception.refresh_from_db()
    assert exception.resolved_by_id == user.pk


def test_matching_by_hand_credits_the_poster():
    practice = poster_practice()
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    (claim,) = b.submitted_claims(practice, payer)
    one, two = b.lines_of(claim)
    loop = b.changed(
        b.paid_claim(claim, [b.svc(one, "90.00", ("CO", "45", "20.00"), ref=False)]),
        patient_control_number="X" + claim.number,
    )
    ingest_era_text(
        actor=None,
        workspace=workspace_of(practice),
        text=era_text(practice, payer, [loop]),
        file_name="typo.835",
    )
    with rls.practice_scope([practice.pk]):
        exception = EraException.objects.for_system([practice.pk], reason="test").get(
            reason=ExceptionReason.UNMATCHED_CLAIM
        )
    user, priya = person("priya.poster")
    with made_during([practice]) as made:
        era_exception_match(
            actor=priya, exception=exception, claim_number=claim.number, note="payer typo"
        )
    assert_credited(made, user, ledger=True, history=True)
    assert AuditAction.ERA_CLAIM_MATCHED in {a.action for a in made.audit}


def test_reopening_a_rejected_claim_credits_the_biller():
    user, bella = person("bella.biller")
    practice = bella.practices(Capability.CLAIMS_EDIT)[0]
    with rls.practice_scope([practice.pk]):
        patient = factories.patient(practice)
        claim = factories.claim(
            practice,
            factories.coverage(patient, b.payer_of(practice)),
            state=ClaimState.REJECTED,
        )
    with made_during([practice]) as made:
        claim_reopen(actor=bella, claim=claim, note="wrong member id")
    assert_credited(made, user, ledger=False, history=True)
    assert [e.to_state for e in made.history] == [ClaimState.DRAFT]


def test_assigning_a_denial_credits_the_specialist():
    practice = poster_practice()
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    ingest_era_text(
        actor=None,
        workspace=workspace_of(practice),
        text=era_text(practice, payer, paid_and_denied(practice, payer)),
        file_name="denied.835",
    )
    user, dan = person("dan.denials")
    with rls.practice_scope([practice.pk]):
        denial = Denial.objects.for_system([practice.pk], reason="test").first()
    assert denial is not None
    with made_during([practice]) as made:
        denial_update(
            actor=dan,
            denial=denial,
            assignee=str(user.public_id),
            status="in_progress",
            note="mine",
        )
    assert_credited(made, user, ledger=False, history=False)
    assert made.audit[0].action == AuditAction.DENIAL_UPDATED


@pytest.fixture
def _worker(monkeypatch: pytest.MonkeyPatch, settings: Any, tmp_path: Path) -> None:
    settings.VAR_DIR = tmp_path
    # See test_jobs: the worker runs in this test's transaction.
    monkeypatch.setattr(db_worker, "close_old_connections", lambda: None)


def test_an_upload_ingested_by_the_worker_credits_the_uploader(
    _worker: None, django_capture_on_commit_callbacks: Any
) -> None:
    """The job records who uploaded; the worker posts as them: the ERA, its ledger entries, the
    claims it moves (paid, denied; then a reversal back to accepted, closing the denial) and
    every audit event name the uploader."""
    practice = poster_practice()
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    payments = paid_and_denied(practice, payer)
    user, priya = person("priya.poster")

    def upload_and_run(text: str, name: str) -> IngestJob:
        with django_capture_on_commit_callbacks(execute=True):
            job = jobs.ingest_job_create(actor=priya, file_name=name, content=text.encode())
        call_command("db_worker", batch=True, reload=False, startup_delay=False, interval=0)
        job.refresh_from_db()
        assert job.status == JobStatus.DONE, job.error
        assert job.created_by_id == user.pk
        return job

    with made_during([practice]) as made:  # with a provider-level adjustment (PLB interest)
        upload_and_run(era_text(practice, payer, payments, plb=[("L6", "-1.50")]), "first.835")
    assert_credited(made, user, ledger=True, history=True)
    assert any(isinstance(e, ProviderAdjustmentEntry) for e in made.ledger)
    assert {e.to_state for e in made.history} == {ClaimState.PAID, ClaimState.DENIED}
    with rls.practice_scope([practice.pk]):
        era = Era.objects.for_system([practice.pk], reason="test").get()
    assert era.ingested_by_id == user.pk

    with made_during([practice]) as made:
        upload_and_run(era_text(practice, payer, [b.reversal_of(payments[1])]), "undo.835")
    assert_credited(made, user, ledger=True, history=True)
    assert [e.to_state for e in made.history] == [ClaimState.ACCEPTED]
    assert AuditAction.DENIAL_UPDATED in {a.action for a in made.audit}


def test_an_era_from_the_clearinghouse_stays_system():
    """Nobody started it: the history and audit say "system", and no person is named."""
    practice = b.summit()[0]
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    with made_during([practice]) as made:
        ingest_era_text(
            actor=None,
            workspace=workspace_of(practice),
            text=era_text(practice, payer, paid_and_denied(practice, payer)),
            file_name="poll.835",
        )
    assert made.ledger and made.history and made.audit
    assert all(e.posted_by_id is None for e in made.ledger)
    assert all(e.user_id is None for e in made.history)
    assert all(a.user_id is None and a.actor_label == "system" for a in made.audit)


def test_a_claim_page_names_the_poster_in_its_history():
    """What the person saw: "Priya Prakash … posted after review", not "system"."""
    from django.urls import reverse
    from django.utils.html import escape

    from bureau.conftest import verified_client

    practice = poster_practice()
    exception = held(practice)[0]
    user, priya = person("priya.poster")
    era_exception_resolve(actor=priya, exception=exception, action="post", note="reviewed")
    with rls.practice_scope([practice.pk]):
        claim = Claim.objects.for_system([practice.pk], reason="test").get(
            pk=exception.era_claim.claim_id  # type: ignore[union-attr]
        )
    page = verified_client("olivia.owner").get(reverse("claims:detail", args=[claim.public_id]))
    body = page.content.decode()
    row = next(line for line in body.splitlines() if "posted after review" in line)
    assert escape(user.label) in row and "system" not in row
