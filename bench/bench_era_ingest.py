"""ERA ingest + auto-posting of 100,000 claims into PostgreSQL (target: under 60 s).

Seeds 100,000 SUBMITTED claims (1-3 lines, charges on the ledger) with `bench.scale`, writes the
835s that pay them (5,000 claims per payment, ~80 % paid, ~10 % partial, ~10 % denied), then
times `ingest_era_text` — parse, match, post ledger entries, denials, underpayment checks, claim
states and audit — file by file, as the runtime role under row-level security. Seeding and file
generation are not timed. `bureau ledger check`'s invariant is verified afterwards.

Then one payment of 50,000 claims in ONE file (one transaction set, one database transaction):
posted in a fresh process: its peak resident memory while it posts (Linux's VmHWM, reset just
before through /proc/self/clear_refs) less what it held before (Django and the file's text).
Storing the file's text as the ERA's content costs what the database driver takes to send it
(measured alone first, on a temporary table: several copies of the text); the rest is what
posting holds at once — one chunk of claims (`posting.CHUNK`) with their rows, never all 50,000
claims' objects. Target: that rest under 64 MB.

Runs itself under `scripts/with-postgres.sh` (a throwaway cluster) unless DATABASE_URL already
points at PostgreSQL. BUREAU_BENCH_ERA_CLAIMS changes the claim count of the first measure,
BUREAU_BENCH_ONE_PAYMENT_CLAIMS that of the second.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGET_SECONDS = 60.0
CLAIMS_PER_ERA = 5000
TARGET_PEAK_GROWTH_MB = 64


def main() -> None:
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        done = subprocess.run(  # noqa: S603 - our own script and interpreter
            [
                str(ROOT / "scripts/with-postgres.sh"),
                sys.executable,
                "-m",
                "bench.bench_era_ingest",
            ],
            cwd=ROOT,
            check=False,
        )
        if done.returncode != 0:
            raise RuntimeError(f"the PostgreSQL run failed (exit {done.returncode})")
        return
    _run()


def _run() -> None:
    os.environ.setdefault("BUREAU_VAR_DIR", tempfile.mkdtemp(prefix="bureau-bench-"))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bureau.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.core.management import call_command
    from django.db import connection

    from bench.scale import envelope, remittances_for, seed_submitted_claims
    from bureau.ledger.check import ledger_check
    from bureau.remittance.services import ingest_era_text
    from bureau.tenancy.models import Workspace
    from bureau.x12.writer835 import write_835

    n_claims = int(os.environ.get("BUREAU_BENCH_ERA_CLAIMS", "100000"))
    call_command("migrate", verbosity=0)
    started = time.perf_counter()
    world = seed_submitted_claims(n_claims)
    seed_s = time.perf_counter() - started
    texts = [
        write_835(envelope(i), [rem])  # type: ignore[arg-type,list-item]
        for i, rem in enumerate(remittances_for(world, CLAIMS_PER_ERA), 1)
    ]
    workspace = Workspace.objects.get(pk=world.workspace_id)
    role = getattr(settings, "BUREAU_DB_APP_ROLE", "")
    if role:  # post as production does: the non-owner role, under row-level security
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
    started = time.perf_counter()
    posted = exceptions = 0
    for i, text in enumerate(texts, 1):
        result = ingest_era_text(
            actor=None, workspace=workspace, text=text, file_name=f"bench-{i:03d}.835"
        )
        posted += sum(e.posted for e in result.eras)
        exceptions += sum(e.exceptions for e in result.eras)
    seconds = time.perf_counter() - started
    started = time.perf_counter()
    problems = ledger_check(workspace=workspace)
    check_s = time.perf_counter() - started
    print(
        json.dumps(
            {
                "bench": "era_ingest_post",
                "database": connection.vendor,
                "role": role or "owner",
                "claims": n_claims,
                "lines": world.line_count,
                "files": len(texts),
                "seconds": round(seconds, 2),
                "claims_per_s": round(n_claims / seconds),
                "claims_posted": posted,
                "exceptions": exceptions,
                "target_seconds": TARGET_SECONDS,
                "meets_target": seconds < TARGET_SECONDS,
                "seed_seconds": round(seed_s, 1),
            }
        ),
        flush=True,
    )
    print(
        json.dumps(
            {
                "bench": "ledger_check",
                "database": connection.vendor,
                "lines": world.line_count,
                "seconds": round(check_s, 2),
                "broken_lines": len(problems),
            }
        ),
        flush=True,
    )
    _one_big_payment(int(os.environ.get("BUREAU_BENCH_ONE_PAYMENT_CLAIMS", "50000")), role)


def _one_big_payment(n_claims: int, role: str) -> None:
    """One file, one payment of `n_claims` claims: seeded here, posted in a fresh process (so
    no memory freed by the seeding is reused and hidden) that reports its peak."""
    from django.db import connection

    from bench.scale import envelope, remittances_for, seed_submitted_claims
    from bureau.x12.writer835 import write_835

    if role:
        with connection.cursor() as cursor:
            cursor.execute("RESET ROLE")  # seeding is the owner's work
    world = seed_submitted_claims(n_claims, practices=1, seed=8)
    (payment,) = remittances_for(world, n_claims)
    with tempfile.NamedTemporaryFile("w", suffix=".835", delete=False) as handle:
        handle.write(write_835(envelope(900), [payment]))  # type: ignore[arg-type,list-item]
    connection.close()
    try:
        # Each in a fresh process: a driver's buffers, once grown, stay resident and would
        # hide the other's growth.
        storing = subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.bench_era_ingest", "--store", handle.name],
            cwd=ROOT,
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
        subprocess.run(  # noqa: S603 - our own interpreter and module
            [sys.executable, "-m", "bench.bench_era_ingest", handle.name, str(world.workspace_id)],
            cwd=ROOT,
            check=True,
            env={**os.environ, "BENCH_STORING_MB": storing},
        )
    finally:
        os.unlink(handle.name)


def _post_one_file(path: str, workspace_id: int) -> None:
    import gc

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bureau.settings")
    import django

    django.setup()
    from django.conf import settings
    from django.db import connection

    from bureau.remittance.services import ingest_era_text
    from bureau.tenancy.models import Workspace

    text = Path(path).read_text(encoding="utf-8")
    workspace = Workspace.objects.get(pk=workspace_id)
    role = getattr(settings, "BUREAU_DB_APP_ROLE", "")
    if role:
        with connection.cursor() as cursor:
            cursor.execute(f"SET ROLE {connection.ops.quote_name(role)}")
    gc.collect()
    storing = float(os.environ.get("BENCH_STORING_MB", "0"))
    before = _reset_peak_rss()
    started = time.perf_counter()
    result = ingest_era_text(actor=None, workspace=workspace, text=text, file_name="one.835")
    seconds = time.perf_counter() - started
    growth = _status_kb("VmHWM") / 1e3 - before
    (era,) = result.eras
    text_mb = len(text) / 1e6
    print(
        json.dumps(
            {
                "bench": "era_one_payment_post",
                "database": connection.vendor,
                "role": role or "owner",
                "claims": era.claims,
                "claims_posted": era.posted,
                "exceptions": era.exceptions,
                "seconds": round(seconds, 1),
                "claims_per_s": round(era.claims / seconds),
                "text_mb": round(text_mb, 1),
                "peak_growth_mb": round(growth, 1),
                "storing_text_mb": round(storing, 1),
                "posting_mb": round(growth - storing, 1),
                "target_mb": TARGET_PEAK_GROWTH_MB,
                "meets_target": growth - storing < TARGET_PEAK_GROWTH_MB,
            }
        ),
        flush=True,
    )


def _driver_cost(path: str) -> float:
    """Peak MB the database driver takes to send the file's text (the ERA's stored copy):
    psycopg and libpq hold several copies of a parameter while it is sent."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bureau.settings")
    import django

    django.setup()
    from django.db import connection

    text = Path(path).read_text(encoding="utf-8")

    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMP TABLE bench_text (content text)")
        before = _reset_peak_rss()
        cursor.execute("INSERT INTO bench_text VALUES (%s)", [text])
        cost = _status_kb("VmHWM") / 1e3 - before
        cursor.execute("DROP TABLE bench_text")
    return cost


def _status_kb(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def _reset_peak_rss() -> float:
    """Resident MB now, with the high-water mark reset to it (Linux: clear_refs 5)."""
    Path("/proc/self/clear_refs").write_text("5")
    return _status_kb("VmRSS") / 1e3


if __name__ == "__main__":
    if sys.argv[1:2] == ["--store"]:  # the fresh processes of `_one_big_payment`
        print(round(_driver_cost(sys.argv[2]), 1))
    elif len(sys.argv) == 3:
        _post_one_file(sys.argv[1], int(sys.argv[2]))
    else:
        _run()
