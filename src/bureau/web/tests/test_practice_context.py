"""The practice bar never names a practice other than the record's (DESIGN §2).

Class tests, with the URLs discovered as the authorization matrix discovers them (its
CLASSIFICATION is checked against the resolver there): every GET page of one practice record
moves a bar naming another practice to the record's (All stays All), and every POST to one
practice record is refused — changing nothing — when the page it came from was opened under
another practice. A new record URL fails here until it gets a case below.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import pytest
from django.contrib.messages import get_messages
from django.test import Client
from django.urls import reverse

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.models import Claim, ClaimState
from bureau.claims.tests import factories
from bureau.conftest import verified_client
from bureau.denials.models import DenialStatus
from bureau.directory.models import Payer
from bureau.patients.models import Patient
from bureau.remittance.models import EraException
from bureau.remittance.tests.test_views import ingest_scenario
from bureau.tenancy import rls
from bureau.tenancy.context import ALL, OPENED_UNDER, SESSION_KEY
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Role
from bureau.web.tests.test_authorization_matrix import CLASSIFICATION, served

pytestmark = pytest.mark.django_db

OWNER = "olivia.owner"  # all practices of Summit Billing Partners
RIVERBEND = "Riverbend Dermatology"
SUMMIT_PT = "Summit Physical Therapy"
OTHER_WORKSPACE_PRACTICE = "harbor"  # slug of the workspace whose practices must never show

# URLs with a record that is not one practice's record: users and grants are the workspace's
# control data (who may administer whom is its own rule, accounts/services.py); an ingest job
# is one uploaded file, which may pay several practices (each ERA in it is a record).
NOT_PRACTICE_RECORDS = {"user", "grant", "job"}
# compliance: incidents. An incident is the workspace's record: it may touch several practices
# or none yet, and its page opens under any bar (its clock is the billing company's).
NOT_PRACTICE_RECORDS |= {"incident"}
# compliance: access reviews — a campaign is the workspace's (its scope may span practices).
NOT_PRACTICE_RECORDS |= {"access_review"}
NOT_PRACTICE_RECORDS |= {"payer"}  # a payer is the whole workspace's (issue 16)
NOT_PRACTICE_RECORDS |= {"baa"}  # compliance: a BAA is the workspace's control data
# compliance: exclusion screening — a run and a hit are the workspace's own records.
NOT_PRACTICE_RECORDS |= {"screening_run", "screening_hit"}
# compliance: training and policies — the workspace's own records (courses, completions,
# policies and their versions), no practice's.
NOT_PRACTICE_RECORDS |= {"course", "completion", "policy", "policy_version", "policy_document"}
# Offboarding: a certificate of destruction outlives its practice (offboarded: in no bar).
NOT_PRACTICE_RECORDS |= {"offboarding"}
# GET URLs with a record that are not pages: no bar is shown, so there is nothing to keep honest.
NOT_PAGES = {
    "eras:download": "serves a file",
    "batches:download": "serves a file",
    "denials:appeal_pdf": "serves a file",
    "reports:monthly_pdf": "serves a file",
    "directory:practice_setup_export": "serves a file",
    "eras:job": "an htmx fragment polled by the ERA list",
    "offboarding:bundle": "serves a file",
    "offboarding:progress": "an htmx fragment polled by the offboarding page",
}


def practice(name: str) -> Practice:
    return Practice.objects.get(workspace__slug="summit", name=name)


def set_context(client: Client, value: Practice | None) -> None:
    """What another tab's switch does to the shared session."""
    session = client.session
    session[SESSION_KEY] = ALL if value is None else str(value.public_id)
    session.save()


def context_of(client: Client) -> str:
    return str(client.session.get(SESSION_KEY, ALL))


def said(response: Any) -> list[str]:
    """The messages this request added (not ones still waiting from earlier requests)."""
    return [str(m) for m in get_messages(response.wsgi_request)._queued_messages]  # type: ignore[attr-defined]


def change_events() -> int:
    """Events of changes (every change writes one in its own transaction)."""
    reads = {a.value for a in AuditAction if a.is_phi_read}
    return AuditEvent.objects.exclude(action__in=reads).count()


# -- records to open and write to ---------------------------------------------------------------
def _payer(p: Practice) -> Payer:
    return Payer.objects.filter(workspace_id=p.workspace_id).order_by("id").first()  # type: ignore[return-value]


def a_claim(state: str) -> Callable[[Practice], Any]:
    def make(p: Practice) -> Any:
        with rls.practice_scope([p.pk]):
            claim: Claim = factories.claim(
                p, factories.coverage(factories.patient(p), _payer(p)), state=state
            )
        return claim.public_id

    return make


def a_correctable_claim(p: Practice) -> Any:
    """A denied claim the payer numbered: it may be replaced or voided."""
    public_id = a_claim(ClaimState.DENIED)(p)
    Claim.objects.for_system([p.pk], reason="test").filter(public_id=public_id).update(
        payer_claim_number="PCN-CTX"
    )
    return public_id


def a_replacement(p: Practice) -> Any:
    from bureau.accounts.models import User
    from bureau.claims.corrections import correction_create
    from bureau.claims.models import ClaimFrequency
    from bureau.tenancy.actor import resolve_actor

    public_id = a_correctable_claim(p)
    owner = resolve_actor(User.objects.get(username=OWNER))
    assert owner is not None
    with rls.practice_scope(owner.practice_ids()):
        claim = Claim.objects.for_system([p.pk], reason="test").get(public_id=public_id)
        made = correction_create(actor=owner, claim=claim, frequency=ClaimFrequency.REPLACEMENT)
    return made.public_id


def a_patient(p: Practice) -> Any:
    with rls.practice_scope([p.pk]):
        return Patient.objects.for_system([p.pk], reason="test").order_by("id").first().public_id  # type: ignore[union-attr]


def a_coverage(p: Practice) -> Any:
    """An open-ended policy of the practice (the coverage pages' record)."""
    from bureau.patients.models import Coverage

    with rls.practice_scope([p.pk]):
        found = (
            Coverage.objects.for_system([p.pk], reason="test")
            .filter(end_date__isnull=True)
            .order_by("id")
            .first()
        )
    assert found is not None
    return found.public_id


def coverage_form(public_id: Any) -> dict[str, str]:
    """The policy as it stands, with a corrected member id."""
    from bureau.patients.models import Coverage

    c = Coverage.objects.for_system(Practice.objects.values_list("pk", flat=True), reason="test")
    coverage = c.select_related("payer").get(public_id=public_id)
    return {
        "payer": str(coverage.payer.public_id),
        "member_id": "CTX-" + coverage.member_id[:70],
        "group_number": coverage.group_number,
        "cob_order": str(coverage.cob_order),
        "relationship": coverage.relationship,
        "subscriber_first_name": coverage.subscriber_first_name,
        "subscriber_last_name": coverage.subscriber_last_name,
        "subscriber_date_of_birth": (
            coverage.subscriber_date_of_birth.isoformat()
            if coverage.subscriber_date_of_birth
            else ""
        ),
        "subscriber_sex": coverage.subscriber_sex,
        "effective_date": coverage.effective_date.isoformat(),
        "end_date": "",
    }


def new_coverage_form(_public_id: Any) -> dict[str, str]:
    """A tertiary policy of a year long past: overlaps no policy the demo gives a patient."""
    return {
        "payer": str(_payer(practice(SUMMIT_PT)).public_id),
        "member_id": "CTX-NEW-1",
        "cob_order": "3",
        "relationship": "18",
        "effective_date": "2019-01-01",
        "end_date": "2019-12-31",
    }


def a_denial(p: Practice) -> Any:
    from bureau.denials.models import Denial

    era = ingest_scenario(p).era
    with rls.practice_scope([p.pk]):
        found = Denial.objects.for_system([p.pk], reason="test").filter(era=era)
        return found.order_by("id").first().public_id  # type: ignore[union-attr]


def an_appeal(p: Practice) -> Any:
    """A level-1 appeal of the scenario's first denial, not yet submitted."""
    from bureau.accounts.models import User
    from bureau.denials.models import Denial
    from bureau.web.tests.test_authorization_matrix import appeal_of

    denial_id = a_denial(p)
    with rls.practice_scope([p.pk]):
        denial = Denial.objects.for_system([p.pk], reason="test").get(public_id=denial_id)
        appeal = appeal_of(denial, User.objects.get(username=OWNER))
    rls.activate([])
    return appeal.public_id


def today() -> str:
    """Yesterday by UTC: never after the practice's own today (appeals are dated on its
    calendar, and between midnight UTC and its midnight it is still yesterday there)."""
    from datetime import timedelta

    from bureau import clock

    return (clock.now() - timedelta(days=1)).date().isoformat()


def an_exception(p: Practice) -> Any:
    era = ingest_scenario(p).era
    with rls.practice_scope([p.pk]):
        found = EraException.objects.for_system([p.pk], reason="test").filter(era=era)
        return found.order_by("id").first().public_id  # type: ignore[union-attr]


def an_era(p: Practice) -> Any:
    return ingest_scenario(p).era.public_id


def a_work_item(p: Practice) -> Any:
    """A rejected claim's item in the rejections queue (free: no one holds it)."""
    from bureau.workqueues.models import WorkItem
    from bureau.workqueues.tests import helpers

    claim_id = a_claim(ClaimState.SUBMITTED)(p)
    claim = helpers.system(Claim, [p.pk]).get(public_id=claim_id)
    helpers.reject(claim)
    helpers.sync(p, claim_ids=[claim.pk])
    return helpers.system(WorkItem, [p.pk]).get(claim=claim).public_id


def a_held_item(p: Practice) -> Any:
    """A work item the owner holds (what release gives back)."""
    from bureau.workqueues.models import WorkItem
    from bureau.workqueues.services import item_claim
    from bureau.workqueues.tests import helpers

    public_id = a_work_item(p)
    item_claim(actor=helpers.actor(OWNER), public_id=public_id)
    rls.activate([])
    assert helpers.system(WorkItem, [p.pk]).get(public_id=public_id).assignee_id
    rls.activate([])
    return public_id


def a_question(p: Practice) -> Any:
    """An open question to the practice on a work item, asked by the owner."""
    from bureau.workqueues.questions import ask_practice
    from bureau.workqueues.tests import helpers

    asked = ask_practice(
        actor=helpers.actor(OWNER), public_id=a_work_item(p), question="Op note, please?"
    )
    rls.activate([])
    return asked.public_id


def a_monthly_report(p: Practice) -> Any:
    from bureau.reports.tests.monthly_helpers import stored_reports

    return stored_reports([p])[0].public_id


def in_a_month() -> str:
    from bureau import clock

    return (clock.now().date() + timedelta(days=30)).isoformat()


def a_provider(p: Practice) -> Any:
    from bureau.directory.models import Provider

    return Provider.objects.filter(practice=p).order_by("id").first().public_id  # type: ignore[union-attr]


def enrollment_form(public_id: Any) -> dict[str, str]:
    """A provider's enrollment with a payer, made active (with its reason)."""
    from bureau.directory.models import Provider

    provider = Provider.objects.get(public_id=public_id)
    payer = Payer.objects.filter(workspace_id=provider.workspace_id).order_by("id").first()
    assert payer is not None
    return {
        "payer": str(payer.public_id),
        "status": "active",
        "effective_date": "2024-02-01",
        "reason": "approved by the payer",
    }


def provider_form(public_id: Any) -> dict[str, str]:
    """The provider's edit form as the page fills it in, with one change (the first name)."""
    from bureau.directory.models import Provider

    provider = Provider.objects.get(public_id=public_id)
    fields = ("kind", "name", "last_name", "npi", "taxonomy")
    return {
        **{name: getattr(provider, name) for name in fields},
        "first_name": "Renamed",
        "reason": "the NPPES record says so",
    }


def a_facility(p: Practice) -> Any:
    from bureau.directory.models import ServiceFacility

    return ServiceFacility.objects.filter(practice=p).order_by("id").first().public_id  # type: ignore[union-attr]


def facility_form(public_id: Any) -> dict[str, str]:
    """The facility's edit form as the page fills it in, with one change (the street)."""
    from bureau.directory.models import ServiceFacility

    facility = ServiceFacility.objects.get(public_id=public_id)
    fields = ("name", "npi", "city", "state", "postal_code")
    return {
        **{name: getattr(facility, name) for name in fields},
        "address_line1": "12 New Street",
        "reason": "the clinic moved",
    }


def a_practice_page(p: Practice) -> Any:
    return p.public_id


def an_offboarding_practice(p: Practice) -> Any:
    """A practice whose offboarding the owner started (its export still queued)."""
    from bureau.offboarding.services import offboarding_start
    from bureau.tenancy.actor import resolve_actor

    owner = resolve_actor(User.objects.get(username=OWNER))
    assert owner is not None
    offboarding_start(actor=owner, practice=p, reason="the client gave notice")
    return p.public_id


def practice_form(public_id: Any) -> dict[str, str]:
    """The practice's edit form as the page fills it in, with one change (the specialty)."""
    p = Practice.objects.get(public_id=public_id)
    fields = ("name", "code", "npi", "tax_id", "address_line1", "address_line2", "city")
    return {
        **{name: getattr(p, name) for name in fields},
        "state": p.state,
        "postal_code": p.postal_code,
        "timezone": p.timezone,
        "specialty": "Sports medicine",
        "reason": "the client's new service line",
    }


def copy_form(public_id: Any) -> dict[str, str]:
    """Copy setup from another practice of the workspace, applied."""
    p = Practice.objects.get(public_id=public_id)
    sibling = Practice.objects.filter(workspace_id=p.workspace_id).exclude(pk=p.pk).first()
    assert sibling is not None
    return {
        "source": str(sibling.public_id),
        "confirm": "apply",
        "reason": "the same contract terms as the sister clinic",
    }


def patient_form(public_id: Any) -> dict[str, str]:
    """The edit form as the page fills it in, with one change (the phone)."""
    patient = Patient.objects.for_system(
        Practice.objects.values_list("pk", flat=True), reason="test"
    ).get(public_id=public_id)
    return {
        "practice": str(Practice.objects.get(pk=patient.practice_id).public_id),
        "account_number": patient.account_number,
        "last_name": patient.last_name,
        "first_name": patient.first_name,
        "date_of_birth": patient.date_of_birth.isoformat(),
        "sex": patient.sex,
        "address_line1": patient.address_line1,
        "city": patient.city,
        "state": patient.state,
        "postal_code": patient.postal_code,
        "phone": "555-010-9999",
    }


def a_denied_claim(p: Practice) -> Any:
    return ingest_scenario(p, unmatched=False).denied.public_id


def a_writeoff(p: Practice) -> Any:
    """A write-off above the limit, asked for by the denial specialist: pending."""
    from bureau.billing.services import writeoff_request
    from bureau.tenancy.actor import resolve_actor

    claim = ingest_scenario(p, unmatched=False).denied
    dan = resolve_actor(User.objects.get(username="dan.denials"))
    assert dan is not None
    return writeoff_request(
        actor=dan, claim=claim, reason="bad_debt", note="test", root_cause="coding",
        amounts=writeoff_form(claim.public_id),
    ).public_id  # fmt: skip


def writeoff_form(claim_public_id: Any) -> dict[str, str]:
    """100.00 of the denied claim's first line (110.00 open): above the limit."""
    from bureau.claims.models import ClaimLine

    ids = list(Practice.objects.values_list("pk", flat=True))
    line = (
        ClaimLine.objects.for_system(ids, reason="test")
        .filter(claim__public_id=claim_public_id)
        .order_by("line_number")
        .first()
    )
    assert line is not None
    return {str(line.public_id): "100.00"}


def writeoff_post(claim_public_id: Any) -> dict[str, str]:
    amounts = {f"amount-{k}": v for k, v in writeoff_form(claim_public_id).items()}
    return {**amounts, "reason": "bad_debt", "note": "test", "root_cause": "coding"}


@dataclass(frozen=True)
class Write:
    noun: str
    make: Callable[[Practice], Any]
    form: Callable[[Any], dict[str, str]] = field(default=lambda _id: {})
    writes: bool = True  # the form is complete: allowed, it changes the record (one event)
    # Who writes (a login name, made on demand): the owner, unless the write is one no
    # billing-company role makes (a client practice's answer).
    writer: Callable[[], str] = field(default=lambda: OWNER)


def a_client_of_every_practice() -> str:
    """A client viewer granted every Summit practice: only a client answers its questions."""
    from bureau.web.tests.test_file_downloads import Person, _make_person

    return _make_person(Person("client viewer, all practices", ((Role.CLIENT_VIEWER, None),)))


WRITES: dict[str, Write] = {
    "scrub:claim": Write("claim", a_claim(ClaimState.DRAFT)),
    "claims:diagnoses": Write(
        "claim", a_claim(ClaimState.DRAFT), lambda _id: {"diagnosis_codes": "E11.9 I10"}
    ),
    "claims:reopen": Write(
        "claim", a_claim(ClaimState.REJECTED), lambda _id: {"note": "wrong member id"}
    ),
    "claims:replace": Write("claim", a_correctable_claim),
    "claims:void": Write("claim", a_correctable_claim),
    "denials:update": Write(
        "denial",
        a_denial,
        lambda _id: {"status": DenialStatus.IN_PROGRESS, "assignee": "keep", "note": "called"},
    ),
    # The scenario's denials are past their appeal deadline: the owner (a supervisor) appeals
    # with the reason a late appeal needs.
    "denials:appeal_create": Write(
        "denial", a_denial, lambda _id: {"level": "1", "late_reason": "payer lost the first"}
    ),
    # An appeal's forms live on its denial's page, and their messages name the denial.
    "denials:appeal_write": Write(
        "denial", an_appeal, lambda _id: {"rebuttal": "Coded as documented.", "attachments": ""}
    ),
    "denials:appeal_submit": Write(
        "denial",
        an_appeal,
        # Past the scenario's deadline: the owner (a supervisor) sends it with the reason.
        lambda _id: {
            "submitted_on": today(),
            "method": "portal",
            "reference": "R-1",
            "late_reason": "the payer's portal was down",
        },
    ),
    # Not submitted yet: the view answers that no outcome can be recorded.
    "denials:appeal_decide": Write("denial", an_appeal, writes=False),
    "patients:edit": Write("patient", a_patient, patient_form),
    "patients:coverage_new": Write("patient", a_patient, new_coverage_form),
    "patients:coverage_edit": Write("coverage", a_coverage, coverage_form),
    "patients:coverage_end": Write("coverage", a_coverage, lambda _id: {"end_date": in_a_month()}),
    "directory:enrollment_edit": Write("enrollment", a_provider, enrollment_form),
    "directory:provider_edit": Write("provider", a_provider, provider_form),
    "directory:provider_active": Write(
        "provider", a_provider, lambda _id: {"active": "no", "reason": "left the practice"}
    ),
    "directory:facility_edit": Write("facility", a_facility, facility_form),
    "directory:facility_active": Write(
        "facility", a_facility, lambda _id: {"active": "no", "reason": "clinic closed"}
    ),
    "directory:practice_edit": Write("practice", a_practice_page, practice_form),
    # The upload's preview reads and checks; its apply takes the preview's staged token.
    "directory:practice_setup_import": Write("practice", a_practice_page, writes=False),
    "directory:practice_setup_copy": Write("practice", a_practice_page, copy_form),
    # An active practice has no move the form makes (offboarding starts on its own page):
    # refused with a message, nothing changes.
    "directory:practice_status": Write(
        "practice",
        a_practice_page,
        lambda _id: {"status": "offboarding", "reason": "the client gave notice"},
        writes=False,
    ),
    "eras:exception_resolve": Write(
        "ERA exception", an_exception, lambda _id: {"action": "dismiss", "note": "not ours"}
    ),
    "workqueues:claim": Write("work item", a_work_item),
    "workqueues:release": Write("work item", a_held_item),
    "workqueues:pend": Write(
        "work item", a_work_item, lambda _id: {"until": in_a_month(), "reason": "payer review"}
    ),
    "workqueues:attempt": Write(
        "work item",
        a_work_item,
        lambda _id: {"channel": "phone", "outcome": "A1", "minutes": "7", "reference": "R-1"},
    ),
    # A rejection is closed by resubmitting its claim, not by hand: once the practice check
    # passes the view answers with that (done by hand is for underpayments and setup gaps).
    "workqueues:done": Write(
        "work item", a_work_item, lambda _id: {"note": "corrected, resent"}, writes=False
    ),
    # No one named: the owner (a supervisor) puts the item back in the pool.
    "workqueues:assign": Write("work item", a_held_item),
    "workqueues:ask": Write("work item", a_work_item, lambda _id: {"question": "Op note?"}),
    "workqueues:question_answer": Write(
        "question",
        a_question,
        lambda _id: {"answer": "Uploaded it."},
        writer=a_client_of_every_practice,
    ),
    # Incomplete forms: the view answers with its own message once the practice check passes.
    "eras:exception_match": Write("ERA exception", an_exception, writes=False),
    "eras:exception_match_lines": Write("ERA exception", an_exception, writes=False),
    "billing:writeoff_new": Write("claim", a_denied_claim, writeoff_post),
    "billing:writeoff_approve": Write("write-off", a_writeoff),
    "billing:writeoff_refuse": Write("write-off", a_writeoff, lambda _id: {"note": "appeal"}),
    "offboarding:practice": Write(
        "practice", a_practice_page, lambda _id: {"reason": "the client gave notice"}
    ),
    "offboarding:cancel": Write(
        "practice", an_offboarding_practice, lambda _id: {"reason": "the client stays"}
    ),
    # Not failed: nothing to build again; the owner started it: not theirs to approve.
    "offboarding:retry": Write("practice", an_offboarding_practice, writes=False),
    "offboarding:approve": Write("practice", an_offboarding_practice, writes=False),
}

PAGES: dict[str, tuple[str, Callable[[Practice], Any]]] = {
    "claims:detail": ("claim", a_claim(ClaimState.DRAFT)),
    "claims:replacement": ("claim", a_replacement),
    "patients:detail": ("patient", a_patient),
    "patients:edit": ("patient", a_patient),
    "patients:coverage_new": ("patient", a_patient),
    "patients:coverage_edit": ("coverage", a_coverage),
    "patients:coverage_end": ("coverage", a_coverage),
    "denials:detail": ("denial", a_denial),
    "denials:appeal_letter": ("appeal letter", an_appeal),
    "eras:detail": ("ERA", an_era),
    "directory:enrollment_edit": ("enrollment", a_provider),
    "directory:provider_edit": ("provider", a_provider),
    "directory:facility_edit": ("facility", a_facility),
    "directory:practice": ("practice", a_practice_page),
    "directory:practice_edit": ("practice", a_practice_page),
    "directory:practice_setup_import": ("practice", a_practice_page),
    "directory:practice_setup_copy": ("practice", a_practice_page),
    "offboarding:practice": ("practice", a_practice_page),
    "workqueues:item": ("work item", a_work_item),
    "billing:writeoff": ("write-off", a_writeoff),
    "billing:writeoff_new": ("claim", a_denied_claim),
    "reports:monthly_preview": ("monthly report", a_monthly_report),
}


def record_urls() -> tuple[set[str], set[str]]:
    """(GET pages, POST-accepting URLs) that take one practice record's id."""
    pages, writes = set(), set()
    for name in served():
        spec = CLASSIFICATION[name]
        if spec.record in (None, "practice") or spec.record in NOT_PRACTICE_RECORDS:
            continue
        if spec.method == "POST" or spec.form_post:
            writes.add(name)
        if spec.method == "GET" and name not in NOT_PAGES:
            pages.add(name)
    return pages, writes


def test_every_record_url_has_a_case() -> None:
    pages, writes = record_urls()
    assert writes == set(WRITES), (
        f"POST URLs of a practice record without a case in WRITES: {sorted(writes - set(WRITES))}"
        f"; cases for URLs that are gone: {sorted(set(WRITES) - writes)}"
    )
    assert pages == set(PAGES), (
        f"record pages without a case in PAGES: {sorted(pages - set(PAGES))}; "
        f"cases for URLs that are gone: {sorted(set(PAGES) - pages)}"
    )
    assert not set(NOT_PAGES) & pages


# -- writes ---------------------------------------------------------------------------------------
def _post(client: Client, name: str, public_id: Any, data: dict[str, str]) -> Any:
    return client.post(reverse(name, kwargs={"public_id": public_id}), data)


def _refused(response: Any, message: str) -> None:
    assert response.status_code == 302, response.status_code
    assert message in said(response), said(response)


@pytest.mark.parametrize("name", sorted(WRITES))
def test_a_write_from_a_page_opened_under_another_practice_is_refused(name: str) -> None:
    case = WRITES[name]
    summit_pt, riverbend = practice(SUMMIT_PT), practice(RIVERBEND)
    record = case.make(summit_pt)
    form = case.form(record)
    client = verified_client(case.writer())
    before = (AuditEvent.objects.count(), change_events())

    # The form names Riverbend (the page was opened under it); the session says All.
    response = _post(client, name, record, {**form, OPENED_UNDER: str(riverbend.public_id)})
    _refused(
        response,
        f"This page was opened under {RIVERBEND}; the {case.noun} belongs to {SUMMIT_PT}. "
        "Reload and try again.",
    )
    # Back to a page that shows the record (or its queue), never elsewhere.
    assert response["Location"].startswith(
        ("/claims/", "/denials/", "/patients/", "/eras/", "/setup/", "/queue/", "/billing/")
    )

    # The form carries nothing (an old page, a script): the session's context stands in.
    set_context(client, riverbend)
    _refused(
        _post(client, name, record, form),
        f"You are working in {RIVERBEND}; the {case.noun} belongs to {SUMMIT_PT}. "
        "Reload and try again.",
    )

    # A value naming no practice of the user's (garbage, another workspace's practice) is
    # refused without naming anything.
    foreign = Practice.objects.filter(workspace__slug=OTHER_WORKSPACE_PRACTICE).first()
    assert foreign is not None
    for value in ("nonsense", "\x00" * 3, str(uuid.uuid4()), str(foreign.public_id)):
        response = _post(client, name, record, {**form, OPENED_UNDER: value})
        _refused(
            response,
            f"This page was opened under another practice; the {case.noun} belongs to "
            f"{SUMMIT_PT}. Reload and try again.",
        )
        assert all(foreign.name not in m for m in said(response))

    # Nothing of any of those requests stayed: not the change, not even the read.
    assert (AuditEvent.objects.count(), change_events()) == before


@pytest.mark.parametrize("opened_under", ["record", "all"])
@pytest.mark.parametrize("name", sorted(WRITES))
def test_two_tabs_a_form_keeps_the_practice_it_was_opened_under(
    name: str, opened_under: str
) -> None:
    """Tab A opened the record under its own practice (or under All); tab B then switched the
    session to Riverbend. Tab A's form still says what tab A's bar says: the write goes ahead."""
    case = WRITES[name]
    summit_pt, riverbend = practice(SUMMIT_PT), practice(RIVERBEND)
    record = case.make(summit_pt)
    client = verified_client(case.writer())
    set_context(client, riverbend)  # tab B
    carried = str(summit_pt.public_id) if opened_under == "record" else ALL
    before = change_events()

    response = _post(client, name, record, {**case.form(record), OPENED_UNDER: carried})

    assert response.status_code in (200, 302)
    assert not [m for m in said(response) if "Reload and try again" in m], said(response)
    if case.writes:
        assert change_events() > before, said(response)


# -- pages ----------------------------------------------------------------------------------------
def _bar(response: Any) -> str:
    found = re.search(r'class="ctx-name">([^<]*)<', response.content.decode())
    assert found, "the page shows no practice bar"
    return found.group(1)


@pytest.mark.parametrize("name", sorted(PAGES))
def test_opening_a_record_of_another_practice_moves_the_bar_to_it(name: str) -> None:
    noun, make = PAGES[name]
    summit_pt, riverbend = practice(SUMMIT_PT), practice(RIVERBEND)
    record = make(summit_pt)
    url = reverse(name, kwargs={"public_id": record})
    client = verified_client(OWNER)
    set_context(client, riverbend)
    switched = AuditEvent.objects.filter(action=AuditAction.CONTEXT_SWITCHED).count()

    response = client.get(url)

    assert response.status_code == 200
    assert _bar(response) == SUMMIT_PT
    assert f"Switched to {SUMMIT_PT} to show this {noun}." in response.content.decode()
    assert context_of(client) == str(summit_pt.public_id)
    assert AuditEvent.objects.filter(action=AuditAction.CONTEXT_SWITCHED).count() == switched + 1
    # Its forms carry the practice the page now shows.
    carried = set(re.findall(rf'name="{OPENED_UNDER}" value="([^"]*)"', response.content.decode()))
    assert carried <= {str(summit_pt.public_id)}

    # Under the record's own practice, or under All practices, nothing moves.
    for context in (summit_pt, None):
        set_context(client, context)
        response = client.get(url)
        assert response.status_code == 200
        assert _bar(response) == (SUMMIT_PT if context else "All practices")
        assert "Switched to" not in response.content.decode()
        assert context_of(client) == (str(summit_pt.public_id) if context else ALL)


# -- lists ----------------------------------------------------------------------------------------
# The lists the work queue replaced send the owner (a worker) to the queue: their bar rules
# are the readers' (the same chosen_practice), checked here through the other lists.
LISTS = sorted(
    name
    for name, spec in CLASSIFICATION.items()
    if spec.list_filter and spec.workers_redirected is None
)


@pytest.mark.parametrize("name", LISTS)
def test_a_list_asked_for_another_practice_moves_the_bar(name: str) -> None:
    """A list that follows the bar shows what it is asked for (?practice=) and the bar says
    so: another practice moves it there, `all` moves it to All; under All it stays."""
    summit_pt, riverbend = practice(SUMMIT_PT), practice(RIVERBEND)
    client = verified_client(OWNER)
    url = reverse(name)

    set_context(client, riverbend)
    response = client.get(url, {"practice": str(summit_pt.public_id)})
    assert response.status_code == 200
    assert _bar(response) == SUMMIT_PT
    assert f"Switched to {SUMMIT_PT} to show this list." in response.content.decode()

    response = client.get(url, {"practice": ALL})
    assert _bar(response) == "All practices"
    assert "Switched to All practices to show this list." in response.content.decode()
    assert context_of(client) == ALL

    response = client.get(url, {"practice": str(riverbend.public_id)})
    assert _bar(response) == "All practices"
    assert "Switched to" not in response.content.decode()


def test_a_partial_that_moves_the_bar_reloads_the_whole_page() -> None:
    client = verified_client(OWNER)
    set_context(client, practice(RIVERBEND))
    url = reverse("claims:list")
    query = {"practice": str(practice(SUMMIT_PT).public_id)}

    response = client.get(url, query, headers={"HX-Request": "true"})

    assert response["HX-Redirect"].startswith(url + "?practice=")
    # Once moved, the same partial is just a partial.
    assert "HX-Redirect" not in client.get(url, query, headers={"HX-Request": "true"})


def test_a_write_elsewhere_does_not_move_the_bar() -> None:
    """Only a page that is shown moves the bar: a POST never does."""
    summit_pt, riverbend = practice(SUMMIT_PT), practice(RIVERBEND)
    record = a_claim(ClaimState.DRAFT)(summit_pt)
    client = verified_client(OWNER)
    set_context(client, riverbend)
    _post(client, "scrub:claim", record, {OPENED_UNDER: str(summit_pt.public_id)})
    assert context_of(client) == str(riverbend.public_id)
