"""Appeal letters: a workspace's template (or the shipped default) filled with the claim's facts,
shown as a preview and rendered to PDF (WeasyPrint) from the same HTML.

Sandboxed: the body is a Django template rendered by an engine of its own with no loaders and no
extra tag libraries, against a context of plain strings, lists and dicts built here: a template
can reach no model, setting or method beyond what this module hands it. The patient's name, date
of birth and member id are masked for an actor without `patients.demographics` (and the PDF is
then refused by the caller).
"""

from __future__ import annotations

import hashlib
from decimal import Decimal
from pathlib import Path
from typing import Any

from django.template import Context, Engine, TemplateDoesNotExist, TemplateSyntaxError
from django.template.defaulttags import DebugNode
from django.template.loader import render_to_string

from bureau import clock
from bureau.claims.models import Claim, ClaimLine
from bureau.denials.appeal_models import Appeal, AppealLetterTemplate
from bureau.denials.models import Denial
from bureau.remittance.selectors import carc_description
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability
from bureau.web.pdf import render_pdf
from bureau.x12.adjustment_codes import rarc_description

MASK = "•••"
SANDBOX = Engine(dirs=[], app_dirs=False, loaders=[], libraries={}, debug=False, autoescape=True)

# The shipped letter (a workspace's own templates take its place): the same sandboxed syntax.
DEFAULT_BODY = (
    Path(__file__).parent / "templates" / "denials" / "letters" / "default_body.html"
).read_text(encoding="utf-8")


class LetterError(ValueError):
    """The workspace's template cannot be rendered; the message says why."""


def template_for(denial: Denial, level: int) -> str:
    """The most specific of the workspace's templates (category+level, category, level, any);
    the default when it has none."""
    rows = {
        (t.category, t.level): t.body
        for t in AppealLetterTemplate.objects.filter(workspace_id=denial.workspace_id)
    }
    for key in ((denial.category, level), (denial.category, None), ("", level), ("", None)):
        if key in rows:
            return rows[key]
    return DEFAULT_BODY


def letter_context(
    actor: Actor, appeal: Appeal, denial: Denial, *, unmasked: bool
) -> dict[str, Any]:
    from bureau.denials.appeals import SETTLED, claim_rows, level_label

    claim = (
        Claim.objects.visible_to(actor, Capability.DENIALS_VIEW)
        .select_related("patient", "coverage", "encounter")
        .get(pk=denial.claim_id)
    )
    patient = claim.patient
    lines = list(
        ClaimLine.objects.visible_to(actor, Capability.DENIALS_VIEW)
        .filter(claim_id=claim.pk)
        .order_by("line_number")
    )
    denied = list(
        claim_rows(denial, actor)
        .exclude(status__in=SETTLED)
        .select_related("claim_line")
        .order_by("claim_line__line_number", "id")
    ) or [denial]
    dates = sorted({ln.date_of_service for ln in lines}) or [claim.encounter.date_of_service]
    return {
        "today": clock.now().date().isoformat(),
        "level_label": level_label(denial, appeal.level),
        "level": appeal.level,
        "practice": {"name": actor.access[denial.practice_id].practice.name},
        "payer": {"name": denial.payer.name if denial.payer else denial.era.payer_name},
        "patient": {
            "name": f"{patient.first_name} {patient.last_name}" if unmasked else MASK,
            "date_of_birth": patient.date_of_birth.isoformat() if unmasked else MASK,
            "member_id": claim.coverage.member_id if unmasked else MASK,
        },
        "claim": {
            "number": claim.number,
            "payer_claim_number": claim.payer_claim_number,
            "dates_of_service": " – ".join(
                dict.fromkeys([dates[0].isoformat(), dates[-1].isoformat()])
            ),
            "total_charge": str(claim.total_charge),
            "diagnoses": ", ".join(str(c) for c in claim.encounter.diagnosis_codes or []),
            "lines": [
                {
                    "number": ln.line_number,
                    "date": ln.date_of_service.isoformat(),
                    "code": ln.procedure_code,
                    "modifiers": " ".join(ln.modifiers or []),
                    "units": str(ln.units),
                    "charge": str(ln.charge),
                }
                for ln in lines
            ],
        },
        # Every denied line of the claim, with its reason: the appeal is of all of them.
        "denials": [
            {
                "line": d.claim_line.line_number if d.claim_line else "",
                "code": d.claim_line.procedure_code if d.claim_line else "",
                "group_code": d.group_code,
                "carc": d.carc,
                "carc_description": carc_description(d.carc),
                "rarcs": [f"{r} {rarc_description(str(r))}" for r in d.rarcs or []],
                "amount": str(d.amount),
            }
            for d in denied
        ],
        "denial": {
            "group_code": denial.group_code,
            "carc": denial.carc,
            "carc_description": carc_description(denial.carc),
            "rarcs": [str(r) for r in denial.rarcs or []],
            "amount": str(sum((d.amount for d in denied), Decimal("0.00"))),
            "denied_on": denial.denied_on.isoformat(),
            "category": denial.get_category_display(),
        },
        "rebuttal": appeal.rebuttal,
        "attachments": [a.strip() for a in appeal.attachments.splitlines() if a.strip()],
    }


def render_html(actor: Actor, appeal: Appeal, denial: Denial, *, unmasked: bool) -> str:
    """The letter's body (the page's preview shows it as is; the PDF wraps it in a document)."""
    body = template_for(denial, appeal.level)
    try:
        compiled = SANDBOX.from_string(body)
        # {% debug %} would print the interpreter's loaded modules: nothing a letter needs.
        if compiled.nodelist.get_nodes_by_type(DebugNode):
            raise TemplateSyntaxError("the debug tag is not allowed in a letter")
        inner = compiled.render(Context(letter_context(actor, appeal, denial, unmasked=unmasked)))
    except (TemplateSyntaxError, TemplateDoesNotExist) as exc:
        raise LetterError(f"The letter template cannot be used: {exc}") from exc
    return inner


def letter_pdf_bytes(actor: Actor, appeal: Appeal, denial: Denial) -> bytes:
    """The full (unmasked) letter rendered to PDF now, stored nowhere."""
    body = render_html(actor, appeal, denial, unmasked=True)
    return render_pdf(render_to_string("denials/letters/letter.html", {"body": body}))


def store_pdf(actor: Actor, appeal: Appeal, denial: Denial) -> None:
    """Render the full letter to PDF and keep it with the appeal: at submission only, the
    letter as sent (the caller audits)."""
    pdf = letter_pdf_bytes(actor, appeal, denial)
    appeal.letter_pdf = pdf
    appeal.letter_sha256 = hashlib.sha256(pdf).hexdigest()
    appeal.letter_rendered_at = clock.now()
    appeal.save(update_fields=["letter_pdf", "letter_sha256", "letter_rendered_at"])
