"""CARC → denial category, and which adjustments are denials at all.

A denial worklist is sorted by what must be fixed: eligibility (check coverage), authorization,
coding, medical necessity, timely filing, duplicates, bundling, coordination of benefits and
missing information. CARC 16 ("claim lacks information") is missing information, not coding.
Contractual write-downs (CO-45, CO-253 sequestration, CO-59 multiple-procedure reduction) and
patient responsibility (PR deductible, coinsurance, copay) are never denials.
"""

from __future__ import annotations

from bureau.denials.models import DenialCategory

C = DenialCategory

CATEGORY_BY_CARC: dict[str, DenialCategory] = {
    **dict.fromkeys(["26", "27", "31", "32", "33", "109", "177", "200"], C.ELIGIBILITY),
    **dict.fromkeys(["15", "62", "197", "198", "288", "39"], C.AUTHORIZATION),
    **dict.fromkeys(
        ["4", "5", "6", "7", "8", "9", "10", "11", "12", "40", "181", "182", "185", "189"],
        C.CODING,
    ),
    **dict.fromkeys(["50", "55", "56", "57", "150", "151", "152", "167"], C.MEDICAL_NECESSITY),
    **dict.fromkeys(["29"], C.TIMELY_FILING),
    **dict.fromkeys(["18"], C.DUPLICATE),
    **dict.fromkeys(["97", "234", "B15", "231"], C.BUNDLING),
    **dict.fromkeys(["22", "23", "24"], C.COORDINATION_OF_BENEFITS),
    **dict.fromkeys(["16", "226", "252", "227", "17"], C.MISSING_INFORMATION),
}

# Reductions a contract expects: the line was paid as agreed, nothing to appeal.
NOT_DENIAL_CARCS = frozenset({"45", "253", "59", "94", "144"})
DENIAL_GROUPS = frozenset({"CO", "PI", "OA", "CR"})


def category_for(carc: str) -> DenialCategory:
    return CATEGORY_BY_CARC.get(carc.strip().upper(), C.OTHER)


def is_denial_reason(group: str, carc: str) -> bool:
    """A CAS reason that denies (part of) a service: any non-patient group whose CARC is not a
    contractual reduction."""
    return group in DENIAL_GROUPS and carc.strip().upper() not in NOT_DENIAL_CARCS
