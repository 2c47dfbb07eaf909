"""Claim adjustment reason codes (CARC), remittance advice remark codes (RARC) and CAS groups.

The short descriptions are the project's own plain wording for billers, not the published text.
The full published lists (with start and stop dates) can be loaded with `load_published`; codes
not in either table are shown as "CARC <code>" / "RARC <code>" so nothing is hidden.
"""

from __future__ import annotations

import csv
import io
from datetime import date
from types import MappingProxyType
from typing import Final

GROUP_CODES: Final = MappingProxyType(
    {
        "CO": "Contractual obligation (provider writes off)",
        "PR": "Patient responsibility",
        "OA": "Other adjustment",
        "PI": "Payer-initiated reduction",
        "CR": "Correction or reversal (retired in 5010)",
    }
)

CARC: Final = MappingProxyType(
    {
        "1": "Deductible",
        "2": "Coinsurance",
        "3": "Copay",
        "4": "Modifier missing or wrong for this procedure",
        "5": "Procedure or bill type does not fit the place of service",
        "6": "Procedure or revenue code does not fit the patient's age",
        "11": "Diagnosis does not support the procedure",
        "15": "Authorization number missing or invalid",
        "16": "Claim lacks information or has billing errors",
        "18": "Duplicate claim or service",
        "22": "Another payer may be primary (coordination of benefits)",
        "23": "Reduced by what a prior payer paid or allowed",
        "26": "Service before coverage started",
        "27": "Service after coverage ended",
        "29": "Filing deadline has passed",
        "31": "Patient not identified as our member",
        "39": "Authorization denied when requested",
        "45": "Charge above the contracted or allowed fee",
        "50": "Not medically necessary in the payer's judgment",
        "96": "Charge not covered",
        "97": "Paid as part of another service (bundled)",
        "109": "Not covered by this payer; send to the right one",
        "119": "Benefit maximum reached",
        "146": "Diagnosis invalid for the date of service",
        "151": "Frequency or number of services not supported",
        "167": "Diagnosis not covered",
        "170": "Not paid when billed by this provider type",
        "181": "Procedure code invalid on the date of service",
        "182": "Modifier invalid on the date of service",
        "185": "Rendering provider not eligible for this service",
        "197": "Precertification or authorization missing",
        "198": "Precertification or authorization exceeded",
        "204": "Service not covered by the patient's current plan",
        "234": "Procedure not paid separately",
        "242": "Provider not in network for this service",
        "252": "Attachment or other documentation required",
        "253": "Sequestration reduction",
    }
)

RARC: Final = MappingProxyType(
    {
        "M15": "Separately billed services were bundled",
        "M20": "HCPCS code missing or incomplete",
        "M51": "Procedure code missing, incomplete or invalid",
        "M76": "Diagnosis code missing, incomplete or invalid",
        "MA04": "Secondary payment cannot be considered without primary payer details",
        "MA130": "Claim has incomplete or invalid data; resubmit a new claim",
        "N4": "Prior insurance payment or denial details missing or incomplete",
        "N20": "Service not paid separately from the related service",
        "N30": "Patient not eligible for this service",
        "N130": "Check the plan's benefit documents for limits or exclusions",
        "N179": "Requested information was not received",
        "N290": "Rendering provider identifier missing or invalid",
        "N362": "Units exceed what is allowed for the day",
        "N382": "Patient identifiers missing, incomplete or invalid",
        "N425": "Statutorily excluded service",
        "N522": "Duplicate of a claim already processed",
        "N657": "Should be billed with the appropriate code for these services",
    }
)


def carc_description(code: str) -> str:
    return CARC.get(code.strip(), f"CARC {code}")


def rarc_description(code: str) -> str:
    return RARC.get(code.strip().upper(), f"RARC {code}")


def group_description(code: str) -> str:
    return GROUP_CODES.get(code.strip().upper(), f"Group {code}")


def _parse_date(text: str) -> date | None:
    text = text.strip()
    if not text:
        return None
    if len(text) == 8 and text.isdigit():
        return date(int(text[:4]), int(text[4:6]), int(text[6:]))
    if "/" in text:  # the published lists use MM/DD/YYYY
        month, day, year = (int(part) for part in text.split("/"))
        return date(year, month, day)
    return date.fromisoformat(text)


def load_published(csv_text: str, *, as_of: date) -> dict[str, str]:
    """code → description from a published list (columns code, description, start, stop; a
    header row is optional). Rows whose stop date is before `as_of` (the caller's today) are left
    out: a retired code must not be offered for new work, though old remits still name it."""
    codes: dict[str, str] = {}
    for row in csv.reader(io.StringIO(csv_text.removeprefix("\ufeff"))):
        if len(row) < 2 or not row[0].strip():
            continue
        code, description = row[0].strip(), row[1].strip()
        if code.lower() == "code":
            continue
        stop = _parse_date(row[3]) if len(row) > 3 else None
        if stop is not None and stop < as_of:
            continue
        codes[code] = description
    return codes
