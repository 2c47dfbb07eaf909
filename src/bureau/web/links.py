"""Links to records, for the rows of long lists: `record_url(public_id, "claims:detail")`, put in
each row by its selector so the template prints it.

`{% url %}` resolves its route anew for every row (about 15 µs each; a 50-row queue page made
150 of them). A record's page takes one UUID, so its route is resolved once per process (and
script prefix) and each row only puts its id in place: the same text `{% url %}` gives.
"""

from __future__ import annotations

import uuid
from functools import cache
from typing import Any

from django.urls import get_script_prefix, reverse

_MARK = "00000000-0000-0000-0000-000000000000"


@cache
def _around(name: str, prefix: str) -> tuple[str, str]:
    """The route's text before and after its one UUID (`prefix` keys the cache: reverse()
    starts with the script prefix of the current request)."""
    url = reverse(name, kwargs={"public_id": _MARK})
    head, found, tail = url.partition(_MARK)
    if not found:
        raise ValueError(f"{name} is not a route of one public_id")
    return head, tail


def record_url(public_id: Any, name: str) -> str:
    """The URL of route `name` (one `public_id` argument) for this record's public id."""
    head, tail = _around(name, get_script_prefix())
    # A UUID in canonical form, whatever was passed (a UUID, its text): never other text.
    if not isinstance(public_id, uuid.UUID):
        public_id = uuid.UUID(str(public_id))
    return f"{head}{public_id}{tail}"
