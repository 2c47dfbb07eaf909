"""ERA ingest + auto-posting of 100,000 claims into PostgreSQL (target: under 60 s).

Seeds 100,000 SUBMITTED claims (1-3 lines, charges on the ledger) with `bench.scale`, writes the
835s that pay them (5,000 claims per payment, ~80 % paid, ~10 % partial, ~10 % denied), then
times `ingest_era_text` — parse, match, post ledger entries, denials, underpayment checks, claim
states and audit — file by file, as the runtime role under row-level security. Seeding and file
generation are not timed. `bureau ledger check`'s invariant is verified afterwards.

Runs itself under `scripts/with-postgres.sh` (a throwaway cluster) unless DATABASE_URL already
points at PostgreSQL. BUREAU_BENCH_ERA_CLAIMS changes the claim count.
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
    from bureau.remittance.ledger import ledger_check
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


if __name__ == "__main__":
    _run()
