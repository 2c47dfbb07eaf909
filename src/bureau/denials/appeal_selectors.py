"""Scoped reads of appeals: the denial page's appeals section, the letter preview and the
letter PDF, audited (the letter names the patient)."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import date
from typing import Any

from django.http import Http404

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.denials import appeals as svc
from bureau.denials.appeal_models import Appeal, AppealMethod, AppealOutcome
from bureau.denials.letters import letter_pdf_bytes, render_html
from bureau.denials.models import Denial
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability


@dataclass(frozen=True)
class AppealRow:
    appeal: Appeal
    label: str
    days_left: int
    submitted: bool
    decided: bool


@dataclass(frozen=True)
class AppealSection:
    rows: list[AppealRow]
    next: svc.NextLevel | None
    can_work: bool
    can_supervise: bool
    today: date
    methods: list[tuple[str, str]]
    outcomes: list[tuple[str, str]]


def appeal_section(*, actor: Actor, denial: Denial) -> AppealSection:
    """The appeals of a denial the actor already may see (its page audited the view)."""
    today = svc.practice_today(actor, denial.practice_id)
    appeals = list(
        Appeal.objects.visible_to(actor, Capability.DENIALS_VIEW)
        .filter(denial__in=svc.claim_rows(denial, actor))
        .defer("letter_pdf")
        .order_by("level")
    )
    return AppealSection(
        rows=[
            AppealRow(
                appeal=a,
                label=svc.level_label(denial, a.level),
                days_left=(a.deadline - today).days,
                submitted=a.submitted_on is not None,
                decided=bool(a.outcome),
            )
            for a in appeals
        ],
        next=svc.next_level(denial, appeals, today, svc.denied_total(denial, actor)),
        can_work=actor.can(Capability.DENIALS_WORK, denial.practice_id),
        can_supervise=actor.can(Capability.DENIALS_SUPERVISE, denial.practice_id),
        today=today,
        methods=list(AppealMethod.choices),
        outcomes=list(AppealOutcome.choices),
    )


def _audit_letter(actor: Actor, appeal: Appeal, detail: dict[str, Any]) -> None:
    audit_record(
        action=AuditAction.DENIAL_VIEWED,
        actor=actor,
        practice=actor.access[appeal.practice_id].practice,
        model="denials.Appeal",
        record_ids=[appeal.public_id],
        detail=detail,
    )


@dataclass(frozen=True)
class LetterPreview:
    appeal: Appeal
    label: str
    html: str
    masked: bool
    can_download: bool


def letter_preview(*, actor: Actor, public_id: Any) -> LetterPreview:
    """The letter as it would be sent; masked without `patients.demographics`. Audited."""
    appeal = svc.appeal_get(actor=actor, public_id=public_id, capability=Capability.DENIALS_VIEW)
    denial = appeal.denial
    unmasked = actor.can(Capability.PATIENTS_DEMOGRAPHICS, appeal.practice_id)
    html = render_html(actor, appeal, denial, unmasked=unmasked)
    _audit_letter(actor, appeal, {"letter": "preview", "masked": not unmasked})
    return LetterPreview(
        appeal=appeal,
        label=svc.level_label(denial, appeal.level),
        html=html,
        masked=not unmasked,
        can_download=unmasked,
    )


def letter_pdf(*, actor: Actor, public_id: Any) -> tuple[Appeal, bytes]:
    """The letter's PDF: once submitted, the one stored as sent; before, a draft rendered now
    and stored nowhere (a read writes nothing but its audit event; the letter is frozen at
    submission). Refused (404, as if missing) without `patients.demographics`: the PDF cannot
    be masked. Audited, with the hash of exactly what left."""
    appeal = svc.appeal_get(actor=actor, public_id=public_id, capability=Capability.DENIALS_VIEW)
    if not actor.can(Capability.PATIENTS_DEMOGRAPHICS, appeal.practice_id):
        raise Http404
    if appeal.submitted_on is not None and appeal.letter_pdf is not None:
        pdf, draft = bytes(appeal.letter_pdf), False
    else:
        pdf, draft = letter_pdf_bytes(actor, appeal, appeal.denial), True
    detail: dict[str, Any] = {"letter": "pdf", "sha256": hashlib.sha256(pdf).hexdigest()}
    if draft:
        detail["draft"] = True
    _audit_letter(actor, appeal, detail)
    return appeal, pdf
