"""The demo's compliance program, mid-year: each part of the program seeds its own records.

Called once by `bureau.demo.seed_demo` after the book is in (the program's records name the demo's
people and practices)."""

from __future__ import annotations

from collections.abc import Callable

from bureau.tenancy.models import Workspace


def seed_compliance(workspace: Workspace, say: Callable[[str], None] | None = None) -> None:
    """Each part adds one line here: its own module's seed, given the workspace."""
    from bureau.compliance.demo_workforce import seed_workforce

    seed_workforce(workspace, say)  # compliance: training and policies
