"""`PracticeScoped`: the abstract base of every PHI model, and its locked-by-default manager.

A query of a PHI model that has not been narrowed with `.visible_to(actor, capability)` raises
`UnscopedQuery` when evaluated: a forgotten scope is a crash in a test, never a leak in production.
Maintenance code that acts for the system (the demo seed, retention jobs) says so explicitly with
`.for_system(practice_ids, reason=...)`; a test forbids it in views, API routes and selectors.

A grant limited to some providers narrows rows the same way, in the same place: each PHI model
declares in `provider_scope` how its rows reach a provider (see `ProviderScope`), and
`visible_to` keeps, in such a practice, only the rows that reach an allowed one. Row-level
security stays per practice (the database knows practices, not providers).
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Self

from django.apps import apps
from django.db import models
from django.db.models import Q

from bureau.tenancy import rls
from bureau.tenancy.models import Practice, Workspace
from bureau.tenancy.roles import Capability

if TYPE_CHECKING:
    from bureau.tenancy.actor import Actor


class UnscopedQuery(RuntimeError):
    """A PHI query was evaluated without an actor's scope."""


@dataclass(frozen=True)
class ProviderScope:
    """How the rows of a PHI model reach the providers a grant may be limited to.

    `paths` are lookups ending at a `directory.Provider` foreign key (rendering or billing); a
    row is in a provider-limited grant's scope when any of them reaches an allowed provider. A
    path may cross a reverse relation (an ERA to its claim loops: the ERA is in scope when one
    of them is). `via` = (model label, that model's field naming this model's row, this model's
    field holding that value) reaches the rows from another model that has no reverse accessor
    (a patient through its encounters); `paths` then start at that model. No paths: the rows
    belong to no one provider, so a provider-limited grant sees none of them; `reason` says why.
    A row whose path stops at a NULL (an ERA claim loop that matched none of our claims) reaches
    no provider either: what cannot be attributed stays hidden.

    The condition compares one column of the row with a subquery (`encounter_id IN (...)`),
    never joins added to the caller's query: no row is repeated, a NULL reaches nothing without
    an outer join, and `select_for_update` locks only the caller's rows.
    """

    paths: tuple[str, ...] = ()
    via: tuple[str, str, str] | None = None
    reason: str = ""

    def __post_init__(self) -> None:
        if not self.paths and not self.reason:
            raise ValueError("a provider scope without paths must say why")

    def condition(self, model: type[models.Model], provider_ids: frozenset[int]) -> Q:
        """Rows of `model` that reach one of `provider_ids`."""
        if not self.paths:
            return Q(pk__in=[])
        ids = sorted(provider_ids)
        if self.via is None:
            return _reaching(model, self.paths, ids)
        label, source_field, own_field = self.via
        source = apps.get_model(label)
        rows = source._base_manager.filter(_reaching(source, self.paths, ids))
        return Q(**{f"{own_field}__in": rows.values(source_field)})


def _reaching(model: type[models.Model], paths: tuple[str, ...], ids: list[int]) -> Q:
    """Rows of `model` from which one of `paths` reaches `ids`: per first step of the paths,
    that column against the ids or a subquery of the next model (a reverse first step: this
    row's key against the next model's foreign key)."""
    by_first: dict[str, list[str]] = {}
    for path in paths:
        first, _, rest = path.partition("__")
        by_first.setdefault(first, []).append(rest)
    condition = Q()
    for first, rests in by_first.items():
        field = model._meta.get_field(first)
        if "" in rests:  # the path ends here: a provider column of this row
            condition |= Q(**{f"{first}__in": ids})
        deeper = Q()
        for rest in filter(None, rests):
            deeper |= Q(**{f"{rest}__in": ids})
        if not deeper:
            continue
        rows = field.related_model._base_manager.filter(deeper)  # type: ignore[union-attr]
        if field.one_to_many:
            condition |= Q(pk__in=rows.values(field.field.attname))  # type: ignore[union-attr]
        elif field.many_to_one or field.one_to_one:
            condition |= Q(**{f"{first}__in": rows.values("pk")})
        else:
            raise TypeError(f"{model.__name__}.{first}: a provider path follows foreign keys")
    return condition


def provider_condition(
    model: type[models.Model], limited: Mapping[int, frozenset[int]], unlimited: Iterable[int]
) -> Q:
    """Rows of the `unlimited` practices, and of each limited practice the rows that reach
    one of its allowed providers."""
    scope: ProviderScope | None = getattr(model, "provider_scope", None)
    if not isinstance(scope, ProviderScope):
        raise TypeError(f"{model.__name__} declares no provider_scope (see ProviderScope)")
    condition = Q(practice_id__in=sorted(unlimited))
    for practice_id, provider_ids in sorted(limited.items()):
        condition |= Q(practice_id=practice_id) & scope.condition(model, provider_ids)
    return condition


class ScopedQuerySet(models.QuerySet[Any]):
    _bureau_scope: frozenset[int] | None = None
    # Narrowed by provider too: set-based writes that keep only the practice scope must not
    # take this queryset's rows for theirs (see `bulk.update_ids`).
    _bureau_providers: bool = False

    def _clone(self) -> Self:
        clone: Self = super()._clone()  # type: ignore[misc]
        clone._bureau_scope = self._bureau_scope
        clone._bureau_providers = self._bureau_providers
        return clone

    def _scoped_to(self, practice_ids: frozenset[int], workspace_id: int | None) -> Self:
        qs = self.filter(practice_id__in=practice_ids)
        if workspace_id is not None:
            qs = qs.filter(workspace_id=workspace_id)
        qs._bureau_scope = practice_ids
        return qs

    def visible_to(self, actor: Actor, capability: Capability) -> Self:
        """Rows of the practices where the actor holds `capability` (and, on PostgreSQL, only
        those the transaction's RLS setting admits); in a practice where the actor's access is
        limited to some providers, only the rows that reach one of them."""
        rls.activate(actor.practice_ids())
        practice_ids = actor.practice_ids(capability)
        qs = self._scoped_to(practice_ids, actor.workspace.pk)
        limited = actor.limited_providers(capability)
        if limited:
            qs = qs.filter(provider_condition(self.model, limited, practice_ids - set(limited)))
            qs._bureau_providers = True
        return qs

    def visible_to_any(self, actor: Actor, conditions: Mapping[Capability, Q]) -> Self:
        """Rows that `visible_to(actor, capability)` admits for some capability, each only
        where its condition holds: one list of rows worked under different capabilities
        (the work queue: denials under denials.work, rejections under claims.edit)."""
        rls.activate(actor.practice_ids())
        # Capabilities the actor holds over the same practices and providers share one scope
        # condition: (a & scope) | (b & scope) is (a | b) & scope, the same rows in a shorter
        # query (a supervisor's queue was eight practice lists, each compiled and evaluated).
        grouped: dict[tuple[frozenset[int], tuple[tuple[int, frozenset[int]], ...]], Q] = {}
        for capability, condition in conditions.items():
            practice_ids = actor.practice_ids(capability)
            if not practice_ids:
                continue
            key = (practice_ids, tuple(sorted(actor.limited_providers(capability).items())))
            grouped[key] = grouped[key] | condition if key in grouped else condition
        union = Q(pk__in=[])
        scope: set[int] = set()
        for (practice_ids, limited_items), condition in grouped.items():
            scope |= practice_ids
            limited = dict(limited_items)
            if limited:
                where = provider_condition(self.model, limited, practice_ids - set(limited))
            else:
                where = Q(practice_id__in=sorted(practice_ids))
            union |= condition & where
        qs = self.filter(union, workspace_id=actor.workspace.pk)
        qs._bureau_scope = frozenset(scope)
        qs._bureau_providers = True
        return qs

    def whole_practice(self, actor: Actor, capability: Capability, *, reason: str) -> Self:
        """Rows of the practices where the actor holds `capability`, of every provider: for the
        integrity checks of a write (the next claim number, an account number already taken)
        whose rows are never shown. A test keeps it out of views, API routes and selectors."""
        if not reason:
            raise ValueError("reading past the provider scope needs a reason")
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
    # Every concrete PHI model declares its own (a test checks): how a row reaches a provider.
    provider_scope: ClassVar[ProviderScope]

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
