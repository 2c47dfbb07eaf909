"""Hypothesis, per reader and per kind of damage: any mutation of a valid file (`mutations.KINDS`:
byte flips, segment drop/duplicate/swap, element truncation, separator swaps, random truncation,
huge numbers, junk, stray characters) gives a result or an `X12Error`, never another exception.

Every reader meets every kind first (then maybe one or two more of any kind), so no reader can
go untested against, say, a 5,000-digit SE01 because random draws happened to miss it. The same
engine drives `make fuzz` (bench/fuzz_x12.py) over a million inputs; here a few dozen per pair
keep the file to seconds. The 837P reader turns an unexpected exception into "unreadable 837P":
that is refused here too, as the exception it hides.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bureau.x12.errors import X12Error
from bureau.x12.tests.mutations import HUGE, KINDS, READERS, Seed, mutate, mutated, seed

GOLDEN = Path(__file__).parent / "golden"
# Reasons an X12Error may give without a segment: the file as a whole is wrong.
FILE_WIDE = (
    "empty", "no interchange", "more than one interchange", "not text", "no transaction",
    "no 837 transaction",
)  # fmt: skip
EXAMPLES = 50  # per reader and kind (6 x 12 pairs): the file runs in about 5 s


def _golden(name: str) -> Seed:
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return seed(name, handle.read())


def check(read: Callable[[str, random.Random], Any], text: str, rng: random.Random) -> None:
    """The property: a result, or an X12Error that names its segment unless the whole file is
    wrong, and that is not another exception in disguise."""
    try:
        read(text, rng)
    except X12Error as exc:
        assert "unreadable" not in exc.reason, repr(exc.__context__)
        if exc.segment_index is None:
            assert any(words in exc.reason for words in FILE_WIDE), exc.reason
        else:
            assert str(exc).startswith(f"segment {exc.segment_index}")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("reader", sorted(READERS))
def test_every_kind_of_damage_raises_only_x12_error(reader: str, kind: str) -> None:
    names, read = READERS[reader]
    seeds = [_golden(name) for name in names]

    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        derandomize=True,
        database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    @given(st.sampled_from(seeds), st.randoms(use_true_random=True))
    def run(base: Seed, rng: random.Random) -> None:
        check(read, mutated(rng, base, first=kind), rng)

    run()


# Where a huge number once escaped as decimal.InvalidOperation or int()'s 4,300-digit ValueError:
# the envelope counts, the 999's counts and IK4 positions, and each reader's amounts.
HUGE_PLACES = [
    ("835", "payment.835", seg, position)
    for seg, position in [("SE", 1), ("GE", 1), ("IEA", 1), ("CLP", 3), ("CLP", 4), ("BPR", 2)]
] + [
    ("999", "rejected.999", seg, position)
    for seg, position in [("SE", 1), ("GE", 1), ("IEA", 1), ("AK9", 2), ("AK9", 3), ("AK9", 4),
                          ("IK3", 2), ("IK4", 1)]
] + [
    ("277CA", "claims.277", seg, position)
    for seg, position in [("SE", 1), ("GE", 1), ("IEA", 1), ("STC", 4)]
] + [
    ("837P", "primary.x12", seg, position)
    for seg, position in [("CLM", 2), ("SV1", 2), ("SV1", 4), ("SE", 1), ("IEA", 1)]
]  # fmt: skip


@pytest.mark.parametrize(("reader", "name", "seg_id", "position"), HUGE_PLACES)
def test_huge_numbers_where_readers_convert_them(
    reader: str, name: str, seg_id: str, position: int
) -> None:
    base = _golden(name)
    parts = base.text.split(base.segment)
    (i,) = [i for i, part in enumerate(parts) if part.lstrip().startswith(seg_id + base.element)][
        :1
    ]
    for huge in HUGE:
        elements = parts[i].split(base.element)
        rest = elements[position].partition(base.component)[1:]
        elements[position] = huge + "".join(rest)
        text = base.segment.join(parts[:i] + [base.element.join(elements)] + parts[i + 1 :])
        assert huge in text
        check(READERS[reader][1], text, random.Random(0))


def test_the_engine_damages_every_kind() -> None:
    """Each kind changes the text (most of the time): a kind that silently did nothing would
    leave its readers untested while its tests pass."""
    base = _golden("payment.835")
    rng = random.Random(5)
    for kind in KINDS:
        changed = sum(mutate(rng, base, base.text, kind) != base.text for _ in range(50))
        assert changed >= 35, kind


@pytest.mark.parametrize("reader", sorted(READERS))
def test_seeds_read_cleanly(reader: str) -> None:
    names, read = READERS[reader]
    for name in names:
        read(_golden(name).text, random.Random(0))
