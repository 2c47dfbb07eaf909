"""Write-offs (issue 13): the layered auto-approve limit, segregation of duties, refusal with a
note, amounts capped by what is open on the ledger, the denial closed, the ledger check holding,
and every step audited in its own transaction."""

from __future__ import annotations

from decimal import Decimal as D

import pytest
from django.http import Http404

from bureau.audit.models import AuditAction, AuditEvent
from bureau.billing.models import WriteOffStatus
from bureau.billing.services import (
    WriteOffError,
    writeoff_approve,
    writeoff_refuse,
    writeoff_request,
)
from bureau.billing.tests.helpers import (
    actor,
    balance,
    denials_of_claim,
    denied_claim,
    lines_of,
    reload,
    set_limit,
    write_offs,
)
from bureau.configuration.services import setting_set
from bureau.denials.models import DenialEvent, DenialStatus, RootCause
from bureau.ledger.check import ledger_check
from bureau.tenancy import rls
from bureau.tenancy.roles import Capability
from bureau.workqueues.functions import Function
from bureau.workqueues.models import LIVE_STATUSES, WorkItem

pytestmark = pytest.mark.django_db


def ask(claim, amounts, who="bella.biller", reason="timely_filing", **kw):
    lines = lines_of(claim)
    return writeoff_request(
        actor=actor(who),
        claim=claim,
        amounts={str(lines[i].public_id): v for i, v in amounts.items()},
        reason=reason,
        note=kw.pop("note", "Past the filing limit; no proof of timely filing."),
        root_cause=kw.pop("root_cause", RootCause.CHARGE_ENTRY),
        **kw,
    )


def approval_items(request):
    with rls.practice_scope([request.practice_id]):
        return list(
            WorkItem.objects.for_system([request.practice_id], reason="test").filter(
                function=Function.WRITEOFF_APPROVAL,
                subject_key=f"writeoff:{request.pk}",
                status__in=LIVE_STATUSES,
            )
        )


# -- thresholds --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "expected"),
    [
        ("24.99", WriteOffStatus.AUTO_APPROVED),
        ("25.00", WriteOffStatus.AUTO_APPROVED),
        ("25.01", WriteOffStatus.PENDING),
    ],
)
def test_workspace_default_limit_at_below_and_above(amount, expected):
    """The registry's default limit (25.00): at or below it the request is approved and
    posted at once; a cent above, it waits with an approval item."""
    s = denied_claim()
    request = ask(s.denied, {0: amount})
    assert request.status == expected
    if expected == WriteOffStatus.AUTO_APPROVED:
        assert write_offs(s.denied) == [-D(amount)]
        assert request.decided_by_id is None and "auto-approve limit" in request.decision_note
        assert not approval_items(request)
    else:
        assert write_offs(s.denied) == []
        assert len(approval_items(request)) == 1


def test_practice_limit_overrides_the_workspace_limit():
    s = denied_claim()
    set_limit(None, "5.00")  # workspace: 5.00
    assert ask(s.denied, {1: "6.00"}).status == WriteOffStatus.PENDING
    set_limit(s.practice, "100.00")  # this practice: 100.00
    assert ask(s.denied, {0: "100.00"}).status == WriteOffStatus.AUTO_APPROVED


def test_the_limit_applies_to_the_request_total_over_its_lines():
    """Two lines of 20.00 and 12.00: each under the limit, together (32.00) above it."""
    s = denied_claim()
    request = ask(s.denied, {0: "20.00", 1: "12.00"})
    assert request.amount == D("32.00") and request.status == WriteOffStatus.PENDING


# -- segregation of duties -----------------------------------------------------------------------


def test_requester_never_approves_their_own_even_as_supervisor():
    s = denied_claim()
    request = ask(s.denied, {0: "110.00"}, who="sam.supervisor")
    with pytest.raises(WriteOffError, match="someone else"):
        writeoff_approve(actor=actor("sam.supervisor"), request=request)
    with pytest.raises(WriteOffError, match="someone else"):
        writeoff_refuse(actor=actor("sam.supervisor"), request=request, note="no")
    assert reload(request).status == WriteOffStatus.PENDING
    assert write_offs(s.denied) == []
    writeoff_approve(actor=actor("olivia.owner"), request=request, note="ok")
    assert reload(request).status == WriteOffStatus.APPROVED


def test_a_biller_cannot_approve():
    s = denied_claim()
    request = ask(s.denied, {0: "110.00"}, who="sam.supervisor")
    from bureau.tenancy.actor import CapabilityDenied

    with pytest.raises(CapabilityDenied):
        writeoff_approve(actor=actor("bella.biller"), request=request)
    assert reload(request).status == WriteOffStatus.PENDING


def test_only_the_configured_approver_role_decides():
    """`writeoffs.approver_role` = owner: the supervisor (who holds writeoffs.approve) may no
    longer decide; the owner may."""
    s = denied_claim()
    setting_set(
        actor=actor("olivia.owner"),
        practice=s.practice,
        key="writeoffs.approver_role",
        value="owner",
        reason="test",
    )
    request = ask(s.denied, {0: "110.00"})
    with pytest.raises(WriteOffError, match="decided by its owners"):
        writeoff_approve(actor=actor("sam.supervisor"), request=request)
    writeoff_approve(actor=actor("olivia.owner"), request=request)


@pytest.mark.parametrize("role", ["client_viewer", "biller", "account_manager", "read_only"])
def test_the_approver_role_must_be_one_that_may_approve(role):
    """A role without writeoffs.approve would leave every request above the limit waiting
    for nobody: the setting refuses it, naming the value, and keeps the one in force."""
    s = denied_claim()
    with pytest.raises(ValueError, match=role):
        setting_set(
            actor=actor("olivia.owner"),
            practice=s.practice,
            key="writeoffs.approver_role",
            value=role,
            reason="test",
        )
    request = ask(s.denied, {0: "110.00"})
    writeoff_approve(actor=actor("sam.supervisor"), request=request)  # still the supervisor
    assert reload(request).status == WriteOffStatus.APPROVED


# -- approval, refusal, amounts --------------------------------------------------------------


def test_approval_posts_one_write_off_per_line_closes_the_denial_and_the_item():
    s = denied_claim()
    request = ask(s.denied, {0: "110.00", 1: "12.00"})
    assert len(approval_items(request)) == 1
    assert request.status == WriteOffStatus.PENDING
    writeoff_approve(actor=actor("sam.supervisor"), request=request, note="Agreed.")
    decided = reload(request)
    assert decided.status == WriteOffStatus.APPROVED and decided.decided_by.username == (
        "sam.supervisor"
    )
    assert sorted(write_offs(s.denied)) == [D("-110.00"), D("-12.00")]
    assert balance(s.denied) == D("0.00")  # the denial's adjustments taken back, written off
    denials = denials_of_claim(s.denied)
    assert {d.status for d in denials} == {DenialStatus.WRITTEN_OFF}
    assert {d.root_cause for d in denials} == {RootCause.CHARGE_ENTRY}
    with rls.practice_scope([s.practice.pk]):
        assert DenialEvent.objects.for_system([s.practice.pk], reason="t").filter(
            denial__claim_id=s.denied.pk, note__startswith="Written off"
        )
    assert not approval_items(request)
    assert ledger_check() == []


def test_a_partial_write_off_leaves_the_rest_open_on_the_ledger():
    s = denied_claim()
    request = ask(s.denied, {0: "60.00"})
    writeoff_approve(actor=actor("sam.supervisor"), request=request)
    assert write_offs(s.denied) == [D("-60.00")]
    assert balance(s.denied) == D("50.00")
    assert ledger_check() == []


def test_refusal_returns_it_with_the_note_and_posts_nothing():
    s = denied_claim()
    request = ask(s.denied, {0: "110.00"})
    with pytest.raises(WriteOffError, match="why"):
        writeoff_refuse(actor=actor("sam.supervisor"), request=request, note="  ")
    writeoff_refuse(
        actor=actor("sam.supervisor"), request=request, note="Appeal first: we have proof."
    )
    refused = reload(request)
    assert refused.status == WriteOffStatus.REFUSED
    assert refused.decision_note == "Appeal first: we have proof."
    assert write_offs(s.denied) == []
    assert {d.status for d in denials_of_claim(s.denied)} == {DenialStatus.OPEN}
    assert not approval_items(request)
    with pytest.raises(WriteOffError, match="already decided"):
        writeoff_approve(actor=actor("olivia.owner"), request=request)


@pytest.mark.parametrize("amount", ["110.01", "999"])
def test_more_than_is_open_is_refused_with_a_clear_message(amount):
    s = denied_claim()
    with pytest.raises(WriteOffError, match=r"Line 1 \(\w+\): .* more than the 110.00 open"):
        ask(s.denied, {0: amount})


def test_pending_requests_count_against_what_is_open():
    s = denied_claim()
    ask(s.denied, {0: "100.00"})
    with pytest.raises(WriteOffError, match="more than the 10.00 open"):
        ask(s.denied, {0: "10.01"})


def test_a_paid_line_has_nothing_open():
    s = denied_claim()
    with pytest.raises(WriteOffError, match="more than the 0.00 open"):
        ask(s.paid, {1: "1.00"}, root_cause="")


@pytest.mark.parametrize(
    ("amounts", "reason", "note", "message"),
    [
        ({0: "abc"}, "timely_filing", "n", "not an amount"),
        ({0: "-5"}, "timely_filing", "n", "negative"),
        ({0: "1.001"}, "timely_filing", "n", "dollars and cents"),
        ({0: "NaN"}, "timely_filing", "n", "not an amount"),
        ({0: "1e30"}, "timely_filing", "n", "too large"),
        ({0: ""}, "timely_filing", "n", "at least one line"),
        ({0: "5"}, "because", "n", "Reason"),
        ({0: "5"}, "timely_filing", "  ", "Note"),
    ],
)
def test_bad_input_is_a_message_not_a_crash(amounts, reason, note, message):
    s = denied_claim()
    with pytest.raises(WriteOffError, match=message):
        ask(s.denied, amounts, reason=reason, note=note)


def test_closing_an_open_denial_needs_a_root_cause():
    s = denied_claim()
    with pytest.raises(WriteOffError, match="Root cause"):
        ask(s.denied, {0: "5.00"}, root_cause="")


# -- provider scope and audit -------------------------------------------------------------------


def test_a_claim_outside_the_actors_providers_is_missing():
    """lina.limited bills two providers of the first practice: a claim of another provider is
    a 404 (requested, or decided), never a message that it exists."""
    from bureau.claims.models import Encounter
    from bureau.demo import LIMITED_USER
    from bureau.directory.models import Provider

    s = denied_claim()
    lina = actor(LIMITED_USER)
    limited = lina.access[s.practice.pk].provider_ids
    assert limited is not None
    other = Provider.objects.filter(practice=s.practice).exclude(pk__in=limited).first()
    assert other is not None
    with rls.practice_scope([s.practice.pk]):
        Encounter.objects.for_system([s.practice.pk], reason="test").filter(
            pk=s.denied.encounter_id
        ).update(rendering_provider=other, billing_provider=other)
    with pytest.raises(Http404):
        ask(s.denied, {0: "5.00"}, who=LIMITED_USER)
    mine = ask(s.denied, {0: "110.00"})
    assert mine.status == WriteOffStatus.PENDING
    assert lina.can(Capability.WRITEOFFS_REQUEST, s.practice.pk)


def test_every_step_is_audited():
    s = denied_claim()
    auto = ask(s.denied, {1: "12.00"})
    pending = ask(s.denied, {0: "110.00"})
    writeoff_approve(actor=actor("sam.supervisor"), request=pending)

    def actions(request):
        return [
            (e.action, e.user.username)
            for e in AuditEvent.objects.filter(action__startswith="writeoff.")
            .select_related("user")
            .order_by("id")
            if str(request.public_id) in e.record_ids
        ]

    assert actions(auto) == [
        (AuditAction.WRITEOFF_REQUESTED.value, "bella.biller"),
        (AuditAction.WRITEOFF_APPROVED.value, "bella.biller"),
    ]
    assert actions(pending) == [
        (AuditAction.WRITEOFF_REQUESTED.value, "bella.biller"),
        (AuditAction.WRITEOFF_APPROVED.value, "sam.supervisor"),
    ]
    other = ask(denied_claim(s.practice).denied, {0: "110.00"})
    writeoff_refuse(actor=actor("sam.supervisor"), request=other, note="No.")
    assert actions(other)[-1] == (AuditAction.WRITEOFF_REFUSED.value, "sam.supervisor")


def test_demo_makes_write_offs_of_every_kind():
    """The demo's write-offs (run after the simulator in `seed_demo`): over denied claims of
    the first practices, one approved, one refused, two waiting, small balances auto-approved,
    and the ledger still adds up."""
    from bureau.demo import WORKSPACE_SLUG
    from bureau.demo_writeoffs import demo_writeoffs
    from bureau.remittance.tests import builders as b

    for practice in b.summit()[:3]:
        denied_claim(practice)
        denied_claim(practice)
    made = demo_writeoffs(WORKSPACE_SLUG)
    assert (made.approved, made.refused, made.waiting) == (1, 1, 2)
    assert made.auto_approved == 2
    assert ledger_check() == []
