"""Rules whose subject is a claim's own state: rejections, follow-up, credentialing holds."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from django.db.models import Q

from bureau.claims.models import Acknowledgement, Claim, ClaimState
from bureau.directory.models import Enrollment
from bureau.workqueues import sla
from bureau.workqueues.models import SubjectKind
from bureau.workqueues.rules.base import Desired, Narrow, PracticeFacts, money, within

REASON = "work queue: which records call for work"
CLAIM_FIELDS = (
    "pk",
    "number",
    "payer_id",
    "total_charge",
    "updated_at",
    "encounter__date_of_service",
    "encounter__rendering_provider_id",
    "batch_id",
)


def _claims(facts: PracticeFacts, narrow: Narrow, **state: Any) -> Iterator[dict[str, Any]]:
    qs = (
        Claim.objects.for_system([facts.practice.pk], reason=REASON)
        .filter(practice_id=facts.practice.pk, **state)
        .filter(within(narrow.claim_ids, "pk"))
    )
    yield from qs.values(*CLAIM_FIELDS)


def claim_items(narrow: Narrow) -> Q | None:
    if narrow.claim_ids is None and not narrow.everything:
        return None
    return within(narrow.claim_ids, "claim_id")


# -- rejections ----------------------------------------------------------------------------------


def _rejection_reasons(
    facts: PracticeFacts, rows: list[dict[str, Any]]
) -> dict[int, tuple[str, str]]:
    """The latest rejection (status code, message) of each claim: its own 277CA line or its
    batch's 999, whichever came later (as the claim list says it)."""
    found: dict[int, tuple[str, str]] = {}
    for start in range(0, len(rows), 5000):
        chunk = rows[start : start + 5000]
        batch_ids = sorted({r["batch_id"] for r in chunk if r["batch_id"] is not None})
        acks = (
            Acknowledgement.objects.for_system([facts.practice.pk], reason=REASON)
            .filter(accepted=False)
            .filter(
                Q(claim_id__in=[r["pk"] for r in chunk])
                | Q(claim__isnull=True, batch_id__in=batch_ids)
            )
            .order_by("received_at", "id")
            .values_list("claim_id", "batch_id", "status_code", "message")
        )
        # Oldest first, so each dict ends holding the latest word.
        by_claim: dict[int, tuple[int, str, str]] = {}
        by_batch: dict[int, tuple[int, str, str]] = {}
        for order, (claim_id, batch_id, code, message) in enumerate(acks):
            if claim_id is not None:
                by_claim[claim_id] = (order, code, message)
            elif batch_id is not None:
                by_batch[batch_id] = (order, code, message)
        none = (-1, "", "")
        for r in chunk:
            _, code, message = max(by_claim.get(r["pk"], none), by_batch.get(r["batch_id"], none))
            if code or message:
                found[r["pk"]] = (code, message)
    return found


def rejections(facts: PracticeFacts, narrow: Narrow) -> Iterator[Desired]:
    """A claim the clearinghouse or payer rejected (999/277CA) is corrected and resubmitted;
    the filing limit still runs, since a rejected claim never reached adjudication."""
    rows = list(_claims(facts, narrow, state=ClaimState.REJECTED))
    reasons = _rejection_reasons(facts, rows)
    for row in rows:
        code, message = reasons.get(row["pk"], ("", ""))
        yield Desired(
            subject_kind=SubjectKind.CLAIM,
            subject_key=f"claim:{row['pk']}",
            title=f"Rejected {code}: {message}".strip()[:200] if code else "Rejected",
            amount=money(row["total_charge"]),
            opened_at=row["updated_at"],
            payer_id=row["payer_id"],
            claim_id=row["pk"],
            facts={"status_code": code, "message": message[:300]},
            clocks=facts.claim_clocks(
                payer_id=row["payer_id"], date_of_service=row["encounter__date_of_service"]
            ),
        )


# -- follow-up -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Silence:
    """One kind of silence follow-up answers: the state the claim waits in, how many days
    are late for it, and what the item says."""

    state: ClaimState
    kind: str
    days: Callable[[PracticeFacts, int], int]  # (facts, payer id) -> days
    title: str  # with {days}
    counts_acceptance: bool  # the acceptance date starts the corrected-claim window


SILENCES = (
    Silence(
        ClaimState.ACCEPTED,
        "no_835",
        lambda facts, payer_id: sla.followup_interval_days(facts.effective, payer_id),
        "No payment or denial {days} days after acceptance",
        counts_acceptance=True,
    ),
    Silence(
        ClaimState.SUBMITTED,
        "no_ack",
        lambda facts, _payer_id: sla.no_ack_days(facts.effective),
        "No acknowledgement {days} days after submission",
        counts_acceptance=False,
    ),
)


def followup(facts: PracticeFacts, narrow: Narrow) -> Iterator[Desired]:
    """A claim the payer accepted with no 835 after `followup.interval_days` (per practice and
    payer), or a submitted claim with no acknowledgement after `followup.no_ack_days`: someone
    calls or checks the portal. Opened on the day the silence became late, so age counts from
    then."""
    for silence in SILENCES:
        for row in _claims(facts, narrow, state=silence.state):
            due = row["updated_at"] + timedelta(days=silence.days(facts, row["payer_id"]))
            if due > facts.now:
                continue
            since = facts.local_date(row["updated_at"])
            yield Desired(
                subject_kind=SubjectKind.CLAIM,
                subject_key=f"claim:{row['pk']}",
                title=silence.title.format(days=(facts.today - since).days),
                amount=money(row["total_charge"]),
                opened_at=due,
                payer_id=row["payer_id"],
                claim_id=row["pk"],
                facts={"waiting_since": since.isoformat(), "kind": silence.kind},
                clocks=facts.claim_clocks(
                    payer_id=row["payer_id"],
                    date_of_service=row["encounter__date_of_service"],
                    accepted_on=since if silence.counts_acceptance else None,
                ),
            )


# -- credentialing holds -------------------------------------------------------------------------


def pair_key(provider_id: int, payer_id: int) -> str:
    return f"pair:{provider_id}:{payer_id}"


def pairs_of_claims(facts: PracticeFacts, claim_ids: frozenset[int]) -> set[tuple[int, int]]:
    """The (rendering provider, payer) pairs of these claims, in any state."""
    rows = (
        Claim.objects.for_system([facts.practice.pk], reason=REASON)
        .filter(practice_id=facts.practice.pk, pk__in=sorted(claim_ids))
        .values_list("encounter__rendering_provider_id", "payer_id")
        .distinct()
    )
    return set(rows)


def _pair_narrow(facts: PracticeFacts, narrow: Narrow) -> set[tuple[int, int]] | None:
    if narrow.everything:
        return None
    pairs = set(narrow.pairs or ())
    if narrow.claim_ids:
        pairs |= pairs_of_claims(facts, narrow.claim_ids)
    return pairs


def pair_items(facts: PracticeFacts, narrow: Narrow) -> Q | None:
    pairs = _pair_narrow(facts, narrow)
    if pairs is None:
        return Q()
    if not pairs:
        return None
    return Q(subject_key__in=[pair_key(p, y) for p, y in sorted(pairs)])


def credentialing(facts: PracticeFacts, narrow: Narrow) -> Iterator[Desired]:
    """Claims held because their rendering provider is not enrolled (in force) with the payer:
    one item per provider × payer, worked by getting the enrollment active (which releases
    and re-scrubs the held claims). The nearest filing limit among them is the deadline."""
    pairs = _pair_narrow(facts, narrow)
    if pairs is not None and not pairs:
        return
    qs = Claim.objects.for_system([facts.practice.pk], reason=REASON).filter(
        practice_id=facts.practice.pk, state=ClaimState.CREDENTIALING_HOLD
    )
    if pairs is not None:
        condition = Q(pk__in=[])
        for provider_id, payer_id in sorted(pairs):
            condition |= Q(encounter__rendering_provider_id=provider_id, payer_id=payer_id)
        qs = qs.filter(condition)
    held: dict[tuple[int, int], list[dict[str, Any]]] = defaultdict(list)
    for row in qs.values(*CLAIM_FIELDS):
        held[(row["encounter__rendering_provider_id"], row["payer_id"])].append(row)
    if not held:
        return
    enrollments = {
        (e.provider_id, e.payer_id): e
        for e in Enrollment.objects.filter(
            practice_id=facts.practice.pk, provider_id__in={p for p, _ in held}
        ).select_related("provider")
    }
    for (provider_id, payer_id), rows in sorted(held.items()):
        enrollment = enrollments.get((provider_id, payer_id))
        clocks = min(
            (
                facts.claim_clocks(
                    payer_id=payer_id, date_of_service=r["encounter__date_of_service"]
                )
                for r in rows
            ),
            key=lambda found: found[0].due if found else facts.today,
        )
        status = enrollment.status if enrollment is not None else "missing"
        payer = facts.payers[payer_id]
        yield Desired(
            subject_kind=SubjectKind.ENROLLMENT,
            subject_key=pair_key(provider_id, payer_id),
            title=f"{len(rows)} claim(s) held: enrollment with {payer.name} is {status}",
            amount=money(sum(r["total_charge"] for r in rows)),
            opened_at=min(r["updated_at"] for r in rows),
            payer_id=payer_id,
            provider_id=provider_id,
            enrollment_id=enrollment.pk if enrollment is not None else None,
            facts={"held_claims": len(rows), "enrollment_status": status},
            clocks=clocks,
        )
