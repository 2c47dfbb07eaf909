"""Synthetic encounters and claims for the tests, built directly with the models.

Call inside `rls.practice_scope([...])` so that, on PostgreSQL, the rows are visible and writable.
"""

from __future__ import annotations

import itertools
from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from bureau.accounts.models import User
from bureau.claims.models import ChargeLine, Claim, ClaimLine, ClaimState, Encounter
from bureau.directory.models import Payer, Provider, ServiceFacility
from bureau.directory.npi import make_npi
from bureau.patients.models import Coverage, Patient
from bureau.tenancy.models import Practice

_seq = itertools.count(1)
DIAGNOSES = ["E119", "I10", "J069", "M545"]


def office(practice: Practice) -> ServiceFacility:
    found = ServiceFacility.objects.filter(practice=practice).order_by("id").first()
    if found is not None:
        return found
    # The practice bills from its office (837P 2010AA) unless it already has an address.
    Practice.objects.filter(pk=practice.pk, address_line1="").update(
        address_line1="100 Main St", city="Springfield", state="IL", postal_code="62701-1234"
    )
    return ServiceFacility.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        name=f"{practice.name} office",
        npi=make_npi("1" + f"{practice.pk:08d}"),
        address_line1="100 Main St",
        city="Springfield",
        state="IL",
        postal_code="62701-1234",
    )


def provider(practice: Practice) -> Provider:
    found = Provider.objects.filter(practice=practice).order_by("id").first()
    if found is not None:
        return found
    return Provider.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        name="Dr. Test Doctor",
        npi=make_npi("1" + f"{practice.pk + 5000:08d}"),
    )


def patient(practice: Practice, index: int = 0) -> Patient:
    return (
        Patient.objects.for_system([practice.pk], reason="test")
        .filter(practice=practice)
        .order_by("id")[index]
    )


def coverage(
    patient: Patient, payer: Payer, *, cob_order: int = 1, relationship: str = "18"
) -> Coverage:
    extra = {}
    if relationship != "18":
        extra = {
            "subscriber_first_name": "Pat",
            "subscriber_last_name": "Parent",
            "subscriber_date_of_birth": date(1970, 5, 6),
            "subscriber_sex": "F",
        }
    return Coverage.objects.create(
        workspace_id=patient.workspace_id,
        practice_id=patient.practice_id,
        patient=patient,
        payer=payer,
        member_id=f"M{next(_seq):08d}",
        group_number="GRP1",
        cob_order=cob_order,
        relationship=relationship,
        effective_date=date(2024, 1, 1),
        **extra,
    )


def claim(
    practice: Practice,
    cov: Coverage,
    *,
    state: str = ClaimState.READY,
    user: User | None = None,
    codes: tuple[tuple[str, str], ...] = (("99213", "110.00"), ("36415", "12.00")),
) -> Claim:
    """An encounter with charge lines and one claim to `cov`'s payer."""
    user = user or User.objects.order_by("id").first()
    doctor = provider(practice)
    office(practice)
    dos = timezone.localdate() - timedelta(days=3)
    encounter = Encounter.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        patient=cov.patient,
        rendering_provider=doctor,
        billing_provider=doctor,
        date_of_service=dos,
        diagnosis_codes=DIAGNOSES[:2],
        created_by=user,
    )
    n = next(_seq)
    total = sum((Decimal(c) for _, c in codes), Decimal(0))
    claim = Claim.objects.create(
        workspace_id=practice.workspace_id,
        practice=practice,
        encounter=encounter,
        patient=cov.patient,
        coverage=cov,
        payer=cov.payer,
        number=f"{practice.code}T{n:07d}",
        responsibility=cov.cob_order,
        state=state,
        total_charge=total,
    )
    for i, (code, charge) in enumerate(codes, 1):
        charge_line = ChargeLine.objects.create(
            workspace_id=practice.workspace_id,
            practice=practice,
            encounter=encounter,
            line_number=i,
            procedure_code=code,
            diagnosis_pointers=[1, 2] if i == 1 else [1],
            charge=Decimal(charge),
            date_of_service=dos,
        )
        ClaimLine.objects.create(
            workspace_id=practice.workspace_id,
            practice=practice,
            claim=claim,
            charge_line=charge_line,
            line_number=i,
            procedure_code=code,
            diagnosis_pointers=charge_line.diagnosis_pointers,
            charge=Decimal(charge),
            date_of_service=dos,
        )
    return claim
