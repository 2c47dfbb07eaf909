"""The 835 (005010X221A1) writer, for the payer simulator: remittances in, one interchange out.

Layout of each transaction set (one per `Remittance`, loops named as in the guide):

    ST BPR TRN REF*EV DTM*405
    1000A N1*PR N3 N4 REF*2U PER*BL        the payer
    1000B N1*PE N3 N4 REF*TJ               the payee
    2000  LX*1
      2100 CLP CAS NM1*QC MOA DTM*232/233  each claim
        2110 SVC DTM*472 CAS REF*6R AMT*B6 LQ*HE   each service line
    PLB                                    provider-level adjustments
    SE

A real payer's file must add up, so a remittance whose `balancing_problems()` is not empty is
refused unless the caller asks for a bad file on purpose (`allow_unbalanced=True`, for tests of
the ingest side). Money is never negative except where the guide expects it: reversals
(CLP02 = 22) carry negative claim, line and adjustment amounts, and PLB amounts take either sign.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import TypeVar

from bureau.x12.envelope import Element, Envelope, SegmentWriter
from bureau.x12.errors import FieldError
from bureau.x12.remit835 import (
    CAS_TRIPLES,
    PLB_PAIRS,
    Adjustment,
    ClaimPayment,
    ProviderAdjustment,
    Remittance,
    ServicePayment,
)
from bureau.x12.values import CENT, format_amount, format_date, format_quantity
from bureau.x12.writer837 import _address

VERSION = "005010X221A1"
MOA_REMARKS = 5  # MOA03..MOA07
_HANDLING_CODES = frozenset({"C", "D", "H", "I", "P", "U", "X"})
_METHODS = frozenset({"ACH", "BOP", "CHK", "FWT", "NON"})
_CLAIM_STATUSES = frozenset({"1", "2", "3", "4", "19", "20", "21", "22", "23", "25"})
# CAS01 in X221A1: CR (correction) was retired in 5010.
_CAS_GROUPS = frozenset({"CO", "OA", "PI", "PR"})
# CLP06 as X221A1 lists it: commercial plans say 12-17 (PPO, POS, EPO, indemnity, HMO Medicare
# risk, DMO) or HM; CI and BL from the 837 are not among them.
FILING_INDICATORS = frozenset("12 13 14 15 16 17 AM CH DS HM LM MA MB MC OF TV VA WC ZZ".split())
# PLB03-1 adjustment reasons (WO overpayment recovery, L6 interest, FB forwarding balance, ...).
PLB_REASONS = frozenset(
    "50 51 72 90 AH AM AP B2 B3 BD BN C5 CR CS CT CV CW DM E3 FB FC GO HM IP IR IS J1 L3 L6 "
    "LE LS OA OB PI PL RA RE SL TL WO WU".split()
)
_LIMIT = Decimal("100000000")
_T = TypeVar("_T")


@dataclass(frozen=True, slots=True)
class BankDetails:
    """BPR06–BPR15 for an ACH payment: the payer's (sending) and the payee's (receiving)
    bank routing number (ABA, 9 digits) and account. The simulator's defaults are invented."""

    payer_routing: str = "999999992"
    payer_account: str = "000111222333"
    payee_routing: str = "888888884"
    payee_account: str = "000444555666"
    payment_format: str = "CCP"  # BPR05: CCP (cash concentration plus addenda) or CTX


SYNTHETIC_BANK = BankDetails()


def write_835(
    envelope: Envelope,
    remittances: Sequence[Remittance],
    *,
    line_break: bool = False,
    allow_unbalanced: bool = False,
    bank: BankDetails = SYNTHETIC_BANK,
) -> str:
    """One interchange with one HP group and one transaction set per remittance."""
    if not remittances:
        raise FieldError("remittances", "needs at least one remittance")
    for remittance in remittances:
        _check_remittance(remittance, allow_unbalanced=allow_unbalanced)
    w = SegmentWriter(envelope, line_break=line_break)
    w.open_interchange()
    w.open_group("HP", VERSION)
    for remittance in remittances:
        _transaction(w, remittance, bank)
    w.close_group()
    w.close_interchange()
    return w.text()


# Checks --------------------------------------------------------------------------------


def _check_money(field: str, value: Decimal, *, negative_ok: bool = False) -> None:
    if not isinstance(value, Decimal):
        raise FieldError(field, f"must be a Decimal, not {type(value).__name__}")
    if not value.is_finite() or value != value.quantize(CENT):
        raise FieldError(field, f"{value} is not an amount in dollars and cents")
    if abs(value) >= _LIMIT:
        raise FieldError(field, f"{value} is too large")
    if value < 0 and not negative_ok:
        raise FieldError(field, f"{value} must not be negative here")


def _check_adjustments(owner: str, adjustments: Sequence[Adjustment], *, reversal: bool) -> None:
    for n, adj in enumerate(adjustments):
        if adj.group not in _CAS_GROUPS:
            raise FieldError(f"{owner}.adjustments[{n}].group", f"{adj.group!r} is not a group")
        if not adj.reason:
            raise FieldError(f"{owner}.adjustments[{n}].reason", "is required")
        _check_money(f"{owner}.adjustments[{n}].amount", adj.amount, negative_ok=reversal)


def _check_claim(n: int, claim: ClaimPayment) -> None:
    owner = f"Remittance.claims[{n}]"
    reversal = claim.is_reversal
    if claim.status not in _CLAIM_STATUSES:
        raise FieldError(f"{owner}.status", f"{claim.status!r} is not a CLP02 claim status")
    if not claim.patient_control_number:
        raise FieldError(f"{owner}.patient_control_number", "is required")
    if claim.filing_indicator not in FILING_INDICATORS:
        raise FieldError(
            f"{owner}.filing_indicator", f"{claim.filing_indicator!r} is not a CLP06 code"
        )
    if not claim.payer_claim_number:
        raise FieldError(f"{owner}.payer_claim_number", "is required (CLP07)")
    if not claim.patient_last_name:
        raise FieldError(f"{owner}.patient_last_name", "is required (NM1*QC)")
    if len(claim.remark_codes) > MOA_REMARKS:
        raise FieldError(f"{owner}.remark_codes", f"MOA carries at most {MOA_REMARKS} codes")
    _check_money(f"{owner}.charge", claim.charge, negative_ok=reversal)
    _check_money(f"{owner}.paid", claim.paid, negative_ok=reversal)
    if claim.patient_responsibility is not None:
        _check_money(
            f"{owner}.patient_responsibility", claim.patient_responsibility, negative_ok=reversal
        )
    _check_adjustments(owner, claim.adjustments, reversal=reversal)
    for m, svc in enumerate(claim.services):
        line = f"{owner}.services[{m}]"
        _check_money(f"{line}.charge", svc.charge, negative_ok=reversal)
        _check_money(f"{line}.paid", svc.paid, negative_ok=reversal)
        if svc.allowed is not None:
            _check_money(f"{line}.allowed", svc.allowed, negative_ok=reversal)
        _check_adjustments(line, svc.adjustments, reversal=reversal)


def _check_remittance(remittance: Remittance, *, allow_unbalanced: bool) -> None:
    r = remittance
    if not r.control_number.isdigit():
        raise FieldError("Remittance.control_number", f"{r.control_number!r} must be digits")
    if r.handling_code not in _HANDLING_CODES:
        raise FieldError("Remittance.handling_code", f"{r.handling_code!r} is not a BPR01 code")
    if r.credit_debit not in ("C", "D"):
        raise FieldError("Remittance.credit_debit", f"{r.credit_debit!r} must be C or D")
    if r.payment_method not in _METHODS:
        raise FieldError("Remittance.payment_method", f"{r.payment_method!r} is not a method")
    _check_money("Remittance.payment_amount", r.payment_amount)
    if r.payer_address is None:
        raise FieldError("Remittance.payer_address", "is required (1000A N3/N4)")
    if not r.payer_contact_phone:
        raise FieldError("Remittance.payer_contact_phone", "is required (PER*BL)")
    if not (r.payee_npi or r.payee_tax_id):
        raise FieldError("Remittance.payee_npi", "an NPI or a tax id is required (N1*PE)")
    for n, claim in enumerate(r.claims):
        _check_claim(n, claim)
    for n, plb in enumerate(r.provider_adjustments):
        if plb.reason not in PLB_REASONS:
            raise FieldError(
                f"Remittance.provider_adjustments[{n}].reason", f"{plb.reason!r} unknown"
            )
        _check_money(f"Remittance.provider_adjustments[{n}].amount", plb.amount, negative_ok=True)
    problems = r.balancing_problems()
    if problems and not allow_unbalanced:
        raise FieldError("Remittance", "does not balance: " + "; ".join(problems))


# Segments ------------------------------------------------------------------------------


def _transaction(w: SegmentWriter, r: Remittance, bank: BankDetails) -> None:
    # ST03 is "not used" in X221A1 (the version lives in GS08 only); an empty one is dropped.
    w.open_transaction("835", int(r.control_number), "")
    _bpr(w, r, bank)
    w.segment("TRN", "1", r.trace_number, r.originator_id)
    if r.receiver_id:
        w.segment("REF", "EV", r.receiver_id)
    if r.production_date is not None:
        w.segment("DTM", "405", format_date(r.production_date))
    _payer(w, r)
    _payee(w, r)
    if r.claims:
        w.segment("LX", "1")
        for claim in r.claims:
            _claim(w, claim)
    _plb(w, r.provider_adjustments)
    w.close_transaction()


def _bpr(w: SegmentWriter, r: Remittance, bank: BankDetails) -> None:
    head = (r.handling_code, format_amount(r.payment_amount), r.credit_debit, r.payment_method)
    if r.payment_method == "ACH":
        # BPR10 must equal TRN03: both name the payer that originated the transfer.
        dfi = (
            bank.payment_format, "01", bank.payer_routing, "DA", bank.payer_account,
            r.originator_id, "", "01", bank.payee_routing, "DA", bank.payee_account,
        )  # fmt: skip
    else:
        dfi = ("",) * 11
    w.segment("BPR", *head, *dfi, format_date(r.payment_date))


def _payer(w: SegmentWriter, r: Remittance) -> None:
    w.segment("N1", "PR", r.payer_name)
    assert r.payer_address is not None  # checked before writing
    _address(w, r.payer_address)
    if r.payer_id:
        w.segment("REF", "2U", r.payer_id)
    w.segment("PER", "BL", r.payer_contact_name, "TE", r.payer_contact_phone)


def _payee(w: SegmentWriter, r: Remittance) -> None:
    if r.payee_npi:
        w.segment("N1", "PE", r.payee_name, "XX", r.payee_npi)
    else:
        w.segment("N1", "PE", r.payee_name, "FI", r.payee_tax_id)
    if r.payee_address is not None:
        _address(w, r.payee_address)
    if r.payee_npi and r.payee_tax_id:
        w.segment("REF", "TJ", r.payee_tax_id)


def _claim(w: SegmentWriter, c: ClaimPayment) -> None:
    w.segment(
        "CLP",
        c.patient_control_number,
        c.status,
        format_amount(c.charge),
        format_amount(c.paid),
        "" if c.patient_responsibility is None else format_amount(c.patient_responsibility),
        c.filing_indicator,
        c.payer_claim_number,
        c.facility_type,
        c.frequency,
    )
    _cas(w, c.adjustments)
    id_qualifier = "MI" if c.member_id else ""
    w.segment(
        "NM1", "QC", "1", c.patient_last_name, c.patient_first_name, "", "", "",
        id_qualifier, c.member_id,
    )  # fmt: skip
    if c.remark_codes:
        w.segment("MOA", "", "", *c.remark_codes)
    if c.statement_start is not None:
        w.segment("DTM", "232", format_date(c.statement_start))
    if c.statement_end is not None:
        w.segment("DTM", "233", format_date(c.statement_end))
    for svc in c.services:
        _service(w, svc)


def _service(w: SegmentWriter, s: ServicePayment) -> None:
    units = "" if s.units is None or s.units == 1 else format_quantity(s.units)
    procedure: Element = (s.qualifier, s.procedure_code, *s.modifiers)
    w.segment("SVC", procedure, format_amount(s.charge), format_amount(s.paid), "", units)
    if s.service_date is not None:
        w.segment("DTM", "472", format_date(s.service_date))
    _cas(w, s.adjustments)
    if s.line_control_number:
        w.segment("REF", "6R", s.line_control_number)
    if s.allowed is not None:
        w.segment("AMT", "B6", format_amount(s.allowed))
    for code in s.remark_codes:
        w.segment("LQ", "HE", code)


def _chunks(items: Sequence[_T], size: int) -> Iterator[Sequence[_T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def _cas(w: SegmentWriter, adjustments: Sequence[Adjustment]) -> None:
    """One CAS per group code (in order of first appearance), split after six reasons."""
    by_group: dict[str, list[Adjustment]] = {}
    for adj in adjustments:
        by_group.setdefault(adj.group, []).append(adj)
    for group, items in by_group.items():
        for chunk in _chunks(items, CAS_TRIPLES):
            triples: list[str] = []
            for adj in chunk:
                quantity = "" if adj.quantity is None else format_quantity(adj.quantity)
                triples += [adj.reason, format_amount(adj.amount), quantity]
            w.segment("CAS", group, *triples)


def _plb(w: SegmentWriter, adjustments: Sequence[ProviderAdjustment]) -> None:
    """One PLB per provider and fiscal period, split after six adjustments."""
    by_key: dict[tuple[str, date], list[ProviderAdjustment]] = {}
    for adj in adjustments:
        by_key.setdefault((adj.provider_id, adj.fiscal_period_end), []).append(adj)
    for (provider_id, period_end), items in by_key.items():
        for chunk in _chunks(items, PLB_PAIRS):
            pairs: list[Element] = []
            for adj in chunk:
                pairs += [(adj.reason, adj.reference), format_amount(adj.amount)]
            w.segment("PLB", provider_id, format_date(period_end), *pairs)
