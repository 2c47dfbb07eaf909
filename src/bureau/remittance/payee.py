"""Whose payment an ERA is: the payee (N1*PE) resolved to one practice of the workspace."""

from __future__ import annotations

from bureau.claims.models import Claim
from bureau.directory.models import Provider
from bureau.tenancy.models import Practice, Workspace
from bureau.x12.remit835 import Remittance


class PayeeUnknown(ValueError):
    """The ERA's payee is none of the workspace's practices (nothing is written)."""


def payee_practice(
    workspace: Workspace, remittance: Remittance, claims: dict[str, Claim]
) -> Practice:
    """The practice an ERA pays: by the payee NPI (the practice's, or a provider's individual
    NPI that belongs to one practice only), else the one practice its matched claims share."""
    if remittance.payee_npi:
        practice = Practice.objects.filter(workspace=workspace, npi=remittance.payee_npi).first()
        if practice is not None:
            return practice
        # The payee is the claims' billing provider: a practice's group NPI, or one of its
        # providers billing under an individual NPI (one practice only, or it proves nothing).
        owners = set(
            Provider.objects.filter(practice__workspace=workspace, npi=remittance.payee_npi)
            .values_list("practice_id", flat=True)
            .distinct()[:2]
        )
        if len(owners) == 1:
            return Practice.objects.get(pk=owners.pop())
    practice_ids = {c.practice_id for c in claims.values()}
    if len(practice_ids) == 1:
        return Practice.objects.get(pk=practice_ids.pop())
    npi = remittance.payee_npi or "(none sent)"
    why = "its claims belong to several practices" if practice_ids else "no claim matched"
    raise PayeeUnknown(
        f"ERA {remittance.trace_number}: payee NPI {npi} ({remittance.payee_name}) is no practice "
        f"of workspace {workspace.slug}, and {why}"
    )
