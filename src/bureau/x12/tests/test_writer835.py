"""The 835 writer: realistic remittances pass pyx12 with zero errors, and bad ones are refused."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bureau.x12.claim837 import Address
from bureau.x12.envelope import Envelope, Party, Usage
from bureau.x12.errors import FieldError, X12Error
from bureau.x12.remit835 import (
    Adjustment,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from bureau.x12.tests.oracle import pyx12_errors
from bureau.x12.writer835 import write_835

D = Decimal
PAYEE_NPI = "1234567893"  # synthetic, valid check digit
DOS = date(2025, 3, 3)

PAYER_ENVELOPE = Envelope(
    sender=Party("SIMPAYER01"),
    receiver=Party("BUREAUSUB01"),
    interchange_control_number=901,
    group_control_number=77,
    created_at=datetime(2025, 3, 20, 9, 15),
    usage=Usage.TEST,
)


def line(
    code: str,
    charge: str,
    paid: str,
    *adjustments: Adjustment,
    allowed: str | None = None,
    remarks: tuple[str, ...] = (),
    control: str = "",
    **kw: object,
) -> ServicePayment:
    return ServicePayment(
        procedure_code=code,
        charge=D(charge),
        paid=D(paid),
        service_date=DOS,
        adjustments=adjustments,
        allowed=None if allowed is None else D(allowed),
        remark_codes=remarks,
        line_control_number=control,
        **kw,  # type: ignore[arg-type]
    )


def partial_pay() -> ClaimPayment:
    """Charged 250, allowed 180: CO-45 write-off, deductible, coinsurance and copay."""
    return ClaimPayment(
        patient_control_number="PCN1001",
        status="1",
        charge=D("250.00"),
        paid=D("105.50"),
        patient_responsibility=D("74.50"),
        filing_indicator="12",
        payer_claim_number="SIM2025031900001",
        facility_type="11",
        frequency="1",
        patient_last_name="DOE",
        patient_first_name="JANE",
        member_id="XYZ123456789",
        statement_start=DOS,
        statement_end=DOS,
        services=(
            line(
                "99214", "150", "65.50",
                Adjustment("CO", "45", D("40")),
                Adjustment("PR", "1", D("20")),
                Adjustment("PR", "2", D("24.50")),
                allowed="110", control="PCN1001-1",
            ),
            line(
                "36415", "100", "40",
                Adjustment("CO", "45", D("30")),
                Adjustment("PR", "3", D("30")),
                allowed="70", control="PCN1001-2", modifiers=("25",),
            ),
        ),
    )  # fmt: skip


def denial() -> ClaimPayment:
    return ClaimPayment(
        patient_control_number="PCN1002",
        status="4",
        charge=D("180"),
        paid=D("0"),
        patient_responsibility=D("0"),
        filing_indicator="12",
        payer_claim_number="SIM2025031900002",
        facility_type="11",
        frequency="1",
        patient_last_name="ROE",
        patient_first_name="RICHARD",
        member_id="XYZ987654321",
        remark_codes=("N130",),
        services=(
            line(
                "97110", "180", "0", Adjustment("CO", "50", D("180")),
                remarks=("N130",), units=D("3"),
            ),
        ),
    )  # fmt: skip


def reversal_and_correction() -> tuple[ClaimPayment, ClaimPayment]:
    """An earlier payment taken back in full (negative amounts), then paid again correctly."""
    reversal = ClaimPayment(
        patient_control_number="PCN0990",
        status="22",
        charge=D("-120"),
        paid=D("-80"),
        patient_responsibility=D("-20"),
        filing_indicator="12",
        payer_claim_number="SIM2025022800009",
        facility_type="11",
        frequency="1",
        patient_last_name="POE",
        patient_first_name="EDGAR",
        member_id="XYZ555000111",
        services=(
            line(
                "99213", "-120", "-80",
                Adjustment("CO", "45", D("-20")),
                Adjustment("PR", "2", D("-20")),
            ),
        ),
    )  # fmt: skip
    corrected = reversal._replace(
        status="1",
        charge=D("120"),
        paid=D("90"),
        patient_responsibility=D("10"),
        payer_claim_number="SIM2025031900003",
        frequency="7",
        services=(
            line(
                "99213", "120", "90",
                Adjustment("CO", "45", D("20")),
                Adjustment("PR", "3", D("10")),
                allowed="100",
            ),
        ),
    )  # fmt: skip
    return reversal, corrected


PAYER_ADDRESS = Address("100 INSURANCE WAY", "HARTFORD", "CT", "061010001")
PAYEE_ADDRESS = Address("12 MAIN ST", "SPRINGFIELD", "IL", "627011234")


def remittance(
    claims: tuple[ClaimPayment, ...],
    plb: tuple[ProviderAdjustment, ...] = (),
    *,
    method: str = "ACH",
    control: str = "1",
    **kw: object,
) -> Remittance:
    paid = sum((c.paid for c in claims), D("0")) - sum((p.amount for p in plb), D("0"))
    fields: dict[str, object] = {
        "control_number": control,
        "handling_code": "I" if paid else "H",
        "payment_amount": paid,
        "credit_debit": "C",
        "payment_method": method if paid else "NON",
        "payment_date": date(2025, 3, 21),
        "trace_number": f"EFT{control}0001",
        "originator_id": "1999999999",
        "payer_name": "SIMULATED HEALTH PLAN",
        "payer_id": "SIMPAYER01",
        "payee_name": "RIVERSIDE FAMILY MEDICINE",
        "payee_npi": PAYEE_NPI,
        "payee_tax_id": "999000111",
        "production_date": date(2025, 3, 19),
        "claims": claims,
        "provider_adjustments": plb,
        "receiver_id": "BUREAUSUB01",
        "payer_address": PAYER_ADDRESS,
        "payer_contact_name": "EDI SUPPORT",
        "payer_contact_phone": "5555550199",
        "payee_address": PAYEE_ADDRESS,
    }
    fields.update(kw)
    return Remittance(**fields)  # type: ignore[arg-type]


PLB = (
    ProviderAdjustment(PAYEE_NPI, date(2025, 12, 31), "WO", D("25.00"), "SIM2025010100042"),
    ProviderAdjustment(PAYEE_NPI, date(2025, 12, 31), "L6", D("-1.27")),
)


def test_partial_pay_denial_reversal_and_plb_pass_pyx12() -> None:
    reversal, corrected = reversal_and_correction()
    claims = (partial_pay(), denial(), reversal, corrected)
    text = write_835(PAYER_ENVELOPE, [remittance(claims, PLB)], line_break=True)
    assert pyx12_errors(text) == []
    assert "CLP*PCN0990*22*-120*-80*-20*12*SIM2025022800009*11*1~" in text
    assert "PLB*1234567893*20251231*WO:SIM2025010100042*25*L6*-1.27~" in text
    assert "LQ*HE*N130~" in text and "MOA***N130~" in text
    assert "CAS*PR*1*20**2*24.5~" in text
    assert "BPR*I*91.77*C*ACH*CCP*01*999999992*DA*000111222333*1999999999**01*888888884*DA" in text


def test_several_remittances_and_a_check() -> None:
    first = remittance((partial_pay(),), control="1")
    check = remittance((denial(), partial_pay()), control="2", method="CHK")
    text = write_835(PAYER_ENVELOPE, [first, check])
    assert pyx12_errors(text) == []
    assert "ST*835*0002~BPR*I*105.5*C*CHK************20250321~" in text
    assert "GE*2*77~" in text


def test_non_payment_with_zero_amount() -> None:
    text = write_835(PAYER_ENVELOPE, [remittance((denial(),))])
    assert pyx12_errors(text) == []
    assert "BPR*H*0*C*NON************20250321~" in text


def test_more_than_six_adjustments_split_into_two_cas_segments() -> None:
    adjustments = tuple(Adjustment("CO", str(r), D("1")) for r in (45, 4, 16, 97, 253, 59, 11))
    svc = line("99213", "107", "100", *adjustments)
    claim = partial_pay()._replace(charge=D("107"), paid=D("100"), services=(svc,))
    claim = claim._replace(patient_responsibility=D("0"))
    text = write_835(PAYER_ENVELOPE, [remittance((claim,))], line_break=True)
    assert pyx12_errors(text) == []
    assert "CAS*CO*45*1**4*1**16*1**97*1**253*1**59*1~\nCAS*CO*11*1~" in text


GOLDEN = (
    "ISA*00*          *00*          *ZZ*SIMPAYER01     *ZZ*BUREAUSUB01    *250320*0915*^*00501*"
    "000000901*0*T*:~\n"
    "GS*HP*SIMPAYER01*BUREAUSUB01*20250320*0915*77*X*005010X221A1~\n"
    "ST*835*0001~\n"
    "BPR*I*65*C*CHK************20250321~\n"
    "TRN*1*EFT10001*1999999999~\n"
    "REF*EV*BUREAUSUB01~\n"
    "DTM*405*20250319~\n"
    "N1*PR*SIMULATED HEALTH PLAN~\n"
    "N3*100 INSURANCE WAY~\n"
    "N4*HARTFORD*CT*061010001~\n"
    "REF*2U*SIMPAYER01~\n"
    "PER*BL*EDI SUPPORT*TE*5555550199~\n"
    "N1*PE*RIVERSIDE FAMILY MEDICINE*XX*1234567893~\n"
    "N3*12 MAIN ST~\n"
    "N4*SPRINGFIELD*IL*627011234~\n"
    "REF*TJ*999000111~\n"
    "LX*1~\n"
    "CLP*PCN2001*1*100*65*20*12*SIM2025031900010*11*1~\n"
    "NM1*QC*1*DOE*JANE****MI*XYZ123456789~\n"
    "SVC*HC:99213*100*65~\n"
    "DTM*472*20250303~\n"
    "CAS*CO*45*15~\n"
    "CAS*PR*3*20~\n"
    "REF*6R*PCN2001-1~\n"
    "AMT*B6*85~\n"
    "SE*24*0001~\n"
    "GE*1*77~\n"
    "IEA*1*000000901~\n"
)


def test_golden_small_835() -> None:
    claim = ClaimPayment(
        patient_control_number="PCN2001",
        status="1",
        charge=D("100"),
        paid=D("65"),
        patient_responsibility=D("20"),
        filing_indicator="12",
        payer_claim_number="SIM2025031900010",
        facility_type="11",
        frequency="1",
        patient_last_name="DOE",
        patient_first_name="JANE",
        member_id="XYZ123456789",
        services=(
            line(
                "99213", "100", "65",
                Adjustment("CO", "45", D("15")), Adjustment("PR", "3", D("20")),
                allowed="85", control="PCN2001-1",
            ),
        ),
    )  # fmt: skip
    text = write_835(PAYER_ENVELOPE, [remittance((claim,), method="CHK")], line_break=True)
    assert text == GOLDEN
    assert pyx12_errors(text) == []


def test_unbalanced_remittance_is_refused_unless_asked_for() -> None:
    bad = replace(remittance((partial_pay(),)), payment_amount=D("100"))
    with pytest.raises(FieldError, match=r"does not balance: BPR02 100"):
        write_835(PAYER_ENVELOPE, [bad])
    text = write_835(PAYER_ENVELOPE, [bad], allow_unbalanced=True)
    assert "BPR*I*100*C*ACH" in text


def test_line_that_does_not_balance_is_refused() -> None:
    claim = partial_pay()
    svc = claim.services[0]._replace(paid=D("60"))
    bad = claim._replace(services=(svc, claim.services[1]))
    with pytest.raises(FieldError, match=r"line 99214 .* charge 150 − paid 60"):
        write_835(PAYER_ENVELOPE, [remittance((bad,))])


def test_negative_money_is_refused_outside_reversals() -> None:
    claim = denial()._replace(charge=D("-180"))
    with pytest.raises(FieldError, match=r"claims\[0\].charge: -180 must not be negative"):
        write_835(PAYER_ENVELOPE, [remittance((claim,))], allow_unbalanced=True)
    with pytest.raises(FieldError, match=r"payment_amount"):
        write_835(PAYER_ENVELOPE, [remittance((partial_pay(),), payment_amount=D("-1"))])


def test_required_parts_are_refused_when_missing() -> None:
    with pytest.raises(FieldError, match=r"payer_address"):
        write_835(PAYER_ENVELOPE, [remittance((partial_pay(),), payer_address=None)])
    with pytest.raises(FieldError, match=r"payer_claim_number"):
        write_835(PAYER_ENVELOPE, [remittance((partial_pay()._replace(payer_claim_number=""),))])
    with pytest.raises(FieldError, match=r"more than|dollars and cents"):
        write_835(PAYER_ENVELOPE, [remittance((partial_pay(),), payment_amount=D("1.005"))])


def test_a_separator_in_a_name_is_refused() -> None:
    claim = partial_pay()._replace(patient_last_name="DOE*SMITH")
    with pytest.raises(X12Error, match=r"NM103 contains the element separator"):
        write_835(PAYER_ENVELOPE, [remittance((claim,))])


# Random balanced remittances ------------------------------------------------------------

_GROUPS = ("CO", "PR", "OA", "PI")
_CARCS = ("45", "1", "2", "3", "97", "253", "16", "59")


@st.composite
def _split(draw: st.DrawFn, total: int) -> tuple[Adjustment, ...]:
    """`total` cents split over 0–8 adjustments (0 only when the total is 0)."""
    count = draw(st.integers(1 if total else 0, 8))
    if count == 0:
        return ()
    cuts = sorted(draw(st.lists(st.integers(0, total), min_size=count - 1, max_size=count - 1)))
    bounds = [0, *cuts, total]
    return tuple(
        Adjustment(draw(st.sampled_from(_GROUPS)), draw(st.sampled_from(_CARCS)), D(b - a) / 100)
        for a, b in zip(bounds, bounds[1:], strict=False)
    )


@st.composite
def _service(draw: st.DrawFn) -> ServicePayment:
    charge = draw(st.integers(100, 500_000))
    paid = draw(st.integers(0, charge))
    return ServicePayment(
        procedure_code=draw(st.sampled_from(("99213", "99214", "36415", "97110", "G0439"))),
        charge=D(charge) / 100,
        paid=D(paid) / 100,
        units=draw(st.sampled_from((None, D("1"), D("2"), D("1.5")))),
        service_date=DOS,
        adjustments=draw(_split(charge - paid)),
    )


@st.composite
def _claim(draw: st.DrawFn, n: int) -> ClaimPayment:
    services = tuple(draw(st.lists(_service(), min_size=1, max_size=6)))
    charge = sum((s.charge for s in services), D("0"))
    paid = sum((s.paid for s in services), D("0"))
    return ClaimPayment(
        patient_control_number=f"PCN{n:05d}",
        status="1" if paid else "4",
        charge=charge,
        paid=paid,
        filing_indicator="12",
        payer_claim_number=f"SIM{n:08d}",
        facility_type="11",
        frequency="1",
        patient_last_name="DOE",
        patient_first_name="JANE",
        member_id=f"M{n:09d}",
        services=services,
    )


@st.composite
def _remittance(draw: st.DrawFn) -> Remittance:
    count = draw(st.integers(1, 20))
    claims = tuple(draw(_claim(n)) for n in range(1, count + 1))
    return remittance(claims, method=draw(st.sampled_from(("ACH", "CHK"))))


@settings(max_examples=25, deadline=None)
@given(_remittance())
def test_random_balanced_remittances_pass_pyx12(r: Remittance) -> None:
    assert r.balancing_problems() == []
    assert pyx12_errors(write_835(PAYER_ENVELOPE, [r])) == []


@pytest.mark.parametrize("count", [1, 6, 7, 12, 13, 20])
def test_plb_repeats_round_trip_through_the_reader(count: int) -> None:
    """More than six adjustments are written as repeated PLB segments, and read back whole."""
    from bureau.x12.reader835 import read_835

    adjustments = tuple(
        ProviderAdjustment(
            PAYEE_NPI, date(2025, 12, 31), "WO" if i % 2 else "L6",
            D(f"0.{i + 10}") if i % 2 else D(f"-0.{i + 10}"), f"REF{i:04d}" if i % 2 else "",
        )
        for i in range(count)
    )  # fmt: skip
    text = write_835(PAYER_ENVELOPE, [remittance((partial_pay(),), adjustments)])
    assert text.count("PLB*") == -(-count // 6)
    [read] = read_835(text).remittances

    def fields(p: ProviderAdjustment) -> tuple[object, ...]:
        return (p.provider_id, p.fiscal_period_end, p.reason, p.amount, p.reference)

    assert [fields(p) for p in read.provider_adjustments] == [fields(p) for p in adjustments]
    assert read.balancing_problems() == []
