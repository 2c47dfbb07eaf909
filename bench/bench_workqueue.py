"""The work queue on a 50-practice, 1M-claim book, in PostgreSQL, under row-level security.

Generates the book with `bureau generate-book` (not a timed measure, but its time, rows and
peak memory are printed as one), then, as the runtime role (not the table owner):

(a) `bureau workqueue refresh` over the whole book — target under 120 s;
(b) the queue's first page, `/queue/`, for the denial specialist granted 25 of the 50
    practices, through the whole Django stack (test client, signed in, MFA verified):
    unfiltered, and with two filters (function = denials and one payer), 100 requests each
    after a few warm-up requests — target p95 under 150 ms;
(c) take next (`POST /queue/take-next/`, function = denials), 100 times — p95 under 50 ms;
(d) the queue page's query count with 25 and with 100 rows shown — must be equal.

Runs itself under `scripts/with-postgres.sh` (a throwaway cluster) unless DATABASE_URL already
points at PostgreSQL. BUREAU_BENCH_BOOK_CLAIMS changes the claim count (default 1,000,000).
"""

from __future__ import annotations

import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path
from statistics import median, quantiles
from typing import Any

from bench.postgres import run_on_postgres

ROOT = Path(__file__).resolve().parent.parent
TARGET_REFRESH_S = 120.0
TARGET_PAGE_P95_MS = 150.0
TARGET_TAKE_NEXT_P95_MS = 50.0
REQUESTS = 100
WARMUP = 5


def main() -> None:
    run_on_postgres("bench.bench_workqueue", _run)


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

    from bureau.book.generate import generate_book

    n_claims = int(os.environ.get("BUREAU_BENCH_BOOK_CLAIMS", "1000000"))
    call_command("migrate", verbosity=0)
    result = generate_book(
        claims=n_claims, say=lambda line: print(line, file=sys.stderr, flush=True)
    )
    emit(
        {
            "bench": "book_generate",
            "database": connection.vendor,
            "practices": 50,
            "claims": n_claims,
            "rows": sum(result.rows.values()),
            "seconds": round(result.seconds, 1),
            "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024),
            "target_seconds": 900,
            "meets_target": result.seconds < 900,
        }
    )
    role = getattr(settings, "BUREAU_DB_APP_ROLE", "")
    if role:  # everything below as production runs: the non-owner role, under RLS
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
    _refresh(result.workspace, role)
    client = _signed_in(result.usernames["denials"])
    _queue_pages(client, result.workspace, role)
    _take_next(client, role)
    _query_counts(client, role)


def _refresh(workspace: Any, role: str) -> None:
    """Twice: the first run derives every item of a book that has none (the generator writes
    records only), the second is the nightly run over a queue already in step."""
    from bureau.workqueues.sync import refresh

    for name in ("workqueue_refresh_first", "workqueue_refresh_steady"):
        started = time.perf_counter()
        report = refresh(workspace=workspace)
        seconds = time.perf_counter() - started
        emit(
            {
                "bench": name,
                "role": role or "owner",
                "seconds": round(seconds, 1),
                "drift": report.drift,
                "report": report.as_dict(),
                "target_seconds": TARGET_REFRESH_S,
                "meets_target": seconds < TARGET_REFRESH_S,
            }
        )


def _signed_in(username: str) -> Any:
    """A test client signed in as `username` with its authenticator verified in the session
    (what `conftest.verified_client` does for the tests)."""
    from django.test import Client
    from django_otp import DEVICE_ID_SESSION_KEY
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from bureau.accounts.models import User

    client = Client()
    user = User.objects.get(username=username)
    client.force_login(user)
    device = TOTPDevice.objects.get(user=user, confirmed=True)
    session = client.session
    session[DEVICE_ID_SESSION_KEY] = device.persistent_id
    session.save()
    return client


def _timed(call: Any, n: int) -> list[float]:
    for _ in range(WARMUP):
        call()
    times = []
    for _ in range(n):
        started = time.perf_counter()
        call()
        times.append((time.perf_counter() - started) * 1000)
    return times


def _summary(times: list[float]) -> dict[str, float]:
    return {
        "p50_ms": round(median(times), 1),
        "p95_ms": round(quantiles(times, n=20)[-1], 1),
        "max_ms": round(max(times), 1),
    }


def _busiest_payer(workspace: Any) -> str:
    """The public id of the payer with the most open denials in the book (the filter a
    denial specialist would pick first)."""
    from django.db.models import Count

    from bureau.directory.models import Payer

    payer = (
        Payer.objects.filter(workspace=workspace)
        .annotate(n=Count("enrollments"))
        .order_by("-n", "pk")
        .first()
    )
    assert payer is not None
    return str(payer.public_id)


def _get(client: Any, url: str) -> Any:
    response = client.get(url)
    if response.status_code != 200:
        raise RuntimeError(f"GET {url}: {response.status_code}")
    return response


def _queue_pages(client: Any, workspace: Any, role: str) -> None:
    payer = _busiest_payer(workspace)
    for name, url in (
        ("queue_page_unfiltered", "/queue/"),
        ("queue_page_two_filters", f"/queue/?function=denials&payer={payer}"),
    ):
        times = _timed(lambda url=url: _get(client, url), REQUESTS)
        stats = _summary(times)
        emit(
            {
                "bench": name,
                "role": role or "owner",
                "user": "denial specialist, 25 of 50 practices",
                "url": url,
                "requests": REQUESTS,
                **stats,
                "target_p95_ms": TARGET_PAGE_P95_MS,
                "meets_target": stats["p95_ms"] < TARGET_PAGE_P95_MS,
            }
        )


def _take_next(client: Any, role: str) -> None:
    def take() -> None:
        response = client.post("/queue/take-next/", {"function": "denials"})
        if response.status_code not in (200, 302, 303):
            raise RuntimeError(f"take next: {response.status_code}")

    times = _timed(take, REQUESTS)
    stats = _summary(times)
    emit(
        {
            "bench": "queue_take_next",
            "role": role or "owner",
            "requests": REQUESTS,
            **stats,
            "target_p95_ms": TARGET_TAKE_NEXT_P95_MS,
            "meets_target": stats["p95_ms"] < TARGET_TAKE_NEXT_P95_MS,
        }
    )


def _query_counts(client: Any, role: str) -> None:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counts = {}
    for rows in (25, 100):
        with CaptureQueriesContext(connection) as captured:
            _get(client, f"/queue/?per_page={rows}")
        counts[rows] = len(captured)
    emit(
        {
            "bench": "queue_page_queries",
            "role": role or "owner",
            "queries_25_rows": counts[25],
            "queries_100_rows": counts[100],
            "target": "equal",
            "meets_target": counts[25] == counts[100],
        }
    )


if __name__ == "__main__":
    main()
