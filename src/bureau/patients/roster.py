"""A practice's patient roster from CSV: every row checked first, all or nothing.

One row is one new patient with at most one policy (add a second policy on the patient's
page). A file with any bad row writes nothing and answers every problem with its row number
(the header is row 1, as a spreadsheet numbers it), column and reason. Account numbers already
in the practice are refused, not updated: an import adds patients, it never overwrites a
chart someone may have corrected by hand (edit that patient on their page instead).
"""

from __future__ import annotations

import csv
import hashlib
import io
import re
from dataclasses import dataclass, field
from datetime import date

from django.db import IntegrityError, transaction
from django.db.models.functions import Upper
from django.utils import timezone

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record
from bureau.directory.imports import RowError
from bureau.directory.models import Payer
from bureau.patients.models import CobOrder, Coverage, Patient, Relationship, Sex
from bureau.patients.services import (
    US_STATES,
    CoverageData,
    PatientError,
    coverage_problems,
)
from bureau.tenancy.actor import Actor
from bureau.tenancy.models import Practice
from bureau.tenancy.roles import Capability

MAX_BYTES = 2 * 1024 * 1024
MAX_ROWS = 5000

REQUIRED = ("account_number", "last_name", "first_name", "date_of_birth", "sex")
OPTIONAL = (
    "address_line1",
    "address_line2",
    "city",
    "state",
    "postal_code",
    "phone",
    "payer_id",
    "payer_name",
    "member_id",
    "group_number",
    "cob_order",
    "relationship",
    "subscriber_last_name",
    "subscriber_first_name",
    "subscriber_date_of_birth",
    "subscriber_sex",
    "effective_date",
    "end_date",
)
COLUMNS = REQUIRED + OPTIONAL
# The policy's columns: all empty means a patient without insurance on file yet.
COVERAGE_COLUMNS = OPTIONAL[6:]

ACCOUNT_RE = re.compile(r"^[A-Za-z0-9-]{1,20}$", re.ASCII)
POSTAL_RE = re.compile(r"^\d{5}(-?\d{4})?$", re.ASCII)
PHONE_RE = re.compile(r"^[0-9()+ .-]{7,20}$", re.ASCII)
ISO_DATE_RE = re.compile(r"^\d{4}-\d{2}-\d{2}$", re.ASCII)
US_DATE_RE = re.compile(r"^\d{1,2}/\d{1,2}/\d{4}$", re.ASCII)
COB_WORDS = {"primary": 1, "secondary": 2, "tertiary": 3, "1": 1, "2": 2, "3": 3}
RELATIONSHIP_WORDS = {
    "self": Relationship.SELF,
    "spouse": Relationship.SPOUSE,
    "child": Relationship.CHILD,
    "other": Relationship.OTHER,
    **{code.lower(): Relationship(code) for code in Relationship.values},
}

# Columns and what they hold, for the upload page and the docs.
COLUMN_HELP = (
    ("account_number", "required; 1-20 letters, digits or dashes; new to the practice"),
    ("last_name, first_name", "required; up to 60 characters each"),
    ("date_of_birth", "required; YYYY-MM-DD (or MM/DD/YYYY), 1900 to today"),
    ("sex", "required; F, M or U"),
    ("address_line1, address_line2, city", "optional"),
    ("state", "optional; two-letter USPS code"),
    ("postal_code", "optional; ZIP, 5 or 9 digits"),
    ("phone", "optional; digits, spaces, ( ) - . +"),
    ("payer_id", "the payer's id in Bureau's payer list (or payer_name, exactly as listed)"),
    ("member_id", "2-80 letters, digits or dashes"),
    ("group_number", "optional; up to 50 letters, digits or dashes"),
    ("cob_order", "primary (default), secondary or tertiary; or 1, 2, 3"),
    ("relationship", "self (default), spouse, child or other; or the X12 code 18, 01, 19, G8"),
    (
        "subscriber_last_name, subscriber_first_name, subscriber_date_of_birth",
        "required when relationship is not self, empty when it is",
    ),
    ("subscriber_sex", "optional; F, M or U"),
    ("effective_date", "required with a policy; up to a year ahead"),
    ("end_date", "optional; on or after effective_date"),
)


@dataclass
class RosterResult:
    errors: list[RowError] = field(default_factory=list)
    patients: int = 0
    coverages: int = 0

    @property
    def ok(self) -> bool:
        return not self.errors


@dataclass
class _Row:
    number: int
    patient: dict[str, object]
    coverage: CoverageData | None


def _shown(raw: str) -> str:
    """A cell as quoted back in a message: cut short (a 10,000-character cell is one mistake)."""
    return repr(raw if len(raw) <= 40 else raw[:40] + "...")


def parse_date(raw: str) -> date | str:
    """The date, or a message saying what is wrong with it."""
    if not raw.isascii():
        return f"{_shown(raw)}: write dates with the digits 0-9."
    try:
        if ISO_DATE_RE.match(raw):
            return date.fromisoformat(raw)
        if US_DATE_RE.match(raw):
            month, day, year = (int(part) for part in raw.split("/"))
            return date(year, month, day)
    except ValueError:
        return f"{_shown(raw)} is not a date on the calendar."
    return f"{_shown(raw)} is not a date (YYYY-MM-DD or MM/DD/YYYY)."


class _Checker:
    """Checks one row at a time, collecting every problem of the row."""

    def __init__(self, number: int, row: dict[str, str], result: RosterResult) -> None:
        self.number, self.row, self.result = number, row, result
        self.good = True

    def fail(self, column: str, message: str) -> None:
        self.result.errors.append(RowError(self.number, column, message))
        self.good = False

    def text(self, column: str, limit: int, *, required: bool = False) -> str:
        value = self.row.get(column, "")
        if required and not value:
            self.fail(column, "Required.")
        elif len(value) > limit:
            self.fail(column, f"At most {limit} characters.")
        return value

    def pattern(self, column: str, regex: re.Pattern[str], message: str) -> str:
        value = self.row.get(column, "")
        if value and not regex.match(value):
            if not value.isascii():
                message = f"{message} (digits 0-9 and letters A-Z only)"
            self.fail(column, message)
        return value

    def day(self, column: str, *, required: bool = False) -> date | None:
        raw = self.row.get(column, "")
        if not raw:
            if required:
                self.fail(column, "Required.")
            return None
        parsed = parse_date(raw)
        if isinstance(parsed, str):
            self.fail(column, parsed)
            return None
        return parsed

    def sex(self, column: str, *, required: bool) -> str:
        value = self.row.get(column, "").upper()
        if required and not value:
            self.fail(column, "Required.")
        elif value and value not in Sex.values:
            self.fail(column, "Sex must be F, M or U.")
        return value


def _patient(check: _Checker) -> dict[str, object]:
    account = check.text("account_number", 20, required=True)
    if account:
        check.pattern("account_number", ACCOUNT_RE, "Up to 20 letters, digits or dashes.")
    born = check.day("date_of_birth", required=True)
    if born is not None and born > timezone.localdate():
        check.fail("date_of_birth", "Date of birth is in the future.")
    elif born is not None and born.year < 1900:
        check.fail("date_of_birth", "Date of birth is before 1900.")
    state = check.row.get("state", "").upper()
    if state and state not in US_STATES:
        check.fail("state", f"{_shown(state)} is not a two-letter USPS state code.")
    return {
        "account_number": account,
        "last_name": check.text("last_name", 60, required=True),
        "first_name": check.text("first_name", 60, required=True),
        "date_of_birth": born,
        "sex": check.sex("sex", required=True),
        "address_line1": check.text("address_line1", 120),
        "address_line2": check.text("address_line2", 120),
        "city": check.text("city", 60),
        "state": state,
        "postal_code": check.pattern("postal_code", POSTAL_RE, "ZIP is 5 or 9 digits."),
        "phone": check.pattern("phone", PHONE_RE, "Phone: digits, spaces, ( ) - . + only."),
    }


def _payer(check: _Checker, payers: list[Payer]) -> Payer | None:
    payer_id, name = check.row.get("payer_id", ""), check.row.get("payer_name", "")
    if payer_id:
        found = [p for p in payers if p.payer_id.upper() == payer_id.upper()]
        if not found:
            check.fail("payer_id", f"No active payer with id {_shown(payer_id)}.")
            return None
        if name and found[0].name.casefold() != name.casefold():
            said = f"Payer {_shown(payer_id)} is {found[0].name!r}, not {_shown(name)}."
            check.fail("payer_name", said)
        return found[0]
    if not name:
        check.fail("payer_id", "Required with a policy (or give payer_name).")
        return None
    named = [p for p in payers if p.name.casefold() == name.casefold()]
    if len(named) != 1:
        reason = "No active payer" if not named else "Several payers"
        check.fail("payer_name", f"{reason} named {_shown(name)}: give payer_id.")
        return None
    return named[0]


def _coverage(check: _Checker, payers: list[Payer]) -> CoverageData | None:
    if not any(check.row.get(c) for c in COVERAGE_COLUMNS):
        return None
    payer = _payer(check, payers)
    order = COB_WORDS.get(check.row.get("cob_order", "").lower() or "primary")
    if order is None:
        check.fail("cob_order", "Order must be primary, secondary or tertiary.")
    relation = RELATIONSHIP_WORDS.get(check.row.get("relationship", "").lower() or "self")
    if relation is None:
        check.fail("relationship", "Relationship must be self, spouse, child or other.")
    effective = check.day("effective_date", required=True)
    end = check.day("end_date")
    subscriber_born = check.day("subscriber_date_of_birth")
    subscriber_sex = check.sex("subscriber_sex", required=False)
    if not check.row.get("member_id"):
        check.fail("member_id", "Required with a policy.")
    if payer is None or order is None or relation is None or effective is None:
        return None
    data = CoverageData(
        payer_id=payer.pk,
        member_id=check.row.get("member_id", ""),
        group_number=check.row.get("group_number", ""),
        cob_order=order,
        relationship=relation,
        effective_date=effective,
        end_date=end,
        subscriber_first_name=check.text("subscriber_first_name", 60),
        subscriber_last_name=check.text("subscriber_last_name", 60),
        subscriber_date_of_birth=subscriber_born,
        subscriber_sex=subscriber_sex,
    )
    for problem in coverage_problems(data):
        if problem.field == "member_id" and not data.member_id:
            continue  # already said: required
        check.fail(problem.field, str(problem))
    return data


def _read(text: str, result: RosterResult) -> list[tuple[int, dict[str, str]]]:
    if not text.strip("\ufeff \r\n\t"):
        result.errors.append(RowError(1, "", "The file is empty."))
        return []
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    try:
        header = [(h or "").strip().lower() for h in (reader.fieldnames or [])]
    except csv.Error as exc:
        result.errors.append(RowError(1, "", f"Not a readable CSV file ({exc})."))
        return []
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        result.errors.append(RowError(1, ", ".join(missing), "Missing column(s) in the header."))
        return []
    unknown = [h for h in header if h and h not in COLUMNS]
    if unknown:
        result.errors.append(RowError(1, ", ".join(unknown), "Unknown column(s) in the header."))
        return []
    named = [h for h in header if h]  # a trailing comma makes an empty, ignored column
    if len(set(named)) != len(named):
        result.errors.append(RowError(1, "", "A column appears twice in the header."))
        return []
    reader.fieldnames = header
    rows: list[tuple[int, dict[str, str]]] = []
    try:
        for raw in reader:
            number = reader.line_num
            row = {c: (raw.get(c) or "").strip() for c in COLUMNS if c in header}
            if not any(row.values()):
                continue  # a blank line
            if len(rows) == MAX_ROWS:
                result.errors.append(
                    RowError(number, "", f"More than {MAX_ROWS:,} patients: split the file.")
                )
                return []
            if None in raw:
                result.errors.append(RowError(number, "", "More values than header columns."))
                continue
            rows.append((number, row))
    except csv.Error as exc:
        result.errors.append(RowError(reader.line_num, "", f"Not readable as CSV ({exc})."))
        return []
    if not rows and not result.errors:
        result.errors.append(RowError(1, "", "The file has no data rows."))
    return rows


def parse_roster(text: str, payers: list[Payer]) -> tuple[list[_Row], RosterResult]:
    """Every row checked, nothing written: the rows to add, and every problem found."""
    result = RosterResult()
    parsed: list[_Row] = []
    seen: dict[str, int] = {}
    for number, row in _read(text, result):
        check = _Checker(number, row, result)
        for column, value in row.items():
            if "\x00" in value:  # no database column holds a NUL
                check.fail(column, "Contains a NUL character.")
        patient = _patient(check)
        coverage = _coverage(check, payers)
        account = str(patient["account_number"]).upper()
        if account and account in seen:
            check.fail("account_number", f"Duplicate of row {seen[account]}.")
        elif account:
            seen[account] = number
        if check.good:
            parsed.append(_Row(number, patient, coverage))
    return parsed, result


def _taken(actor: Actor, practice: Practice, accounts: list[str]) -> set[str]:
    """The given account numbers the practice has already, upper-cased (they match in any case,
    as the database's constraint does). Whatever providers the actor is limited to, account
    numbers are the practice's: only the clash leaves here, never a row."""
    wanted = [a.upper() for a in accounts]
    found: set[str] = set()
    for start in range(0, len(wanted), 500):
        found |= set(
            Patient.objects.whole_practice(
                actor, Capability.PATIENTS_VIEW, reason="roster import account numbers"
            )
            .filter(practice=practice)
            .annotate(account_upper=Upper("account_number"))
            .filter(account_upper__in=wanted[start : start + 500])
            .values_list("account_upper", flat=True)
        )
    return found


def _require_import(actor: Actor, practice: Practice) -> None:
    actor.require(Capability.PATIENTS_EDIT, practice)
    actor.require(Capability.PATIENTS_DEMOGRAPHICS, practice)
    if actor.provider_limited(practice, Capability.PATIENTS_EDIT):
        # New patients have no encounter yet, so no provider: see `patient_create`.
        raise PatientError(
            "practice",
            "Your access to this practice is limited to some providers: a roster is imported "
            "by someone with access to the whole practice.",
        )


@transaction.atomic
def roster_import(*, actor: Actor, practice: Practice, text: str) -> RosterResult:
    """Add the file's patients (and policies) to the practice, or nothing at all."""
    _require_import(actor, practice)
    payers = list(Payer.objects.filter(workspace=actor.workspace, is_active=True))
    rows, result = parse_roster(text, payers)
    taken = _taken(actor, practice, [str(r.patient["account_number"]) for r in rows])
    for row in rows:
        if str(row.patient["account_number"]).upper() in taken:
            result.errors.append(
                RowError(
                    row.number,
                    "account_number",
                    "The practice already has this account number: an import only adds "
                    "patients (edit that one on their page).",
                )
            )
    if not result.ok:
        return result
    now = timezone.now()
    patients = [
        Patient(
            workspace=actor.workspace,
            practice=practice,
            created_at=now,
            updated_at=now,
            **row.patient,
        )
        for row in rows
    ]
    try:
        with transaction.atomic():
            Patient.objects.bulk_create(patients)
    except IntegrityError:
        # Someone added one of these account numbers since the check: nothing was written.
        result.errors.append(
            RowError(1, "account_number", "An account number was taken meanwhile: try again.")
        )
        return result
    coverages = [
        Coverage(
            workspace=actor.workspace,
            practice=practice,
            patient=patient,
            **_coverage_fields(row.coverage),
        )
        for patient, row in zip(patients, rows, strict=True)
        if row.coverage is not None
    ]
    Coverage.objects.bulk_create(coverages)
    result.patients, result.coverages = len(patients), len(coverages)
    audit_record(
        action=AuditAction.PATIENT_CREATED,
        actor=actor,
        practice=practice,
        model="patients.Patient",
        record_ids=[p.public_id for p in patients],
        detail={
            "import": "roster",
            "patients": result.patients,
            "coverages": result.coverages,
            "sha256": hashlib.sha256(text.encode()).hexdigest(),
        },
    )
    return result


def _coverage_fields(data: CoverageData | None) -> dict[str, object]:
    assert data is not None
    return {
        "payer_id": data.payer_id,
        "member_id": data.member_id,
        "group_number": data.group_number,
        "cob_order": CobOrder(data.cob_order),
        "relationship": data.relationship,
        "subscriber_first_name": data.subscriber_first_name,
        "subscriber_last_name": data.subscriber_last_name,
        "subscriber_date_of_birth": data.subscriber_date_of_birth,
        "subscriber_sex": data.subscriber_sex,
        "effective_date": data.effective_date,
        "end_date": data.end_date,
    }


__all__ = ["COLUMN_HELP", "COLUMNS", "MAX_BYTES", "MAX_ROWS", "RosterResult", "roster_import"]
