"""Two tabs at once: two policies of the same order saved together for one patient give one
policy and a field error, not two overlapping primaries. Real transactions on their own
connections (PostgreSQL; SQLite's test database takes one writer at a time)."""

from __future__ import annotations

import threading
from datetime import date
from typing import Any

import pytest
from django.db import transaction

from bureau.accounts.models import User
from bureau.conftest import ON_POSTGRES, in_thread
from bureau.demo import seed_demo
from bureau.directory.models import Payer
from bureau.patients import services
from bureau.patients.models import Coverage, Patient
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="row locks and concurrent connections: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]


def test_two_policies_saved_at_once_give_one_and_a_field_error(monkeypatch):
    seed_demo(patients_per_practice=3)
    olivia = resolve_actor(User.objects.get(username="olivia.owner"))
    assert olivia is not None
    practice = Practice.objects.filter(workspace__slug="summit").order_by("id")[0]
    patient = services.patient_create(
        actor=olivia,
        practice=practice,
        data=services.PatientData(
            account_number="TWO-TABS",
            first_name="Robin",
            last_name="Twotabs",
            date_of_birth=date(1988, 2, 3),
            sex="F",
        ),
    )
    payer = Payer.objects.filter(workspace__slug="summit").order_by("id")[0]
    # Both saves hold their overlap check until the other has checked too (or 2 s pass, when
    # the other waits on the patient's row): without the lock both would insert.
    checked = threading.Barrier(2)
    overlapping = services._overlapping

    def check_then_wait(*args: Any, **kwargs: Any) -> Any:
        found = overlapping(*args, **kwargs)
        try:
            checked.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass
        return found

    monkeypatch.setattr(services, "_overlapping", check_then_wait)

    def save(member_id: str) -> Any:
        @transaction.atomic  # one request: the patient read and the policy saved together
        def run() -> Any:
            actor = resolve_actor(User.objects.get(username="olivia.owner"))
            fresh = Patient.objects.for_system([practice.pk], reason="test").get(pk=patient.pk)
            return services.coverage_create(
                actor=actor,
                patient=fresh,
                data=services.CoverageData(
                    payer_id=payer.pk, member_id=member_id, effective_date=date(2024, 1, 1)
                ),
            )

        return run

    results: list[Any] = []
    threads = [in_thread(save("TAB-ONE"), results), in_thread(save("TAB-TWO"), results)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    saved = [r for r in results if isinstance(r, Coverage)]
    refused = [r for r in results if isinstance(r, services.PatientError)]
    assert len(saved) == 1 and len(refused) == 1, results
    assert refused[0].field == "cob_order"
    with transaction.atomic():
        policies = Coverage.objects.for_system([practice.pk], reason="test")
        assert policies.filter(patient=patient).count() == 1
