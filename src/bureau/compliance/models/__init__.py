"""The compliance program's records, one module per obligation (imported here for Django)."""

from bureau.compliance.models.access_reviews import (  # noqa: F401
    AccessChange,
    AccessDecision,
    AccessReview,
    AccessReviewer,
    AccessReviewItem,
    AccessReviewStatus,
)
