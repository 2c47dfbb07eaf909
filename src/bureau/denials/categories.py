"""CARC (+ group code, + RARCs) → denial category, and which adjustments are denials at all.

The mapping is data: the default table `CarcCategory` (shipped as `data/carc_categories.csv`,
reloaded by `bureau denial_codes load`) and a workspace's `CategoryOverride`s, which win. A
default row is used only for a denial dated inside its [start, stop]: a code the payer list
stopped before the ERA's date does not categorise it. The most specific row wins: one naming the
group code and a RARC of the denial over one naming either, over the bare CARC.

Contractual write-downs (CO-45, CO-253 sequestration, CO-59 multiple-procedure reduction) and
patient responsibility (PR deductible, coinsurance, copay) are never denials: they are the
underpayment check's business. Group codes are 5010's CO, OA, PI, PR: CR was retired, and a
payer's reversal is told by CLP02 = 22, not by a group code.
"""

from __future__ import annotations

import csv
import functools
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

from bureau.denials.models import CarcCategory, CategoryOverride, DenialCategory

C = DenialCategory
DEFAULT_FILE = Path(__file__).parent / "data" / "carc_categories.csv"

# Reductions a contract expects: the line was paid as agreed, nothing to appeal.
NOT_DENIAL_CARCS = frozenset({"45", "253", "59", "94", "144"})
DENIAL_GROUPS = frozenset({"CO", "PI", "OA"})


class CodeFileError(ValueError):
    """A code list cannot be read; the message names the row and what is wrong."""


@dataclass(frozen=True)
class Rule:
    code: str
    group: str
    rarc: str
    description: str
    start: date | None
    stop: date | None
    category: str

    def applies(self, group: str, rarcs: Iterable[str], on: date | None) -> bool:
        if self.group and self.group != group:
            return False
        if self.rarc and self.rarc not in rarcs:
            return False
        if on is not None and self.start is not None and on < self.start:
            return False
        return not (on is not None and self.stop is not None and self.stop < on)

    @property
    def specificity(self) -> int:
        return (2 if self.group else 0) + (1 if self.rarc else 0)


def _date(text: str, where: str) -> date | None:
    text = (text or "").strip()
    if not text:
        return None
    try:
        if "/" in text:  # the published lists use MM/DD/YYYY
            month, day, year = (int(part) for part in text.split("/"))
            return date(year, month, day)
        if len(text) == 8 and text.isdigit():
            return date(int(text[:4]), int(text[4:6]), int(text[6:]))
        return date.fromisoformat(text)
    except ValueError as exc:
        raise CodeFileError(f"{where}: {text!r} is not a date (MM/DD/YYYY or YYYY-MM-DD)") from exc


def _key(name: str) -> str:
    return name.strip().lower().replace(" ", "_")


def parse_rules(text: str) -> list[Rule]:
    """Rows of a code list with a header. Two shapes are read: ours (code, group, rarc,
    description, start, stop, category) and X12's published CARC list (Code, Description,
    Start Date, Last Modified, Stop Date), whose rows have no category (""), so the loader keeps
    the category the table already has for the code."""
    reader = csv.DictReader(io.StringIO(text.removeprefix("\ufeff")))
    if reader.fieldnames is None:
        raise CodeFileError("The file is empty: expected a header row.")
    names = {_key(n): n for n in reader.fieldnames if n}
    if "code" not in names or "description" not in names:
        raise CodeFileError("The header must name at least the columns Code and Description.")

    def col(row: dict[str, str], *keys: str) -> str:
        for k in keys:
            if k in names:
                return (row.get(names[k]) or "").strip()
        return ""

    rules: list[Rule] = []
    for n, row in enumerate(reader, start=2):
        where = f"Row {n}"
        code = col(row, "code").upper()
        if not code:
            continue
        if len(code) > 5:
            raise CodeFileError(f"{where}: code {code!r} is longer than 5 characters")
        group = col(row, "group", "group_code").upper()
        if group and group not in DENIAL_GROUPS | {"PR"}:
            raise CodeFileError(f"{where}: group {group!r} is not CO, OA, PI or PR")
        category = col(row, "category")
        if category and category not in C.values:
            raise CodeFileError(
                f"{where}: category {category!r} is not one of {', '.join(C.values)}"
            )
        rules.append(
            Rule(
                code=code,
                group=group,
                rarc=col(row, "rarc").upper()[:6],
                description=col(row, "description")[:300],
                start=_date(col(row, "start", "start_date"), where),
                stop=_date(col(row, "stop", "stop_date"), where),
                category=category,
            )
        )
    return rules


def default_rules() -> list[Rule]:
    return parse_rules(DEFAULT_FILE.read_text(encoding="utf-8"))


@dataclass
class CategoryTable:
    """The rules in force for one workspace, loaded once per ERA (or page)."""

    rules: dict[str, list[Rule]] = field(default_factory=dict)
    overrides: dict[tuple[str, str], str] = field(default_factory=dict)  # (carc, group) → cat

    @classmethod
    def load(cls, workspace_id: int | None = None) -> CategoryTable:
        rows = [
            Rule(r.code, r.group_code, r.rarc, r.description, r.start, r.stop, r.category)
            for r in CarcCategory.objects.all()
        ]
        if not rows:  # table never loaded (a bare test database): the shipped file
            rows = default_rules()
        table = cls()
        for rule in rows:
            table.rules.setdefault(rule.code, []).append(rule)
        if workspace_id is not None:
            for carc, group, category in CategoryOverride.objects.filter(
                workspace_id=workspace_id
            ).values_list("carc", "group_code", "category"):
                table.overrides[(carc, group)] = category
        return table

    def category(
        self, carc: str, group: str = "", rarcs: Sequence[str] = (), on: date | None = None
    ) -> DenialCategory:
        carc, group = carc.strip().upper(), group.strip().upper()
        chosen = self.overrides.get((carc, group)) or self.overrides.get((carc, ""))
        if chosen is None:
            wanted = {r.strip().upper() for r in rarcs}
            fitting = [r for r in self.rules.get(carc, []) if r.applies(group, wanted, on)]
            fitting = [r for r in fitting if r.category]
            if fitting:
                chosen = max(fitting, key=lambda r: r.specificity).category
        return C(chosen) if chosen in C.values else C.OTHER


@functools.cache
def default_table() -> CategoryTable:
    """The shipped file as a table, read once (the demo generator's, no database)."""
    table = CategoryTable()
    for rule in default_rules():
        table.rules.setdefault(rule.code, []).append(rule)
    return table


def category_for(
    carc: str, group: str = "", rarcs: Sequence[str] = (), on: date | None = None
) -> DenialCategory:
    """One lookup with the default table (no workspace override); for many, load a table."""
    return CategoryTable.load().category(carc, group, rarcs, on)


def is_denial_reason(group: str, carc: str) -> bool:
    """A CAS reason that denies (part of) a service: any non-patient group whose CARC is not a
    contractual reduction."""
    return group in DENIAL_GROUPS and carc.strip().upper() not in NOT_DENIAL_CARCS
