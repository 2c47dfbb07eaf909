"""The compliance program's records, one module per obligation (imported here for Django)."""

from bureau.compliance.models import access_review  # noqa: F401
from bureau.compliance.models.baa import BusinessAssociateAgreement  # noqa: F401
from bureau.compliance.models.incidents import Incident  # noqa: F401
from bureau.compliance.models.policies import (  # noqa: F401
    Attestation,
    Policy,
    PolicyReview,
    PolicyVersion,
)
from bureau.compliance.models.screening import (  # noqa: F401
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
from bureau.compliance.models.training import (  # noqa: F401
    Course,
    CourseKind,
    TrainingCompletion,
)
