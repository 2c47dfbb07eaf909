"""Splitting a file into its transaction sets (`transaction_sets`): each set's own interchange,
for every separator and layout, on the same segments the readers see; never more, never a
fallback."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings

from bureau.x12.errors import X12Error
from bureau.x12.reader835 import iter_remittances
from bureau.x12.remit835 import Remittance
from bureau.x12.tests.layouts import LaidOut, laid_out_835
from bureau.x12.tests.test_tokens import golden
from bureau.x12.tokens import segments
from bureau.x12.transaction_sets import split_transaction_sets


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(laid_out_835())
def test_each_set_is_exactly_its_own_segments_and_envelope(laid: LaidOut) -> None:
    sets = split_transaction_sets(laid.text, "835")
    read = list(iter_remittances(laid.text))  # the readers take every layout too
    assert [s.index for s in sets] == [r.segment_index for r in read]
    assert [[tokens for _, tokens in segments(s.text)] for s in sets] == laid.expected
    for one, remittance in zip(sets, read, strict=True):
        (alone,) = iter_remittances(one.text)
        assert (alone.trace_number, _claims(alone)) == (
            remittance.trace_number,
            _claims(remittance),
        )
    assert sum(len(s.text) for s in sets) <= laid.bound


def _claims(remittance: Remittance) -> list[tuple[str, Decimal, str]]:
    return [(c.patient_control_number, c.paid, c.patient_last_name) for c in remittance.claims]


def test_a_file_of_one_set_is_kept_as_received() -> None:
    text = golden("payment.835")
    (only,) = split_transaction_sets(text, "835")
    assert only.text == text and only.index == 3


GS = "GS*HP*X*Y*20260101*0900*9*X*005010X221A1"


@pytest.mark.parametrize(
    ("change", "words"),
    [
        (lambda t: t.replace("\nGE*", "\nLX*1~\nGE*", 1), "outside a transaction set"),
        (
            lambda t: t.replace("\nSE*", "\nGS*HP*X*Y*20260101*0900*9*X*005010X221A1~SE*", 1),
            "inside",
        ),
        (lambda t: t[: t.index("IEA*")], "open envelope"),
        (lambda t: t + "JUNK*1~", "outside a transaction set"),
        (lambda t: t.replace("ST*835", "ST*999", 1), "is not 835"),
    ],
)
def test_what_cannot_be_split_exactly_is_an_x12_error(change, words) -> None:
    with pytest.raises(X12Error, match=words):
        split_transaction_sets(change(golden("payment.835")), "835")
