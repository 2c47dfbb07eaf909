"""`bureau generate-book`: a new workspace holding a realistic book of business at scale.

Fifty practices (distinct NPIs with valid check digits, claim-number prefixes, time zones),
their providers (some billing under a group NPI), facilities, a shared list of 25 payers
(Medicare, Medicaid, commercial, with their filing and appeal limits), enrollments (a few
pending, which hold claims; some due for revalidation; a few missing for a payer with claims),
fee schedules and contract rates, patients and coverage (synthetic names only), and claims over
~15 months of dates of service in realistic states (see `claims.STATE_WEIGHTS`), with batches,
acknowledgements, ERAs, ledger entries, denials and ERA exceptions shaped as the services leave
them; four users with confirmed authenticators and grants (`<slug>.owner` on everything,
`<slug>.denials` and `<slug>.biller` on half the practices each, `<slug>.poster` on two).

This is seeding, like `seed-demo`: the rows are written directly, not through the services, and
no audit event is written per row — one `system.seeded` event records the generation in the new
workspace's chain, exactly as the demo seed does. Work items are not written: they are derived
state, and `bureau workqueue refresh` derives them from these records. Each run creates a NEW
workspace (a unique slug), so it can sit beside the demo or an earlier book. On PostgreSQL run
it as the table owner (the migration role), on a database nobody is working in (`sink.py`).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.book.claims import LOADED, generate_claims
from bureau.book.setup import BOOK_PASSWORD, make_book
from bureau.book.sink import BulkLoad
from bureau.ledger import balances
from bureau.remittance import adjudications
from bureau.tenancy.models import Workspace


@dataclass(frozen=True)
class BookResult:
    workspace: Workspace
    usernames: dict[str, str]
    rows: dict[str, int]
    states: dict[str, int]
    seconds: float


def generate_book(
    *,
    practices: int = 50,
    claims: int = 1_000_000,
    seed: int = 2026,
    workspace_name: str = "Book",
    say: Callable[[str], None] = print,
) -> BookResult:
    started = time.perf_counter()
    rng = random.Random(seed)
    today = timezone.localdate()

    def stage(name: str, since: float) -> float:
        now = time.perf_counter()
        say(f"{name}: {now - since:.1f} s (total {now - started:.1f} s)")
        return now

    with transaction.atomic():
        t = time.perf_counter()
        load = BulkLoad(LOADED, say).__enter__()
        book = make_book(rng, practices, workspace_name)
        t = stage(f"workspace {book.workspace.slug}: practices, payers, users", t)
        writer = generate_claims(book, claims, rng, today, say)
        t = stage("claims, remittances, ledger (rows written)", t)
        load.restore()
        t = stage("indexes and constraints rebuilt", t)
        # The ledger was written directly, not through its appender: build the projection
        # the appender keeps (each claim's balance, what A/R aging reads) in one statement.
        held = balances.rebuild(p.practice.pk for p in book.practices)
        t = stage(f"claim balances: {held:,} claims", t)
        # ... and the one the poster keeps of the loops (when each claim was first answered).
        answered = adjudications.rebuild(p.practice.pk for p in book.practices)
        t = stage(f"claim adjudication dates: {answered:,} claims", t)
        audit_record(
            action=AuditAction.SYSTEM_SEEDED,
            workspace=book.workspace,
            label="system (generate-book)",
            detail={"practices": practices, "claims": claims, "seed": seed},
        )
    t = stage("committed", t)
    load.analyze()
    stage("analyzed", t)
    return BookResult(
        workspace=book.workspace,
        usernames={short: user.username for short, user in book.users.items()},
        rows=writer.counts(),
        states=dict(writer.states),
        seconds=time.perf_counter() - started,
    )


__all__ = ["BOOK_PASSWORD", "BookResult", "generate_book"]
