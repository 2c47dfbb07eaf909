"""Demo appeals (issue 13): after the simulated cycle, the denial specialist appeals denials the
simulator made, through the real services (audited, letters rendered on submission), and the
simulated payer decides them — won appeals paid on a later 835, upheld ones by letter — so the
denial pages show appeals at several levels with every outcome:

- old denials: a level-1 appeal written and sent a few days after the denial; the appeals loop
  is replayed from then to today (`appeal_mail.replay_appeals`), so the payer's decisions land
  on their simulated days: overturned, partially overturned, upheld;
- upheld and partly overturned ones: the next level opened a few days after the decision
  (Medicare: redetermination → reconsideration), most of them sent, and replayed again;
- recent denials: appeals sent and waiting for the payer, and appeals written but not sent.

Which denials to appeal is a demo designer's choice: the payer's decision is a pure function
(`simulator.appeals.decide`), so the demo picks denials that together show every outcome.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable
from datetime import date, timedelta

from django.db import transaction
from django.utils import timezone

from bureau.accounts.models import User
from bureau.clearinghouse.simulator.appeal_mail import replay_appeals
from bureau.clearinghouse.simulator.appeals import (
    OVERTURNED,
    PARTIAL,
    UPHELD,
    AppealDesk,
    AppealRecord,
    decide,
)
from bureau.clearinghouse.simulator.port import book_for, simulator_root
from bureau.denials.appeal_models import Appeal
from bureau.denials.appeals import AppealError, appeal_create, appeal_submit, appeal_write
from bureau.denials.models import Denial, DenialStatus
from bureau.directory.models import PayerKind
from bureau.remittance.models import EraException, ExceptionReason, ExceptionStatus
from bureau.remittance.services import era_exception_resolve
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability

REASON = "demo appeals"
SPECIALIST = "dan.denials"
POSTER = "olivia.owner"  # reviews the held denials before they are appealed
OLD_DAYS = 45  # denials at least this old get a level-1 appeal the payer decides by today
RECENT_DAYS = 21
# How many level-1 appeals of old denials, by (Medicare or not, the payer's coming decision).
WANTED = {
    (False, OVERTURNED): 3,
    (False, PARTIAL): 2,
    (False, UPHELD): 3,
    (True, OVERTURNED): 1,
    (True, PARTIAL): 1,
    (True, UPHELD): 2,
}
RECENT_SENT, RECENT_DRAFTS = 3, 2
REBUTTALS = {
    "coding": "The codes billed match the documentation; the operative note is attached.",
    "missing_info": "The information the payer asked for is attached; please reprocess.",
    "medical_necessity": (
        "The service was medically necessary for the documented diagnosis; the progress "
        "notes and the treating provider's letter of medical necessity are attached."
    ),
    "authorization": "The service was authorized; the authorization number is on file.",
    "timely_filing": "The claim was filed on time: the clearinghouse acceptance is attached.",
    "duplicate": "This is not a duplicate: a distinct service on the date shown.",
}
ATTACHMENTS = "Copy of the claim\nRemittance advice\nProgress notes"
Say = Callable[[str], None]


def _first_lines(ids: list[int]) -> list[Denial]:
    """One open denial per denied claim (its first line), the oldest first."""
    with rls.practice_scope(ids):
        rows = list(
            Denial.objects.for_system(ids, reason=REASON)
            .filter(status=DenialStatus.OPEN)
            .select_related("claim__payer", "payer")
            .order_by("denied_on", "era_claim_id", "id")
        )
    firsts: dict[int, Denial] = {}
    for row in rows:
        firsts.setdefault(row.era_claim_id, row)
    return list(firsts.values())


def _is_medicare(denial: Denial) -> bool:
    return denial.claim.payer is not None and denial.claim.payer.kind == PayerKind.MEDICARE


def _post_held(poster: Actor | None, denial: Denial) -> None:
    """Denials are not auto-posted in the demo (they wait in the exception queue): a poster
    reviews and posts the denied claim before it is appealed, as an office does, so the payer's
    reversal when it pays the appeal has the denial's entries to reverse (not a takeback)."""
    if poster is None:
        return
    with transaction.atomic():  # the actor's practice scope (RLS) holds for one transaction
        held = list(
            EraException.objects.visible_to(poster, Capability.PAYMENTS_POST).filter(
                era_claim_id=denial.era_claim_id,
                reason=ExceptionReason.POLICY_HOLD,
                status=ExceptionStatus.OPEN,
            )
        )
    for exception in held:
        era_exception_resolve(
            actor=poster, exception=exception, action="post", note="demo: reviewed before appeal"
        )


def _send(actor: Actor, denial: Denial, *, on: date, level: int, send: bool = True) -> Appeal:
    appeal = appeal_create(actor=actor, denial=denial, level=level, today=on)
    appeal = appeal_write(
        actor=actor,
        appeal=appeal,
        rebuttal=REBUTTALS.get(denial.category, "We ask the payer to reconsider this claim."),
        attachments=ATTACHMENTS,
    )
    if send:
        appeal = appeal_submit(
            actor=actor,
            appeal=appeal,
            submitted_on=on.isoformat(),
            method=("mail", "fax", "portal")[denial.pk % 3],
            reference=f"DEMO-{denial.pk}-{level}",
            today=on,
        )
    return appeal


def seed_appeals(workspace: Workspace, *, seed: int = 2026, say: Say | None = None) -> Counter[str]:
    """The demo's appeals for `workspace` (after its simulated cycle). Returns counts."""
    user = User.objects.filter(workspace=workspace, username=SPECIALIST).first()
    actor = resolve_actor(user) if user is not None else None
    made: Counter[str] = Counter()
    if actor is None:
        return made
    ids = sorted(Practice.objects.filter(workspace=workspace).values_list("pk", flat=True))
    today = timezone.localdate()
    desk = AppealDesk(simulator_root(workspace), seed=seed, book=book_for(workspace))
    owner = User.objects.filter(workspace=workspace, username=POSTER).first()
    poster = resolve_actor(owner) if owner is not None else None
    wanted = dict(WANTED)
    first_round: list[Appeal] = []
    recent_sent = recent_drafts = 0
    for denial in _first_lines(ids):
        payer = denial.claim.payer
        if payer is None or desk.remembered(payer.payer_id, denial.claim.number) is None:
            continue
        age = (today - denial.denied_on).days
        try:
            if age >= OLD_DAYS:
                record = AppealRecord("", 1, denial.category, payer.payer_id, denial.claim.number,
                                      "", denial.denied_on)  # fmt: skip
                key = (_is_medicare(denial), decide(record, seed=seed).outcome)
                if wanted.get(key, 0) > 0:
                    on = denial.denied_on + timedelta(days=4)
                    _post_held(poster, denial)
                    first_round.append(_send(actor, denial, on=on, level=1))
                    wanted[key] -= 1
            elif age <= RECENT_DAYS and recent_sent < RECENT_SENT:
                _post_held(poster, denial)
                _send(actor, denial, on=max(denial.denied_on, today - timedelta(days=2)), level=1)
                recent_sent += 1
            elif age <= RECENT_DAYS and recent_drafts < RECENT_DRAFTS:
                _post_held(poster, denial)
                _send(actor, denial, on=today, level=1, send=False)
                recent_drafts += 1
        except AppealError:
            continue  # past its window, or not appealable: the demo moves on
    made["sent, waiting"] += recent_sent
    made["written, not sent"] += recent_drafts
    if not first_round:
        return made
    start = min(a.denial.denied_on + timedelta(days=4) for a in first_round)
    replay_appeals(workspace=workspace, start=start, end=today, seed=seed)
    second_round = _next_levels(actor, ids, [a.pk for a in first_round], today)
    if second_round:
        start = min(a.submitted_on or today for a in second_round)
        replay_appeals(workspace=workspace, start=start, end=today, seed=seed)
    with rls.practice_scope(ids):
        for appeal in Appeal.objects.for_system(ids, reason=REASON):
            made[f"level {appeal.level} {appeal.outcome or 'pending'}"] += 1
    if say is not None:
        say("appeals: " + ", ".join(f"{n} {what}" for what, n in sorted(made.items())))
    return made


def _next_levels(actor: Actor, ids: list[int], appeal_ids: list[int], today: date) -> list[Appeal]:
    """Level 2 for the appeals lost (upheld) or half won: opened two days after the decision,
    sent the next day — all but one, left for the specialist to send."""
    with rls.practice_scope(ids):
        decided = list(
            Appeal.objects.for_system(ids, reason=REASON)
            .filter(pk__in=appeal_ids, outcome__in=[UPHELD, PARTIAL])
            .select_related("denial__claim__payer", "denial__payer")
            .order_by("decided_on", "id")
        )  # fmt: skip
    sent: list[Appeal] = []
    for n, appeal in enumerate(decided):
        assert appeal.decided_on is not None
        on = appeal.decided_on + timedelta(days=2)
        if on >= today:
            continue
        try:
            sent.append(_send(actor, appeal.denial, on=on, level=2, send=n != 0))
        except AppealError:
            continue
    return [a for a in sent if a.submitted_on is not None]
