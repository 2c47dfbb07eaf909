"""`PracticeScoped`: the abstract base of every PHI model, and its locked-by-default manager.

A query of a PHI model that has not been narrowed with `.visible_to(actor, capability)` raises
`UnscopedQuery` when evaluated: a forgotten scope is a crash in a test, never a leak in production.
Maintenance code that acts for the system (the demo seed, retention jobs) says so explicitly with
`.for_system(practice_ids, reason=...)`; a test forbids it in views, API routes and selectors.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Self

from django.db import models

from bureau.tenancy import rls
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability

if TYPE_CHECKING:
    from bureau.tenancy.actor import Actor


class UnscopedQuery(RuntimeError):
    """A PHI query was evaluated without an actor's scope."""


class ScopedQuerySet(models.QuerySet[Any]):
    _bureau_scope: frozenset[int] | None = None

    def _clone(self) -> Self:
        clone: Self = super()._clone()  # type: ignore[misc]
        clone._bureau_scope = self._bureau_scope
        return clone

    def _scoped_to(self, practice_ids: frozenset[int], workspace_id: int | None) -> Self:
        qs = self.filter(practice_id__in=practice_ids)
        if workspace_id is not None:
            qs = qs.filter(workspace_id=workspace_id)
        qs._bureau_scope = practice_ids
        return qs

    def visible_to(self, actor: Actor, capability: Capability) -> Self:
        """Rows of the practices where the actor holds `capability` (and, on PostgreSQL, only
        those the transaction's RLS setting admits)."""
        rls.activate(actor.practice_ids())
        return self._scoped_to(actor.practice_ids(capability), actor.workspace.pk)

    def for_system(self, practice_ids: Iterable[int], *, reason: str) -> Self:
        """Rows of these practices, for system work that has no person behind it."""
        if not reason:
            raise ValueError("system access to PHI needs a reason")
        ids = frozenset(practice_ids)
        rls.activate(ids)
        return self._scoped_to(ids, None)

    def _require_scope(self) -> None:
        if self._bureau_scope is None:
            raise UnscopedQuery(
                f"{self.model.__name__} queried without .visible_to(actor, capability)"
            )

    # Every path that evaluates a query passes one of these.
    def _fetch_all(self) -> None:
        self._require_scope()
        super()._fetch_all()

    def count(self) -> int:
        self._require_scope()
        return super().count()

    def exists(self) -> bool:
        self._require_scope()
        return super().exists()

    def aggregate(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        self._require_scope()
        return super().aggregate(*args, **kwargs)

    def iterator(self, chunk_size: int | None = None) -> Iterator[Any]:
        self._require_scope()
        return super().iterator(chunk_size=chunk_size)

    def update(self, **kwargs: Any) -> int:
        self._require_scope()
        return super().update(**kwargs)

    def delete(self) -> tuple[int, dict[str, int]]:
        self._require_scope()
        return super().delete()

    def in_bulk(self, *args: Any, **kwargs: Any) -> dict[Any, Any]:
        self._require_scope()
        return super().in_bulk(*args, **kwargs)


ScopedManager = models.Manager.from_queryset(ScopedQuerySet)


class PracticeScoped(models.Model):
    """Customer data: carries its workspace and practice, lives under RLS, reached by UUID."""

    workspace = models.ForeignKey(Workspace, on_delete=models.PROTECT, related_name="+")
    practice = models.ForeignKey(Practice, on_delete=models.PROTECT, related_name="+")
    public_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)

    objects = ScopedManager()

    class Meta:
        abstract = True


class HighVolumePracticeScoped(PracticeScoped):
    """For rows written by the hundred thousand (ledger entries, ERA claims and lines): the same
    tenancy columns, RLS and scoped manager, but `workspace` and `practice` carry no foreign-key
    check or index of their own. Each row copies them from the parent row it is written under (a
    claim line, an ERA), the RLS policy's WITH CHECK still refuses a practice outside the
    transaction's scope, and `bureau ledger check` verifies they agree with the parent — while
    at 100,000 claims per run the per-row key checks at commit cost more than the inserts."""

    workspace = models.ForeignKey(
        Workspace, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )
    practice = models.ForeignKey(
        Practice, on_delete=models.PROTECT, related_name="+", db_constraint=False, db_index=False
    )

    class Meta:
        abstract = True
