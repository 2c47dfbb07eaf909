"""The simulated cycle's mail room for appeals: appeals out to the simulated payer, its
decision letters in (issue 13). System work (actor None) for the practices of the run.

Each simulated day, before the poll: the appeals submitted by that day with no outcome go to
the simulator's appeals desk (`AppealDesk.receive`; it ignores what it already has). After the
poll (which takes in the 835s paying won appeals): the letters due that day are applied as
upheld outcomes through `denials.appeal_payer`, then filed as delivered.
"""

from __future__ import annotations

from datetime import date, timedelta

from bureau.clearinghouse.simulator.appeals import AppealDesk, AppealRecord
from bureau.clearinghouse.simulator.port import book_for, simulated, simulator_root
from bureau.denials.appeal_payer import (
    DecisionLetter,
    appeals_awaiting_payer,
    appeals_received_by_payer,
    appeals_upheld_by_payer,
)
from bureau.tenancy.models import Workspace


def _desk(workspace: Workspace, seed: int) -> AppealDesk:
    return AppealDesk(simulator_root(workspace), seed=seed, book=book_for(workspace))


def send_appeals(*, workspace: Workspace, practice_ids: list[int], day: date, seed: int) -> int:
    """Hand the payer the appeals it could have by `day`; returns how many it took in."""
    waiting = appeals_awaiting_payer(practice_ids=practice_ids, as_of=day)
    if not waiting:
        return 0
    records = [
        AppealRecord(
            appeal_id=a.appeal_id,
            level=a.level,
            category=a.category,
            payer_id=a.payer_id,
            claim_number=a.claim_number,
            payer_claim_number=a.payer_claim_number,
            submitted_on=a.submitted_on,
        )
        for a in waiting
    ]
    taken = set(_desk(workspace, seed).receive(records, day))
    appeals_received_by_payer(
        workspace=workspace, appeals=[a for a in waiting if a.appeal_id in taken], day=day
    )
    return len(taken)


def take_in_letters(*, workspace: Workspace, practice_ids: list[int], day: date, seed: int) -> int:
    """Apply the payer's decision letters due by `day`; returns how many appeals they decided."""
    desk = _desk(workspace, seed)
    due = desk.letters_due(day)
    if not due:
        return 0
    letters = [
        DecisionLetter(
            appeal_id=str(body.get("appeal_id", "")),
            outcome=str(body.get("outcome", "")),
            decided_on=date.fromisoformat(body["decided_on"]),
        )
        for _, body in due
    ]
    decided = appeals_upheld_by_payer(
        workspace=workspace, practice_ids=practice_ids, letters=letters
    )
    for name, _ in due:
        desk.letter_delivered(name)
    return decided


def replay_appeals(*, workspace: Workspace, start: date, end: date, seed: int) -> None:
    """Days `start` … `end` of the appeals loop only (send, poll and post, letters): for
    appeals made after a replayed cycle, back-dated (the demo)."""
    from bureau.clearinghouse.cycle import CycleSummary, _ingest_totals
    from bureau.clearinghouse.inbound import poll_and_ingest
    from bureau.clearinghouse.simulator.port import ROUTE
    from bureau.tenancy.models import Practice

    ids = sorted(Practice.objects.filter(workspace=workspace).values_list("pk", flat=True))
    summary = CycleSummary(start=start, end=end, seed=seed)
    day = start
    while day <= end:
        with simulated(day, seed=seed):
            send_appeals(workspace=workspace, practice_ids=ids, day=day, seed=seed)
            results = poll_and_ingest(actor=None, workspace=workspace, route=ROUTE, as_of=day)
            _ingest_totals(summary, results)
            take_in_letters(workspace=workspace, practice_ids=ids, day=day, seed=seed)
        day += timedelta(days=1)
