"""A file of several interchanges is split with the separators of the first ISA. A later ISA
that declares another component separator (ISA16) was read with the first one's: an 835 whose
second interchange used its own '>' was refused at an SVC, and one whose ISA16 said '>' while
its segments used ':' was read as if nothing were wrong. The later ISA is refused, naming ISA16."""

from __future__ import annotations

import pytest

from bureau.x12.errors import X12Error
from bureau.x12.reader835 import iter_remittances
from bureau.x12.tests.test_tokens import golden


def test_a_second_interchange_with_another_component_separator_is_refused() -> None:
    first = golden("payment.835")
    assert first.count("*:~") == 1  # ISA16 ':' then the terminator
    second = first.replace("*:~", "*>~", 1)
    with pytest.raises(X12Error) as refused:
        list(iter_remittances(first + second))
    assert refused.value.segment_id == "ISA" and "ISA16" in str(refused.value)


def test_a_second_interchange_with_the_same_separators_reads() -> None:
    first = golden("payment.835")
    assert len(list(iter_remittances(first + first))) == 2 * len(list(iter_remittances(first)))
