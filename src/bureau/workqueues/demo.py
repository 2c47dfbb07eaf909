"""The demo's queue: after the seed (and the simulated days) every item is derived from the
records by the refresh, then a few are taken and worked by the demo's people, so the queue
opens the way a Tuesday morning looks: some items held, attempts logged, one pended, two
underpayments recovered."""

from __future__ import annotations

import random
from datetime import timedelta

from bureau import clock
from bureau.accounts.models import User
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Workspace
from bureau.workqueues import services
from bureau.workqueues.functions import Function
from bureau.workqueues.models import Channel, Outcome
from bureau.workqueues.selectors import QueueFilters
from bureau.workqueues.sync import SyncReport, refresh

# Who takes what in the demo, and how many.
WORKERS = (
    ("dan.denials", Function.DENIALS, 4),
    ("bella.biller", Function.REJECTIONS, 2),
    ("bella.biller", Function.FOLLOWUP, 2),
    ("priya.poster", Function.POSTING_REVIEW, 2),
)


def demo_queue(workspace: Workspace, *, seed: int = 2026, work: bool = True) -> SyncReport:
    report = refresh(workspace=workspace)
    if work:
        _work(workspace, random.Random(seed))
    return report


def _work(workspace: Workspace, rng: random.Random) -> None:
    today = clock.now().date()
    for username, function, count in WORKERS:
        user = User.objects.filter(workspace=workspace, username=username).first()
        actor = resolve_actor(user) if user is not None else None
        if actor is None:
            continue
        for n in range(count):
            item = services.take_next(actor=actor, filters=QueueFilters(functions=(function,)))
            if item is None:
                break
            services.attempt_record(
                actor=actor,
                public_id=item.public_id,
                data=services.AttemptData(
                    channel=rng.choice([Channel.PHONE, Channel.PORTAL]),
                    outcome=rng.choice([Outcome.P1, Outcome.P3, Outcome.LEFT_MESSAGE]),
                    minutes=rng.randint(4, 25),
                    representative=rng.choice(["Dana at provider services", "Portal", "Lee R."]),
                    reference=f"CS{rng.randrange(10**7):07d}",
                    next_action_on=today + timedelta(days=rng.randint(3, 10)),
                    note="Demo: payer says the claim is in process.",
                ),
            )
            if n == count - 1:
                services.items_pend(
                    actor=actor,
                    public_ids=[item.public_id],
                    until=today + timedelta(days=7),
                    reason="Waiting for the payer's callback",
                )
    _recover_underpayments(workspace, rng)


def _recover_underpayments(workspace: Workspace, rng: random.Random) -> None:
    """The account manager works two underpayments to the end: the payer reprocesses at the
    contract rate, so the history shows work done and dollars recovered, not only work open."""
    user = User.objects.filter(workspace=workspace, username="olivia.owner").first()
    actor = resolve_actor(user) if user is not None else None
    if actor is None:
        return
    for _ in range(2):
        item = services.take_next(
            actor=actor, filters=QueueFilters(functions=(Function.UNDERPAYMENTS,))
        )
        if item is None:
            return
        services.attempt_record(
            actor=actor,
            public_id=item.public_id,
            data=services.AttemptData(
                channel=Channel.PHONE,
                outcome=Outcome.PROMISED,
                minutes=rng.randint(8, 20),
                representative="Provider services",
                reference=f"RP{rng.randrange(10**7):07d}",
                next_action_on=None,
                note="Demo: paid below the contract rate; payer will reprocess.",
            ),
        )
        services.item_done(
            actor=actor,
            public_id=item.public_id,
            note="Demo: reprocessed at the contract rate.",
            recovered=item.amount,
        )
