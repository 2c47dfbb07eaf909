"""Built-in scrub rules: small functions `(snapshot, context) -> list[Hit]`, each registered
with a stable rule id prefix in `BUILTIN_RULES`. Rule ids appear in ScrubHit.rule, so they are
never renamed."""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, timedelta
from decimal import Decimal
from functools import lru_cache

import simple_icd_10_cm as icd

from bureau.claims.scrubber.snapshot import (
    CREDENTIALING_RULE,
    ClaimSnapshot,
    EnrollmentState,
    Hit,
    ScrubContext,
)
from bureau.directory.npi import is_valid_npi

ERROR = "error"
WARNING = "warning"
TIMELY_WARNING_DAYS = 30
MAX_MODIFIERS = 4
MAX_POINTERS = 4
NCCI_BYPASS = frozenset({"59", "XE", "XS", "XP", "XU"})

# A small table of common modifiers; an unknown one is a warning, not an error.
KNOWN_MODIFIERS = frozenset(
    "22 24 25 26 27 33 47 50 51 52 53 54 55 56 57 58 59 62 66 76 77 78 79 80 81 82 90 91 92 "
    "93 95 99 AI AS CR E1 E2 E3 E4 F1 F2 F3 F4 F5 F6 F7 F8 F9 FA FS FT GA GC GE GN GO GP GT GX "
    "GY GZ JW JZ KS KX LT RT QK QW QX QY QZ SA SB TA T1 T2 T3 T4 T5 T6 T7 T8 T9 TC XE XP XS "
    "XU".split()
)

# CPT (5 digits; category II/III: 4 digits + F/T) or HCPCS level II (a letter + 4 digits).
PROCEDURE_CODE = re.compile(r"^(?:\d{4}[0-9FT]|[A-V]\d{4})$")
MODIFIER = re.compile(r"^[0-9A-Z]{2}$")

Rule = Callable[[ClaimSnapshot, ScrubContext], list[Hit]]


@lru_cache(maxsize=65536)
def icd_status(code: str) -> str:
    """ "ok", "invalid" or "nonbillable" (a valid category that is not a leaf). Cached: the
    library walks its tables on every call."""
    code = code.strip().upper()
    if not code or not icd.is_valid_item(code):
        return "invalid"
    return "ok" if icd.is_leaf(code) else "nonbillable"


def required_fields(s: ClaimSnapshot, c: ScrubContext) -> list[Hit]:
    hits = []
    if not s.member_id.strip():
        hits.append(Hit("required.member_id", ERROR, "The member id is missing."))
    if s.patient_dob is None:
        hits.append(Hit("required.dob", ERROR, "The patient's date of birth is missing."))
    if not s.patient_address_complete:
        hits.append(
            Hit(
                "required.address",
                ERROR,
                "The patient's address is incomplete (street, city, state and ZIP): "
                "the claim carries it.",
            )
        )
    if not s.diagnosis_codes:
        hits.append(Hit("required.diagnosis", ERROR, "The claim has no diagnosis code."))
    if not s.lines:
        hits.append(Hit("required.lines", ERROR, "The claim has no service line."))
    return hits


def npi_check(s: ClaimSnapshot, c: ScrubContext) -> list[Hit]:
    hits = []
    for rule, label, npi in (
        ("npi.billing", "billing", s.billing_npi),
        ("npi.rendering", "rendering", s.rendering_npi),
    ):
        if not is_valid_npi(npi or ""):
            hits.append(Hit(rule, ERROR, f"The {label} NPI {npi or '(none)'} is not valid."))
    return hits


def diagnosis_codes(s: ClaimSnapshot, c: ScrubContext) -> list[Hit]:
    hits = []
    for n, code in enumerate(s.diagnosis_codes, start=1):
        status = icd_status(code)
        if status == "invalid":
            hits.append(Hit("icd10.invalid", ERROR, f"Diagnosis {n} ({code}) is not ICD-10-CM."))
        elif status == "nonbillable":
            hits.append(
                Hit(
                    "icd10.nonbillable",
                    ERROR,
                    f"Diagnosis {n} ({code}) is a category; code to full specificity.",
                )
            )
    if len(s.diagnosis_codes) != len(set(s.diagnosis_codes)):
        hits.append(Hit("icd10.duplicate", WARNING, "A diagnosis code is listed twice."))
    count = len(s.diagnosis_codes)
    for line in s.lines:
        p = line.pointers
        if not p:
            hits.append(
                Hit("icd10.pointer", ERROR, "The line points to no diagnosis.", line.number)
            )
        elif len(p) > MAX_POINTERS or len(set(p)) != len(p) or any(not 1 <= x <= count for x in p):
            hits.append(
                Hit(
                    "icd10.pointer",
                    ERROR,
                    f"Diagnosis pointers {list(p)} do not fit the {count} diagnoses.",
                    line.number,
                )
            )
    return hits


def procedure_format(s: ClaimSnapshot, c: ScrubContext) -> list[Hit]:
    hits = []
    for line in s.lines:
        if not PROCEDURE_CODE.match(line.procedure_code):
            hits.append(
                Hit(
                    "cpt.format",
                    ERROR,
                    f"{line.procedure_code!r} is not a CPT or HCPCS code.",
                    line.number,
                )
            )
        if line.units <= 0:
            hits.append(Hit("line.units", ERROR, "Units must be more than zero.", line.number))
        if line.charge < 0:
            hits.append(Hit("line.charge", ERROR, "The charge is negative.", line.number))
    return hits


def modifiers(s: ClaimSnapshot, c: ScrubContext) -> list[Hit]:
    hits = []
    for line in s.lines:
        mods = line.modifiers
        if len(mods) > MAX_MODIFIERS:
            hits.append(
                Hit(
                    "modifier.count",
                    ERROR,
                    f"{len(mods)} modifiers; at most {MAX_MODIFIERS}.",
                    line.number,
                )
            )
        if len(set(mods)) != len(mods):
            hits.append(Hit("modifier.duplicate", ERROR, "A modifier is repeated.", line.number))
        for mod in mods:
            if not MODIFIER.match(mod):
                hits.append(
                    Hit(
                        "modifier.format",
                        ERROR,
                        f"Modifier {mod!r} is not two letters or digits.",
                        line.number,
                    )
                )
            elif mod not in KNOWN_MODIFIERS:
                hits.append(
                    Hit(
                        "modifier.unknown",
                        WARNING,
                        f"Modifier {mod} is not in the known list.",
                        line.number,
                    )
                )
    return hits


def dates(s: ClaimSnapshot, c: ScrubContext) -> list[Hit]:
    hits = []
    days = {s.date_of_service, *(line.date_of_service for line in s.lines if line.date_of_service)}
    if any(d > s.today for d in days):
        hits.append(Hit("date.future", ERROR, "The date of service is in the future."))
    if s.patient_dob is not None and any(d < s.patient_dob for d in days):
        hits.append(
            Hit("date.before_birth", ERROR, "The date of service is before the patient's birth.")
        )
    return hits


def timely_filing(s: ClaimSnapshot, c: ScrubContext) -> list[Hit]:
    if s.frequency != "1":
        # A replacement or void corrects a claim the payer already received in time; payers
        # hold corrections to their own (later) limits, which they answer for.
        return []
    deadline = s.date_of_service + timedelta(days=s.timely_filing_days)
    if s.today > deadline:
        return [
            Hit(
                "timely.expired",
                ERROR,
                f"The {s.timely_filing_days}-day filing limit passed on {deadline}.",
            )
        ]
    if (deadline - s.today).days <= TIMELY_WARNING_DAYS:
        return [
            Hit(
                "timely.near",
                WARNING,
                f"The {s.timely_filing_days}-day filing limit ends on {deadline}.",
            )
        ]
    return []


_ENROLLMENT_MESSAGES = {
    EnrollmentState.MISSING: "The rendering provider is not enrolled with this payer.",
    EnrollmentState.PENDING: "The rendering provider's enrollment with this payer is pending.",
    EnrollmentState.TERMINATED: "The rendering provider's enrollment was not in force on the "
    "date of service.",
}


def enrollment(s: ClaimSnapshot, c: ScrubContext) -> list[Hit]:
    message = _ENROLLMENT_MESSAGES.get(s.enrollment)
    return [Hit(CREDENTIALING_RULE, ERROR, message)] if message else []


def duplicates(s: ClaimSnapshot, c: ScrubContext) -> list[Hit]:
    if not c.existing_claims:
        return []
    hits = []
    for line in s.lines:
        key = (s.patient_id, s.line_date(line), line.procedure_code, s.payer_id)
        holders = c.existing_claims.get(key)
        if holders and (len(holders) > 1 or s.claim_id not in holders):
            hits.append(
                Hit(
                    "duplicate",
                    ERROR,
                    f"Another claim bills {line.procedure_code} on {key[1]} to this payer.",
                    line.number,
                )
            )
    return hits


def ncci_pairs(s: ClaimSnapshot, c: ScrubContext) -> list[Hit]:
    if not c.ncci or len(s.lines) < 2:
        return []
    hits = []
    for a in s.lines:
        for b in s.lines:
            if a is b or s.line_date(a) != s.line_date(b):
                continue
            indicator = c.ncci.get((a.procedure_code, b.procedure_code))
            if indicator is None or indicator not in (0, 1):
                continue
            bypass = NCCI_BYPASS.intersection(a.modifiers) or NCCI_BYPASS.intersection(b.modifiers)
            if indicator == 1 and bypass:
                continue
            pair = f"{b.procedure_code} with {a.procedure_code}"
            why = (
                f"{pair} is never billed on the same day."
                if indicator == 0
                else f"{pair} needs modifier 59, XE, XS, XP or XU on one of them."
            )
            hits.append(Hit("ncci", ERROR, f"NCCI: {why}", b.number))
    return hits


def mue_units(s: ClaimSnapshot, c: ScrubContext) -> list[Hit]:
    if not c.mue:
        return []
    totals: dict[tuple[str, date], Decimal] = {}
    first: dict[tuple[str, date], int] = {}
    for line in s.lines:
        key = (line.procedure_code, s.line_date(line))
        totals[key] = totals.get(key, Decimal(0)) + line.units
        first.setdefault(key, line.number)
    hits = []
    for key, units in totals.items():
        limit = c.mue.get(key[0])
        if limit is not None and units > limit:
            hits.append(
                Hit(
                    "mue",
                    ERROR,
                    f"{units.normalize()} units of {key[0]} on {key[1]}; at most {limit} per day.",
                    first[key],
                )
            )
    return hits


BUILTIN_RULES: tuple[tuple[str, Rule], ...] = (
    ("required", required_fields),
    ("npi", npi_check),
    ("icd10", diagnosis_codes),
    ("cpt", procedure_format),
    ("modifier", modifiers),
    ("date", dates),
    ("timely", timely_filing),
    (CREDENTIALING_RULE, enrollment),
    ("duplicate", duplicates),
    ("ncci", ncci_pairs),
    ("mue", mue_units),
)
