"""The compliance program's records, one module per obligation (imported here for Django)."""

from bureau.compliance.models.screening import (
    ExclusionEntry,
    ExclusionListImport,
    HitBasis,
    HitStatus,
    ListKind,
    RunScope,
    ScreeningHit,
    ScreeningProfile,
    ScreeningRun,
)

__all__ = [
    "ExclusionEntry",
    "ExclusionListImport",
    "HitBasis",
    "HitStatus",
    "ListKind",
    "RunScope",
    "ScreeningHit",
    "ScreeningProfile",
    "ScreeningRun",
]
