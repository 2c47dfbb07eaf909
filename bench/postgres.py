"""Run a benchmark on PostgreSQL: in place when DATABASE_URL points at it, else re-run its
module under `scripts/with-postgres.sh` (a throwaway cluster, the app's RLS role configured)."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def run_on_postgres(module: str, run: Callable[[], None]) -> None:
    if os.environ.get("DATABASE_URL", "").startswith("postgres"):
        run()
        return
    done = subprocess.run(  # noqa: S603 - our own script and interpreter
        [str(ROOT / "scripts/with-postgres.sh"), sys.executable, "-m", module],
        cwd=ROOT,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"the PostgreSQL run failed (exit {done.returncode})")
