"""Links resolved once per process: to records, for the rows of long lists
(`record_url(public_id, "claims:detail")`, put in each row by its selector so the template prints
it), and the shell's fixed links on every page (`SHELL_ROUTES`, see the `shell` context
processor).

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


# The links of every page's shell (base.html): name in the template → route.
SHELL_ROUTES = {
    "home": "web:home",
    "switch_practice": "web:switch_practice",
    "queue": "workqueues:queue",
    "patients": "patients:list",
    "claims": "claims:list",
    "eras": "eras:list",
    "denials": "denials:list",
    "questions": "workqueues:questions",
    "reports": "reports:index",
    "audit": "audit:log",
    "setup": "directory:providers",
    "settings": "configuration:settings",
    "users": "accounts:user_list",
    # compliance
    "compliance": "compliance:dashboard",
    "compliance_practice": "compliance:my_practice",
    "logout": "accounts:logout",
}


@cache
def _shell_urls(prefix: str) -> dict[str, str]:
    return {name: reverse(route) for name, route in SHELL_ROUTES.items()}


def shell_urls() -> dict[str, str]:
    """SHELL_ROUTES resolved (the same dict every time: read it, never change it)."""
    return _shell_urls(get_script_prefix())
