"""Each KPI on the hand-built book of `kpi_fixture` (March 2026), its answer worked out here.

The arithmetic in the comments is the point: a reader checks each figure against the table in
`kpi_fixture`'s docstring, not against the code.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from bureau.claims.models import Claim, ClaimEvent, ClaimFrequency, ClaimState
from bureau.reports.kpis import REGISTRY, KpiScope, compute
from bureau.reports.tests.kpi_fixture import Book, build_book
from bureau.tenancy import rls
from bureau.tenancy.actor import Actor, resolve_actor

pytestmark = pytest.mark.django_db
D = Decimal
MARCH = (date(2026, 3, 1), date(2026, 3, 31))  # 31 days; 22 business days (1 March: Sunday)


@pytest.fixture
def book() -> Book:
    return build_book()


def scope(book: Book, actor: Actor | None = None, **kw: object) -> KpiScope:
    kw.setdefault("practice_id", book.practice.pk)
    return KpiScope(actor or book.owner, *MARCH, **kw)  # type: ignore[arg-type]


def figures(key: str, s: KpiScope, variant: str | None = None) -> tuple[D, D, D | None]:
    v = compute(key, s, variant)
    return v.numerator, v.denominator, v.value


# Expected (numerator, denominator, value) for the owner (both doctors) — and, where doctor
# B's claim C5 or the unmatched ERA loop changes it, for the grant limited to doctor A.
# First submitted in March: C1 C2 C3 C5 C6 C7 (C4 went out in January).
# First 835 in March: C1 (03-10), C2 (03-12), C6 (03-16), C5 (03-20).
EXPECTED: dict[tuple[str, str], tuple[tuple[str, str, str | None], tuple[str, str, str | None]]] = {
    # clean: not C2 (scrubber error), not C3 (277CA rejection) → C1 C5 C6 C7 = 4 of 6;
    # doctor A: C1 C6 C7 = 3 of 5.
    ("clean_claim_rate", "scrub_and_front_end"): (("4", "6", "66.67"), ("3", "5", "60.00")),
    # scrubber only: all but C2 → 5 of 6; doctor A 4 of 5.
    ("clean_claim_rate", "scrubber_only"): (("5", "6", "83.33"), ("4", "5", "80.00")),
    # answered: C7 still waits → C1 C2 C3 C5 C6; never rejected: all but C3 → 4 of 5;
    # doctor A: 3 of 4.
    ("first_pass_acceptance", "by_count"): (("4", "5", "80.00"), ("3", "4", "75.00")),
    # adjudicated C1 C2 C5 C6; C2 and C6 denied → C1 C5 = 2 of 4; doctor A: C1 = 1 of 3.
    ("first_pass_resolution", "by_count"): (("2", "4", "50.00"), ("1", "3", "33.33")),
    # denied on the first 835: C2, C6 → 2 of 4; doctor A 2 of 3.
    ("initial_denial_rate", "by_count"): (("2", "4", "50.00"), ("2", "3", "66.67")),
    # dollars: (200 + 60) / (100 + 200 + 40 + 60) = 260/400; doctor A 260/360 = 72.22 %.
    ("initial_denial_rate", "by_dollars"): (
        ("260.00", "400.00", "65.00"),
        ("260.00", "360.00", "72.22"),
    ),
    # service → submission: C1 9, C2 6, C3 6, C5 2, C6 5, C7 10 = 38 days / 6 = 6.33;
    # doctor A: 38 − 2 = 36 / 5 = 7.20.
    ("days_to_submit", "from_date_of_service"): (("38", "6", "6.33"), ("36", "5", "7.20")),
    # first paid (money) in March: C1 03-10 (submitted 03-01: 9 days), C5 03-20 (03-04: 16);
    # C2 and C6 paid nothing → (9 + 16) / 2 = 12.50; doctor A: 9 / 1.
    ("days_to_pay", "from_submission"): (("25", "2", "12.50"), ("9", "1", "9.00")),
    # from service: C1 02-20 → 03-10 = 18, C5 03-02 → 03-20 = 18 → 36 / 2.
    ("days_to_pay", "from_date_of_service"): (("36", "2", "18.00"), ("18", "1", "18.00")),
    # A/R on 03-31: C3 50 + C4 300 + C7 30 = 380 (C1 paid and adjusted to 0, C2 written off,
    # C5 paid, C6 denied to 0). Charges in March 100+200+50+40+60+30 = 480, 480/31 = 15.48 a
    # day; 380 × 31 / 480 = 24.54 days. Doctor A: charges 440 → 14.19/day, 380×31/440 = 26.77.
    ("days_in_ar", "gross_charges"): (
        ("380.00", "15.48", "24.54"),
        ("380.00", "14.19", "26.77"),
    ),
    # net revenue: 480 − 20 (C1's CO-45; the CO-50 denials are not contractual) = 460,
    # 14.84/day, 380 × 31 / 460 = 25.61; doctor A: 420 → 13.55/day, 380 × 31 / 420 = 28.05.
    ("days_in_ar", "net_revenue"): (
        ("380.00", "14.84", "25.61"),
        ("380.00", "13.55", "28.05"),
    ),
    # older than 90 days on 03-31 (before 2025-12-31): C4 (service 2025-11-01) 300 of 380.
    ("ar_over_90", "by_date_of_service"): (
        ("300.00", "380.00", "78.95"),
        ("300.00", "380.00", "78.95"),
    ),
    # from first submission: C4 went out 2026-01-05, under 90 days → 0 of 380.
    ("ar_over_90", "by_first_submission"): (
        ("0", "380.00", "0.00"),
        ("0", "380.00", "0.00"),
    ),
    # payments 80 (C1) + 40 (C5) = 120 over 460 = 26.09 %; doctor A 80 / 420 = 19.05 %.
    ("net_collection_rate", "adjusted"): (
        ("120.00", "460.00", "26.09"),
        ("80.00", "420.00", "19.05"),
    ),
    # C2's 200 written off (denied claim) over net revenue 460 = 43.48 %; A: 200/420.
    ("denial_writeoff_pct", "of_net_revenue"): (
        ("200.00", "460.00", "43.48"),
        ("200.00", "420.00", "47.62"),
    ),
    ("denial_writeoff_pct", "of_gross_charges"): (
        ("200.00", "480.00", "41.67"),
        ("200.00", "440.00", "45.45"),
    ),
    # CLP loops: C1 C2 C6 C5 posted, the stranger (no claim of ours) an exception → 4 of 5.
    # Doctor A sees neither C5's loop nor the unattributable stranger → 3 of 3.
    ("era_auto_post_rate", "by_count"): (("4", "5", "80.00"), ("3", "3", "100.00")),
    # paid: 80 + 0 + 0 + 40 posted of 160 (with the stranger's 40) = 75 %; A: 80 of 80.
    ("era_auto_post_rate", "by_dollars"): (
        ("120.00", "160.00", "75.00"),
        ("80.00", "80.00", "100.00"),
    ),
    # appeals decided: C2 upheld, C6 partially overturned → 1 of 2 (partial counts).
    ("appeal_overturn_rate", "by_count"): (("1", "2", "50.00"), ("1", "2", "50.00")),
    ("appeal_overturn_rate", "fully_overturned"): (("0", "2", "0.00"), ("0", "2", "0.00")),
    # recovered 30 of the 200 + 60 denied = 11.54 %.
    ("appeal_overturn_rate", "by_dollars"): (
        ("30.00", "260.00", "11.54"),
        ("30.00", "260.00", "11.54"),
    ),
    # closed in March: C2's denial item (due 03-26, closed 03-20 by the write-off ✓), C6 by
    # hand (due 03-20, closed 03-24 ✗), C3 rejection (03-09, 03-06 ✓), C5 rejection (03-12,
    # 03-10 ✓) → 3 of 4; doctor A without C5: 2 of 3.
    ("sla_compliance", "closed_items"): (("3", "4", "75.00"), ("2", "3", "66.67")),
    # plus the open items due in March: C4's follow-up (03-15), C6's posted denial (03-30),
    # the stranger's ERA exception (03-26) → 3 of 7 = 42.86 %; doctor A sees neither C5 nor
    # the exception (it reaches no provider) → 2 of 5.
    ("sla_compliance", "with_open_breaches"): (("3", "7", "42.86"), ("2", "5", "40.00")),
    # closed by people: the owner 1 (C2's denial, by the write-off), una 1 (C6), uli 2 (C3,
    # C5); uwe only attempted (C4). Four people active × 22 business days = 88 person-days:
    # 4 / 88 = 0.045 → 0.05. Doctor A: uli closed only C3 → 3 / 88 = 0.034 → 0.03.
    ("productivity", "items_per_user_day"): (("4", "88", "0.05"), ("3", "88", "0.03")),
}


def _as_decimals(expected: tuple[str, str, str | None]) -> tuple[D, D, D | None]:
    num, den, value = expected
    return D(num), D(den), None if value is None else D(value)


def test_every_kpi_and_variant_has_a_worked_answer() -> None:
    registered = {(k, v.key) for k, kpi in REGISTRY.items() for v in kpi.definition.variants}
    assert registered == set(EXPECTED)


@pytest.mark.parametrize(("key", "variant"), sorted(EXPECTED))
def test_kpi_on_the_hand_built_book(book: Book, key: str, variant: str) -> None:
    owner_expected, doctor_a_expected = EXPECTED[(key, variant)]
    assert figures(key, scope(book), variant) == _as_decimals(owner_expected)
    limited = resolve_actor(book.limited)
    assert limited is not None
    # The grant limited to doctor A never counts doctor B's claim (C5), nor the ERA loop
    # that reaches no provider — the whole book (no practice filter) is the same practice.
    assert figures(key, scope(book, limited, practice_id=None), variant) == _as_decimals(
        doctor_a_expected
    )


def test_breakdowns(book: Book) -> None:
    by_payer = compute("days_to_pay", scope(book))
    # payer X: C1 9 days; payer Y: C5 16 days.
    assert {(r.label, r.value) for r in by_payer.rows} == {
        (book.payer_x.name, D("9.00")),
        (book.payer_y.name, D("16.00")),
    }
    by_function = compute("sla_compliance", scope(book))
    # denials: C2 on time, C6 late → 50 %; rejections: C3, C5 on time → 100 %.
    assert {(r.label, r.numerator, r.denominator) for r in by_function.rows} == {
        ("Denials", D(1), D(2)),
        ("Rejections", D(2), D(2)),
    }
    people = {r.label: r for r in compute("productivity", scope(book)).rows}
    una, uli, uwe = (book.workers[n].full_name for n in ("una", "uli", "uwe"))
    # una: 1 item (60 at stake), 1 attempt; uli: 2 items, 50 + 40; uwe: 1 attempt, no item.
    # Per business day: 60 / 22 = 2.73 dollars, 1 / 22 = 0.05 attempts.
    assert people[una].numerator == 1 and dict(people[una].extra) == {
        "dollars resolved": D("60.00"),
        "dollars per day": D("2.73"),
        "attempts": D(1),
        "attempts per day": D("0.05"),
    }
    assert people[uli].numerator == 2 and people[uli].value == D("0.09")  # 2 / 22 days
    assert dict(people[uli].extra)["dollars resolved"] == D("90.00")
    assert people[uwe].numerator == 0 and dict(people[uwe].extra)["attempts"] == D(1)
    assert len(people) == 4  # with the owner, whose write-off closed C2's denial item


def test_payer_filter(book: Book) -> None:
    # Payer Y only: first submitted in March C3, C5 → clean: C5 (C3 rejected) = 1 of 2.
    assert figures("clean_claim_rate", scope(book, payer_id=book.payer_y.pk)) == (
        D(1),
        D(2),
        D("50.00"),
    )
    # Payer X only: A/R on 03-31 is C7's 30 (C3 and C4 are payer Y's).
    assert compute("days_in_ar", scope(book, payer_id=book.payer_x.pk)).numerator == D("30.00")


def test_first_pass_resolution_leaves_out_a_corrected_and_a_rejected_claim(book: Book) -> None:
    """Resolved as first billed means never denied, never rejected and never corrected: C1
    gets a replacement claim and C5 a 277CA rejection in its history (both paid in March), so
    neither counts — only the two denials did before."""
    c1, c5 = book.claims["C1"], book.claims["C5"]
    tenancy = {"workspace_id": c1.workspace_id, "practice_id": c1.practice_id}
    with rls.practice_scope([c1.practice_id]):
        Claim.objects.create(
            **tenancy,
            encounter=c1.encounter,
            patient=c1.patient,
            coverage=c1.coverage,
            payer=c1.payer,
            number="KPIREPLACE1",
            state=ClaimState.SUBMITTED,
            total_charge=c1.total_charge,
            frequency=ClaimFrequency.REPLACEMENT,
            replaces=c1,
        )
    assert figures("first_pass_resolution", scope(book)) == (D(1), D(4), D("25.00"))  # C5
    with rls.practice_scope([c5.practice_id]):
        ClaimEvent.objects.create(
            **tenancy,
            claim=c5,
            occurred_at=datetime(2026, 3, 5, 12, tzinfo=UTC),
            from_state=ClaimState.SUBMITTED,
            to_state=ClaimState.REJECTED,
            note="999 rejected, resent",
        )
    assert figures("first_pass_resolution", scope(book)) == (D(0), D(4), D("0.00"))


def test_a_zero_denominator_is_no_value(book: Book) -> None:
    empty = KpiScope(book.owner, date(2019, 1, 1), date(2019, 1, 31), practice_id=book.practice.pk)
    for key in REGISTRY:
        value = compute(key, empty)
        assert value.value is None or value.denominator != 0, key
    assert compute("clean_claim_rate", empty).value is None


def test_a_client_viewer_counts_only_her_practice(book: Book) -> None:
    """Her whole book is her practice: every KPI equals the owner's for that practice."""
    viewer = resolve_actor(book.viewer)
    assert viewer is not None
    for key, kpi in REGISTRY.items():
        for variant in kpi.definition.variants:
            mine = compute(key, scope(book, viewer, practice_id=None), variant.key)
            owners = compute(key, scope(book), variant.key)
            assert (mine.numerator, mine.denominator, mine.value) == (
                owners.numerator,
                owners.denominator,
                owners.value,
            ), (key, variant.key)


def test_another_practices_viewer_counts_nothing_of_this_one(book: Book) -> None:
    """Asked for a practice outside her grant, the scope is empty: nothing is counted."""
    from bureau.accounts.models import User

    cliff = resolve_actor(User.objects.get(username="cliff.client"))
    assert cliff is not None and book.practice.pk not in cliff.practice_ids()
    for key, kpi in REGISTRY.items():
        for variant in kpi.definition.variants:
            value = compute(key, scope(book, cliff), variant.key)
            assert value.numerator == 0 and not value.rows, (key, variant.key)
