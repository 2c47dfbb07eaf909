"""Synthetic submitted claims and the 835 payments for them (Remittance dataclasses)."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Sequence
from datetime import date
from decimal import Decimal
from typing import Any, TypeVar

from bureau.claims.models import Claim, ClaimLine, ClaimState
from bureau.claims.tests import factories
from bureau.configuration.models import SettingValue
from bureau.directory.models import Payer
from bureau.ledger.services import post_charges
from bureau.tenancy import rls
from bureau.tenancy.models import Practice
from bureau.x12.claim837 import Address
from bureau.x12.remit835 import Adjustment, ClaimPayment, Remittance, ServicePayment

D = Decimal
PAY_DATE = date(2026, 3, 2)
_trace = itertools.count(1)


def summit() -> list[Practice]:
    return list(Practice.objects.filter(workspace__slug="summit").order_by("id"))


def payer_of(practice: Practice, index: int = 2) -> Payer:
    return list(Payer.objects.filter(workspace_id=practice.workspace_id).order_by("id"))[index]


def configure(practice: Practice, key: str, value: object, payer: Payer | None = None) -> None:
    SettingValue.objects.update_or_create(
        workspace_id=practice.workspace_id,
        practice=practice,
        payer=payer,
        key=key,
        defaults={"value": value},
    )


def autopost(practice: Practice, *, denials: bool = True, tolerance: str = "0.00") -> None:
    configure(practice, "era.autopost_enabled", True)
    configure(practice, "era.autopost_denials", denials)
    configure(practice, "era.autopost_tolerance", tolerance)


def submitted_claims(
    practice: Practice,
    payer: Payer,
    count: int = 1,
    codes: tuple[tuple[str, str], ...] = (("99213", "110.00"), ("36415", "12.00")),
) -> list[Claim]:
    """Claims in SUBMITTED with their charges on the ledger (as a batch build leaves them)."""
    with rls.practice_scope([practice.pk]):
        patient = factories.patient(practice)
        made = [
            factories.claim(
                practice,
                factories.coverage(patient, payer),
                state=ClaimState.SUBMITTED,
                codes=codes,
            )
            for _ in range(count)
        ]
    post_charges(claims=made, effective_date=date(2026, 2, 1))
    return made


def lines_of(claim: Claim) -> list[ClaimLine]:
    with rls.practice_scope([claim.practice_id]):
        return list(
            ClaimLine.objects.for_system([claim.practice_id], reason="test")
            .filter(claim=claim)
            .order_by("line_number")
        )


def svc(
    line: ClaimLine,
    paid: str,
    *adjustments: tuple[str, str, str],
    allowed: str | None = None,
    rarcs: tuple[str, ...] = (),
    ref: bool = True,
    claim_number: str = "",
) -> ServicePayment:
    return ServicePayment(
        procedure_code=line.procedure_code,
        charge=line.charge,
        paid=D(paid),
        modifiers=tuple(line.modifiers),
        units=D(1),
        line_control_number=f"{claim_number}-{line.line_number}" if ref and claim_number else "",
        allowed=D(allowed) if allowed is not None else None,
        adjustments=tuple(Adjustment(g, r, D(a)) for g, r, a in adjustments),
        remark_codes=rarcs,
    )


def paid_claim(
    claim: Claim,
    services: Sequence[ServicePayment],
    *,
    status: str = "1",
    claim_adjustments: tuple[tuple[str, str, str], ...] = (),
    payer_claim_number: str = "PCN1",
    rarcs: tuple[str, ...] = (),
) -> ClaimPayment:
    adjustments = tuple(Adjustment(g, r, D(a)) for g, r, a in claim_adjustments)
    paid = sum((s.paid for s in services), D("0"))
    charge = sum((s.charge for s in services), D("0"))
    if not services:
        charge = claim.total_charge
        paid = charge - sum((a.amount for a in adjustments), D("0"))
    else:
        paid -= sum((a.amount for a in adjustments), D("0"))
    pr = sum((a.amount for s in services for a in s.adjustments if a.group == "PR"), D("0")) + sum(
        (a.amount for a in adjustments if a.group == "PR"), D("0")
    )
    return ClaimPayment(
        patient_control_number=claim.number,
        status=status,
        charge=charge,
        paid=paid,
        patient_responsibility=pr,
        payer_claim_number=payer_claim_number,
        filing_indicator="MC",
        patient_last_name="DOE",
        patient_first_name="JANE",
        member_id="M123",
        adjustments=adjustments,
        remark_codes=rarcs,
        services=tuple(services),
    )


def reversal_of(payment: ClaimPayment) -> ClaimPayment:
    """The payer's CLP02 = 22: the original with every amount negated."""
    return ClaimPayment(
        patient_control_number=payment.patient_control_number,
        status="22",
        charge=-payment.charge,
        paid=-payment.paid,
        patient_responsibility=-(payment.patient_responsibility or D(0)),
        payer_claim_number=payment.payer_claim_number,
        filing_indicator="MC",
        patient_last_name="DOE",
        patient_first_name="JANE",
        member_id="M123",
        adjustments=tuple(Adjustment(a.group, a.reason, -a.amount) for a in payment.adjustments),
        services=tuple(
            ServicePayment(
                procedure_code=s.procedure_code,
                charge=-s.charge,
                paid=-s.paid,
                modifiers=s.modifiers,
                line_control_number=s.line_control_number,
                adjustments=tuple(Adjustment(a.group, a.reason, -a.amount) for a in s.adjustments),
            )
            for s in payment.services
        ),
    )


def remittance(
    practice: Practice,
    payer: Payer,
    claims: Sequence[ClaimPayment],
    *,
    plb: Sequence[tuple[str, str]] = (),
    trace: str | None = None,
    amount: Decimal | None = None,
    npi: str | None = None,
) -> Remittance:
    from bureau.x12.remit835 import ProviderAdjustment

    adjustments = tuple(
        ProviderAdjustment(
            provider_id=practice.npi,
            fiscal_period_end=date(2026, 12, 31),
            reason=reason,
            amount=D(value),
        )
        for reason, value in plb
    )
    total = sum((c.paid for c in claims), D("0")) - sum((p.amount for p in adjustments), D("0"))
    return Remittance(
        control_number="0001",
        handling_code="I",
        payment_amount=total if amount is None else amount,
        credit_debit="C",
        payment_method="ACH",
        payment_date=PAY_DATE,
        trace_number=trace or f"TRC{next(_trace):08d}",
        originator_id="1123456789",
        payer_name=payer.name,
        payer_id=payer.payer_id,
        payee_name=practice.name,
        payee_npi=practice.npi if npi is None else npi,
        claims=tuple(claims),
        provider_adjustments=adjustments,
        payer_address=Address("PO BOX 1", "SPRINGFIELD", "IL", "62701"),
        payer_contact_phone="5555550100",
    )


_R = TypeVar("_R")


def changed(record: _R, **changes: Any) -> _R:
    """A copy with `changes`: claims, lines and adjustments are named tuples, payments
    dataclasses."""
    if hasattr(record, "_replace"):
        return record._replace(**changes)  # type: ignore[no-any-return]
    return dataclasses.replace(record, **changes)  # type: ignore[type-var]
