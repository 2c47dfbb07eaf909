"""Reading a practice setup document: every problem named by its JSON path
(`$.providers[2].npi: ...`), never an exception, and nothing written.

Each value passes the same rules as the page that edits it: facilities `facilities.clean`,
providers and enrollments the directory cleaners, settings the registry, prices the fee and
contract imports' code and amount checks. The document is read only where the format puts
something; anything else (an unknown key, a list where an object belongs, nesting) is a problem
at its path, so no shape of input reaches a database column unchecked.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Any

from django.db import models

from bureau.configuration.practice_setup import FORMAT, SECTIONS
from bureau.configuration.registry import JsonProblem, SettingInvalid, json_loads, shown, spec_of
from bureau.directory import facilities
from bureau.directory.imports import MODIFIER_RE, is_valid_code, parse_amount
from bureau.directory.models import (
    ClearinghouseRoute,
    Payer,
    Provider,
    ProviderKind,
    ServiceFacility,
)
from bureau.directory.services import (
    DirectoryError,
    EnrollmentData,
    PayerData,
    ProviderData,
    _clean_enrollment,
    _clean_payer,
    _clean_provider,
)
from bureau.tenancy.models import Practice

MAX_BYTES = 8 * 1024 * 1024  # a large practice's document is well under 1 MB
MAX_ITEMS = 20_000  # per list: a fee schedule of every CPT code a practice bills fits
MAX_TEXT = 200  # no text field of the format is longer (model columns are at most 200)
MAX_PROBLEMS = 200  # reported; the count of the rest follows

FACILITY_KEYS = ("name", "address_line1", "city", "state", "postal_code", "npi", "is_active")
PROVIDER_KEYS = ("npi", "kind", "name", "last_name", "first_name", "taxonomy", "is_active")
ENROLLMENT_KEYS = (
    "provider_npi",
    "payer_id",
    "status",
    "effective_date",
    "end_date",
    "revalidation_date",
)
FEE_KEYS = ("code", "modifier", "amount")
CONTRACT_KEYS = ("payer_id", "code", "modifier", "allowed_amount")
_ISO_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


class SetupInvalid(ValueError):
    """A document refused: `problems` are `$.path: what is wrong`, every one found."""

    def __init__(self, problems: list[str]) -> None:
        self.problems = problems[:MAX_PROBLEMS]
        if len(problems) > MAX_PROBLEMS:
            self.problems.append(f"… and {len(problems) - MAX_PROBLEMS} more problems")
        super().__init__(
            "setup refused, nothing changed:\n" + "\n".join(f"- {p}" for p in self.problems)
        )


@dataclass
class ParsedSetup:
    """A document's values, checked and typed, keyed by natural key."""

    sections: tuple[str, ...]
    settings: dict[str, Any] = field(default_factory=dict)
    payer_settings: dict[tuple[str, str], Any] = field(default_factory=dict)
    facilities: dict[str, dict[str, Any]] = field(default_factory=dict)  # by name, lowercase
    providers: dict[str, dict[str, Any]] = field(default_factory=dict)  # by NPI
    enrollments: dict[tuple[str, str], dict[str, Any]] = field(default_factory=dict)
    fee_schedule: dict[tuple[str, str], Decimal] | None = None
    contract_rates: dict[tuple[str, str, str], Decimal] = field(default_factory=dict)
    payers: dict[str, dict[str, str]] = field(default_factory=dict)  # as listed
    workspace_payers: dict[str, Payer] = field(default_factory=dict)


class _Reader:
    """Collects problems while walking the document; each check returns None when it failed."""

    def __init__(self) -> None:
        self.problems: list[str] = []

    def problem(self, path: str, message: str) -> None:
        self.problems.append(f"{path}: {message}")

    def obj(
        self, value: Any, path: str, required: tuple[str, ...], optional: tuple[str, ...] = ()
    ) -> dict[str, Any] | None:
        if not isinstance(value, dict):
            self.problem(path, f"expected an object, got {_kind(value)}")
            return None
        for key in value:
            if key not in required and key not in optional:
                self.problem(f"{path}.{_key(key)}", "unknown key")
        missing = [k for k in required if k not in value]
        for key in missing:
            self.problem(f"{path}.{key}", "missing")
        return None if missing else value

    def items(self, value: Any, path: str) -> list[Any] | None:
        if not isinstance(value, list):
            self.problem(path, f"expected a list, got {_kind(value)}")
            return None
        if len(value) > MAX_ITEMS:
            self.problem(path, f"at most {MAX_ITEMS} entries, got {len(value)}")
            return None
        return value

    def text(self, value: Any, path: str, limit: int = MAX_TEXT) -> str | None:
        if not isinstance(value, str):
            self.problem(path, f"expected text, got {_kind(value)}")
            return None
        if len(value) > limit:
            self.problem(path, f"at most {limit} characters, got {len(value)}")
            return None
        return value

    def flag(self, value: Any, path: str) -> bool | None:
        if not isinstance(value, bool):
            self.problem(path, f"expected true or false, got {_kind(value)}")
            return None
        return value

    def day(self, value: Any, path: str) -> date | None | bool:
        """A date, None for null, or False when refused."""
        if value is None:
            return None
        if isinstance(value, str) and _ISO_DAY.fullmatch(value):
            try:
                return date.fromisoformat(value)
            except ValueError:
                pass
        self.problem(path, f"expected a date as YYYY-MM-DD or null, got {shown(value)}")
        return False

    def amount(self, value: Any, path: str) -> Decimal | None:
        if isinstance(value, bool) or not isinstance(value, str | int | Decimal):
            self.problem(path, f'expected an amount as text such as "125.00", got {_kind(value)}')
            return None
        text = str(value)
        if len(text) > 40 or not text.isascii():  # Decimal() reads "١٢" as 12: ASCII only
            self.problem(path, f"not an amount: {shown(value)}")
            return None
        result = parse_amount(text)
        if isinstance(result, str):
            self.problem(path, result.rstrip("."))
            return None
        return result

    def code(self, row: dict[str, Any], path: str) -> tuple[str, str] | None:
        code = self.text(row.get("code"), f"{path}.code", 5)
        modifier = self.text(row.get("modifier"), f"{path}.modifier", 2)
        if code is not None and not is_valid_code(code):
            self.problem(f"{path}.code", f"{shown(code)} is not a CPT/HCPCS code")
            code = None
        if modifier and not MODIFIER_RE.match(modifier):
            self.problem(f"{path}.modifier", f"{shown(modifier)}: a modifier is 2 letters/digits")
            modifier = None
        return (code, modifier) if code is not None and modifier is not None else None


def _kind(value: Any) -> str:
    return {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(
        type(value), "null" if value is None else "a number"
    )


def _key(key: str) -> str:
    return shown(key, 40).strip("'") if isinstance(key, str) else "?"


def _fits(reader: _Reader, model: type[models.Model], values: dict[str, Any], path: str) -> bool:
    """Cleaned text within its column (SQLite would keep a longer value; PostgreSQL refuses)."""
    good = True
    for name, value in values.items():
        limit = getattr(model._meta.get_field(name), "max_length", None)
        if isinstance(value, str) and limit and len(value) > limit:
            reader.problem(f"{path}.{name}", f"at most {limit} characters, got {len(value)}")
            good = False
    return good


def setup_read(text: str | bytes) -> dict[str, Any]:
    """The document in `text`, or SetupInvalid saying why it is not one."""
    if len(text) > MAX_BYTES:
        raise SetupInvalid([f"$: the document is larger than {MAX_BYTES // (1024 * 1024)} MB"])
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise SetupInvalid(["$: the file is not UTF-8 text"]) from None
    try:
        document = json_loads(text.lstrip("\ufeff"))
    except JsonProblem as exc:
        raise SetupInvalid([f"$: {exc}"]) from None
    if not isinstance(document, dict):
        raise SetupInvalid([f"$: expected an object, got {_kind(document)}"])
    return document


# -- sections -------------------------------------------------------------------------------
def _settings(r: _Reader, raw: Any, path: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    if not isinstance(raw, dict):
        r.problem(path, f"expected an object of key: value, got {_kind(raw)}")
        return values
    for key, value in raw.items():
        where = f"{path}.{_key(key)}"
        try:
            spec = spec_of(key)
            if spec.workspace_only:
                raise SettingInvalid(key, "applies to the whole workspace, not a practice")
            values[key] = spec.to_json(spec.parse(value))
        except SettingInvalid as exc:
            r.problem(where, exc.problem)
        except RecursionError:
            r.problem(where, "nested too deeply")
    return values


def _payer_settings(r: _Reader, raw: Any, parsed: ParsedSetup) -> None:
    if not isinstance(raw, dict):
        r.problem("$.payer_settings", f"expected an object of payer id: {{...}}, got {_kind(raw)}")
        return
    for payer_id, values in raw.items():
        where = f"$.payer_settings.{_key(payer_id)}"
        if not _payer_known(r, parsed, payer_id, where):
            continue
        for key, value in _settings(r, values, where).items():
            if not spec_of(key).payer_override:
                r.problem(f"{where}.{key}", "cannot be overridden per payer")
                continue
            parsed.payer_settings[(payer_id, key)] = value


def _payer_known(r: _Reader, parsed: ParsedSetup, payer_id: Any, path: str) -> bool:
    if not isinstance(payer_id, str) or payer_id not in parsed.workspace_payers:
        named = parsed.payers.get(payer_id, {}).get("name") if isinstance(payer_id, str) else ""
        label = f"{shown(payer_id)}" + (f" ({named})" if named else "")
        r.problem(path, f"no payer {label} in this workspace")
        return False
    return True


def _facilities(r: _Reader, raw: Any, parsed: ParsedSetup) -> None:
    for n, item in enumerate(r.items(raw, "$.facilities") or ()):
        path = f"$.facilities[{n}]"
        row = r.obj(item, path, FACILITY_KEYS)
        if row is None:
            continue
        texts = {k: r.text(row[k], f"{path}.{k}") for k in FACILITY_KEYS if k != "is_active"}
        active = r.flag(row["is_active"], f"{path}.is_active")
        if active is None or any(v is None for v in texts.values()):
            continue
        try:
            values = facilities.clean(facilities.FacilityData(**texts, is_active=active))  # type: ignore[arg-type]
        except DirectoryError as exc:
            r.problem(f"{path}.{exc.field or 'name'}", str(exc).rstrip("."))
            continue
        if not _fits(r, ServiceFacility, values, path):
            continue
        name = values["name"].lower()
        if name in parsed.facilities:
            r.problem(f"{path}.name", f"a second facility named {shown(values['name'])}")
            continue
        parsed.facilities[name] = values


def _providers(r: _Reader, raw: Any, parsed: ParsedSetup) -> None:
    for n, item in enumerate(r.items(raw, "$.providers") or ()):
        path = f"$.providers[{n}]"
        row = r.obj(item, path, PROVIDER_KEYS)
        if row is None:
            continue
        texts = {k: r.text(row[k], f"{path}.{k}") for k in PROVIDER_KEYS if k != "is_active"}
        active = r.flag(row["is_active"], f"{path}.is_active")
        if active is None or any(v is None for v in texts.values()):
            continue
        if texts["kind"] not in ProviderKind.values:
            r.problem(f"{path}.kind", f"expected one of {', '.join(ProviderKind.values)}")
            continue
        try:
            values = _clean_provider(ProviderData(**texts, is_active=active))  # type: ignore[arg-type]
        except DirectoryError as exc:
            r.problem(f"{path}.{exc.field or 'name'}", str(exc).rstrip("."))
            continue
        if not _fits(r, Provider, values, path):
            continue
        if values["npi"] in parsed.providers:
            r.problem(f"{path}.npi", f"a second provider with NPI {values['npi']}")
            continue
        parsed.providers[values["npi"]] = values


def _enrollments(r: _Reader, raw: Any, parsed: ParsedSetup, known_npis: set[str]) -> None:
    for n, item in enumerate(r.items(raw, "$.enrollments") or ()):
        path = f"$.enrollments[{n}]"
        row = r.obj(item, path, ENROLLMENT_KEYS)
        if row is None:
            continue
        npi = r.text(row["provider_npi"], f"{path}.provider_npi", 10)
        if npi is not None and npi not in parsed.providers and npi not in known_npis:
            r.problem(f"{path}.provider_npi", f"no provider with NPI {shown(npi)} in the document")
            npi = None
        payer_ok = _payer_known(r, parsed, row["payer_id"], f"{path}.payer_id")
        status = r.text(row["status"], f"{path}.status", 12)
        days = {k: r.day(row[k], f"{path}.{k}") for k in ENROLLMENT_KEYS[3:]}
        if npi is None or not payer_ok or status is None or False in days.values():
            continue
        try:
            values = _clean_enrollment(EnrollmentData(status=status, **days))  # type: ignore[arg-type]
        except DirectoryError as exc:
            r.problem(f"{path}.{exc.field or 'status'}", str(exc).rstrip("."))
            continue
        key = (npi, row["payer_id"])
        if key in parsed.enrollments:
            r.problem(path, f"a second enrollment of {npi} with {row['payer_id']}")
            continue
        parsed.enrollments[key] = values


def _fee_schedule(r: _Reader, raw: Any, parsed: ParsedSetup) -> None:
    if raw is None:
        return  # the practice bills from the workspace default
    lines: dict[tuple[str, str], Decimal] = {}
    for n, item in enumerate(r.items(raw, "$.fee_schedule") or ()):
        path = f"$.fee_schedule[{n}]"
        row = r.obj(item, path, FEE_KEYS)
        if row is None:
            continue
        key = r.code(row, path)
        amount = r.amount(row["amount"], f"{path}.amount")
        if key is None or amount is None:
            continue
        if key in lines:
            r.problem(path, f"a second line for {'-'.join(filter(None, key))}")
            continue
        lines[key] = amount
    parsed.fee_schedule = lines


def _contract_rates(r: _Reader, raw: Any, parsed: ParsedSetup) -> None:
    for n, item in enumerate(r.items(raw, "$.contract_rates") or ()):
        path = f"$.contract_rates[{n}]"
        row = r.obj(item, path, CONTRACT_KEYS)
        if row is None:
            continue
        payer_ok = _payer_known(r, parsed, row["payer_id"], f"{path}.payer_id")
        code = r.code(row, path)
        amount = r.amount(row["allowed_amount"], f"{path}.allowed_amount")
        if not payer_ok or code is None or amount is None:
            continue
        key = (row["payer_id"], *code)
        if key in parsed.contract_rates:
            r.problem(path, f"a second rate for {row['payer_id']} {'-'.join(filter(None, code))}")
            continue
        parsed.contract_rates[key] = amount


def _payers(r: _Reader, raw: Any, parsed: ParsedSetup) -> None:
    if not isinstance(raw, dict):
        r.problem("$.payers", f"expected an object of payer id: {{name, route}}, got {_kind(raw)}")
        return
    for payer_id, item in raw.items():
        path = f"$.payers.{_key(payer_id)}"
        row = r.obj(item, path, ("name", "route"))
        if row is None:
            continue
        name = r.text(row["name"], f"{path}.name")
        route = r.text(row["route"], f"{path}.route", 12)
        if route is not None and route not in ClearinghouseRoute.values:
            r.problem(f"{path}.route", f"expected one of {', '.join(ClearinghouseRoute.values)}")
            continue
        if name is None or route is None:
            continue
        try:  # the payer page's rules, though a payer is never written from here
            _clean_payer(PayerData(name=name, payer_id=payer_id, route=route))
        except DirectoryError as exc:
            r.problem(f"{path}.{exc.field or 'name'}", str(exc).rstrip("."))
            continue
        parsed.payers[payer_id] = {"name": name, "route": route}


def setup_parse(document: Any, practice: Practice) -> ParsedSetup:
    """The document checked for `practice` (payers and providers it may refer to are those of
    its workspace and practice), or SetupInvalid listing every problem."""
    r = _Reader()
    if not isinstance(document, dict):
        raise SetupInvalid([f"$: expected an object, got {_kind(document)}"])
    for key in document:
        if key != "format" and key not in SECTIONS:
            r.problem(f"$.{_key(key)}", "unknown key")
    if document.get("format") != FORMAT:
        r.problem("$.format", f"expected {FORMAT!r}, got {shown(document.get('format'))}")
    parsed = ParsedSetup(sections=tuple(s for s in SECTIONS if s in document))
    parsed.workspace_payers = {
        p.payer_id: p for p in Payer.objects.filter(workspace_id=practice.workspace_id)
    }
    if "payers" in document:
        _payers(r, document["payers"], parsed)
    if "settings" in document:
        parsed.settings = _settings(r, document["settings"], "$.settings")
    if "payer_settings" in document:
        _payer_settings(r, document["payer_settings"], parsed)
    if "facilities" in document:
        _facilities(r, document["facilities"], parsed)
    if "providers" in document:
        _providers(r, document["providers"], parsed)
    if "enrollments" in document:
        known = set(Provider.objects.filter(practice=practice).values_list("npi", flat=True))
        _enrollments(r, document["enrollments"], parsed, known)
    if "fee_schedule" in document:
        _fee_schedule(r, document["fee_schedule"], parsed)
    if "contract_rates" in document:
        _contract_rates(r, document["contract_rates"], parsed)
    missing = sorted(
        {
            p.split(": no payer ")[1].removesuffix(" in this workspace")
            for p in r.problems
            if ": no payer " in p
        }
    )
    if missing:
        r.problem("$.payers", "not in this workspace (add them first): " + ", ".join(missing))
    if r.problems:
        raise SetupInvalid(r.problems)
    return parsed
