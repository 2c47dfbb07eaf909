"""One page of a PHI list, read and audited the same way on every worklist (claims, patients,
ERAs, exceptions, denials): page the scoped query, then one audit event per practice naming
exactly the records shown."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, overload

from django.core.paginator import Paginator
from django.db.models import Model, QuerySet

from bureau.audit.models import AuditAction
from bureau.audit.services import audit_record_per_practice
from bureau.tenancy.actor import Actor

Row = TypeVar("Row")
Shown = TypeVar("Shown")
Record = TypeVar("Record", bound=Model)


@dataclass(frozen=True)
class Page(Generic[Row]):
    rows: list[Row]
    number: int
    num_pages: int
    count: int
    has_previous: bool
    has_next: bool
    sort: str = ""  # the order applied, for lists that offer a choice

    def shown_as(self, present: Callable[[Row], Shown], *, sort: str = "") -> Page[Shown]:
        """The same page with each record turned into what the list shows."""
        return Page(
            rows=[present(r) for r in self.rows],
            number=self.number,
            num_pages=self.num_pages,
            count=self.count,
            has_previous=self.has_previous,
            has_next=self.has_next,
            sort=sort or self.sort,
        )


@overload
def audited_page(
    qs: QuerySet[Record],
    *,
    page: int,
    page_size: int,
    actor: Actor,
    action: AuditAction,
    model: str,
    detail: dict[str, Any] | None = None,
    read: None = None,
) -> Page[Record]: ...


@overload
def audited_page(
    qs: QuerySet[Record],
    *,
    page: int,
    page_size: int,
    actor: Actor,
    action: AuditAction,
    model: str,
    detail: dict[str, Any] | None = None,
    read: Callable[[QuerySet[Record]], Iterable[Shown]],
) -> Page[Shown]: ...


def audited_page(
    qs: QuerySet[Record],
    *,
    page: int,
    page_size: int,
    actor: Actor,
    action: AuditAction,
    model: str,
    detail: dict[str, Any] | None = None,
    read: Callable[[QuerySet[Record]], Iterable[Any]] | None = None,
) -> Page[Any]:
    """Page `page` of the (already scoped, filtered and ordered) query; the records on it are
    audited under `action`, one event per practice, with the page number in the detail.
    `read` turns the page's slice into what the list shows (e.g. named values: each carries
    `practice_id` and `public_id`), while the count stays a count of the query's own rows."""
    paginator = Paginator(qs, page_size)
    page_obj = paginator.get_page(page)
    sliced: Any = page_obj.object_list
    records: list[Any] = list(read(sliced) if read is not None else sliced)
    audit_record_per_practice(
        action=action,
        actor=actor,
        model=model,
        records=[(r.practice_id, r.public_id) for r in records],
        detail={**(detail or {}), "page": page_obj.number},
    )
    return Page(
        rows=records,
        number=page_obj.number,
        num_pages=paginator.num_pages,
        count=paginator.count,
        has_previous=page_obj.has_previous(),
        has_next=page_obj.has_next(),
    )
