"""A practice seen by a grant limited to some of its providers: the demo's `lina.limited`.

`build()` adds, in her practice, claims of an allowed provider and of another provider, one ERA
paying both (with a PLB, a denial and a policy hold of each, and a claim loop that is none of
ours) and one ERA paying the other provider's claim only. `truth()` then says, for every row of
every PHI model of the practice, whether she may see it: written here from the rule (DESIGN §4:
rendering or billing provider), independently of the models' `provider_scope` declarations, so
the two must agree.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.apps import apps

from bureau.accounts.models import User
from bureau.billing.models import WriteOffLine, WriteOffRequest
from bureau.claims.models import Claim, ClaimLine, ClaimState, Encounter
from bureau.claims.tests import factories
from bureau.denials.models import Denial
from bureau.directory.models import ContractRate, Payer, Provider
from bureau.ledger.services import post_charges
from bureau.patients.models import Patient
from bureau.remittance.models import Era, EraClaim, EraException, ExceptionReason
from bureau.remittance.services import ingest_remittances
from bureau.remittance.tests import builders as b
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.scoping import PracticeScoped
from bureau.workqueues.models import WorkItem
from bureau.x12.remit835 import ClaimPayment

LIMITED_USER = "lina.limited"
REASON = "test: provider scope"


def system(model: Any, practice: Practice) -> Any:
    return model.objects.for_system([practice.pk], reason=REASON).filter(practice=practice)


def phi_models() -> list[type[PracticeScoped]]:
    return sorted(
        (m for m in apps.get_models() if issubclass(m, PracticeScoped)), key=lambda m: m.__name__
    )


@dataclass
class ProviderWorld:
    user: User
    actor: Actor
    practice: Practice
    allowed: frozenset[int]
    mine: Provider  # an allowed provider
    other: Provider  # a provider of the practice she is not allowed
    my_patient: Patient
    their_patient: Patient
    my_paid: Claim
    my_denied: Claim
    their_paid: Claim
    their_denied: Claim
    their_other: Claim  # paid on an ERA of its own
    mixed_era: Era  # pays her claims and theirs
    their_era: Era  # pays theirs only


def _claims_of(
    practice: Practice, payer: Payer, provider: Provider, patient: Patient, count: int
) -> list[Claim]:
    """Submitted claims (charges on the ledger) of `patient`, rendered and billed by `provider`."""
    with rls.practice_scope([practice.pk]):
        coverage = factories.coverage(patient, payer)
        made = [
            factories.claim(practice, coverage, state=ClaimState.SUBMITTED) for _ in range(count)
        ]
        system(Encounter, practice).filter(pk__in=[c.encounter_id for c in made]).update(
            rendering_provider=provider, billing_provider=provider
        )
    post_charges(claims=made, effective_date=date(2026, 2, 1))
    return made


def _paid(claim: Claim) -> ClaimPayment:
    lines = b.lines_of(claim)
    return b.paid_claim(claim, [b.svc(ln, str(ln.charge)) for ln in lines])


def _denied(claim: Claim) -> ClaimPayment:
    lines = b.lines_of(claim)
    return b.paid_claim(
        claim,
        [b.svc(ln, "0.00", ("CO", "50", str(ln.charge))) for ln in lines],
        status="4",
        payer_claim_number=f"PCN-{claim.number}",
    )


def _ingest(practice: Practice, payer: Payer, payments: list[ClaimPayment], **kw: Any) -> Era:
    result = ingest_remittances(
        actor=None,
        workspace=Workspace.objects.get(pk=practice.workspace_id),
        remittances=[b.remittance(practice, payer, payments, **kw)],
        file_name="provider-scope.835",
    )
    era_id = result.eras[0].era_id
    with rls.practice_scope([practice.pk]):
        return system(Era, practice).get(pk=era_id)


def _encounter_providers(practice: Practice) -> dict[int, tuple[int, int, int]]:
    """{encounter id: (patient, rendering provider, billing provider)}."""
    return {
        pk: (patient, rendering, billing)
        for pk, patient, rendering, billing in system(Encounter, practice).values_list(
            "pk", "patient_id", "rendering_provider_id", "billing_provider_id"
        )
    }


def build(username: str = LIMITED_USER) -> ProviderWorld:
    user = User.objects.get(username=username)
    actor = resolve_actor(user)
    assert actor is not None
    [(practice_id, allowed)] = actor.limited_providers().items()
    practice = actor.access[practice_id].practice
    providers = list(Provider.objects.filter(practice=practice).order_by("id"))
    mine = next(p for p in providers if p.pk in allowed)
    other = next(p for p in providers if p.pk not in allowed)
    with rls.practice_scope([practice.pk]):
        seen_by_mine = {
            patient
            for patient, rendering, billing in _encounter_providers(practice).values()
            if rendering in allowed or billing in allowed
        }
        patients = list(system(Patient, practice).order_by("id"))
    their_patient = next(p for p in patients if p.pk not in seen_by_mine)
    my_patient = next(p for p in patients if p.pk != their_patient.pk)
    payer = b.payer_of(practice)
    b.autopost(practice, denials=False)  # a denial is held for review: an exception with a claim
    ContractRate.objects.filter(practice=practice).delete()
    my_paid, my_denied = _claims_of(practice, payer, mine, my_patient, 2)
    their_paid, their_denied, their_other = _claims_of(practice, payer, other, their_patient, 3)
    unmatched = ClaimPayment(
        patient_control_number="NOTOURS777",
        status="1",
        charge=Decimal("40.00"),
        paid=Decimal("40.00"),
        patient_responsibility=Decimal("0"),
        payer_claim_number="PCN-NOTOURS",
    )
    mixed = _ingest(
        practice,
        payer,
        [_paid(my_paid), _denied(my_denied), _paid(their_paid), _denied(their_denied), unmatched],
        plb=[("WO", "5.00")],
    )
    theirs = _ingest(practice, payer, [_paid(their_other)])
    for claim in (my_denied, their_denied):
        _writeoff(claim, user)
    rls.activate([])  # requests get no help from the test's own scope
    return ProviderWorld(
        user=user,
        actor=actor,
        practice=practice,
        allowed=frozenset(allowed),
        mine=mine,
        other=other,
        my_patient=my_patient,
        their_patient=their_patient,
        my_paid=my_paid,
        my_denied=my_denied,
        their_paid=their_paid,
        their_denied=their_denied,
        their_other=their_other,
        mixed_era=mixed,
        their_era=theirs,
    )


# -- the rule, row by row -----------------------------------------------------------------------
Rule = Callable[[Any], bool]


def _writeoff(claim: Claim, user: User) -> None:
    """A pending write-off of the claim's first line (billing/), reaching its providers."""
    with rls.practice_scope([claim.practice_id]):
        line = system(ClaimLine, claim.practice).filter(claim_id=claim.pk).order_by("pk").first()
        request = WriteOffRequest.objects.create(
            workspace_id=claim.workspace_id,
            practice_id=claim.practice_id,
            claim=claim,
            amount=Decimal("1.00"),
            reason="administrative",
            note="test",
            requested_by=user,
        )
        WriteOffLine.objects.create(
            workspace_id=claim.workspace_id,
            practice_id=claim.practice_id,
            request=request,
            claim_line=line,
            amount=Decimal("1.00"),
        )


def truth(world: ProviderWorld) -> dict[type[PracticeScoped], Rule]:
    """For each PHI model, whether the limited actor may see a row of her practice."""
    practice, allowed = world.practice, world.allowed
    with rls.practice_scope([practice.pk]):
        encounters = _encounter_providers(practice)
        claim_encounter = dict(system(Claim, practice).values_list("pk", "encounter_id"))
        loop_claim = dict(system(EraClaim, practice).values_list("pk", "claim_id"))
        batch_claims = list(
            system(Claim, practice).filter(batch__isnull=False).values_list("batch_id", "pk")
        )
        work_items = list(system(WorkItem, practice).values_list("pk", "claim_id", "provider_id"))
        denial_claim = dict(system(Denial, practice).values_list("pk", "claim_id"))
        writeoff_claim = dict(system(WriteOffRequest, practice).values_list("pk", "claim_id"))
    my_encounters = {
        pk for pk, (_, rendering, billing) in encounters.items() if {rendering, billing} & allowed
    }
    my_patients = {encounters[pk][0] for pk in my_encounters}
    my_claims = {pk for pk, enc in claim_encounter.items() if enc in my_encounters}
    my_eras = {
        era for era, claim in _era_loops(practice) if claim is not None and claim in my_claims
    }
    my_batches = {batch for batch, claim in batch_claims if claim in my_claims}

    def by_claim(row: Any) -> bool:
        return row.claim_id is not None and row.claim_id in my_claims

    # A work item reaches a provider through its claim or, for enrollment work, its provider.
    my_items = {
        pk for pk, claim, provider in work_items if claim in my_claims or provider in allowed
    }

    rules: dict[str, Rule] = {
        "Patient": lambda r: r.pk in my_patients,
        "Coverage": lambda r: r.patient_id in my_patients,
        "Encounter": lambda r: r.pk in my_encounters,
        "ChargeLine": lambda r: r.encounter_id in my_encounters,
        "Claim": lambda r: r.pk in my_claims,
        "ClaimLine": by_claim,
        "ScrubHit": by_claim,
        "ClaimEvent": by_claim,
        "Acknowledgement": by_claim,  # a batch-level 999 (claim NULL) answers for everyone
        "Batch": lambda r: r.pk in my_batches,
        "Era": lambda r: r.pk in my_eras,
        "EraClaim": by_claim,  # an unmatched loop reaches no provider
        "EraLine": lambda r: loop_claim.get(r.era_claim_id) in my_claims,
        "LedgerEntry": by_claim,
        "ClaimBalance": by_claim,  # the claim's balance: whoever sees the claim
        "ClaimAdjudication": by_claim,  # when the claim was first answered: as the claim
        "ProviderAdjustmentEntry": lambda r: False,  # the practice's, no one provider's
        "EraException": by_claim,
        "Denial": by_claim,
        "DenialEvent": lambda r: denial_claim.get(r.denial_id) in my_claims,
        "Appeal": lambda r: denial_claim.get(r.denial_id) in my_claims,
        "WriteOffRequest": by_claim,
        "WriteOffLine": lambda r: writeoff_claim.get(r.request_id) in my_claims,
        "WorkItem": lambda r: r.pk in my_items,
        "WorkItemEvent": lambda r: r.item_id in my_items,
        "Attempt": lambda r: r.item_id in my_items,
        "PracticeQuestion": lambda r: r.item_id in my_items,
        "MonthlyReport": lambda r: False,  # a practice's whole month: no one provider's
        "GlanceSnapshot": lambda r: False,  # a practice's whole book: no one provider's
    }
    return {model: rules[model.__name__] for model in phi_models() if model.__name__ in rules}


def _era_loops(practice: Practice) -> list[tuple[int, int | None]]:
    return list(system(EraClaim, practice).values_list("era_id", "claim_id"))


def exceptions_of(world: ProviderWorld) -> dict[str, EraException]:
    """The mixed ERA's exceptions: her policy hold, theirs, and the unmatched loop."""
    with rls.practice_scope([world.practice.pk]):
        rows = list(system(EraException, world.practice).filter(era=world.mixed_era))
    found = {
        "mine": [e for e in rows if e.claim_id == world.my_denied.pk],
        "theirs": [e for e in rows if e.claim_id == world.their_denied.pk],
        "unmatched": [e for e in rows if e.reason == ExceptionReason.UNMATCHED_CLAIM],
    }
    assert all(len(v) == 1 for v in found.values()), found
    return {k: v[0] for k, v in found.items()}


def denials_of(world: ProviderWorld) -> dict[str, Denial]:
    with rls.practice_scope([world.practice.pk]):
        rows = list(system(Denial, world.practice).filter(era=world.mixed_era))
    mine = [d for d in rows if d.claim_id == world.my_denied.pk]
    theirs = [d for d in rows if d.claim_id == world.their_denied.pk]
    assert mine and theirs, rows
    return {"mine": mine[0], "theirs": theirs[0]}
