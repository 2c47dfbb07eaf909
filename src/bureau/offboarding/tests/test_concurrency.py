"""Two people at once: parallel starts give one offboarding; parallel approvals one purge.
Real transactions on their own connections: the row locks and the one-per-practice
constraint decide (PostgreSQL; SQLite's test database takes one writer at a time)."""

from __future__ import annotations

import threading
from datetime import timedelta
from typing import Any

import pytest
from django.db import transaction

from bureau.conftest import ON_POSTGRES, in_thread
from bureau.demo import seed_demo
from bureau.offboarding import services
from bureau.offboarding.models import Offboarding, OffboardingStatus
from bureau.offboarding.tasks import offboarding_export_run
from bureau.offboarding.tests.helpers import actor, summit
from bureau.offboarding.verify import counts_by_practice

pytestmark = [
    pytest.mark.skipif(not ON_POSTGRES, reason="row locks and concurrent connections: PostgreSQL"),
    pytest.mark.django_db(transaction=True),
    pytest.mark.usefixtures("session_seed_restored"),
]
OVERRIDE = "the client took its A/R to its new biller"


def _together(*works: Any) -> list[Any]:
    results: list[Any] = []
    barrier = threading.Barrier(len(works))

    def waiting(work: Any) -> Any:
        def run() -> Any:
            barrier.wait(timeout=10)
            return work()

        return run

    threads = [in_thread(waiting(w), results) for w in works]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    return results


def test_parallel_starts_give_one_offboarding():
    seed_demo(patients_per_practice=3)
    practice = summit()[2]

    def start() -> Any:
        return services.offboarding_start(
            actor=actor("olivia.owner"), practice=practice, reason="the client gave notice"
        )

    results = _together(start, start)
    started = [r for r in results if isinstance(r, Offboarding)]
    refused = [r for r in results if isinstance(r, services.OffboardingError)]
    assert len(started) == 1 and len(refused) == 1, results
    assert Offboarding.objects.filter(practice=practice).count() == 1


def test_parallel_approvals_give_one_purge(settings, tmp_path):
    settings.BUREAU_OFFBOARDING_DIR = str(tmp_path)
    seed_demo(patients_per_practice=3)
    practice = summit()[2]
    ob = services.offboarding_start(
        actor=actor("olivia.owner"), practice=practice, reason="the client gave notice"
    )
    assert offboarding_export_run.call(ob.pk) == "done"
    ob.refresh_from_db()
    Offboarding.objects.filter(pk=ob.pk).update(
        exported_at=ob.exported_at - timedelta(days=31),
        requested_at=ob.requested_at - timedelta(days=31),
    )
    ob.refresh_from_db()

    def approve() -> Any:
        return services.offboarding_approve(
            actor=actor("carla.compliance"), offboarding=ob, override_reason=OVERRIDE
        )

    results = _together(approve, approve)
    purged = [r for r in results if isinstance(r, Offboarding)]
    refused = [r for r in results if isinstance(r, services.OffboardingError)]
    assert len(purged) == 1 and len(refused) == 1, results
    ob.refresh_from_db()
    assert ob.status == OffboardingStatus.PURGED
    with transaction.atomic():
        left = counts_by_practice()
    assert all(rows.get(practice.pk, 0) == 0 for rows in left.values())
