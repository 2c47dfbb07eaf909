"""Demo corrected and void claims (issue 13), after the payer-simulator replay.

Forty-five simulated days before the end of the replay, the biller sends replacements for a few
claims the payer denied for coding (an office visit gets modifier 25, the usual fix) and the
owner voids one paid claim; those days are then played again for the practices, so the
simulator answers: the original's reversal (CLP02 = 22) and the replacement's payment, or the
void's reversal. Replaying a day already played is harmless: its files were delivered and its
payment runs done, and only claims READY then (the corrections) go out. With a replay too short
for that, the corrections are made on its last day and wait for the next batch.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, timedelta

from django.utils import timezone

from bureau.accounts.models import User
from bureau.claims.corrections import (
    CorrectedLine,
    CorrectionError,
    correction_create,
    replacement_update,
)
from bureau.claims.models import Claim, ClaimEvent, ClaimFrequency, ClaimLine, ClaimState
from bureau.claims.services import LineData
from bureau.denials.models import Denial, DenialCategory
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability

ANSWER_DAYS = 45  # long enough for the slowest simulated payer to pay
REPLACEMENTS = 3
REASON = "demo corrections"


def seed_corrections(
    slug: str, *, replayed_days: int, seed: int, say: Callable[[str], None] | None = None
) -> None:
    from bureau.clearinghouse.cycle import CycleSummary, run_day
    from bureau.clearinghouse.simulator.port import simulated

    workspace = Workspace.objects.get(slug=slug)
    practices = list(Practice.objects.filter(workspace=workspace).order_by("code"))
    biller = _actor(workspace, "bella.biller")
    owner = _actor(workspace, "olivia.owner")
    if biller is None or owner is None:
        return
    end = timezone.localdate()  # the replay's last day (`run_cycle`'s default end)
    answered = replayed_days > ANSWER_DAYS + 10
    day = end - timedelta(days=ANSWER_DAYS) if answered else end
    with simulated(day, seed=seed):
        made = _replacements(biller, day) + _void(owner, day)
    if say is not None:
        say(f"corrections on {day.isoformat()}: " + ", ".join(made or ["none"]))
    if not answered or not made:
        return
    ids = [p.pk for p in practices]
    summary = CycleSummary(start=day, end=end, seed=seed)
    for offset in range((end - day).days + 1):
        run_day(
            workspace=workspace,
            practice_ids=ids,
            day=day + timedelta(days=offset),
            seed=seed,
            summary=summary,
        )


def _actor(workspace: Workspace, username: str) -> Actor | None:
    user = User.objects.filter(workspace=workspace, username=username).first()
    return resolve_actor(user) if user is not None else None


def _reached(actor: Actor, day: date, state: ClaimState) -> list[Claim]:
    """Claims the actor edits that reached `state` on or before `day`, with a payer number."""
    ids = actor.practice_ids(Capability.CLAIMS_EDIT)
    with rls.practice_scope(ids):
        reached = set(
            ClaimEvent.objects.for_system(ids, reason=REASON)
            .filter(to_state=state, occurred_at__date__lte=day)
            .values_list("claim_id", flat=True)
        )
        return list(
            Claim.objects.visible_to(actor, Capability.CLAIMS_EDIT)
            .filter(pk__in=reached, state=state, frequency=ClaimFrequency.ORIGINAL)
            .exclude(payer_claim_number="")
            .select_related("encounter")
            .order_by("number")
        )


def _replacements(biller: Actor, day: date) -> list[str]:
    """Replacements for coding denials, the office visit's modifier fixed."""
    denied = {c.pk: c for c in _reached(biller, day, ClaimState.DENIED)}
    with rls.practice_scope(biller.practice_ids()):
        coding = list(
            Denial.objects.visible_to(biller, Capability.CLAIMS_VIEW)
            .filter(claim_id__in=list(denied), category=DenialCategory.CODING)
            .order_by("claim_id")
            .values_list("claim_id", flat=True)
            .distinct()
        )
    chosen = [denied[pk] for pk in coding][:REPLACEMENTS]
    made = []
    for claim in chosen:
        with rls.practice_scope(biller.practice_ids()):
            try:
                fix = correction_create(
                    actor=biller, claim=claim, frequency=ClaimFrequency.REPLACEMENT
                )
                lines = list(
                    ClaimLine.objects.visible_to(biller, Capability.CLAIMS_EDIT)
                    .filter(claim=fix)
                    .order_by("line_number")
                )
                replacement_update(
                    actor=biller,
                    claim=fix,
                    diagnoses=list(fix.diagnosis_codes),
                    lines=[_fixed(line, first=n == 0) for n, line in enumerate(lines)],
                )
            except CorrectionError:
                continue
        made.append(f"replacement {fix.number}")
    return made


def _fixed(line: ClaimLine, *, first: bool) -> CorrectedLine:
    modifiers = list(line.modifiers or [])
    if first and line.procedure_code.startswith("992") and "25" not in modifiers:
        modifiers = ["25", *modifiers][:4]
    return CorrectedLine(
        LineData(
            procedure_code=line.procedure_code,
            modifiers=modifiers,
            pointers=list(line.diagnosis_pointers or [1]),
            units=line.units,
            charge=line.charge,
        ),
        source=line.line_number,
    )


def _void(owner: Actor, day: date) -> list[str]:
    """One paid claim voided (billed to the wrong patient, say)."""
    for claim in _reached(owner, day, ClaimState.PAID)[:5]:
        with rls.practice_scope(owner.practice_ids()):
            try:
                void = correction_create(actor=owner, claim=claim, frequency=ClaimFrequency.VOID)
            except CorrectionError:
                continue
        return [f"void {void.number}"]
    return []
