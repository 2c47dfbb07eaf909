"""Corrected claims from the claim page (and the denial page): create a replacement or a void,
edit a replacement's lines and diagnoses. Thin: parse, call `claims.corrections`, render."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any
from uuid import UUID

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from bureau.claims import corrections, scrubbing
from bureau.claims.models import Claim, ClaimFrequency, ClaimLine
from bureau.claims.services import MAX_LINES, LineData
from bureau.tenancy.actor import Actor, CapabilityDenied
from bureau.tenancy.roles import Capability
from bureau.web.access import actor_of, record_in_context, requires

BLANK_ROWS = 2  # empty rows offered for new lines (no script: "Add line" re-renders)
SPLIT = re.compile(r"[\s,;]+")


def _claim_url(public_id: Any) -> str:
    return reverse("claims:detail", kwargs={"public_id": public_id})


def _editable(actor: Actor, public_id: UUID) -> Claim:
    claim = scrubbing.claim_for_scrub(actor=actor, public_id=public_id)
    if claim is None:
        raise Http404
    return claim


def _create(request: HttpRequest, public_id: UUID, frequency: ClaimFrequency) -> HttpResponse:
    actor = actor_of(request)
    claim = _editable(actor, public_id)
    record_in_context(request, claim.practice_id, noun="claim", back=_claim_url(public_id))
    try:
        made = corrections.correction_create(actor=actor, claim=claim, frequency=frequency)
    except corrections.CorrectionError as exc:
        messages.error(request, f"Not created: {exc}")
        return redirect(_claim_url(public_id))
    except CapabilityDenied as exc:
        raise Http404 from exc
    if frequency == ClaimFrequency.VOID:
        made.refresh_from_db(fields=["state"])  # the scrub moved it on: say where it stands
        messages.success(
            request,
            f"Void {made.number} of claim {claim.number} created and scrubbed "
            f"({made.get_state_display().lower()}); it goes out with the next batch.",
        )
        return redirect(_claim_url(made.public_id))
    messages.success(
        request, f"Replacement {made.number} created as a copy of {claim.number}: correct it."
    )
    return redirect("claims:replacement", public_id=made.public_id)


@require_POST
@requires(Capability.CLAIMS_EDIT)
def claim_replace_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _create(request, public_id, ClaimFrequency.REPLACEMENT)


@require_POST
@requires(Capability.CLAIMS_EDIT)
def claim_void_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    return _create(request, public_id, ClaimFrequency.VOID)


@dataclass
class Row:
    """One line of the form as shown (the saved line, or what was posted)."""

    n: int
    code: str = ""
    modifiers: str = ""
    pointers: str = "1"
    units: str = "1"
    charge: str = ""
    source: str = ""


def _rows_of(lines: list[ClaimLine]) -> list[Row]:
    return [
        Row(
            n=i,
            code=line.procedure_code,
            modifiers=" ".join(line.modifiers or []),
            pointers=" ".join(str(p) for p in line.diagnosis_pointers or []),
            units=f"{Decimal(line.units).normalize():f}",
            charge=str(line.charge),
            source=str(line.line_number),
        )
        for i, line in enumerate(lines, start=1)
    ]


def _posted_rows(post: QueryDict) -> list[Row]:
    """The rows as posted, blanks and removed rows included (shown again on an error)."""
    try:
        count = min(int(post.get("rows", "0")), MAX_LINES + BLANK_ROWS + 1)
    except ValueError:
        count = 0
    rows: list[Row] = []
    for i in range(1, max(count, 0) + 1):
        if post.get(f"line-{i}-remove"):
            continue
        rows.append(
            Row(
                n=len(rows) + 1,
                **{
                    name: post.get(f"line-{i}-{name}", "").replace("\x00", "")[:40].strip()
                    for name in ("code", "modifiers", "pointers", "units", "charge", "source")
                },
            )
        )
    return rows


class FormError(ValueError):
    pass


def _number(value: str, what: str, n: int) -> Decimal:
    # Decimal() reads digits of any script ("٣" is 3) and underscores ("1_0" is 10): only
    # ASCII digits are taken as typed.
    if not value.isascii() or "_" in value:
        raise FormError(f"Line {n}: {what} must be a number.")
    try:
        number = Decimal(value)
    except (InvalidOperation, ValueError) as exc:
        raise FormError(f"Line {n}: {what} must be a number.") from exc
    if not number.is_finite():
        raise FormError(f"Line {n}: {what} must be a number.")
    return number


def _parse(rows: list[Row]) -> list[corrections.CorrectedLine]:
    """Rows with a code become lines; a row left empty is skipped (an unused blank row)."""
    lines: list[corrections.CorrectedLine] = []
    for row in rows:
        if not any((row.code, row.modifiers, row.charge)) and not row.source:
            continue
        n = len(lines) + 1
        pointers = []
        for part in SPLIT.split(row.pointers):
            if not part:
                continue
            if not (part.isascii() and part.isdigit()) or len(part) > 2:
                raise FormError(f"Line {n}: diagnosis pointers are numbers 1-12.")
            pointers.append(int(part))
        units = _number(row.units or "1", "units", n)
        charge = _number(row.charge, "charge", n) if row.charge else None
        # Out-of-range charges are refused by the line's validation; quantize cannot hold them.
        if (
            charge is not None
            and abs(charge) < Decimal("1e10")
            and charge.quantize(Decimal("0.01")) != charge
        ):
            raise FormError(f"Line {n}: a charge has at most two decimals.")
        lines.append(
            corrections.CorrectedLine(
                LineData(
                    procedure_code=row.code,
                    modifiers=[m for m in SPLIT.split(row.modifiers.upper()) if m],
                    pointers=pointers,
                    units=units,
                    charge=charge,
                ),
                source=(
                    int(row.source)
                    if row.source.isascii() and row.source.isdigit() and len(row.source) < 4
                    else None
                ),
            )
        )
    return lines


@requires(Capability.CLAIMS_EDIT)
def replacement_edit_view(request: HttpRequest, public_id: UUID) -> HttpResponse:
    """The replacement's lines and diagnoses, editable until it is sent. Any other claim (an
    original, a void, a sent replacement) is sent back to its page with a message."""
    actor = actor_of(request)
    claim = _editable(actor, public_id)
    back = _claim_url(public_id)
    record_in_context(request, claim.practice_id, noun="claim", back=back)
    unsent = corrections.UNSENT
    if claim.frequency != ClaimFrequency.REPLACEMENT or claim.state not in unsent:
        messages.error(request, "Only a replacement claim not yet sent is edited here.")
        return redirect(back)
    error = ""
    if request.method == "POST":
        rows = _posted_rows(request.POST)
        diagnoses = request.POST.get("diagnoses", "").replace("\x00", "")[:300]
        if request.POST.get("add"):
            rows.append(Row(n=len(rows) + 1))
        else:
            try:
                lines = _parse(rows)
                corrections.replacement_update(
                    actor=actor,
                    claim=claim,
                    diagnoses=[c for c in SPLIT.split(diagnoses) if c],
                    lines=lines,
                )
            except (FormError, corrections.CorrectionError) as exc:
                error = str(exc)
            except CapabilityDenied as exc:
                raise Http404 from exc
            else:
                claim.refresh_from_db(fields=["state"])
                messages.success(
                    request,
                    f"Replacement {claim.number} saved and scrubbed: "
                    f"{claim.get_state_display().lower()}"
                    + (
                        " — it goes out with the next batch."
                        if claim.state == "ready"
                        else "; see the findings."
                    ),
                )
                return redirect(back)
    else:
        rows = _rows_of(corrections.replacement_lines(actor=actor, claim=claim))
        diagnoses = " ".join(claim.diagnosis_codes or [])
    while sum(1 for r in rows if not r.code and not r.source) < 1 and len(rows) < MAX_LINES:
        rows.append(Row(n=len(rows) + 1))
    original = claim.replaces
    return render(
        request,
        "claims/replacement_form.html",
        {
            "claim": claim,
            "original": original,
            "practice": actor.access[claim.practice_id].practice,
            "rows": rows,
            "diagnoses": diagnoses,
            "error": error,
        },
        status=200,
    )
