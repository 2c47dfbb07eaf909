"""The ledger sits below its writers: claims/ never imports remittance/, the ledger imports no
writer, and the move out of remittance/ kept the table and every row.

Read from the source (the AST of every file), not from what happens to be imported at run time,
so a lazy import inside a function counts as much as one at the top of a module.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.loader import MigrationLoader
from django.db.migrations.operations.special import SeparateDatabaseAndState

from bureau.ledger.models import LedgerEntry

SRC = Path(__file__).resolve().parents[2]  # src/bureau


def imported_modules(source: str, module: str) -> set[str]:
    """Every module a file imports, absolute names (relative imports resolved against `module`,
    `from bureau import remittance` counted as `bureau.remittance`)."""
    found: set[str] = set()
    package = module.rsplit(".", 1)[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parts = package.split(".")
                parts = parts[: len(parts) - (node.level - 1)]
                base = ".".join(parts + ([base] if base else []))
            found.add(base)
            found.update(f"{base}.{alias.name}" for alias in node.names)
    return found


def _modules(app: str, *, tests: bool) -> list[tuple[str, str]]:
    out = []
    for path in sorted((SRC / app).rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        if not tests and "tests" in rel.parts:
            continue
        out.append((".".join(rel.parts), path.read_text(encoding="utf-8")))
    assert out, f"no modules found under {app}/"
    return out


def _offences(app: str, forbidden: tuple[str, ...], *, tests: bool) -> list[str]:
    return [
        f"{module} imports {name}"
        for module, source in _modules(app, tests=tests)
        for name in sorted(imported_modules(source, module))
        if any(name == f or name.startswith(f + ".") for f in forbidden)
    ]


def test_the_import_reader_sees_every_form_of_import():
    """The check is only as good as its reader: each way of writing the import is caught."""
    for source in (
        "from bureau.remittance.ledger import post_charges",
        "def f():\n    from bureau.remittance.selectors import claim_money",
        "import bureau.remittance.models",
        "from bureau import remittance",
        "from ..remittance import models",
    ):
        names = imported_modules(source, "bureau.claims.batches")
        assert any(n.startswith("bureau.remittance") for n in names), source


def test_claims_never_imports_remittance():
    """claims/ (tests included) takes charges and the claim page's money from the ledger."""
    assert _offences("claims", ("bureau.remittance",), tests=True) == []


def test_the_ledger_imports_none_of_its_writers():
    """The ledger is below claims' views and services, remittance and the later writers
    (denials' write-offs, billing's patient payments): it may read claim models, never them."""
    forbidden = (
        "bureau.remittance",
        "bureau.denials",
        "bureau.billing",
        "bureau.workqueues",
        "bureau.web",
        "bureau.claims.views",
        "bureau.claims.services",
        "bureau.claims.batches",
    )
    assert _offences("ledger", forbidden, tests=False) == []


def test_the_ledger_kept_its_table_and_the_move_touched_no_row():
    """The model changed app, not table: the name the append-only trigger and the RLS policy
    know, and migrations that change Django's state only (no SQL on the table)."""
    assert LedgerEntry._meta.app_label == "ledger"
    assert LedgerEntry._meta.db_table == "remittance_ledgerentry"
    graph = MigrationLoader(None, ignore_no_migrations=True).graph
    for key in (("ledger", "0001_initial"), ("remittance", "0007_ledger_moved_out")):
        moves = [
            op for op in graph.nodes[key].operations if isinstance(op, SeparateDatabaseAndState)
        ]
        assert moves and all(op.database_operations == [] for op in moves), key


@pytest.mark.django_db
def test_the_table_is_there_under_its_old_name():
    with connection.cursor() as cursor:
        tables = connection.introspection.table_names(cursor)
    assert "remittance_ledgerentry" in tables
    assert "ledger_ledgerentry" not in tables


WRITES = re.compile(
    r"LedgerEntry\.objects\b[^\n]*\.(?:create|bulk_create|update|get_or_create|update_or_create|"
    r"delete)\(|\b(?:insert|update_ids)\(\s*LedgerEntry\b"
)
# Synthetic books written straight to the table (a generator, not a writer of real money).
BOOK_WRITERS = {"bureau.book.claims"}


def test_only_the_ledger_service_writes_entries():
    """Every writer goes through `bureau.ledger.services` (module doc there): no other module
    of the application creates, updates or deletes `LedgerEntry` rows itself."""
    offences = []
    for path in sorted(SRC.rglob("*.py")):
        rel = path.relative_to(SRC.parent).with_suffix("")
        module = ".".join(rel.parts)
        if "tests" in rel.parts or rel.parts[1] == "ledger" or module in BOOK_WRITERS:
            continue
        if WRITES.search(path.read_text(encoding="utf-8")):
            offences.append(module)
    assert offences == []
