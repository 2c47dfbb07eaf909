"""Two people at once: two facilities renamed to one name together give one rename and a
field error, not two facilities of one name (the encounter form lists them by name). Real
transactions on their own connections (PostgreSQL; SQLite's test database takes one writer
at a time)."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from django.db import transaction

from bureau.accounts.models import User
from bureau.conftest import ON_POSTGRES, in_thread
from bureau.demo import seed_demo
from bureau.directory import facilities
from bureau.directory.models import ServiceFacility
from bureau.directory.services import DirectoryError
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="row locks and concurrent connections: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]


def _data(name: str) -> facilities.FacilityData:
    return facilities.FacilityData(
        name=name,
        npi="",
        address_line1="1 Main St",
        city="Springfield",
        state="IL",
        postal_code="62701-1234",
        is_active=True,
    )


def test_two_facilities_renamed_to_one_name_at_once_give_one(monkeypatch):
    seed_demo(patients_per_practice=3)
    practice = Practice.objects.filter(workspace__slug="summit").order_by("id")[0]
    olivia = resolve_actor(User.objects.get(username="olivia.owner"))
    first, second = (
        facilities.facility_create(
            actor=olivia, practice=practice, data=_data(name), reason="a second clinic"
        )
        for name in ("East Clinic", "West Clinic")
    )
    # Each rename holds after its name check until the other has checked too (or 2 s pass,
    # when the other waits on the practice's row): without the lock both would save.
    checked = threading.Barrier(2)
    name_taken = facilities._name_taken

    def check_then_wait(*args: Any, **kwargs: Any) -> bool:
        taken = name_taken(*args, **kwargs)
        try:
            checked.wait(timeout=2)
        except threading.BrokenBarrierError:
            pass
        return taken

    monkeypatch.setattr(facilities, "_name_taken", check_then_wait)

    def rename(facility: ServiceFacility) -> Any:
        @transaction.atomic
        def run() -> Any:
            actor = resolve_actor(User.objects.get(username="olivia.owner"))
            return facilities.facility_update(
                actor=actor, facility=facility, data=_data("Main Clinic"), reason="merged"
            )

        return run

    results: list[Any] = []
    threads = [in_thread(rename(first), results), in_thread(rename(second), results)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    refused = [r for r in results if isinstance(r, DirectoryError)]
    assert len(refused) == 1 and refused[0].field == "name", results
    assert ServiceFacility.objects.filter(practice=practice, name="Main Clinic").count() == 1
