"""Whose payment an ERA is: the payee (N1*PE) resolved to one practice of the workspace."""

from __future__ import annotations

from collections.abc import Callable, Collection

from bureau.directory.models import Provider
from bureau.tenancy.models import Practice, Workspace
from bureau.x12.remit835 import PaymentHeader


class PayeeUnknown(ValueError):
    """The ERA's payee is no practice the ingest may post for (nothing is written)."""


def payee_practice(
    workspace: Workspace,
    remittance: PaymentHeader,
    claim_practices: Callable[[], set[int]],
    *,
    postable: Collection[int] | None = None,
) -> Practice:
    """The practice an ERA pays: by the payee NPI (the practice's, or a provider's individual
    NPI that belongs to one practice only), else the one practice its matched claims share.

    `postable` are the practices the ingest may post for (None: the system's, all of them) and
    `claim_practices()` the practices of the file's claims found among those only (asked only
    when the payee NPI names no practice: a 50,000-claim payment's numbers are not looked up
    for nothing). The payee NPI is looked up in the whole workspace, so a payment to another
    practice is never posted to this one; but whether that NPI names a practice the uploader
    may not post for, or none at all, the refusal is the same words, so an upload cannot learn
    which NPIs or claims other practices hold."""
    practice = _by_npi(workspace, remittance.payee_npi) if remittance.payee_npi else None
    if practice is None:
        practice_ids = claim_practices()
        if len(practice_ids) == 1:
            practice = Practice.objects.get(pk=next(iter(practice_ids)))
    if practice is None or (postable is not None and practice.pk not in postable):
        npi = remittance.payee_npi or "(none sent)"
        raise PayeeUnknown(
            f"ERA {remittance.trace_number}: payee NPI {npi} ({remittance.payee_name}) is no "
            "practice you may post payments for, and its claims do not name one; nothing was "
            "posted"
        )
    return practice


def _by_npi(workspace: Workspace, npi: str) -> Practice | None:
    practice = Practice.objects.filter(workspace=workspace, npi=npi).first()
    if practice is not None:
        return practice
    # The payee is the claims' billing provider: a practice's group NPI, or one of its providers
    # billing under an individual NPI (one practice only, or it proves nothing).
    owners = set(
        Provider.objects.filter(practice__workspace=workspace, npi=npi)
        .values_list("practice_id", flat=True)
        .distinct()[:2]
    )
    return Practice.objects.get(pk=owners.pop()) if len(owners) == 1 else None
