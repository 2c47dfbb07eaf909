"""Posting's one special-purpose bulk write: CLP07 onto many claims at once."""

from __future__ import annotations

from collections.abc import Sequence

from django.db import connection

from bureau.claims.models import Claim


def set_payer_claim_numbers(practice_ids: Sequence[int], claims: Sequence[Claim]) -> None:
    """CLP07 onto our claims: one UPDATE from two arrays on PostgreSQL (a CASE per row in
    `bulk_update` costs more than the rest of the ERA)."""
    if not claims:
        return
    if connection.vendor != "postgresql":
        Claim.objects.for_system(
            practice_ids, reason="ERA posting: payer claim numbers"
        ).bulk_update(list(claims), ["payer_claim_number"], batch_size=1000)
        return
    with connection.cursor() as cursor:
        cursor.execute(
            "UPDATE claims_claim SET payer_claim_number = v.number FROM "
            "unnest(%s::bigint[], %s::text[]) AS v(id, number) WHERE claims_claim.id = v.id",
            [[c.pk for c in claims], [c.payer_claim_number for c in claims]],
        )
