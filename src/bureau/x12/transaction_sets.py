"""A file split into its transaction sets, each as an interchange of its own.

`split_transaction_sets(text, set_id)` gives every ST…SE of the file with the envelope around it:
its ISA and GS, its own segments, then the GE and IEA that close them with the counts of one set
(GE01 = 1, IEA01 = 1). Bureau stores an ERA's own interchange this way, so a download of one
payment never carries another payment's patients, and a file of many payments is not stored once
per payment.

It reads the segments with the tokenizer every reader uses (`tokens.raw_segments`) and checks
the envelope with the readers' `EnvelopeCheck`, so a set's `index` is the position a reader gives
its ST (`Remittance.segment_index`), whatever the file's separators and layout. There is no
fallback: anything it cannot split exactly is an `X12Error`.

A file that is exactly one interchange of one group of one set is that set's interchange as it
stands, and is returned as received (byte for byte, as the payer sent it). Otherwise each set is
written from its segments, each followed by the file's terminator and no layout, so the sets
together are never longer than the file plus one envelope per set.
"""

from __future__ import annotations

from dataclasses import dataclass

from bureau.x12.errors import X12Error
from bureau.x12.interchange import EnvelopeCheck
from bureau.x12.tokens import raw_segments


@dataclass(frozen=True, slots=True)
class TransactionSet:
    index: int  # position of its ST in the file (ISA is 1), as the readers number segments
    control_number: str  # ST02
    text: str  # ISA, GS, ST…SE, GE, IEA


@dataclass(slots=True)
class _Set:
    index: int
    control_number: str
    segments: list[str]  # ST…SE, raw (joined by the terminator a chunk at a time)
    gs: str = ""
    ge: str = ""


def split_transaction_sets(text: str, set_id: str) -> list[TransactionSet]:
    """Every transaction set of `text` (each ST01 must be `set_id`) in file order, each with
    its own envelope; X12Error for a file whose envelopes do not close as the readers check."""
    seps, batches = raw_segments(text)
    element, terminator = seps.element, seps.segment
    env = EnvelopeCheck(set_id)
    closed: list[tuple[str, _Set, str]] = []  # each set with the ISA and IEA around it
    isa = gs = ""
    in_group: list[_Set] = []  # the open group's sets, closed by its GE
    in_interchange: list[_Set] = []  # closed groups' sets, waiting for the IEA
    current: _Set | None = None
    index = in_sets = 0  # segments read, and those inside a set
    for batch in batches:
        for raw in batch:
            if not raw:
                continue
            index += 1
            tokens = raw.split(element)
            seg = tokens[0]
            if current is not None:
                if seg in _ENVELOPE:
                    raise X12Error(index, f"{seg} inside an open transaction set", segment_id=seg)
                current.segments.append(raw)
                in_sets += 1
                if seg == "SE":
                    env.se(index, tokens)
                    in_group.append(current)
                    current = None
                continue
            if seg == "ST":
                current = _Set(index, env.st(index, tokens), [raw], gs)
                in_sets += 1
            elif not env.dispatch(index, tokens):
                raise X12Error(
                    index, f"{seg[:10]!r} outside a transaction set", segment_id=seg[:10]
                )
            elif seg == "ISA":
                isa = raw
            elif seg == "GS":
                gs = raw
            elif seg == "GE":
                for s in in_group:
                    s.ge = _count_of_one(raw, element)
                in_interchange.extend(in_group)
                in_group.clear()
            elif seg == "IEA":
                iea = _count_of_one(raw, element)
                closed.extend((isa, s, iea) for s in in_interchange)
                in_interchange.clear()
        if current is not None and len(current.segments) > 1:
            # One string per chunk, not per segment: a 50,000-claim set is ~850,000 segments,
            # and joining what is already joined with the terminator gives the same text.
            current.segments[:] = [terminator.join(current.segments)]
    env.finish(index)
    if len(closed) == 1 and index == in_sets + 4:
        # ISA, GS, the set, GE, IEA and nothing else: the file is this set's interchange (and
        # a 50,000-claim payment's text is never built a second time).
        only = closed[0][1]
        return [TransactionSet(only.index, only.control_number, text)]
    return [
        TransactionSet(
            s.index,
            s.control_number,
            terminator.join([isa, s.gs, *s.segments, s.ge, iea]) + terminator,
        )
        for isa, s, iea in closed
    ]


_ENVELOPE = frozenset({"ISA", "GS", "ST", "GE", "IEA"})


def _count_of_one(raw: str, element: str) -> str:
    """GE or IEA closing one transaction set (GE01) or one group (IEA01)."""
    tokens = raw.split(element)
    return element.join([tokens[0], "1", *tokens[2:]])
