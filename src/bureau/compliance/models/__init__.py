"""The compliance program's records, one module per obligation (imported here for Django)."""

from bureau.compliance.models import access_reviews  # noqa: F401
