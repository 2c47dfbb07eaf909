"""CPU per page of the load mix, in one process: ``python -m bench.profile_pages [options]``.

Seeds the demo as the load benchmark does (30 simulated days; SQLite unless DATABASE_URL
points at PostgreSQL), signs in one supervisor who works every practice (MFA verified, as
bench_load's users), then requests each page of bench_load's MIX through the whole Django
stack with the test client and prints, per page: mean CPU ms (process time of this process:
on SQLite that includes the database's own work, on PostgreSQL it does not, and a column adds
the CPU of the server process that ran the queries), mean wall ms and queries per request,
then the mean over the mix.

Not a timed part of `make bench` (bench_load measures the server): this is the tool for
finding where a page's CPU goes.

Comparing two versions: this machine's speed drifts by up to ±40 % within minutes (the same
code and database read 13.6 ms a page at one time and 21.1 ms an hour later), so two runs
minutes apart prove nothing. Compare interleaved, in one process where a setting is the
difference (alternate A and B rounds on the same connection), or alternate the two
versions' runs several times and compare the spread, never one run of each.

  --requests N     timed requests per page and round (default 30), after --warmup (default 3)
  --rounds R       rounds (default 3); each page reports its best round's means
  --profile PAGE   also print cProfile's top functions for PAGE (cumulative and tottime)
  --top N          rows of each profile table (default 40); with BUREAU_PROFILE_DUMP=FILE the
                   profile is also written to FILE for pstats
  --json           one JSON object per page instead of the table

On SQLite the seeded database is kept in var/profile-pages/ (keyed by the migration files) and
copied fresh for each run, so a run after the first takes seconds; --reseed rebuilds it. On
PostgreSQL run it under scripts/with-postgres.sh: it seeds as the owner and requests as the
runtime role (RLS), as the server does.
"""

from __future__ import annotations

import argparse
import cProfile
import hashlib
import io
import json
import os
import pstats
import random
import shutil
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bench.bench_load import MIX, _load_users, _path, _record_urls, take_nightly_snapshot

ROOT = Path(__file__).resolve().parent.parent
CACHE = ROOT / "var" / "profile-pages"
PATIENTS_PER_PRACTICE = 60
SIMULATE_DAYS = 30


def _on_postgres() -> bool:
    return os.environ.get("DATABASE_URL", "").startswith("postgres")


def _seed_key() -> str:
    """Changes when a migration or the demo seed changes: the cached database is rebuilt."""
    digest = hashlib.sha256()
    sources = sorted((ROOT / "src" / "bureau").glob("*/migrations/*.py"))
    sources += [ROOT / "src/bureau/demo.py", ROOT / "src/bureau/demo_claims.py"]
    for path in sources:
        digest.update(str(path.relative_to(ROOT)).encode())
        digest.update(path.read_bytes())
    return digest.hexdigest()[:16]


def _setup(reseed: bool) -> None:
    """Point Django at a fresh copy of the seeded database (seeding it first when needed)."""
    if _on_postgres():
        import tempfile

        os.environ["BUREAU_VAR_DIR"] = tempfile.mkdtemp(prefix="bureau-profile-")
    else:
        CACHE.mkdir(parents=True, exist_ok=True)
        os.environ["BUREAU_VAR_DIR"] = str(CACHE)
        os.environ.pop("DATABASE_URL", None)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "bureau.settings")
    os.environ.setdefault("BUREAU_ALLOWED_HOSTS", "testserver")
    seeded = CACHE / f"seeded-{_seed_key()}.sqlite3"
    live = CACHE / "bureau.sqlite3"
    fresh = _on_postgres() or reseed or not seeded.exists()
    if not _on_postgres():
        for path in CACHE.glob("bureau.sqlite3*"):
            path.unlink()
        if not fresh:
            shutil.copyfile(seeded, live)
    import django

    django.setup()
    if fresh:
        from django.core.management import call_command

        from bureau.demo import seed_demo

        started = time.perf_counter()
        call_command("migrate", verbosity=0)
        seed_demo(patients_per_practice=PATIENTS_PER_PRACTICE, simulate_days=SIMULATE_DAYS)
        take_nightly_snapshot()
        print(f"seeded in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        if not _on_postgres():
            from django.db import connection

            connection.close()
            for old in CACHE.glob("seeded-*.sqlite3"):
                old.unlink()
            # One file: fold the write-ahead log in before copying.
            import sqlite3

            with sqlite3.connect(live) as db:
                db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
            shutil.copyfile(live, seeded)


def _as_runtime_role() -> None:
    """On PostgreSQL, request as the non-owner runtime role, under RLS, like `bureau web`."""
    from django.conf import settings
    from django.db import connection

    if connection.vendor != "postgresql" or not settings.BUREAU_DB_APP_ROLE:
        return
    connection.close()
    connection.settings_dict.setdefault("OPTIONS", {})["assume_role"] = settings.BUREAU_DB_APP_ROLE


class _Counter:
    """Counts queries without Django's debug cursor (which records every SQL string)."""

    def __init__(self) -> None:
        self.n = 0

    def __call__(self, execute: Callable[..., Any], sql: str, params: Any, many: bool,
                 context: Any) -> Any:  # fmt: skip
        self.n += 1
        return execute(sql, params, many, context)


def measure(pages: tuple[str, ...], requests: int, warmup: int, rounds: int,
            profile: str | None, top: int) -> list[dict[str, Any]]:  # fmt: skip
    """Per page, the best of `rounds` rounds of `requests` requests (the machine is shared:
    the best round is the least disturbed one), then a separate profiled pass if asked."""
    from django.test import Client

    # bench_load's 50 users, so the pages list as many people as there (the assign menus).
    cookie = _load_users()[0]
    urls = _record_urls()
    _as_runtime_role()
    client = Client()
    client.cookies["sessionid"] = cookie
    rng = random.Random(2026)
    for page in pages:
        for _ in range(warmup):
            _get(client, _path(page, urls, rng))
    best: dict[str, dict[str, Any]] = {}
    for _ in range(rounds):
        for page in pages:
            row = _round(client, page, urls, rng, requests)
            kept = best.setdefault(page, row)
            kept["cpu_ms"] = min(kept["cpu_ms"], row["cpu_ms"])
            kept["wall_ms"] = min(kept["wall_ms"], row["wall_ms"])
            if "db_cpu_ms" in row:
                kept["db_cpu_ms"] = min(kept["db_cpu_ms"], row["db_cpu_ms"])
    if profile is not None:
        # CPU time, not wall: on PostgreSQL the server runs on the same cores, and a wall
        # clock books its turn on the CPU to whatever call was waiting (socket sends, mostly).
        profiler = cProfile.Profile(time.process_time)
        _round(client, profile, urls, rng, requests, profiler)
        _print_profile(profile, profiler, top)
    return [best[page] for page in pages]


def _round(client: Any, page: str, urls: dict[str, list[str]], rng: random.Random,
           requests: int, profiler: cProfile.Profile | None = None) -> dict[str, Any]:  # fmt: skip
    from django.db import connection

    counter = _Counter()
    cpu = wall = 0.0
    db_before = _db_cpu()
    with connection.execute_wrapper(counter):
        for _ in range(requests):
            path = _path(page, urls, rng)
            c0, w0 = time.process_time(), time.perf_counter()
            if profiler is not None:
                profiler.enable()
            _get(client, path)
            if profiler is not None:
                profiler.disable()
            cpu += time.process_time() - c0
            wall += time.perf_counter() - w0
    db_after = _db_cpu()
    return {
        "page": page,
        "cpu_ms": round(cpu / requests * 1000, 2),
        "wall_ms": round(wall / requests * 1000, 2),
        "queries": round(counter.n / requests, 1),
        **(
            {"db_cpu_ms": round((db_after - db_before) / requests * 1000, 2)}
            if db_before is not None and db_after is not None
            else {}
        ),
    }


def _db_cpu() -> float | None:
    """CPU seconds of the PostgreSQL backend serving this process's connection (the server's
    share of a page: parsing, planning and running its queries), from /proc; None elsewhere or
    when the connection changed (it is kept between requests, CONN_MAX_AGE)."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    connection.ensure_connection()
    pid = connection.connection.info.backend_pid
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _get(client: Any, path: str) -> None:
    response = client.get(path)
    if response.status_code != 200:
        raise RuntimeError(f"GET {path} answered {response.status_code}")


def _print_profile(page: str, profiler: cProfile.Profile, top: int) -> None:
    for order in ("cumulative", "tottime"):
        out = io.StringIO()
        stats = pstats.Stats(profiler, stream=out)
        stats.strip_dirs().sort_stats(order).print_stats(top)
        print(f"== {page}: by {order} ==", file=sys.stderr)
        if dump := os.environ.get("BUREAU_PROFILE_DUMP"):
            # For pstats by hand (callers of a hot function): `stats.print_callers("identity")`.
            profiler.dump_stats(dump)
        print(out.getvalue(), file=sys.stderr)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.profile_pages")
    parser.add_argument("--requests", type=int, default=30)
    parser.add_argument("--warmup", type=int, default=3)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--profile", choices=MIX)
    parser.add_argument("--top", type=int, default=40)
    parser.add_argument("--page", action="append", choices=MIX, help="only these pages")
    parser.add_argument("--reseed", action="store_true")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)
    _setup(args.reseed)
    pages = tuple(args.page) if args.page else MIX
    rows = measure(pages, args.requests, args.warmup, args.rounds, args.profile, args.top)
    from django.db import connection

    if args.json:
        for row in rows:
            print(json.dumps({"bench": "profile_pages", "database": connection.vendor, **row}))
        return
    print(
        f"{connection.vendor}: per page, the best of {args.rounds} rounds of {args.requests} "
        f"requests, after {args.warmup} warm-up"
    )
    db = all("db_cpu_ms" in r for r in rows)
    head = f"{'page':<10} {'cpu ms':>8} {'wall ms':>8} {'queries':>8}"
    print(head + (f" {'db cpu ms':>10}" if db else ""))
    for row in rows:
        cpu, wall, queries = row["cpu_ms"], row["wall_ms"], row["queries"]
        line = f"{row['page']:<10} {cpu:>8.2f} {wall:>8.2f} {queries:>8.1f}"
        print(line + (f" {row['db_cpu_ms']:>10.2f}" if db else ""))
    n = len(rows)
    line = (
        f"{'mean':<10} {sum(r['cpu_ms'] for r in rows) / n:>8.2f} "
        f"{sum(r['wall_ms'] for r in rows) / n:>8.2f} {sum(r['queries'] for r in rows) / n:>8.1f}"
    )
    print(line + (f" {sum(r['db_cpu_ms'] for r in rows) / n:>10.2f}" if db else ""))


if __name__ == "__main__":
    main()
