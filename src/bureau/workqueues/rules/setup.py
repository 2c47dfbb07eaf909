"""Setup gaps: a payer billed without an enrollment on file, an enrollment due for
revalidation within 90 days, an open step of the practice's onboarding checklist (every open
step while it is onboarding; afterwards the blocking ones, which stop its claims). Worked by
whoever manages the practice's setup."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from django.db.models import Max, Min, Q, Sum
from django.utils import timezone

from bureau.claims.models import Claim, ClaimState
from bureau.directory.models import Enrollment, EnrollmentStatus
from bureau.tenancy.models import PracticeStatus
from bureau.workqueues.deadlines import Clock, ClockKind
from bureau.workqueues.models import SubjectKind
from bureau.workqueues.rules.base import Desired, Narrow, PracticeFacts, money
from bureau.workqueues.rules.claims import REASON, pair_key, pairs_of_claims

REVALIDATION_WINDOW = timedelta(days=90)


def setup_gap_items(facts: PracticeFacts, narrow: Narrow) -> Q | None:
    if narrow.everything:
        return Q()
    pairs = set(narrow.pairs or ())
    if narrow.claim_ids:
        pairs |= pairs_of_claims(facts, narrow.claim_ids)
    if not pairs:
        return None
    enrollment_keys = [
        f"enrollment:{pk}"
        for pk in Enrollment.objects.filter(
            practice_id=facts.practice.pk, provider_id__in={p for p, _ in pairs}
        ).values_list("pk", flat=True)
    ]
    return Q(subject_key__in=[pair_key(p, y) for p, y in sorted(pairs)] + enrollment_keys)


def setup_gaps(facts: PracticeFacts, narrow: Narrow) -> Iterator[Desired]:
    pairs = None
    if not narrow.everything:
        pairs = set(narrow.pairs or ())
        if narrow.claim_ids:
            pairs |= pairs_of_claims(facts, narrow.claim_ids)
        if not pairs:
            return
    enrollments = Enrollment.objects.filter(practice_id=facts.practice.pk).select_related(
        "provider", "payer"
    )
    on_file = {(e.provider_id, e.payer_id): e for e in enrollments}
    yield from _revalidations(facts, [e for k, e in on_file.items() if pairs is None or k in pairs])
    yield from _missing(facts, set(on_file), pairs)
    if pairs is None:  # the checklist reads the whole practice: full refreshes only
        yield from _onboarding(facts)


def _onboarding(facts: PracticeFacts) -> Iterator[Desired]:
    """One item per open onboarding step (a narrow sync never looks at them: their keys are
    not a pair's or an enrollment's). A step done in the data closes its item on the next
    refresh; one a person closes stays closed (setup gaps are closed by a person)."""
    from bureau.directory.onboarding import checklist

    practice = facts.practice
    if practice.status not in (PracticeStatus.ONBOARDING, PracticeStatus.ACTIVE):
        return
    steps = checklist(practice, facts.today).open_steps
    if practice.status != PracticeStatus.ONBOARDING:
        steps = [s for s in steps if s.blocking]
    for step in steps:
        yield Desired(
            subject_kind=SubjectKind.PRACTICE,
            subject_key=f"onboarding:{practice.pk}:{step.key}",
            title=f"Onboarding {practice.name}: {step.title}",
            amount=money(0),
            opened_at=min(facts.now, practice.created_at),
            facts={
                "kind": "onboarding",
                "step": step.key,
                "says": step.says,
                "url": step.url,
                "blocking": step.blocking,
            },
        )


def _start_of(facts: PracticeFacts, day: date) -> datetime:
    return timezone.make_aware(datetime.combine(day, time(8)), ZoneInfo(facts.practice.timezone))


def _revalidations(facts: PracticeFacts, enrollments: list[Enrollment]) -> Iterator[Desired]:
    horizon = facts.today + REVALIDATION_WINDOW
    for e in enrollments:
        due = e.revalidation_date
        if e.status != EnrollmentStatus.ACTIVE or due is None or due > horizon:
            continue
        yield Desired(
            subject_kind=SubjectKind.ENROLLMENT,
            subject_key=f"enrollment:{e.pk}",
            title=f"Revalidate {e.provider.name} with {e.payer.name} by {due.isoformat()}",
            amount=money(0),
            opened_at=min(facts.now, _start_of(facts, due - REVALIDATION_WINDOW)),
            payer_id=e.payer_id,
            provider_id=e.provider_id,
            enrollment_id=e.pk,
            facts={"revalidation_date": due.isoformat(), "kind": "revalidation"},
            clocks=[Clock(ClockKind.REVALIDATION, due, f"{e.payer.name} revalidation date")],
        )


def _missing(
    facts: PracticeFacts, on_file: set[tuple[int, int]], pairs: set[tuple[int, int]] | None
) -> Iterator[Desired]:
    """Provider × payer pairs billed in the last 12 months with no enrollment row at all, and
    no claim on credentialing hold (those pairs are the credentialing item's work)."""
    since = facts.today - timedelta(days=365)
    qs = Claim.objects.for_system([facts.practice.pk], reason=REASON).filter(
        practice_id=facts.practice.pk, encounter__date_of_service__gte=since
    )
    if pairs is not None:
        condition = Q(pk__in=[])
        for provider_id, payer_id in sorted(pairs - on_file):
            condition |= Q(encounter__rendering_provider_id=provider_id, payer_id=payer_id)
        qs = qs.filter(condition)
    held = set(
        qs.filter(state=ClaimState.CREDENTIALING_HOLD)
        .values_list("encounter__rendering_provider_id", "payer_id")
        .distinct()
    )
    billed = (
        qs.values("encounter__rendering_provider_id", "payer_id")
        .annotate(charges=Sum("total_charge"), first=Min("created_at"), last=Max("created_at"))
        .order_by()
    )
    for row in billed:
        pair = (row["encounter__rendering_provider_id"], row["payer_id"])
        if pair in on_file or pair in held:
            continue
        payer = facts.payers[pair[1]]
        yield Desired(
            subject_kind=SubjectKind.ENROLLMENT,
            subject_key=pair_key(*pair),
            title=f"No enrollment on file with {payer.name} for a provider billing it",
            amount=money(row["charges"]),
            opened_at=row["first"],
            payer_id=pair[1],
            provider_id=pair[0],
            facts={"kind": "missing_enrollment", "last_billed": row["last"].date().isoformat()},
        )
