"""bureau.x12 is a pure library: importing and using it must not pull in Django."""

from __future__ import annotations

import subprocess
import sys

_PROBE = """
import sys
import bureau.x12.writer837, bureau.x12.claim837, bureau.x12.envelope, bureau.x12.errors
leaked = sorted(m for m in sys.modules if m == "django" or m.startswith(("django.", "bureau.")))
print(",".join(m for m in leaked if not m.startswith("bureau.x12") and m != "bureau"))
"""


def test_x12_imports_nothing_from_django_or_other_apps() -> None:
    result = subprocess.run(
        [sys.executable, "-c", _PROBE], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == ""
