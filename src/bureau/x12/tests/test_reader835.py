"""The 835 reader on hand-written golden files: exact values, balancing, structure errors."""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal
from pathlib import Path

import pytest

from bureau.x12.claim837 import Address
from bureau.x12.envelope import Envelope, Party, Usage
from bureau.x12.errors import X12Error
from bureau.x12.reader835 import iter_remittances, read_835
from bureau.x12.remit835 import Adjustment, ProviderAdjustment, Remittance

GOLDEN = Path(__file__).parent / "golden"


def golden(name: str) -> str:
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        return handle.read()


def D(text: str) -> Decimal:
    return Decimal(text)


def test_payment_header_and_envelope() -> None:
    interchange = read_835(golden("payment.835"))
    assert (interchange.sender_id, interchange.receiver_id) == ("ACMEPAYER", "BUREAUSUB01")
    assert interchange.control_number == "000000501"
    assert interchange.group_control_number == "17"
    assert interchange.usage == "T"
    (r,) = interchange.remittances
    assert r.control_number == "0001"
    assert r.segment_index == 3
    assert (r.handling_code, r.payment_amount, r.credit_debit, r.payment_method) == (
        "I", D("203.00"), "C", "ACH",
    )  # fmt: skip
    assert r.payment_date == date(2026, 11, 14)
    assert (r.trace_number, r.originator_id) == ("EFT0000912345", "1512345678")
    assert (r.payer_name, r.payer_id) == ("ACME HEALTH PLAN", "ACME01")
    assert (r.payee_name, r.payee_npi, r.payee_tax_id) == (
        "SUMMIT FAMILY MEDICINE", "1234567893", "841234567",
    )  # fmt: skip
    assert r.production_date == date(2026, 11, 13)
    assert r.provider_adjustments == ()
    assert r.balancing_problems() == []


def test_partial_pay_with_contractual_and_patient_responsibility() -> None:
    (r,) = read_835(golden("payment.835")).remittances
    claim = r.claims[0]
    assert claim.patient_control_number == "SUMA00001"
    assert (claim.status, claim.charge, claim.paid) == ("1", D("230.00"), D("123.00"))
    assert claim.patient_responsibility == D("47.00")
    assert (claim.filing_indicator, claim.payer_claim_number) == ("12", "ACME26318000101")
    assert (claim.facility_type, claim.frequency) == ("11", "1")
    assert (claim.patient_last_name, claim.patient_first_name, claim.member_id) == (
        "DOE", "JANE", "XAC123456789",
    )  # fmt: skip
    assert claim.statement_start == claim.statement_end == date(2026, 10, 20)
    assert claim.segment_index == 18
    assert claim.adjustments == ()
    office, venipuncture = claim.services
    assert (office.qualifier, office.procedure_code, office.modifiers) == ("HC", "99214", ("25",))
    assert (office.charge, office.paid, office.units) == (D("200.00"), D("108.00"), D("1"))
    assert office.service_date == date(2026, 10, 20)
    assert office.line_control_number == "SUMA00001-1"
    assert office.allowed == D("150.00")
    assert office.segment_index == 22
    assert office.adjustments == (
        Adjustment("CO", "45", D("50.00")),
        Adjustment("PR", "1", D("30.00")),
        Adjustment("PR", "2", D("12.00")),
    )
    assert venipuncture.adjustments == (
        Adjustment("CO", "45", D("10.00")),
        Adjustment("PR", "3", D("5.00")),
    )
    assert claim.adjusted == D("107.00")


def test_denial_with_carc_and_rarcs() -> None:
    (r,) = read_835(golden("payment.835")).remittances
    denial = r.claims[1]
    assert denial.is_denial and denial.paid == D("0.00")
    assert denial.remark_codes == ("MA130",)
    (line,) = denial.services
    assert line.adjustments == (Adjustment("CO", "50", D("180.00")),)
    assert line.remark_codes == ("N115",)
    assert line.allowed is None


def test_service_date_falls_back_to_dtm_150_and_units_and_modifiers() -> None:
    (r,) = read_835(golden("payment.835")).remittances
    (line,) = r.claims[2].services
    assert line.service_date == date(2026, 10, 22)  # DTM*150; DTM*151 ignored
    assert line.modifiers == ("GT", "95")
    assert line.units == D("2")
    assert r.claims[2].patient_responsibility is None


def test_reversal_correction_and_plb_with_bom_and_crlf() -> None:
    text = golden("reversal_plb.835")
    assert text.startswith("\ufeff") and "~\r\n" in text
    (r,) = read_835(text).remittances
    assert r.payment_method == "CHK" and r.payment_amount == D("46.50")
    assert r.payer_id == "512345678"  # no REF*2U: TRN03 without the leading 1
    assert (r.payee_npi, r.payee_tax_id) == ("", "841234567")
    reversal, corrected, other = r.claims
    assert reversal.is_reversal
    assert (reversal.charge, reversal.paid) == (D("-100.00"), D("-80.00"))
    assert reversal.services[0].units == D("-2")
    assert reversal.services[0].adjustments == (Adjustment("CO", "45", D("-20.00")),)
    assert (corrected.status, corrected.paid) == ("1", D("90.00"))
    assert corrected.patient_control_number == reversal.patient_control_number
    assert other.services == ()
    assert other.adjustments == (Adjustment("CO", "45", D("15.00")),)
    assert other.statement_start == date(2026, 10, 25) and other.statement_end is None
    assert r.provider_adjustments == (
        ProviderAdjustment(
            "1234567893", date(2026, 12, 31), "WO", D("25.00"), "ACME26290000999", 32
        ),
        ProviderAdjustment("1234567893", date(2026, 12, 31), "L6", D("-1.50"), "", 32),
    )
    assert r.total_provider_adjustments == D("23.50")
    assert r.balancing_problems() == []


def test_non_default_separators_and_two_transaction_sets() -> None:
    text = golden("separators.835")
    assert "|" in text and "~" not in text
    first, second = iter_remittances(text)
    assert first.control_number == "1001" and second.control_number == "1002"
    (claim,) = first.claims
    assert claim.frequency == "7" and claim.member_id == "NW55501"
    assert claim.services[0].modifiers == ("25", "59")
    assert claim.services[0].units is None
    assert second.payer_id == "NW77" and second.claims == ()
    assert [(p.reason, p.reference, p.amount) for p in second.provider_adjustments] == [
        ("FB", "REF1", D("20.00")),
        ("72", "", D("-20.00")),
    ]
    assert first.balancing_problems() == second.balancing_problems() == []


@pytest.mark.parametrize("name", ["payment.835", "reversal_plb.835", "separators.835"])
def test_file_objects_stream_to_the_same_result(name: str) -> None:
    text = golden(name)
    from_text = list(iter_remittances(text))
    assert list(iter_remittances(io.StringIO(text))) == from_text
    # Tiny chunks put chunk boundaries everywhere: between "~" and "\r\n", inside elements.
    with (GOLDEN / name).open(encoding="utf-8", newline="") as handle:
        assert list(iter_remittances(_Trickle(handle))) == from_text


class _Trickle(io.TextIOBase):
    """A text file that returns at most 7 characters per read."""

    def __init__(self, inner: io.TextIOBase) -> None:
        self.inner = inner

    def read(self, size: int | None = -1) -> str:
        return self.inner.read(7)


def test_streaming_yields_each_set_before_reading_the_rest() -> None:
    text = golden("separators.835")
    broken = text.replace("IEA|1|000000503", "IEA|1|000000999")
    stream = iter_remittances(broken)
    assert next(stream).control_number == "1001"
    assert next(stream).control_number == "1002"
    with pytest.raises(X12Error, match="IEA02"):
        next(stream)


# -- balancing -------------------------------------------------------------------------


def test_tampered_payment_amount_is_a_balancing_problem() -> None:
    text = golden("payment.835").replace("BPR*I*203.00*", "BPR*I*204.00*")
    (r,) = read_835(text).remittances
    assert r.balancing_problems() == ["BPR02 204.00 ≠ ΣCLP04 203.00 − ΣPLB 0.00 = 203.00"]


def test_tampered_cas_amount_breaks_the_claim_and_the_line() -> None:
    text = golden("payment.835").replace("CAS*CO*45*50.00", "CAS*CO*45*49.00")
    (r,) = read_835(text).remittances
    assert r.balancing_problems() == [
        "claim SUMA00001 (segment 18): CLP03 230.00 − CLP04 123.00 ≠ ΣCAS 106.00",
        "claim SUMA00001 line 99214 (segment 22): charge 200.00 − paid 108.00 ≠ ΣCAS 91.00",
    ]


def test_tampered_line_payment_breaks_the_line_only() -> None:
    text = golden("payment.835").replace("SVC*HC:36415*30.00*15.00", "SVC*HC:36415*30.00*16.00")
    (r,) = read_835(text).remittances
    assert r.balancing_problems() == [
        "claim SUMA00001 line 36415 (segment 28): charge 30.00 − paid 16.00 ≠ ΣCAS 15.00"
    ]


# -- structure errors --------------------------------------------------------------------


def _error(text: str) -> X12Error:
    with pytest.raises(X12Error) as caught:
        read_835(text)
    return caught.value


@pytest.mark.parametrize(
    ("old", "new", "index", "segment_id", "words"),
    [
        ("SE*50*0001", "SE*49*0001", 52, "SE", "SE01"),
        ("SE*50*0001", "SE*50*0002", 52, "SE", "SE02"),
        ("GE*1*17", "GE*2*17", 53, "GE", "GE01"),
        ("GE*1*17", "GE*1*18", 53, "GE", "GE02"),
        ("IEA*1*000000501", "IEA*1*000000502", 54, "IEA", "IEA02"),
        ("IEA*1*000000501", "IEA*2*000000501", 54, "IEA", "IEA01"),
        ("ST*835*0001", "ST*837*0001", 3, "ST", "ST01"),
        ("BPR*I*203.00", "BPR*I*2O3.00", 4, "BPR", "not an amount"),
        ("BPR*I*203.00", "BPR*I*", 4, "BPR", "BPR02 is required"),
        ("BPR*I*203.00", "BPR*I*203.001", 4, "BPR", "not an amount"),
        ("TRN*1*EFT0000912345", "TRN*1*", 5, "TRN", "TRN02"),
        ("DTM*405*20261113", "DTM*405*20261131", 7, "DTM", "not a real date"),
        ("CLP*SUMA00001*1*230.00", "CLP*SUMA00001**230.00", 18, "CLP", "CLP01 to CLP04"),
        ("CLP*SUMA00002*4*180.00*0.00", "CLP*SUMA00002*4*180.00*", 34, "CLP", "CLP01"),
        ("CAS*CO*45*50.00", "CAS*XX*45*50.00", 24, "CAS", "group code"),
        ("CAS*CO*45*50.00", "CAS*CO*45*fifty", 24, "CAS", "not an amount"),
        ("SVC*HC:99214:25*200.00", "SVC*99214*200.00", 22, "SVC", "SVC01"),
        ("SVC*HC:36415*30.00*15.00", "SVC*HC:36415*30.00*", 28, "SVC", "SVC01, SVC02 and SVC03"),
        ("DTM*472*20261020", "DTM*472*2026-10-20", 23, "DTM", "CCYYMMDD"),
        ("LQ*HE*N115", "LQ*HE*", 43, "LQ", "LQ02"),
        ("N1*PR*ACME HEALTH PLAN", "N1*PR*", 8, "N1", "N102"),
    ],
)
def test_malformed_segments_name_where(
    old: str, new: str, index: int, segment_id: str, words: str
) -> None:
    text = golden("payment.835")
    assert old in text
    err = _error(text.replace(old, new, 1))
    assert (err.segment_index, err.segment_id) == (index, segment_id)
    assert words in str(err)
    assert str(err).startswith(f"segment {index} ({segment_id}): ")


def _without(text: str, segment: str) -> str:
    assert f"{segment}~\n" in text
    return text.replace(f"{segment}~\n", "", 1)


def test_bpr_must_follow_st() -> None:
    text = golden("payment.835")
    moved = text.replace("TRN*1*EFT0000912345*1512345678~\n", "", 1).replace(
        "ST*835*0001~\n", "ST*835*0001~\nTRN*1*EFT0000912345*1512345678~\n", 1
    )
    err = _error(moved)
    assert err.segment_id == "TRN" and "BPR" in err.reason


def test_svc_before_any_claim() -> None:
    text = golden("payment.835").replace("LX*1~\n", "LX*1~\nSVC*HC:99213*1*1~\n", 1)
    err = _error(text.replace("SE*50*", "SE*51*"))
    assert (err.segment_id, err.segment_index) == ("SVC", 18)
    assert "before any claim" in err.reason


def test_cas_outside_a_claim() -> None:
    text = golden("payment.835").replace("LX*1~\n", "LX*1~\nCAS*CO*45*1~\n", 1)
    err = _error(text.replace("SE*50*", "SE*51*"))
    assert err.segment_id == "CAS" and "outside a claim" in err.reason


def test_cas_with_an_amount_but_no_reason() -> None:
    err = _error(golden("payment.835").replace("CAS*PR*1*30.00**2*12.00", "CAS*PR*1*30.00***12.00"))
    assert err.segment_id == "CAS" and err.segment_index == 25


def test_claims_after_plb_are_refused() -> None:
    text = golden("reversal_plb.835")
    plb = "PLB*1234567893*20261231*WO:ACME26290000999*25.00*L6*-1.50~\r\n"
    moved = text.replace(plb, "").replace("LX*1~\r\n", "LX*1~\r\n" + plb.replace("~\r\n", "~"))
    assert moved != text
    err = _error(moved.replace("LX*1~\r\n", "").replace("SE*31*", "SE*30*"))
    assert err.segment_id == "CLP" and "PLB" in err.reason


def test_truncated_file() -> None:
    text = golden("payment.835")
    err = _error(text[: text.index("GE*1*17")])
    assert "truncated" in err.reason and err.segment_index == 52


def test_unknown_segment() -> None:
    err = _error(golden("payment.835").replace("LX*1~", "ZZZ*1~"))
    assert err.segment_id == "ZZZ" and err.segment_index == 17


def test_not_an_interchange() -> None:
    with pytest.raises(X12Error):
        read_835("")
    with pytest.raises(X12Error):
        read_835(io.StringIO(""))
    with pytest.raises(X12Error, match="ISA"):
        read_835("GS*HP*A*B~")


def test_two_interchanges_need_iter_remittances() -> None:
    text = golden("payment.835")
    assert len(list(iter_remittances(text + text))) == 2
    with pytest.raises(X12Error, match="more than one interchange"):
        read_835(text + text)


def test_undecodable_file_is_an_x12_error(tmp_path: Path) -> None:
    path = tmp_path / "bad.835"
    path.write_bytes(golden("payment.835").encode() + b"\xff\xfe")
    with path.open(encoding="utf-8") as handle, pytest.raises(X12Error, match="not text"):
        read_835(handle)


# -- round trip through the payer simulator's writer -------------------------------------


def _unplaced(r: Remittance) -> Remittance:
    """Without segment positions, which differ between the golden file and the writer's, and
    with SVC05 = 1 as absent (the writer leaves it out: absent means one unit)."""
    claims = tuple(
        c._replace(
            segment_index=0,
            services=tuple(
                s._replace(segment_index=0, units=None if s.units == 1 else s.units)
                for s in c.services
            ),
        )
        for c in r.claims
    )
    plb = tuple(p._replace(segment_index=0) for p in r.provider_adjustments)
    return replace(r, segment_index=0, claims=claims, provider_adjustments=plb)


@pytest.mark.parametrize("name", ["payment.835", "reversal_plb.835", "separators.835"])
def test_what_the_writer_writes_reads_back_the_same(name: str) -> None:
    from bureau.x12.writer835 import write_835

    address = Address("100 PAYER WAY", "HARTFORD", "CT", "061030001")
    originals = [
        replace(r, payer_address=address, payer_contact_phone="8005550100")
        for r in iter_remittances(golden(name))
    ]
    envelope = Envelope(
        sender=Party("ACMEPAYER"),
        receiver=Party("BUREAUSUB01"),
        interchange_control_number=77,
        group_control_number=78,
        created_at=datetime(2026, 11, 15, 9, 0),
        usage=Usage.TEST,
    )
    text = write_835(envelope, originals, line_break=True)
    back = read_835(text)
    assert (back.control_number, back.group_control_number, back.usage) == ("000000077", "78", "T")
    for original, read in zip(originals, back.remittances, strict=True):
        expected = replace(
            original, receiver_id="", payer_address=None, payer_contact_name="",
            payer_contact_phone="", payee_address=None,
        )  # fmt: skip
        assert _unplaced(read) == _unplaced(expected)
