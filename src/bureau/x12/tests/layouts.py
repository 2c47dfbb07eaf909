"""Hypothesis: 835 files of several transaction sets in every separator and layout a payer may
send, and what each set's own interchange must be.

The sets come from the golden files; a drawn file has one or two interchanges of one or two
groups of one to three sets, separators drawn from printable ones and the information separators
0x1C-0x1F, the layout people add around each terminator (spaces, tabs, line breaks in any mix),
and maybe a byte-order mark. `LaidOut.expected` is, per set, the segments (as element lists)
its own interchange must hold: ISA, GS, its ST…SE, GE*1, IEA*1.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import cycle
from pathlib import Path

from hypothesis import assume
from hypothesis import strategies as st

from bureau.x12.tokens import Tokens, numbered

GOLDEN = Path(__file__).parent / "golden"
ELEMENTS = "*|!\x1c\x1d\x1e\x1f"
COMPONENTS = ":>\x1c\x1d\x1e\x1f"
TERMINATORS = "~\n\r\x1c\x1d\x1e\x1f"
REPETITIONS = "^{\x1e"
# After a terminator: nothing, or the line breaks and blanks people (and payers) add.
AFTER = ["", "\n", "\r\n", " \n", "\t\n", "\n\t", " ", "\t", "\r\n\r\n", " \r\n ", "\n\n"]
BEFORE = ["", " ", "\t", " \t"]  # before a terminator (never after the fixed-width ISA)


def _golden(name: str) -> str:
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return handle.read()


Body = list[tuple[str, list[list[str]]]]  # a set's segments: id, elements split into components


def _golden_sets() -> tuple[Tokens, Tokens, list[Body]]:
    """The golden ISA and GS, and every golden 835 set."""
    isa: Tokens = []
    gs: Tokens = []
    sets: list[Body] = []
    for name in ("payment.835", "reversal_plb.835", "separators.835"):
        seps, stream = numbered(_golden(name))
        current: list[Tokens] | None = None
        for _, tokens in stream:
            if tokens[0] == "ISA" and not isa:
                isa = tokens
            elif tokens[0] == "GS" and not gs:
                gs = tokens
            elif tokens[0] == "ST":
                current = []
            if current is not None:
                current.append(tokens)
                if tokens[0] == "SE":
                    split = seps.component
                    sets.append([(t[0], [e.split(split) for e in t[1:]]) for t in current])
                    current = None
    return isa, gs, sets


ISA, GS, SETS = _golden_sets()
# Characters the data holds (ISA11 and ISA16 are the golden separators, not data).
DATA = {ch for body in SETS for _, elements in body for e in elements for ch in "".join(e)}
DATA |= set("".join(ISA[:11] + ISA[12:16] + GS))


@dataclass(frozen=True)
class LaidOut:
    text: str
    terminator: str
    expected: list[list[Tokens]]  # per set: its own interchange's segments
    envelope: int  # the longest ISA+GS+GE+IEA of the file, with terminators

    @property
    def bound(self) -> int:
        """What the sets' own interchanges may take together: the file and one envelope each."""
        return len(self.text) + len(self.expected) * self.envelope


@st.composite
def laid_out_835(draw: st.DrawFn) -> LaidOut:
    element = draw(st.sampled_from(ELEMENTS))
    component = draw(st.sampled_from(COMPONENTS.replace(element, "")))
    terminator = draw(st.sampled_from(TERMINATORS.replace(element, "").replace(component, "")))
    repetition = draw(st.sampled_from(REPETITIONS + "U"))
    assume(repetition not in (element, component, terminator))
    assume(not ({element, component, terminator, repetition} - {"U"}) & DATA)  # "U": no separator

    # A few layouts taken in turn: mixed within a file, and cheap to draw.
    after = cycle(draw(st.lists(st.sampled_from(AFTER), min_size=1, max_size=4)))
    before = cycle(draw(st.lists(st.sampled_from(BEFORE), min_size=1, max_size=3)))

    def segment(tokens: list[str], *, isa: bool = False) -> str:
        space = "" if isa else next(before)
        return element.join(tokens) + space + terminator + next(after)

    def render(body: Body, control: str) -> list[Tokens]:
        out = [[seg, *(component.join(parts) for parts in elements)] for seg, elements in body]
        out[0][2] = out[-1][2] = control  # ST02, SE02
        return out

    text = draw(st.sampled_from(["", "\ufeff", "\ufeff\n", " \r\n"]))
    expected: list[list[Tokens]] = []
    envelope = 0
    control = 0
    for interchange in range(1, draw(st.integers(1, 2)) + 1):
        isa = [*ISA]
        isa[11], isa[13], isa[16] = repetition, f"{interchange:09d}", component
        text += segment(isa, isa=True)
        groups = draw(st.integers(1, 2))
        for group in range(1, groups + 1):
            gs = [*GS]
            gs[6] = str(group)
            text += segment(gs)
            bodies = draw(st.lists(st.sampled_from(range(len(SETS))), min_size=1, max_size=3))
            for body in bodies:
                control += 1
                rendered = render(SETS[body], f"{control:04d}")
                text += "".join(segment(seg) for seg in rendered)
                expected.append(
                    [isa, gs, *rendered, ["GE", "1", str(group)], ["IEA", "1", isa[13]]]
                )
            text += segment(["GE", str(len(bodies)), str(group)])
            ge_iea = len(f"GE*9*{group}") + len(f"IEA*9*{isa[13]}") + 2
            envelope = max(envelope, len(element.join(isa)) + len(element.join(gs)) + 2 + ge_iea)
        text += segment(["IEA", str(groups), isa[13]])
    return LaidOut(text, terminator, expected, envelope)
