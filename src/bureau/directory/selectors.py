from __future__ import annotations

from django.db.models import QuerySet

from bureau.directory.models import Provider
from bureau.tenancy.actor import Actor
from bureau.tenancy.roles import Capability


def provider_list(*, actor: Actor, capability: Capability) -> QuerySet[Provider]:
    """Providers of the practices where the actor holds `capability`."""
    return Provider.objects.filter(
        workspace=actor.workspace, practice_id__in=actor.practice_ids(capability)
    ).select_related("practice")
