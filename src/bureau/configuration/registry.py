"""Every settings key, declared once as data: its type, default, description, range and whether
a payer may override it. Values are typed here on the way in (`parse`) and out (`to_json`):
Decimals travel as strings, never floats.

A key is `live` once code reads it. Keys declared ahead of the code that will read them stay out
of REGISTRY (the settings page, export, import, the resolver): offering a setting that changes
nothing misleads the person who sets it. A test fails on a live key no code resolves."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any

from bureau.tenancy.roles import Capability, Role

CENTS = Decimal("0.01")


class SettingInvalid(ValueError):
    """A value that does not fit its key; the message names the key."""

    def __init__(self, key: str, problem: str) -> None:
        super().__init__(f"{key}: {problem}")
        self.key = key
        self.problem = problem


class Kind(StrEnum):
    BOOL = "bool"
    INT = "int"
    DECIMAL = "decimal"
    CHOICE = "choice"
    STR = "str"
    RULES = "rules"
    DATES = "dates"  # a list of calendar days, stored as ISO text


class RuleOp(StrEnum):
    EQ = "eq"
    NE = "ne"
    IN = "in"
    NOT_IN = "not_in"
    GT = "gt"
    GTE = "gte"
    LT = "lt"
    LTE = "lte"
    EMPTY = "empty"
    NOT_EMPTY = "not_empty"
    MATCHES = "matches"


RULE_SEVERITIES = ("error", "warning")
RULE_KEYS = {"field", "op", "value", "severity", "message"}
VALUELESS_OPS = {RuleOp.EMPTY, RuleOp.NOT_EMPTY}

_TRUE = {"true", "on", "yes", "1"}
_FALSE = {"false", "off", "no", "0"}
_WHOLE = re.compile(r"-?[0-9]+")  # ASCII only: str.isdigit() also accepts "²" and "٣"
# Far beyond every range in the registry, and well inside what int() and Decimal handle exactly.
MAX_DIGITS = 15


def shown(raw: Any, limit: int = 40) -> str:
    """`raw` for an error message, cut short: a 10,000-character value is not echoed back."""
    text = repr(raw)
    return text if len(text) <= limit else text[: limit - 1] + "…"


class JsonProblem(ValueError):
    """Text that is not usable JSON; the message says why in words."""


def json_loads(text: str) -> Any:
    """`json.loads` with numbers as Decimal (never float) and every failure one JsonProblem:
    bad syntax, nesting too deep for the parser, integers too long to convert."""
    try:
        return json.loads(text, parse_float=Decimal)
    except json.JSONDecodeError as exc:
        raise JsonProblem(f"not valid JSON ({exc.msg}, line {exc.lineno})") from None
    except RecursionError:
        raise JsonProblem("not valid JSON (nested too deeply)") from None
    except ValueError:  # int() refuses numbers of thousands of digits
        raise JsonProblem("not valid JSON (a number is too long)") from None


@dataclass(frozen=True)
class SettingSpec:
    key: str
    kind: Kind
    default: Any
    description: str
    payer_override: bool = False
    minimum: int | Decimal | None = None
    maximum: int | Decimal | None = None
    choices: tuple[str, ...] = ()
    live: bool = True  # False: declared, but no code reads it yet (hidden everywhere)
    # True: one value for the whole workspace (its holidays); practices and payers cannot
    # override it, and the resolver ignores any row below the workspace.
    workspace_only: bool = False

    def __post_init__(self) -> None:
        if self.workspace_only and self.payer_override:
            raise ValueError(f"{self.key}: a workspace-only setting has no payer overrides")

    def parse(self, raw: Any) -> Any:
        """The typed value of `raw` (stored JSON or form text), or SettingInvalid."""
        value: Any = _PARSERS[self.kind](self, raw)
        if self.kind in (Kind.INT, Kind.DECIMAL):
            if self.minimum is not None and value < self.minimum:
                raise SettingInvalid(self.key, f"must be at least {self.minimum}, got {value}")
            if self.maximum is not None and value > self.maximum:
                raise SettingInvalid(self.key, f"must be at most {self.maximum}, got {value}")
        return value

    def to_json(self, value: Any) -> Any:
        if self.kind == Kind.DECIMAL:
            return str(value)
        if self.kind == Kind.DATES:
            return [day.isoformat() for day in value]
        return value

    def display(self, value: Any) -> str:
        if self.kind == Kind.BOOL:
            return "on" if value else "off"
        if self.kind == Kind.RULES:
            return json.dumps(value, indent=1) if value else "[]"
        if self.kind == Kind.DATES:
            return ", ".join(day.isoformat() for day in value) if value else "none"
        return str(value)

    def form_text(self, value: Any) -> str:
        if self.kind == Kind.BOOL:
            return "true" if value else "false"
        if self.kind == Kind.RULES:
            return json.dumps(value, indent=2)
        if self.kind == Kind.DATES:
            return "\n".join(self.to_json(value))
        return str(self.to_json(value))


def _too_large(spec: SettingSpec, raw: Any) -> SettingInvalid:
    limit = f"at most {spec.maximum}" if spec.maximum is not None else "smaller"
    return SettingInvalid(spec.key, f"must be {limit}, got a number too large: {shown(raw)}")


def _parse_bool(spec: SettingSpec, raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and raw.strip().lower() in _TRUE | _FALSE:
        return raw.strip().lower() in _TRUE
    raise SettingInvalid(spec.key, f"expected true or false, got {shown(raw)}")


def _parse_int(spec: SettingSpec, raw: Any) -> int:
    if isinstance(raw, int) and not isinstance(raw, bool):
        return raw
    if isinstance(raw, str) and _WHOLE.fullmatch(text := raw.strip()):
        if len(text.lstrip("-")) > MAX_DIGITS:
            raise _too_large(spec, raw)
        return int(text)
    raise SettingInvalid(spec.key, f"expected a whole number such as 30, got {shown(raw)}")


def _parse_decimal(spec: SettingSpec, raw: Any) -> Decimal:
    # Floats are refused: money is never binary floating point.
    if isinstance(raw, bool) or not isinstance(raw, (str, int, Decimal)):
        problem = f'expected an amount as text such as "25.00", got {shown(raw)}'
        raise SettingInvalid(spec.key, problem)
    text = str(raw).strip()
    try:
        # Decimal() also reads "٣" as 3: amounts are written in ASCII digits only.
        value = Decimal(text) if text.isascii() else None
    except InvalidOperation:
        value = None
    if value is None or not value.is_finite():
        raise SettingInvalid(spec.key, f"expected an amount such as 25.00, got {shown(raw)}")
    if value and value.adjusted() >= MAX_DIGITS:
        raise _too_large(spec, raw)  # "1e30" would overflow quantize() below
    if value != value.quantize(CENTS):
        raise SettingInvalid(spec.key, f"amounts have at most two decimals, got {shown(raw)}")
    return value.quantize(CENTS)


def _parse_choice(spec: SettingSpec, raw: Any) -> str:
    if isinstance(raw, str) and raw.strip() in spec.choices:
        return raw.strip()
    problem = f"expected one of {', '.join(spec.choices)}, got {shown(raw)}"
    raise SettingInvalid(spec.key, problem)


def _parse_str(spec: SettingSpec, raw: Any) -> str:
    if isinstance(raw, str):
        return raw.strip()
    raise SettingInvalid(spec.key, f"expected text, got {shown(raw)}")


def _scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | Decimal)  # bool is an int


def _parse_rules(spec: SettingSpec, raw: Any) -> list[dict[str, Any]]:
    if isinstance(raw, str):
        try:
            raw = json_loads(raw or "[]")
        except JsonProblem as exc:
            raise SettingInvalid(spec.key, str(exc)) from None
    if not isinstance(raw, list):
        raise SettingInvalid(spec.key, "expected a list of rules")
    rules = []
    problems = []
    for n, rule in enumerate(raw, start=1):
        if not isinstance(rule, dict):
            problems.append(f"rule {n} is not an object")
            continue
        unknown = set(rule) - RULE_KEYS
        if unknown:
            problems.append(f"rule {n} has unknown fields {', '.join(sorted(unknown))}")
        field = rule.get("field")
        if not isinstance(field, str) or not field.strip():
            problems.append(f"rule {n} needs a field")
        op = rule.get("op")
        if op not in {o.value for o in RuleOp}:
            problems.append(f"rule {n}: op must be one of {', '.join(RuleOp)}, got {op!r}")
        elif RuleOp(op) not in VALUELESS_OPS and "value" not in rule:
            problems.append(f"rule {n}: op {op} needs a value")
        elif op in (RuleOp.IN, RuleOp.NOT_IN) and not isinstance(rule.get("value"), list):
            problems.append(f"rule {n}: op {op} needs a list value")
        value = rule.get("value")
        # A value is text or a number, or for in/not_in a flat list of them: nothing nested.
        items = value if isinstance(value, list) else [value]
        if not all(_scalar(item) for item in items):
            problems.append(f"rule {n}: value must be text, a number, or a list of those")
        if isinstance(value, float | Decimal):
            value = str(value)  # numbers with a fraction are kept as text, never floats
        elif isinstance(value, list):
            value = [str(v) if isinstance(v, float | Decimal) else v for v in value]
        if rule.get("severity") not in RULE_SEVERITIES:
            problems.append(f"rule {n}: severity must be error or warning")
        message = rule.get("message")
        if not isinstance(message, str) or not message.strip():
            problems.append(f"rule {n} needs a message")
        if not problems:
            clean = {
                "field": str(field).strip(),
                "op": op,
                "severity": rule["severity"],
                "message": str(message).strip(),
            }
            if "value" in rule:
                clean["value"] = value
            rules.append(clean)
    if problems:
        raise SettingInvalid(spec.key, "; ".join(problems))
    return rules


MAX_DATES = 200
DATE_YEARS = (1900, 2199)
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")  # ASCII: fromisoformat takes more forms
_DATE_SEPARATORS = re.compile(r"[\s,;]+")


def _parse_dates(spec: SettingSpec, raw: Any) -> tuple[date, ...]:
    """Form text (dates separated by commas, semicolons, spaces or new lines) or a stored JSON
    list of ISO dates; sorted, duplicates collapsed."""
    if isinstance(raw, str):
        tokens = [t for t in _DATE_SEPARATORS.split(raw) if t]
    elif isinstance(raw, list | tuple):
        tokens = list(raw)
    else:
        raise SettingInvalid(spec.key, f"expected dates such as 2026-12-25, got {shown(raw)}")
    # Counted before parsing, so a pasted megabyte is refused without reading it all.
    if len(tokens) > 5 * MAX_DATES:
        raise SettingInvalid(spec.key, f"at most {MAX_DATES} dates, got {len(tokens)}")
    days: set[date] = set()
    bad: list[str] = []
    far: list[str] = []
    for token in tokens:
        day = None
        if isinstance(token, str) and _ISO_DAY.fullmatch(token.strip()):
            try:
                day = date.fromisoformat(token.strip())
            except ValueError:  # 2026-02-30, 2026-13-01
                day = None
        elif type(token) is date:  # a typed value parsed again (a datetime is not a day)
            day = token
        if day is None:
            bad.append(shown(token, 20))
        elif not DATE_YEARS[0] <= day.year <= DATE_YEARS[1]:
            far.append(day.isoformat())
        else:
            days.add(day)
    problems = []
    if bad:
        more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
        problems.append(f"not a date (write YYYY-MM-DD): {', '.join(bad[:3])}{more}")
    if far:
        more = f" and {len(far) - 3} more" if len(far) > 3 else ""
        problems.append(
            f"dates must fall in {DATE_YEARS[0]}–{DATE_YEARS[1]}: {', '.join(far[:3])}{more}"
        )
    if problems:
        raise SettingInvalid(spec.key, "; ".join(problems))
    if len(days) > MAX_DATES:
        raise SettingInvalid(spec.key, f"at most {MAX_DATES} dates, got {len(days)}")
    return tuple(sorted(days))


_PARSERS = {
    Kind.BOOL: _parse_bool,
    Kind.INT: _parse_int,
    Kind.DECIMAL: _parse_decimal,
    Kind.CHOICE: _parse_choice,
    Kind.STR: _parse_str,
    Kind.RULES: _parse_rules,
    Kind.DATES: _parse_dates,
}


def _spec(*args: Any, **kwargs: Any) -> SettingSpec:
    return SettingSpec(*args, **kwargs)


DECLARED: tuple[SettingSpec, ...] = (
    _spec(
        "claims.timely_filing_days",
        Kind.INT,
        365,
        "Days after the date of service within which a claim must reach the payer.",
        payer_override=True,
        minimum=1,
        maximum=3650,
    ),
    _spec(
        "scrub.rules_enabled",
        Kind.BOOL,
        True,
        "Run the built-in scrubber rules before a claim is ready.",
    ),
    _spec(
        "scrub.custom_rules",
        Kind.RULES,
        [],
        "Custom scrub rules: field conditions that raise an error or a warning.",
        payer_override=True,
    ),
    _spec(
        "era.autopost_enabled",
        Kind.BOOL,
        False,
        "Post ERA payments automatically when they match the claim.",
    ),
    _spec(
        "era.autopost_tolerance",
        Kind.DECIMAL,
        Decimal("0.00"),
        "Largest difference (in dollars) auto-posting accepts between expected and paid.",
        minimum=Decimal("0"),
        maximum=Decimal("100000"),
    ),
    _spec(
        "era.autopost_denials",
        Kind.BOOL,
        False,
        "Auto-post zero-pay denials too (otherwise they go to the denial queue).",
    ),
    _spec(
        "writeoffs.auto_approve_limit",
        Kind.DECIMAL,
        Decimal("25.00"),
        "Write-off requests up to this amount are approved without review.",
        minimum=Decimal("0"),
        maximum=Decimal("1000000"),
    ),
    _spec(
        "writeoffs.approver_role",
        Kind.CHOICE,
        Role.SUPERVISOR.value,
        "Role that approves write-offs above the auto-approve limit.",
        # Only a role that holds writeoffs.approve: any other would leave every request above
        # the limit waiting for a person who may not decide it.
        choices=tuple(r.value for r in Role if Capability.WRITEOFFS_APPROVE in r.capabilities),
    ),
    # Work queues: business days to work an item of each function before its SLA is breached.
    _spec(
        "rejections.sla_days",
        Kind.INT,
        2,
        "Business days to correct a clearinghouse or payer rejection.",
        minimum=1,
        maximum=365,
    ),
    _spec(
        "denials.sla_days",
        Kind.INT,
        10,
        "Business days to work a denial before it is overdue.",
        minimum=1,
        maximum=365,
    ),
    _spec(
        "posting_review.sla_days",
        Kind.INT,
        4,
        "Business days to review an ERA held from auto-posting.",
        minimum=1,
        maximum=365,
    ),
    _spec(
        "era_exceptions.sla_days",
        Kind.INT,
        4,
        "Business days to resolve an ERA exception (unmatched claim or line, takeback, balance).",
        minimum=1,
        maximum=365,
    ),
    _spec(
        "followup.sla_days",
        Kind.INT,
        20,
        "Business days to follow up a claim the payer has not answered.",
        minimum=1,
        maximum=365,
    ),
    _spec(
        "practice_questions.sla_days",
        Kind.INT,
        3,
        "Business days a client practice has to answer the billing company's question on a "
        "work item (missing documentation, a registration detail).",
        minimum=1,
        maximum=60,
    ),
    _spec(
        "credentialing.sla_days",
        Kind.INT,
        10,
        "Business days to clear a credentialing hold.",
        minimum=1,
        maximum=365,
    ),
    _spec(
        "underpayments.sla_days",
        Kind.INT,
        10,
        "Business days to work a line paid below contract.",
        minimum=1,
        maximum=365,
    ),
    _spec(
        "setup_gaps.sla_days",
        Kind.INT,
        10,
        "Business days to close a setup gap (a missing or expiring enrollment).",
        minimum=1,
        maximum=365,
    ),
    _spec(
        "writeoff_approval.sla_days",
        Kind.INT,
        3,
        "Business days to approve or refuse a write-off above the auto-approve limit.",
        minimum=1,
        maximum=365,
    ),
    _spec(
        "followup.interval_days",
        Kind.INT,
        30,
        "Days an accepted claim may go without a payer response (835) before it needs follow-up.",
        payer_override=True,
        minimum=1,
        maximum=365,
    ),
    _spec(
        "followup.no_ack_days",
        Kind.INT,
        2,
        "Days a submitted claim may go without an acknowledgement before it needs follow-up.",
        minimum=1,
        maximum=60,
    ),
    _spec(
        "claims.corrected_claim_days",
        Kind.INT,
        90,
        "Days after the payer's determination within which a corrected claim is accepted.",
        payer_override=True,
        minimum=1,
        maximum=3650,
    ),
    _spec(
        "workqueue.claim_minutes",
        Kind.INT,
        120,
        "Minutes a taken work item stays with its taker before it returns to the pool.",
        minimum=5,
        maximum=1440,
    ),
    _spec(
        "workspace.holidays",
        Kind.DATES,
        (),
        "Holidays skipped when counting SLA business days (dates such as 2026-12-25, "
        "one per line or separated by commas).",
        workspace_only=True,
    ),
    _spec(
        "compliance.access_review_every_months",
        Kind.INT,
        3,
        "Months between access reviews of the whole workspace, opened by the scheduled task "
        "(0: none opened automatically).",
        minimum=0,
        maximum=12,
        workspace_only=True,
    ),
    _spec(
        "offboarding.purge_wait_days",
        Kind.INT,
        30,
        "Days after an offboarding's export bundle is ready before its purge may be approved "
        "(time for the client to check the export).",
        minimum=0,
        maximum=365,
        workspace_only=True,
    ),
    _spec(
        "offboarding.backup_retention_days",
        Kind.INT,
        35,
        "Days a database backup is kept (docs/operations.md): a purged practice's data is gone "
        "from every backup this long after its purge; the certificate of destruction says when.",
        minimum=1,
        maximum=3650,
        workspace_only=True,
    ),
    _spec(
        "statements.cycle_days",
        Kind.INT,
        30,
        "Days between patient statements.",
        minimum=7,
        maximum=365,
        live=False,
    ),
)

if len({s.key for s in DECLARED}) != len(DECLARED):  # pragma: no cover - guarded by a test
    raise RuntimeError("a settings key is declared twice")
# What the settings page, export, import and the resolver know: the live keys.
SETTINGS: tuple[SettingSpec, ...] = tuple(s for s in DECLARED if s.live)
REGISTRY: dict[str, SettingSpec] = {s.key: s for s in SETTINGS}


def spec_of(key: str) -> SettingSpec:
    try:
        return REGISTRY[key]
    except KeyError:
        raise SettingInvalid(key, "unknown settings key") from None
