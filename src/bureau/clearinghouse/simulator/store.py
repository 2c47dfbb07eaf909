"""The simulator's memory on disk: claim payments waiting for their payment run, as JSON.

An adjudicated claim is paid on a later simulated day, together with every other claim of the
same payer and payee due that day, so between submit and poll the `ClaimPayment`s wait in
`schedule/<YYYYMMDD>.json`. These helpers turn the frozen dataclasses into plain JSON and back
(amounts as strings, dates as ISO text); files are written atomically (`write_atomic`).
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from bureau.clearinghouse.folder import write_atomic
from bureau.x12.remit835 import Adjustment, ClaimPayment, ServicePayment

Json = dict[str, Any]


def read_json(path: Path, default: Any) -> Any:
    if not path.exists():
        return default
    return json.loads(path.read_text(encoding="utf-8"))


def write_json(path: Path, value: Any) -> None:
    write_atomic(path, json.dumps(value, sort_keys=True, separators=(",", ":")))


def _d(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def _dd(value: str | None) -> Decimal | None:
    return None if value is None else Decimal(value)


def _day(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _dday(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _adjustments(items: tuple[Adjustment, ...]) -> list[list[str]]:
    return [[a.group, a.reason, str(a.amount)] for a in items]


def _adjustments_back(items: list[list[str]]) -> tuple[Adjustment, ...]:
    return tuple(Adjustment(g, r, Decimal(a)) for g, r, a in items)


def claim_to_json(c: ClaimPayment) -> Json:
    return {
        "pcn": c.patient_control_number,
        "status": c.status,
        "charge": str(c.charge),
        "paid": str(c.paid),
        "patient": _d(c.patient_responsibility),
        "filing": c.filing_indicator,
        "payer_claim": c.payer_claim_number,
        "facility": c.facility_type,
        "frequency": c.frequency,
        "last": c.patient_last_name,
        "first": c.patient_first_name,
        "member": c.member_id,
        "start": _day(c.statement_start),
        "end": _day(c.statement_end),
        "adj": _adjustments(c.adjustments),
        "remarks": list(c.remark_codes),
        "lines": [
            {
                "code": s.procedure_code,
                "charge": str(s.charge),
                "paid": str(s.paid),
                "mods": list(s.modifiers),
                "units": _d(s.units),
                "date": _day(s.service_date),
                "lcn": s.line_control_number,
                "allowed": _d(s.allowed),
                "adj": _adjustments(s.adjustments),
                "remarks": list(s.remark_codes),
            }
            for s in c.services
        ],
    }


def claim_from_json(j: Json) -> ClaimPayment:
    services = tuple(
        ServicePayment(
            procedure_code=s["code"],
            charge=Decimal(s["charge"]),
            paid=Decimal(s["paid"]),
            modifiers=tuple(s["mods"]),
            units=_dd(s["units"]),
            service_date=_dday(s["date"]),
            line_control_number=s["lcn"],
            allowed=_dd(s["allowed"]),
            adjustments=_adjustments_back(s["adj"]),
            remark_codes=tuple(s["remarks"]),
        )
        for s in j["lines"]
    )
    return ClaimPayment(
        patient_control_number=j["pcn"],
        status=j["status"],
        charge=Decimal(j["charge"]),
        paid=Decimal(j["paid"]),
        patient_responsibility=_dd(j["patient"]),
        filing_indicator=j["filing"],
        payer_claim_number=j["payer_claim"],
        facility_type=j["facility"],
        frequency=j["frequency"],
        patient_last_name=j["last"],
        patient_first_name=j["first"],
        member_id=j["member"],
        statement_start=_dday(j["start"]),
        statement_end=_dday(j["end"]),
        adjustments=_adjustments_back(j["adj"]),
        remark_codes=tuple(j["remarks"]),
        services=services,
    )
