"""The one exception the X12 library raises for bad input, in either direction.

Readers raise `X12Error` with the position of the offending segment; the writers raise it for a
value that cannot be written (a separator inside a name, say), and `FieldError`, a subclass, for
typed input that breaks a rule of the implementation guide before any segment exists. Callers
catch `X12Error` once; it is a `ValueError`, so code that already guards bad values keeps working.
"""

from __future__ import annotations


class X12Error(ValueError):
    """Malformed X12 or a value X12 cannot carry.

    `segment_index` is the 1-based position of the segment in the interchange (ISA is 1), or
    None when the problem is found before segments are written.
    """

    def __init__(
        self, segment_index: int | None, reason: str, *, segment_id: str | None = None
    ) -> None:
        self.segment_index = segment_index
        self.segment_id = segment_id
        self.reason = reason
        super().__init__(self._message())

    def _message(self) -> str:
        if self.segment_index is None:
            return _one_line(self.reason)
        where = f"segment {self.segment_index}"
        if self.segment_id:
            where += f" ({self.segment_id})"
        return _one_line(f"{where}: {self.reason}")


def _one_line(message: str) -> str:
    """Text from the file (a segment id, a value) can hold line breaks and control characters:
    shown escaped, so a message is always one printable line (a log, a job page, stderr)."""
    if message.isprintable():
        return message
    return "".join(ch if ch.isprintable() else repr(ch)[1:-1] for ch in message)


class FieldError(X12Error):
    """Typed input that breaks a rule of the guide; `field` names it, e.g. `Claim.diagnoses`."""

    def __init__(self, field: str, reason: str) -> None:
        self.field = field
        super().__init__(None, f"{field}: {reason}")
