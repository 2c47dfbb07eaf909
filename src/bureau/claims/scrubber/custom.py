"""Custom rules from the setting `scrub.custom_rules` (shape checked by the registry:
`{"field", "op", "value", "severity", "message"}`). A rule *fires* (raises its hit) when its
condition is true.

Supported fields:

claim level — `place_of_service`, `payer_id` (the payer's EDI id, e.g. "87726"), `member_id`,
`patient_sex`, `patient_age` (whole years on the date of service), `total_charge`,
`line_count`, `diagnosis` (each diagnosis code, without the dot);
line level (checked per line, the hit names the line) — `procedure_code`, `modifier` (each
modifier), `units`, `charge`.

List-valued fields (`diagnosis`, `modifier`): `eq`, `in`, `gt`... and `matches` fire when ANY
value satisfies the condition; `ne` and `not_in` fire when NO value equals/is in the value;
`empty`/`not_empty` look at the list itself. `gt/gte/lt/lte` compare as decimals (a value that is
not a number never fires); `eq/ne/in/not_in` compare text case-insensitively; `matches` is a
regular-expression search. An unknown field raises a warning naming the rule, so a typo shows.
Hit rule ids are `custom.<n>` (1-based position in the list).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from decimal import Decimal, InvalidOperation
from functools import lru_cache
from typing import Any

from bureau.claims.scrubber.snapshot import ClaimSnapshot, Hit, LineSnapshot


def _age(s: ClaimSnapshot) -> int | None:
    if s.patient_dob is None:
        return None
    dob, dos = s.patient_dob, s.date_of_service
    return dos.year - dob.year - ((dos.month, dos.day) < (dob.month, dob.day))


CLAIM_FIELDS: dict[str, Callable[[ClaimSnapshot], Any]] = {
    "place_of_service": lambda s: s.place_of_service,
    "payer_id": lambda s: s.payer_code,
    "member_id": lambda s: s.member_id,
    "patient_sex": lambda s: s.patient_sex,
    "patient_age": _age,
    "total_charge": lambda s: s.total_charge,
    "line_count": lambda s: len(s.lines),
    "diagnosis": lambda s: list(s.diagnosis_codes),
}
LINE_FIELDS: dict[str, Callable[[LineSnapshot], Any]] = {
    "procedure_code": lambda line: line.procedure_code,
    "modifier": lambda line: list(line.modifiers),
    "units": lambda line: line.units,
    "charge": lambda line: line.charge,
}
FIELDS = frozenset(CLAIM_FIELDS) | frozenset(LINE_FIELDS)


@lru_cache(maxsize=256)
def _pattern(text: str) -> re.Pattern[str] | None:
    try:
        return re.compile(text)
    except re.error:
        return None


def _number(value: Any) -> Decimal | None:
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip().upper()


def _one(op: str, actual: Any, expected: Any) -> bool:
    if op == "eq":
        return _text(actual) == _text(expected)
    if op == "in":
        return _text(actual) in {_text(v) for v in expected}
    if op == "matches":
        pattern = _pattern(str(expected))
        return pattern is not None and pattern.search(str(actual or "")) is not None
    a, b = _number(actual), _number(expected)
    if a is None or b is None:
        return False
    return {"gt": a > b, "gte": a >= b, "lt": a < b, "lte": a <= b}.get(op, False)


def condition_holds(op: str, actual: Any, expected: Any) -> bool:
    values = actual if isinstance(actual, list) else None
    if op == "empty":
        return not values if values is not None else _text(actual) == ""
    if op == "not_empty":
        return bool(values) if values is not None else _text(actual) != ""
    if op in ("ne", "not_in"):
        positive = "eq" if op == "ne" else "in"
        items = values if values is not None else [actual]
        return not any(_one(positive, item, expected) for item in items)
    if values is not None:
        return any(_one(op, item, expected) for item in values)
    return _one(op, actual, expected)


def custom_hits(s: ClaimSnapshot, rules: tuple[Mapping[str, Any], ...]) -> list[Hit]:
    hits = []
    for n, rule in enumerate(rules, start=1):
        field, op, severity = rule["field"], rule["op"], rule["severity"]
        expected, message = rule.get("value"), str(rule["message"])[:300]
        rule_id = f"custom.{n}"
        if field in CLAIM_FIELDS:
            if condition_holds(op, CLAIM_FIELDS[field](s), expected):
                hits.append(Hit(rule_id, severity, message))
        elif field in LINE_FIELDS:
            getter = LINE_FIELDS[field]
            for line in s.lines:
                if condition_holds(op, getter(line), expected):
                    hits.append(Hit(rule_id, severity, message, line.number))
        else:
            hits.append(
                Hit(rule_id, "warning", f"Custom rule {n} names an unknown field {field!r}.")
            )
    return hits
