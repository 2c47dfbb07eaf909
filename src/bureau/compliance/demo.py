"""The demo's compliance program, mid-year: each part of the program seeds its own records.

Called once by `bureau.demo.seed_demo` after the book is in (the program's records name the demo's
people and practices)."""

from __future__ import annotations

from collections.abc import Callable

from bureau.compliance.demo_incidents import seed_incidents
from bureau.compliance.demo_program import seed_baas
from bureau.compliance.demo_reviews import seed_reviews
from bureau.compliance.demo_screening import seed_screening
from bureau.compliance.demo_workforce import seed_workforce
from bureau.tenancy.models import Workspace


def seed_compliance(workspace: Workspace, say: Callable[[str], None] | None = None) -> None:
    """Each part adds one line here: its own module's seed, given the workspace."""
    seed_baas(workspace, say)
    seed_incidents(workspace, say)  # after the BAAs: an incident's clock reads them
    seed_reviews(workspace, say)  # dates the seed's grants back before last quarter's review
    seed_workforce(workspace, say)  # training and policies: due dates from those grants
    seed_screening(workspace, say)  # last month's list files and run
