"""What an inbound X12 file is: `identify(text)` names it from its first GS08 / ST01 so the
clearinghouse inbox can route it ("835", "999", "277CA", "837P")."""

from __future__ import annotations

from bureau.x12.errors import X12Error
from bureau.x12.tokens import ISA_LENGTH, Source, element, numbered

_KINDS = {"835": "835", "999": "999"}
_SLICE = 1 << 16  # characters: the ISA, GS and first ST sit well inside the first slice


def identify(text: str) -> str:
    """ "835", "999", "277CA" or "837P", from the first functional group and transaction set."""
    version = ""
    for index, tokens in numbered(_pieces(text))[1]:
        seg_id = tokens[0]
        if seg_id == "GS":
            version = element(tokens, 8)
        elif seg_id == "ST":
            set_id = element(tokens, 1)
            if set_id in _KINDS:
                return _KINDS[set_id]
            if set_id == "277" and "X214" in (version or element(tokens, 3)):
                return "277CA"
            if set_id == "837" and "X222" in (version or element(tokens, 3)):
                return "837P"
            raise X12Error(
                index, f"transaction set {set_id!r} ({version}) is not one Bureau reads",
                segment_id="ST",
            )  # fmt: skip
    raise X12Error(None, "the file has no transaction set (ST)")


def _pieces(text: str) -> Source:
    """`text` as slices split one at a time, so only the head of a large file is split.

    A short text, or one whose first slice holds no whole ISA (blanks before it), is read whole:
    the slices would read it alike but for which error an empty or blank file raises."""
    if len(text) <= _SLICE or len(text[:_SLICE].removeprefix("\ufeff").lstrip()) < ISA_LENGTH:
        return text
    return (text[start : start + _SLICE] for start in range(0, len(text), _SLICE))
