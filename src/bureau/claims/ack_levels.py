"""Which claims a 277CA rejection at HL 20, 21 or 19 rejects (used by `ingest_277ca`).

A payer that refuses a whole batch (information receiver, HL 21), itself as the information
source (HL 20), or one billing provider (HL 19) answers with an STC at that level. It rejects:

- the claims listed beneath the level in the file, when any are (their own TRN02);
- otherwise every claim of the acknowledged batch, and for HL 19 only that provider's (the NPI of
  its NM1*85 against the claims' billing provider).

The acknowledged batch is, first, the batch of the claims the same transaction set lists (when
they all came in one), then the batch whose interchange control number the 2200B TRN02 carries
(it echoes our 837's BHT03, which is that number). A rejection whose claims cannot be found is
not dropped: it is returned as unmatched, for the caller to record where staff see it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from bureau.claims.models import Batch, Claim, ClaimState
from bureau.directory.models import Provider
from bureau.tenancy.models import Practice, Workspace
from bureau.x12.ack277 import Ack277, LevelStatus

S = ClaimState
# Claims a level rejection still speaks to: not yet past the front door, or already sent back
# (so the same file again finds its rows recorded). Paid or denied claims are left alone.
OPEN_STATES = (S.SUBMITTED, S.ACCEPTED, S.REJECTED)
_KIND = {"20": "Payer-level", "21": "Batch-level", "19": "Provider-level"}
_TRACE_DIGITS = 9  # ISA13 is nine digits


@dataclass(frozen=True)
class LevelHit:
    """One rejected level and the claims of ours it rejects."""

    level: LevelStatus
    claims: tuple[Claim, ...]


@dataclass(frozen=True)
class Unmatched:
    """A rejected level whose claims could not be found: staff must see it."""

    level: LevelStatus
    why: str
    trace: str  # the 2200B TRN02 the 277CA named
    practice: Practice | None  # the practice it most likely concerns, when one can be told


def status_code(level: LevelStatus) -> str:
    return f"{level.category}:{level.status_code}"[:30]


def level_message(level: LevelStatus) -> str:
    """What a biller reads on the claim: that the level, not the claim, was refused, and why."""
    where = f"HL {level.level} {level.level_name}"
    if level.level == "19" and level.identifier:
        where += f", NPI {level.identifier}"
    about = f"(entity {level.entity})" if level.entity else ""
    words = " ".join(part for part in (about, level.message) if part)
    head = f"{_KIND.get(level.level, 'Level')} rejection ({where})"
    return f"{head}: {words}"[:300] if words else head[:300]


def _icn(trace: str) -> int | None:
    """Our 837's BHT03 is its interchange control number (at least four digits)."""
    text = trace.strip()
    if not text or len(text) > _TRACE_DIGITS or not (text.isascii() and text.isdigit()):
        return None
    return int(text)


def _acked_batch(
    ack: Ack277, found: Mapping[str, Claim], batches: Any, workspace: Workspace
) -> Batch | None:
    listed = {
        found[s.patient_control_number].batch_id
        for s in ack.claims
        if s.patient_control_number in found
    }
    if len(listed) == 1 and None not in listed:
        return batches.filter(pk=listed.pop()).first()  # type: ignore[no-any-return]
    icn = _icn(ack.receiver_trace)
    if icn is None:
        return None
    return batches.filter(  # type: ignore[no-any-return]
        workspace=workspace, interchange_control_number=icn
    ).first()


def _practice_for(
    ack: Ack277, level: LevelStatus, practice_ids: list[int], workspace: Workspace
) -> Practice | None:
    """The practice an unmatched rejection most likely concerns: the one whose billing NPI the
    277CA names (group NPI, or an individual billing provider's), else the only one in scope."""
    npis = {
        n for n in (level.identifier if level.level == "19" else "", ack.billing_provider_npi) if n
    }
    if npis:
        ids = set(
            Practice.objects.filter(
                workspace=workspace, pk__in=practice_ids, npi__in=npis
            ).values_list("pk", flat=True)
        ) | set(
            Provider.objects.filter(practice_id__in=practice_ids, npi__in=npis).values_list(
                "practice_id", flat=True
            )
        )
        if len(ids) == 1:
            return Practice.objects.get(pk=ids.pop())
    if len(practice_ids) == 1:
        return Practice.objects.get(pk=practice_ids[0])
    return None


def rejected_levels(
    *,
    acks: list[Ack277],
    found: Mapping[str, Claim],
    batches: Any,
    claims: Any,
    practice_ids: list[int],
    workspace: Workspace,
) -> tuple[list[LevelHit], list[Unmatched]]:
    """Every rejected level of `acks` with the claims it rejects, and those that reach none.

    `found` maps the claim numbers the file lists to our claims; `batches` and `claims` are the
    caller's scoped querysets (the actor's, or the system's)."""
    hits: list[LevelHit] = []
    unmatched: list[Unmatched] = []
    for ack in acks:
        for level in ack.rejected_levels:
            if level.claim_numbers:
                # Listed claims that are not ours are reported as unknown by the claim loop.
                listed = tuple(found[n] for n in level.claim_numbers if n in found)
                if listed:
                    hits.append(LevelHit(level, listed))
                continue
            why = ""
            batch = _acked_batch(ack, found, batches, workspace) if practice_ids else None
            if batch is None:
                why = "no batch of ours matches the 277CA's batch trace (2200B TRN02)"
            else:
                qs = claims.filter(batch=batch, state__in=OPEN_STATES)
                if level.level == "19":
                    qs = qs.filter(encounter__billing_provider__npi=level.identifier)
                rows = tuple(qs.select_related("practice", "workspace").order_by("number"))
                if rows:
                    hits.append(LevelHit(level, rows))
                    continue
                why = (
                    f"no claim of billing NPI {level.identifier or '(none)'} in batch "
                    f"{batch.interchange_control_number:09d}"
                    if level.level == "19"
                    else f"no open claim in batch {batch.interchange_control_number:09d}"
                )
            practice = (
                batch.practice
                if batch is not None
                else _practice_for(ack, level, practice_ids, workspace)
            )
            unmatched.append(Unmatched(level, why, ack.receiver_trace, practice))
    return hits, unmatched


def unmatched_message(item: Unmatched) -> str:
    trace = f" trace {item.trace[:30]!r}" if item.trace else ""
    return f"Unmatched 277CA{trace}: {item.why}. {level_message(item.level)}"[:300]
