"""The `--workspace SLUG` option every system command shares."""

from __future__ import annotations

from django.core.management.base import CommandError

from bureau.tenancy.models import Workspace


def workspace_named(slug: str | None) -> Workspace:
    """The workspace `slug` names; with no slug, the only workspace there is. Anything else is
    a CommandError that says what to type."""
    if slug:
        found = Workspace.objects.filter(slug=slug).first()
        if found is None:
            raise CommandError(f"no workspace {slug!r}")
        return found
    workspaces = list(Workspace.objects.order_by("slug")[:2])
    if not workspaces:
        raise CommandError("no workspace yet: run `bureau seed-demo` or create one")
    if len(workspaces) > 1:
        raise CommandError("several workspaces: name one with --workspace SLUG")
    return workspaces[0]


def workspaces_named(slug: str | None) -> list[Workspace]:
    """The workspace `slug` names, or every workspace (by slug) when none is named: the
    commands the scheduler runs for all of them (a named one missing is a CommandError)."""
    if slug:
        return [workspace_named(slug)]
    return list(Workspace.objects.order_by("slug"))
