"""Unknown and forbidden read the same in ERA posting (issue 9, item 11).

Priya posts for Riverbend and Summit PT only. Whatever she uploads, nothing she reads may tell
her whether a claim number or an NPI belongs to a practice she cannot see or to nobody: the
exception for a CLP01 of Lakeside reads as one for a number that does not exist, and a payment
to Lakeside is refused in the same words as a payment to no practice at all.
"""

from __future__ import annotations

from decimal import Decimal

import pytest

from bureau.accounts.models import User
from bureau.directory.models import ContractRate, Provider
from bureau.remittance.models import Era, EraException
from bureau.remittance.payee import PayeeUnknown
from bureau.remittance.services import ingest_remittances
from bureau.remittance.tasks import posting_actor
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_posting import stray
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability
from bureau.x12.remit835 import ClaimPayment, Remittance

pytestmark = pytest.mark.django_db
UNKNOWN_NPI = "1999999992"


def _practice(code: str) -> Practice:
    return next(p for p in b.summit() if p.code == code)


def _priya() -> Actor:
    actor = resolve_actor(User.objects.get(username="priya.poster"))
    assert actor is not None
    return posting_actor(actor)  # as her upload runs


def _claim_loop(practice: Practice) -> ClaimPayment:
    payer = b.payer_of(practice)
    b.autopost(practice)
    ContractRate.objects.filter(practice=practice).delete()
    claim = b.submitted_claims(practice, payer)[0]
    one, two = b.lines_of(claim)
    return b.paid_claim(claim, [b.svc(one, "110.00"), b.svc(two, "12.00")])


def _ingest(actor: Actor | None, *remittances: Remittance) -> object:
    return ingest_remittances(
        actor=actor,
        workspace=Workspace.objects.get(slug="summit"),
        remittances=list(remittances),
        file_name="oracle.835",
    )


def _refusal(actor: Actor, remittance: Remittance) -> str:
    """The refusal, with what the file itself says (trace, NPI, payee name) taken out."""
    with pytest.raises(PayeeUnknown) as caught:
        _ingest(actor, remittance)
    words = str(caught.value)
    npi = remittance.payee_npi or "(none sent)"
    for own in (remittance.trace_number, npi, remittance.payee_name):
        words = words.replace(own, "…")
    return words


def test_a_payment_to_a_practice_she_may_not_post_for_reads_as_one_to_no_practice():
    priya = _priya()
    lakeside, pinecrest = _practice("LFM"), _practice("PWH")
    assert not priya.can(Capability.PAYMENTS_POST, lakeside)
    theirs = _claim_loop(lakeside)
    also_theirs = _claim_loop(pinecrest)
    payer = b.payer_of(lakeside)
    provider = Provider.objects.filter(practice=lakeside).exclude(npi=lakeside.npi).first()
    assert provider is not None
    assert Provider.objects.filter(npi=provider.npi).count() == 1
    refusals = {
        "Lakeside's NPI": b.remittance(lakeside, payer, [theirs]),
        "a Lakeside provider's NPI": b.remittance(lakeside, payer, [theirs], npi=provider.npi),
        "no NPI, Lakeside's claims": b.remittance(lakeside, payer, [theirs], npi=""),
        "unknown NPI, Lakeside's claims": b.remittance(lakeside, payer, [theirs], npi=UNKNOWN_NPI),
        "unknown NPI, two hidden practices' claims": b.remittance(
            lakeside, payer, [theirs, also_theirs], npi=UNKNOWN_NPI
        ),
        "unknown NPI, no claim anywhere": b.remittance(
            lakeside, payer, [stray("NOSUCH-1", "40.00")], npi=UNKNOWN_NPI
        ),
    }
    said = {case: _refusal(priya, r) for case, r in refusals.items()}
    assert len(set(said.values())) == 1, said
    assert "no practice you may post payments for" in next(iter(said.values()))
    ids = [p.pk for p in b.summit()]
    with rls.practice_scope(ids):
        assert not Era.objects.for_system(ids, reason="test").filter(file_name="oracle.835")


def test_a_payment_already_taken_in_elsewhere_is_refused_not_called_a_duplicate():
    lakeside = _practice("LFM")
    remittance = b.remittance(lakeside, b.payer_of(lakeside), [_claim_loop(lakeside)])
    assert _ingest(None, remittance).eras[0].practice_code == "LFM"  # type: ignore[attr-defined]
    fresh = b.remittance(lakeside, b.payer_of(lakeside), [_claim_loop(lakeside)])
    assert _refusal(_priya(), remittance) == _refusal(_priya(), fresh)


def test_another_practices_claim_number_reads_as_a_number_nobody_has():
    priya = _priya()
    riverbend, lakeside = _practice("RBD"), _practice("LFM")
    ours = _claim_loop(riverbend)
    theirs = _claim_loop(lakeside)
    nobody = theirs._replace(patient_control_number="NOSUCH-77")
    remittance = b.remittance(riverbend, b.payer_of(riverbend), [ours, theirs, nobody])
    era = _ingest(priya, remittance).eras[0]  # type: ignore[attr-defined]
    assert era.practice_code == "RBD" and era.posted == 1 and era.exceptions == 2
    with rls.practice_scope([riverbend.pk]):
        details = list(
            EraException.objects.for_system([riverbend.pk], reason="test")
            .filter(era_id=era.era_id)
            .order_by("id")
            .values_list("detail", flat=True)
        )
    assert details[0].replace(theirs.patient_control_number, "#") == details[1].replace(
        "NOSUCH-77", "#"
    )
    assert "another practice" not in " ".join(details)
    assert details[0] == (
        f"CLP01 {theirs.patient_control_number} (paid {theirs.paid}) matches no claim of this "
        "practice."
    )


def test_the_system_ingest_still_finds_the_payee_by_claims_across_practices():
    """With an unknown NPI the claims decide; the system sees every practice's claims, so a
    file whose claims are all Lakeside's goes to Lakeside (nothing about it changed)."""
    lakeside = _practice("LFM")
    remittance = b.remittance(
        lakeside, b.payer_of(lakeside), [_claim_loop(lakeside)], npi=UNKNOWN_NPI
    )
    era = _ingest(None, remittance).eras[0]  # type: ignore[attr-defined]
    assert era.practice_code == "LFM" and era.posted == 1 and era.paid == Decimal("122.00")
