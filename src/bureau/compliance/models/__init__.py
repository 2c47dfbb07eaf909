"""The compliance program's records, one module per obligation (imported here for Django)."""

from bureau.compliance.models.baa import BusinessAssociateAgreement
from bureau.compliance.models.incidents import Incident

__all__ = ["BusinessAssociateAgreement", "Incident"]
