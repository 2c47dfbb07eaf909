"""Corrected and void claims (issue 13): the copy, the refusals, the edits, the 837P (pyx12,
CLM05-3 and REF*F8), the ledger when they are submitted and when the payer answers, and the
pages (scope: a claim the actor may not edit is a 404, and nothing is created)."""

from __future__ import annotations

import uuid
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from django.db import IntegrityError, transaction
from django.urls import reverse

from bureau.accounts.models import User
from bureau.audit.models import AuditAction, AuditEvent
from bureau.claims.batches import batch_build
from bureau.claims.corrections import (
    CorrectedLine,
    CorrectionError,
    correction_create,
    replacement_update,
)
from bureau.claims.models import Claim, ClaimFrequency, ClaimLine, ClaimState
from bureau.claims.services import LineData
from bureau.claims.tests import factories
from bureau.claims.tests.test_x12_mapping import _text
from bureau.conftest import verified_client
from bureau.ledger.check import ledger_check
from bureau.ledger.models import EntryKind, LedgerEntry
from bureau.remittance.models import EraException
from bureau.remittance.services import ingest_era_text
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import Scenario, era_text, ingest_scenario
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Workspace
from bureau.tenancy.roles import Capability
from bureau.x12.tests.oracle import pyx12_errors

pytestmark = pytest.mark.django_db
R, V = ClaimFrequency.REPLACEMENT, ClaimFrequency.VOID


def actor_of(username: str) -> Actor:
    actor = resolve_actor(User.objects.get(username=username))
    assert actor is not None
    return actor


@pytest.fixture
def owner() -> Actor:
    return actor_of("olivia.owner")


@pytest.fixture
def scenario(settings: Any, tmp_path: Path) -> Scenario:
    """A posted ERA: one claim paid (payer number PCN1), one denied on both lines (PCN2)."""
    settings.VAR_DIR = tmp_path
    settings.BUREAU_OUTBOX_DIR = str(tmp_path / "outbox")
    return ingest_scenario(unmatched=False)


def audited(action: AuditAction, claim: Claim) -> bool:
    return any(
        str(claim.public_id) in (e.record_ids or [])
        for e in AuditEvent.objects.filter(action=action).order_by("-id")[:20]
    )


def fresh(claim: Claim) -> Claim:
    return Claim.objects.for_system([claim.practice_id], reason="test").get(pk=claim.pk)


def lines(claim: Claim) -> list[ClaimLine]:
    return list(
        ClaimLine.objects.for_system([claim.practice_id], reason="test")
        .filter(claim=claim)
        .order_by("line_number")
    )


def balance(claim: Claim) -> Decimal:
    return sum(
        (
            e.amount
            for e in LedgerEntry.objects.for_system([claim.practice_id], reason="test").filter(
                claim=claim
            )
        ),
        Decimal("0.00"),
    )


def create(actor: Actor, claim: Claim, frequency: ClaimFrequency) -> Claim:
    with rls.practice_scope(actor.practice_ids()):
        return correction_create(actor=actor, claim=claim, frequency=frequency)


def submit(claim: Claim, day: date = date(2026, 3, 10)) -> None:
    """Out with the next batch, whatever the scrub said (the scrubber has its own tests)."""
    Claim.objects.for_system([claim.practice_id], reason="test").filter(pk=claim.pk).update(
        state=ClaimState.READY
    )
    with rls.practice_scope([claim.practice_id]):
        factories.office(claim.practice)
    batch_build(actor=None, practice_ids=[claim.practice_id], as_of=None)


def no_ledger_problems(claim: Claim) -> None:
    workspace = Workspace.objects.get(pk=claim.workspace_id)
    assert [str(p) for p in ledger_check(workspace=workspace)] == []


# -- the copy and the refusals -------------------------------------------------------------


def test_a_replacement_starts_as_a_faithful_copy(scenario: Scenario, owner: Actor) -> None:
    original = fresh(scenario.denied)
    made = create(owner, original, R)
    assert (made.frequency, made.replaces_id, made.state) == ("7", original.pk, "draft")
    assert made.number == f"{original.number}R1"
    assert (made.encounter_id, made.coverage_id, made.payer_id, made.total_charge) == (
        original.encounter_id,
        original.coverage_id,
        original.payer_id,
        original.total_charge,
    )
    assert made.diagnosis_codes == original.billed_diagnoses
    fields = ("line_number", "procedure_code", "modifiers", "diagnosis_pointers", "units")
    copied = [
        (*(getattr(ln, f) for f in fields), ln.charge, ln.charge_line_id) for ln in lines(made)
    ]
    before = [
        (*(getattr(ln, f) for f in fields), ln.charge, ln.charge_line_id) for ln in lines(original)
    ]
    assert copied == before and copied
    assert audited(AuditAction.CLAIM_CREATED, made)


def test_refused_without_the_payers_claim_number(scenario: Scenario, owner: Actor) -> None:
    Claim.objects.for_system([scenario.practice.pk], reason="test").filter(
        pk=scenario.denied.pk
    ).update(payer_claim_number="")
    for frequency in (R, V):
        with pytest.raises(CorrectionError, match="REF\\*F8"):
            create(owner, fresh(scenario.denied), frequency)
    assert not Claim.objects.for_system([scenario.practice.pk], reason="test").filter(
        replaces=scenario.denied
    )


def test_refused_before_the_payer_holds_the_claim_and_for_a_void(
    scenario: Scenario, owner: Actor
) -> None:
    with rls.practice_scope([scenario.practice.pk]):
        draft = factories.claim(
            scenario.practice,
            factories.coverage(factories.patient(scenario.practice, 5), scenario.payer),
        )
    Claim.objects.for_system([scenario.practice.pk], reason="test").filter(pk=draft.pk).update(
        payer_claim_number="X1"
    )
    with pytest.raises(CorrectionError, match="has adjudicated"):
        create(owner, fresh(draft), R)
    void = create(owner, fresh(scenario.denied), V)
    with pytest.raises(CorrectionError, match="void cannot be corrected"):
        create(owner, fresh(void), R)


def test_one_open_correction_per_claim(scenario: Scenario, owner: Actor) -> None:
    first = create(owner, fresh(scenario.denied), R)
    with pytest.raises(CorrectionError, match=f"open correction \\({first.number}\\)"):
        create(owner, fresh(scenario.denied), V)
    # The database holds the rule too (two requests racing past the check).
    with pytest.raises(IntegrityError), transaction.atomic():
        copy = fresh(first)
        copy.pk, copy.public_id, copy.number = None, uuid.uuid4(), first.number + "X"
        copy.save(force_insert=True)


# -- editing -----------------------------------------------------------------------------


def _line(code: str, mods: list[str], pointers: list[int], charge: str, source: int | None):
    return CorrectedLine(LineData(code, mods, pointers, Decimal(1), Decimal(charge)), source)


def test_edits_replace_lines_and_diagnoses_and_keep_charge_lines(
    scenario: Scenario, owner: Actor
) -> None:
    made = create(owner, fresh(scenario.denied), R)
    first = lines(made)[0]
    with rls.practice_scope(owner.practice_ids()):
        replacement_update(
            actor=owner,
            claim=made,
            diagnoses=["E11.9", "I10", "J06.9"],
            lines=[
                _line("99214", ["25"], [1, 3], "150.00", 1),
                _line("36415", [], [2], "12.00", None),
            ],
        )
    made = fresh(made)
    got = lines(made)
    assert [(ln.procedure_code, ln.modifiers, ln.diagnosis_pointers) for ln in got] == [
        ("99214", ["25"], [1, 3]),
        ("36415", [], [2]),
    ]
    assert got[0].charge_line_id == first.charge_line_id and got[1].charge_line_id is None
    assert made.diagnosis_codes == ["E119", "I10", "J069"]
    assert made.total_charge == Decimal("162.00")
    assert made.state != ClaimState.DRAFT  # scrubbed
    assert audited(AuditAction.CLAIM_UPDATED, made)


@pytest.mark.parametrize(
    ("diagnoses", "edit", "message"),
    [
        (["E11.9"], _line("99213", [], [2], "10.00", 1), "beyond the 1 diagnosis"),
        (["NOTACODE"], _line("99213", [], [1], "10.00", 1), "not a valid ICD-10-CM"),
        (["E11.9"], _line("ABCDE", [], [1], "10.00", 1), "not a CPT/HCPCS code"),
        (["E11.9"], _line("99213", ["25", "5!"], [1], "10.00", 1), "modifier 5!"),
        (["E11.9"], _line("99213", [], [], "10.00", 1), "one to 4 diagnosis pointers"),
        (["E11.9"], _line("99213", [], [1], "-1.00", 1), "must not be negative"),
        ([], _line("99213", [], [1], "10.00", 1), "At least one diagnosis"),
    ],
)
def test_invalid_edits_are_refused_and_nothing_is_written(
    scenario: Scenario, owner: Actor, diagnoses: list[str], edit: CorrectedLine, message: str
) -> None:
    made = create(owner, fresh(scenario.denied), R)
    before = [(ln.pk, ln.procedure_code, ln.charge) for ln in lines(made)]
    with pytest.raises(CorrectionError, match=message), rls.practice_scope(owner.practice_ids()):
        replacement_update(actor=owner, claim=made, diagnoses=diagnoses, lines=[edit])
    assert [(ln.pk, ln.procedure_code, ln.charge) for ln in lines(made)] == before
    assert fresh(made).total_charge == scenario.denied.total_charge


def test_a_void_and_a_sent_replacement_are_not_edited(scenario: Scenario, owner: Actor) -> None:
    void = create(owner, fresh(scenario.denied), V)
    with pytest.raises(CorrectionError, match="a void is a copy"):
        replacement_update(actor=owner, claim=void, diagnoses=["E11.9"], lines=[])
    made = create(owner, fresh(scenario.paid), R)
    submit(made)
    with pytest.raises(CorrectionError, match="can no longer be edited"):
        replacement_update(actor=owner, claim=fresh(made), diagnoses=["E11.9"], lines=[])


# -- the 837P --------------------------------------------------------------------------------


def test_replacement_and_void_pass_pyx12_with_frequency_and_ref_f8(
    scenario: Scenario, owner: Actor
) -> None:
    replacement = create(owner, fresh(scenario.denied), R)
    void = create(owner, fresh(scenario.paid), V)
    with rls.practice_scope([scenario.practice.pk]):
        factories.office(scenario.practice)
        text = _text(scenario.practice, [fresh(replacement), fresh(void)])
    assert pyx12_errors(text) == []
    segments = text.replace("\n", "").split("~")
    for claim, frequency, number in ((replacement, "7", "PCN2"), (void, "8", "PCN1")):
        at = next(i for i, s in enumerate(segments) if s.startswith(f"CLM*{claim.number}*"))
        assert segments[at].split("*")[5] == f"11:B:{frequency}"
        following = segments[at + 1 : at + 4]
        assert f"REF*F8*{number}" in following


# -- the ledger ------------------------------------------------------------------------------


def test_replacement_moves_the_balance_and_the_payer_reversal_closes_the_cash(
    scenario: Scenario, owner: Actor
) -> None:
    """A paid original replaced: at submission its charge and adjustments are reversed (the
    payment stays, a credit), the replacement is charged; the payer's 835 reverses the payment
    and pays the replacement; every step passes `ledger check`."""
    original = fresh(scenario.paid)
    paid = -sum(
        (
            e.amount
            for e in LedgerEntry.objects.for_system([original.practice_id], reason="t").filter(
                claim=original, kind=EntryKind.PAYMENT
            )
        ),
        Decimal(0),
    )
    assert paid == Decimal("82.00")
    made = create(owner, original, R)
    submit(made)
    made, original = fresh(made), fresh(original)
    assert (original.state, made.state) == (ClaimState.CLOSED, ClaimState.SUBMITTED)
    assert balance(original) == -paid
    assert balance(made) == made.total_charge
    no_ledger_problems(original)
    one, two = b.lines_of(made)
    o1, o2 = b.lines_of(original)
    payments = [
        b.reversal_of(
            b.paid_claim(
                original,
                [
                    b.svc(
                        b.lines_of(original)[0],
                        "70.00",
                        ("CO", "45", "20.00"),
                        ("PR", "2", "20.00"),
                    ),
                    b.svc(o2, "12.00"),
                ],
            )
        ),
        b.paid_claim(
            made,
            [b.svc(one, "90.00", ("CO", "45", "20.00")), b.svc(two, "12.00")],
            payer_claim_number="PCN9",
        ),
    ]
    ingest_era_text(
        actor=None,
        workspace=Workspace.objects.get(pk=original.workspace_id),
        text=era_text(scenario.practice, scenario.payer, payments),
        file_name="correction.835",
    )
    assert not EraException.objects.for_system([original.practice_id], reason="t").filter(
        claim__in=[original, made]
    )
    made, original = fresh(made), fresh(original)
    assert (original.state, made.state) == (ClaimState.CLOSED, ClaimState.PAID)
    assert balance(original) == 0 and balance(made) == 0
    no_ledger_problems(original)


def test_void_of_a_denied_claim_closes_it_and_the_zero_reversal_answers_it(
    scenario: Scenario, owner: Actor
) -> None:
    original = fresh(scenario.denied)
    assert balance(original) == 0  # charge and its CO-50 denial adjustments
    void = create(owner, original, V)
    submit(void)
    void, original = fresh(void), fresh(original)
    assert original.state == ClaimState.CLOSED and void.state == ClaimState.SUBMITTED
    assert balance(original) == 0 and balance(void) == 0
    assert not LedgerEntry.objects.for_system([void.practice_id], reason="t").filter(claim=void)
    kinds = list(
        LedgerEntry.objects.for_system([void.practice_id], reason="t")
        .filter(claim=original, reverses__isnull=False)
        .values_list("kind", flat=True)
    )
    assert sorted(kinds) == ["adjustment", "adjustment", "charge", "charge"]
    no_ledger_problems(original)
    d1, d2 = b.lines_of(original)
    denial = b.paid_claim(
        original,
        [b.svc(d1, "0.00", ("CO", "50", "110.00")), b.svc(d2, "0.00", ("CO", "50", "12.00"))],
        status="4",
        payer_claim_number="PCN2",
    )
    ingest_era_text(
        actor=None,
        workspace=Workspace.objects.get(pk=original.workspace_id),
        text=era_text(scenario.practice, scenario.payer, [b.reversal_of(denial)]),
        file_name="void-answer.835",
    )
    assert not EraException.objects.for_system([original.practice_id], reason="t").filter(
        claim=original
    )
    assert fresh(void).state == ClaimState.CLOSED
    assert balance(original) == 0
    no_ledger_problems(original)


# -- the pages -------------------------------------------------------------------------------


def test_pages_create_and_edit_a_replacement(scenario: Scenario) -> None:
    client = verified_client("bella.biller")
    denied = fresh(scenario.denied)
    page = client.get(reverse("claims:detail", args=[denied.public_id]))
    assert b"Corrected claim" in page.content and b"Void claim" in page.content
    response = client.post(reverse("claims:replace", args=[denied.public_id]))
    made = Claim.objects.for_system([denied.practice_id], reason="t").get(replaces=denied)
    assert response.status_code == 302
    assert response["Location"] == reverse("claims:replacement", args=[made.public_id])
    form = client.get(response["Location"])
    assert form.status_code == 200 and b"line-1-code" in form.content
    hostile = {
        "rows": "99999999999999999999",
        "diagnoses": "E11.9 \x00 I10",
        "line-1-code": "99213",
        "line-1-units": "1e999999",
        "line-1-pointers": "1 x",
        "line-1-charge": "NaN",
        "line-2-code": "<script>",
        "line-2-source": "-1",
    }
    answer = client.post(response["Location"], hostile)
    assert answer.status_code == 200 and b"replacement-error" in answer.content
    assert b"<script>" not in answer.content
    good = {
        "rows": "2",
        "diagnoses": "E11.9 I10",
        "line-1-code": "99213",
        "line-1-modifiers": "25",
        "line-1-pointers": "1 2",
        "line-1-units": "1",
        "line-1-charge": "110.00",
        "line-1-source": "1",
        "line-2-code": "36415",
        "line-2-pointers": "1",
        "line-2-units": "1",
        "line-2-charge": "12.00",
        "line-2-source": "2",
    }
    saved = client.post(response["Location"], good)
    assert saved.status_code == 302
    assert [ln.modifiers for ln in lines(made)] == [["25"], []]
    detail = client.get(reverse("claims:detail", args=[denied.public_id]))
    assert made.number.encode() in detail.content


def test_a_claim_the_actor_may_not_edit_is_a_404_and_nothing_is_created(
    scenario: Scenario,
) -> None:
    denied = fresh(scenario.denied)
    for username in ("hank.harbor", "dan.denials", "cliff.client"):
        client = verified_client(username)
        for name in ("claims:replace", "claims:void", "claims:replacement"):
            response = client.post(reverse(name, args=[denied.public_id]))
            assert response.status_code in (403, 404), (username, name, response.status_code)
    # A biller limited to other providers of the practice: the same 404 as a foreign claim.
    lina = actor_of("lina.limited")
    if lina.can(Capability.CLAIMS_EDIT, denied.practice_id):
        allowed = lina.provider_ids(denied.practice, Capability.CLAIMS_EDIT) or set()
        if denied.encounter.rendering_provider_id not in allowed:
            response = verified_client("lina.limited").post(
                reverse("claims:replace", args=[denied.public_id])
            )
            assert response.status_code == 404
    assert not Claim.objects.for_system([denied.practice_id], reason="t").filter(replaces=denied)


def test_the_denial_page_offers_a_corrected_claim(scenario: Scenario) -> None:
    from bureau.denials.models import Denial

    denial = (
        Denial.objects.for_system([scenario.practice.pk], reason="t")
        .filter(claim=scenario.denied)
        .order_by("id")
        .first()
    )
    assert denial is not None
    owner = verified_client("olivia.owner")
    page = owner.get(reverse("denials:detail", args=[denial.public_id])).content.decode()
    action = reverse("claims:replace", args=[scenario.denied.public_id])
    assert f'action="{action}"' in page and "Corrected claim" in page
    # The denial specialist works denials but does not edit claims: nothing offered.
    page = verified_client("dan.denials").get(reverse("denials:detail", args=[denial.public_id]))
    assert page.status_code == 200 and action not in page.content.decode()
    # Once a replacement is open, the page names it instead of offering another.
    owner.post(action)
    page = owner.get(reverse("denials:detail", args=[denial.public_id])).content.decode()
    made = Claim.objects.for_system([scenario.practice.pk], reason="t").get(replaces=denial.claim)
    assert made.number in page and f'action="{action}"' not in page
