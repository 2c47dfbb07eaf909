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
from bureau.tenancy.roles import Capability
from bureau.workqueues import questions, services
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
    _ask_the_client(workspace)


# What the demo's people ask the client practice, and whether the client has answered yet.
QUESTIONS = (
    (
        "dan.denials",
        Function.DENIALS,
        "Please upload the operative report for this date of "
        "service: the payer needs it to reconsider medical necessity.",
        "Uploaded to the portal this morning (op report, 2 pages).",
    ),
    (
        "bella.biller",
        Function.REJECTIONS,
        "The member id on file is rejected: is there a new insurance card for this patient?",
        "",
    ),
    (
        "bella.biller",
        Function.FOLLOWUP,
        "The payer has no record of this visit: can you confirm "
        "the patient was seen on this date, and by whom?",
        "",
    ),
)


def _ask_the_client(workspace: Workspace) -> None:
    """Questions waiting on the client viewer's practice (one answered), so her portal page
    and the items' pages show both sides."""
    client_user = User.objects.filter(workspace=workspace, username="cliff.client").first()
    client = resolve_actor(client_user) if client_user is not None else None
    if client is None:
        return
    practice_ids = client.practice_ids(Capability.QUESTIONS_ANSWER)
    if not practice_ids:
        return
    practice_id = sorted(practice_ids)[0]
    for username, function, question, answer in QUESTIONS:
        user = User.objects.filter(workspace=workspace, username=username).first()
        actor = resolve_actor(user) if user is not None else None
        if actor is None:
            continue
        item = services.take_next(
            actor=actor, filters=QueueFilters(functions=(function,), practice_id=practice_id)
        )
        if item is None:
            continue
        asked = questions.ask_practice(actor=actor, public_id=item.public_id, question=question)
        if answer:
            questions.answer_question(actor=client, public_id=asked.public_id, answer=answer)


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
