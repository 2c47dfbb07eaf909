"""CSV imports of fee schedules and contract rates: every row checked first, all or nothing.

A file with any bad row writes nothing and returns every row's errors (row number, column,
message); a good file is written in one transaction with one audit event.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation

from django.db import transaction
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.directory.models import ContractRate, FeeSchedule, FeeScheduleLine, Payer
from bureau.directory.services import (
    require_practice_manage,
    require_reason,
    require_workspace_manage,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice

# CPT (5 digits), CPT Category II/III (4 digits + F/T), PLA (4 digits + U), HCPCS II (A-V + 4).
CODE_RE = re.compile(r"^(?:\d{5}|\d{4}[FTU]|[A-V]\d{4})$")
MODIFIER_RE = re.compile(r"^[A-Z0-9]{2}$")
MAX_AMOUNT = Decimal("9999999999.99")

FEE_COLUMNS = ("code", "modifier", "amount")
CONTRACT_COLUMNS = ("payer_id", "code", "modifier", "allowed_amount")


@dataclass(frozen=True)
class RowError:
    row: int  # 1 = the header line; data rows start at 2, as a spreadsheet numbers them
    column: str
    message: str


@dataclass
class ImportResult:
    errors: list[RowError] = field(default_factory=list)
    created: int = 0
    updated: int = 0
    deleted: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


def is_valid_code(code: str) -> bool:
    return bool(CODE_RE.match(code))


def parse_amount(raw: str) -> Decimal | str:
    """The amount as a Decimal, or a message saying what is wrong with it."""
    text = raw.strip().lstrip("$")
    try:
        value = Decimal(text)
    except InvalidOperation:
        return f"{raw!r} is not an amount."
    if not value.is_finite():
        return f"{raw!r} is not an amount."
    if value < 0:
        return "The amount cannot be negative."
    exponent = value.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -2:
        return "At most 2 decimal places."
    if value > MAX_AMOUNT:
        return "The amount is too large."
    return value.quantize(Decimal("0.01"))


def _read(
    text: str, columns: tuple[str, ...], result: ImportResult
) -> list[tuple[int, dict[str, str]]]:
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in columns if c not in header]
    if missing:
        result.errors.append(RowError(1, ", ".join(missing), "Missing column(s) in the header."))
        return []
    reader.fieldnames = header
    rows = []
    for number, raw in enumerate(reader, start=2):
        row = {c: (raw.get(c) or "").strip() for c in columns}
        if not any(row.values()):
            continue  # blank line
        rows.append((number, row))
    if not rows:
        result.errors.append(RowError(1, "", "The file has no data rows."))
    return rows


def _code_and_modifier(
    number: int, row: dict[str, str], result: ImportResult
) -> tuple[str, str] | None:
    code = row["code"].upper()
    modifier = row["modifier"].upper()
    good = True
    if not is_valid_code(code):
        result.errors.append(
            RowError(
                number,
                "code",
                f"{row['code']!r} is not a CPT/HCPCS code (5 digits, 4 digits + F/T/U, "
                "or a letter A-V + 4 digits).",
            )
        )
        good = False
    if modifier and not MODIFIER_RE.match(modifier):
        result.errors.append(
            RowError(number, "modifier", f"{row['modifier']!r}: a modifier is 2 letters/digits.")
        )
        good = False
    return (code, modifier) if good else None


def _amount(number: int, row: dict[str, str], column: str, result: ImportResult) -> Decimal | None:
    amount = parse_amount(row[column])
    if isinstance(amount, str):
        result.errors.append(RowError(number, column, amount))
        return None
    return amount


# -- fee schedules ------------------------------------------------------------------------------
def parse_fee_schedule(text: str) -> tuple[dict[tuple[str, str], Decimal], ImportResult]:
    result = ImportResult()
    lines: dict[tuple[str, str], Decimal] = {}
    seen: dict[tuple[str, str], int] = {}
    for number, row in _read(text, FEE_COLUMNS, result):
        key = _code_and_modifier(number, row, result)
        amount = _amount(number, row, "amount", result)
        if key is None or amount is None:
            continue
        if key in seen:
            label = "-".join(filter(None, key))
            result.errors.append(
                RowError(number, "code", f"Duplicate of row {seen[key]} ({label}).")
            )
            continue
        seen[key] = number
        lines[key] = amount
    return lines, result


@transaction.atomic
def fee_schedule_import(
    *, actor: Actor, practice: Practice | None, text: str, reason: str
) -> ImportResult:
    """Replace the lines of the workspace default (practice None) or a practice's override."""
    if practice is None:
        require_workspace_manage(actor)
    else:
        require_practice_manage(actor, practice)
    reason = require_reason(reason)
    lines, result = parse_fee_schedule(text)
    if not result.ok:
        return result
    schedule = (
        FeeSchedule.objects.select_for_update()
        .filter(workspace=actor.workspace, practice=practice)
        .first()
    )
    if schedule is None:
        schedule = FeeSchedule.objects.create(
            workspace=actor.workspace,
            practice=practice,
            name=f"{practice.name} fees" if practice else "Workspace default fees",
        )
    old = {(line.code, line.modifier): line.amount for line in schedule.lines.all()}
    result.deleted = len(set(old) - set(lines))
    result.created = len(set(lines) - set(old))
    result.updated = sum(1 for key in set(lines) & set(old) if lines[key] != old[key])
    schedule.lines.all().delete()
    FeeScheduleLine.objects.bulk_create(
        FeeScheduleLine(schedule=schedule, code=code, modifier=modifier, amount=amount)
        for (code, modifier), amount in sorted(lines.items())
    )
    schedule.updated_at = timezone.now()
    schedule.save(update_fields=["updated_at"])
    audit_record(
        action=AuditAction.FEE_SCHEDULE_IMPORTED,
        actor=actor,
        practice=practice,
        model="directory.FeeSchedule",
        record_ids=[schedule.public_id],
        reason=reason,
        detail={
            "target": "practice" if practice else "workspace default",
            "rows": len(lines),
            "created": result.created,
            "updated": result.updated,
            "deleted": result.deleted,
        },
    )
    return result


# -- contract rates -----------------------------------------------------------------------------
def parse_contract_rates(
    text: str, payers: dict[str, Payer]
) -> tuple[dict[tuple[int, str, str], Decimal], ImportResult]:
    result = ImportResult()
    rates: dict[tuple[int, str, str], Decimal] = {}
    seen: dict[tuple[int, str, str], int] = {}
    for number, row in _read(text, CONTRACT_COLUMNS, result):
        payer = payers.get(row["payer_id"].upper())
        if payer is None:
            result.errors.append(
                RowError(number, "payer_id", f"No payer with id {row['payer_id']!r}.")
            )
        code_mod = _code_and_modifier(number, row, result)
        amount = _amount(number, row, "allowed_amount", result)
        if payer is None or code_mod is None or amount is None:
            continue
        key = (payer.pk, *code_mod)
        if key in seen:
            result.errors.append(RowError(number, "code", f"Duplicate of row {seen[key]}."))
            continue
        seen[key] = number
        rates[key] = amount
    return rates, result


@transaction.atomic
def contract_rates_import(
    *, actor: Actor, practice: Practice, text: str, reason: str
) -> ImportResult:
    """Upsert the practice's contract rates named in the file; others are left as they are."""
    require_practice_manage(actor, practice)
    reason = require_reason(reason)
    payers = {p.payer_id.upper(): p for p in Payer.objects.filter(workspace=actor.workspace)}
    rates, result = parse_contract_rates(text, payers)
    if not result.ok:
        return result
    existing = {
        (r.payer_id, r.code, r.modifier): r
        for r in ContractRate.objects.select_for_update().filter(practice=practice)
    }
    new, changed = [], []
    for (payer_pk, code, modifier), amount in rates.items():
        current = existing.get((payer_pk, code, modifier))
        if current is None:
            new.append(
                ContractRate(
                    workspace=actor.workspace,
                    practice=practice,
                    payer_id=payer_pk,
                    code=code,
                    modifier=modifier,
                    allowed_amount=amount,
                )
            )
        elif current.allowed_amount != amount:
            current.allowed_amount = amount
            changed.append(current)
    ContractRate.objects.bulk_create(new)
    ContractRate.objects.bulk_update(changed, ["allowed_amount"])
    result.created, result.updated = len(new), len(changed)
    audit_record(
        action=AuditAction.CONTRACT_RATES_IMPORTED,
        actor=actor,
        practice=practice,
        model="directory.ContractRate",
        reason=reason,
        detail={
            "rows": len(rates),
            "created": result.created,
            "updated": result.updated,
            "payers": sorted(
                {p.payer_id for p in payers.values() if any(k[0] == p.pk for k in rates)}
            ),
        },
    )
    return result
