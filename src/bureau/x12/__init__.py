"""Bureau's X12 (HIPAA 5010) library: pure Python, no Django.

Writers take typed, frozen dataclasses and return the interchange as text; every problem with
the input raises `X12Error` (or its subclass `FieldError`, which names the field).
"""

from bureau.x12.envelope import Envelope, Party, SegmentWriter, Separators, Usage
from bureau.x12.errors import FieldError, X12Error

__all__ = ["Envelope", "FieldError", "Party", "SegmentWriter", "Separators", "Usage", "X12Error"]
