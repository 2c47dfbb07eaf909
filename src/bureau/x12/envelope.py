"""Separators, envelopes (ISA/GS/ST … SE/GE/IEA) and the segment writer every X12 writer uses.

The writer owns the counting: it numbers segments for SE01, transaction sets for GE01 and groups
for IEA01, and it refuses a value that holds a separator (5010 has no release character, so
escaping is not an option: a stray `*` in a name would shift every element after it).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum

from bureau.x12.errors import FieldError, X12Error
from bureau.x12.values import check_text, fold_to_ascii, format_date, format_time

# The X12 extended character set as 5010 defines it (pyx12's "E5"); anything else is refused.
_EXTENDED = (
    "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789"
    "!\"&'()*+,-./:;?= %~@[]_{}\\|<>^`#$"
)
_CONTROL_MAX = 999_999_999
_ISA_QUALIFIERS = frozenset({"01", "14", "20", "27", "28", "29", "30", "33", "ZZ"})

Element = str | tuple[str, ...]
"""An element: text, or a composite's components. An empty string is an element not used."""


@dataclass(frozen=True, slots=True)
class Separators:
    element: str = "*"
    component: str = ":"
    repetition: str = "^"
    segment: str = "~"

    def __post_init__(self) -> None:
        chars = (self.element, self.component, self.repetition, self.segment)
        for name, ch in zip(("element", "component", "repetition", "segment"), chars, strict=True):
            if len(ch) != 1 or ch.isalnum() or ch.isspace():
                raise FieldError(f"Separators.{name}", f"{ch!r} must be one non-alphanumeric char")
        if len(set(chars)) != 4:
            raise FieldError("Separators", "the four separators must differ")

    @property
    def all(self) -> str:
        """The four characters, in the order element, component, repetition, segment."""
        return self.element + self.component + self.repetition + self.segment


class Usage(StrEnum):
    PRODUCTION = "P"
    TEST = "T"


@dataclass(frozen=True, slots=True)
class Party:
    """One end of an interchange: ISA05/06 (or 07/08) and the GS02 (or GS03) application code."""

    id: str
    qualifier: str = "ZZ"
    application_code: str = ""  # GS02/GS03; defaults to `id`

    def __post_init__(self) -> None:
        check_text("Party.id", self.id, 15)
        if self.qualifier not in _ISA_QUALIFIERS:
            raise FieldError("Party.qualifier", f"{self.qualifier!r} is not an ISA id qualifier")
        if self.application_code:
            check_text("Party.application_code", self.application_code, 15, min_len=2)
        elif len(self.id) < 2:
            raise FieldError("Party.id", "needs 2+ characters to serve as the GS application code")

    @property
    def gs_code(self) -> str:
        return self.application_code or self.id


def _check_control_number(name: str, value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= _CONTROL_MAX:
        raise FieldError(name, f"{value!r} must be an integer 1-{_CONTROL_MAX}")


@dataclass(frozen=True, slots=True)
class Envelope:
    """What the ISA and GS carry. Control numbers are persisted and handed in by the caller,
    which keeps them unique per sender; `created_at` is the submitter's clock."""

    sender: Party
    receiver: Party
    interchange_control_number: int
    group_control_number: int
    created_at: datetime
    usage: Usage = Usage.PRODUCTION
    acknowledgment_requested: bool = False  # ISA14: ask for a TA1
    separators: Separators = field(default_factory=Separators)

    def __post_init__(self) -> None:
        number = self.interchange_control_number
        _check_control_number("Envelope.interchange_control_number", number)
        _check_control_number("Envelope.group_control_number", self.group_control_number)


def _bad_character_pattern(separators: Separators) -> re.Pattern[str]:
    allowed = "".join(ch for ch in _EXTENDED if ch not in separators.all)
    return re.compile("[^" + re.escape(allowed) + "]")


class SegmentWriter:
    """Appends segments to one interchange, counting as it goes. Use in order:
    `open_interchange`, `open_group`, (`open_transaction`, segments…, `close_transaction`)…,
    `close_group`, `close_interchange`, then `text()`."""

    def __init__(self, envelope: Envelope, *, line_break: bool = False) -> None:
        self._envelope = envelope
        seps = envelope.separators
        self._sep = seps
        self._element = seps.element
        self._component = seps.component
        self._terminator = seps.segment + ("\n" if line_break else "")
        self._bad = _bad_character_pattern(seps)
        self._parts: list[str] = []
        self._st_first = 0  # position of the open ST, 0 when none is open
        self._st_control = ""
        self._gs_open = False
        self._transactions_in_group = 0
        self._groups_in_interchange = 0

    @property
    def position(self) -> int:
        """How many segments the interchange holds so far."""
        return len(self._parts)

    def text(self) -> str:
        return "".join(self._parts)

    def segment(self, seg_id: str, *elements: Element) -> None:
        """Write one segment; empty trailing elements and components are dropped."""
        component = self._component
        values: list[str] = [seg_id]
        raw: list[str] = []
        for value in elements:
            if type(value) is str:
                values.append(value)
                raw.append(value)
            else:
                raw.extend(value)
                values.append(component.join(value).rstrip(component))
        # One search over all the raw values; the slow path finds and names the culprit.
        if self._bad.search("".join(raw)) is not None:
            self.segment(seg_id, *self._cleaned(seg_id, elements))
            return
        while values[-1] == "":
            values.pop()
        self._parts.append(self._element.join(values) + self._terminator)

    def _cleaned(self, seg_id: str, elements: tuple[Element, ...]) -> list[Element]:
        cleaned: list[Element] = []
        for pos, value in enumerate(elements, 1):
            name = f"{seg_id}{pos:02d}"
            if isinstance(value, str):
                cleaned.append(self._clean(seg_id, name, value))
            else:
                cleaned.append(
                    tuple(self._clean(seg_id, f"{name}-{i:02d}", c) for i, c in enumerate(value, 1))
                )
        return cleaned

    def _clean(self, seg_id: str, element_id: str, value: str) -> str:
        if self._bad.search(value) is None:
            return value
        folded = fold_to_ascii(value)
        hit = self._bad.search(folded)
        if hit is None:
            return folded
        ch = hit.group()
        names = ("element", "component", "repetition", "segment")
        pairs = zip(names, self._sep.all, strict=True)
        kind = next(
            (f"the {n} separator" for n, s in pairs if s == ch),
            "a character outside the X12 character set",
        )
        raise X12Error(
            self.position + 1,
            f"{element_id} contains {kind} {ch!r}: {value!r}",
            segment_id=seg_id,
        )

    # Envelopes ---------------------------------------------------------------------------

    def open_interchange(self) -> None:
        if self._parts:
            raise X12Error(self.position + 1, "an interchange is already open", segment_id="ISA")
        env = self._envelope
        sender = self._clean("ISA", "ISA06", env.sender.id)
        receiver = self._clean("ISA", "ISA08", env.receiver.id)
        # ISA is fixed width (106 characters with its terminator): every field is padded, and
        # ISA11/ISA16 carry the repetition and component separators themselves.
        fields = (
            "ISA",
            "00",
            " " * 10,
            "00",
            " " * 10,
            env.sender.qualifier,
            sender.ljust(15),
            env.receiver.qualifier,
            receiver.ljust(15),
            format_date(env.created_at)[2:],
            format_time(env.created_at),
            self._sep.repetition,
            "00501",
            f"{env.interchange_control_number:09d}",
            "1" if env.acknowledgment_requested else "0",
            env.usage.value,
            self._component,
        )
        self._parts.append(self._element.join(fields) + self._terminator)

    def open_group(self, functional_id: str, version: str) -> None:
        if not self._parts or self._gs_open:
            raise X12Error(self.position + 1, "GS needs an open ISA, no open GS", segment_id="GS")
        env = self._envelope
        self.segment(
            "GS",
            functional_id,
            env.sender.gs_code,
            env.receiver.gs_code,
            format_date(env.created_at),
            format_time(env.created_at),
            str(env.group_control_number),
            "X",
            version,
        )
        self._gs_open = True
        self._transactions_in_group = 0

    def open_transaction(self, set_id: str, control_number: int, version: str) -> None:
        if not self._gs_open or self._st_first:
            raise X12Error(self.position + 1, "ST needs an open GS and no open ST", segment_id="ST")
        _check_control_number("ST02", control_number)
        self._st_control = f"{control_number:04d}"
        self._st_first = self.position + 1
        self.segment("ST", set_id, self._st_control, version)

    def close_transaction(self) -> None:
        if not self._st_first:
            raise X12Error(self.position + 1, "SE without an open ST", segment_id="SE")
        # SE01 counts ST through SE inclusive.
        count = self.position - self._st_first + 2
        self.segment("SE", str(count), self._st_control)
        self._st_first = 0
        self._transactions_in_group += 1

    def close_group(self) -> None:
        if not self._gs_open or self._st_first:
            raise X12Error(self.position + 1, "GE needs an open GS, ST closed", segment_id="GE")
        self.segment(
            "GE", str(self._transactions_in_group), str(self._envelope.group_control_number)
        )
        self._gs_open = False
        self._groups_in_interchange += 1

    def close_interchange(self) -> None:
        if self._gs_open or not self._parts:
            raise X12Error(self.position + 1, "IEA needs an open ISA, GS closed", segment_id="IEA")
        self.segment(
            "IEA",
            str(self._groups_in_interchange),
            f"{self._envelope.interchange_control_number:09d}",
        )
