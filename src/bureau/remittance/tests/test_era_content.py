"""What an ERA stores (`Era.content`): its own payment's interchange and nothing else, whatever
the separators and layout of the file it came in (issue 9, item 1).

The leak this holds shut: one 835 paying two practices, segments separated by `~ \\n`, uploaded
by someone who posts for every practice; the poster of one practice downloads that practice's
ERA and reads the other practice's patients. And the cost side: 200 payments must not store the
file 200 times.
"""

from __future__ import annotations

import pytest
from django.urls import reverse
from hypothesis import HealthCheck, given, settings

from bureau.accounts.models import User
from bureau.conftest import verified_client
from bureau.directory.models import ContractRate
from bureau.remittance.models import Era
from bureau.remittance.services import ingest_era_text, parse_835, transaction_texts
from bureau.remittance.tests import builders as b
from bureau.remittance.tests.test_views import envelope, paid_and_denied, writable
from bureau.tenancy import rls
from bureau.tenancy.actor import resolve_actor
from bureau.tenancy.models import Practice, Workspace
from bureau.x12.errors import X12Error
from bureau.x12.tests.layouts import LaidOut, laid_out_835
from bureau.x12.tests.test_tokens import golden
from bureau.x12.tokens import segments
from bureau.x12.writer835 import write_835

# Between segments: the terminator and the layout after it (the first is the report's file).
LAYOUTS = ["~ \n", "~\t\n", "~\r\n", "~\n", "~", "~ \r\n\t", "~\n\n", "\x1c", "\x1c\n", "\n"]


# -- the splitting, for every layout (no database) -------------------------------------------
@settings(
    max_examples=200,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(laid_out_835())
def test_every_era_stores_exactly_its_own_set_and_envelope(laid: LaidOut) -> None:
    remittances = parse_835(laid.text)
    contents = transaction_texts(laid.text, [r.segment_index for r in remittances])
    assert [[tokens for _, tokens in segments(c)] for c in contents] == laid.expected
    assert sum(len(c) for c in contents) <= laid.bound


def test_payments_that_are_not_the_files_sets_are_refused_not_stored_whole() -> None:
    text = golden("separators.835")  # two sets
    first, second = parse_835(text)
    with pytest.raises(X12Error, match="not the payments read from it"):
        transaction_texts(text, [first.segment_index])
    with pytest.raises(X12Error, match="not the payments read from it"):
        transaction_texts(text, [first.segment_index, second.segment_index + 1])
    with pytest.raises(X12Error):
        transaction_texts(text.replace("GE|", "GX|"), [first.segment_index, second.segment_index])


# -- the leak, end to end ----------------------------------------------------------------------
def _practice(code: str) -> Practice:
    return next(p for p in b.summit() if p.code == code)


def _two_practice_file(layout: str) -> tuple[str, dict[str, list[str]]]:
    """One 835 paying Riverbend (Priya posts there) and Lakeside (she does not), laid out with
    `layout` between segments; and per practice code, the words only its payment carries."""
    payments = []
    words: dict[str, list[str]] = {}
    for code in ("RBD", "LFM"):
        practice = _practice(code)
        payer = b.payer_of(practice)
        b.autopost(practice)
        ContractRate.objects.filter(practice=practice).delete()
        name = f"{code}ONLYPATIENT"
        claims = [
            b.changed(c, patient_last_name=name, member_id=f"{code}MEMBER{i}")
            for i, c in enumerate(paid_and_denied(practice, payer))
        ]
        payments.append(writable(b.remittance(practice, payer, claims)))
        words[code] = [name, *(c.patient_control_number for c in claims)]
    return write_835(envelope(), payments).replace("~", layout), words


def _envelope_length(text: str) -> int:
    """ISA, GS, GE and IEA of `text` with a terminator each: what each ERA may add."""
    envelope = [t for _, t in segments(text) if t[0] in ("ISA", "GS", "GE", "IEA")]
    return sum(len("*".join(t)) + 1 for t in envelope)


@pytest.mark.django_db
@pytest.mark.parametrize("layout", LAYOUTS)
def test_a_one_practice_poster_downloads_only_their_practices_patients(layout: str) -> None:
    text, words = _two_practice_file(layout)
    owner = resolve_actor(User.objects.get(username="olivia.owner"))  # posts for every practice
    result = ingest_era_text(
        actor=owner,
        workspace=Workspace.objects.get(slug="summit"),
        text=text,
        file_name="two-practices.835",
    )
    assert [e.practice_code for e in result.eras] == ["RBD", "LFM"]
    ids = [p.pk for p in b.summit()]
    with rls.practice_scope(ids):
        eras = {
            e.practice.code: e
            for e in Era.objects.for_system(ids, reason="test").select_related("practice")
        }
    assert sum(len(e.content) for e in eras.values()) <= len(text) + 2 * _envelope_length(text)
    for code, era in eras.items():
        other = "LFM" if code == "RBD" else "RBD"
        assert all(word in era.content for word in words[code])
        assert not any(word in era.content for word in words[other])

    client = verified_client("priya.poster")  # Riverbend and Summit PT only
    response = client.get(reverse("eras:download", args=[eras["RBD"].public_id]))
    assert response.status_code == 200
    body = response.content.decode()
    assert words["RBD"][0] in body
    assert not any(word in body for word in words["LFM"]), "another practice's patients"
    assert client.get(reverse("eras:download", args=[eras["LFM"].public_id])).status_code == 404
