"""Property tests: generated batches (1-50 lines, 0-4 modifiers, 1-12 diagnoses, dependents,
secondary claims with the primary's payment) are written and each file passes pyx12 and the
independent structure check."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, timedelta
from decimal import Decimal

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bureau.x12.claim837 import (
    Address,
    Adjustment,
    AdjustmentGroup,
    Claim,
    Interchange837,
    OtherSubscriber,
    Patient,
    PersonName,
    Relationship,
    Responsibility,
    ServiceFacility,
    ServiceLine,
    Sex,
    Subscriber,
    Transaction837,
)
from bureau.x12.tests.oracle import pyx12_errors
from bureau.x12.tests.samples import (
    COMMERCIAL,
    DOCTOR,
    ENVELOPE,
    FACILITY_NPI,
    GROUP,
    MEDICARE_LIKE,
    RECEIVER,
    SOLO,
    SUBMITTER,
    SUPPLEMENT,
)
from bureau.x12.tests.structure import check_837p
from bureau.x12.writer837 import write_837p

PROPERTY_SETTINGS = settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow]
)

DIAGNOSES = ["E11.9", "I10", "Z79.4", "M54.50", "S39.012A", "J06.9", "R10.9", "K21.9", "F41.1",
             "E78.5", "Z00.00", "N39.0", "G43.909", "L30.9", "H10.9", "B34.9"]  # fmt: skip
PROCEDURES = ["99213", "99214", "99204", "97110", "97140", "83036", "J1815", "G0439", "0001F",
              "36415", "81002", "93000"]  # fmt: skip
MODIFIERS = ["25", "59", "GP", "KX", "XU", "LT", "RT", "26", "TC", "JW", "76", "91"]
PLACES = ["11", "22", "02", "10", "19"]

# Letters, a few accented ones (folded to ASCII by the writer) and punctuation that X12 allows.
_NAME_CHARS = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyzÉÑÜ'-.&,#/"
names = st.text(_NAME_CHARS, min_size=1, max_size=35).map(str.strip).filter(bool)
ids = st.text("ABCDEFGHJKLMNPQRSTUVWXYZ0123456789-", min_size=2, max_size=20)
cents = st.integers(min_value=0, max_value=5_000_000).map(lambda c: Decimal(c) / 100)
units = st.one_of(
    st.integers(1, 99).map(Decimal), st.sampled_from(["0.5", "1.25", "2.333"]).map(Decimal)
)
dates = st.dates(min_value=date(2020, 1, 1), max_value=date(2026, 12, 31))
births = st.dates(min_value=date(1920, 1, 1), max_value=date(2019, 12, 31))
people = st.builds(
    PersonName, last=names, first=st.one_of(st.just(""), names), suffix=st.sampled_from(["", "JR"])
)
addresses = st.builds(
    Address,
    line1=st.sampled_from(["1 MAIN ST", "22 ELM AVE APT 3", "PO BOX 7"]),
    city=st.sampled_from(["SPRINGFIELD", "MADISON", "O'FALLON"]),
    state=st.sampled_from(["IL", "WI", "NY"]),
    postal_code=st.sampled_from(["62701", "537031122"]),
)


@st.composite
def service_lines(draw: st.DrawFn, n_diagnoses: int, pos: str) -> ServiceLine:
    pointer_pool = list(range(1, n_diagnoses + 1))
    pointers = draw(st.lists(st.sampled_from(pointer_pool), min_size=1, max_size=4, unique=True))
    start = draw(dates)
    return ServiceLine(
        procedure_code=draw(st.sampled_from(PROCEDURES)),
        charge=draw(cents),
        units=draw(units),
        service_date=start,
        diagnosis_pointers=tuple(pointers),
        modifiers=tuple(draw(st.lists(st.sampled_from(MODIFIERS), max_size=4, unique=True))),
        place_of_service=draw(st.sampled_from(["", pos, *PLACES])),
        service_date_end=draw(st.sampled_from([None, start, start + timedelta(days=3)])),
        rendering_provider=draw(st.sampled_from([None, DOCTOR])),
        line_control_number=draw(st.one_of(st.just(""), ids)),
    )


@st.composite
def primary_payer(draw: st.DrawFn) -> OtherSubscriber:
    adjustments = draw(
        st.lists(
            st.builds(
                Adjustment,
                group=st.sampled_from(list(AdjustmentGroup)),
                reason=st.sampled_from(["1", "2", "3", "45", "253"]),
                amount=cents,
            ),
            max_size=4,
        )
    )
    return OtherSubscriber(
        payer=MEDICARE_LIKE,
        member_id=draw(ids),
        name=draw(people),
        responsibility=Responsibility.PRIMARY,
        relationship=draw(st.sampled_from(list(Relationship))),
        claim_filing_indicator="MB",
        paid_amount=draw(st.one_of(st.none(), cents)),
        adjudication_date=draw(st.one_of(st.none(), dates)),
        adjustments=tuple(adjustments),
    )


@st.composite
def claims(draw: st.DrawFn, number: int) -> Claim:
    n_dx = draw(st.integers(1, 12))
    diagnoses = tuple(
        draw(st.lists(st.sampled_from(DIAGNOSES), min_size=n_dx, max_size=n_dx, unique=True))
    )
    pos = draw(st.sampled_from(PLACES))
    n_lines = draw(st.integers(1, 50))
    lines = tuple(draw(st.lists(service_lines(n_dx, pos), min_size=n_lines, max_size=n_lines)))
    secondary = draw(st.booleans())
    subscriber = Subscriber(
        member_id=draw(ids),
        name=draw(people),
        birth_date=draw(births),
        sex=draw(st.sampled_from(list(Sex))),
        address=draw(addresses),
        responsibility=Responsibility.SECONDARY if secondary else Responsibility.PRIMARY,
        group_number=draw(st.one_of(st.just(""), ids)),
    )
    patient = draw(
        st.one_of(
            st.none(),
            st.builds(
                Patient,
                name=people,
                birth_date=births,
                sex=st.sampled_from(list(Sex)),
                address=addresses,
                relationship=st.sampled_from(
                    [r for r in Relationship if r is not Relationship.SELF]
                ),
            ),
        )
    )
    facility = ServiceFacility(
        "ANNEX CLINIC", Address("5 ANNEX WAY", "SPRINGFIELD", "IL", "627011200"), FACILITY_NPI
    )
    return Claim(
        patient_control_number=f"PCN{number:05d}",
        billing_provider=draw(st.sampled_from([GROUP, SOLO])),
        subscriber=subscriber,
        payer=SUPPLEMENT if secondary else COMMERCIAL,
        diagnoses=diagnoses,
        lines=lines,
        total_charge=sum((line.charge for line in lines), Decimal(0)),
        place_of_service=pos,
        patient=patient,
        rendering_provider=draw(st.sampled_from([None, DOCTOR])),
        service_facility=draw(st.sampled_from([None, facility])),
        other_subscribers=(draw(primary_payer()),) if secondary else (),
        onset_date=draw(st.one_of(st.none(), dates)),
    )  # fmt: skip


@st.composite
def interchanges(draw: st.DrawFn) -> Interchange837:
    count = draw(st.integers(1, 4))
    batch = [draw(claims(i)) for i in range(count)]
    if count > 1 and draw(st.booleans()):
        # A second claim for the same people: it must share their HL levels, not repeat them.
        first = batch[0]
        batch[1] = replace(
            batch[1],
            billing_provider=first.billing_provider,
            subscriber=first.subscriber,
            payer=first.payer,
            patient=first.patient,
            other_subscribers=first.other_subscribers,
        )
    return Interchange837(ENVELOPE, SUBMITTER, RECEIVER, (Transaction837(1, tuple(batch)),))


@PROPERTY_SETTINGS
@given(interchanges())
def test_generated_batches_pass_pyx12(interchange: Interchange837) -> None:
    text = write_837p(interchange)
    assert check_837p(text) == []
    assert pyx12_errors(text) == []
    claims_in = interchange.transactions[0].claims
    assert text.count("~CLM*") == len(claims_in)
    assert text.count("~LX*") == sum(len(c.lines) for c in claims_in)
