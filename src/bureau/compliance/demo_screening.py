"""The demo's exclusion screening: last month's files and last month's run, mid-work.

The compliance officer (carla.compliance) imported the synthetic LEIE files shipped in
compliance/data/ (the full list, then the month's exclusions and reinstatements supplements)
and screened everyone, on the 18th of last month. Of the run's hits she resolved four as false
positives and confirmed one (each with her reason, on the days after); one possible match,
Dr. Leif Kilbride's name without a date of birth to tell, is still open: her work list.

Dates are relative to the day the demo is seeded. The audit events of the import, the run and
the resolutions carry the seeding's own time (the log is append-only and never backdated); the
records carry last month's dates, as the evidence pages show them.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime, time, timedelta
from pathlib import Path

from django.utils import timezone

from bureau.accounts.models import User
from bureau.compliance.exclusion_lists import ImportSource, exclusion_list_import
from bureau.compliance.models.screening import (
    ExclusionListImport,
    HitStatus,
    ListKind,
    ScreeningHit,
    ScreeningRun,
)
from bureau.compliance.screening import resolve_hit, screen
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Workspace

DATA = Path(__file__).resolve().parent / "data"
FILES = (
    ("leie_synthetic.csv", ListKind.FULL),
    ("leie_synthetic_exclusions.csv", ListKind.EXCLUSIONS),
    ("leie_synthetic_reinstatements.csv", ListKind.REINSTATEMENTS),
)
OFFICER = "carla.compliance"
OPEN_SUBJECT = "Dr. Leif Kilbride"  # the possible match left on the work list
# Who the officer resolved, how, and why (by the subject's name as screened).
RESOLUTIONS: dict[str, tuple[str, str]] = {
    "Bella Byrne": (
        HitStatus.FALSE_POSITIVE,
        "Listed as Bella Sutherland-Byrne, office manager, born 1990-01-15. Our Bella Byrne's "
        "HR file (I-9 and background check) shows a different date of birth and no former "
        "name Sutherland. Not her.",
    ),
    "Dan Delaney": (
        HitStatus.FALSE_POSITIVE,
        "The entry carries the initial D. only, billing clerk in another state, excluded "
        "2023-08-11. Dan Delaney's background check at hire (2024) was clear and his address "
        "history never includes that state. Not him.",
    ),
    "Dr. Wade Holloway": (
        HitStatus.FALSE_POSITIVE,
        "Listed as Wade Holloway-Quinn, pediatrics, born 1980-02-29. Dr. Holloway's "
        "credentialing file gives another date of birth and no other surname; his license "
        "verification is clean. Not him.",
    ),
    "Dr. Morgan Stirling": (
        HitStatus.FALSE_POSITIVE,
        "Listed Morgan Stirling is a dermatologist born 1977-07-23; ours is credentialed with "
        "another date of birth (CAQH profile) and her NPI is not on the list. Not her.",
    ),
    "Dr. Mira Greywood": (
        HitStatus.CONFIRMED,
        "Her NPI is the listed one; confirmed on OIG's online search (printout filed). "
        "Riverbend notified the same day; her claims are held from submission and claims "
        "since the exclusion date are under review for repayment.",
    ),
}


def _last_month_day(today: date, day: int) -> date:
    last_month_end = today.replace(day=1) - timedelta(days=1)
    return last_month_end.replace(day=min(day, last_month_end.day))


def _at(day: date, hour: int, minute: int = 0) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(hour, minute)))


def seed_screening(workspace: Workspace, say: Callable[[str], None] | None = None) -> ScreeningRun:
    officer_user = User.objects.get(workspace=workspace, username=OFFICER)
    officer = resolve_actor(officer_user)
    assert officer is not None, "the demo's compliance officer has her grants"
    ran_on = _last_month_day(timezone.localdate(), 18)
    for minute, (name, kind) in enumerate(FILES):
        with (DATA / name).open("rb") as handle:
            listing = exclusion_list_import(
                workspace=workspace,
                actor=officer,
                kind=kind,
                source=ImportSource(file_name=name, lines=handle),
            )
        ExclusionListImport.objects.filter(pk=listing.pk).update(
            imported_at=_at(ran_on, 9, minute * 5)
        )
    run = screen(workspace, actor=officer)
    ScreeningRun.objects.filter(pk=run.pk).update(ran_at=_at(ran_on, 9, 30))
    hits = {h.subject_label: h for h in ScreeningHit.objects.filter(run=run)}
    for offset, (subject, (outcome, reason)) in enumerate(RESOLUTIONS.items()):
        hit = hits.get(subject)
        if hit is None:
            continue  # the demo's people changed: nothing of theirs to resolve
        resolve_hit(officer, hit, outcome, reason)
        resolved_on = ran_on + timedelta(days=1 + offset // 2)
        ScreeningHit.objects.filter(pk=hit.pk).update(resolved_at=_at(resolved_on, 14, offset))
    run.refresh_from_db()
    if say is not None:
        left = ScreeningHit.objects.filter(run=run, status=HitStatus.OPEN).count()
        say(f"screening: run of {run.ran_at:%Y-%m-%d}, {run.hits} hits, {left} open")
    return run
