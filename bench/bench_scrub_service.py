"""The scrubber end to end, through the database: ~10,000 demo claims read, scrubbed, their hits
written, transitioned and audited by `claims_scrub` (what `bureau scrub` and the UI run).

Runs on a throwaway SQLite database under a temporary BUREAU_VAR_DIR (or on DATABASE_URL when
set). Prints one JSON line; the rule engine alone is measured by bench_scrubber."""

from __future__ import annotations

import json
import os
import tempfile
import time


def main() -> None:
    os.environ.setdefault("BUREAU_VAR_DIR", tempfile.mkdtemp(prefix="bureau-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bureau.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from bureau.claims.models import Claim, ClaimState
    from bureau.claims.scrubbing import claims_scrub
    from bureau.demo import seed_demo
    from bureau.tenancy import rls
    from bureau.tenancy.models import Practice

    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    seed_demo(patients_per_practice=int(os.environ.get("BUREAU_BENCH_PATIENTS", "920")))
    seed_seconds = time.perf_counter() - started
    ids = list(Practice.objects.values_list("id", flat=True))
    with rls.practice_scope(ids):
        Claim.objects.for_system(ids, reason="bench").exclude(state=ClaimState.DRAFT).update(
            state=ClaimState.DRAFT
        )
        claims = list(Claim.objects.for_system(ids, reason="bench").order_by("id"))
    started = time.perf_counter()
    with rls.practice_scope(ids):
        outcomes = claims_scrub(actor=None, claims=claims)
    seconds = time.perf_counter() - started
    print(
        json.dumps(
            {
                "bench": "scrub_service_db",
                "database": connection.vendor,
                "claims": len(outcomes),
                "seconds": round(seconds, 3),
                "claims_per_s": round(len(outcomes) / seconds),
                "hits": sum(len(o.hits) for o in outcomes),
                "seed_seconds": round(seed_seconds, 1),
                "target_seconds": 5.0,
            }
        ),
        flush=True,
    )
