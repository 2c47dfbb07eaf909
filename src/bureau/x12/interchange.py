"""The ISA/GS/ST/SE/GE/IEA layers of an interchange, checked as a reader walks its segments.

`EnvelopeCheck` holds the open interchange, group and transaction set: control numbers that must
match, the counts in SE01/GE01/IEA01, and an interchange that ends without IEA (a truncated file).
Readers call it only for envelope segments, so it costs nothing per body segment. (Writing
envelopes is `envelope.py`; this is the reading side.)
"""

from __future__ import annotations

from dataclasses import dataclass

from bureau.x12.errors import X12Error
from bureau.x12.tokens import Tokens, element, parse_int, required

# The implementation guides each reader follows (GS08; ST03 when present). Another version
# (a 4010 835, an X212 claim status 277) reads differently: refused until a reader exists.
VERSIONS = {
    "835": "005010X221",
    "999": "005010X231",
    "277": "005010X214",
    "837": "005010X222",  # 837P; X223 (institutional) and X224 (dental) are other guides
}


@dataclass(slots=True)
class EnvelopeCheck:
    """The open ISA, GS and ST of the interchange being read, checked as they close.

    `set_id` is the ST01 a reader accepts ("835", "999", "277").
    """

    set_id: str
    sender_id: str = ""  # ISA06
    receiver_id: str = ""  # ISA08
    control_number: str = ""  # ISA13
    usage: str = ""  # ISA15
    component: str = ""  # ISA16 of the first interchange: the file is split with it
    group_control_number: str = ""  # GS06 of the open (or last) group
    group_version: str = ""  # GS08 of the open group
    isa_open: bool = False
    gs_open: bool = False
    st_index: int = 0  # index of the open ST, 0 when none is open
    st_control: str = ""
    interchanges: int = 0
    groups: int = 0  # in the open interchange
    transactions: int = 0  # in the open group

    def isa(self, index: int, tokens: Tokens) -> None:
        if self.isa_open:
            raise X12Error(index, "ISA inside an open interchange (no IEA)", segment_id="ISA")
        if len(tokens) != 17:
            raise X12Error(index, "ISA must have 16 elements", segment_id="ISA")
        # The file is split with the first ISA's separators: a later interchange that declares
        # others would be misread (its component separator silently so).
        component = tokens[16]
        if self.interchanges and component != self.component:
            raise X12Error(
                index,
                f"ISA16 {component[:10]!r} is not the component separator of the file's first "
                f"interchange ({self.component!r}): one file, one set of separators",
                segment_id="ISA",
            )
        self.component = component
        self.sender_id = tokens[6].strip()
        self.receiver_id = tokens[8].strip()
        self.control_number = tokens[13].strip()
        self.usage = tokens[15].strip()
        if not self.control_number:
            raise X12Error(index, "ISA13 is required", segment_id="ISA")
        self.isa_open = True
        self.groups = 0
        self.interchanges += 1

    def gs(self, index: int, tokens: Tokens) -> None:
        if not self.isa_open or self.gs_open:
            raise X12Error(
                index, "GS outside an interchange or inside an open group", segment_id="GS"
            )
        self.group_control_number = required(tokens, 6, index)
        self.group_version = element(tokens, 8)
        self.gs_open = True
        self.transactions = 0
        self.groups += 1

    def st(self, index: int, tokens: Tokens) -> str:
        """Opens a transaction set; returns ST02."""
        if not self.gs_open or self.st_index:
            raise X12Error(
                index, "ST outside a group or inside an open transaction", segment_id="ST"
            )
        set_id = element(tokens, 1)
        if set_id != self.set_id:
            raise X12Error(index, f"ST01 {set_id!r} is not {self.set_id}", segment_id="ST")
        self.st_control = required(tokens, 2, index)
        # Checked once the set is known to be ours, so a wrong file says "ST01", not a version.
        if element(tokens, 3):
            _check_version(self.set_id, element(tokens, 3), index, "ST03")
        else:
            _check_version(self.set_id, self.group_version, index, "GS08")
        self.st_index = index
        self.transactions += 1
        return self.st_control

    def se(self, index: int, tokens: Tokens) -> None:
        if not self.st_index:
            raise X12Error(index, "SE without ST", segment_id="SE")
        count = _count(tokens, 1, index)
        if count != index - self.st_index + 1:
            raise X12Error(
                index, f"SE01 says {count} segments; the set has {index - self.st_index + 1}",
                segment_id="SE",
            )  # fmt: skip
        if element(tokens, 2) != self.st_control:
            raise X12Error(index, f"SE02 does not match ST02 {self.st_control!r}", segment_id="SE")
        self.st_index = 0

    def ge(self, index: int, tokens: Tokens) -> None:
        if not self.gs_open or self.st_index:
            raise X12Error(index, "GE without GS, or inside an open transaction", segment_id="GE")
        if _count(tokens, 1, index) != self.transactions:
            raise X12Error(
                index, f"GE01 is not the {self.transactions} transaction sets", segment_id="GE"
            )
        if element(tokens, 2) != self.group_control_number:
            raise X12Error(index, "GE02 does not match GS06", segment_id="GE")
        self.gs_open = False

    def iea(self, index: int, tokens: Tokens) -> None:
        if not self.isa_open or self.gs_open:
            raise X12Error(index, "IEA without ISA, or inside an open group", segment_id="IEA")
        if _count(tokens, 1, index) != self.groups:
            raise X12Error(index, f"IEA01 is not the {self.groups} groups", segment_id="IEA")
        if element(tokens, 2).strip() != self.control_number:
            raise X12Error(index, "IEA02 does not match ISA13", segment_id="IEA")
        self.isa_open = False

    def dispatch(self, index: int, tokens: Tokens) -> bool:
        """Handles GS/GE/IEA/ISA (not ST/SE, which the reader needs to see); False otherwise."""
        seg_id = tokens[0]
        if seg_id == "GS":
            self.gs(index, tokens)
        elif seg_id == "GE":
            self.ge(index, tokens)
        elif seg_id == "IEA":
            self.iea(index, tokens)
        elif seg_id == "ISA":
            self.isa(index, tokens)
        elif seg_id == "TA1":
            if not self.isa_open or self.gs_open:
                raise X12Error(index, "TA1 must sit between ISA and GS", segment_id="TA1")
        else:
            return False
        return True

    def finish(self, last_index: int) -> None:
        """At the end of the text: every envelope must be closed."""
        if self.interchanges == 0:
            raise X12Error(None, "the file holds no interchange")
        if self.isa_open or self.gs_open or self.st_index:
            raise X12Error(
                last_index, "the file ends inside an open envelope (no SE/GE/IEA: truncated?)"
            )


def _count(tokens: Tokens, position: int, index: int) -> int:
    return parse_int(element(tokens, position), index, f"{tokens[0]}{position:02d}", "a count")


def _check_version(set_id: str, version: str, index: int, name: str) -> None:
    wanted = VERSIONS.get(set_id)
    if wanted is not None and not version.startswith(wanted):
        raise X12Error(
            index,
            f"{name} {version!r} is not {wanted}: Bureau reads the 5010 {set_id} guide only",
            segment_id="ST",
        )
