"""ERA pages: list, filters, detail, download, the exception queue and its resolve flow, the
claim page's money sections; scoping (a foreign record is a 404) and the audit rows they write.

The ERAs come from a real 835 written with `write_835` and ingested with `ingest_era_text`."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from decimal import Decimal
from itertools import count

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.models import Claim
from bureau.conftest import verified_client
from bureau.denials.models import Denial
from bureau.directory.models import ContractRate, Payer
from bureau.remittance.exception_queue import exception_list
from bureau.remittance.models import Era, EraException, ExceptionStatus
from bureau.remittance.services import ingest_era_text
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability
from bureau.workqueues.functions import Function
from bureau.workqueues.sync import refresh
from bureau.workqueues.tests.pages import item_of, item_url, queue_rows, queue_url, row_naming
from bureau.x12.claim837 import Address
from bureau.x12.envelope import Envelope, Party, Usage
from bureau.x12.remit835 import ClaimPayment, Remittance
from bureau.x12.writer835 import write_835

pytestmark = pytest.mark.django_db
D = Decimal
_icn = count(500)


def envelope() -> Envelope:
    return Envelope(
        sender=Party("SIMPAYER01"),
        receiver=Party("BUREAUSUB01"),
        interchange_control_number=next(_icn),
        group_control_number=1,
        created_at=datetime(2026, 3, 2, 9, 0),
        usage=Usage.TEST,
    )


def writable(r: Remittance) -> Remittance:
    """What the writer needs beyond what posting reads (payer address and phone)."""
    claims = tuple(
        c._replace(
            filing_indicator=c.filing_indicator or "HM",
            patient_last_name=c.patient_last_name or "DOE",
            patient_first_name=c.patient_first_name or "J",
            member_id=c.member_id or "M0001",
        )
        for c in r.claims
    )
    return replace(
        r,
        claims=claims,
        payer_address=Address("1 Payer Plaza", "Hartford", "CT", "06101"),
        payer_contact_phone="8005551212",
    )


def era_text(practice: Practice, payer: Payer, payments: list[ClaimPayment], **kw: object) -> str:
    return write_835(envelope(), [writable(b.remittance(practice, payer, payments, **kw))])  # type: ignore[arg-type]


@dataclass
class Scenario:
    practice: Practice
    payer: Payer
    paid: Claim
    denied: Claim
    era: Era
    text: str


def paid_and_denied(practice: Practice, payer: Payer) -> list[ClaimPayment]:
    """Two submitted claims of `practice`: one paid (CO-45, PR-2), one denied (CO-50)."""
    paid, denied = b.submitted_claims(practice, payer, count=2)
    one, two = b.lines_of(paid)
    d1, d2 = b.lines_of(denied)
    return [
        b.paid_claim(
            paid,
            [
                b.svc(one, "70.00", ("CO", "45", "20.00"), ("PR", "2", "20.00"), allowed="90.00"),
                b.svc(two, "12.00"),
            ],
        ),
        b.paid_claim(
            denied,
            [b.svc(d1, "0.00", ("CO", "50", "110.00")), b.svc(d2, "0.00", ("CO", "50", "12.00"))],
            status="4",
            payer_claim_number="PCN2",
        ),
    ]


def ingest_scenario(practice: Practice | None = None, *, unmatched: bool = True) -> Scenario:
    """A posted ERA for `practice` (default: the first summit practice) with a paid claim, a
    denied claim and, with `unmatched`, a claim the payer sent that is not ours (exception)."""
    practice = practice or b.summit()[0]
    payers = list(Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id"))
    payer = (
        payers[min(2, len(payers) - 1)]
        if payers
        else Payer.objects.create(
            workspace_id=practice.workspace_id, name="Test Mutual", payer_id="TESTMUT01"
        )
    )
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()  # no underpayment/overpayment noise
    payments = paid_and_denied(practice, payer)
    if unmatched:
        payments.append(
            ClaimPayment(
                patient_control_number="NOTOURS999",
                status="1",
                charge=D("50.00"),
                paid=D("50.00"),
                patient_responsibility=D("0"),
                payer_claim_number="PCN3",
            )
        )
    text = era_text(practice, payer, payments)
    result = ingest_era_text(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        text=text,
        file_name="test-era.835",
    )
    era_id = result.eras[0].era_id
    with rls.practice_scope([practice.pk]):
        era = Era.objects.for_system([practice.pk], reason="test").get(pk=era_id)
        claims = {
            c.number: c
            for c in Claim.objects.for_system([practice.pk], reason="test").filter(
                number__in=[p.patient_control_number for p in payments]
            )
        }
    return Scenario(
        practice,
        payer,
        claims[payments[0].patient_control_number],
        claims[payments[1].patient_control_number],
        era,
        text,
    )


def events(action: AuditAction, username: str) -> list[AuditEvent]:
    return list(AuditEvent.objects.filter(action=action, user__username=username).order_by("id"))


def practice_for(username: str, capability: Capability) -> list[Practice]:
    actor = resolve_actor(User.objects.get(username=username))
    assert actor is not None
    return actor.practices(capability)


def foreign_practice(username: str, capability: Capability) -> Practice:
    mine = {p.pk for p in practice_for(username, capability)}
    return next(p for p in b.summit() if p.pk not in mine)


# -- ERA list and detail ---------------------------------------------------------------------
def test_era_list_shows_every_practice_with_a_practice_column_and_audits():
    s = ingest_scenario()
    other = ingest_scenario(b.summit()[1], unmatched=False)
    client = verified_client("olivia.owner")
    body = client.get(reverse("eras:list")).content.decode()
    assert s.era.trace_number in body and other.era.trace_number in body
    assert s.practice.name in body and other.practice.name in body
    assert "Upload and ingest" in body  # owner may post
    listed = events(AuditAction.ERA_LISTED, "olivia.owner")
    assert {e.practice_id for e in listed} >= {s.practice.pk, other.practice.pk}
    assert str(s.era.public_id) in listed[-1].record_ids or any(
        str(s.era.public_id) in e.record_ids for e in listed
    )


def test_era_list_filters_by_practice_payer_and_status():
    s = ingest_scenario()
    other = ingest_scenario(b.summit()[1], unmatched=False)
    client = verified_client("olivia.owner")
    body = client.get(reverse("eras:list"), {"practice": str(other.practice.public_id)}).content
    assert other.era.trace_number.encode() in body and s.era.trace_number.encode() not in body
    body = client.get(reverse("eras:list"), {"status": s.era.status}).content
    assert s.era.trace_number.encode() in body
    body = client.get(reverse("eras:list"), {"payer": "No Such Payer"}).content  # ignored
    assert s.era.trace_number.encode() in body
    htmx = client.get(reverse("eras:list"), {"status": "posted"}, HTTP_HX_REQUEST="true")
    assert b"<html" not in htmx.content and b"era-table" in htmx.content


def test_era_list_query_count_does_not_grow_with_eras():
    ingest_scenario()
    client = verified_client("olivia.owner")
    client.get(reverse("eras:list"))  # warm the session and caches
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("eras:list"))
    for practice in b.summit()[1:3]:
        ingest_scenario(practice, unmatched=False)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("eras:list"))
    # One more audit event per practice shown; nothing per ERA.
    assert len(three) <= len(one) + 2 * 3, [q["sql"] for q in three.captured_queries]


def test_era_detail_shows_claims_lines_carcs_and_exceptions():
    s = ingest_scenario()
    client = verified_client("olivia.owner")
    response = client.get(reverse("eras:detail", kwargs={"public_id": s.era.public_id}))
    body = response.content.decode()
    assert response.status_code == 200
    assert s.paid.number in body and reverse("claims:detail", args=[s.paid.public_id]) in body
    assert "CO-45" in body and "CO-50" in body
    assert "NOTOURS999" in body and "Unmatched claim" in body
    assert events(AuditAction.ERA_VIEWED, "olivia.owner")[-1].record_ids == [str(s.era.public_id)]


def test_era_detail_query_count_is_constant():
    s = ingest_scenario()
    client = verified_client("olivia.owner")
    url = reverse("eras:detail", kwargs={"public_id": s.era.public_id})
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        client.get(url)
    assert len(queries) < 30, len(queries)


def test_foreign_era_is_a_404_and_download_is_audited():
    s = ingest_scenario(foreign_practice("priya.poster", Capability.PAYMENTS_VIEW))
    mine = ingest_scenario(practice_for("priya.poster", Capability.PAYMENTS_VIEW)[0])
    client = verified_client("priya.poster")
    for name in ("eras:detail", "eras:download"):
        assert client.get(reverse(name, kwargs={"public_id": s.era.public_id})).status_code == 404
    response = client.get(reverse("eras:download", kwargs={"public_id": mine.era.public_id}))
    assert response.status_code == 200 and response.content.decode() == mine.text
    assert response["Cache-Control"] == "no-store"
    assert events(AuditAction.ERA_DOWNLOADED, "priya.poster")[-1].record_ids == [
        str(mine.era.public_id)
    ]
    assert s.era.trace_number not in client.get(reverse("eras:list")).content.decode()


def test_pages_are_404_without_payments_view():
    client = verified_client("carla.compliance")  # compliance: no practice data at all
    assert not practice_for("carla.compliance", Capability.PAYMENTS_VIEW)
    for name in ("eras:list", "eras:exceptions"):
        assert client.get(reverse(name)).status_code == 404


def test_a_biller_sees_eras_but_may_not_upload():
    practice = practice_for("bella.biller", Capability.PAYMENTS_VIEW)[0]
    s = ingest_scenario(practice, unmatched=False)
    client = verified_client("bella.biller")
    body = client.get(reverse("eras:list")).content.decode()
    assert s.era.trace_number in body and "Upload and ingest" not in body
    assert client.post(reverse("eras:upload"), {}).status_code == 404


# -- exceptions --------------------------------------------------------------------------------
def exception_of(s: Scenario, reason: str = "unmatched_claim") -> EraException:
    with rls.practice_scope([s.practice.pk]):
        return EraException.objects.for_system([s.practice.pk], reason="test").get(
            era=s.era, reason=reason
        )


def test_exception_queue_lists_open_exceptions_and_resolves_one():
    """A poster works exceptions in the work queue (/eras/exceptions/ sends her there) and
    resolves one on its item's page, which she comes back to."""
    s = ingest_scenario()
    client = verified_client("olivia.owner")
    moved = client.get(reverse("eras:exceptions"), follow=True)
    assert moved.redirect_chain == [(queue_url(Function.ERA_EXCEPTIONS), 302)]
    row = row_naming(moved.content.decode(), "NOTOURS999")
    assert "Unmatched claim" in row
    exc = exception_of(s)
    item = item_of(s.practice, Function.ERA_EXCEPTIONS, era_exception=exc)
    here = item_url(item)
    assert here in row
    page = client.get(here).content.decode()
    assert "NOTOURS999" in page and "Unmatched claim" in page
    url = reverse("eras:exception_resolve", kwargs={"public_id": exc.public_id})
    assert url in page and f'name="next" value="{here}"' in page
    response = client.post(url, {"action": "dismiss", "note": "not our patient", "next": here})
    assert response.status_code == 302 and response["Location"] == here
    with rls.practice_scope([s.practice.pk]):
        exc.refresh_from_db()
    assert exc.status == ExceptionStatus.DISMISSED and exc.resolution_note == "not our patient"
    assert events(AuditAction.ERA_EXCEPTION_RESOLVED, "olivia.owner")
    assert "NOTOURS999" not in client.get(queue_url(Function.ERA_EXCEPTIONS)).content.decode()
    done = client.get(queue_url(Function.ERA_EXCEPTIONS, status="done")).content.decode()
    assert here in row_naming(done, "NOTOURS999")
    page = client.get(here).content.decode()
    assert "Dismissed" in page and "not our patient" in page and url not in page
    # Resolving it again is refused with a message, not an error.
    again = client.post(url, {"action": "post", "note": "x", "next": here}, follow=True)
    assert again.redirect_chain == [(here, 302)] and b"Not resolved" in again.content


def test_exception_resolve_needs_a_note_and_payments_post_on_the_practice():
    s = ingest_scenario(foreign_practice("priya.poster", Capability.PAYMENTS_POST))
    exc = exception_of(s)
    url = reverse("eras:exception_resolve", kwargs={"public_id": exc.public_id})
    assert (
        verified_client("priya.poster").post(url, {"action": "dismiss", "note": "n"}).status_code
        == 404
    )
    item = item_of(s.practice, Function.ERA_EXCEPTIONS, era_exception=exc)
    assert verified_client("priya.poster").get(item_url(item)).status_code == 404
    owner = verified_client("olivia.owner")
    assert owner.get(item_url(item)).status_code == 200
    response = owner.post(
        url, {"action": "dismiss", "note": "", "next": item_url(item)}, follow=True
    )
    assert response.redirect_chain == [(item_url(item), 302)]
    assert b"write a note" in response.content
    with rls.practice_scope([s.practice.pk]):
        exc.refresh_from_db()
    assert exc.status == ExceptionStatus.OPEN
    viewed = events(AuditAction.WORKITEM_VIEWED, "olivia.owner")
    assert [str(item.public_id)] in [e.record_ids for e in viewed]


def test_a_reader_keeps_the_read_only_exception_list():
    """A biller sees payments but does not post them: she keeps the list, audited, without
    the forms that resolve."""
    s = ingest_scenario(foreign_practice("priya.poster", Capability.PAYMENTS_POST))
    assert s.practice in practice_for("bella.biller", Capability.PAYMENTS_VIEW)
    client = verified_client("bella.biller")
    response = client.get(reverse("eras:exceptions"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "NOTOURS999" in body and "Unmatched claim" in body and s.practice.name in body
    assert (
        reverse("eras:exception_resolve", kwargs={"public_id": exception_of(s).public_id})
        not in body
    )
    assert events(AuditAction.ERA_EXCEPTION_LISTED, "bella.biller")


# -- the claim page ----------------------------------------------------------------------------
def test_claim_page_shows_remittances_ledger_and_line_balances():
    s = ingest_scenario()
    client = verified_client("olivia.owner")
    body = client.get(reverse("claims:detail", kwargs={"public_id": s.paid.public_id})).content
    text = body.decode()
    assert "claim-ledger" in text and "claim-remittances" in text
    assert s.era.trace_number in text
    assert "Charge" in text and "Payment" in text and "CO-45" in text
    assert 'id="insurance-balance">0.00<' in text  # paid, adjusted and transferred to patient
    assert events(AuditAction.LEDGER_VIEWED, "olivia.owner")[-1].record_ids == [
        str(s.paid.public_id)
    ]


def test_denials_are_made_for_the_denied_claim():
    s = ingest_scenario(unmatched=False)
    with rls.practice_scope([s.practice.pk]):
        assert (
            Denial.objects.for_system([s.practice.pk], reason="test")
            .filter(claim=s.denied)
            .exists()
        )


def test_exception_queue_query_count_does_not_grow_with_exceptions():
    ingest_scenario()
    client = verified_client("bella.biller")  # a reader: a poster is sent to the work queue
    assert client.get(reverse("eras:exceptions")).status_code == 200
    with CaptureQueriesContext(connection) as one:
        client.get(reverse("eras:exceptions"))
    for practice in b.summit()[1:3]:
        ingest_scenario(practice)
    with CaptureQueriesContext(connection) as three:
        client.get(reverse("eras:exceptions"))
    assert len(three) <= len(one) + 2 * 3, [q["sql"] for q in three.captured_queries]


def test_exception_age_counts_from_the_payers_payment_date():
    s = ingest_scenario()
    paid_on = timezone.localdate() - timedelta(days=20)
    with rls.practice_scope([s.practice.pk]):
        Era.objects.for_system([s.practice.pk], reason="test").filter(pk=s.era.pk).update(
            payment_date=paid_on
        )
    actor = resolve_actor(User.objects.get(username="olivia.owner"))
    rows = exception_list(actor=actor).rows
    assert rows and {r.age_days for r in rows if r.era_public_id == str(s.era.public_id)} == {20}
    # The poster's item page and the reader's list both say it.
    item = item_of(s.practice, Function.ERA_EXCEPTIONS, era_exception=exception_of(s))
    page = verified_client("olivia.owner").get(item_url(item)).content.decode()
    exceptions = page[page.index('id="item-exceptions"') :]
    assert "20 d</td>" in exceptions[: exceptions.index("</table>")]
    body = verified_client("bella.biller").get(reverse("eras:exceptions")).content.decode()
    assert "20 d</td>" in body


def test_policy_holds_have_their_own_tab_and_home_figure():
    """An ERA held by the practice's review-before-posting policy is not an exception to fix:
    it is counted and listed apart from them (posting review in the work queue, its own tab
    on the read-only list)."""
    from bureau.web.selectors import practice_summaries

    s = ingest_scenario()
    with rls.practice_scope([s.practice.pk]):
        EraException.objects.for_system([s.practice.pk], reason="test").filter(
            era=s.era, reason="unmatched_claim"
        ).update(reason="policy_hold")
    refresh(workspace=s.practice.workspace)  # the items follow the records
    client = verified_client("olivia.owner")
    practice = str(s.practice.public_id)
    queue = client.get(reverse("eras:exceptions"), {"practice": practice}, follow=True)
    assert queue.redirect_chain == [(queue_url(Function.ERA_EXCEPTIONS, practice=practice), 302)]
    assert queue_rows(queue.content.decode()) == []
    holds = client.get(
        reverse("eras:exceptions"), {"tab": "holds", "practice": practice}, follow=True
    )
    assert holds.redirect_chain == [(queue_url(Function.POSTING_REVIEW, practice=practice), 302)]
    [row] = queue_rows(holds.content.decode())
    item = item_of(s.practice, Function.POSTING_REVIEW, era=s.era)
    assert item_url(item) in row and "Posting review" in row and s.era.trace_number in row
    page = client.get(item_url(item)).content.decode()
    held = page[page.index('id="item-exceptions"') :]
    assert "NOTOURS999" in held and "Policy hold" in held
    # A reader keeps the tabs: the reason filter of a tab offers only that tab's reasons.
    reader = verified_client("bella.biller")
    listed = reader.get(reverse("eras:exceptions")).content.decode()
    assert "NOTOURS999" not in listed
    assert 'Policy holds <span class="count">1</span>' in listed
    tab = reader.get(reverse("eras:exceptions"), {"tab": "holds"}).content.decode()
    assert "NOTOURS999" in tab and "Policy hold" in tab
    assert 'value="unmatched_claim"' not in tab and 'value="unmatched_claim"' in listed
    owner = resolve_actor(User.objects.get(username="olivia.owner"))
    [row] = [r for r in practice_summaries(actor=owner) if r.practice.pk == s.practice.pk]
    assert (row.open_exceptions, row.policy_holds) == (0, 1)
    home = client.get("/").content.decode()
    link = f"{reverse('eras:exceptions')}?tab=holds&amp;practice={s.practice.public_id}"
    assert link in home
    followed = client.get(link.replace("&amp;", "&"), follow=True)
    assert item_url(item) in followed.content.decode()
