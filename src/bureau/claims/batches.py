"""Batches: ready claims → 837P files in the clearinghouse outbox (services and selectors).

`batch_build` picks READY claims (locked), groups them by practice × clearinghouse route, writes
one 837P per group of at most 5,000 claims, and in one transaction per file: stores the Batch,
moves each claim ready → submitted (linking it to the batch), audits, and finally writes the
file — a failed write rolls the whole batch back, so a claim is never submitted without a file.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from pathlib import Path
from uuid import UUID

from django.conf import settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.claims.corrections import corrections_submitted
from bureau.claims.models import Batch, Claim, ClaimLine, ClaimState, ControlNumber
from bureau.claims.services import claims_transition
from bureau.claims.x12_mapping import ClaimBundle, MappingError, interchange_837
from bureau.patients.models import Coverage
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability
from bureau.x12.claim837 import MAX_CLAIMS_PER_TRANSACTION
from bureau.x12.writer837 import write_837p

log = logging.getLogger(__name__)
CONTROL_MAX = 999_999_999
REASON = "batch build: ready claims to 837P"


class ControlNumbersExhausted(RuntimeError):
    pass


@dataclass(frozen=True)
class Refusal:
    """A practice with ready claims that was not batched: its blocking onboarding steps."""

    practice: Practice
    open_steps: tuple[str, ...]  # the steps' titles

    def __str__(self) -> str:
        return (
            f"Claims of {self.practice.name} were not batched: its onboarding has open blocking "
            f"steps ({'; '.join(self.open_steps)})."
        )


class BatchRun(list[Batch]):
    """The batches built (a list, as before) and the practices refused (`refused`)."""

    def __init__(self, batches: Iterable[Batch] = ()) -> None:
        # Takes an iterable as a list does: Django rebuilds a list argument with its own type.
        super().__init__(batches)
        self.refused: list[Refusal] = []
        # Claims left READY because the 837P cannot carry them: "claim N: what is missing".
        self.skipped: list[str] = []


def refusal(practice: Practice, today: date) -> Refusal | None:
    """Why the practice may not be batched today, or None: no claim goes out for a practice
    whose onboarding checklist has a blocking step open (directory/onboarding.py)."""
    from bureau.directory.onboarding import blocking_open

    fresh = Practice.objects.get(pk=practice.pk)  # the actor's copy may predate an edit
    steps = blocking_open(fresh, today)
    return Refusal(fresh, tuple(s.title for s in steps)) if steps else None


def outbox_dir(route: str) -> Path:
    base = getattr(settings, "BUREAU_OUTBOX_DIR", None) or os.environ.get("BUREAU_OUTBOX_DIR")
    root = Path(base) if base else Path(settings.VAR_DIR) / "clearinghouse"
    return root / route / "outbox"


def next_control_number(workspace: Workspace) -> int:
    """The sender's next interchange control number: persisted, locked, never reused."""
    with transaction.atomic():
        ControlNumber.objects.get_or_create(workspace=workspace)
        row = ControlNumber.objects.select_for_update().get(workspace=workspace)
        if row.last_value >= CONTROL_MAX:
            raise ControlNumbersExhausted(f"{workspace.slug}: ISA13 would exceed 9 digits")
        row.last_value += 1
        row.save(update_fields=["last_value"])
        return row.last_value


def _claims(actor: Actor | None, practice_id: int):  # type: ignore[no-untyped-def]
    if actor is None:
        return Claim.objects.for_system([practice_id], reason=REASON)
    return Claim.objects.visible_to(actor, Capability.CLAIMS_SUBMIT)


def _bundles(actor: Actor | None, practice: Practice, claim_ids: list[int]) -> list[ClaimBundle]:
    claims = list(
        _claims(actor, practice.pk)
        .filter(id__in=claim_ids)
        .select_related(
            "encounter__billing_provider",
            "encounter__rendering_provider",
            "encounter__facility",
            "patient",
            "coverage",
            "payer",
            "practice__workspace",
            "replaces",
        )
        .order_by("number")
    )
    line_qs = (
        ClaimLine.objects.for_system([practice.pk], reason=REASON)
        if actor is None
        else ClaimLine.objects.visible_to(actor, Capability.CLAIMS_SUBMIT)
    )
    lines: dict[int, list[ClaimLine]] = {}
    for line in line_qs.filter(claim_id__in=claim_ids).order_by("claim_id", "line_number"):
        lines.setdefault(line.claim_id, []).append(line)
    secondary_patients = {c.patient_id for c in claims if c.responsibility > 1}
    others: dict[int, list[Coverage]] = {}
    if secondary_patients:
        cov_qs = (
            Coverage.objects.for_system([practice.pk], reason=REASON)
            if actor is None
            else Coverage.objects.visible_to(actor, Capability.CLAIMS_SUBMIT)
        )
        for cov in cov_qs.filter(patient_id__in=secondary_patients).select_related("payer"):
            others.setdefault(cov.patient_id, []).append(cov)
    return [
        ClaimBundle(
            claim=c,
            lines=lines.get(c.pk, []),
            other_coverages=_ahead_of(c, others.get(c.patient_id, [])),
        )
        for c in claims
    ]


def _ahead_of(claim: Claim, coverages: list[Coverage]) -> list[Coverage]:
    """The patient's payers ahead of this claim's, one per COB position: the coverage in force
    on the date of service with the latest effective date."""
    dos = claim.encounter.date_of_service
    chosen: dict[int, Coverage] = {}
    for cov in sorted(coverages, key=lambda c: (c.effective_date, c.pk)):
        if cov.pk == claim.coverage_id or cov.cob_order >= claim.responsibility:
            continue
        if cov.effective_date > dos or (cov.end_date is not None and cov.end_date < dos):
            continue
        chosen[cov.cob_order] = cov
    return [chosen[k] for k in sorted(chosen)]


def _build_one(
    actor: Actor | None,
    practice: Practice,
    route: str,
    as_of: date | None = None,
    skipped: list[str] | None = None,
) -> Batch | None:
    """One file for up to 5,000 ready claims of this practice and route, or None.
    `as_of`: the business day (see `batch_build`). A claim the 837P cannot carry stays READY
    and is named in `skipped` with the reason."""
    with transaction.atomic():
        rls.activate([practice.pk] if actor is None else actor.practice_ids())
        ready = _claims(actor, practice.pk).filter(
            practice_id=practice.pk, state=ClaimState.READY, payer__route=route
        )
        if as_of is not None:
            ready = ready.filter(encounter__date_of_service__lte=as_of)
        locked = ready.order_by("number").select_for_update(of=("self",))
        ids = list(locked.values_list("id", flat=True)[:MAX_CLAIMS_PER_TRANSACTION])
        if not ids:
            return None
        bundles = _bundles(actor, practice, ids)
        good: list[ClaimBundle] = []
        from bureau.claims.x12_mapping import claim_837

        for bundle in bundles:
            try:
                claim_837(bundle)
            except MappingError as exc:
                log.warning("batch build skips %s", exc)
                if skipped is not None:
                    skipped.append(str(exc))
                continue
            good.append(bundle)
        if not good:
            return None
        workspace = practice.workspace
        icn = next_control_number(workspace)
        now = clock.now()
        interchange = interchange_837(
            workspace=workspace,
            route=route,
            bundles=good,
            control_number=icn,
            created_at=timezone.localtime(now),
        )
        content = write_837p(interchange, line_break=True)
        total = sum((Decimal(b.claim.total_charge) for b in good), Decimal(0))
        batch = Batch(
            workspace_id=practice.workspace_id,
            practice=practice,
            route=route,
            interchange_control_number=icn,
            # The route's outbox is the whole Bureau's, and prefixes and control numbers are
            # each workspace's own: the workspace's slug keeps two billing companies' files
            # apart (the same name would be taken as already sent and never reach the payer).
            file_name=f"{workspace.slug}-{practice.code}-{route}-{icn:09d}.x12",
            content=content,
            claim_count=len(good),
            total_charge=total,
            created_at=now,
            created_by=actor.user if actor is not None else None,
        )
        batch.save(force_insert=True)
        claims_transition(
            actor=actor,
            moves=[(b.claim, ClaimState.SUBMITTED) for b in good],
            note=f"batch {batch.file_name}",
        )
        _claims(actor, practice.pk).filter(id__in=[b.claim.pk for b in good]).update(batch=batch)
        from bureau.ledger.services import post_charges  # the ledger starts at submission

        post_charges(
            claims=[b.claim for b in good],
            effective_date=as_of or timezone.localdate(now),
            actor=actor,
        )
        # Replacements and voids: their originals close and give up their open balance.
        corrections_submitted(
            actor=actor,
            claims=[b.claim for b in good],
            effective_date=as_of or timezone.localdate(now),
        )
        audit_record(
            action=AuditAction.BATCH_BUILT,
            actor=actor,
            workspace=workspace if actor is None else None,
            practice=practice,
            model="claims.Batch",
            record_ids=[batch.public_id],
            detail={"route": route, "icn": icn, "claims": len(good), "file": batch.file_name},
            label="" if actor is not None else "system",
        )
        # Last: the rows are in place; if the write fails, the exception rolls them back.
        folder = outbox_dir(route)
        folder.mkdir(parents=True, exist_ok=True)
        target = folder / batch.file_name
        partial = folder / f".{batch.file_name}.part"
        partial.write_text(content, encoding="ascii")
        partial.replace(target)
        batch.path = target  # type: ignore[attr-defined]
        return batch


def batch_build(
    *,
    actor: Actor | None = None,
    practice_ids: Iterable[int] | None = None,
    as_of: date | None = None,
) -> BatchRun:
    """Build every batch due: READY claims the actor may submit (the system: of `practice_ids`).

    `as_of` is the business day of the run when it is not today (the payer simulator's days):
    only claims with a date of service up to that day go out, and their charges post on it.

    A practice with ready claims whose onboarding has a blocking step open is not batched:
    it is named in the result's `refused` with those steps, and its claims stay READY.

    Returns the batches written; each carries `.path`, the file in the route's outbox."""
    if actor is None:
        if practice_ids is None:
            raise ValueError("the system builds batches for named practices")
        ids = set(practice_ids)
        practices = list(Practice.objects.filter(pk__in=ids).select_related("workspace"))
    else:
        ids = set(actor.practice_ids(Capability.CLAIMS_SUBMIT))
        if practice_ids is not None:
            ids &= set(practice_ids)
        practices = [p for p in actor.practices(Capability.CLAIMS_SUBMIT) if p.pk in ids]
    batches = BatchRun()
    for practice in sorted(practices, key=lambda p: p.code):
        with transaction.atomic():
            rls.activate([practice.pk] if actor is None else actor.practice_ids())
            routes = sorted(
                set(
                    _claims(actor, practice.pk)
                    .filter(practice_id=practice.pk, state=ClaimState.READY)
                    .values_list("payer__route", flat=True)
                )
            )
        if not routes:
            continue
        refused = refusal(practice, as_of or timezone.localdate())
        if refused is not None:
            log.warning("batch build refuses %s", refused)
            batches.refused.append(refused)
            continue
        for route in routes:
            while (batch := _build_one(actor, practice, route, as_of, batches.skipped)) is not None:
                batches.append(batch)
                if batch.claim_count < MAX_CLAIMS_PER_TRANSACTION:
                    break
    return batches


# -- selectors ------------------------------------------------------------------------------


def batch_list(*, actor: Actor, practice: Practice | None = None, limit: int = 200) -> list[Batch]:
    qs = (
        Batch.objects.visible_to(actor, Capability.CLAIMS_VIEW)
        .select_related("practice", "created_by")
        .defer("content")
    )
    if practice is not None:
        qs = qs.filter(practice=practice)
    return list(qs.order_by("-created_at", "-id")[:limit])


def batch_for_download(*, actor: Actor, public_id: UUID) -> Batch:
    """The batch's file for download, audited (it carries PHI); 404 when not visible, and for a
    grant limited to some providers (the file carries every provider's patients)."""
    with transaction.atomic():
        batch: Batch | None = (
            Batch.objects.visible_to(actor, Capability.CLAIMS_VIEW)
            .select_related("practice")
            .filter(public_id=public_id)
            .first()
        )
        if batch is None or actor.provider_limited(batch.practice_id, Capability.CLAIMS_VIEW):
            raise Http404
        audit_record(
            action=AuditAction.BATCH_DOWNLOADED,
            actor=actor,
            practice=batch.practice,
            model="claims.Batch",
            record_ids=[batch.public_id],
            detail={"file": batch.file_name, "claims": batch.claim_count},
        )
        return batch
