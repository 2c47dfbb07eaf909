"""Reports on a 50-practice, 1M-claim book, in PostgreSQL, under row-level security.

Generates the book with `bureau generate-book` (as `bench_workqueue` does; its own book, so
each benchmark runs alone), then, as the runtime role (not the table owner) and through the
whole Django stack (test client, the owner signed in, MFA verified), 20 requests each after a
few warm-up requests:

(a) A/R aging of the whole book, `/reports/aging/?practice=all` — target p95 under 1 s;
(b) the owner's home, `/` (the book at a glance) — target p95 under 1 s: first read live (no
    snapshot yet: a few requests, each adds up all 50 practices' claims), then the nightly
    snapshot is taken (`bureau reports snapshot`: each practice alone, timed) and the home read
    from it — the two side by side;
(c) the KPI dashboard of one practice, `/reports/kpis/?practice=<id>` — target p95 under 300 ms;
(d) the monthly report of one practice for last month, generated as the scheduled task does
    (figures, PDF, stored, audited), 5 times — target under 5 s each.

Runs itself under `scripts/with-postgres.sh` (a throwaway cluster) unless DATABASE_URL already
points at PostgreSQL. BUREAU_BENCH_BOOK_CLAIMS changes the claim count (default 1,000,000).
"""

from __future__ import annotations

import json
import os
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from statistics import median, quantiles
from typing import Any

from bench.postgres import run_on_postgres

ROOT = Path(__file__).resolve().parent.parent
TARGETS_MS = {
    "report_aging_book": 1000.0,
    "report_owner_home": 1000.0,
    "report_owner_home_live": 1000.0,  # the same page read live: shown beside, not expected
    "report_kpis": 300.0,
}
# The nightly snapshot runs unattended; a practice's share of it is what grows with a book.
TARGET_SNAPSHOT_S = 5.0
LIVE_REQUESTS = 3
TARGET_MONTHLY_S = 5.0
REQUESTS = 20
WARMUP = 3
MONTHLY_RUNS = 5


def main() -> None:
    run_on_postgres("bench.bench_reports", _run)


def emit(measure: dict[str, Any]) -> None:
    print(json.dumps(measure), flush=True)


def _run() -> None:
    os.environ.setdefault("BUREAU_VAR_DIR", tempfile.mkdtemp(prefix="bureau-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bureau.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.bench_workqueue import _signed_in
    from bureau.book.generate import generate_book

    n_claims = int(os.environ.get("BUREAU_BENCH_BOOK_CLAIMS", "1000000"))
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    result = generate_book(
        claims=n_claims, say=lambda line: print(line, file=sys.stderr, flush=True)
    )
    print(f"book: {time.perf_counter() - started:.0f} s", file=sys.stderr)
    role = getattr(settings, "BUREAU_DB_APP_ROLE", "")
    if role:  # everything below as production runs: the non-owner role, under RLS
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
    client = _signed_in(result.usernames["owner"])
    practice = _first_practice(result.workspace)
    _page(client, "report_aging_book", "/reports/aging/?practice=all", role, n_claims)
    _page(client, "report_owner_home_live", "/", role, n_claims, requests=LIVE_REQUESTS)
    _snapshot(result.workspace, role, n_claims)
    _page(client, "report_owner_home", "/", role, n_claims)
    _page(client, "report_kpis", f"/reports/kpis/?practice={practice.public_id}", role, n_claims)
    _monthly(practice, role, n_claims)


def _first_practice(workspace: Any) -> Any:
    from bureau.tenancy.models import Practice

    return Practice.objects.filter(workspace=workspace).order_by("code").first()


def _timed(call: Callable[[], Any], n: int, warmup: int) -> list[float]:
    for _ in range(warmup):
        call()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _page(
    client: Any, name: str, path: str, role: str, n_claims: int, requests: int = REQUESTS
) -> None:
    def get() -> None:
        response = client.get(path)
        if response.status_code != 200:
            raise RuntimeError(f"GET {path} answered {response.status_code}")

    times = _timed(get, requests, 1 if requests < REQUESTS else WARMUP)
    p95 = quantiles(times, n=20)[-1]
    emit(
        {
            "bench": name,
            "path": path.split("?")[0],
            "role": role or "owner",
            "claims": n_claims,
            "requests": requests,
            "p50_ms": round(median(times), 1),
            "p95_ms": round(p95, 1),
            "target_p95_ms": TARGETS_MS[name],
            "meets_target": p95 < TARGETS_MS[name],
        }
    )


def _snapshot(workspace: Any, role: str, n_claims: int) -> None:
    """The nightly run: every practice's home figures read alone and stored."""
    from bureau.reports.snapshot import take_snapshot
    from bureau.reports.tasks import reportable_practices

    times = []
    for practice in reportable_practices(workspace):
        started = time.perf_counter()
        take_snapshot(practice)
        times.append(time.perf_counter() - started)
    emit(
        {
            "bench": "report_snapshot_book",
            "role": role or "owner",
            "claims": n_claims,
            "practices": len(times),
            "total_s": round(sum(times), 1),
            "median_practice_s": round(median(times), 2),
            "max_practice_s": round(max(times), 2),
            "target_practice_s": TARGET_SNAPSHOT_S,
            "meets_target": max(times) < TARGET_SNAPSHOT_S,
        }
    )


def _monthly(practice: Any, role: str, n_claims: int) -> None:
    from bureau import clock
    from bureau.reports.monthly import Month
    from bureau.reports.monthly_models import Trigger
    from bureau.reports.monthly_services import monthly_report_generate

    today = clock.now().date()
    month = Month(today.year, today.month).previous()
    times = _timed(
        lambda: monthly_report_generate(practice=practice, month=month, trigger=Trigger.SCHEDULE),
        MONTHLY_RUNS,
        1,
    )
    emit(
        {
            "bench": "report_monthly_one_practice",
            "role": role or "owner",
            "claims": n_claims,
            "month": str(month),
            "runs": MONTHLY_RUNS,
            "median_s": round(median(times) / 1000, 2),
            "max_s": round(max(times) / 1000, 2),
            "target_s": TARGET_MONTHLY_S,
            "meets_target": max(times) / 1000 < TARGET_MONTHLY_S,
        }
    )


if __name__ == "__main__":
    main()
