"""Scrub claims: build snapshots from the database with a fixed number of queries, run the pure
engine (`bureau.claims.scrubber`), keep the new hits as the current ones and move each claim:
errors → SCRUBBED, an enrollment (credentialing) problem and no other error →
CREDENTIALING_HOLD, only warnings or nothing → READY.

Coding errors win over credentialing: they are the coder's to fix now, and the re-scrub after the
fix puts the claim on hold if the enrollment is still not in force.
"""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from zoneinfo import ZoneInfo

from django.conf import settings as django_settings
from django.db import transaction
from django.http import Http404
from django.utils import timezone

from bureau import clock
from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_many
from bureau.claims.models import Claim, ClaimLine, ClaimState, ScrubHit
from bureau.claims.scrubber import (
    ClaimSnapshot,
    EnrollmentState,
    Hit,
    LineSnapshot,
    ScrubContext,
    scrub,
)
from bureau.claims.scrubber.tables import MUE_SAMPLE, NCCI_SAMPLE, load_mue_csv, load_ncci_csv
from bureau.claims.services import claims_transition, system_label
from bureau.configuration.resolver import EffectiveSettings, settings_for
from bureau.directory.models import Enrollment, EnrollmentStatus
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability

if TYPE_CHECKING:
    from bureau.accounts.models import User

S = ClaimState
SCRUBBABLE = frozenset({S.DRAFT, S.SCRUBBED, S.CREDENTIALING_HOLD, S.READY})
SYSTEM_REASON = "claim scrub"


class ScrubNotAllowed(ValueError):
    """The claim is past the point where scrubbing means anything (submitted or later)."""


@dataclass(frozen=True)
class ScrubOutcome:
    claim: Claim
    hits: list[Hit]
    state: ClaimState

    @property
    def errors(self) -> int:
        return sum(1 for h in self.hits if h.is_error)

    @property
    def warnings(self) -> int:
        return sum(1 for h in self.hits if not h.is_error)


@lru_cache(maxsize=4)
def _tables(ncci_path: str, mue_path: str) -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    return load_ncci_csv(ncci_path).table, load_mue_csv(mue_path).table


def edit_tables() -> tuple[dict[tuple[str, str], int], dict[str, int]]:
    """NCCI and MUE tables: the licensed CMS files where a deployment names them in settings
    (`BUREAU_NCCI_CSV`, `BUREAU_MUE_CSV`), the synthetic samples otherwise."""
    return _tables(
        str(getattr(django_settings, "BUREAU_NCCI_CSV", NCCI_SAMPLE)),
        str(getattr(django_settings, "BUREAU_MUE_CSV", MUE_SAMPLE)),
    )


def target_state(hits: Sequence[Hit]) -> ClaimState:
    errors = [h for h in hits if h.is_error]
    if any(not h.is_credentialing for h in errors):
        return S.SCRUBBED
    if errors:
        return S.CREDENTIALING_HOLD
    return S.READY


def enrollment_state(row: Mapping[str, Any] | None, dos: date) -> EnrollmentState:
    if row is None:
        return EnrollmentState.MISSING
    if row["status"] == EnrollmentStatus.PENDING:
        return EnrollmentState.PENDING
    if row["status"] == EnrollmentStatus.TERMINATED:
        return EnrollmentState.TERMINATED
    if row["effective_date"] and dos < row["effective_date"]:
        return EnrollmentState.PENDING
    if row["end_date"] and dos > row["end_date"]:
        return EnrollmentState.TERMINATED
    return EnrollmentState.ACTIVE


def timely_filing_days(effective: EffectiveSettings, payer: object) -> int:
    """`claims.timely_filing_days` when configured at any level for this practice and payer;
    the payer's own `timely_filing_days` when only the registry default applies."""
    value, source = effective.explained("claims.timely_filing_days", payer)
    return int(value) if source != "default" else int(payer.timely_filing_days)  # type: ignore[attr-defined]


def _local_today(tz_name: str, now: datetime) -> date:
    try:
        return now.astimezone(ZoneInfo(tz_name)).date()
    except (KeyError, ValueError):
        return timezone.localdate(now)


def claim_scrub(*, actor: Actor | None, claim: Claim) -> ScrubOutcome:
    return claims_scrub(actor=actor, claims=[claim])[0]


@transaction.atomic
def claims_scrub(
    *,
    actor: Actor | None,
    claims: Iterable[Claim],
    note: str = "scrub",
    on_behalf_of: User | None = None,
    reason: str = "",
) -> list[ScrubOutcome]:
    """Scrub many claims. `actor` None means the system (the `scrub` command); an actor needs
    claims.edit on every claim's practice. A system run caused by a person's change elsewhere
    (an enrollment turned active) names them (`on_behalf_of`, `reason`) in the claims' history
    and the audit. Queries: claims, lines, duplicate candidates, enrollments, one settings read
    per practice, then the writes."""
    wanted = list(claims)
    if not wanted:
        return []
    practice_ids = {c.practice_id for c in wanted}
    if actor is not None:
        for pid in sorted(practice_ids):
            actor.require(Capability.CLAIMS_EDIT, pid)

    def scoped(model: type) -> Any:
        if actor is not None:
            return model.objects.visible_to(actor, Capability.CLAIMS_EDIT)  # type: ignore[attr-defined]
        return model.objects.for_system(practice_ids, reason=SYSTEM_REASON)  # type: ignore[attr-defined]

    rows = list(
        scoped(Claim)
        .filter(pk__in=[c.pk for c in wanted])
        .select_related(
            "patient",
            "coverage",
            "payer",
            "practice",
            "workspace",
            "encounter__rendering_provider",
            "encounter__billing_provider",
        )
        .order_by("id")
    )
    if len(rows) != len({c.pk for c in wanted}):
        # A claim outside the actor's scope (another provider's, for a limited grant): refused
        # like a claim that does not exist, and nothing of the run is written.
        raise Http404
    for claim in rows:
        if ClaimState(claim.state) not in SCRUBBABLE:
            raise ScrubNotAllowed(f"claim {claim.number} is {claim.get_state_display().lower()}")
    claim_ids = [c.pk for c in rows]
    lines: dict[int, list[ClaimLine]] = defaultdict(list)
    for line in (
        scoped(ClaimLine).filter(claim_id__in=claim_ids).order_by("claim_id", "line_number")
    ):
        lines[line.claim_id].append(line)

    existing: dict[tuple[int, date, str, int], set[int | None]] = defaultdict(set)
    # A duplicate is one whoever holds it: the check reads every provider's claims of the
    # practice (only the fact leaves here, never the other claim), so a claim scrubs the same
    # for a provider-limited biller as for anyone.
    candidates = (
        (
            ClaimLine.objects.whole_practice(actor, Capability.CLAIMS_EDIT, reason="duplicates")
            if actor is not None
            else scoped(ClaimLine)
        )
        .filter(
            claim__patient_id__in={c.patient_id for c in rows},
            claim__payer_id__in={c.payer_id for c in rows},
        )
        .exclude(claim__state=S.REJECTED)
        .values_list(
            "claim_id", "claim__patient_id", "date_of_service", "procedure_code", "claim__payer_id"
        )
    )
    for claim_id, patient_id, dos, code, payer_id in candidates:
        existing[(patient_id, dos, code, payer_id)].add(claim_id)
    frozen_existing = {k: frozenset(v) for k, v in existing.items()}
    chain_of = _correction_links(scoped, rows)

    enrollments = {
        (e["provider_id"], e["payer_id"]): e
        for e in Enrollment.objects.filter(
            practice_id__in=practice_ids, payer_id__in={c.payer_id for c in rows}
        ).values("provider_id", "payer_id", "status", "effective_date", "end_date")
    }
    effective: dict[int, EffectiveSettings] = {}
    ncci, mue = edit_tables()
    base = ScrubContext(ncci=ncci, mue=mue, existing_claims=frozen_existing)
    contexts: dict[tuple[int, int], ScrubContext] = {}
    now = clock.now()
    outcomes = []
    for claim in rows:
        if claim.practice_id not in effective:
            effective[claim.practice_id] = settings_for(claim.practice)
        eff = effective[claim.practice_id]
        key = (claim.practice_id, claim.payer_id)
        if key not in contexts:
            contexts[key] = replace(
                base,
                rules_enabled=bool(eff.get("scrub.rules_enabled", claim.payer_id)),
                custom_rules=tuple(eff.get("scrub.custom_rules", claim.payer_id)),
            )
        snapshot = snapshot_of(
            claim, lines[claim.pk], eff, enrollments, _local_today(claim.practice.timezone, now)
        )
        context = contexts[key]
        if claim.replaces_id is not None:
            # A correction bills what its original billed: they are one claim to the payer.
            context = replace(
                context,
                existing_claims=_without(frozen_existing, _chain_ids(claim, chain_of) - {claim.pk}),
            )
        hits = scrub(snapshot, context)
        outcomes.append(ScrubOutcome(claim, hits, target_state(hits)))

    scoped(ScrubHit).filter(claim_id__in=claim_ids, is_current=True).update(is_current=False)
    ScrubHit.objects.bulk_create(
        [
            ScrubHit(
                workspace_id=o.claim.workspace_id,
                practice_id=o.claim.practice_id,
                claim=o.claim,
                run_at=now,
                rule=h.rule[:60],
                severity=h.severity,
                message=h.message[:300],
                line_number=h.line_number,
                is_current=True,
            )
            for o in outcomes
            for h in o.hits
        ],
        batch_size=1000,
    )
    claims_transition(
        actor=actor,
        moves=[(o.claim, o.state) for o in outcomes if o.state != o.claim.state],
        note=note,
        on_behalf_of=on_behalf_of if actor is None else None,
        reason=reason,
    )
    per_practice: dict[int, list[ScrubOutcome]] = defaultdict(list)
    for o in outcomes:
        per_practice[o.claim.practice_id].append(o)
    audit_record_many(
        action=AuditAction.CLAIM_SCRUBBED,
        actor=actor,
        workspace=rows[0].workspace if actor is None else None,
        model="claims.Claim",
        targets=[
            (group[0].claim.practice, [o.claim.public_id for o in group])
            for _, group in sorted(per_practice.items())
        ],
        detail={
            "claims": len(outcomes),
            "errors": sum(o.errors for o in outcomes),
            "warnings": sum(o.warnings for o in outcomes),
            "states": dict(sorted(Counter(o.state.value for o in outcomes).items())),
        },
        label=system_label(actor, on_behalf_of),
        user=on_behalf_of if actor is None else None,
        reason=reason,
    )
    return outcomes


def _correction_links(scoped: Any, rows: Sequence[Claim]) -> dict[int, int | None]:
    """claim id → the claim it corrects, up every chain the run's corrections start (and the
    corrections of those claims), a few queries however long the chains are."""
    if all(c.replaces_id is None for c in rows):
        return {}  # no correction in the run: no query
    links: dict[int, int | None] = {c.pk: c.replaces_id for c in rows}
    wanted = {c.replaces_id for c in rows if c.replaces_id is not None} - set(links)
    for _ in range(20):
        if not wanted:
            break
        found = dict(scoped(Claim).filter(pk__in=wanted).values_list("pk", "replaces_id"))
        links.update(found)
        wanted = {p for p in found.values() if p is not None} - set(links)
    for pk, replaces_id in (
        scoped(Claim).filter(replaces_id__in=list(links)).values_list("pk", "replaces_id")
    ):
        links.setdefault(pk, replaces_id)
    return links


def _chain_ids(claim: Claim, links: Mapping[int, int | None]) -> set[int]:
    ids = {claim.pk}
    parent = links.get(claim.pk)
    while parent is not None and parent not in ids:
        ids.add(parent)
        parent = links.get(parent)
    ids |= {pk for pk, up in links.items() if up in ids}
    return ids


def _without(
    existing: Mapping[tuple[int, date, str, int], frozenset[int | None]], ids: set[int]
) -> dict[tuple[int, date, str, int], frozenset[int | None]]:
    return {k: v - ids for k, v in existing.items()}


def has_address(patient: Any) -> bool:
    return all(
        (getattr(patient, f) or "").strip()
        for f in ("address_line1", "city", "state", "postal_code")
    )


def snapshot_of(
    claim: Claim,
    lines: Sequence[ClaimLine],
    effective: EffectiveSettings,
    enrollments: Mapping[tuple[int, int], Mapping[str, Any]],
    today: date,
) -> ClaimSnapshot:
    encounter = claim.encounter
    rendering = encounter.rendering_provider
    dos = encounter.date_of_service
    return ClaimSnapshot(
        claim_id=claim.pk,
        number=claim.number,
        practice_id=claim.practice_id,
        payer_id=claim.payer_id,
        payer_code=claim.payer.payer_id,
        timely_filing_days=timely_filing_days(effective, claim.payer),
        date_of_service=dos,
        today=today,
        patient_id=claim.patient_id,
        patient_dob=claim.patient.date_of_birth,
        patient_sex=claim.patient.sex,
        patient_address_complete=has_address(claim.patient),
        member_id=claim.coverage.member_id,
        diagnosis_codes=tuple(claim.billed_diagnoses),
        frequency=claim.frequency,
        billing_npi=encounter.billing_provider.npi,
        rendering_npi=rendering.npi,
        rendering_provider_id=rendering.pk,
        enrollment=enrollment_state(enrollments.get((rendering.pk, claim.payer_id)), dos),
        place_of_service=encounter.place_of_service,
        lines=tuple(
            LineSnapshot(
                number=line.line_number,
                procedure_code=line.procedure_code,
                modifiers=tuple(line.modifiers or ()),
                pointers=tuple(int(p) for p in line.diagnosis_pointers or ()),
                units=Decimal(line.units),
                charge=Decimal(line.charge),
                date_of_service=line.date_of_service,
            )
            for line in lines
        ),
    )


def claim_for_scrub(*, actor: Actor, public_id: object) -> Claim | None:
    """The claim with this public id if the actor may edit it; None otherwise (a 404 for
    foreign and missing claims alike)."""
    return (
        Claim.objects.visible_to(actor, Capability.CLAIMS_EDIT).filter(public_id=public_id).first()
    )
