"""An independent reading of a written 837P, to check what pyx12 does not: the HL tree
(parents, child codes), envelope counts and control numbers, and money that adds up."""

from __future__ import annotations

from collections import Counter
from decimal import Decimal


def segments(text: str, element: str = "*", terminator: str = "~") -> list[list[str]]:
    return [s.strip().split(element) for s in text.split(terminator) if s.strip()]


def check_837p(text: str) -> list[str]:
    """Problems found, empty when the file hangs together."""
    problems: list[str] = []
    segs = segments(text, text[3], text[105])
    problems += _envelope(segs)
    problems += _hierarchy(segs)
    problems += _money_and_lines(segs, text[104])
    return problems


def _envelope(segs: list[list[str]]) -> list[str]:
    problems = []
    isa, gs, ge, iea = segs[0], segs[1], segs[-2], segs[-1]
    if iea[2] != isa[13] or iea[1] != "1" or ge[2] != gs[6]:
        problems.append("ISA/IEA or GS/GE control numbers or counts disagree")
    starts = [i for i, s in enumerate(segs) if s[0] == "ST"]
    ends = [i for i, s in enumerate(segs) if s[0] == "SE"]
    if int(ge[1]) != len(starts) or len(starts) != len(ends):
        problems.append(f"GE01 {ge[1]} for {len(starts)} ST / {len(ends)} SE")
    for st, se in zip(starts, ends, strict=False):
        if int(segs[se][1]) != se - st + 1 or segs[se][2] != segs[st][2]:
            problems.append(f"SE at {se} says {segs[se][1:]} for ST {segs[st][2]}")
    return problems


def _hierarchy(segs: list[list[str]]) -> list[str]:
    """HL ids count up from 1 in each transaction set; parents sit one level up; HL04 is 1
    exactly when the level has children."""
    problems: list[str] = []
    transactions: list[list[list[str]]] = []
    for seg in segs:
        if seg[0] == "ST":
            transactions.append([])
        elif seg[0] == "HL":
            transactions[-1].append(seg)
    for hls in transactions:
        problems += _one_tree(hls)
    return problems


def _one_tree(hls: list[list[str]]) -> list[str]:
    problems = []
    levels: dict[str, str] = {}
    children: Counter[str] = Counter()
    expected_parent = {"20": None, "22": "20", "23": "22"}
    for _, hl_id, parent, level, _child in hls:
        if hl_id != str(len(levels) + 1):
            problems.append(f"HL {hl_id} out of sequence")
        if (levels.get(parent) if parent else None) != expected_parent.get(level, "?"):
            problems.append(f"HL {hl_id} level {level} has parent {parent!r}")
        levels[hl_id] = level
        if parent:
            children[parent] += 1
    for _, hl_id, _parent, _level, child in hls:
        if (child == "1") != (children[hl_id] > 0):
            problems.append(f"HL {hl_id} says child code {child}, has {children[hl_id]} children")
    return problems


def _money_and_lines(segs: list[list[str]], component: str) -> list[str]:
    problems = []
    claim: list[str] | None = None
    line_total = Decimal(0)
    lx = 0

    def close() -> None:
        if claim is not None and Decimal(claim[2]) != line_total:
            problems.append(f"CLM {claim[1]} total {claim[2]} != lines {line_total}")

    for seg in segs:
        if seg[0] in ("CLM", "HL", "SE"):
            close()
            claim, line_total, lx = (
                (seg, Decimal(0), 0) if seg[0] == "CLM" else (None, line_total, 0)
            )
        elif seg[0] == "LX":
            lx += 1
            if seg[1] != str(lx):
                problems.append(f"LX {seg[1]} out of sequence in {claim}")
        elif seg[0] == "SV1":
            line_total += Decimal(seg[2])
            if component not in seg[1] or seg[1].split(component)[0] != "HC":
                problems.append(f"SV101 {seg[1]}")
    return problems
